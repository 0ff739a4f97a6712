/*
 * gossip/keyring.h — the installed gossip keys (memberlist keyring.go).
 *
 * Contract: a value owned by its creator; no globals. Encrypt with the
 * primary key; decrypt by trying every installed key (so keys can be rotated:
 * install, make primary, remove). Only 32-byte keys (AES-256-GCM, the only
 * AES-GCM libsodium offers) are accepted: anything else is MF_EKEYSIZE.
 */
#ifndef MF_GOSSIP_KEYRING_H
#define MF_GOSSIP_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_KEY_LEN 32
#define MF_KEYRING_MAX 16

struct mf_keyring {
	uint8_t keys[MF_KEYRING_MAX][MF_KEY_LEN];
	size_t n;       /* keys installed; keys[0] is the primary */
	/* Rolling encryption on or off a running pool (memberlist's
	 * GossipVerifyIncoming / GossipVerifyOutgoing, inverted so that a
	 * zeroed keyring is strict). With keys installed:
	 *   accept_plain: a packet no key opens, or a plaintext stream, is
	 *                 read as plaintext (encrypt_verify_incoming=false);
	 *   send_plain:   we send plaintext (encrypt_verify_outgoing=false).
	 * Without keys both are moot: everything is plaintext. */
	bool accept_plain;
	bool send_plain;
};

void mf_keyring_init(struct mf_keyring *kr);
/* Installs a key (a no-op if already there); the first key becomes primary. */
int mf_keyring_add(struct mf_keyring *kr, const uint8_t *key, size_t len);
/* Makes an installed key primary (moves it to index 0). */
int mf_keyring_use(struct mf_keyring *kr, const uint8_t *key, size_t len);
/* Removes a key; the primary cannot be removed (MF_ESTATE). */
int mf_keyring_remove(struct mf_keyring *kr, const uint8_t *key, size_t len);
/* Decodes a base64 (standard alphabet, padded) key into key[MF_KEY_LEN]. */
int mf_keyring_decode_b64(const char *b64, uint8_t key[MF_KEY_LEN]);
/* Encodes a key as base64 into out (at least 45 bytes). */
void mf_keyring_encode_b64(const uint8_t key[MF_KEY_LEN], char *out, size_t cap);
/* Zeroes every key (the verify flags are kept). */
void mf_keyring_wipe(struct mf_keyring *kr);

#endif

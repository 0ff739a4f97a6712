/*
 * gossip/crypto.h — memberlist's encryption (security.go) with libsodium.
 *
 * Version-1 framing, AES-256-GCM, no padding:
 *   [version u8 = 1][nonce 12][ciphertext][tag 16]
 * UDP: the whole packet is that, no additional data.
 * TCP: [10 (encrypt)][length u32 BE][version][nonce][ciphertext][tag], where
 *      the first 5 bytes are the additional authenticated data and `length`
 *      counts everything after them.
 * Version 0 (PKCS7-padded) is accepted on decrypt for old peers.
 *
 * Contract: pure apart from randombytes for nonces; sodium_init() must have
 * run (mf_crypto_init). Returns 0 or a negative enum mf_err.
 */
#ifndef MF_GOSSIP_CRYPTO_H
#define MF_GOSSIP_CRYPTO_H

#include <msgpack.h>

#include "gossip/keyring.h"

#define MF_CRYPTO_OVERHEAD (1 + 12 + 16) /* version + nonce + tag */

/* sodium_init() and the AES-NI check: MF_ENOAES on a CPU without it. */
int mf_crypto_init(void);

/* Appends the sealed form of msg to out, with the primary key. */
int mf_crypto_seal_packet(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			  msgpack_sbuffer *out);
/* Opens a sealed packet into out (reset first), trying every key. */
int mf_crypto_open_packet(const struct mf_keyring *kr, const uint8_t *pkt, size_t len,
			  msgpack_sbuffer *out);
/* The TCP form: appends [10][len][sealed], AAD = first 5 bytes. */
int mf_crypto_seal_stream(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			  msgpack_sbuffer *out);
/* Opens a whole [10][len][sealed] stream frame into out (reset first). */
int mf_crypto_open_stream(const struct mf_keyring *kr, const uint8_t *frame, size_t len,
			  msgpack_sbuffer *out);

#endif

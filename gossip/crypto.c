/*
 * memberlist security.go with libsodium's AES-256-GCM.
 *   v1: [1][nonce 12][ciphertext][tag 16]
 *   v0: [0][nonce 12][ciphertext of msg + PKCS7 padding to 16][tag 16]
 * Streams (net.go encryptLocalState): [10][len u32 BE][v1 frame], the first
 * 5 bytes as additional data.
 */
#include "gossip/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gossip/err.h"
#include "gossip/msg.h"

#define NONCE_LEN crypto_aead_aes256gcm_NPUBBYTES
#define TAG_LEN crypto_aead_aes256gcm_ABYTES
#define BLOCK 16

int mf_crypto_init(void)
{
	if (sodium_init() < 0)
		return MF_ENOMEM;
	if (!crypto_aead_aes256gcm_is_available())
		return MF_ENOAES;
	return 0;
}

/* Makes room for n more bytes so libsodium can write in place (msgpack-c's
 * sbuffer has public fields and frees data with free()). */
static int reserve(msgpack_sbuffer *sb, size_t n)
{
	char *p;

	if (sb->alloc - sb->size >= n)
		return 0;
	if (n > SIZE_MAX - sb->size)
		return MF_ENOMEM;
	p = realloc(sb->data, sb->size + n);
	if (!p)
		return MF_ENOMEM;
	sb->data = p;
	sb->alloc = sb->size + n;
	return 0;
}

/* Appends [1][nonce][ct][tag] sealed with the primary key and ad. */
static int seal(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
		const uint8_t *ad, size_t adlen, msgpack_sbuffer *out)
{
	size_t need = 1 + NONCE_LEN + len + TAG_LEN;
	unsigned long long clen = 0;
	uint8_t *p;

	if (!kr || kr->n == 0)
		return MF_EINVAL;
	if (!crypto_aead_aes256gcm_is_available())
		return MF_ENOAES;
	if (reserve(out, need))
		return MF_ENOMEM;
	p = (uint8_t *)out->data + out->size;
	p[0] = 1;
	randombytes_buf(p + 1, NONCE_LEN);
	crypto_aead_aes256gcm_encrypt(p + 1 + NONCE_LEN, &clen, msg, len, ad, adlen, NULL, p + 1,
				      kr->keys[0]);
	out->size += need;
	return 0;
}

/* Opens a sealed payload (version byte first) into out with any key. */
static int open_payload(const struct mf_keyring *kr, const uint8_t *pkt, size_t len,
			const uint8_t *ad, size_t adlen, msgpack_sbuffer *out)
{
	unsigned long long mlen = 0;
	size_t min, clen;
	uint8_t vsn;

	msgpack_sbuffer_clear(out);
	if (!kr || kr->n == 0)
		return MF_EINVAL;
	if (len < 1)
		return MF_EDECRYPT;
	vsn = pkt[0];
	if (vsn > 1)
		return MF_EDECRYPT; /* "Unsupported encryption version" */
	min = 1 + NONCE_LEN + TAG_LEN + (vsn == 0 ? BLOCK : 0); /* encryptedLength(vsn, 0) */
	if (len < min)
		return MF_EDECRYPT;
	if (!crypto_aead_aes256gcm_is_available())
		return MF_ENOAES;
	clen = len - 1 - NONCE_LEN;
	if (reserve(out, clen - TAG_LEN + 1))
		return MF_ENOMEM;
	for (size_t i = 0; i < kr->n; i++) {
		if (crypto_aead_aes256gcm_decrypt((uint8_t *)out->data, &mlen, NULL,
						  pkt + 1 + NONCE_LEN, clen, ad, adlen,
						  pkt + 1, kr->keys[i]) != 0)
			continue;
		if (vsn == 0) {
			/* PKCS7: memberlist trusts the last byte; we check it. */
			uint8_t pad = mlen ? (uint8_t)out->data[mlen - 1] : 0;
			if (pad == 0 || pad > BLOCK || pad > mlen) {
				sodium_memzero(out->data, (size_t)mlen);
				return MF_EDECRYPT;
			}
			mlen -= pad;
		}
		out->size = (size_t)mlen;
		return 0;
	}
	return MF_EDECRYPT; /* "No installed keys could decrypt the message" */
}

int mf_crypto_seal_packet(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			  msgpack_sbuffer *out)
{
	return seal(kr, msg, len, NULL, 0, out);
}

int mf_crypto_open_packet(const struct mf_keyring *kr, const uint8_t *pkt, size_t len,
			  msgpack_sbuffer *out)
{
	return open_payload(kr, pkt, len, NULL, 0, out);
}

int mf_crypto_seal_stream(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			  msgpack_sbuffer *out)
{
	size_t body = 1 + NONCE_LEN + len + TAG_LEN;
	uint8_t hdr[5];
	size_t at;

	if (body > UINT32_MAX)
		return MF_ETOOBIG;
	hdr[0] = MF_MSG_ENCRYPT;
	hdr[1] = (uint8_t)(body >> 24);
	hdr[2] = (uint8_t)(body >> 16);
	hdr[3] = (uint8_t)(body >> 8);
	hdr[4] = (uint8_t)body;
	if (!kr || kr->n == 0)
		return MF_EINVAL;
	at = out->size;
	if (msgpack_sbuffer_write(out, (const char *)hdr, 5))
		return MF_ENOMEM;
	int rc = seal(kr, msg, len, hdr, 5, out);
	if (rc)
		out->size = at;
	return rc;
}

int mf_crypto_open_stream(const struct mf_keyring *kr, const uint8_t *frame, size_t len,
			  msgpack_sbuffer *out)
{
	uint32_t l;

	msgpack_sbuffer_clear(out);
	if (len < 5 || frame[0] != MF_MSG_ENCRYPT)
		return MF_EDECRYPT;
	l = (uint32_t)frame[1] << 24 | (uint32_t)frame[2] << 16 | (uint32_t)frame[3] << 8 | frame[4];
	if (l != len - 5)
		return len - 5 < l ? MF_ETRUNC : MF_EDECRYPT;
	return open_payload(kr, frame + 5, len - 5, frame, 5, out);
}

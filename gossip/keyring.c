#include "gossip/keyring.h"

#include <string.h>

#include <sodium.h>

#include "gossip/err.h"

void mf_keyring_init(struct mf_keyring *kr)
{
	memset(kr, 0, sizeof(*kr));
}

static int find(const struct mf_keyring *kr, const uint8_t *key)
{
	for (size_t i = 0; i < kr->n; i++)
		if (sodium_memcmp(kr->keys[i], key, MF_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

int mf_keyring_add(struct mf_keyring *kr, const uint8_t *key, size_t len)
{
	if (!key || len != MF_KEY_LEN)
		return MF_EKEYSIZE;
	if (find(kr, key) >= 0)
		return 0;
	if (kr->n >= MF_KEYRING_MAX)
		return MF_ETOOBIG;
	memcpy(kr->keys[kr->n++], key, MF_KEY_LEN);
	return 0;
}

int mf_keyring_use(struct mf_keyring *kr, const uint8_t *key, size_t len)
{
	uint8_t tmp[MF_KEY_LEN];
	int i;

	if (!key || len != MF_KEY_LEN)
		return MF_EKEYSIZE;
	if ((i = find(kr, key)) < 0)
		return MF_ENOTFOUND;
	memcpy(tmp, kr->keys[i], MF_KEY_LEN);
	memmove(kr->keys[1], kr->keys[0], (size_t)i * MF_KEY_LEN);
	memcpy(kr->keys[0], tmp, MF_KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

int mf_keyring_remove(struct mf_keyring *kr, const uint8_t *key, size_t len)
{
	int i;

	if (!key || len != MF_KEY_LEN)
		return MF_EKEYSIZE;
	if ((i = find(kr, key)) < 0)
		return MF_ENOTFOUND;
	if (i == 0)
		return MF_ESTATE; /* keyring.go: removing the primary key is not allowed */
	memmove(kr->keys[i], kr->keys[i + 1], (kr->n - (size_t)i - 1) * MF_KEY_LEN);
	kr->n--;
	sodium_memzero(kr->keys[kr->n], MF_KEY_LEN);
	return 0;
}

int mf_keyring_decode_b64(const char *b64, uint8_t key[MF_KEY_LEN])
{
	uint8_t buf[MF_KEY_LEN + 3]; /* room to notice a longer key */
	size_t n = 0, slen;
	const char *end = NULL;

	if (!b64)
		return MF_EINVAL;
	slen = strlen(b64);
	if (sodium_base642bin(buf, sizeof(buf), b64, slen, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		sodium_memzero(buf, sizeof(buf));
		/* fails on bad characters, and also when the output is too long */
		return slen > 4 * ((sizeof(buf) + 2) / 3) ? MF_EKEYSIZE : MF_EINVAL;
	}
	if (end != b64 + slen) {
		sodium_memzero(buf, sizeof(buf));
		return MF_EINVAL;
	}
	if (n != MF_KEY_LEN) {
		sodium_memzero(buf, sizeof(buf));
		return MF_EKEYSIZE;
	}
	memcpy(key, buf, MF_KEY_LEN);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

void mf_keyring_encode_b64(const uint8_t key[MF_KEY_LEN], char *out, size_t cap)
{
	if (!out || cap == 0)
		return;
	if (cap < sodium_base64_ENCODED_LEN(MF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)) {
		out[0] = '\0';
		return;
	}
	sodium_bin2base64(out, cap, key, MF_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

void mf_keyring_wipe(struct mf_keyring *kr)
{
	sodium_memzero(kr->keys, sizeof(kr->keys));
	kr->n = 0;
}

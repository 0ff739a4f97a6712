/* tests/fuzz/keyring_fixture.h — the fixed keyring of the encrypted targets. */
#ifndef MF_TESTS_FUZZ_KEYRING_H
#define MF_TESTS_FUZZ_KEYRING_H
#include "gossip/crypto.h"
#include "gossip/keyring.h"
#include "tests/fuzz/fuzz.h"

/* The keyring, set up on first use (one per target process). */
static inline const struct mf_keyring *mf_fuzz_keyring(void)
{
	static struct mf_keyring kr;
	static int ready;
	if (!ready) {
		uint8_t key[MF_KEY_LEN];
		mf_keyring_init(&kr);
		MF_FUZZ_CHECK(mf_crypto_init() == 0);
		MF_FUZZ_CHECK(mf_keyring_decode_b64(MF_FUZZ_KEY_B64, key) == 0);
		MF_FUZZ_CHECK(mf_keyring_add(&kr, key, sizeof(key)) == 0);
		ready = 1;
	}
	return &kr;
}
#endif

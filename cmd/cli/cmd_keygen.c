/* cmd/cli/cmd_keygen.c — `meshfed keygen`: 32 random bytes, base64 (serf keygen). */
#include <stdio.h>

#include <sodium.h>

#include "cmd/cli/cli.h"
#include "gossip/keyring.h"

int mf_cmd_keygen(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[1];
	struct mf_flags_result res = {hits, 1, 0, pos, 1, 0};
	int r = mf_cli_parse("keygen", "keygen", "Prints a new 32-byte gossip key in base64, for "
			     "-encrypt or a keyring file.", NULL, 0, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("keygen", &res)) != MF_EXIT_OK)
		return r;
	if (sodium_init() < 0) {
		mf_cli_error("keygen", "libsodium failed to initialise");
		return MF_EXIT_FAIL;
	}
	uint8_t key[MF_KEY_LEN];
	char b64[64];
	randombytes_buf(key, sizeof(key));
	mf_keyring_encode_b64(key, b64, sizeof(b64));
	sodium_memzero(key, sizeof(key));
	printf("%s\n", b64);
	return MF_EXIT_OK;
}

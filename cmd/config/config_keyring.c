/*
 * cmd/config/config_keyring.c — the keys of each pool from the config: -encrypt
 * (or an area's "encrypt") or the keyring file (serf's format: a JSON
 * array of base64 keys, the first one primary).
 *
 * The only place the agent reads a keyring file: at start (through
 * mf_config_check and mf_agent_pool_start) and on reload
 * (cmd/agent/agent_reload.c), both through mf_config_pool_keyring(). A shared
 * keyring-file module (read + atomic 0600 rewrite) replaces
 * (cmd/config/keyring_file.c, also used by meshfed keys) reads the file.
 */
#include <stdio.h>

#include "cmd/config/config.h"
#include "cmd/config/keyring_file.h"

/* encrypt_key (when has_encrypt) or the file at path ("" for none). */
static int keyring_load(const uint8_t *encrypt_key, bool has_encrypt, const char *path,
			struct mf_keyring *kr, char *err, size_t errcap)
{
	mf_keyring_init(kr);
	if (has_encrypt && path[0]) {
		snprintf(err, errcap, "-encrypt and -keyring-file cannot be used together "
				      "(as in serf: put the key in the keyring file)");
		return MF_EINVAL;
	}
	if (has_encrypt)
		return mf_keyring_add(kr, encrypt_key, MF_KEY_LEN);
	if (!path[0])
		return 0;
	return mf_keyring_file_read(path, kr, err, errcap);
}

int mf_config_read_keyring(const struct mf_agent_config *c, struct mf_keyring *kr, char *err,
			   size_t errcap)
{
	return keyring_load(c->encrypt_key, c->has_encrypt, c->keyring_file, kr, err, errcap);
}

int mf_config_read_area_keyring(const struct mf_area_config *a, struct mf_keyring *kr,
				char *err, size_t errcap)
{
	return keyring_load(a->encrypt_key, a->has_encrypt, a->keyring_file, kr, err, errcap);
}

int mf_config_pool_keyring(const struct mf_agent_config *c, const struct mf_area_config *area,
			   struct mf_keyring *kr, char *err, size_t errcap)
{
	char kerr[300];
	int r = area ? mf_config_read_area_keyring(area, kr, kerr, sizeof(kerr))
		     : mf_config_read_keyring(c, kr, kerr, sizeof(kerr));
	if (r < 0)
		snprintf(err, errcap, "%s%s%s%s", area ? "area " : "", area ? area->name : "",
			 area ? ": " : "", kerr);
	/* encrypt_verify_*: the agent's, for every pool (docs/security.md). */
	kr->accept_plain = !c->encrypt_verify_incoming;
	kr->send_plain = !c->encrypt_verify_outgoing;
	return r;
}

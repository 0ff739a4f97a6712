/*
 * cmd/config_keyring.c — the keys of each pool from the config: -encrypt
 * (or an area's "encrypt") or the keyring file (serf's format: a JSON
 * array of base64 keys, the first one primary).
 *
 * The only place the agent reads a keyring file: at start (through
 * mf_config_check and mf_agent_pool_start) and on reload
 * (cmd/agent_reload.c), both through mf_config_pool_keyring(). A shared
 * keyring-file module (read + atomic 0600 rewrite) replaces
 * keyring_load() here and nothing else.
 */
#include <stdio.h>

#include <sodium.h>

#include "cmd/config.h"

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
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		snprintf(err, errcap, "keyring file %s: %s", path, je.text);
		return MF_EINVAL;
	}
	int r = 0;
	if (!json_is_array(root) || json_array_size(root) == 0) {
		snprintf(err, errcap, "keyring file %s: want a non-empty JSON array of base64 keys",
			 path);
		r = MF_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach(root, i, e) {
		if (r < 0)
			break;
		uint8_t key[MF_KEY_LEN];
		int d = json_is_string(e) ? mf_keyring_decode_b64(json_string_value(e), key)
					  : MF_EINVAL;
		if (d < 0) {
			snprintf(err, errcap, "keyring file %s: key %zu: %s", path, i + 1,
				 d == MF_EKEYSIZE ? "must decode to 32 bytes (AES-256)"
						  : "not a base64 string");
			r = MF_EINVAL;
		} else if (i >= MF_KEYRING_MAX) {
			snprintf(err, errcap, "keyring file %s: more than %d keys", path,
				 MF_KEYRING_MAX);
			r = MF_EINVAL;
		} else {
			r = mf_keyring_add(kr, key, MF_KEY_LEN);
		}
		sodium_memzero(key, sizeof(key));
	}
	json_decref(root);
	if (r < 0)
		mf_keyring_wipe(kr);
	return r;
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
	return r;
}

/* cmd/config/keyring_file.c — see cmd/config/keyring_file.h. */
#include "cmd/config/keyring_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "gossip/err.h"

int mf_keyring_file_read(const char *path, struct mf_keyring *kr, char *err, size_t errcap)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	mf_keyring_wipe(kr);
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

int mf_keyring_file_reload(const char *path, struct mf_keyring *kr, char *err, size_t errcap)
{
	struct mf_keyring tmp;
	mf_keyring_init(&tmp);
	int r = mf_keyring_file_read(path, &tmp, err, errcap);
	if (r == 0) {
		mf_keyring_wipe(kr);
		memcpy(kr->keys, tmp.keys, sizeof(kr->keys));
		kr->n = tmp.n;
	}
	mf_keyring_wipe(&tmp);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MF_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int mf_keyring_file_write(const char *path, const struct mf_keyring *kr)
{
	/* 2 + n * (4 indent/quotes + 44 base64 + 2 ",\n") + "]\n" */
	char text[4 + MF_KEYRING_MAX * 52 + 4];
	char tmp[4096];
	size_t len = 0;
	int r;

	if (kr->n == 0)
		return MF_EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return MF_EINVAL;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "[\n");
	for (size_t i = 0; i < kr->n; i++) {
		char b64[64];
		mf_keyring_encode_b64(kr->keys[i], b64, sizeof(b64));
		len += (size_t)snprintf(text + len, sizeof(text) - len, "  \"%s\"%s\n", b64,
					i + 1 < kr->n ? "," : "");
		sodium_memzero(b64, sizeof(b64));
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sodium_memzero(text, sizeof(text));
		return MF_EIO;
	}
	r = fchmod(fd, 0600) == 0 ? write_all(fd, text, len) : MF_EIO;
	sodium_memzero(text, sizeof(text));
	if (r == 0 && fsync(fd) != 0)
		r = MF_EIO;
	if (close(fd) != 0 && r == 0)
		r = MF_EIO;
	if (r == 0 && rename(tmp, path) != 0)
		r = MF_EIO;
	if (r != 0) {
		int saved = errno;
		(void)unlink(tmp);
		errno = saved;
	}
	return r;
}

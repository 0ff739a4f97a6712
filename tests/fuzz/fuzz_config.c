/* libFuzzer target: the config files an operator hands the binaries, read
 * through the real loaders from a file holding the input: the agent's
 * config (cmd/config/config.c mf_config_load_file: jansson, duplicate keys
 * refused, cmd/config/config_areas.c), the gateway's (cmd/gateway/options.c
 * mf_gw_options_load_file, then mf_gw_options_finish) and a keyring file
 * (mf_config_read_keyring). A refusal always says why (a non-empty,
 * NUL-terminated message; it quotes the key as written, so a key with a
 * newline gives a two-line message: the file is the operator's). The whole
 * text is also tried as a duration. */
#define _GNU_SOURCE /* memfd_create */
#include <sys/mman.h>
#include <unistd.h>

#include "cmd/config/config.h"
#include "cmd/gateway/options.h"
#include "tests/fuzz/fuzz.h"

/* A path to a file holding exactly p[0..n): one memfd per process,
 * rewritten for each input (the loaders take paths). */
static const char *mf_fuzz_file(const uint8_t *p, size_t n)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("mf_fuzz_config", 0);
		MF_FUZZ_CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	MF_FUZZ_CHECK(ftruncate(fd, 0) == 0);
	MF_FUZZ_CHECK(n == 0 || pwrite(fd, p, n, 0) == (ssize_t)n);
	return path;
}

static void refused_says_why(int r, const char *err, size_t cap)
{
	if (r != 0)
		MF_FUZZ_CHECK(r < 0 && err[0] != '\0' && memchr(err, '\0', cap));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mf_agent_config c; /* large: not on the stack */
	static struct mf_gw_options o;
	char err[512];
	const char *path = mf_fuzz_file(data, size);

	mf_config_init(&c);
	err[0] = '\0';
	refused_says_why(mf_config_load_file(&c, path, err, sizeof(err)), err, sizeof(err));

	MF_FUZZ_CHECK(mf_gw_options_init(&o) == 0);
	err[0] = '\0';
	int r = mf_gw_options_load_file(&o, path, err, sizeof(err));
	refused_says_why(r, err, sizeof(err));
	if (r == 0) {
		err[0] = '\0';
		refused_says_why(mf_gw_options_finish(&o, err, sizeof(err)), err, sizeof(err));
	}
	mf_gw_options_free(&o);

	struct mf_keyring kr;
	mf_config_init(&c);
	snprintf(c.keyring_file, sizeof(c.keyring_file), "%s", path);
	err[0] = '\0';
	r = mf_config_read_keyring(&c, &kr, err, sizeof(err));
	refused_says_why(r, err, sizeof(err));
	MF_FUZZ_CHECK(kr.n <= MF_KEYRING_MAX && (r == 0 || kr.n == 0));
	mf_keyring_wipe(&kr);

	char *s = mf_fuzz_dup(data, size);
	mf_time_t d;
	(void)mf_config_parse_duration(s, &d);
	free(s);
	return 0;
}

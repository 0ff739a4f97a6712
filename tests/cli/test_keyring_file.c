/*
 * tests/cli/test_keyring_file.c — serf's keyring file (cmd/config/keyring_file.c):
 * what serf writes is read, what we write serf reads (same layout), writes
 * are atomic and 0600, errors never show a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/config/keyring_file.h"
#include "gossip/err.h"
#include "tests/cunit_main.h"

static char dir[64];
static char path[128];
static char err[512];

static const char *K1 = "T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=";
static const char *K2 = "HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=";

static void put(const char *text)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static char *slurp(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_read_serf_layout_primary_first(void)
{
	char text[256];
	snprintf(text, sizeof(text), "[\n  \"%s\",\n  \"%s\"\n]", K2, K1);
	put(text);
	struct mf_keyring kr, want;
	mf_keyring_init(&kr);
	mf_keyring_init(&want);
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &kr, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(kr.n, 2);
	uint8_t k[MF_KEY_LEN];
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K2, k), 0);
	CU_ASSERT_EQUAL(memcmp(kr.keys[0], k, MF_KEY_LEN), 0);
}

static void test_write_is_serf_marshal_indent_and_0600(void)
{
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN];
	mf_keyring_init(&kr);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K1, k), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K2, k), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	put("old");
	chmod(path, 0644);
	CU_ASSERT_EQUAL(mf_keyring_file_write(path, &kr), 0);
	char want[256];
	snprintf(want, sizeof(want), "[\n  \"%s\",\n  \"%s\"\n]", K1, K2);
	CU_ASSERT_STRING_EQUAL(slurp(), want);
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0); /* renamed away */
}

static void test_write_then_read_round_trips_order(void)
{
	struct mf_keyring kr, back;
	uint8_t k[MF_KEY_LEN];
	mf_keyring_init(&kr);
	mf_keyring_init(&back);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K1, k), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K2, k), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_use(&kr, k, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_file_write(path, &kr), 0);
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.n, 2);
	CU_ASSERT_EQUAL(memcmp(back.keys, kr.keys, sizeof(kr.keys[0]) * 2), 0);
}

static void test_empty_keyring_is_not_written(void)
{
	struct mf_keyring kr;
	mf_keyring_init(&kr);
	CU_ASSERT_EQUAL(mf_keyring_file_write(path, &kr), MF_EINVAL);
}

static void test_bad_key_error_names_position_not_key(void)
{
	put("[\"T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=\", \"c2hvcnQ=\"]");
	struct mf_keyring kr;
	mf_keyring_init(&kr);
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &kr, err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(kr.n, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key 2"));
	CU_ASSERT_PTR_NULL(strstr(err, "c2hvcnQ"));
	CU_ASSERT_PTR_NULL(strstr(err, "T9jn"));
}

static void test_empty_array_and_missing_file_are_errors(void)
{
	struct mf_keyring kr;
	mf_keyring_init(&kr);
	put("[]");
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &kr, err, sizeof(err)), MF_EINVAL);
	unlink(path);
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &kr, err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
}

static void test_read_keeps_the_verify_flags(void)
{
	char text[256];
	snprintf(text, sizeof(text), "[\"%s\"]", K1);
	put(text);
	struct mf_keyring kr;
	mf_keyring_init(&kr);
	kr.accept_plain = true;
	CU_ASSERT_EQUAL(mf_keyring_file_read(path, &kr, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(kr.accept_plain);
}

static void test_reload_keeps_the_old_keys_when_the_file_is_bad(void)
{
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN];
	mf_keyring_init(&kr);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(K1, k), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	kr.send_plain = true;
	put("[\"not base64!\"]");
	CU_ASSERT_EQUAL(mf_keyring_file_reload(path, &kr, err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(kr.n, 1);
	CU_ASSERT_EQUAL(memcmp(kr.keys[0], k, MF_KEY_LEN), 0);
	char text[256];
	snprintf(text, sizeof(text), "[\"%s\", \"%s\"]", K2, K1);
	put(text);
	CU_ASSERT_EQUAL(mf_keyring_file_reload(path, &kr, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(kr.n, 2);
	CU_ASSERT_NOT_EQUAL(memcmp(kr.keys[0], k, MF_KEY_LEN), 0); /* K2 is primary now */
	CU_ASSERT_TRUE(kr.send_plain);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mf-keyring-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/keyring.json", dir);
	static const struct test_case tests[] = {
		TEST(test_read_serf_layout_primary_first),
		TEST(test_write_is_serf_marshal_indent_and_0600),
		TEST(test_write_then_read_round_trips_order),
		TEST(test_empty_keyring_is_not_written),
		TEST(test_bad_key_error_names_position_not_key),
		TEST(test_empty_array_and_missing_file_are_errors),
		TEST(test_read_keeps_the_verify_flags),
		TEST(test_reload_keeps_the_old_keys_when_the_file_is_bad),
	};
	int rc = RUN_SUITE("keyring_file", tests);
	unlink(path);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return rc;
}

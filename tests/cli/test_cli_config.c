/*
 * tests/cli/test_cli_config.c — the agent's flag, config-file and duration
 * parsing (cmd/config/flags.c, cmd/config/config.c, cmd/config/config_areas.c), one behaviour per
 * test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <jansson.h>

#include "cmd/config/config.h"
#include "cmd/config/flags.h"
#include "tests/cunit_main.h"

static char err[1024];

/* Parses a whitespace-separated command line into cfg (after "agent"). */
static int parse_line(struct mf_agent_config *c, const char *line)
{
	char buf[2048], *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
		argv[argc++] = t;
	mf_config_init(c);
	err[0] = '\0';
	return mf_config_parse_args(c, argc, argv, err, sizeof(err));
}

static char *write_temp(const char *content)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/mf-cli-test-XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
	return path;
}

/* --- durations --- */

static void test_duration_accepts_go_units(void)
{
	mf_time_t d;
	CU_ASSERT_EQUAL(mf_config_parse_duration("500ms", &d), 0);
	CU_ASSERT_EQUAL(d, 500 * MF_MS);
	CU_ASSERT_EQUAL(mf_config_parse_duration("5s", &d), 0);
	CU_ASSERT_EQUAL(d, 5 * MF_SEC);
	CU_ASSERT_EQUAL(mf_config_parse_duration("250us", &d), 0);
	CU_ASSERT_EQUAL(d, 250000);
	CU_ASSERT_EQUAL(mf_config_parse_duration("10ns", &d), 0);
	CU_ASSERT_EQUAL(d, 10);
	CU_ASSERT_EQUAL(mf_config_parse_duration("2h", &d), 0);
	CU_ASSERT_EQUAL(d, 7200 * MF_SEC);
}

static void test_duration_accepts_compound_and_fractions(void)
{
	mf_time_t d;
	CU_ASSERT_EQUAL(mf_config_parse_duration("1m30s", &d), 0);
	CU_ASSERT_EQUAL(d, 90 * MF_SEC);
	CU_ASSERT_EQUAL(mf_config_parse_duration("1.5s", &d), 0);
	CU_ASSERT_EQUAL(d, 1500 * MF_MS);
	CU_ASSERT_EQUAL(mf_config_parse_duration("1h2m3s4ms", &d), 0);
	CU_ASSERT_EQUAL(d, 3723 * MF_SEC + 4 * MF_MS);
}

static void test_duration_rejects_missing_unit_sign_and_junk(void)
{
	mf_time_t d;
	const char *bad[] = {"", "5", "5x", "-1s", "+1s", "1e3s", "ms", "s5", "5 s", "0x10s", "1.2.3s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(mf_config_parse_duration(bad[i], &d), MF_EINVAL);
}

/* --- flags --- */

static const struct mf_flag test_flags[] = {
	{"control", "PATH", ""},
	{"format", "F", ""},
	{"verbose", NULL, ""},
};

static int parse_flags(int argc, char **argv, struct mf_flags_result *res)
{
	static struct mf_flag_hit hits[8];
	static const char *pos[8];
	*res = (struct mf_flags_result){hits, 8, 0, pos, 8, 0};
	return mf_flags_parse(test_flags, 3, argc, argv, res, err, sizeof(err));
}

static void test_flags_accept_single_and_double_dash_and_equals(void)
{
	char *argv[] = {"-control", "/a", "--format", "json", "-verbose", "--control=/b"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(6, argv, &r), 0);
	CU_ASSERT_EQUAL(r.n_hits, 4);
	CU_ASSERT_STRING_EQUAL(r.hits[0].value, "/a");
	CU_ASSERT_STRING_EQUAL(r.hits[1].value, "json");
	CU_ASSERT_STRING_EQUAL(r.hits[2].value, "true");
	CU_ASSERT_STRING_EQUAL(r.hits[3].value, "/b");
}

static void test_flags_may_follow_positional_arguments(void)
{
	char *argv[] = {"10.0.0.1:7946", "-control", "/a", "10.0.0.2"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(4, argv, &r), 0);
	CU_ASSERT_EQUAL(r.n_pos, 2);
	CU_ASSERT_STRING_EQUAL(r.pos[1], "10.0.0.2");
	CU_ASSERT_EQUAL(r.n_hits, 1);
}

static void test_flags_double_dash_ends_flags(void)
{
	char *argv[] = {"--", "-control"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(2, argv, &r), 0);
	CU_ASSERT_EQUAL(r.n_pos, 1);
	CU_ASSERT_STRING_EQUAL(r.pos[0], "-control");
}

static void test_flags_unknown_flag_is_a_usage_error_naming_it(void)
{
	char *argv[] = {"-bogus", "x"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(2, argv, &r), MF_FLAGS_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-bogus"));
}

static void test_flags_missing_value_is_a_usage_error(void)
{
	char *argv[] = {"-control"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(1, argv, &r), MF_FLAGS_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-control"));
}

static void test_flags_help_is_recognised(void)
{
	char *a1[] = {"-h"}, *a2[] = {"--help"}, *a3[] = {"-help"};
	struct mf_flags_result r;
	CU_ASSERT_EQUAL(parse_flags(1, a1, &r), MF_FLAGS_HELP);
	CU_ASSERT_EQUAL(parse_flags(1, a2, &r), MF_FLAGS_HELP);
	CU_ASSERT_EQUAL(parse_flags(1, a3, &r), MF_FLAGS_HELP);
}

/* --- agent config --- */

static void test_config_defaults(void)
{
	struct mf_agent_config c;
	char addr[64];
	CU_ASSERT_EQUAL(parse_line(&c, ""), 0);
	CU_ASSERT_STRING_EQUAL(c.dc, "dc1");
	CU_ASSERT_STRING_EQUAL(mf_addr_format(&c.bind, addr, sizeof(addr)), "0.0.0.0:7946");
	CU_ASSERT_EQUAL(c.profile, MF_PROFILE_WAN);
	CU_ASSERT_EQUAL(c.log_level, MF_LOG_INFO);
	CU_ASSERT_FALSE(c.has_advertise);
	CU_ASSERT_EQUAL(c.n_join, 0);
	CU_ASSERT_STRING_EQUAL(c.node, "");
}

static void test_config_flags_set_every_basic_key(void)
{
	struct mf_agent_config c;
	char addr[64];
	CU_ASSERT_EQUAL(parse_line(&c, "-node n1 -dc east -bind 127.0.0.5:8000 -advertise "
				       "10.1.2.3:9000 -join 127.0.0.1 -join 127.0.0.2:7000 "
				       "-profile local -control /tmp/x.sock -tag a=b --log-level debug"),
			0);
	CU_ASSERT_STRING_EQUAL(c.node, "n1");
	CU_ASSERT_STRING_EQUAL(c.dc, "east");
	CU_ASSERT_STRING_EQUAL(mf_addr_format(&c.bind, addr, sizeof(addr)), "127.0.0.5:8000");
	CU_ASSERT_TRUE(c.has_advertise);
	CU_ASSERT_STRING_EQUAL(mf_addr_format(&c.advertise, addr, sizeof(addr)), "10.1.2.3:9000");
	CU_ASSERT_EQUAL(c.n_join, 2);
	CU_ASSERT_STRING_EQUAL(c.join[1], "127.0.0.2:7000");
	CU_ASSERT_EQUAL(c.profile, MF_PROFILE_LOCAL);
	CU_ASSERT_STRING_EQUAL(c.control, "/tmp/x.sock");
	CU_ASSERT_EQUAL(c.n_tags, 1);
	CU_ASSERT_STRING_EQUAL(c.tags[0].key, "a");
	CU_ASSERT_STRING_EQUAL(c.tags[0].value, "b");
	CU_ASSERT_EQUAL(c.log_level, MF_LOG_DEBUG);
}

static void test_config_drop_report_interval_defaults_to_30s_and_must_be_positive(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, ""), 0);
	CU_ASSERT_EQUAL(c.drop_report_interval, 30 * MF_SEC);
	CU_ASSERT_EQUAL(parse_line(&c, "-drop-report-interval 2s"), 0);
	CU_ASSERT_EQUAL(c.drop_report_interval, 2 * MF_SEC);
	CU_ASSERT_EQUAL(parse_line(&c, "-drop-report-interval 0s"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-drop-report-interval"));
}

static void test_config_bad_bind_names_the_flag(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-bind 1.2.3"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-bind"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1.2.3"));
}

static void test_config_bad_profile_and_log_level_are_rejected(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-profile fast"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-profile"));
	CU_ASSERT_EQUAL(parse_line(&c, "-log-level loud"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-log-level"));
}

static void test_config_reserved_tags_are_rejected(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-tag dc=x"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-tag role=x"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-tag novalue"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-tag =x"), MF_EINVAL);
}

static void test_config_encrypt_key_must_be_32_bytes_base64(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="), 0);
	CU_ASSERT_TRUE(c.has_encrypt);
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt AAAAAAAAAAAAAAAAAAAAAA=="), MF_EINVAL); /* 16 B */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "32 bytes"));
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt not*base64"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-encrypt"));
}

static void test_config_file_sets_keys_and_flags_override_it(void)
{
	struct mf_agent_config c;
	char line[256];
	const char *path = write_temp(
		"{\"node\": \"fromfile\", \"dc\": \"filedc\", \"profile\": \"lan\","
		" \"join\": [\"127.0.0.7\"], \"tags\": {\"k\": \"v\", \"x\": \"1\"},"
		" \"probe_interval\": \"2s\", \"gossip_interval\": 250, \"suspicion_mult\": 7}");
	snprintf(line, sizeof(line), "-node fromflag -config-file %s -join 127.0.0.8 -tag x=2",
		 path);
	CU_ASSERT_EQUAL(parse_line(&c, line), 0);
	unlink(path);
	CU_ASSERT_STRING_EQUAL(c.node, "fromflag"); /* flag wins, whatever the order */
	CU_ASSERT_STRING_EQUAL(c.dc, "filedc");
	CU_ASSERT_EQUAL(c.profile, MF_PROFILE_LAN);
	CU_ASSERT_EQUAL(c.n_join, 2); /* lists append */
	CU_ASSERT_STRING_EQUAL(c.join[0], "127.0.0.7");
	CU_ASSERT_EQUAL(c.n_tags, 2); /* maps merge, flag wins per key */
	CU_ASSERT_STRING_EQUAL(c.tags[1].value, "2");
	struct mf_pool_timing t;
	mf_config_timing(&c, &t);
	CU_ASSERT_EQUAL(t.probe_interval, 2 * MF_SEC);
	CU_ASSERT_EQUAL(t.gossip_interval, 250 * MF_MS); /* bare numbers: milliseconds */
	CU_ASSERT_EQUAL(t.suspicion_mult, 7);
	CU_ASSERT_EQUAL(t.probe_timeout, 500 * MF_MS); /* the rest from the lan profile */
}

static void test_config_file_unknown_key_is_named(void)
{
	struct mf_agent_config c;
	char line[256];
	const char *path = write_temp("{\"probe_intreval\": \"1s\"}");
	snprintf(line, sizeof(line), "-config-file %s", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), MF_EINVAL);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "probe_intreval"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key"));
}

static void test_config_file_bad_value_names_key_and_file(void)
{
	struct mf_agent_config c;
	char line[256];
	const char *path = write_temp("{\"probe_timeout\": \"fast\"}");
	snprintf(line, sizeof(line), "-config-file %s", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "probe_timeout"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fast"));
}

static void test_config_file_syntax_error_gives_the_line(void)
{
	struct mf_agent_config c;
	char line[256];
	const char *path = write_temp("{\n\"node\": \"x\",\n}");
	snprintf(line, sizeof(line), "-config-file %s", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), MF_EINVAL);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 3"));
}

static void test_config_missing_file_is_an_error(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-config-file /nonexistent/meshfed.json"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/meshfed.json"));
}

static void test_config_integer_timings_are_range_checked(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-suspicion-mult 0"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-suspicion-mult"));
	CU_ASSERT_EQUAL(parse_line(&c, "-udp-buffer-size 100"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-indirect-checks 2x"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-probe-interval 0s"), MF_EINVAL);
	CU_ASSERT_EQUAL(parse_line(&c, "-gossip-nodes 5 -probe-timeout 100ms"), 0);
	struct mf_pool_timing t;
	mf_config_timing(&c, &t);
	CU_ASSERT_EQUAL(t.gossip_nodes, 5);
	CU_ASSERT_EQUAL(t.probe_timeout, 100 * MF_MS);
}

static void test_config_keyring_file_first_key_is_primary(void)
{
	struct mf_agent_config c;
	struct mf_keyring kr;
	char line[256];
	const char *path = write_temp("[\"DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM=\","
				      " \"5K9OtfjP2wD3sXEZpBgUHBEtxZfBeAQZk1dsTlzjG+g=\"]");
	snprintf(line, sizeof(line), "-keyring-file %s", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), 0);
	CU_ASSERT_EQUAL(mf_config_read_keyring(&c, &kr, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_EQUAL(kr.n, 2);
	uint8_t first[MF_KEY_LEN];
	mf_keyring_decode_b64("DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM=", first);
	CU_ASSERT_EQUAL(memcmp(kr.keys[0], first, MF_KEY_LEN), 0);
}

static void test_config_keyring_file_with_a_bad_key_is_rejected(void)
{
	struct mf_agent_config c;
	struct mf_keyring kr;
	char line[256];
	const char *path = write_temp("[\"AAAAAAAAAAAAAAAAAAAAAA==\"]");
	snprintf(line, sizeof(line), "-keyring-file %s", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), 0);
	CU_ASSERT_EQUAL(mf_config_read_keyring(&c, &kr, err, sizeof(err)), MF_EINVAL);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key 1"));
	CU_ASSERT_EQUAL(kr.n, 0);
}

static void test_config_encrypt_and_keyring_file_are_exclusive(void)
{
	struct mf_agent_config c;
	struct mf_keyring kr;
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM= "
				       "-keyring-file /tmp/k.json"),
			0);
	CU_ASSERT_EQUAL(mf_config_read_keyring(&c, &kr, err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-keyring-file"));
}

static void test_config_encrypt_verify_defaults_true_and_lowers_into_the_keyring(void)
{
	struct mf_agent_config c;
	struct mf_keyring kr;
	char line[256];
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="), 0);
	CU_ASSERT_TRUE(c.encrypt_verify_incoming);
	CU_ASSERT_TRUE(c.encrypt_verify_outgoing);
	CU_ASSERT_EQUAL(mf_config_pool_keyring(&c, NULL, &kr, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(kr.accept_plain);
	CU_ASSERT_FALSE(kr.send_plain);
	/* JSON booleans in a file, a flag over them */
	const char *path = write_temp("{\"encrypt_verify_incoming\": false, "
				      "\"encrypt_verify_outgoing\": false}");
	snprintf(line, sizeof(line), "-config-file %s -encrypt-verify-outgoing true", path);
	CU_ASSERT_EQUAL(parse_line(&c, line), 0);
	unlink(path);
	CU_ASSERT_FALSE(c.encrypt_verify_incoming);
	CU_ASSERT_TRUE(c.encrypt_verify_outgoing);
	CU_ASSERT_EQUAL(mf_config_pool_keyring(&c, NULL, &kr, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(kr.accept_plain);
	CU_ASSERT_FALSE(kr.send_plain);
	CU_ASSERT_EQUAL(parse_line(&c, "-encrypt-verify-incoming maybe"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "true or false"));
}

static void test_config_positional_argument_is_a_usage_error(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-node x stray"), MF_FLAGS_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stray"));
}

static void test_config_default_control_uses_env_then_uid(void)
{
	char buf[128], want[64];
	setenv("MESHFED_CONTROL", "/tmp/from-env.sock", 1);
	mf_config_default_control(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "/tmp/from-env.sock");
	unsetenv("MESHFED_CONTROL");
	mf_config_default_control(buf, sizeof(buf));
	snprintf(want, sizeof(want), "/tmp/meshfed-%u.sock", (unsigned)getuid());
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_config_default_route_socket_uses_env_then_uid(void)
{
	char buf[128], want[64];
	setenv("MESHFED_ROUTE_SOCKET", "/tmp/routes-env.sock", 1);
	mf_config_default_route_socket(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "/tmp/routes-env.sock");
	unsetenv("MESHFED_ROUTE_SOCKET");
	mf_config_default_route_socket(buf, sizeof(buf));
	snprintf(want, sizeof(want), "/tmp/meshfed-%u-routes.sock", (unsigned)getuid());
	CU_ASSERT_STRING_EQUAL(buf, want);
}

/* The option table: every flag is a config key that sets the same field. */
static void test_every_flag_is_a_key(void)
{
	for (size_t i = 0; i < mf_agent_flags_n; i++) {
		const char *name = mf_agent_flags[i].name;
		struct mf_agent_config a;
		mf_config_init(&a);
		int r = mf_config_set(&a, name, "zz-not-a-value", err, sizeof(err));
		if (strcmp(name, "config-file") == 0) {
			CU_ASSERT_EQUAL(r, MF_EINVAL);
			CU_ASSERT_STRING_EQUAL(err, "unknown key");
			continue;
		}
		/* Known: any refusal names the value, never "unknown key". */
		CU_ASSERT(r == 0 || strcmp(err, "unknown key") != 0);
	}
	struct mf_agent_config a, b;
	mf_config_init(&a);
	mf_config_init(&b);
	CU_ASSERT_EQUAL(mf_config_set(&a, "retry-max", "3", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mf_config_set(&b, "retry_max", "3", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.retry_max, 3);
	CU_ASSERT_EQUAL(b.retry_max, 3);
	CU_ASSERT_EQUAL(mf_config_set(&a, "retry-max", "-1", err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_config_set(&a, "log-format", "json", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(a.log_json);
	CU_ASSERT_EQUAL(mf_config_set(&a, "metrics_addr", "127.0.0.1:9", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(a.has_metrics_addr);
	CU_ASSERT_EQUAL(mf_config_set(&a, "gossip-nodes", "5", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.timing.gossip_nodes, 5);
	CU_ASSERT_EQUAL(mf_config_set(&a, "colour", "red", err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown key");
}

/* A config file's keys only flags take are unknown there (their file
 * spelling is another: "tags" for -tag, '_' for '-'); the file keys work. */
static void test_file_refuses_the_keys_only_flags_take(void)
{
	static const char *flag_only[] = {
		"{\"tag\": \"a=b\"}", "{\"config_file\": \"x.json\"}", "{\"retry-max\": 3}",
	};
	for (size_t i = 0; i < sizeof(flag_only) / sizeof(flag_only[0]); i++) {
		struct mf_agent_config c;
		mf_config_init(&c);
		json_t *o = json_loads(flag_only[i], 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(mf_config_apply_json(&c, o, err, sizeof(err)), MF_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key"));
		CU_ASSERT_EQUAL(c.n_tags, 0);
		json_decref(o);
	}
	struct mf_agent_config c;
	mf_config_init(&c);
	json_t *o = json_loads("{\"tags\": {\"a\": \"b\"}, \"retry_max\": 3}", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(mf_config_apply_json(&c, o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n_tags, 1);
	CU_ASSERT_EQUAL(c.retry_max, 3);
	json_decref(o);
	o = json_loads("{\"tags\": {\"a\": 1}}", 0, NULL);
	CU_ASSERT_EQUAL(mf_config_apply_json(&c, o, err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "key \"tags\": tag \"a\" must be a string");
	json_decref(o);
}

static void test_config_route_socket_flag_and_keys(void)
{
	struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_line(&c, "-route-socket /tmp/r.sock"), 0);
	CU_ASSERT_STRING_EQUAL(c.route_socket, "/tmp/r.sock");
	CU_ASSERT_STRING_EQUAL(c.route_socket_group, "");
	/* Every option is a flag and a key (one table, cmd/config/config.c). */
	CU_ASSERT_EQUAL(parse_line(&c, "-route-socket-group haproxy"), 0);
	CU_ASSERT_STRING_EQUAL(c.route_socket_group, "haproxy");
}

/* --- areas, routing, gateways (cmd/config/config_areas.c) --- */

static int parse_file(struct mf_agent_config *c, const char *json)
{
	char line[256];
	const char *path = write_temp(json);
	snprintf(line, sizeof(line), "-config-file %s", path);
	int r = parse_line(c, line);
	unlink(path);
	return r;
}

static void test_config_areas_and_wan_off_are_read(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c,
		"{\"wan\": false, \"areas\": [{\"name\": \"a12\", \"peers\": [\"dc1\", \"dc2\"],"
		" \"bind\": \"127.0.0.1:7947\", \"join\": [\"127.0.0.2:7947\"], \"profile\": \"lan\"},"
		" {\"name\": \"a13\", \"bind\": \"127.0.0.1:7948\"}]}"), 0);
	CU_ASSERT_FALSE(c.wan);
	CU_ASSERT_EQUAL(c.n_areas, 2);
	CU_ASSERT_STRING_EQUAL(c.areas[0].name, "a12");
	CU_ASSERT_EQUAL(c.areas[0].n_peers, 2);
	CU_ASSERT_STRING_EQUAL(c.areas[0].peers[1], "dc2");
	CU_ASSERT_EQUAL(c.areas[0].bind.port, 7947);
	CU_ASSERT_EQUAL(c.areas[0].n_join, 1);
	CU_ASSERT_TRUE(c.areas[0].has_profile);
	CU_ASSERT_EQUAL(c.areas[0].profile, MF_PROFILE_LAN);
	CU_ASSERT_FALSE(c.areas[1].has_profile);
}

static void test_config_area_needs_name_and_bind(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c, "{\"areas\": [{\"name\": \"a\"}]}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bind"));
	CU_ASSERT_EQUAL(parse_file(&c, "{\"areas\": [{\"name\": \"wan\", \"bind\": \"1.2.3.4\"}]}"),
			MF_EINVAL);
	CU_ASSERT_EQUAL(parse_file(&c, "{\"areas\": [{\"name\": \"a\", \"bind\": \"1.2.3.4\"},"
				       " {\"name\": \"a\", \"bind\": \"1.2.3.5\"}]}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "two areas"));
}

static void test_config_area_bad_key_and_peer_are_named(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c, "{\"areas\": [{\"name\": \"a\", \"bind\": \"1.2.3.4\","
				       " \"bogus\": 1}]}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bogus"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "areas"));
	CU_ASSERT_EQUAL(parse_file(&c, "{\"areas\": [{\"name\": \"a\", \"bind\": \"1.2.3.4\","
				       " \"peers\": [\"no spaces\"]}]}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "peers"));
}

static void test_config_routing_keys_are_read_and_checked(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c,
		"{\"routing\": {\"default\": \"single-hop\", \"targets\": {\"dc3\": \"multi-hop\"},"
		" \"transit\": false, \"hysteresis_pct\": 20, \"hysteresis_ms\": 1.5}}"), 0);
	CU_ASSERT_EQUAL(c.routing.default_mode, 1);
	CU_ASSERT_EQUAL(c.routing.n_targets, 1);
	CU_ASSERT_STRING_EQUAL(c.routing.targets[0].dc, "dc3");
	CU_ASSERT_EQUAL(c.routing.targets[0].mode, 0);
	CU_ASSERT_FALSE(c.routing.transit);
	CU_ASSERT_DOUBLE_EQUAL(c.routing.hysteresis_pct, 20, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(c.routing.hysteresis_ms, 1.5, 1e-9);
	CU_ASSERT_EQUAL(parse_file(&c, "{\"routing\": {\"default\": \"two-hop\"}}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "routing"));
	CU_ASSERT_EQUAL(parse_file(&c, "{\"routing\": {\"hysteresis_ms\": -1}}"), MF_EINVAL);
}

static void test_config_route_socket_keys_in_a_file(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c, "{\"route_socket\": \"/tmp/g.sock\","
				       " \"route_socket_group\": 1001}"), 0);
	CU_ASSERT_STRING_EQUAL(c.route_socket, "/tmp/g.sock");
	CU_ASSERT_STRING_EQUAL(c.route_socket_group, "1001");
	CU_ASSERT_EQUAL(parse_file(&c, "{\"route_socket_group\": \"haproxy\"}"), 0);
	CU_ASSERT_STRING_EQUAL(c.route_socket_group, "haproxy");
	CU_ASSERT_EQUAL(parse_file(&c, "{\"route_socket\": \"\"}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "route_socket"));
}

static void test_config_require_gateways_is_read_and_checked(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c, "{\"routing\": {\"require_gateways\": true}}"), 0);
	CU_ASSERT_TRUE(c.routing.require_gateways);
	CU_ASSERT_TRUE(c.routing.transit);
	CU_ASSERT_EQUAL(parse_file(&c, "{\"routing\": {\"require_gateways\": 1}}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "require_gateways"));
}

static void test_config_routing_defaults(void)
{
	static struct mf_agent_config c;
	mf_config_init(&c);
	CU_ASSERT_TRUE(c.wan);
	CU_ASSERT_TRUE(c.routing.transit);
	CU_ASSERT_EQUAL(c.routing.default_mode, 0);
	CU_ASSERT_TRUE(c.routing.hysteresis_pct < 0); /* the engine's default */
	CU_ASSERT_FALSE(c.routing.require_gateways);
	CU_ASSERT_EQUAL(c.n_areas, 0);
}

static void test_config_gateways_are_read_and_checked(void)
{
	static struct mf_agent_config c;
	CU_ASSERT_EQUAL(parse_file(&c,
		"{\"gateways\": [{\"name\": \"g1\", \"wan\": \"203.0.113.1:8443\","
		" \"tagged\": {\"dc:dc2\": \"198.51.100.1:8443\"}}]}"), 0);
	CU_ASSERT_EQUAL(c.n_gateways, 1);
	CU_ASSERT_STRING_EQUAL(c.gateways[0].lan, "203.0.113.1:8443"); /* lan defaults to wan */
	CU_ASSERT_EQUAL(c.gateways[0].n_tags, 1);
	CU_ASSERT_STRING_EQUAL(c.gateways[0].tag_keys[0], "dc:dc2");
	CU_ASSERT_EQUAL(parse_file(&c, "{\"gateways\": [{\"name\": \"g\", \"wan\": \"x:1\","
				       " \"tagged\": {\"dc2\": \"y:1\"}}]}"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dc:"));
	CU_ASSERT_EQUAL(parse_file(&c, "{\"gateways\": [{\"name\": \"g\"}]}"), MF_EINVAL);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_duration_accepts_go_units),
		TEST(test_duration_accepts_compound_and_fractions),
		TEST(test_duration_rejects_missing_unit_sign_and_junk),
		TEST(test_flags_accept_single_and_double_dash_and_equals),
		TEST(test_flags_may_follow_positional_arguments),
		TEST(test_flags_double_dash_ends_flags),
		TEST(test_flags_unknown_flag_is_a_usage_error_naming_it),
		TEST(test_flags_missing_value_is_a_usage_error),
		TEST(test_flags_help_is_recognised),
		TEST(test_config_defaults),
		TEST(test_config_flags_set_every_basic_key),
		TEST(test_config_drop_report_interval_defaults_to_30s_and_must_be_positive),
		TEST(test_config_bad_bind_names_the_flag),
		TEST(test_config_bad_profile_and_log_level_are_rejected),
		TEST(test_config_reserved_tags_are_rejected),
		TEST(test_config_encrypt_key_must_be_32_bytes_base64),
		TEST(test_config_file_sets_keys_and_flags_override_it),
		TEST(test_config_file_unknown_key_is_named),
		TEST(test_config_file_bad_value_names_key_and_file),
		TEST(test_config_file_syntax_error_gives_the_line),
		TEST(test_config_missing_file_is_an_error),
		TEST(test_config_integer_timings_are_range_checked),
		TEST(test_config_keyring_file_first_key_is_primary),
		TEST(test_config_keyring_file_with_a_bad_key_is_rejected),
		TEST(test_config_encrypt_and_keyring_file_are_exclusive),
		TEST(test_config_encrypt_verify_defaults_true_and_lowers_into_the_keyring),
		TEST(test_config_positional_argument_is_a_usage_error),
		TEST(test_config_default_control_uses_env_then_uid),
		TEST(test_config_default_route_socket_uses_env_then_uid),
		TEST(test_config_route_socket_flag_and_keys),
		TEST(test_every_flag_is_a_key),
		TEST(test_file_refuses_the_keys_only_flags_take),
		TEST(test_config_route_socket_keys_in_a_file),
		TEST(test_config_require_gateways_is_read_and_checked),
		TEST(test_config_areas_and_wan_off_are_read),
		TEST(test_config_area_needs_name_and_bind),
		TEST(test_config_area_bad_key_and_peer_are_named),
		TEST(test_config_routing_keys_are_read_and_checked),
		TEST(test_config_routing_defaults),
		TEST(test_config_gateways_are_read_and_checked),
	};
	return RUN_SUITE("cli_config", tests);
}

/* tests/cli/test_config_reload.c — cmd/config/config_reload.h: which changes a
 * reload applies in place, which it names as needing a restart, and that
 * taking a new config leaves the restart-only fields as they run. */
#include <stdio.h>
#include <string.h>

#include "cmd/config/config_reload.h"
#include "tests/cunit_main.h"

static void load(struct mf_agent_config *c, const char *json)
{
	char err[256];
	json_error_t je;
	mf_config_init(c);
	json_t *o = json_loads(json, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	int r = mf_config_apply_json(c, o, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL(r, 0);
	json_decref(o);
}

static struct mf_agent_config a, b;

static void test_same_config_changes_nothing(void)
{
	const char *j = "{\"tags\":{\"x\":\"1\"},\"routing\":{\"targets\":{\"dc2\":\"single-hop\"}},"
			"\"bind\":\"127.0.0.1:7000\"}";
	load(&a, j);
	load(&b, j);
	struct mf_config_reload d;
	mf_config_reload_diff(&a, &b, &d);
	CU_ASSERT_FALSE(d.log || d.tags || d.routing || d.gateways || d.keys);
	CU_ASSERT_STRING_EQUAL(d.restart, "");
}

static void test_reloadable_changes(void)
{
	load(&a, "{\"tags\":{\"x\":\"1\"},\"routing\":{\"targets\":{\"dc2\":\"single-hop\"}}}");
	load(&b, "{\"tags\":{\"x\":\"2\"},\"log_level\":\"debug\","
		 "\"routing\":{\"targets\":{\"dc2\":\"multi-hop\"},\"transit\":false},"
		 "\"gateways\":[{\"name\":\"g\",\"wan\":\"10.0.0.1:443\"}]}");
	struct mf_config_reload d;
	mf_config_reload_diff(&a, &b, &d);
	CU_ASSERT_TRUE(d.log && d.tags && d.routing && d.gateways);
	CU_ASSERT_FALSE(d.keys);
	CU_ASSERT_STRING_EQUAL(d.restart, "");
	mf_config_reload_take(&a, &b);
	CU_ASSERT_EQUAL(a.log_level, MF_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(a.tags[0].value, "2");
	CU_ASSERT_FALSE(a.routing.transit);
	CU_ASSERT_EQUAL(a.n_gateways, 1);
	mf_config_reload_diff(&a, &b, &d);
	CU_ASSERT_FALSE(d.log || d.tags || d.routing || d.gateways);
}

static void test_restart_only_named_and_kept(void)
{
	load(&a, "{\"bind\":\"127.0.0.1:7000\",\"probe_interval\":\"1s\",\"leave_timeout\":\"5s\","
		 "\"drop_report_interval\":\"30s\",\"routing\":{\"hysteresis_pct\":10}}");
	load(&b, "{\"bind\":\"127.0.0.1:7001\",\"probe_interval\":\"2s\",\"leave_timeout\":\"5s\","
		 "\"drop_report_interval\":\"5s\","
		 "\"routing\":{\"hysteresis_pct\":20},\"areas\":[{\"name\":\"x\",\"bind\":\"127.0.0.1:7100\"}]}");
	struct mf_config_reload d;
	mf_config_reload_diff(&a, &b, &d);
	CU_ASSERT_STRING_EQUAL(d.restart,
			       "bind, profile/timing, drop_report_interval, areas, routing.hysteresis");
	CU_ASSERT_FALSE(d.tags || d.routing);
	mf_config_reload_take(&a, &b);
	CU_ASSERT_EQUAL(a.bind.port, 7000);
	CU_ASSERT_EQUAL(a.n_areas, 0);
	CU_ASSERT_EQUAL(a.routing.hysteresis_pct, 10);
}

static void test_keys_change(void)
{
	load(&a, "{\"keyring_file\":\"/a\",\"areas\":[{\"name\":\"x\",\"bind\":\"127.0.0.1:7100\",\"keyring_file\":\"/x1\"}]}");
	load(&b, "{\"keyring_file\":\"/a\",\"areas\":[{\"name\":\"x\",\"bind\":\"127.0.0.1:7100\",\"keyring_file\":\"/x2\"}]}");
	struct mf_config_reload d;
	mf_config_reload_diff(&a, &b, &d);
	CU_ASSERT_TRUE(d.keys);
	CU_ASSERT_STRING_EQUAL(d.restart, "");
	const struct mf_area_config *area = &a.areas[0];
	mf_config_reload_take(&a, &b);
	CU_ASSERT_PTR_EQUAL(area, &a.areas[0]);
	CU_ASSERT_STRING_EQUAL(a.areas[0].keyring_file, "/x2");
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_same_config_changes_nothing),
		TEST(test_reloadable_changes),
		TEST(test_restart_only_named_and_kept),
		TEST(test_keys_change),
	};
	return RUN_SUITE("config_reload", tests);
}

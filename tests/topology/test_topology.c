/* Unit tests of routing/topology.c: the file format of
 * shared/docs/topology.md, one behaviour per test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/topology.h"
#include "tests/cunit_main.h"

static const char *EXAMPLE =
	"{\"datacenters\": {"
	"  \"dc1\": {\"servers\": 3, \"gateways\": 1},"
	"  \"dc2\": {\"servers\": 3},"
	"  \"dc3\": {\"servers\": 2, \"transit\": false}},"
	" \"rtt_ms\": {\"dc1\": {\"dc2\": 40, \"dc3\": 120}, \"dc2\": {\"dc3\": 60}},"
	" \"loss\": {\"dc1\": {\"dc3\": 0.05}},"
	" \"jitter_ms\": 0,"
	" \"intra_dc_rtt_ms\": 0.2,"
	" \"areas\": [[\"dc1\", \"dc2\"], [\"dc2\", \"dc3\"]],"
	" \"routing\": {\"default\": \"multi-hop\", \"targets\": {\"dc3\": \"single-hop\"}}}";

static struct mf_topology t;
static char err[256];

static int parse(const char *s)
{
	mf_topology_free(&t);
	return mf_topology_parse(s, strlen(s), &t, err, sizeof err);
}

/* The rejection names the key: err must contain `key`. */
static void assert_rejected(const char *json, const char *key)
{
	int rc = parse(json);
	CU_ASSERT(rc < 0);
	if (!strstr(err, key))
		printf("\n  message \"%s\" does not name \"%s\"\n", err, key);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, key));
	CU_ASSERT_EQUAL(t.n_dcs, 0);
}

static void test_example_file_parses_with_every_field(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(EXAMPLE), 0);
	CU_ASSERT_EQUAL(t.n_dcs, 3);
	CU_ASSERT_STRING_EQUAL(t.dcs[0].name, "dc1");
	CU_ASSERT_STRING_EQUAL(t.dcs[2].name, "dc3");
	CU_ASSERT_EQUAL(t.dcs[0].servers, 3);
	CU_ASSERT_EQUAL(t.dcs[0].gateways, 1);
	CU_ASSERT_EQUAL(t.dcs[1].gateways, 0);
	CU_ASSERT_TRUE(t.dcs[0].transit);
	CU_ASSERT_FALSE(t.dcs[2].transit);
	CU_ASSERT_DOUBLE_EQUAL(mf_topology_rtt(&t, 0, 2), 120, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(mf_topology_loss(&t, 0, 2), 0.05, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.intra_dc_rtt_ms, 0.2, 1e-9);
	CU_ASSERT_EQUAL(t.n_areas, 2);
	CU_ASSERT_EQUAL(t.default_route, MF_TOPOLOGY_MULTI_HOP);
	CU_ASSERT_EQUAL(t.dcs[2].route, MF_TOPOLOGY_SINGLE_HOP);
	CU_ASSERT_EQUAL(t.dcs[1].route, MF_TOPOLOGY_MULTI_HOP);
}

static void test_pair_given_one_way_is_symmetric(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(EXAMPLE), 0);
	CU_ASSERT_DOUBLE_EQUAL(mf_topology_rtt(&t, 1, 0), 40, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(mf_topology_loss(&t, 2, 0), 0.05, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(mf_topology_loss(&t, 0, 1), 0, 1e-9);
}

static void test_areas_cut_links_between_dcs_sharing_none(void)
{
	CU_ASSERT_EQUAL_FATAL(parse(EXAMPLE), 0);
	CU_ASSERT_TRUE(mf_topology_linked(&t, 0, 1));
	CU_ASSERT_TRUE(mf_topology_linked(&t, 2, 1));
	CU_ASSERT_FALSE(mf_topology_linked(&t, 0, 2)); /* rtt given, no area */
}

static void test_absent_pair_has_no_link(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("{\"datacenters\": {\"a\": {}, \"b\": {}}}"), 0);
	CU_ASSERT_FALSE(mf_topology_linked(&t, 0, 1));
	CU_ASSERT_TRUE(mf_topology_rtt(&t, 0, 1) < 0);
}

static void test_defaults_apply_when_keys_absent(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("{\"datacenters\": {\"a\": {\"servers\": 1}}, \"extra\": 1}"), 0);
	CU_ASSERT_DOUBLE_EQUAL(t.jitter_ms, 0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(t.intra_dc_rtt_ms, 0.2, 1e-9);
	CU_ASSERT_EQUAL(t.n_areas, 0);
	CU_ASSERT_TRUE(t.dcs[0].transit);
}

static void test_missing_datacenters_is_rejected(void)
{
	assert_rejected("{\"rtt_ms\": {}}", "datacenters");
}

static void test_unknown_dc_in_rtt_is_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"rtt_ms\": {\"a\": {\"zz\": 10}}}", "rtt_ms.a.zz");
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"rtt_ms\": {\"zz\": {\"a\": 10}}}", "rtt_ms.zz");
}

static void test_unknown_dc_in_loss_areas_routing_is_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"loss\": {\"a\": {\"q\": 0.1}}}", "loss.a.q");
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"areas\": [[\"a\", \"q\"]]}", "areas[0][1]");
	assert_rejected("{\"datacenters\": {\"a\": {}},"
			" \"routing\": {\"targets\": {\"q\": \"single-hop\"}}}",
			"routing.targets.q");
}

static void test_negative_values_are_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"rtt_ms\": {\"a\": {\"b\": -1}}}", "rtt_ms.a.b");
	assert_rejected("{\"datacenters\": {\"a\": {\"servers\": -2}}}",
			"datacenters.a.servers");
	assert_rejected("{\"datacenters\": {\"a\": {}}, \"jitter_ms\": -0.5}",
			"jitter_ms");
	assert_rejected("{\"datacenters\": {\"a\": {}}, \"intra_dc_rtt_ms\": -1}",
			"intra_dc_rtt_ms");
}

static void test_non_numeric_values_are_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"rtt_ms\": {\"a\": {\"b\": \"40\"}}}", "rtt_ms.a.b");
	assert_rejected("{\"datacenters\": {\"a\": {\"gateways\": true}}}",
			"datacenters.a.gateways");
	assert_rejected("{\"datacenters\": {\"a\": {}}, \"jitter_ms\": null}",
			"jitter_ms");
	assert_rejected("{\"datacenters\": {\"a\": {\"servers\": 1.5}}}",
			"datacenters.a.servers");
}

/* A count past UINT_MAX is refused by its bound, before any conversion
 * (the sanitizer build fails this on the old order: the fuzzer's find). */
static void test_huge_counts_are_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {\"servers\": 3e14}}}",
			"datacenters.a.servers");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most"));
	assert_rejected("{\"datacenters\": {\"a\": {\"gateways\": 1e300}}}",
			"datacenters.a.gateways");
}

static void test_loss_above_one_is_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"loss\": {\"a\": {\"b\": 5}}}", "loss.a.b");
}

static void test_contradicting_directions_are_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}, \"b\": {}},"
			" \"rtt_ms\": {\"a\": {\"b\": 10}, \"b\": {\"a\": 20}}}",
			"rtt_ms.b.a");
}

static void test_dc_paired_with_itself_is_rejected(void)
{
	assert_rejected("{\"datacenters\": {\"a\": {}},"
			" \"rtt_ms\": {\"a\": {\"a\": 1}}}", "rtt_ms.a.a");
}

static void test_bad_shapes_are_rejected(void)
{
	assert_rejected("[1]", "topology");
	assert_rejected("{\"datacenters\": []}", "datacenters");
	assert_rejected("{\"datacenters\": {}}", "datacenters");
	assert_rejected("{\"datacenters\": {\"a b\": {}}}", "datacenters.a b");
	assert_rejected("{\"datacenters\": {\"a\": {\"transit\": 1}}}",
			"datacenters.a.transit");
	assert_rejected("{\"datacenters\": {\"a\": {}}, \"routing\": {\"default\": \"x\"}}",
			"routing.default");
	assert_rejected("{\"datacenters\": {\"a\": {}}, \"areas\": {}}", "areas");
}

static void test_invalid_json_is_rejected_with_line(void)
{
	CU_ASSERT_EQUAL(parse("{\"datacenters\": "), MF_EMALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line"));
}

/* The simulator runs up to 1,000 DCs (MF_ROUTING_MAX_DATACENTERS); one
 * more is refused, naming the key. */
static void test_a_thousand_dcs_parse_and_one_more_is_refused(void)
{
	for (int n = 1000; n <= 1001; n++) {
		char *s = malloc((size_t)n * 40 + 64), *w = s;
		w += sprintf(w, "{\"datacenters\": {");
		for (int i = 1; i <= n; i++)
			w += sprintf(w, "%s\"dc%d\": {\"servers\": 1}", i > 1 ? "," : "", i);
		sprintf(w, "}}");
		if (n == 1000) {
			CU_ASSERT_EQUAL(parse(s), 0);
			CU_ASSERT_EQUAL(t.n_dcs, 1000);
			CU_ASSERT_STRING_EQUAL(t.dcs[999].name, "dc1000");
		} else {
			assert_rejected(s, "datacenters");
		}
		free(s);
	}
}

static void test_missing_file_names_the_path(void)
{
	mf_topology_free(&t);
	CU_ASSERT_EQUAL(mf_topology_load_file("/nonexistent/topo.json", &t,
					      err, sizeof err), MF_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/topo.json"));
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_example_file_parses_with_every_field),
		TEST(test_pair_given_one_way_is_symmetric),
		TEST(test_areas_cut_links_between_dcs_sharing_none),
		TEST(test_absent_pair_has_no_link),
		TEST(test_defaults_apply_when_keys_absent),
		TEST(test_missing_datacenters_is_rejected),
		TEST(test_unknown_dc_in_rtt_is_rejected),
		TEST(test_unknown_dc_in_loss_areas_routing_is_rejected),
		TEST(test_negative_values_are_rejected),
		TEST(test_huge_counts_are_rejected),
		TEST(test_non_numeric_values_are_rejected),
		TEST(test_loss_above_one_is_rejected),
		TEST(test_contradicting_directions_are_rejected),
		TEST(test_dc_paired_with_itself_is_rejected),
		TEST(test_bad_shapes_are_rejected),
		TEST(test_invalid_json_is_rejected_with_line),
		TEST(test_missing_file_names_the_path),
		TEST(test_a_thousand_dcs_parse_and_one_more_is_refused),
	};
	int rc = RUN_SUITE("topology", tests);
	mf_topology_free(&t);
	return rc;
}

/*
 * tests/cli/test_metrics.c — the Prometheus renderer (cmd/daemon/metrics.c): stats
 * in, exposition text out, one behaviour per test.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cmd/daemon/metrics.h"
#include "gossip/err.h"
#include "tests/cunit_main.h"

static char *render(const struct mf_metrics *m)
{
	char *out = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(mf_metrics_render(m, &out, &len), 0);
	CU_ASSERT_EQUAL(strlen(out), len);
	return out;
}

static void two_pools(struct mf_metrics_pool p[2])
{
	memset(p, 0, 2 * sizeof(*p));
	p[0].name = "wan";
	p[0].members[MF_MEMBER_ALIVE] = 3;
	p[0].members[MF_MEMBER_FAILED] = 1;
	p[0].pool.probes = 42;
	p[0].pool.probe_failures = 2;
	p[0].pool.bytes_in = 1000;
	p[0].pool.health_score = 1;
	p[0].pool.bad_by_cause[-MF_EMALFORMED] = 5;
	p[0].coords.rejected = 1;
	p[0].coords.bad_payload = 2;
	p[0].coord_error = 0.25;
	p[0].intents_pruned = 8;
	p[1].name = "a\"b";
	p[1].members[MF_MEMBER_LEFT] = 7;
}

static void test_pool_samples(void)
{
	struct mf_metrics_pool p[2];
	two_pools(p);
	struct mf_metrics m = {p, 2, NULL, NULL, NULL, 1.5};
	char *t = render(&m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_members{pool=\"wan\",status=\"alive\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_members{pool=\"wan\",status=\"failed\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_probes_total{pool=\"wan\"} 42\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_probe_failures_total{pool=\"wan\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_received_bytes_total{pool=\"wan\"} 1000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_health_score{pool=\"wan\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(t, "meshfed_coordinate_rejected_samples_total{pool=\"wan\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_coordinate_error{pool=\"wan\"} 0.25\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_serf_intents_pruned_total{pool=\"wan\"} 8\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_uptime_seconds 1.500\n"));
	free(t);
}

static void test_bad_packets_by_cause_only_nonzero(void)
{
	struct mf_metrics_pool p[2];
	two_pools(p);
	struct mf_metrics m = {p, 2, NULL, NULL, NULL, 0};
	char *t = render(&m);
	char want[256];
	snprintf(want, sizeof(want), "meshfed_bad_packets_total{pool=\"wan\",cause=\"%s\"} 5\n",
		 mf_strerror(MF_EMALFORMED));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, want));
	/* One sample: the zero causes are left out. */
	char *first = strstr(t, "meshfed_bad_packets_total{");
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_PTR_NULL(strstr(first + 1, "meshfed_bad_packets_total{"));
	free(t);
}

static void test_label_escaped(void)
{
	struct mf_metrics_pool p[2];
	two_pools(p);
	struct mf_metrics m = {p, 2, NULL, NULL, NULL, 0};
	char *t = render(&m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_members{pool=\"a\\\"b\",status=\"left\"} 7\n"));
	free(t);
}

static void test_every_family_typed_once_and_counters_end_total(void)
{
	struct mf_metrics_pool p[2];
	two_pools(p);
	struct mf_metrics_routing rt;
	memset(&rt, 0, sizeof(rt));
	rt.version = 9;
	rt.node.recomputes = 4;
	struct mf_metrics_route_socket rs;
	memset(&rs, 0, sizeof(rs));
	rs.subscribers = 2;
	rs.slowest_lag = 3;
	rs.pub.bytes = 77;
	rt.routes[MF_ROUTE_VIA] = 5;
	rt.node.bytes_in = 1234;
	p[0].queue_user = 6;
	struct mf_metrics_agent ag = {3, 1, 2, 40};
	struct mf_metrics m = {p, 2, &rt, &rs, &ag, 0};
	char *t = render(&m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_routing_routes{status=\"via\"} 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_routing_routes{status=\"unreachable\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_routing_advert_received_bytes_total 1234\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(t, "meshfed_broadcast_queue_depth{pool=\"wan\",kind=\"user\"} 6\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_config_reloads_total{result=\"ok\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_config_reloads_total{result=\"error\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_monitor_dropped_lines_total 40\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_routing_table_version 9\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_routing_recomputes_total 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_route_socket_subscribers 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_route_socket_slowest_lag 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "meshfed_route_socket_sent_bytes_total 77\n"));
	int types = 0;
	for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n")) {
		char name[128], type[32];
		if (sscanf(l, "# TYPE %127s %31s", name, type) != 2)
			continue;
		types++;
		CU_ASSERT_EQUAL(strncmp(name, "meshfed_", 8), 0);
		size_t n = strlen(name);
		bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
		CU_ASSERT_EQUAL(total, strcmp(type, "counter") == 0);
	}
	CU_ASSERT(types > 25);
	free(t);
}

static void test_no_routing_no_routing_families(void)
{
	struct mf_metrics_pool p[2];
	two_pools(p);
	struct mf_metrics m = {p, 1, NULL, NULL, NULL, 0};
	char *t = render(&m);
	CU_ASSERT_PTR_NULL(strstr(t, "meshfed_routing_"));
	CU_ASSERT_PTR_NULL(strstr(t, "meshfed_route_socket_"));
	CU_ASSERT_PTR_NULL(strstr(t, "a\\\"b")); /* n_pools 1: the second is not shown */
	free(t);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "pool samples", test_pool_samples },
		{ "bad packets by cause", test_bad_packets_by_cause_only_nonzero },
		{ "label escaped", test_label_escaped },
		{ "families typed, counters _total", test_every_family_typed_once_and_counters_end_total },
		{ "no routing", test_no_routing_no_routing_families },
	};
	return RUN_SUITE("metrics", tests);
}

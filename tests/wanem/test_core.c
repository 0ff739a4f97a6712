/* Unit tests of wanem's pure parts: the link table and its control language
 * (net.c), the release-time heap (queue.c) and host naming (hosts.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/topology.h"
#include "tests/wanem/hosts.h"
#include "tests/wanem/net.h"
#include "tests/wanem/queue.h"
#include "tests/cunit_main.h"

static const char *TOPO =
	"{\"datacenters\": {\"dc1\": {\"servers\": 2, \"gateways\": 1},"
	" \"dc2\": {\"servers\": 1}, \"dc3\": {\"servers\": 1}},"
	" \"rtt_ms\": {\"dc1\": {\"dc2\": 40, \"dc3\": 100}},"
	" \"loss\": {\"dc1\": {\"dc2\": 0.25}}, \"intra_dc_rtt_ms\": 0.4}";

static struct mf_topology topo;
static struct mf_wanem_net net;
static char reply[1024];

static int setup(void)
{
	char err[256];
	if (mf_topology_parse(TOPO, strlen(TOPO), &topo, err, sizeof err))
		return 1;
	return 0;
}

static int teardown(void)
{
	mf_topology_free(&topo);
	return 0;
}

static void fresh(void)
{
	mf_wanem_net_free(&net);
	CU_ASSERT_EQUAL_FATAL(mf_wanem_net_init(&net, &topo), 0);
}

static int cmd(const char *line)
{
	return mf_wanem_net_command(&net, line, reply, sizeof reply);
}

static void test_one_way_delay_is_half_the_rtt(void)
{
	fresh();
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, 0), 50000000);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 2, 0, UINT32_MAX, 0), 50000000);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 1, 1, 0, 0), 200000);
}

static void test_absent_pair_drops_as_no_link(void)
{
	fresh();
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 1, 2, UINT32_MAX, 0),
			MF_WANEM_DROP_NOLINK);
	CU_ASSERT_FALSE(mf_wanem_net_passes(&net, 1, 2));
}

static void test_loss_drops_below_the_threshold_only(void)
{
	fresh();
	/* 0.25 of 2^32 = 0x40000000 */
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 1, 0x3fffffff, 0),
			MF_WANEM_DROP_LOSS);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 1, 0x40000000, 0), 20000000);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, 0, 0), 50000000);
}

static void test_link_down_blocks_both_directions_and_up_restores(void)
{
	fresh();
	CU_ASSERT_EQUAL(cmd("link dc1 dc3 down"), 0);
	CU_ASSERT_STRING_EQUAL(reply, "ok");
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, 0), MF_WANEM_DROP_DOWN);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 2, 0, UINT32_MAX, 0), MF_WANEM_DROP_DOWN);
	CU_ASSERT_FALSE(mf_wanem_net_passes(&net, 2, 0));
	CU_ASSERT_EQUAL(cmd("link dc3 dc1 up"), 0);
	CU_ASSERT_TRUE(mf_wanem_net_passes(&net, 0, 2));
}

static void test_link_down_oneway_blocks_one_direction(void)
{
	fresh();
	CU_ASSERT_EQUAL(cmd("link dc3 dc1 down oneway"), 0);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 2, 0, UINT32_MAX, 0), MF_WANEM_DROP_DOWN);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, 0), 50000000);
	CU_ASSERT_EQUAL(cmd("show"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "dc1-dc3:rtt=100,loss=0%,down-back"));
	CU_ASSERT_EQUAL(cmd("link dc3 dc1 up oneway"), 0);
	CU_ASSERT_TRUE(mf_wanem_net_passes(&net, 2, 0));
	CU_ASSERT_EQUAL(cmd("link dc1 dc3 down sideways"), MF_EINVAL);
}

static void test_delay_and_loss_commands_change_both_directions(void)
{
	fresh();
	CU_ASSERT_EQUAL(cmd("delay dc1 dc3 10"), 0);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 2, 0, UINT32_MAX, 0), 5000000);
	CU_ASSERT_EQUAL(cmd("loss dc3 dc1 100"), 0);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX - 1, 0),
			MF_WANEM_DROP_LOSS);
	CU_ASSERT_EQUAL(cmd("loss dc3 dc1 0"), 0);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, 0, 0), 5000000);
}

static void test_partition_cuts_between_groups_and_heal_restores(void)
{
	fresh();
	CU_ASSERT_EQUAL(cmd("partition dc1 dc2,dc3"), 0);
	CU_ASSERT_FALSE(mf_wanem_net_passes(&net, 0, 1));
	CU_ASSERT_FALSE(mf_wanem_net_passes(&net, 2, 0));
	CU_ASSERT_EQUAL(cmd("link dc1 dc2 down"), 0);
	CU_ASSERT_EQUAL(cmd("heal"), 0);
	CU_ASSERT_TRUE(mf_wanem_net_passes(&net, 0, 1));
	CU_ASSERT_TRUE(mf_wanem_net_passes(&net, 0, 2));
}

static void test_jitter_keeps_the_mean_and_stays_in_bounds(void)
{
	fresh();
	net.jitter_ns = 2000000; /* +-1 ms one way */
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, 0), 49000000);
	int64_t hi = mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, UINT32_MAX);
	CU_ASSERT(hi > 50999000 && hi <= 51000000);
	CU_ASSERT_EQUAL(mf_wanem_net_verdict(&net, 0, 2, UINT32_MAX, 0x80000000u),
			50000000);
}

static void test_bad_commands_are_refused_with_a_reason(void)
{
	fresh();
	CU_ASSERT_EQUAL(cmd("link dc1 dc9 down"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "dc9"));
	CU_ASSERT_EQUAL(cmd("link dc2 dc3 down"), MF_EINVAL); /* no such link */
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "no link"));
	CU_ASSERT_EQUAL(cmd("delay dc1 dc2 -3"), MF_EINVAL);
	CU_ASSERT_EQUAL(cmd("loss dc1 dc2 101"), MF_EINVAL);
	CU_ASSERT_EQUAL(cmd("loss dc1 dc2 abc"), MF_EINVAL);
	CU_ASSERT_EQUAL(cmd("partition dc1 dc1,dc2"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "both groups"));
	CU_ASSERT_EQUAL(cmd("link dc1 dc2 sideways"), MF_EINVAL);
	CU_ASSERT_EQUAL(cmd("reboot"), MF_EINVAL);
	CU_ASSERT_EQUAL(strncmp(reply, "error: ", 7), 0);
}

static struct mf_wanem_pkt *pkt(int64_t release)
{
	struct mf_wanem_pkt *p = mf_wanem_pkt_new(4);
	p->release_ns = release;
	p->len = 4;
	return p;
}

static void test_queue_releases_in_time_order_fifo_on_ties(void)
{
	struct mf_wanem_queue q;
	CU_ASSERT_EQUAL_FATAL(mf_wanem_queue_init(&q, 100000), 0);
	int64_t times[] = {50, 10, 30, 10, 70, 20, 30};
	struct mf_wanem_pkt *in[7];
	for (int i = 0; i < 7; i++) {
		in[i] = pkt(times[i]);
		CU_ASSERT_EQUAL(mf_wanem_queue_push(&q, in[i]), 0);
	}
	for (int i = 0; i < 3000; i++) /* exercise growth */
		CU_ASSERT_EQUAL(mf_wanem_queue_push(&q, pkt(1000 + (i * 7919) % 3000)), 0);
	CU_ASSERT_PTR_NULL(mf_wanem_queue_pop_due(&q, 9));
	struct mf_wanem_pkt *expect[] = {in[1], in[3], in[5], in[2], in[6], in[0], in[4]};
	for (int i = 0; i < 7; i++) {
		struct mf_wanem_pkt *p = mf_wanem_queue_pop_due(&q, 100);
		CU_ASSERT_PTR_EQUAL(p, expect[i]);
		mf_wanem_pkt_free(p);
	}
	CU_ASSERT_PTR_NULL(mf_wanem_queue_pop_due(&q, 999));
	int64_t last = 0;
	struct mf_wanem_pkt *p;
	int n = 0;
	while ((p = mf_wanem_queue_pop_due(&q, 1 << 30))) {
		CU_ASSERT(p->release_ns >= last);
		last = p->release_ns;
		mf_wanem_pkt_free(p);
		n++;
	}
	CU_ASSERT_EQUAL(n, 3000);
	mf_wanem_queue_free(&q);
}

static void test_queue_refuses_past_its_limit(void)
{
	struct mf_wanem_queue q;
	CU_ASSERT_EQUAL_FATAL(mf_wanem_queue_init(&q, 2), 0);
	CU_ASSERT_EQUAL(mf_wanem_queue_push(&q, pkt(1)), 0);
	CU_ASSERT_EQUAL(mf_wanem_queue_push(&q, pkt(2)), 0);
	struct mf_wanem_pkt *p = pkt(3);
	CU_ASSERT_EQUAL(mf_wanem_queue_push(&q, p), MF_ETOOBIG);
	mf_wanem_pkt_free(p);
	mf_wanem_queue_free(&q);
}

static void test_hosts_are_named_and_addressed_per_dc(void)
{
	struct mf_wanem_host *h;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(mf_wanem_hosts_build(&topo, "t1", &h, &n), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_STRING_EQUAL(h[0].name, "dc1-s1");
	CU_ASSERT_STRING_EQUAL(h[0].netns, "wn-t1-dc1-s1");
	CU_ASSERT_EQUAL(h[0].addr, 0xc6120101u);       /* 198.18.1.1 */
	CU_ASSERT_STRING_EQUAL(h[2].name, "dc1-g1");
	CU_ASSERT_EQUAL(h[2].addr, 0xc6120165u);       /* 198.18.1.101 */
	CU_ASSERT_STRING_EQUAL(h[4].name, "dc3-s1");
	CU_ASSERT_EQUAL(h[4].addr, 0xc6120301u);       /* 198.18.3.1 */
	CU_ASSERT_EQUAL(h[4].dc, 2);
	CU_ASSERT_EQUAL(mf_wanem_hosts_find(h, n, "dc2-s1"), 3);
	CU_ASSERT_EQUAL(mf_wanem_hosts_find(h, n, "dc2-s2"), MF_ENOTFOUND);
	free(h);
	CU_ASSERT_EQUAL(mf_wanem_hosts_build(&topo, "Bad Name", &h, &n), MF_EINVAL);
	/* Past 254 DCs there is no 198.18.<dc>.x: refused, not wrapped. */
	struct mf_topology big = topo;
	big.n_dcs = MF_TOPOLOGY_WANEM_DC_MAX + 1;
	CU_ASSERT_EQUAL(mf_wanem_hosts_build(&big, "t1", &h, &n), MF_ETOOBIG);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_one_way_delay_is_half_the_rtt),
		TEST(test_absent_pair_drops_as_no_link),
		TEST(test_loss_drops_below_the_threshold_only),
		TEST(test_link_down_blocks_both_directions_and_up_restores),
		TEST(test_link_down_oneway_blocks_one_direction),
		TEST(test_delay_and_loss_commands_change_both_directions),
		TEST(test_partition_cuts_between_groups_and_heal_restores),
		TEST(test_jitter_keeps_the_mean_and_stays_in_bounds),
		TEST(test_bad_commands_are_refused_with_a_reason),
		TEST(test_queue_releases_in_time_order_fifo_on_ties),
		TEST(test_queue_refuses_past_its_limit),
		TEST(test_hosts_are_named_and_addressed_per_dc),
	};
	/* One network for all the tests: built before, freed after. */
	if (setup() != 0)
		return 1;
	int rc = RUN_SUITE("wanem_core", tests);
	(void)teardown();
	mf_wanem_net_free(&net);
	return rc;
}

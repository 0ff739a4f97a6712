/* mf_pool_next_wake (gossip/pool.h): an idle pool's shell is not woken for
 * gossip ticks that would send nothing, and a broadcast queued between two
 * ticks goes out on the gossip grid, not at once (issue 12). */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "cmd/sim/simnet.h"
#include "gossip/pool.h"
#include "tests/cunit_main.h"

#define N 4

static struct mf_simnet *settled_pool(void)
{
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	c.n = N;
	c.uniform_delay_ms = 0.1;
	c.seed = 7;
	c.profile = MF_PROFILE_LAN;
	CU_ASSERT_FATAL(mf_simnet_new(&c, &net) == 0);
	for (size_t i = 1; i < N; i++)
		CU_ASSERT_FATAL(mf_simnet_join(net, i, 0) == 0);
	/* joins, then every alive retransmitted to its limit and acked */
	CU_ASSERT_FATAL(mf_simnet_run_until(net, 30 * MF_SEC) == 0);
	return net;
}

static void test_idle_pool_is_not_woken_for_gossip_ticks(void)
{
	struct mf_simnet *net = settled_pool();
	mf_pool_t *p = mf_simnet_pool(net, 0);
	mf_time_t now = mf_simnet_now(net);
	const struct mf_pool_config *cfg = mf_pool_config(p);
	mf_time_t gi = cfg->timing.gossip_interval;
	CU_ASSERT_EQUAL(mf_pool_alive_count(p), N);
	/* a gossip tick is always due within one interval ... */
	CU_ASSERT(mf_pool_next_deadline(p) <= now + gi);
	/* ... but the shell need not wake for it: the next wake is another
	 * timer's (here the probe's, 1 s apart, or its timeout) */
	int idle = 0;
	for (int k = 0; k < 50; k++) {
		mf_time_t t = now + (mf_time_t)k * gi / 5;
		CU_ASSERT_FATAL(mf_simnet_run_until(net, t) == 0);
		mf_time_t w = mf_pool_next_wake(p, t);
		CU_ASSERT(w >= mf_pool_next_deadline(p));
		idle += w > mf_pool_next_deadline(p);
	}
	CU_ASSERT(idle > 25);
	mf_simnet_free(net);
}

static size_t udp_outputs(mf_pool_t *p)
{
	struct mf_pool_out o;
	size_t n = 0;
	while (mf_pool_next_output(p, &o) == 1)
		n += o.kind == MF_OUT_UDP;
	return n;
}

static void test_broadcast_queued_when_idle_goes_out_on_the_gossip_grid(void)
{
	struct mf_simnet *net = settled_pool();
	mf_pool_t *p = mf_simnet_pool(net, 0);
	mf_time_t gi = mf_pool_config(p)->timing.gossip_interval;
	mf_time_t t = mf_simnet_now(net);
	/* driven as the agent's shell drives it, by mf_pool_next_wake: its
	 * gossip tick falls behind while nothing is queued */
	for (int k = 0; k < 20 && mf_pool_next_wake(p, t) < t + 2 * gi; k++) {
		t = mf_pool_next_wake(p, t);
		mf_pool_tick(p, t);
		(void)udp_outputs(p);
	}
	CU_ASSERT_FATAL(mf_pool_next_wake(p, t) >= t + 2 * gi); /* an idle gap */
	mf_time_t mid = t + gi + gi / 2;
	CU_ASSERT(mf_pool_next_deadline(p) < mid); /* the stale gossip tick */
	CU_ASSERT_EQUAL(mf_pool_broadcast_user(p, "k", (const uint8_t *)"\x01x", 2), 0);
	mf_time_t w = mf_pool_next_wake(p, mid);
	CU_ASSERT(w >= mid); /* not at once, for a tick long past */
	CU_ASSERT(w <= mid + gi);
	mf_pool_tick(p, w);
	CU_ASSERT(udp_outputs(p) >= 1); /* gossiped then */
	mf_simnet_free(net);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_idle_pool_is_not_woken_for_gossip_ticks),
		TEST(test_broadcast_queued_when_idle_goes_out_on_the_gossip_grid),
	};
	return RUN_SUITE("gossip_pool_wake", tests);
}

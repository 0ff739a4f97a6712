/* The pool's per-state counts (gossip/pool_internal.h, mf_pool__set_state):
 * mf_pool_alive_count, reap and reconnect read them instead of scanning the
 * records on a timer (issue 12). Through joins, kills, a leave, a forced
 * leave, restarts and reaps, every pool's count must equal a scan of its
 * members at every step. */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "cmd/sim/simnet.h"
#include "gossip/pool.h"
#include "gossip/pool_internal.h" /* the counts themselves */
#include "tests/cunit_main.h"

#define N 12

static void short_timeouts(void *ctx, size_t i, struct mf_pool_config *c)
{
	(void)ctx;
	(void)i;
	/* reaps within the test: failed after 20 s, left after 25 s */
	c->timing.reconnect_timeout = 20 * MF_SEC;
	c->timing.tombstone_timeout = 25 * MF_SEC;
	c->timing.reconnect_interval = 3 * MF_SEC;
}

/* Whether p's counts (alive, failed, left) equal a scan of its members. */
static bool counts_right(const mf_pool_t *p)
{
	size_t alive = 0, failed = 0, left = 0;
	for (size_t i = 0; i < mf_pool_member_count(p); i++) {
		struct mf_member m;
		if (mf_pool_member_at(p, i, &m) != 0)
			return false;
		alive += m.status == MF_MEMBER_ALIVE || m.status == MF_MEMBER_SUSPECT;
		failed += m.status == MF_MEMBER_FAILED;
		left += m.status == MF_MEMBER_LEFT;
	}
	return mf_pool_alive_count(p) == alive && p->n_dead == failed && p->n_left == left;
}

/* Runs to t in small steps; every up pool's count against its scan. */
static size_t run_checked(struct mf_simnet *net, mf_time_t t, size_t *checks)
{
	size_t bad = 0;
	for (mf_time_t s = mf_simnet_now(net); s < t;) {
		s += 100 * MF_MS;
		CU_ASSERT_FATAL(mf_simnet_run_until(net, s) == 0);
		for (size_t i = 0; i < N; i++) {
			mf_pool_t *p = mf_simnet_pool(net, i);
			if (p == NULL || !mf_simnet_is_up(net, i))
				continue;
			bad += !counts_right(p);
			(*checks)++;
		}
	}
	return bad;
}

static void test_alive_count_follows_every_state_change(void)
{
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	size_t checks = 0, bad = 0;
	c.n = N;
	c.uniform_delay_ms = 1;
	c.seed = 11;
	c.profile = MF_PROFILE_LAN;
	c.configure = short_timeouts;
	CU_ASSERT_FATAL(mf_simnet_new(&c, &net) == 0);
	for (size_t i = 1; i < N; i++)
		CU_ASSERT_FATAL(mf_simnet_join(net, i, 0) == 0);
	bad += run_checked(net, 10 * MF_SEC, &checks);
	CU_ASSERT_EQUAL(mf_pool_alive_count(mf_simnet_pool(net, 0)), N);

	mf_simnet_kill(net, 3);
	mf_simnet_kill(net, 4);
	CU_ASSERT_FATAL(mf_simnet_leave(net, 5) == 0);
	bad += run_checked(net, 25 * MF_SEC, &checks);
	/* failed and left are seen as such, not alive */
	CU_ASSERT_EQUAL(mf_pool_alive_count(mf_simnet_pool(net, 0)), N - 3);

	/* a failed member forced to left, another restarted */
	CU_ASSERT_EQUAL(mf_pool_force_leave(mf_simnet_pool(net, 0), mf_simnet_now(net), "n004"), 0);
	CU_ASSERT_FATAL(mf_simnet_restart(net, 3, 0) == 0);
	bad += run_checked(net, 40 * MF_SEC, &checks);
	CU_ASSERT_EQUAL(mf_pool_alive_count(mf_simnet_pool(net, 0)), N - 2);

	/* the reaps (20 and 25 s after failing or leaving) take records out */
	mf_simnet_kill(net, 7);
	bad += run_checked(net, 100 * MF_SEC, &checks);
	mf_pool_t *p0 = mf_simnet_pool(net, 0);
	CU_ASSERT(mf_pool_member_count(p0) < N); /* something was reaped */
	CU_ASSERT_EQUAL(mf_pool_alive_count(p0), N - 3);
	CU_ASSERT(checks > 10000);
	CU_ASSERT_EQUAL(bad, 0);
	mf_simnet_free(net);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_alive_count_follows_every_state_change),
	};
	return RUN_SUITE("gossip_pool_counts", tests);
}

/*
 * tests/coord_tracker/test_tracker_pools.c — the tracker plugged into real
 * pools (gossip/pool.h) on the virtual-time network (cmd/sim/simnet.h),
 * exactly as the agent plugs it: mf_coord_tracker_delegate on the pool's
 * config, mf_coord_tracker_on_event on its events.
 */
#include <CUnit/Basic.h>
#include <string.h>

#include "cmd/sim/simnet.h"
#include "coord/tracker.h"
#include "tests/cunit_main.h"

#define N 3

struct world {
	struct mf_coord_tracker t[N];
	bool ready[N];
	mf_time_t reconnect_timeout; /* 0: the profile's */
};

static void configure(void *ctx, size_t i, struct mf_pool_config *c)
{
	struct world *w = ctx;
	if (w->ready[i])
		mf_coord_tracker_free(&w->t[i]);
	w->ready[i] = mf_coord_tracker_init(&w->t[i], c->name, NULL) == 0;
	if (w->ready[i])
		mf_coord_tracker_delegate(&w->t[i], &c->delegate);
	if (w->reconnect_timeout > 0)
		c->timing.reconnect_timeout = w->reconnect_timeout;
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct world *w = ctx;
	(void)now;
	if (w->ready[i])
		mf_coord_tracker_on_event(&w->t[i], ev);
}

/* N pools, 25 ms one way (50 ms RTT), lan profile, all joined to node 0. */
static struct mf_simnet *make_net(struct world *w)
{
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	c.n = N;
	c.uniform_delay_ms = 25.0;
	c.seed = 7;
	c.profile = MF_PROFILE_LAN;
	c.configure = configure;
	c.on_event = on_event;
	c.ctx = w;
	CU_ASSERT_EQUAL_FATAL(mf_simnet_new(&c, &net), 0);
	for (size_t i = 1; i < N; i++)
		CU_ASSERT_EQUAL(mf_simnet_join(net, i, 0), 0);
	return net;
}

static void free_world(struct world *w)
{
	for (size_t i = 0; i < N; i++)
		if (w->ready[i])
			mf_coord_tracker_free(&w->t[i]);
}

static void test_probes_feed_every_tracker_the_peers_rtt_and_coordinate(void)
{
	struct world w = { 0 };
	struct mf_simnet *net = make_net(&w);
	mf_simnet_run_until(net, 20 * MF_SEC);
	for (size_t i = 0; i < N; i++) {
		const struct mf_coord_tracker_stats *st = mf_coord_tracker_stats(&w.t[i]);
		CU_ASSERT(st->updates >= 10);
		CU_ASSERT_EQUAL(st->bad_payload + st->rejected + st->empty, 0);
		CU_ASSERT_EQUAL(mf_coord_tracker_count(&w.t[i]), N - 1);
		for (size_t j = 0; j < N; j++) {
			double est;
			int measured = 0;
			struct mf_coord c;
			if (j == i)
				continue;
			CU_ASSERT_EQUAL(mf_coord_tracker_get(&w.t[i], w.t[j].self, &c), 0);
			CU_ASSERT_EQUAL(c.dim, 8);
			CU_ASSERT_EQUAL(mf_coord_tracker_estimate(&w.t[i], w.t[j].self, &est, &measured), 0);
			CU_ASSERT_EQUAL(measured, 1);
			CU_ASSERT_DOUBLE_EQUAL(est, 0.050, 1e-6); /* virtual time: exact */
		}
	}
	mf_simnet_free(net);
	free_world(&w);
}

static void test_coordinates_settle_at_the_network_rtt(void)
{
	struct world w = { 0 };
	struct mf_simnet *net = make_net(&w);
	double d;
	mf_simnet_run_until(net, 120 * MF_SEC);
	/* 0's view of the distance 1 <-> 2, both from received coordinates */
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&w.t[0], w.t[1].self, w.t[2].self, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.050, 0.005);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&w.t[0], w.t[0].self, w.t[1].self, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.050, 0.005);
	mf_simnet_free(net);
	free_world(&w);
}

static void test_reaped_member_is_forgotten_by_every_tracker(void)
{
	struct world w = { .reconnect_timeout = 20 * MF_SEC };
	struct mf_simnet *net = make_net(&w);
	struct mf_coord c;
	mf_simnet_run_until(net, 10 * MF_SEC);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&w.t[0], "n002", &c), 0);
	mf_simnet_kill(net, 2);
	mf_simnet_run_until(net, 90 * MF_SEC); /* detect, fail, reap */
	for (size_t i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(mf_coord_tracker_get(&w.t[i], "n002", &c), MF_ENOTFOUND);
		CU_ASSERT_EQUAL(mf_coord_tracker_stats(&w.t[i])->forgotten, 1);
		CU_ASSERT_EQUAL(mf_coord_tracker_count(&w.t[i]), 1);
	}
	mf_simnet_free(net);
	free_world(&w);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_probes_feed_every_tracker_the_peers_rtt_and_coordinate),
		TEST(test_coordinates_settle_at_the_network_rtt),
		TEST(test_reaped_member_is_forgotten_by_every_tracker),
	};
	return RUN_SUITE("coord_tracker_pools", tests);
}

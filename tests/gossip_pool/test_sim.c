/* Virtual-time scenarios: 16 pools (lan profile) on cmd/sim/simnet. Every
 * run is deterministic (fixed seeds). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "cmd/sim/simnet.h"
#include "tests/cunit_main.h"

#define N 16

struct tally {
	int failed[N][N]; /* [observer][target]: FAILED events */
	int left[N][N];
	int joined[N][N];
	int failed_total;
	mf_time_t last_failed_at;
	uint64_t trace;   /* FNV-1a of every event of every pool, in order */
};

static struct tally tally;

static int node_index(const char *name)
{
	int i;
	if (name == NULL || sscanf(name, "n%d", &i) != 1 || i < 0 || i >= N)
		return -1;
	return i;
}

static void hash(const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t k = 0; k < len; k++)
		tally.trace = (tally.trace ^ b[k]) * 1099511628211ull;
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	hash(&i, sizeof(i));
	hash(&now, sizeof(now));
	hash(&ev->kind, sizeof(ev->kind));
	hash(&ev->join_id, sizeof(ev->join_id));
	hash(&ev->ok, sizeof(ev->ok));
	if (ev->name != NULL)
		hash(ev->name, strlen(ev->name) + 1);
	int t = node_index(ev->name);
	if (t < 0)
		return;
	if (ev->kind == MF_EV_JOIN)
		tally.joined[i][t]++;
	if (ev->kind == MF_EV_FAILED) {
		tally.failed[i][t]++;
		tally.failed_total++;
		tally.last_failed_at = now;
	} else if (ev->kind == MF_EV_LEFT) {
		tally.left[i][t]++;
	}
}

static struct mf_simnet *make_net(double loss, uint64_t seed)
{
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	memset(&tally, 0, sizeof(tally));
	tally.trace = 14695981039346656037ull;
	c.n = N;
	c.uniform_delay_ms = 1.0;
	c.loss = loss;
	c.seed = seed;
	c.profile = MF_PROFILE_LAN;
	c.on_event = on_event;
	CU_ASSERT_EQUAL_FATAL(mf_simnet_new(&c, &net), 0);
	/* Staggered joins, each to the previous node, as an operator would. */
	for (size_t i = 1; i < N; i++) {
		mf_simnet_run_until(net, (mf_time_t)i * 50 * MF_MS);
		CU_ASSERT_EQUAL(mf_simnet_join(net, i, i - 1), 0);
	}
	return net;
}

/* How many up pools see `target` with status s (and all up pools count). */
static int count_seeing(struct mf_simnet *net, const char *target, enum mf_member_status s, int *up)
{
	int n = 0;
	*up = 0;
	for (size_t i = 0; i < N; i++) {
		mf_pool_t *p = mf_simnet_pool(net, i);
		struct mf_member m;
		if (p == NULL)
			continue;
		(*up)++;
		if (strcmp(mf_pool_name(p), target) == 0)
			continue;
		if (mf_pool_member_find(p, target, &m) == 0 && m.status == s)
			n++;
	}
	return n;
}

/* Every up pool sees exactly `alive` members alive. */
static bool all_see_alive(struct mf_simnet *net, size_t alive)
{
	for (size_t i = 0; i < N; i++) {
		mf_pool_t *p = mf_simnet_pool(net, i);
		if (p == NULL)
			continue;
		size_t a = 0;
		for (size_t k = 0; k < mf_pool_member_count(p); k++) {
			struct mf_member m;
			mf_pool_member_at(p, k, &m);
			a += m.status == MF_MEMBER_ALIVE;
		}
		if (a != alive)
			return false;
	}
	return true;
}

/* Runs until cond holds (checked every 100 ms) or `limit`; returns the time. */
static mf_time_t run_until_all_alive(struct mf_simnet *net, size_t alive, mf_time_t limit)
{
	mf_time_t t = mf_simnet_now(net);
	while (t < limit && !all_see_alive(net, alive)) {
		t += 100 * MF_MS;
		mf_simnet_run_until(net, t);
	}
	return t;
}

static void test_sixteen_pools_join_and_all_see_sixteen_alive(void)
{
	struct mf_simnet *net = make_net(0, 1);
	mf_time_t t = run_until_all_alive(net, N, 30 * MF_SEC);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	printf("\n    converged at %.1f s ", (double)t / MF_SEC);
	mf_simnet_run_until(net, 60 * MF_SEC);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	CU_ASSERT_EQUAL(tally.failed_total, 0);
	mf_simnet_free(net);
}

static void test_killed_pool_marked_failed_by_all_within_suspicion_bound(void)
{
	struct mf_simnet *net = make_net(0, 2);
	int up;
	run_until_all_alive(net, N, 30 * MF_SEC);
	mf_time_t killed_at = mf_simnet_now(net);
	mf_simnet_kill(net, 5);
	/* Bound: a full probe pass (n intervals) + the longest suspicion
	 * (6 * 4 * log10(16) s = 28.9 s) + gossip slack. */
	mf_time_t bound = killed_at + (N + 29 + 5) * MF_SEC;
	mf_time_t t = killed_at;
	while (t < bound && count_seeing(net, "n005", MF_MEMBER_FAILED, &up) < N - 1) {
		t += 100 * MF_MS;
		mf_simnet_run_until(net, t);
	}
	CU_ASSERT_EQUAL(count_seeing(net, "n005", MF_MEMBER_FAILED, &up), N - 1);
	printf("\n    all %d saw the kill after %.1f s ", N - 1, (double)(t - killed_at) / MF_SEC);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			if (j != 5)
				CU_ASSERT_EQUAL(tally.failed[i][j], 0);
	mf_simnet_free(net);
}

static void test_leave_marks_member_left_everywhere(void)
{
	struct mf_simnet *net = make_net(0, 3);
	int up;
	run_until_all_alive(net, N, 30 * MF_SEC);
	CU_ASSERT_EQUAL(mf_simnet_leave(net, 3), 0);
	mf_time_t t = mf_simnet_now(net), limit = t + 10 * MF_SEC;
	while (!mf_pool_leave_done(mf_simnet_pool(net, 3)) && t < limit) {
		t += 100 * MF_MS;
		mf_simnet_run_until(net, t);
	}
	CU_ASSERT_TRUE(mf_pool_leave_done(mf_simnet_pool(net, 3)));
	mf_simnet_kill(net, 3); /* the agent exits after leaving */
	mf_simnet_run_until(net, t + 5 * MF_SEC);
	CU_ASSERT_EQUAL(count_seeing(net, "n003", MF_MEMBER_LEFT, &up), N - 1);
	/* and it stays left, not failed */
	mf_simnet_run_until(net, t + 60 * MF_SEC);
	CU_ASSERT_EQUAL(count_seeing(net, "n003", MF_MEMBER_LEFT, &up), N - 1);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(tally.failed[i][3], 0);
	mf_simnet_free(net);
}

static void test_restarted_pool_with_same_name_is_alive_again(void)
{
	struct mf_simnet *net = make_net(0, 4);
	int up;
	run_until_all_alive(net, N, 30 * MF_SEC);
	mf_simnet_kill(net, 7);
	mf_time_t t = mf_simnet_now(net), limit = t + 50 * MF_SEC;
	while (count_seeing(net, "n007", MF_MEMBER_FAILED, &up) < N - 1 && t < limit) {
		t += 100 * MF_MS;
		mf_simnet_run_until(net, t);
	}
	CU_ASSERT_EQUAL(count_seeing(net, "n007", MF_MEMBER_FAILED, &up), N - 1);
	int joined_before[N];
	for (int i = 0; i < N; i++)
		joined_before[i] = tally.joined[i][7];
	/* Restart quickly (before gossip_to_the_dead makes peers forget): it
	 * comes back at incarnation 1, hears of its own death and refutes it. */
	CU_ASSERT_EQUAL(mf_simnet_restart(net, 7, 0), 0);
	run_until_all_alive(net, N, t + 30 * MF_SEC);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	struct mf_member self;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(mf_simnet_pool(net, 7), "n007", &self), 0);
	CU_ASSERT(self.incarnation > 1); /* it refuted its own death */
	for (int i = 0; i < N; i++) {
		struct mf_member m;
		if (i == 7)
			continue;
		CU_ASSERT_EQUAL(mf_pool_member_find(mf_simnet_pool(net, i), "n007", &m), 0);
		CU_ASSERT_EQUAL(m.incarnation, self.incarnation);
		CU_ASSERT_EQUAL(tally.joined[i][7] - joined_before[i], 1); /* one JOIN each */
	}
	mf_simnet_free(net);
}

static void test_restart_after_peers_forgot_rejoins_as_new(void)
{
	struct mf_simnet *net = make_net(0, 5);
	run_until_all_alive(net, N, 30 * MF_SEC);
	mf_simnet_kill(net, 9);
	mf_time_t t = mf_simnet_now(net) + 120 * MF_SEC; /* > gossip_to_the_dead */
	mf_simnet_run_until(net, t);
	int joined_before[N];
	for (int i = 0; i < N; i++)
		joined_before[i] = tally.joined[i][9];
	/* Peers forgot it: its alive at incarnation 1 is a fresh join, no
	 * refutation needed. */
	CU_ASSERT_EQUAL(mf_simnet_restart(net, 9, 2), 0);
	run_until_all_alive(net, N, t + 30 * MF_SEC);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	for (int i = 0; i < N; i++) {
		struct mf_member m;
		CU_ASSERT_EQUAL(mf_pool_member_find(mf_simnet_pool(net, i), "n009", &m), 0);
		CU_ASSERT_EQUAL(m.incarnation, 1);
		if (i != 9)
			CU_ASSERT_EQUAL(tally.joined[i][9] - joined_before[i], 1);
	}
	mf_simnet_free(net);
}

static void test_partition_then_heal_rejoins_via_reconnect(void)
{
	struct mf_simnet *net = make_net(0, 6);
	struct mf_pool_stats st;
	uint64_t reconnects = 0;
	int up;
	run_until_all_alive(net, N, 30 * MF_SEC);
	for (size_t i = N / 2; i < N; i++)
		mf_simnet_set_group(net, i, 1);
	mf_time_t t = mf_simnet_now(net) + 90 * MF_SEC;
	mf_simnet_run_until(net, t);
	CU_ASSERT_EQUAL(count_seeing(net, "n000", MF_MEMBER_FAILED, &up), N / 2);
	CU_ASSERT_TRUE(all_see_alive(net, N / 2));
	mf_simnet_heal(net);
	mf_time_t healed = run_until_all_alive(net, N, t + 180 * MF_SEC);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	printf("\n    healed %.1f s after the partition ended ", (double)(healed - t) / MF_SEC);
	for (size_t i = 0; i < N; i++) {
		mf_pool_get_stats(mf_simnet_pool(net, i), &st);
		reconnects += st.reconnect_attempts;
	}
	CU_ASSERT(reconnects > 0);
	mf_simnet_free(net);
}

static void test_ten_percent_loss_causes_no_false_failure(void)
{
	struct mf_simnet *net = make_net(0, 7);
	run_until_all_alive(net, N, 30 * MF_SEC);
	mf_simnet_set_loss(net, 0.10);
	mf_simnet_run_until(net, mf_simnet_now(net) + 300 * MF_SEC); /* 300 rounds */
	CU_ASSERT_EQUAL(tally.failed_total, 0);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	mf_simnet_free(net);
}

static void test_udp_blackholed_node_kept_alive_by_tcp_fallback(void)
{
	struct mf_simnet *net = make_net(0, 9);
	run_until_all_alive(net, N, 30 * MF_SEC);
	mf_simnet_block_udp(net, 4, true);
	mf_simnet_run_until(net, mf_simnet_now(net) + 60 * MF_SEC);
	CU_ASSERT_EQUAL(tally.failed_total, 0);
	CU_ASSERT_TRUE(all_see_alive(net, N));
	struct mf_pool_stats st;
	mf_pool_get_stats(mf_simnet_pool(net, 0), &st);
	CU_ASSERT(st.tcp_fallback_probes > 0);
	mf_simnet_free(net);
}

/* Runs 20 s at 5 % loss with a kill; returns the event trace's hash. */
static uint64_t replay(uint64_t seed, struct mf_simnet_stats *st)
{
	struct mf_simnet *net = make_net(0.05, seed);
	mf_simnet_run_until(net, 10 * MF_SEC);
	mf_simnet_kill(net, 3);
	mf_simnet_run_until(net, 20 * MF_SEC);
	mf_simnet_get_stats(net, st);
	mf_simnet_free(net);
	return tally.trace;
}

static void test_simulation_replays_identically_for_a_seed(void)
{
	struct mf_simnet_stats a, b, c;
	uint64_t ha = replay(8, &a), hb = replay(8, &b), hc = replay(9, &c);
	CU_ASSERT(a.events > 0);
	CU_ASSERT_EQUAL(ha, hb); /* every event, its pool, time and subject */
	CU_ASSERT_EQUAL(a.events, b.events);
	CU_ASSERT_EQUAL(a.udp_sent, b.udp_sent);
	CU_ASSERT_EQUAL(a.udp_lost, b.udp_lost);
	CU_ASSERT_NOT_EQUAL(ha, hc); /* and the seed matters */
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_sixteen_pools_join_and_all_see_sixteen_alive),
		TEST(test_killed_pool_marked_failed_by_all_within_suspicion_bound),
		TEST(test_leave_marks_member_left_everywhere),
		TEST(test_restarted_pool_with_same_name_is_alive_again),
		TEST(test_restart_after_peers_forgot_rejoins_as_new),
		TEST(test_partition_then_heal_rejoins_via_reconnect),
		TEST(test_ten_percent_loss_causes_no_false_failure),
		TEST(test_udp_blackholed_node_kept_alive_by_tcp_fallback),
		TEST(test_simulation_replays_identically_for_a_seed),
	};
	return RUN_SUITE("gossip_pool_sim", tests);
}

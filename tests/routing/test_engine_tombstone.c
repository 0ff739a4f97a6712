/* Unit tests of routing/engine.c: tombstones, refutation, and the epochs
 * a route back from a tombstone carries (split from test_engine.c). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/advert_delta.h"
#include "tests/routing/fixture.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"
#include "tests/routing/engine_hand.h"

static void test_tombstone_drops_routes_to_that_incarnation(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 10);
	offer(r, "dc2", 1, "dc2 0;dc9 5");
	offer(r, "dc3", 1, "dc3 0;dc9 50");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	/* dc3 says dc9 (epoch 1) is dead: dc2's stale route must go too. */
	h_advert(&a, "dc3", "dc3-s1", 2, true, "dc3 0");
	CU_ASSERT_EQUAL_FATAL(h_advert_dead(&a, "dc9", 1), 0);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	/* We pass the tombstone on. */
	CU_ASSERT_EQUAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_EQUAL(a.n_dead, 1);
	if (a.n_dead)
		CU_ASSERT_STRING_EQUAL(a.names[a.dead[0].dc], "dc9");
	mf_advert_free(&a);
	mf_routing_free(r);
}

static void test_newer_incarnation_is_reachable_again(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc2", true, true, 10);
	offer(r, "dc2", 1, "dc2 0;dc9 5");
	h_advert(&a, "dc2", "dc2-s1", 2, true, "dc2 0");
	CU_ASSERT_EQUAL_FATAL(h_advert_dead(&a, "dc9", 1), 0);
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	h_advert(&a, "dc2", "dc2-s1", 3, true, "dc2 0;dc9 5");
	a.routes[1].epoch = 2; /* dc9 restarted */
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_VIA);
	mf_routing_free(r);
}

static void test_tombstone_about_self_is_refuted(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_recompute(r, NULL);
	uint64_t q = mf_routing_advert_seq(r);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0");
	CU_ASSERT_EQUAL_FATAL(h_advert_dead(&a, "dc1", 7), 0);
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT(mf_routing_advert_seq(r) > q);
	CU_ASSERT_EQUAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_EQUAL(a.routes[0].epoch, 8);
	mf_advert_free(&a);
	mf_routing_free(r);
}

/* full_mesh_4 converged under cfg, then dc1 loses its link to dc3 and
 * expires it, while dc3 is alive behind dc2; run until quiet: dc1 must
 * reach dc3 through dc2 again. Returns dc3's index, -1 when it could not
 * converge. */
static int cut_dc1_dc3(const struct mf_routing_config *cfg, struct sim *s)
{
	if (converge("full_mesh_4.json", cfg, s))
		return -1;
	int i1 = sim_index(s, "dc1"), i3 = sim_index(s, "dc3"), rounds;
	sim_link(s, (size_t)i1, (size_t)i3, true, false, 0);
	sim_link(s, (size_t)i3, (size_t)i1, true, false, 0);
	CU_ASSERT_EQUAL(mf_routing_withdraw_origin(s->eng[i1], "dc3"), 1);
	CU_ASSERT_EQUAL(sim_run(s, 20, &rounds), 0);
	assert_route(s, "dc1", "dc3", MF_ROUTE_VIA, "dc2", 25, "dc1,dc2,dc3");
	return i3;
}

static void test_partitioned_dc_comes_back_after_refuting(void)
{
	/* The tombstone reaches dc3, which moves to a newer epoch. */
	struct sim s;
	int i3 = cut_dc1_dc3(NULL, &s);
	if (i3 < 0)
		return;
	assert_route(&s, "dc4", "dc3", MF_ROUTE_DIRECT, "dc3", 12, "dc4,dc3");
	struct mf_advert a;
	CU_ASSERT_EQUAL(mf_routing_advert(s.eng[i3], &a), 0);
	CU_ASSERT(a.routes[0].epoch > 1); /* refuted */
	mf_advert_free(&a);
	sim_free(&s);
}

static void test_refuted_route_comes_back_without_beats(void)
{
	/* As above with beats apart from full state (the agent's setting):
	 * epochs alone then travel in beats, which reach a DC late and at
	 * random. dc3's refutation must still bring dc1's route through dc2
	 * back by full states alone: dc2's route to dc3 leaving the tombstone
	 * it advertised is a change it sends at once (on the WAN emulator a
	 * server waited up to 53 s and more for a beat of dc2's). */
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.beats_apart = true;
	struct sim s;
	if (cut_dc1_dc3(&c, &s) >= 0)
		sim_free(&s);
}

/* The epoch of a's route to target, 0 when a does not list it. */
static uint64_t epoch_of(const struct mf_advert *a, const char *target)
{
	for (size_t i = 0; i < a->n_routes; i++)
		if (strcmp(a->names[a->routes[i].target], target) == 0)
			return a->routes[i].epoch;
	return 0;
}

static void test_state_back_from_tombstone_carries_epoch_in_its_delta(void)
{
	/* dc1 (beats apart, the agent's setting) reaches dc4 directly; its
	 * state says dc4 at epoch 1 when dc4 moves to 2 (no new state: epochs
	 * travel in beats). dc3 then tombstones dc4 at 1 and holds dc1's
	 * route dead until it sees a newer epoch in it: dc1 makes a new state
	 * at once, and its delta must carry the epoch (a delta keeps its
	 * base's epochs; on the WAN emulator a dc3 server that took it as a
	 * delta stayed on the longer route until a beat of dc1's, 15 s). */
	struct mf_routing_config c;
	struct mf_routing *r = NULL;
	struct mf_advert a, base, now, d;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.beats_apart = true;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_link(r, "dc3", true, true, 40);
	mf_routing_set_link(r, "dc4", true, true, 30);
	h_set_advert(r, "dc3", "dc3-s1", 1, true, "dc3 0;dc4 50");
	h_set_advert(r, "dc4", "dc4-s1", 1, true, "dc4 0;dc3 50");
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(r, &base), 0);
	CU_ASSERT_EQUAL(epoch_of(&base, "dc4"), 1);
	CU_ASSERT_EQUAL_FATAL(h_advert(&a, "dc4", "dc4-s1", 2, true, "dc4 0;dc3 50"), 0);
	a.routes[0].epoch = 2;
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), base.seq); /* a beat's news */
	CU_ASSERT_EQUAL_FATAL(h_advert(&a, "dc3", "dc3-s1", 2, true, "dc3 0"), 0);
	CU_ASSERT_EQUAL_FATAL(h_advert_dead(&a, "dc4", 1), 0);
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(r, &now), 0);
	CU_ASSERT(now.seq > base.seq);
	CU_ASSERT_EQUAL(epoch_of(&now, "dc4"), 2);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(epoch_of(&d, "dc4"), 2); /* in the delta, at 2 */
	mf_advert_free(&d);
	mf_advert_free(&now);
	mf_advert_free(&base);
	mf_routing_free(r);
}

static void test_tombstone_refusing_a_shorter_route_is_advertised(void)
{
	/* dc3 loses its link to dc4 and tombstones it at 1; dc2's state
	 * already carries dc4 at 2 (90 ms), dc1's still at 1 (70 ms: epochs
	 * travel in beats). dc3 goes through dc2, and must still advertise
	 * the tombstone: told, dc1 re-sends its route at the newer epoch at
	 * once (test above); untold, it waits for a beat of dc1's (on the WAN
	 * emulator every dc3 server went through dc2 and waited 24-39 s). */
	struct mf_routing *r = h_engine("dc3", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc1", true, true, 40);
	mf_routing_set_link(r, "dc2", true, true, 50);
	mf_routing_set_link(r, "dc4", true, true, 50);
	h_set_advert(r, "dc4", "dc4-s1", 1, true, "dc4 0");
	h_set_advert(r, "dc1", "dc1-s1", 1, true, "dc1 0;dc4 30");
	CU_ASSERT_EQUAL_FATAL(h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc4 40"), 0);
	a.routes[1].epoch = 2;
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	mf_routing_set_link(r, "dc4", true, false, 50);
	CU_ASSERT_EQUAL(mf_routing_withdraw_origin(r, "dc4"), 1);
	mf_routing_recompute(r, NULL);
	struct mf_route_view v = h_route(r, "dc4");
	CU_ASSERT_EQUAL(v.status, MF_ROUTE_VIA);
	CU_ASSERT_STRING_EQUAL(v.next_hop ? v.next_hop : "", "dc2");
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_EQUAL(epoch_of(&a, "dc4"), 2);
	CU_ASSERT_EQUAL_FATAL(a.n_dead, 1);
	CU_ASSERT_STRING_EQUAL(a.names[a.dead[0].dc], "dc4");
	CU_ASSERT_EQUAL(a.dead[0].epoch, 1);
	mf_advert_free(&a);
	/* dc1's state at 2: through dc1, and the tombstone no longer said */
	CU_ASSERT_EQUAL_FATAL(h_advert(&a, "dc1", "dc1-s1", 2, true, "dc1 0;dc4 30"), 0);
	a.routes[1].epoch = 2;
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	v = h_route(r, "dc4");
	CU_ASSERT_STRING_EQUAL(v.next_hop ? v.next_hop : "", "dc1");
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_EQUAL(a.n_dead, 0);
	mf_advert_free(&a);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_tombstone_drops_routes_to_that_incarnation),
		TEST(test_newer_incarnation_is_reachable_again),
		TEST(test_tombstone_about_self_is_refuted),
		TEST(test_partitioned_dc_comes_back_after_refuting),
		TEST(test_refuted_route_comes_back_without_beats),
		TEST(test_state_back_from_tombstone_carries_epoch_in_its_delta),
		TEST(test_tombstone_refusing_a_shorter_route_is_advertised),
	};
	return RUN_SUITE("routing_engine_tombstone", tests);
}

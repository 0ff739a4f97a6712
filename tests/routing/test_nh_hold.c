/* Unit tests of routing/engine.c's next-hop hold (config nh_hold and
 * nh_hold_pct; docs/routing.md, "Holding a next hop"): a next hop, once
 * moved, is kept while still a candidate, unless the best is much shorter;
 * a lost route moves at once; a first route starts no hold; the hold's end
 * alone brings the recompute. */

#include <CUnit/Basic.h>

#include "routing/engine.h"
#include "tests/cunit_main.h"
#include "tests/routing/engine_hand.h"
#include "tests/routing/helpers.h"

/* dc1 reaches dc9 through dc2 or dc3 (links of 10), clock at 0, a hold of
 * 30 (moves past 30 % let through), no settling; dc2 offers d2 and dc3 d3
 * (< 0: that route is not offered). */
static struct mf_routing *held_engine(double d2, double d3)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.nh_hold = 30;
	c.nh_hold_pct = 30;
	return two_ways_clocked(&c, d2, d3);
}

/* dc9 moves from dc2 to dc3 at 5 (dc2's route grew to 210): the hold runs
 * until 35. */
static struct mf_routing *moved_at_5(void)
{
	struct mf_routing *r = held_engine(100, 120);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_set_now(r, 5);
	offer(r, "dc2", 2, "dc2 0;dc9 200");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	return r;
}

/* Back to 110 against 130 at 10: shorter by 15 %, past the 10 % margin
 * and under the hold's 30 %: kept on dc3 until the hold ends, and the
 * hold's end alone (no input) moves it. */
static void test_a_moved_next_hop_is_held_until_the_hold_ends(void)
{
	struct mf_routing *r = moved_at_5();
	mf_routing_set_now(r, 10);
	offer(r, "dc2", 3, "dc2 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 130);
	CU_ASSERT_EQUAL(mf_routing_held(r), 1);
	recompute_at(r, 34);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_set_now(r, 35);
	bool changed = false;
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT(changed);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 110);
	CU_ASSERT_EQUAL(mf_routing_held(r), 0);
	CU_ASSERT(mf_routing_stats(r)->nh_held >= 1);
	mf_routing_free(r);
}

/* 60 against 130 at 10: shorter by 54 %, past the hold's 30 %: at once. */
static void test_a_much_shorter_route_is_not_held(void)
{
	struct mf_routing *r = moved_at_5();
	mf_routing_set_now(r, 10);
	offer(r, "dc2", 3, "dc2 0;dc9 50");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 60);
	CU_ASSERT_EQUAL(mf_routing_held(r), 0);
	mf_routing_free(r);
}

/* dc3 withdraws dc9 at 10: the route in use is no candidate any more, so
 * it moves to dc2 (210) at once, hold or not. */
static void test_a_lost_route_moves_at_once(void)
{
	struct mf_routing *r = moved_at_5();
	mf_routing_set_now(r, 10);
	offer(r, "dc3", 2, "dc3 0");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 210);
	mf_routing_free(r);
}

/* Only dc3 offers dc9 at first (130); dc2's 110 at 1 is taken at once:
 * a first route starts no hold. */
static void test_a_first_route_starts_no_hold(void)
{
	struct mf_routing *r = held_engine(-1, 120);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_set_now(r, 1);
	offer(r, "dc2", 2, "dc2 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_free(r);
}

/* nh_hold 0 (the engine's default): the margin alone decides, as before. */
static void test_without_a_hold_the_margin_decides(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	mf_routing_set_now(r, 0);
	offer(r, "dc2", 2, "dc2 0;dc9 200");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_set_now(r, 1);
	offer(r, "dc2", 3, "dc2 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(mf_routing_held(r), 0);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_a_moved_next_hop_is_held_until_the_hold_ends),
		TEST(test_a_much_shorter_route_is_not_held),
		TEST(test_a_lost_route_moves_at_once),
		TEST(test_a_first_route_starts_no_hold),
		TEST(test_without_a_hold_the_margin_decides),
	};
	return RUN_SUITE("routing_nh_hold", tests);
}

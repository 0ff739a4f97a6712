/* Unit tests of routing/engine.c, part two: hysteresis and settling on
 * hand-built advertisements (a DC's shared choice, the settle time, the
 * margin's two parts); part one is test_engine.c, the builders they share
 * engine_hand.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/fixture.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"
#include "tests/routing/engine_hand.h"

static void test_hysteresis_keeps_route_within_margin(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	/* via dc3 becomes 104 vs 110 via dc2: 6 ms (5.5%) better, under 10%. */
	offer(r, "dc3", 2, "dc3 0;dc9 94");
	offer(r, "dc2", 2, "dc2 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 110);
	mf_routing_free(r);
}

static void test_hysteresis_switches_beyond_margin(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	offer(r, "dc3", 2, "dc3 0;dc9 80"); /* 90 vs 110: 18%, 20 ms */
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 90);
	mf_routing_free(r);
}

static void test_hysteresis_needs_both_percent_and_ms(void)
{
	/* 10 ms -> 8 ms is 20% better but only 2 ms: kept. */
	struct mf_routing *r = two_ways(0.5, 5, 10, 5);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	offer(r, "dc2", 2, "dc2 0;dc9 10");
	offer(r, "dc3", 2, "dc3 0;dc9 8");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_free(r);
}

/* Another server of our DC (dc1-s2) published dc9 via dc3. */
static void dc_choice_via_dc3(struct mf_routing *r, uint64_t seq, double d)
{
	struct mf_advert a;
	char spec[128];
	snprintf(spec, sizeof spec, "dc1 0;dc2 10;dc3 10;dc9 %g dc3", d);
	h_advert(&a, "dc1", "dc1-s2", seq, true, spec);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 0);
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
}

static void test_server_follows_its_dc_choice_within_the_margin(void)
{
	struct mf_routing *r = two_ways(100, 103, 10, 5); /* 110 via dc2, 113 via dc3 */
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	dc_choice_via_dc3(r, 1000, 113);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 113);
	/* our own advertisement now carries the DC's choice, and is the newest */
	CU_ASSERT(mf_routing_advert_seq(r) > 1000);
	mf_routing_set_link(r, "dc2", true, true, 9);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_free(r);
}

static void test_server_keeps_its_route_when_the_dc_choice_is_beyond_the_margin(void)
{
	struct mf_routing *r = two_ways(100, 150, 10, 5); /* 110 via dc2, 160 via dc3 */
	dc_choice_via_dc3(r, 1000, 160);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_free(r);
}

static void test_older_advert_of_our_dc_is_not_its_choice(void)
{
	struct mf_routing *r = two_ways(100, 103, 10, 5);
	dc_choice_via_dc3(r, 0, 113); /* older than ours */
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_free(r);
}

static void test_withdrawn_route_is_replaced_despite_hysteresis(void)
{
	struct mf_routing *r = two_ways(100, 101, 10, 5);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	offer(r, "dc2", 2, "dc2 0");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 111);
	mf_routing_free(r);
}

/* two_ways with a clock and settle_time 30 (defaults 2% and 1 ms). */
static struct mf_routing *two_ways_settling(double d2, double d3)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.settle_time = 30;
	return two_ways_clocked(&c, d2, d3);
}

/* The route hysteresis keeps is shown 5.5% longer than another (under the
 * 10% margin): it is given up once that holds for settle_time, instead of
 * staying up to 11% above the shortest for good. */
static void test_hysteresis_gives_up_a_route_measured_worse(void)
{
	struct mf_routing *r = two_ways_settling(100, 120);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	offer(r, "dc3", 2, "dc3 0;dc9 94"); /* 104 against 110 */
	recompute_at(r, 10);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	recompute_at(r, 29);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	/* no input changed: the settle deadline alone makes the recompute */
	mf_routing_set_now(r, 41);
	bool changed = false;
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT(changed);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 104);
	/* and it is not given back for a difference under the settle margin */
	offer(r, "dc2", 2, "dc2 0;dc9 92.5"); /* 102.5 against 104: 1.4% */
	recompute_at(r, 100);
	recompute_at(r, 200);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_free(r);
}

/* Noise: the other route is shorter at one recompute and longer at the
 * next, so it never has been shorter for settle_time: no change. */
static void test_hysteresis_does_not_settle_on_noise(void)
{
	struct mf_routing *r = two_ways_settling(100, 120);
	for (uint64_t now = 10, k = 2; now <= 300; now += 10, k++) {
		offer(r, "dc3", k, k % 2 ? "dc3 0;dc9 106" : "dc3 0;dc9 94");
		recompute_at(r, now);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	}
	mf_routing_free(r);
}

/* Without a clock (or settle_time 0) the margin alone decides, as before. */
static void test_hysteresis_without_clock_never_settles(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	offer(r, "dc3", 2, "dc3 0;dc9 94");
	for (int i = 0; i < 5; i++)
		offer(r, "dc3", 3 + (uint64_t)i, "dc3 0;dc9 94");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	mf_routing_free(r);
}

static void test_zero_margin_always_takes_the_best(void)
{
	struct mf_routing *r = two_ways(100, 120, 0, 0);
	offer(r, "dc3", 2, "dc3 0;dc9 99.9");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_hysteresis_keeps_route_within_margin),
		TEST(test_hysteresis_switches_beyond_margin),
		TEST(test_hysteresis_needs_both_percent_and_ms),
		TEST(test_server_follows_its_dc_choice_within_the_margin),
		TEST(test_server_keeps_its_route_when_the_dc_choice_is_beyond_the_margin),
		TEST(test_older_advert_of_our_dc_is_not_its_choice),
		TEST(test_withdrawn_route_is_replaced_despite_hysteresis),
		TEST(test_zero_margin_always_takes_the_best),
		TEST(test_hysteresis_gives_up_a_route_measured_worse),
		TEST(test_hysteresis_does_not_settle_on_noise),
		TEST(test_hysteresis_without_clock_never_settles),
	};
	return RUN_SUITE("routing_engine_hysteresis", tests);
}

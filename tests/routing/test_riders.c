/* Unit tests of routing/engine_riders.c (config quiet_riders,
 * mf_routing_distance_news; docs/routing.md, "Riders and a shorter
 * header"): a distance move on an unchanged path is news only when some
 * DC linking to us could act on it. dc1 (us) links to dc2 and dc3 at 10
 * ms; dc1's route to dc9 goes through dc3 (10 + 20 = 30 ms); dc2 holds
 * its own at `dc9` ms. 20 far targets through dc2 put the federation past
 * the DC matrix's size, where direct routes are news like any other. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/cunit_main.h"
#include "tests/routing/helpers.h"

static struct mf_routing *world(bool quiet, const char *dc2_to_dc9)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.quiet_riders = quiet;
	c.readvertise_interval = 100;
	struct mf_routing *r = NULL;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_now(r, 1000);
	CU_ASSERT(mf_routing_set_link(r, "dc2", true, true, 10) >= 0);
	CU_ASSERT(mf_routing_set_link(r, "dc3", true, true, 10) >= 0);
	char spec[1024];
	int n = snprintf(spec, sizeof spec, "dc2 0;dc1 10;dc3 12;dc9 %s", dc2_to_dc9);
	for (int i = 10; i < 30; i++)
		n += snprintf(spec + n, sizeof spec - (size_t)n, ";dc%d 100", i);
	CU_ASSERT_EQUAL_FATAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, spec), 1); /* stored */
	CU_ASSERT_EQUAL_FATAL(h_set_advert(r, "dc3", "dc3-s1", 1, true, "dc3 0;dc1 10;dc9 20;dc2 12"), 1);
	CU_ASSERT_EQUAL_FATAL(mf_routing_recompute(r, NULL), 0);
	struct mf_route_view v = h_route(r, "dc9");
	CU_ASSERT_STRING_EQUAL(v.next_hop, "dc3");
	CU_ASSERT(fabs(v.distance_ms - 30) < 1e-9);
	return r;
}

static void test_a_move_no_neighbour_could_act_on_is_no_news(void)
{
	struct mf_routing *r = world(true, "30");
	/* dc2 through us: 9 + 30 = 39, not within the margin of its 30 */
	CU_ASSERT_FALSE(mf_routing_distance_news(r, "dc9", 30, 32));
	CU_ASSERT_FALSE(mf_routing_distance_news(r, "dc9", 30, 28));
	mf_routing_free(r);
}

static void test_a_move_past_the_margin_is_news(void)
{
	struct mf_routing *r = world(true, "30");
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc9", 30, 40));
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc9", 30, 20));
	mf_routing_free(r);
}

static void test_a_move_is_news_to_a_neighbour_routing_through_us(void)
{
	struct mf_routing *r = world(true, "40 dc1 dc3");
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc9", 30, 32));
	mf_routing_free(r);
}

static void test_a_move_is_news_to_a_neighbour_that_could_take_our_route(void)
{
	/* 9 + 30 = 39 within the margin (5 ms) above dc2's 35 */
	struct mf_routing *r = world(true, "35");
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc9", 30, 32));
	mf_routing_free(r);
}

static void test_without_quiet_riders_every_move_is_news(void)
{
	struct mf_routing *r = world(false, "30");
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc9", 30, 32));
	mf_routing_free(r);
}

/* A move past the margin that no DC could act on makes no new state until
 * the re-advertise interval; without quiet riders it goes at once. */
static void quiet_move(bool quiet)
{
	struct mf_routing *r = world(quiet, "30");
	uint64_t seq = mf_routing_advert_seq(r);
	/* dc3's link 10 -> 16.5: dc3 and dc9 move past the margin (+6.5 ms) */
	CU_ASSERT(mf_routing_set_link(r, "dc3", true, true, 16.5) >= 0);
	mf_routing_set_now(r, 1001);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT(fabs(h_route(r, "dc9").distance_ms - 36.5) < 1e-9);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r) == seq, quiet);
	mf_routing_set_now(r, 1000 + 100);
	CU_ASSERT(mf_routing_set_link(r, "dc3", true, true, 16.6) >= 0); /* an input, so it recomputes */
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT(mf_routing_advert_seq(r) > seq);
	mf_routing_free(r);
}

static void test_a_quiet_move_past_the_margin_waits_for_the_readvertise_interval(void)
{
	quiet_move(true);
}

static void test_without_quiet_riders_a_move_past_the_margin_goes_at_once(void)
{
	quiet_move(false);
}

/* Up to the DC matrix's size (coord/dc_embed.h) a direct route's move is
 * news: the advertised links are the matrix every agent solves. */
static void test_a_direct_route_is_news_in_a_small_federation(void)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.quiet_riders = true;
	struct mf_routing *r = NULL;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	CU_ASSERT(mf_routing_set_link(r, "dc2", true, true, 10) >= 0);
	CU_ASSERT(mf_routing_set_link(r, "dc3", true, true, 10) >= 0);
	CU_ASSERT_EQUAL_FATAL(h_set_advert(r, "dc3", "dc3-s1", 1, true, "dc3 0;dc1 10;dc2 5"), 1);
	CU_ASSERT_EQUAL_FATAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(h_route(r, "dc2").status, MF_ROUTE_DIRECT);
	CU_ASSERT_TRUE(mf_routing_distance_news(r, "dc2", 10, 10.8));
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_a_move_no_neighbour_could_act_on_is_no_news),
		TEST(test_a_move_past_the_margin_is_news),
		TEST(test_a_move_is_news_to_a_neighbour_routing_through_us),
		TEST(test_a_move_is_news_to_a_neighbour_that_could_take_our_route),
		TEST(test_without_quiet_riders_every_move_is_news),
		TEST(test_a_quiet_move_past_the_margin_waits_for_the_readvertise_interval),
		TEST(test_without_quiet_riders_a_move_past_the_margin_goes_at_once),
		TEST(test_a_direct_route_is_news_in_a_small_federation),
	};
	return RUN_SUITE("routing_riders", tests);
}

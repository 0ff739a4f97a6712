/* Unit tests of the loop-free alternates of routing/engine.c (engine.h:
 * "Alternates"), one behaviour per test, on hand-built advertisements:
 * which neighbours qualify, in which order, and when a route has none.
 * The property test over random graphs is in test_property.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/table_format.h"
#include "tests/routing/engine_hand.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"

/* The alternates of r's route to target as "dc2 45,dc4 50" into buf. */
static const char *alts(const struct mf_routing *r, const char *target, char *buf, size_t len)
{
	size_t i, off = 0;
	const char *nh;
	double d;
	buf[0] = '\0';
	if (mf_routing_find(r, target, &i) < 0)
		return buf;
	for (size_t k = 0; mf_routing_alternate_at(r, i, k, &nh, &d) == 0; k++)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s %g", k ? "," : "", nh, d);
	return buf;
}

static char abuf[256];

/* dc1 links to dc2 (10), dc3 (10), dc4 (20); each advertises its route
 * back to dc1 and one to dc9: the primary is dc2 at 40. */
static struct mf_routing *three_neighbours(const char *dc3_spec, const char *dc4_spec)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 10);
	mf_routing_set_link(r, "dc4", true, true, 20);
	offer(r, "dc2", 1, "dc2 0;dc1 10;dc9 30");
	offer(r, "dc3", 1, dc3_spec);
	offer(r, "dc4", 1, dc4_spec);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 40);
	return r;
}

static void test_loop_free_neighbours_are_alternates_best_first(void)
{
	/* dc3: 35 < 10 + 40; dc4: 22 < 20 + 40. Totals 45 and 42. */
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 42,dc3 45");
	CU_ASSERT_EQUAL(h_route(r, "dc9").n_alternates, 2);
	mf_routing_free(r);
}

static void test_equal_alternates_sort_by_name(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 25");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc3 45,dc4 45");
	mf_routing_free(r);
}

static void test_alternate_that_could_come_back_through_us_is_excluded(void)
{
	/* dc3 is farther from dc9 (55) than its way back to us plus our route
	 * (10 + 40): handed traffic, it may send it back to us. */
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 55", "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 42");
	mf_routing_free(r);
}

static void test_alternate_whose_path_passes_us_is_excluded(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 5 dc1", "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 42");
	mf_routing_free(r);
}

static void test_equal_distance_is_not_loop_free(void)
{
	/* dist(dc3, dc9) == dist(dc3, dc1) + dist(dc1, dc9): dc3 may tie
	 * through us, so it is no alternate (the condition is strict). */
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 50", "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 42");
	mf_routing_free(r);
}

static void test_way_back_is_the_neighbours_advertised_distance_to_us(void)
{
	/* dc3 advertises dc1 at 5: 49 < 5 + 40 fails. */
	struct mf_routing *r = three_neighbours("dc3 0;dc1 5;dc9 49", "dc4 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "");
	mf_routing_free(r);
	/* dc3 advertises no route to dc1: our link (10) stands in, 49 < 50. */
	r = three_neighbours("dc3 0;dc9 49", "dc4 0;dc9 100");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc3 59");
	mf_routing_free(r);
}

static void test_target_as_direct_neighbour_is_always_an_alternate(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc9", true, true, 100);
	offer(r, "dc2", 1, "dc2 0;dc1 10;dc9 20");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc9 100");
	/* and when the direct link is the primary, the target is not its own
	 * alternate; dc2 is (20 < 10 + 15) */
	mf_routing_set_link(r, "dc9", true, true, 15);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc9");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc2 30");
	mf_routing_free(r);
}

static void test_unusable_or_non_transit_neighbour_is_no_alternate(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 22");
	mf_routing_set_link(r, "dc4", true, false, 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc3 45");
	CU_ASSERT_EQUAL(h_set_advert(r, "dc3", "dc3-s1", 2, false, "dc3 0;dc1 10;dc9 35"), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "");
	mf_routing_free(r);
}

static void test_local_unreachable_and_single_hop_routes_have_none(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_EQUAL(h_route(r, "dc1").n_alternates, 0);
	/* single-hop to dc2 with a configured link: the direct link by policy */
	CU_ASSERT_EQUAL(mf_routing_set_mode(r, "dc2", MF_MODE_SINGLE_HOP), 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(h_route(r, "dc2").status, MF_ROUTE_DIRECT);
	CU_ASSERT_EQUAL(h_route(r, "dc2").n_alternates, 0);
	/* nothing left to reach dc9 */
	mf_routing_withdraw_origin(r, "dc2");
	mf_routing_withdraw_origin(r, "dc3");
	mf_routing_withdraw_origin(r, "dc4");
	mf_routing_set_link(r, "dc3", true, false, 0);
	mf_routing_set_link(r, "dc4", true, false, 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	CU_ASSERT_EQUAL(h_route(r, "dc9").n_alternates, 0);
	mf_routing_free(r);
}

static void test_max_alternates_keeps_the_best(void)
{
	struct mf_routing_config c;
	struct mf_routing *r;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.hysteresis_pct = c.hysteresis_ms = 0;
	c.max_alternates = 1;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 10);
	mf_routing_set_link(r, "dc4", true, true, 20);
	offer(r, "dc2", 1, "dc2 0;dc1 10;dc9 30");
	offer(r, "dc3", 1, "dc3 0;dc1 10;dc9 35");
	offer(r, "dc4", 1, "dc4 0;dc1 20;dc9 22");
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 42");
	mf_routing_free(r);
	c.max_alternates = 0;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc9", true, true, 100);
	offer(r, "dc2", 1, "dc2 0;dc1 10;dc9 20");
	CU_ASSERT_EQUAL(h_route(r, "dc9").n_alternates, 0);
	mf_routing_free(r);
	c.max_alternates = MF_ROUTING_ALTERNATES_MAX + 1;
	CU_ASSERT_EQUAL(mf_routing_new(&c, &r), MF_EINVAL);
}

static void test_version_grows_when_only_an_alternate_changes(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 22");
	uint64_t v = mf_routing_version(r);
	bool changed = false;
	offer(r, "dc4", 2, "dc4 0;dc1 20;dc9 24"); /* alternate 42 -> 44, primary the same */
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	CU_ASSERT_STRING_EQUAL(alts(r, "dc9", abuf, sizeof abuf), "dc4 44,dc3 45");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT_FALSE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	mf_routing_free(r);
}

static void test_table_lists_alternates_with_their_gateways(void)
{
	struct mf_routing *r = three_neighbours("dc3 0;dc1 10;dc9 35", "dc4 0;dc1 20;dc9 22");
	struct mf_gateway g = {.name = "dc4-g1", .lan = "10.4.0.1:443", .wan = "198.51.100.4:443"};
	CU_ASSERT_EQUAL(h_set_advert_gw(r, "dc4", "dc4-s1", 2, true, "dc4 0;dc1 20;dc9 22", &g, 1), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	struct mf_table t;
	CU_ASSERT_EQUAL_FATAL(mf_routing_table(r, &t), 0);
	const struct mf_table_route *rt = NULL;
	for (size_t i = 0; i < t.n_routes; i++)
		if (strcmp(t.routes[i].target, "dc9") == 0)
			rt = &t.routes[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_EQUAL_FATAL(rt->n_alternates, 2);
	CU_ASSERT_STRING_EQUAL(rt->alternates[0].next_hop, "dc4");
	CU_ASSERT_EQUAL(rt->alternates[0].distance_ms, 42);
	CU_ASSERT_EQUAL_FATAL(rt->alternates[0].n_endpoints, 1);
	CU_ASSERT_STRING_EQUAL(rt->alternates[0].endpoints[0].gateway, "dc4-g1");
	CU_ASSERT_STRING_EQUAL(rt->alternates[0].endpoints[0].addr, "198.51.100.4:443");
	CU_ASSERT_STRING_EQUAL(rt->alternates[1].next_hop, "dc3");
	CU_ASSERT_EQUAL(rt->alternates[1].n_endpoints, 0);
	char *text = NULL;
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_TEXT, &text), 0);
	CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, "ALTERNATES") : NULL);
	CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, "dc4 (42.0 ms), dc3 (45.0 ms)") : NULL);
	free(text);
	mf_table_free(&t);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_loop_free_neighbours_are_alternates_best_first),
		TEST(test_equal_alternates_sort_by_name),
		TEST(test_alternate_that_could_come_back_through_us_is_excluded),
		TEST(test_alternate_whose_path_passes_us_is_excluded),
		TEST(test_equal_distance_is_not_loop_free),
		TEST(test_way_back_is_the_neighbours_advertised_distance_to_us),
		TEST(test_target_as_direct_neighbour_is_always_an_alternate),
		TEST(test_unusable_or_non_transit_neighbour_is_no_alternate),
		TEST(test_local_unreachable_and_single_hop_routes_have_none),
		TEST(test_max_alternates_keeps_the_best),
		TEST(test_version_grows_when_only_an_alternate_changes),
		TEST(test_table_lists_alternates_with_their_gateways),
	};
	return RUN_SUITE("routing_alternates", tests);
}

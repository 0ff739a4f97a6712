/* Unit tests of routing/engine.c: the route computation of the design,
 * one behaviour per test, on the seed topologies (fixtures/) and on
 * hand-built advertisements. */
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

static struct mf_routing_config multi_cfg(enum mf_route_mode mode)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.default_mode = mode;
	return c;
}

/* --- seed topologies ---------------------------------------------------- */

static void test_full_mesh_4_every_route_is_direct(void)
{
	struct sim s;
	if (converge("full_mesh_4.json", NULL, &s))
		return;
	assert_route(&s, "dc1", "dc1", MF_ROUTE_LOCAL, NULL, 0, "dc1");
	assert_route(&s, "dc1", "dc4", MF_ROUTE_DIRECT, "dc4", 30, "dc1,dc4");
	assert_route(&s, "dc2", "dc3", MF_ROUTE_DIRECT, "dc3", 15, "dc2,dc3");
	assert_route(&s, "dc4", "dc3", MF_ROUTE_DIRECT, "dc3", 12, "dc4,dc3");
	CU_ASSERT_EQUAL(sim_check_walks(&s), 0);
	sim_free(&s);
}

static void test_areas_5_dc1_reaches_dc5_through_dc4_multi_hop(void)
{
	struct sim s;
	if (converge("areas_5.json", NULL, &s))
		return;
	assert_route(&s, "dc1", "dc5", MF_ROUTE_VIA, "dc4", 45, "dc1,dc4,dc5");
	assert_route(&s, "dc5", "dc1", MF_ROUTE_VIA, "dc4", 45, "dc5,dc4,dc1");
	assert_route(&s, "dc2", "dc5", MF_ROUTE_VIA, "dc1", 55, "dc2,dc1,dc4,dc5");
	assert_route(&s, "dc3", "dc2", MF_ROUTE_DIRECT, "dc2", 10, "dc3,dc2");
	CU_ASSERT_EQUAL(sim_check_walks(&s), 0);
	sim_free(&s);
}

static void test_areas_5_dc1_reaches_dc5_through_dc4_single_hop(void)
{
	struct sim s;
	struct mf_routing_config c = multi_cfg(MF_MODE_SINGLE_HOP);
	if (converge("areas_5.json", &c, &s))
		return;
	/* fixture_load takes the file's default (multi-hop): force single-hop. */
	for (size_t i = 0; i < s.n; i++)
		for (size_t j = 0; j < s.n; j++)
			mf_routing_set_mode(s.eng[i], s.names[j], MF_MODE_SINGLE_HOP);
	int rounds;
	CU_ASSERT_EQUAL(sim_run(&s, 50, &rounds), 0);
	/* No configured link dc1-dc5: single-hop falls back to the next hop. */
	assert_route(&s, "dc1", "dc5", MF_ROUTE_VIA, "dc4", 45, "dc1,dc4,dc5");
	assert_route(&s, "dc1", "dc4", MF_ROUTE_DIRECT, "dc4", 20, "dc1,dc4");
	sim_free(&s);
}

static void test_areas_5_no_transit_dc4_cuts_dc1_from_dc5(void)
{
	struct sim s;
	if (converge("areas_5_dc4_no_transit.json", NULL, &s))
		return;
	assert_route(&s, "dc1", "dc5", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	assert_route(&s, "dc5", "dc1", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	assert_route(&s, "dc1", "dc4", MF_ROUTE_DIRECT, "dc4", 20, "dc1,dc4");
	assert_route(&s, "dc5", "dc4", MF_ROUTE_DIRECT, "dc4", 25, "dc5,dc4");
	/* dc4 itself still reaches everyone through others. */
	assert_route(&s, "dc4", "dc2", MF_ROUTE_VIA, "dc1", 30, "dc4,dc1,dc2");
	sim_free(&s);
}

static void test_line_3_reaches_the_far_end_and_back(void)
{
	struct sim s;
	if (converge("line_3.json", NULL, &s))
		return;
	assert_route(&s, "dc1", "dc3", MF_ROUTE_VIA, "dc2", 30, "dc1,dc2,dc3");
	assert_route(&s, "dc3", "dc1", MF_ROUTE_VIA, "dc2", 30, "dc3,dc2,dc1");
	CU_ASSERT_EQUAL(sim_check_walks(&s), 0);
	sim_free(&s);
}

static void test_slow_link_multi_hop_goes_through_dc1(void)
{
	struct sim s;
	if (converge("slow_link_4.json", NULL, &s))
		return;
	assert_route(&s, "dc4", "dc3", MF_ROUTE_VIA, "dc1", 30, "dc4,dc1,dc3");
	assert_route(&s, "dc3", "dc4", MF_ROUTE_VIA, "dc1", 30, "dc3,dc1,dc4");
	sim_free(&s);
}

static void test_slow_link_single_hop_stays_direct(void)
{
	struct sim s;
	struct mf_routing_config c = multi_cfg(MF_MODE_MULTI_HOP);
	if (converge("slow_link_4.json", &c, &s))
		return;
	mf_routing_set_mode(h_dc_engine(&s, "dc4"), "dc3", MF_MODE_SINGLE_HOP);
	int rounds;
	CU_ASSERT_EQUAL(sim_run(&s, 50, &rounds), 0);
	assert_route(&s, "dc4", "dc3", MF_ROUTE_DIRECT, "dc3", 200, "dc4,dc3");
	CU_ASSERT_EQUAL(h_route(h_dc_engine(&s, "dc4"), "dc3").mode, MF_MODE_SINGLE_HOP);
	/* Others still use multi-hop. */
	assert_route(&s, "dc3", "dc4", MF_ROUTE_VIA, "dc1", 30, "dc3,dc1,dc4");
	sim_free(&s);
}

static void test_down_link_multi_hop_goes_around(void)
{
	struct sim s;
	if (converge("slow_link_4_down.json", NULL, &s))
		return;
	assert_route(&s, "dc4", "dc3", MF_ROUTE_VIA, "dc1", 30, "dc4,dc1,dc3");
	CU_ASSERT_FALSE(h_route(h_dc_engine(&s, "dc4"), "dc3").down);
	sim_free(&s);
}

static void test_down_link_single_hop_stays_direct_and_down(void)
{
	struct sim s;
	int rc = fixture_load("slow_link_4_down.json", NULL, &s);
	CU_ASSERT_EQUAL(rc, 0); /* a fixture that does not load fails, not skips */
	if (rc != 0)
		return;
	mf_routing_set_mode(h_dc_engine(&s, "dc4"), "dc3", MF_MODE_SINGLE_HOP);
	int rounds;
	CU_ASSERT_EQUAL(sim_run(&s, 50, &rounds), 0);
	assert_route(&s, "dc4", "dc3", MF_ROUTE_DIRECT, "dc3", INFINITY, "dc4,dc3");
	CU_ASSERT_TRUE(h_route(h_dc_engine(&s, "dc4"), "dc3").down);
	sim_free(&s);
}

static void test_dead_dc_is_withdrawn_everywhere(void)
{
	struct sim s;
	if (converge("areas_5.json", NULL, &s))
		return;
	uint64_t v = mf_routing_version(h_dc_engine(&s, "dc2"));
	sim_kill(&s, (size_t)sim_index(&s, "dc4"));
	int rounds;
	/* Path vectors and tombstones: no counting to infinity and no path
	 * hunting, a few rounds suffice. */
	CU_ASSERT_EQUAL(sim_run(&s, 10, &rounds), 0);
	CU_ASSERT(rounds <= 4);
	assert_route(&s, "dc1", "dc5", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	assert_route(&s, "dc2", "dc4", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	assert_route(&s, "dc3", "dc5", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	assert_route(&s, "dc5", "dc1", MF_ROUTE_UNREACHABLE, NULL, INFINITY, "");
	CU_ASSERT(mf_routing_version(h_dc_engine(&s, "dc2")) > v);
	sim_free(&s);
}

/* --- hand-built advertisements ------------------------------------------ */

static void test_ties_break_by_next_hop_name(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dcB", true, true, 10);
	mf_routing_set_link(r, "dcA", true, true, 10);
	offer(r, "dcB", 1, "dcB 0;dc9 5");
	offer(r, "dcA", 1, "dcA 0;dc9 5");
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dcA");
	mf_routing_free(r);
}

static void test_path_through_self_is_never_chosen(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 1);
	/* dc2's route to dc9 goes back through dc1: a loop, however short. */
	offer(r, "dc2", 1, "dc2 0;dc9 2 dc1");
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	mf_routing_free(r);
}

static void test_withdraw_origin_removes_its_routes(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	CU_ASSERT_EQUAL(mf_routing_withdraw_origin(r, "dc2"), 1);
	CU_ASSERT_EQUAL(mf_routing_withdraw_origin(r, "dc2"), 0);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_free(r);
}

static void test_unusable_link_removes_routes_through_it(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	mf_routing_set_link(r, "dc2", true, false, 0);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	CU_ASSERT_EQUAL(h_route(r, "dc2").status, MF_ROUTE_UNREACHABLE); /* dc3 does not offer it */
	mf_routing_free(r);
}

static void test_version_grows_only_on_change(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	uint64_t v = mf_routing_version(r);
	bool changed = true;
	mf_routing_recompute(r, &changed);
	CU_ASSERT_FALSE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v);
	mf_routing_set_link(r, "dc2", true, true, 11);
	mf_routing_recompute(r, &changed);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	mf_routing_free(r);
}

/* dc2's distance to dc9 in r's table, or -1 when it lists no such link. */
static double table_link(const struct mf_routing *r, uint64_t *version)
{
	struct mf_table t;
	double d = -1;
	CU_ASSERT_FATAL(mf_routing_table(r, &t) == 0);
	for (size_t i = 0; i < t.n_links; i++)
		if (strcmp(t.links[i].from, "dc2") == 0 && strcmp(t.links[i].to, "dc9") == 0)
			d = t.links[i].distance_ms;
	*version = t.version;
	mf_table_free(&t);
	return d;
}

/* The table's links go with its version: an advert applied since the last
 * recompute shows in neither until the next one (a route-socket subscriber
 * at version N holds the links `meshfed routes` shows at N). */
static void test_table_links_change_only_with_the_version(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	uint64_t v0, v;
	CU_ASSERT_DOUBLE_EQUAL(table_link(r, &v0), 100, 1e-9);
	struct mf_advert a;
	h_advert(&a, "dc2", "dc2-s1", 2, true, "dc2 0;dc9 60");
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1); /* applied, not yet recomputed */
	mf_advert_free(&a);
	CU_ASSERT_DOUBLE_EQUAL(table_link(r, &v), 100, 1e-9);
	CU_ASSERT_EQUAL(v, v0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_DOUBLE_EQUAL(table_link(r, &v), 60, 1e-9);
	CU_ASSERT_EQUAL(v, v0 + 1);
	mf_routing_free(r);
}

static void test_advert_seq_ignores_small_distance_noise(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	uint64_t q = mf_routing_advert_seq(r);
	mf_routing_set_link(r, "dc2", true, true, 10.5); /* dc9: 110 -> 110.5 */
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), q);
	mf_routing_set_link(r, "dc2", true, true, 20); /* +10 ms, +9% */
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), q + 1);
	mf_routing_free(r);
}

static void test_stale_or_equal_advert_is_ignored(void)
{
	struct mf_routing *r = h_engine("dc1", 10, 5);
	struct mf_advert a;
	h_advert(&a, "dc2", "dc2-s2", 5, true, "dc2 0");
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 0);
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s3", 4, true, "dc2 0"), 0);
	/* Same seq from another server of dc2: the later name wins. */
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 5, true, "dc2 0"), 0);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s3", 5, true, "dc2 0"), 1);
	mf_routing_free(r);
}

static void test_own_dc_advert_raises_next_seq(void)
{
	struct mf_routing *r = h_engine("dc1", 10, 5);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc1", "dc1-s2", 1000, true, "dc1 0"), 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), 1001);
	mf_routing_free(r);
}

static void test_inconsistent_advert_is_rejected_whole(void)
{
	struct mf_routing *r = h_engine("dc1", 10, 5);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 5 dc7 dc7"), MF_EMALFORMED);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 5;dc9 6"), MF_EMALFORMED);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, "dc2 0 dc5"), MF_EMALFORMED);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, "dc9 5 dc2"), MF_EMALFORMED);
	/* A good one after the bad ones is still accepted. */
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 5"), 1);
	mf_routing_free(r);
}

static void test_non_transit_advert_contributes_only_its_origin(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 1, false, "dc2 0;dc9 5"), 1);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(h_route(r, "dc2").status, MF_ROUTE_DIRECT);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	mf_routing_free(r);
}

static void test_non_transit_dc_advertises_only_itself(void)
{
	struct mf_routing_config c;
	struct mf_routing *r;
	struct mf_advert a;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.transit = false;
	CU_ASSERT_EQUAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_FALSE(a.transit);
	CU_ASSERT_EQUAL(a.n_routes, 1);
	CU_ASSERT_STRING_EQUAL(a.names[a.routes[0].target], "dc1");
	mf_advert_free(&a);
	mf_routing_free(r);
}

static void test_advert_carries_table_routes_and_gateways(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	struct mf_gateway g = {.name = "dc1-g1", .lan = "10.0.0.1:8443", .wan = "203.0.113.1:8443"};
	struct mf_advert a;
	mf_routing_set_gateways(r, &g, 1);
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.origin, "dc1");
	CU_ASSERT_EQUAL(a.n_routes, 4); /* dc1, dc2, dc3, dc9 */
	CU_ASSERT_EQUAL(a.n_gateways, 1);
	for (size_t i = 0; i < a.n_routes; i++)
		if (strcmp(a.names[a.routes[i].target], "dc9") == 0) {
			CU_ASSERT_EQUAL(a.routes[i].distance_ms, 110);
			CU_ASSERT_EQUAL(a.routes[i].n_hops, 1);
			CU_ASSERT_STRING_EQUAL(a.names[a.hops[a.routes[i].hops_off]], "dc2");
		}
	mf_advert_free(&a);
	mf_routing_free(r);
}

static void test_endpoints_use_tagged_address_for_this_dc(void)
{
	struct mf_routing *r = h_engine("dc1", 10, 5);
	struct mf_gateway_tag tags[] = {{"dc:dc7", "192.0.2.7:443"}, {"dc:dc1", "192.0.2.1:443"}};
	struct mf_gateway g[] = {
		{.name = "dc2-g1", .lan = "10.2.0.1:443", .wan = "198.51.100.1:443", .n_tags = 2, .tags = tags},
		{.name = "dc2-g2", .lan = "10.2.0.2:443", .wan = "198.51.100.2:443"},
	};
	mf_routing_set_link(r, "dc2", true, true, 10);
	CU_ASSERT_EQUAL(h_set_advert_gw(r, "dc2", "dc2-s1", 1, true, "dc2 0", g, 2), 1);
	mf_routing_recompute(r, NULL);
	struct mf_table t;
	CU_ASSERT_EQUAL(mf_routing_table(r, &t), 0);
	CU_ASSERT_EQUAL(t.n_routes, 2);
	CU_ASSERT_STRING_EQUAL(t.routes[1].target, "dc2");
	CU_ASSERT_EQUAL(t.routes[1].n_endpoints, 2);
	if (t.routes[1].n_endpoints == 2) {
		CU_ASSERT_STRING_EQUAL(t.routes[1].endpoints[0].addr, "192.0.2.1:443");
		CU_ASSERT_STRING_EQUAL(t.routes[1].endpoints[1].addr, "198.51.100.2:443");
	}
	mf_table_free(&t);
	mf_routing_free(r);
}

static void test_table_is_sorted_by_target(void)
{
	struct mf_routing *r = two_ways(100, 120, 10, 5);
	struct mf_table t;
	CU_ASSERT_EQUAL(mf_routing_table(r, &t), 0);
	CU_ASSERT_STRING_EQUAL(t.datacenter, "dc1");
	CU_ASSERT_EQUAL(t.n_routes, 4);
	for (size_t i = 1; i < t.n_routes; i++)
		CU_ASSERT(strcmp(t.routes[i - 1].target, t.routes[i].target) < 0);
	CU_ASSERT_EQUAL(t.routes[3].path_len, 3); /* dc1 dc2 dc9 */
	mf_table_free(&t);
	mf_routing_free(r);
}

static void test_bad_inputs_are_refused(void)
{
	struct mf_routing_config c;
	struct mf_routing *r;
	mf_routing_config_default(&c);
	c.datacenter = "bad name";
	c.node = "n";
	CU_ASSERT_EQUAL(mf_routing_new(&c, &r), MF_EINVAL);
	r = h_engine("dc1", 10, 5);
	CU_ASSERT_EQUAL(mf_routing_set_link(r, "dc1", true, true, 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_link(r, "dc2", true, true, NAN), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_link(r, "dc2", true, true, -1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_link(r, "dc2", false, true, 1), MF_EINVAL);
	mf_routing_free(r);
}

/* --- limits on what peers may make the engine hold (issue 11) ------------ */

static void test_advert_naming_more_than_max_datacenters_is_refused(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 1);
	size_t cap = 16 * 10001, off = 0;
	char *spec = malloc(cap);
	CU_ASSERT_FATAL(spec != NULL);
	off += (size_t)snprintf(spec, cap, "dc2 0");
	for (int i = 0; i < 10000; i++)
		off += (size_t)snprintf(spec + off, cap - off, ";x%d 5", i);
	struct mf_advert a;
	CU_ASSERT_EQUAL_FATAL(h_advert(&a, "dc2", "dc2-s1", 1, true, spec), 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	size_t before = mf_routing_n_targets(r);
	CU_ASSERT_EQUAL(before, 2);
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_n_targets(r), before);
	mf_advert_free(&a);
	free(spec);
	mf_routing_free(r);
}

static void test_engine_holds_at_most_max_datacenters(void)
{
	struct mf_routing_config c;
	struct mf_routing *r;
	struct mf_advert a;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.max_datacenters = 4;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_link(r, "dc2", true, true, 1);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc3 1;dc4 2");
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1); /* dc1..dc4: full */
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc2", "dc2-s1", 2, true, "dc2 0;dc3 1;dc5 2"), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_n_targets(r), 4);
	CU_ASSERT_EQUAL(h_route(r, "dc4").status, MF_ROUTE_VIA); /* the stored one stays */
	mf_routing_free(r);
}

static void test_seq_cannot_be_pushed_to_the_top_by_one_advert(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc2", true, true, 1);
	mf_routing_set_link(r, "dc3", true, true, 1);
	offer(r, "dc2", 100, "dc2 0");
	h_advert(&a, "dc2", "dc2-s1", 100 + MF_ROUTING_SEQ_JUMP_MAX + 1, true, "dc2 0");
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), MF_ESTATE);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), MF_ESTATE);
	mf_advert_free(&a);
	h_advert(&a, "dc2", "dc2-s1", 100 + MF_ROUTING_SEQ_JUMP_MAX, true, "dc2 0");
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1); /* at the bound: fine */
	mf_advert_free(&a);
	/* nothing held: at most MF_ROUTING_SEQ_MAX */
	CU_ASSERT_EQUAL(h_set_advert(r, "dc3", "dc3-s1", UINT64_MAX, true, "dc3 0"), MF_ESTATE);
	/* our own DC's seq is not pushed out of reach either */
	uint64_t seq = mf_routing_advert_seq(r);
	CU_ASSERT_EQUAL(h_set_advert(r, "dc1", "dc1-s2", UINT64_MAX - 1, true, "dc1 0"), MF_ESTATE);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT(mf_routing_advert_seq(r) < seq + 10);
	mf_routing_free(r);
}

static void test_check_refuses_a_looping_path_and_changes_nothing(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc2", true, true, 1);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 2 dc3 dc3");
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), MF_EMALFORMED);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), MF_EMALFORMED);
	mf_advert_free(&a);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 2 dc2");
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), MF_EMALFORMED);
	mf_advert_free(&a);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 2 dc3");
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), 0);
	mf_advert_free(&a);
	mf_routing_free(r);
}

/* fuzz_routing_node's finding (corpus/routing_node/ubsan-null-hops-engine-784):
 * an advert whose routes have no hops has hops == NULL, and the check must
 * take no offset from it (UBSan in the fuzz and sanitizer builds). */
static void test_check_accepts_an_advert_without_hops(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	struct mf_advert a;
	mf_routing_set_link(r, "dc2", true, true, 1);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc3 1;dc4 2");
	CU_ASSERT_PTR_NULL(a.hops);
	CU_ASSERT_EQUAL(mf_routing_check_advert(r, &a), 0);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	mf_advert_free(&a);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_full_mesh_4_every_route_is_direct),
		TEST(test_areas_5_dc1_reaches_dc5_through_dc4_multi_hop),
		TEST(test_areas_5_dc1_reaches_dc5_through_dc4_single_hop),
		TEST(test_areas_5_no_transit_dc4_cuts_dc1_from_dc5),
		TEST(test_line_3_reaches_the_far_end_and_back),
		TEST(test_slow_link_multi_hop_goes_through_dc1),
		TEST(test_slow_link_single_hop_stays_direct),
		TEST(test_down_link_multi_hop_goes_around),
		TEST(test_down_link_single_hop_stays_direct_and_down),
		TEST(test_dead_dc_is_withdrawn_everywhere),
		TEST(test_ties_break_by_next_hop_name),
		TEST(test_path_through_self_is_never_chosen),
		TEST(test_withdraw_origin_removes_its_routes),
		TEST(test_unusable_link_removes_routes_through_it),
		TEST(test_version_grows_only_on_change),
		TEST(test_table_links_change_only_with_the_version),
		TEST(test_advert_seq_ignores_small_distance_noise),
		TEST(test_stale_or_equal_advert_is_ignored),
		TEST(test_own_dc_advert_raises_next_seq),
		TEST(test_inconsistent_advert_is_rejected_whole),
		TEST(test_advert_naming_more_than_max_datacenters_is_refused),
		TEST(test_engine_holds_at_most_max_datacenters),
		TEST(test_seq_cannot_be_pushed_to_the_top_by_one_advert),
		TEST(test_check_refuses_a_looping_path_and_changes_nothing),
		TEST(test_non_transit_advert_contributes_only_its_origin),
		TEST(test_non_transit_dc_advertises_only_itself),
		TEST(test_advert_carries_table_routes_and_gateways),
		TEST(test_endpoints_use_tagged_address_for_this_dc),
		TEST(test_table_is_sorted_by_target),
		TEST(test_bad_inputs_are_refused),
		TEST(test_check_accepts_an_advert_without_hops),
	};
	return RUN_SUITE("routing_engine", tests);
}

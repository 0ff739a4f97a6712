/* Unit tests of gateways in routing/engine.c (engine.h: "Gateways",
 * "require_gateways"): the union of what a DC's servers advertise, how a
 * server's entry is replaced and forgotten, what a change does to the table
 * version and to our advertisement, and gateway-aware routing on small
 * topologies run to convergence with tests/routing/sim.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"
#include "tests/cunit_main.h"

/* An advertisement of dc2 by server `node` at seq with gateways named in
 * `names` (space separated; address "<name>.example:443"), routes "dc2 0". */
static int offer_gw(struct mf_routing *r, const char *node, uint64_t seq, const char *names)
{
	struct mf_gateway g[8];
	char buf[256], addr[8][80];
	size_t n = 0;
	snprintf(buf, sizeof buf, "%s", names);
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && n < 8;
	     tok = strtok_r(NULL, " ", &save), n++) {
		snprintf(addr[n], sizeof addr[n], "%s.example:443", tok);
		g[n] = (struct mf_gateway){.name = tok, .lan = "", .wan = addr[n]};
	}
	return h_set_advert_gw(r, "dc2", node, seq, true, "dc2 0", g, n);
}

/* The gateways of r's route to target as "a=addr,b=addr" (names only when
 * names_only) into buf. */
static const char *gws(const struct mf_routing *r, const char *target, char *buf, size_t len)
{
	struct mf_table t;
	size_t off = 0;
	buf[0] = '\0';
	if (mf_routing_table(r, &t) < 0)
		return "(error)";
	for (size_t i = 0; i < t.n_routes; i++) {
		if (strcmp(t.routes[i].target, target) != 0)
			continue;
		for (size_t k = 0; k < t.routes[i].n_endpoints; k++)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", k ? "," : "",
						t.routes[i].endpoints[k].gateway);
	}
	mf_table_free(&t);
	return buf;
}

static char gbuf[256];

static struct mf_routing *dc1_next_to_dc2(void)
{
	struct mf_routing *r = h_engine("dc1", 0, 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	return r;
}

/* --- the union --------------------------------------------------------------*/

static void test_dc_gateways_are_the_union_of_its_servers_sorted_by_name(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	CU_ASSERT_EQUAL(offer_gw(r, "dc2-s1", 5, "gw-b"), 1);
	/* s2's advert is older than s1's: stale for routes, news for gateways */
	CU_ASSERT_EQUAL(offer_gw(r, "dc2-s2", 3, "gw-c gw-a"), 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-a,gw-b,gw-c");
	CU_ASSERT_EQUAL(mf_routing_n_gateways_of(r, "dc2"), 3);
	mf_routing_free(r);
}

static void test_a_servers_newer_advert_replaces_its_gateways_an_older_one_does_not(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	offer_gw(r, "dc2-s1", 5, "gw-b");
	offer_gw(r, "dc2-s2", 3, "gw-a");
	offer_gw(r, "dc2-s2", 4, "gw-c");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-b,gw-c");
	offer_gw(r, "dc2-s2", 2, "gw-z");
	offer_gw(r, "dc2-s2", 4, "gw-y"); /* same seq: a copy, not news */
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-b,gw-c");
	/* a newer advert without gateways empties that server's part */
	offer_gw(r, "dc2-s2", 6, "");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-b");
	mf_routing_free(r);
}

static void test_a_gateway_two_servers_advertise_is_listed_once_from_the_newest(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	struct mf_gateway g1 = {.name = "gw", .lan = "", .wan = "192.0.2.1:443"};
	struct mf_gateway g2 = {.name = "gw", .lan = "", .wan = "192.0.2.2:443"};
	CU_ASSERT_EQUAL(h_set_advert_gw(r, "dc2", "dc2-s1", 5, true, "dc2 0", &g1, 1), 1);
	CU_ASSERT_EQUAL(h_set_advert_gw(r, "dc2", "dc2-s2", 7, true, "dc2 0", &g2, 1), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	struct mf_table t;
	CU_ASSERT_EQUAL_FATAL(mf_routing_table(r, &t), 0);
	CU_ASSERT_STRING_EQUAL(t.routes[1].target, "dc2");
	CU_ASSERT_EQUAL_FATAL(t.routes[1].n_endpoints, 1);
	CU_ASSERT_STRING_EQUAL(t.routes[1].endpoints[0].addr, "192.0.2.2:443");
	mf_table_free(&t);
	mf_routing_free(r);
}

static void test_forgotten_server_and_withdrawn_dc_lose_their_gateways(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	offer_gw(r, "dc2-s1", 5, "gw-a");
	offer_gw(r, "dc2-s2", 6, "gw-b");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_forget_gateways_of(r, "dc2", "dc2-s1"), 1);
	CU_ASSERT_EQUAL(mf_routing_forget_gateways_of(r, "dc2", "dc2-s1"), 0);
	CU_ASSERT_EQUAL(mf_routing_forget_gateways_of(r, "dc7", "dc7-s1"), 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-b");
	CU_ASSERT_EQUAL(mf_routing_withdraw_origin(r, "dc2"), 1);
	CU_ASSERT_EQUAL(mf_routing_n_gateways_of(r, "dc2"), 0);
	/* back with a new advert: only what it carries */
	offer_gw(r, "dc2-s3", 9, "gw-c");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-c");
	mf_routing_free(r);
}

/* --- versions and our advertisement -----------------------------------------*/

static void test_version_grows_when_a_next_hops_gateways_change(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	bool changed = false;
	offer_gw(r, "dc2-s1", 5, "gw-a");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	uint64_t v = mf_routing_version(r);
	offer_gw(r, "dc2-s2", 3, "gw-b"); /* stale for routes, the same route */
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	offer_gw(r, "dc2-s2", 4, "gw-b"); /* the same set again */
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT_FALSE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	mf_routing_forget_gateways_of(r, "dc2", "dc2-s2");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 2);
	mf_routing_free(r);
}

/* The table reads gateways live: read after a change under a route in use
 * and before the next recompute, it must already carry a new version (a
 * gateway holding the old version would otherwise never hear of the new
 * set), and the recompute must not count the change twice. */
static void test_a_table_read_before_the_recompute_has_a_new_version_for_new_gateways(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	bool changed = false;
	offer_gw(r, "dc2-s1", 5, "gw-a");
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	uint64_t v = mf_routing_version(r);
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-a");
	offer_gw(r, "dc2-s2", 6, "gw-b");
	CU_ASSERT_STRING_EQUAL(gws(r, "dc2", gbuf, sizeof gbuf), "gw-a,gw-b");
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, &changed), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(mf_routing_version(r), v + 1);
	mf_routing_free(r);
}

static void test_own_gateway_change_makes_a_new_advert_seq_and_the_same_set_does_not(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	struct mf_gateway g[] = {{.name = "dc1-g1", .lan = "10.0.0.1:443", .wan = "203.0.113.1:443"},
				 {.name = "dc1-g2", .lan = "10.0.0.2:443", .wan = "203.0.113.2:443"}};
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	uint64_t seq = mf_routing_advert_seq(r);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, g, 1), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), seq + 1);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, g, 1), 0);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), seq + 1);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, g, 2), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), seq + 2);
	struct mf_advert a;
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(r, &a), 0);
	CU_ASSERT_EQUAL(a.n_gateways, 2);
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, NULL, 0), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), seq + 3);
	mf_routing_free(r);
}

static void test_invalid_own_gateways_are_refused_and_change_nothing(void)
{
	struct mf_routing *r = dc1_next_to_dc2();
	struct mf_gateway ok = {.name = "g1", .lan = "", .wan = "192.0.2.1:443"};
	struct mf_gateway dup[] = {ok, ok};
	struct mf_gateway noname = {.name = "", .wan = "192.0.2.1:443"};
	struct mf_gateway space = {.name = "g 1", .wan = "192.0.2.1:443"};
	struct mf_gateway_tag tag = {"", "192.0.2.9:443"};
	struct mf_gateway badtag = {.name = "g2", .wan = "192.0.2.1:443", .n_tags = 1, .tags = &tag};
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, &ok, 1), 1);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, dup, 2), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, &noname, 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, &space, 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, &badtag, 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, NULL, 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_routing_set_gateways(r, &ok, 1), 0); /* still the first set */
	mf_routing_free(r);
}

/* --- require_gateways on topologies -------------------------------------------*/

/* A ring dc1 - dc2 - dc3 - dc4 - dc1: dc1-dc2 and dc2-dc3 short (10), the
 * way round through dc4 long (dc1-dc4 30, dc4-dc3 30). Every DC but those
 * in `bare` has one gateway. */
static int ring(struct sim *s, bool require, const char *bare)
{
	static const char *names[] = {"dc1", "dc2", "dc3", "dc4"};
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.hysteresis_pct = c.hysteresis_ms = 0;
	c.require_gateways = require;
	int rc = sim_init(s, 4, names, &c, NULL);
	if (rc == 0)
		rc = sim_link2(s, 0, 1, true, true, 10);
	if (rc == 0)
		rc = sim_link2(s, 1, 2, true, true, 10);
	if (rc == 0)
		rc = sim_link2(s, 0, 3, true, true, 30);
	if (rc == 0)
		rc = sim_link2(s, 3, 2, true, true, 30);
	for (size_t i = 0; rc == 0 && i < 4; i++) {
		char name[32], wan[32];
		snprintf(name, sizeof name, "%s-g1", names[i]);
		snprintf(wan, sizeof wan, "192.0.2.%zu:443", i + 1);
		struct mf_gateway g = {.name = name, .lan = "", .wan = wan};
		if (!strstr(bare, names[i]))
			rc = mf_routing_set_gateways(s->eng[i], &g, 1) < 0 ? MF_EINVAL : 0;
	}
	int rounds = 0;
	return rc ? rc : sim_run(s, 50, &rounds);
}

static void assert_via(struct sim *s, const char *from, const char *to, enum mf_route_status st,
		       const char *nh, double dist)
{
	struct mf_route_view v = h_route(s->eng[sim_index(s, from)], to);
	if (v.status != st || (nh ? !v.next_hop || strcmp(v.next_hop, nh) : v.next_hop != NULL))
		printf("\n  %s -> %s: %s via %s (%g)", from, to, mf_route_status_name(v.status),
		       v.next_hop ? v.next_hop : "-", v.distance_ms);
	CU_ASSERT_EQUAL(v.status, st);
	CU_ASSERT(nh ? v.next_hop && strcmp(v.next_hop, nh) == 0 : v.next_hop == NULL);
	CU_ASSERT(v.distance_ms == dist || (isinf(dist) && isinf(v.distance_ms)));
}

static void test_required_gateways_keep_traffic_off_a_dc_without_them(void)
{
	struct sim s;
	CU_ASSERT_EQUAL_FATAL(ring(&s, true, "dc2"), 0);
	/* dc2 has no gateway: no transit, and no destination */
	assert_via(&s, "dc1", "dc3", MF_ROUTE_VIA, "dc4", 60);
	assert_via(&s, "dc3", "dc1", MF_ROUTE_VIA, "dc4", 60);
	assert_via(&s, "dc1", "dc2", MF_ROUTE_NO_GATEWAY, NULL, INFINITY);
	assert_via(&s, "dc3", "dc2", MF_ROUTE_NO_GATEWAY, NULL, INFINITY);
	/* dc2 itself is exempt for its own DC, and routes out as usual */
	assert_via(&s, "dc2", "dc2", MF_ROUTE_LOCAL, NULL, 0);
	assert_via(&s, "dc2", "dc1", MF_ROUTE_DIRECT, "dc1", 10);
	/* dc4, two hops from dc2, never hears of it through anyone */
	assert_via(&s, "dc4", "dc2", MF_ROUTE_UNREACHABLE, NULL, INFINITY);
	CU_ASSERT_EQUAL(sim_check_walks(&s), 0);
	sim_free(&s);
}

static void test_without_require_gateways_a_dc_without_them_routes_as_before(void)
{
	struct sim with, without;
	CU_ASSERT_EQUAL_FATAL(ring(&with, false, "dc2"), 0);
	CU_ASSERT_EQUAL_FATAL(ring(&without, false, ""), 0);
	assert_via(&with, "dc1", "dc3", MF_ROUTE_VIA, "dc2", 20);
	assert_via(&with, "dc1", "dc2", MF_ROUTE_DIRECT, "dc2", 10);
	for (size_t i = 0; i < 4; i++)
		for (size_t t = 0; t < 4; t++) {
			struct mf_route_view a = h_route(with.eng[i], with.names[t]);
			struct mf_route_view b = h_route(without.eng[i], without.names[t]);
			CU_ASSERT_EQUAL(a.status, b.status);
			CU_ASSERT_EQUAL(a.distance_ms, b.distance_ms);
			CU_ASSERT(a.next_hop == b.next_hop || (a.next_hop && b.next_hop &&
							       strcmp(a.next_hop, b.next_hop) == 0));
		}
	sim_free(&with);
	sim_free(&without);
}

static void test_a_dc_that_gets_a_gateway_carries_traffic_again(void)
{
	struct sim s;
	int rounds;
	CU_ASSERT_EQUAL_FATAL(ring(&s, true, "dc2"), 0);
	assert_via(&s, "dc1", "dc3", MF_ROUTE_VIA, "dc4", 60);
	struct mf_gateway g = {.name = "dc2-g1", .lan = "", .wan = "192.0.2.2:443"};
	CU_ASSERT_EQUAL(mf_routing_set_gateways(s.eng[1], &g, 1), 1);
	CU_ASSERT_EQUAL(sim_run(&s, 50, &rounds), 0);
	assert_via(&s, "dc1", "dc3", MF_ROUTE_VIA, "dc2", 20);
	assert_via(&s, "dc1", "dc2", MF_ROUTE_DIRECT, "dc2", 10);
	sim_free(&s);
}

static void test_alternates_need_gateways_too(void)
{
	struct sim s;
	/* dc4 has none: dc1's route to dc3 (via dc2) would have dc4 as an
	 * alternate (30 < 30 + 20), but not when gateways are required */
	CU_ASSERT_EQUAL_FATAL(ring(&s, false, "dc4"), 0);
	size_t i;
	const char *nh;
	double d;
	CU_ASSERT_EQUAL_FATAL(mf_routing_find(s.eng[0], "dc3", &i), 0);
	CU_ASSERT_EQUAL(mf_routing_alternate_at(s.eng[0], i, 0, &nh, &d), 0);
	CU_ASSERT_STRING_EQUAL(nh, "dc4");
	sim_free(&s);
	CU_ASSERT_EQUAL_FATAL(ring(&s, true, "dc4"), 0);
	assert_via(&s, "dc1", "dc3", MF_ROUTE_VIA, "dc2", 20);
	CU_ASSERT_EQUAL(h_route(s.eng[0], "dc3").n_alternates, 0);
	sim_free(&s);
}

static void test_no_gateway_status_has_a_name(void)
{
	enum mf_route_status st;
	CU_ASSERT_STRING_EQUAL(mf_route_status_name(MF_ROUTE_NO_GATEWAY), "no-gateway");
	CU_ASSERT_EQUAL(mf_route_status_parse("no-gateway", &st), 0);
	CU_ASSERT_EQUAL(st, MF_ROUTE_NO_GATEWAY);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_dc_gateways_are_the_union_of_its_servers_sorted_by_name),
		TEST(test_a_servers_newer_advert_replaces_its_gateways_an_older_one_does_not),
		TEST(test_a_gateway_two_servers_advertise_is_listed_once_from_the_newest),
		TEST(test_forgotten_server_and_withdrawn_dc_lose_their_gateways),
		TEST(test_version_grows_when_a_next_hops_gateways_change),
		TEST(test_a_table_read_before_the_recompute_has_a_new_version_for_new_gateways),
		TEST(test_own_gateway_change_makes_a_new_advert_seq_and_the_same_set_does_not),
		TEST(test_invalid_own_gateways_are_refused_and_change_nothing),
		TEST(test_required_gateways_keep_traffic_off_a_dc_without_them),
		TEST(test_without_require_gateways_a_dc_without_them_routes_as_before),
		TEST(test_a_dc_that_gets_a_gateway_carries_traffic_again),
		TEST(test_alternates_need_gateways_too),
		TEST(test_no_gateway_status_has_a_name),
	};
	return RUN_SUITE("routing_gateways", tests);
}

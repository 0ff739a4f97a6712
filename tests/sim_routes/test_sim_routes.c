/*
 * tests/sim_routes/test_sim_routes.c — meshfed-sim -routes end to end: the
 * routing tables of the seed topologies (tests/routing/fixtures, plus
 * variants in fixtures/) computed by the agent's routing code over pools in
 * virtual time, lan profile, seed 1 (deterministic), and the output form.
 *
 * Next hops asserted are the design's (docs/routing.md figures) where the
 * margin between candidates exceeds the hysteresis (10% and 5 ms); near
 * ties are left alone, since which side a DC settles on then depends on
 * the coordinates' early history.
 */
#include <CUnit/Basic.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/cunit_main.h"
#include "tests/run_cmd.h"

#define SEED_FX MF_ROUTING_FIXTURES
#define OWN_FX MF_SIM_ROUTES_FIXTURES

static char err_text[8192];

/* Runs meshfed-sim with args; stdout returned (malloc'd), stderr into
 * err_text, exit status into *status. */
static char *run(const char *args, int *status)
{
	return mf_test_run_cmd(MF_SIM_BIN, args, err_text, sizeof(err_text), status);
}

/* The tables of a -routes run of topology `file` (extra flags appended);
 * NULL unless it exits 0 with a JSON object. */
static json_t *tables(const char *file, const char *extra)
{
	char args[1024];
	int status;
	snprintf(args, sizeof(args), "-topology '%s' -routes -profile lan -rounds 200 %s", file,
		 extra ? extra : "");
	char *out = run(args, &status);
	json_t *doc = out && status == 0 ? json_loads(out, 0, NULL) : NULL;
	free(out);
	if (doc && !json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* DC from's route to target, or NULL. */
static json_t *route(json_t *doc, const char *from, const char *target)
{
	json_t *routes = json_object_get(json_object_get(doc, from), "routes"), *r;
	size_t i;
	json_array_foreach(routes, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "target")), target) == 0)
			return r;
	}
	return NULL;
}

/* from's next hop to target ("" when null, "?" when no route). */
static const char *next_hop(json_t *doc, const char *from, const char *target)
{
	json_t *r = route(doc, from, target);
	if (!r)
		return "?";
	const char *s = json_string_value(json_object_get(r, "next_hop"));
	return s ? s : "";
}

/* from's path to target joined by '-' into buf. */
static const char *path(json_t *doc, const char *from, const char *target, char *buf, size_t cap)
{
	json_t *p = json_object_get(route(doc, from, target), "path"), *v;
	size_t i, len = 0;
	buf[0] = '\0';
	json_array_foreach(p, i, v) {
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "-" : "",
					json_string_value(v));
		if (len >= cap)
			break;
	}
	return buf;
}

/* The topology's RTT between a and b (rtt_ms in either direction), or -1. */
static double topo_rtt(json_t *topo, const char *a, const char *b)
{
	json_t *rtt = json_object_get(topo, "rtt_ms");
	json_t *v = json_object_get(json_object_get(rtt, a), b);
	if (!v)
		v = json_object_get(json_object_get(rtt, b), a);
	return v ? json_number_value(v) : -1;
}

/* The walk census of one span on err_text ("walks rounds 61-120 (60
 * rounds): ..." or "walks after the cut, ..."; cmd/sim/routes_walks.c),
 * into c[]: walks, reached, loops, loops towards cut-off DCs, rounds with
 * a loop, black holes towards reachable and cut-off DCs, dead links,
 * missing routes. 0, or -1 when the line is not there. */
static int walk_census(const char *span, unsigned long long c[9])
{
	char key[64];
	snprintf(key, sizeof(key), "walks %s (", span);
	const char *w = strstr(err_text, key);
	if (!w)
		return -1;
	w = strstr(w, "rounds): ");
	if (!w)
		return -1;
	return sscanf(w,
		      "rounds): %llu, %llu reached; %llu loops (%llu towards cut-off DCs) in %llu "
		      "rounds; black holes %llu towards reachable DCs, %llu towards cut-off DCs; %llu "
		      "over dead links; %llu routes",
		      &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8]) == 9
		       ? 0
		       : -1;
}

/* Hysteresis (docs/routing.md, defaults 10% and 5 ms) keeps a route in use
 * unless the best is shorter by more than both margins, so where direct
 * and a detour are that close either may be kept (full_mesh_4: dc1-dc3 20
 * vs 25 via dc2, dc1-dc4 30 vs 32 via dc3, dc2-dc4 25 vs 27 via dc3); the
 * others must be direct. */
static void test_full_mesh_routes_directly_beyond_the_hysteresis_margin(void)
{
	json_error_t je;
	json_t *topo = json_load_file(SEED_FX "/full_mesh_4.json", 0, &je);
	json_t *doc = tables(SEED_FX "/full_mesh_4.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	static const char *dcs[] = {"dc1", "dc2", "dc3", "dc4"};
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++) {
			if (a == b)
				continue;
			json_t *r = route(doc, dcs[a], dcs[b]), *hop;
			CU_ASSERT_PTR_NOT_NULL_FATAL(r);
			double direct = topo_rtt(topo, dcs[a], dcs[b]), best_detour = 1e9, along = 0;
			for (int c = 0; c < 4; c++)
				if (c != a && c != b) {
					double d = topo_rtt(topo, dcs[a], dcs[c]) +
						   topo_rtt(topo, dcs[c], dcs[b]);
					best_detour = d < best_detour ? d : best_detour;
				}
			json_t *p = json_object_get(r, "path");
			size_t i;
			json_array_foreach(p, i, hop) {
				if (i > 0)
					along += topo_rtt(topo,
							  json_string_value(json_array_get(p, i - 1)),
							  json_string_value(hop));
			}
			if (best_detour - direct > 5 && best_detour - direct > 0.1 * best_detour)
				CU_ASSERT_STRING_EQUAL(next_hop(doc, dcs[a], dcs[b]), dcs[b]);
			CU_ASSERT(along > 0 && along <= direct * 1.1 + 5 + 0.001);
		}
	json_decref(doc);
	json_decref(topo);
}

static void test_output_is_one_table_per_dc_with_the_documented_fields(void)
{
	json_t *doc = tables(SEED_FX "/line_3.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(json_object_size(doc), 3);
	const char *dc;
	json_t *t;
	json_object_foreach(doc, dc, t) {
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "datacenter")), dc);
		CU_ASSERT(json_is_integer(json_object_get(t, "version")));
		json_t *routes = json_object_get(t, "routes"), *r;
		size_t i;
		CU_ASSERT_EQUAL(json_array_size(routes), 3);
		json_array_foreach(routes, i, r) {
			CU_ASSERT(json_is_string(json_object_get(r, "target")));
			CU_ASSERT(json_is_string(json_object_get(r, "status")));
			CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "next_hop"));
			CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "distance_ms"));
			CU_ASSERT(json_is_array(json_object_get(r, "path")));
			CU_ASSERT(json_is_string(json_object_get(r, "mode")));
			CU_ASSERT(json_is_array(json_object_get(r, "gateways")));
		}
	}
	/* the synthetic gateway of the next hop, at the WAN emulator's address */
	json_t *gw = json_array_get(json_object_get(route(doc, "dc1", "dc3"), "gateways"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(gw, "name")), "dc2-g1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(gw, "addr")), "198.18.2.101:8443");
	int rounds = -1;
	const char *c = strstr(err_text, "converged after ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(sscanf(c, "converged after %d rounds", &rounds), 1);
	CU_ASSERT(rounds >= 1 && rounds < 200);
	json_decref(doc);
}

static void test_line_of_areas_routes_both_ends_through_the_middle(void)
{
	char p[128];
	json_t *doc = tables(SEED_FX "/line_3.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc1", "dc3"), "dc2");
	CU_ASSERT_STRING_EQUAL(path(doc, "dc1", "dc3", p, sizeof(p)), "dc1-dc2-dc3");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc3", "dc1"), "dc2");
	CU_ASSERT_STRING_EQUAL(path(doc, "dc3", "dc1", p, sizeof(p)), "dc3-dc2-dc1");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc2", "dc1"), "dc1");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc2", "dc3"), "dc3");
	json_decref(doc);
}

static void test_areas_dc1_reaches_dc5_through_dc4_multi_hop(void)
{
	char p[128];
	json_t *doc = tables(SEED_FX "/areas_5.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc1", "dc5"), "dc4");
	CU_ASSERT_STRING_EQUAL(path(doc, "dc1", "dc5", p, sizeof(p)), "dc1-dc4-dc5");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc5", "dc1"), "dc4");
	json_decref(doc);
}

static void test_areas_dc1_reaches_dc5_through_dc4_single_hop(void)
{
	json_t *doc = tables(OWN_FX "/areas_5_single_hop.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	json_t *r = route(doc, "dc1", "dc5");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "mode")), "single-hop");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc1", "dc5"), "dc4");
	/* a configured direct link is kept in single-hop */
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc1", "dc4"), "dc4");
	json_decref(doc);
}

static void test_areas_dc5_is_unreachable_from_dc1_when_dc4_is_not_transit(void)
{
	json_t *doc = tables(SEED_FX "/areas_5_dc4_no_transit.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	json_t *r = route(doc, "dc1", "dc5");
	CU_ASSERT(r == NULL ||
		  strcmp(json_string_value(json_object_get(r, "status")), "unreachable") == 0);
	/* dc4 itself still reaches both sides */
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc4", "dc5"), "dc5");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc4", "dc1"), "dc1");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc1", "dc4"), "dc4");
	json_decref(doc);
}

static void test_single_hop_target_keeps_the_slow_direct_link(void)
{
	json_t *doc = tables(OWN_FX "/slow_link_4_single_hop_dc3.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	json_t *r = route(doc, "dc4", "dc3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "mode")), "single-hop");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "status")), "direct");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc4", "dc3"), "dc3");
	json_decref(doc);
}

/* The 200 ms dc3-dc4 link breaks the triangle inequality (15 + 15 via
 * dc1): coordinates cannot show it (docs/simulator.md "Routes"), the
 * node's own measured RTTs can. */
static void test_multi_hop_avoids_the_slow_link_with_measured_link_estimates(void)
{
	char p[128];
	json_t *doc = tables(SEED_FX "/slow_link_4.json", "-link-estimate best");
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc4", "dc3"), "dc1");
	CU_ASSERT_STRING_EQUAL(path(doc, "dc4", "dc3", p, sizeof(p)), "dc4-dc1-dc3");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc3", "dc4"), "dc1");
	json_decref(doc);
}

static void test_multi_hop_goes_around_a_missing_link_in_the_wan_pool(void)
{
	json_t *doc = tables(SEED_FX "/slow_link_4_down.json", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc4", "dc3"), "dc1");
	CU_ASSERT_STRING_EQUAL(next_hop(doc, "dc3", "dc4"), "dc1");
	json_decref(doc);
}

/* Servers of one DC measure their links slightly differently; near ties
 * must still end in one table per DC (docs/routing.md, "One table per DC").
 * meshfed-sim compares every server's next hops and paths with its DC's
 * first server and says "servers of N DC(s) disagree" otherwise. */
static void same_table_per_dc(const char *file, const char *seed)
{
	json_t *doc = tables(file, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(json_object_size(doc), 20);
	CU_ASSERT_PTR_NULL(strstr(err_text, "disagree"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "converged after "));
	json_decref(doc);
}

/* Seed 2 alone (CI time, route21): the seed on which servers of one DC
 * were left disagreeing by a change that was not kept (docs/routing.md,
 * "A budget of 250 B/s for early bases"); seed 1 settled in 14-19 rounds
 * without a disagreement on record, and is the seed of the noise test
 * below. */
static void test_servers_of_a_dc_agree_on_random_20_dc_areas(void)
{
	same_table_per_dc(OWN_FX "/random_20_areas.json", "-seed 2");
}

static void test_servers_of_a_dc_agree_on_random_20_dc_wan_pool(void)
{
	same_table_per_dc(OWN_FX "/random_20_wan.json", "-seed 1");
}

/* Near-shortest paths (docs/routing.md, "Settling"): 16 WonderNetwork
 * cities as DCs of 2 servers in one WAN pool (scripts/wonder-topology
 * -step 14), measured RTTs breaking the triangle inequality. Early
 * coordinate estimates pick indirect paths that the margin alone kept up
 * to 23 % above the shortest (16 of 240 routes beyond 5 % and 2 ms); once
 * the settle time has passed every route is within 5 % or 2 ms. */
static void test_routes_end_within_5_percent_or_2_ms_of_the_shortest(void)
{
	int status;
	char *out = run("-topology '" OWN_FX "/wonder_16.json' -routes -profile wan -rounds 200 "
			"-stable 1000 -tables off",
			&status);
	free(out);
	unsigned near = 0, all = 0;
	const char *line = strstr(err_text, "routes within 5% or 2 ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	while (line > err_text && line[-1] != ';')
		line--;
	CU_ASSERT_EQUAL(sscanf(line, " %u of %u", &near, &all), 2);
	CU_ASSERT_EQUAL(all, 240);
	CU_ASSERT_EQUAL(near, all);
	if (near != all)
		fprintf(stderr, "%s", err_text);
	CU_ASSERT_PTR_NULL(strstr(err_text, "disagree"));
}

/* Advertisement traffic under noise (docs/routing.md, "Beats apart from
 * full state", "Deltas", "A steadier link estimate"): on wonder_16 (32
 * servers, one WAN pool) with +-10 % noise on RTT samples, the routing
 * gossip every server receives in the second half of the run. Beats riding
 * in full state cost 8.8-9.2 KB/s here (every server a new state per 5 s,
 * relayed by every member); apart, 371 B/s; with changes as deltas
 * (relayed 3 times) and followed choices waiting, 191 B/s, and routes stay
 * within 5 % or 2 ms of the shortest as before (>= 235 of 240 under
 * noise). 400 rounds since links take the routing median (eight samples a
 * pool pass apart): at 200 it had yet to settle some routes (near 233,
 * 235, 235, 232 on seeds 1-4 against 239, 234, 236, 234 with the
 * three-sample filter), at 400 it has (237, 236, 233, 234 against 237,
 * 233, 232, 235). The 40-DC figure (7.5 KB/s before, 1.8 now) is a bench
 * figure: that run takes over a CPU minute. */
static void test_advert_bytes_stay_small_under_noise(void)
{
	/* One seed, as before route21 (CI time): the near count of one seed
	 * moves by a few routes with any change of timing (seeds 1-14:
	 * 232-240), but seed 1 gives 240 with deltas that reach back and
	 * seeds 1-6 235-240 (docs/simulator.md, route21). */
	int status;
	char *out = run("-topology '" OWN_FX "/wonder_16.json' -routes -profile wan -rounds 400 "
			"-stable 1000 -noise 0.1 -seed 1 -tables off",
			&status);
	free(out);
	double gossip = -1;
	unsigned near = 0, all = 0;
	const char *b = strstr(err_text, "bytes received per server per second: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sscanf(b, "bytes received per server per second: %lf gossip", &gossip), 1);
	const char *line = strstr(err_text, "routes within 5% or 2 ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	while (line > err_text && line[-1] != ';')
		line--;
	CU_ASSERT_EQUAL(sscanf(line, " %u of %u", &near, &all), 2);
	CU_ASSERT(gossip > 0 && gossip < 300);
	CU_ASSERT_EQUAL(all, 240);
	CU_ASSERT(near >= 235);
	/* Of it adverts (beats apart): 56 B/s before quiet riders and the
	 * version-3 delta header, 33 with them (docs/routing.md, "Riders and a
	 * shorter header", route29). */
	double adv = -1;
	const char *g = strstr(err_text, ": gossip ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(sscanf(g, ": gossip %lf adverts", &adv), 1);
	CU_ASSERT(adv > 0 && adv < 45);
	if (!(gossip > 0 && gossip < 300) || near < 235 || !(adv > 0 && adv < 45))
		fprintf(stderr, "%s", err_text);
}

/* Issue 13, point 2 (docs/routing.md, "Anti-entropy by digest"): all the
 * routing bytes a server receives (gossip and push-pull) on random_20_areas
 * (20 DCs of 3 servers in areas) under +-10 % noise, rounds 61-120. With
 * push-pull of full states (every stored state that fit) it was 1,223 B/s
 * (486 gossip, 737 push-pull), and push-pull grows with the number of DCs
 * (4 KB/s at 100); with digests, pulls and deltas at any size, ~500 B/s
 * (503: 462 gossip, 41 push-pull), and every route stays within 5 % or 2 ms
 * of the shortest. Hurried beats then raised it to 662 (545 of it beats:
 * each server in ~8 area pools sent every beat to its mates and to 2 others
 * per pool); with beats sent once per recipient, rises relayed as they are
 * heard and every DC listed once a minute (docs/routing.md, "Thinner
 * beats"), 203 (94 of it beats). The split of the advert bytes by message
 * (route18) must add up: 76 = 0 full states + 70 deltas + 6 digests and
 * pulls + 1 answer (rounded). */
static void test_routing_bytes_with_digests_stay_small_under_noise_in_areas(void)
{
	int status;
	char *out = run("-topology '" OWN_FX "/random_20_areas.json' -routes -rounds 120 "
			"-stable 1000 -noise 0.1 -seed 1 -tables off",
			&status);
	free(out);
	double gossip = -1, pp = -1;
	unsigned near = 0, all = 0;
	const char *b = strstr(err_text, "bytes received per server per second: ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(sscanf(b, "bytes received per server per second: %lf gossip, %lf push-pull",
			       &gossip, &pp),
			2);
	const char *line = strstr(err_text, "routes within 5% or 2 ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	while (line > err_text && line[-1] != ';')
		line--;
	CU_ASSERT_EQUAL(sscanf(line, " %u of %u", &near, &all), 2);
	CU_ASSERT(gossip > 0 && pp >= 0 && gossip + pp < 300);
	CU_ASSERT(pp < 100);
	/* The advertisement bytes split by message (docs/simulator.md) add up
	 * to the adverts figure; in a steady window they are deltas. */
	double adv = -1, beats = -1, full = -1, delta = -1, pulls = -1, answers = -1;
	const char *g = strstr(err_text, ": gossip ");
	const char *k = strstr(err_text, ": adverts ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(sscanf(g, ": gossip %lf adverts + %lf beats", &adv, &beats), 2);
	CU_ASSERT_EQUAL(sscanf(k, ": adverts %lf full states + %lf deltas + %lf digests and "
				  "pulls + %lf answers to pulls",
			       &full, &delta, &pulls, &answers),
			4);
	CU_ASSERT(fabs(full + delta + pulls + answers - adv) <= 2);
	CU_ASSERT(delta > full);
	CU_ASSERT_EQUAL(all, 380);
	CU_ASSERT(near >= 375);
	/* Issue 13, point 1 (docs/routing.md, "Loops and black holes in
	 * gossip"): once routes have settled, noise moves next hops without
	 * a loop or a black hole on any walk (without feasibility; its
	 * transient loops are the cold start's and a cut's). */
	unsigned long long c[9];
	CU_ASSERT_EQUAL_FATAL(walk_census("rounds 61-120", c), 0);
	CU_ASSERT_EQUAL(c[0], 60ull * 60 * 19); /* every server's route to every DC, every round */
	CU_ASSERT_EQUAL(c[1], c[0]);
	if (!(gossip > 0 && gossip + pp < 300 && pp < 100) || near < 375 || c[1] != c[0])
		fprintf(stderr, "%s", err_text);
}

/* Issue 13, point 1 (docs/routing.md, "A link is usable only if it works
 * directly", "Origin ages"): N DCs of one server in areas of about 16 DCs
 * (scripts/area-topology -n N -servers 1), cut west from east at round
 * CUT_ROUND. Only the DCs near the line share a pool with the other side,
 * and those pools keep members across alive or suspect for minutes
 * (indirect probes, Lifeguard stretching probe intervals up to 8x), so
 * before reach probes the direct links across stayed usable and routes
 * across were held for good (54 of 5,000 still held 31 rounds after the
 * cut at 100 DCs, 10 of 1,250 at 50). Now a direct link goes when its DC
 * stops answering our pings (~16 s), and a route through others when its
 * target's epoch has not risen for MF_ROUTING_NODE_MAX_AGE (120 s = 24
 * rounds of 5 s), counted from the origin's own rise (the beat's age):
 * every route across is gone within CUT_BOUND rounds, whatever the width.
 * Counted from when the rise reached each DC (before ages), 5,618 of
 * 34,654 routes were still held 31 rounds after the cut at 300 DCs; with
 * ages alone, 113, held by DCs that first heard of the far side after the
 * cut (a full state has no ages) and got the earlier dating late; hurried
 * beats and answers correct such a dating within a beat period
 * (docs/routing.md, "Hurried beats"). The bound does not grow with the
 * DCs: max_age (8 beats of 15 s), the last rise up to a beat before the
 * cut, and a beat period for a late dating to be corrected: 150 s, 30
 * rounds of 5 s. */
#define CUT_ROUND 10
#define CUT_BOUND 30
static void routes_across_withdrawn_in_bounded_rounds(const char *file, unsigned min_held, bool no_holes)
{
	int status;
	char args[512];
	snprintf(args, sizeof(args),
		 "-topology '%s' -routes -rounds %d -cut %d -stable 1000 -seed 1 -tables off", file,
		 CUT_ROUND + CUT_BOUND, CUT_ROUND);
	free(run(args, &status));
	unsigned held = 0;
	int after = -1;
	const char *h = strstr(err_text, "routes across held before it");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	while (h > err_text && h[-1] != ':')
		h--;
	CU_ASSERT_EQUAL(sscanf(h, " %u", &held), 1);
	const char *w = strstr(err_text, "routes across withdrawn after ");
	if (w)
		CU_ASSERT_EQUAL(sscanf(w, "routes across withdrawn after %d", &after), 1);
	/* The cut must matter: many routes crossed it. */
	CU_ASSERT(held >= min_held);
	CU_ASSERT(after >= 1 && after <= CUT_BOUND);
	/* The walk census after the cut (cmd/sim/routes_walks.c): every walk
	 * ends in exactly one class; walks towards the cut-off part end in
	 * black holes or over the dead links across (and, without
	 * feasibility, in loops while paths are hunted: 13,148 walks at 50
	 * DCs, 83,531 at 100). With no_holes (50 and 100 DCs, measured), no
	 * walk towards a DC still reachable ends in a black hole: DCs keep a
	 * route inside their part (a few loop at 50 DCs while the cut's link
	 * failures move routes). */
	unsigned long long c[9];
	char span[64];
	snprintf(span, sizeof(span), "after the cut, rounds %d-%d", CUT_ROUND, CUT_ROUND + CUT_BOUND);
	CU_ASSERT_EQUAL_FATAL(walk_census(span, c), 0);
	CU_ASSERT_EQUAL(c[0], c[1] + c[2] + c[5] + c[6] + c[7]);
	if (no_holes)
		CU_ASSERT_EQUAL(c[5], 0);
	CU_ASSERT(c[6] + c[7] > 0);
	if (held < min_held || after < 1 || after > CUT_BOUND)
		fprintf(stderr, "%s", err_text);
}

/* In CI: 50 DCs (12 s of CPU at -O2; the 100-DC case took ~100 s of CI's
 * ASan run). */
static void test_routes_across_a_cut_are_withdrawn_in_bounded_rounds(void)
{
	routes_across_withdrawn_in_bounded_rounds(OWN_FX "/areas_50.json", 500, true);
}

/* Label long (`test_sim_routes long`): 100 DCs (~20 s of CPU) and 300 DCs
 * (~2 CPU minutes, 0.7 GB), the width at which aging from the arrival of
 * each rise failed, and then origin ages alone (113 of 34,654 routes
 * across held after 31 rounds; docs/simulator.md, "The cut"). */
static void test_routes_across_a_cut_of_100_dcs_are_withdrawn_in_bounded_rounds(void)
{
	routes_across_withdrawn_in_bounded_rounds(OWN_FX "/areas_100.json", 2000, true);
}

static void test_routes_across_a_cut_of_300_dcs_are_withdrawn_in_bounded_rounds(void)
{
	routes_across_withdrawn_in_bounded_rounds(OWN_FX "/areas_300.json", 10000, false);
}

static void test_routes_without_a_topology_is_a_usage_error(void)
{
	int status;
	char *out = run("-routes -n 4", &status);
	CU_ASSERT_EQUAL(status, 2);
	free(out);
}

int main(int argc, char **argv)
{
	static const struct test_case long_tests[] = {
		{"routes across a cut are withdrawn in bounded rounds (100 DCs in areas)",
		 test_routes_across_a_cut_of_100_dcs_are_withdrawn_in_bounded_rounds},
		{"routes across a cut are withdrawn in bounded rounds (300 DCs in areas)",
		 test_routes_across_a_cut_of_300_dcs_are_withdrawn_in_bounded_rounds},
	};
	if (argc > 1 && strcmp(argv[1], "long") == 0)
		return RUN_SUITE("sim_routes_long", long_tests);
	static const struct test_case tests[] = {
		{"full mesh routes directly beyond the hysteresis margin",
		 test_full_mesh_routes_directly_beyond_the_hysteresis_margin},
		{"output is one table per DC with the documented fields",
		 test_output_is_one_table_per_dc_with_the_documented_fields},
		{"line of areas routes both ends through the middle",
		 test_line_of_areas_routes_both_ends_through_the_middle},
		{"areas: dc1 reaches dc5 through dc4 (multi-hop)",
		 test_areas_dc1_reaches_dc5_through_dc4_multi_hop},
		{"areas: dc1 reaches dc5 through dc4 (single-hop)",
		 test_areas_dc1_reaches_dc5_through_dc4_single_hop},
		{"areas: dc5 unreachable from dc1 when dc4 is not transit",
		 test_areas_dc5_is_unreachable_from_dc1_when_dc4_is_not_transit},
		{"single-hop target keeps the slow direct link",
		 test_single_hop_target_keeps_the_slow_direct_link},
		{"multi-hop avoids the slow link with measured link estimates",
		 test_multi_hop_avoids_the_slow_link_with_measured_link_estimates},
		{"multi-hop goes around a missing link in the WAN pool",
		 test_multi_hop_goes_around_a_missing_link_in_the_wan_pool},
		{"servers of a DC agree on random 20-DC areas",
		 test_servers_of_a_dc_agree_on_random_20_dc_areas},
		{"servers of a DC agree on a random 20-DC WAN pool",
		 test_servers_of_a_dc_agree_on_random_20_dc_wan_pool},
		{"routes end within 5% or 2 ms of the shortest (WonderNetwork, 16 DCs)",
		 test_routes_end_within_5_percent_or_2_ms_of_the_shortest},
		{"advert bytes stay small under +-10% noise (WonderNetwork, 16 DCs)",
		 test_advert_bytes_stay_small_under_noise},
		{"routing bytes with digests stay small under +-10% noise (20 DCs in areas)",
		 test_routing_bytes_with_digests_stay_small_under_noise_in_areas},
		{"routes across a cut are withdrawn in bounded rounds (50 DCs in areas)",
		 test_routes_across_a_cut_are_withdrawn_in_bounded_rounds},
		{"-routes without a topology is a usage error",
		 test_routes_without_a_topology_is_a_usage_error},
	};
	return RUN_SUITE("sim_routes", tests);
}

/* tests/routing/engine_hand.c — hand-built advertisements offered to one
 * engine, shared by test_engine.c, test_engine_hysteresis.c and
 * test_alternates.c (engine_hand.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/fixture.h"
#include "tests/routing/helpers.h"
#include "tests/routing/engine_hand.h"

/* dc1 with links to dc2 (10) and dc3 (10); dc2 offers dc9 at d2, dc3 at d3. */
struct mf_routing *two_ways(double d2, double d3, double pct, double ms)
{
	struct mf_routing *r = h_engine("dc1", pct, ms);
	struct mf_advert a;
	char spec[128];
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 10);
	snprintf(spec, sizeof spec, "dc2 0;dc9 %g", d2);
	h_advert(&a, "dc2", "dc2-s1", 1, true, spec);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	mf_advert_free(&a);
	snprintf(spec, sizeof spec, "dc3 0;dc9 %g", d3);
	h_advert(&a, "dc3", "dc3-s1", 1, true, spec);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	return r;
}

struct mf_routing *two_ways_clocked(struct mf_routing_config *c, double d2, double d3)
{
	c->datacenter = "dc1";
	c->node = "dc1-s1";
	struct mf_routing *r = NULL;
	CU_ASSERT_FATAL(mf_routing_new(c, &r) == 0);
	mf_routing_set_now(r, 0);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 10);
	char spec[64];
	snprintf(spec, sizeof spec, d2 < 0 ? "dc2 0" : "dc2 0;dc9 %g", d2);
	offer(r, "dc2", 1, spec);
	snprintf(spec, sizeof spec, d3 < 0 ? "dc3 0" : "dc3 0;dc9 %g", d3);
	offer(r, "dc3", 1, spec);
	return r;
}

void recompute_at(struct mf_routing *r, uint64_t now)
{
	mf_routing_set_now(r, now);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
}

void offer(struct mf_routing *r, const char *origin, uint64_t seq, const char *spec)
{
	struct mf_advert a;
	char node[80];
	snprintf(node, sizeof node, "%s-s1", origin);
	h_advert(&a, origin, node, seq, true, spec);
	CU_ASSERT_EQUAL(mf_routing_set_advert(r, &a), 1);
	mf_advert_free(&a);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
}

/* --- engines of a fixture (struct sim) -------------------------------------- */

struct mf_routing *h_dc_engine(struct sim *s, const char *dc)
{
	int i = sim_index(s, dc);
	return i >= 0 ? s->eng[i] : NULL;
}

/* Loads a fixture and runs it to convergence. */
int converge(const char *file, const struct mf_routing_config *cfg, struct sim *s)
{
	int rounds = 0, rc = fixture_load(file, cfg, s);
	if (rc == 0)
		rc = sim_run(s, 50, &rounds);
	CU_ASSERT_EQUAL(rc, 0);
	return rc;
}

void assert_route(struct sim *s, const char *from, const char *to, enum mf_route_status st,
			 const char *nh, double dist, const char *path)
{
	char pbuf[512];
	struct mf_routing *r = h_dc_engine(s, from);
	struct mf_route_view v = h_route(r, to);
	h_path(r, to, pbuf, sizeof pbuf);
	if (v.status != st || (nh && (!v.next_hop || strcmp(nh, v.next_hop))) || (!nh && v.next_hop) ||
	    !(v.distance_ms == dist || (isinf(dist) && isinf(v.distance_ms))) || strcmp(path, pbuf))
		printf("\n  %s -> %s: got %s via %s %g [%s], want %s via %s %g [%s]", from, to,
		       mf_route_status_name(v.status), v.next_hop ? v.next_hop : "-", v.distance_ms, pbuf,
		       mf_route_status_name(st), nh ? nh : "-", dist, path);
	CU_ASSERT_EQUAL(v.status, st);
	CU_ASSERT(nh ? v.next_hop && strcmp(nh, v.next_hop) == 0 : v.next_hop == NULL);
	CU_ASSERT(v.distance_ms == dist || (isinf(dist) && isinf(v.distance_ms)));
	CU_ASSERT_STRING_EQUAL(pbuf, path);
}

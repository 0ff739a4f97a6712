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

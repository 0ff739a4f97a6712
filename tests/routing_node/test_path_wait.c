/*
 * tests/routing_node/test_path_wait.c — the engine's path_wait
 * (routing/engine.h; docs/routing.md "Paths that wait"), on hand-built
 * advertisements offered to one engine (dc1, linked to dc2 only, dc2
 * routing to dc5 through dc3 or dc4):
 *  - with feasibility and path_wait, a path change below an unchanged next
 *    hop makes no new state until path_wait after our last one;
 *  - past the hysteresis margin it goes at once, as a distance move;
 *  - without path_wait, or without feasibility, it goes at once (today's
 *    behaviour, the default).
 */
#include <CUnit/Basic.h>

#include "routing/engine.h"
#include "tests/cunit_main.h"
#include "tests/routing/helpers.h"

#define WAIT 100

/* dc1 (feasibility hold: `hold`, path_wait: `wait`), its clock started at
 * 1, linked to dc2 at 10 ms, holding dc2's state: dc4 at 5 ms, dc5 at
 * 20 ms via dc3 (every DC named from the start: a new name alone makes a
 * new state). */
static struct mf_routing *dc1(uint64_t hold, uint64_t wait)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.beats_apart = true; /* as the node: epochs alone make no new state */
	c.feasibility_hold = hold;
	c.path_wait = wait;
	c.readvertise_interval = 100 * WAIT;
	struct mf_routing *r = NULL;
	CU_ASSERT_FATAL(mf_routing_new(&c, &r) == 0);
	mf_routing_set_now(r, 1);
	CU_ASSERT(mf_routing_set_link(r, "dc2", true, true, 10) >= 0);
	CU_ASSERT(h_set_advert(r, "dc2", "dc2-s1", 10, true, "dc2 0;dc4 5;dc5 20 dc3") >= 0);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	return r;
}

/* dc2's next state (seq) with spec, recomputed at now: our seq then. */
static uint64_t after(struct mf_routing *r, uint64_t seq, const char *spec, uint64_t now)
{
	CU_ASSERT(h_set_advert(r, "dc2", "dc2-s1", seq, true, spec) >= 0);
	mf_routing_set_now(r, now);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	return mf_routing_advert_seq(r);
}

static void test_a_path_below_the_next_hop_waits_with_feasibility(void)
{
	struct mf_routing *r = dc1(1000, WAIT);
	uint64_t s0 = mf_routing_advert_seq(r);
	char path[128];
	/* dc2 now reaches dc5 through dc4, 0.5 ms longer: our path moves
	 * below dc2, our distance by 1.7 % (under the 10 % margin). */
	CU_ASSERT_EQUAL(after(r, 11, "dc2 0;dc4 5;dc5 20.5 dc4", 2), s0);
	CU_ASSERT_STRING_EQUAL(h_path(r, "dc5", path, sizeof path), "dc1,dc2,dc4,dc5");
	/* ... until path_wait after our last state: then it goes. */
	mf_routing_set_now(r, 1 + WAIT);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(r), s0 + 1);
	/* Back through dc3 and 15 ms longer (past the margin): at once. */
	CU_ASSERT_EQUAL(after(r, 12, "dc2 0;dc4 5;dc5 35 dc3", 2 + WAIT), s0 + 2);
	mf_routing_free(r);
}

static void test_without_path_wait_or_feasibility_a_path_goes_at_once(void)
{
	const uint64_t cfg[2][2] = {{1000, 0}, {0, WAIT}};
	for (int k = 0; k < 2; k++) {
		struct mf_routing *r = dc1(cfg[k][0], cfg[k][1]);
		uint64_t s0 = mf_routing_advert_seq(r);
		CU_ASSERT_EQUAL(after(r, 11, "dc2 0;dc4 5;dc5 20.5 dc4", 2), s0 + 1);
		mf_routing_free(r);
	}
}

int main(void)
{
	const struct test_case tests[] = {
		TEST(test_a_path_below_the_next_hop_waits_with_feasibility),
		TEST(test_without_path_wait_or_feasibility_a_path_goes_at_once),
	};
	return RUN_SUITE("routing_path_wait", tests);
}

/* The walk census of tests/routing/sim_check.c (sim_walk_census), on
 * tables set by hand: it must tell a forwarding loop from a black hole and
 * from a path still moving, count each cycle once, find a cycle a reference
 * federation lacks, and flag a cycle made of state older than one exchange.
 * The withdrawal test that relies on it is routing_freshness. */
#include <stdio.h>

#include <CUnit/Basic.h>

#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"
#include "tests/cunit_main.h"

/* dc000 - dc001 linked (10 ms), dc002 cut off from both, dc003 hanging
 * off dc000 (so two walks run into the same cycle); no advertisement
 * exchanged, every engine recomputed from what the test gives it. */
static void three_and_one(struct sim *s)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	CU_ASSERT_FATAL(sim_init(s, 4, NULL, &c, NULL) == 0);
	CU_ASSERT(sim_link2(s, 0, 1, true, true, 10) == 0);
	CU_ASSERT(sim_link2(s, 0, 3, true, true, 10) == 0);
	CU_ASSERT(sim_link2(s, 0, 2, true, false, 0) == 0);
	CU_ASSERT(sim_link2(s, 1, 2, true, false, 0) == 0);
}

static void recompute(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++)
		CU_ASSERT(mf_routing_recompute(s->eng[i], NULL) == 0);
}

/* Each of dc000 and dc001 holds the other's old direct route to dc002:
 * both route to it through the other, the path vector's transient loop.
 * dc003 goes through dc000 into it. */
static void inject_loop(struct sim *s)
{
	CU_ASSERT(h_set_advert(s->eng[0], "dc001", "dc001-s1", 1, true, "dc001 0;dc002 10") == 1);
	CU_ASSERT(h_set_advert(s->eng[1], "dc000", "dc000-s1", 1, true, "dc000 0;dc002 10;dc003 10") == 1);
	CU_ASSERT(h_set_advert(s->eng[3], "dc000", "dc000-s1", 1, true, "dc000 0;dc001 10;dc002 20 dc001") == 1);
	recompute(s);
}

static void test_census_finds_an_injected_loop(void)
{
	struct sim s;
	three_and_one(&s);
	inject_loop(&s);
	struct sim_walks c = {0};
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	/* Walks to dc002 from dc000, dc001 and dc003 loop (one cycle); the
	 * six others (dc000 <-> dc001, dc000 <-> dc003, dc001 <-> dc003
	 * through dc000) reach their targets along the table's path. */
	CU_ASSERT_EQUAL(c.last.loops, 3);
	CU_ASSERT_EQUAL(c.last.loops_cut, 3);
	CU_ASSERT_EQUAL(c.last.cycles, 1);
	CU_ASSERT_EQUAL(c.last.black_holes, 0);
	CU_ASSERT_EQUAL(c.last.matching, 6);
	CU_ASSERT_EQUAL(c.last.walks, 9);
	CU_ASSERT_EQUAL(c.loop_instants, 1);
	/* No census before: the cycle's age is not judged. */
	CU_ASSERT_EQUAL(c.last.cycles_stale, 0);
	/* The second census of the same tables: dc000's route through dc001
	 * is not dc001's route of the census before (dc001 then went through
	 * dc000): state older than one exchange. */
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	CU_ASSERT_EQUAL(c.last.cycles_stale, 1);
	CU_ASSERT_EQUAL(c.all.loops, 6);
	CU_ASSERT_EQUAL(c.instants, 2);
	sim_walks_free(&c);
	sim_free(&s);
}

/* dc001 has dropped dc002: dc000's route through it ends in a black hole,
 * not a loop. */
static void test_census_tells_a_black_hole_from_a_loop(void)
{
	struct sim s;
	three_and_one(&s);
	inject_loop(&s);
	CU_ASSERT(h_set_advert(s.eng[1], "dc000", "dc000-s1", 2, true, "dc000 0;dc003 10") == 1);
	recompute(&s);
	struct sim_walks c = {0};
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	CU_ASSERT_EQUAL(c.last.loops, 0);
	CU_ASSERT_EQUAL(c.last.cycles, 0);
	CU_ASSERT_EQUAL(c.last.black_holes, 2); /* dc000 and dc003 to dc002 */
	CU_ASSERT_EQUAL(c.last.black_holes_cut, 2);
	sim_walks_free(&c);
	sim_free(&s);
}

/* The same loop against a reference federation without it: new; against
 * one with it: not new. */
static void test_census_compares_with_a_reference(void)
{
	struct sim s, ref;
	three_and_one(&s);
	three_and_one(&ref);
	inject_loop(&s);
	struct sim_walks c = {.ref = &ref};
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	CU_ASSERT_EQUAL(c.last.cycles_new, 1);
	CU_ASSERT_EQUAL(c.last.loops_new, 3);
	inject_loop(&ref);
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	CU_ASSERT_EQUAL(c.last.cycles_new, 0);
	CU_ASSERT_EQUAL(c.last.loops_new, 0);
	sim_walks_free(&c);
	sim_free(&s);
	sim_free(&ref);
}

/* A path still moving: dc003's table says dc003 dc000 dc002 (20 ms, from
 * dc000's old route), but dc000 now goes through dc001. */
static void test_census_tells_a_moved_path(void)
{
	struct sim s;
	three_and_one(&s);
	CU_ASSERT(sim_link2(&s, 0, 2, true, true, 10) == 0);
	CU_ASSERT(sim_link2(&s, 1, 2, true, true, 5) == 0);
	CU_ASSERT(h_set_advert(s.eng[3], "dc000", "dc000-s1", 1, true, "dc000 0;dc002 10") == 1);
	recompute(&s);
	CU_ASSERT(sim_link2(&s, 0, 2, true, false, 0) == 0);
	CU_ASSERT(h_set_advert(s.eng[0], "dc001", "dc001-s1", 1, true, "dc001 0;dc002 5") == 1);
	CU_ASSERT(mf_routing_recompute(s.eng[0], NULL) == 0);
	struct sim_walks c = {0};
	CU_ASSERT_FATAL(sim_walk_census(&s, &c) == 0);
	CU_ASSERT_EQUAL(c.last.loops, 0);
	CU_ASSERT_EQUAL(c.last.moved, 1);  /* dc003 -> dc002 */
	CU_ASSERT_EQUAL(c.last.longer, 1); /* 25 ms walked, 20 shown */
	sim_walks_free(&c);
	sim_free(&s);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_census_finds_an_injected_loop),
		TEST(test_census_tells_a_black_hole_from_a_loop),
		TEST(test_census_compares_with_a_reference),
		TEST(test_census_tells_a_moved_path),
	};
	return RUN_SUITE("routing_walk_census", tests);
}

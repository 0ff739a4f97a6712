/* Freshness (routing/engine.h, docs/routing.md "Bounded withdrawal"), through
 * the synchronous simulation of tests/routing/sim.c with a clock of one
 * unit per round: every DC beats every BEAT rounds, a route whose target's
 * epoch has not risen for MAX_AGE rounds is no candidate.
 *  - a part of the federation cut off without any death is withdrawn
 *    everywhere within a bound that does not grow with the number of DCs
 *    (100 and 300 DCs; without freshness it took ~0.6 rounds per DC);
 *  - no loop after it, and the cut-off part comes back when the cut heals;
 *  - while it is withdrawn, no forwarding loop at all (feasibility, with
 *    a hold of one round): none that path hunting without freshness
 *    lacks, none of state older than one exchange (the walk census of
 *    tests/routing/sim_check.c), and afterwards no route within a part
 *    lost to starvation;
 *  - the same with beats apart from full state, as the node runs them;
 *  - a DC whose routes all became infeasible withdraws the target and,
 *    a hold later, forgets its feasibility distance and takes a route,
 *    without waiting for the target's epoch to rise;
 *  - in a connected federation nothing is ever withdrawn by age. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"
#include "tests/cunit_main.h"

#define BEAT 5
#define MAX_AGE (3 * BEAT)
/* Rounds from the cut until no route into the lost part is left: the age
 * bound, one beat of phase and a few rounds of spreading. Measured 17-22
 * at 100-500 DCs (docs/bench.md); independent of the DC count. */
#define WITHDRAW_BOUND (MAX_AGE + BEAT + 10)

static uint64_t rnd(uint64_t *s)
{
	return h_splitmix(s);
}

static void cfg_fresh(struct mf_routing_config *c)
{
	mf_routing_config_default(c);
	c->beat_interval = BEAT;
	c->max_age = MAX_AGE;
	c->feasibility_hold = 1; /* a round: every neighbour then holds our state */
}

/* A random tree plus n extra links, distances 1..100. */
static void random_graph(struct sim *s, uint64_t *rng, size_t n, const struct mf_routing_config *c)
{
	CU_ASSERT_FATAL(sim_init(s, n, NULL, c, NULL) == 0);
	for (size_t i = 1; i < n; i++)
		CU_ASSERT(sim_link2(s, i, (size_t)(rnd(rng) % i), true, true, (double)(1 + rnd(rng) % 100)) ==
			  0);
	for (size_t k = 0; k < n; k++) {
		size_t i = (size_t)(rnd(rng) % n), j = (size_t)(rnd(rng) % n);
		if (i != j)
			CU_ASSERT(sim_link2(s, i, j, true, true, (double)(1 + rnd(rng) % 100)) == 0);
	}
}

/* Routes some alive DC lacks to a DC it can reach (sim_unreachable_routes'
 * converse: nothing reachable may be lost to age). */
static size_t missing_routes(const struct sim *s)
{
	size_t miss = 0;
	for (size_t a = 0; a < s->n; a++)
		for (size_t t = 0; t < s->n; t++) {
			if (a == t)
				continue;
			size_t i;
			struct mf_route_view v;
			int rc = mf_routing_find(s->eng[a], s->names[t], &i);
			if (rc < 0 || mf_routing_route_at(s->eng[a], i, &v) < 0 ||
			    (v.status != MF_ROUTE_DIRECT && v.status != MF_ROUTE_VIA))
				miss++;
		}
	return miss;
}

/* Cuts the links between DCs [0, n/3) and the rest: a third of the
 * federation is cut off, every DC stays alive, no pool sees a death. */
static void cut(struct sim *s, bool usable)
{
	size_t n = s->n, k = n / 3;
	for (size_t i = 0; i < k; i++)
		for (size_t j = k; j < n; j++)
			if (s->configured[i * n + j])
				CU_ASSERT(sim_link2(s, i, j, true, usable, usable ? 50 : 0) == 0);
}

/* A random graph whose two parts, [0, n/3) and the rest, are linked (and
 * each part connected) so the cut is what disconnects them; converged. */
static void two_parts(struct sim *s, uint64_t seed, size_t n, const struct mf_routing_config *c,
		      uint64_t beat_every)
{
	uint64_t rng = seed;
	random_graph(s, &rng, n, c);
	s->beat_every = beat_every; /* beat messages once the clock runs */
	size_t k = n / 3;
	for (size_t i = 1; i < k; i++)
		CU_ASSERT(sim_link2(s, i, i - 1, true, true, 30) == 0);
	for (size_t i = k + 1; i < n; i++)
		CU_ASSERT(sim_link2(s, i, i - 1, true, true, 30) == 0);
	CU_ASSERT(sim_link2(s, 0, k, true, true, 30) == 0);
	int rounds;
	CU_ASSERT_FATAL(sim_run(s, 10 * (int)n + 50, &rounds) == 0);
	s->clocked = true;
	CU_ASSERT(sim_run_for(s, 4 * MAX_AGE) == 0);
}

/* apart: as the node runs, epochs in beat messages apart from full state
 * (ages, hurried beats, relayed rises), so a state carries a route's
 * epoch only when it is made and a starved DC must forget (its feasibility
 * distance would block it until the target makes a new state). */
static void partition_at(size_t n, uint64_t seed, bool apart)
{
	struct mf_routing_config c, old;
	cfg_fresh(&c);
	c.beats_apart = apart;
	c.beat_age_unit = apart;
	c.hurry_min = apart;
	c.relay_rises = apart;
	struct sim s, ref;
	two_parts(&s, seed, n, &c, apart ? BEAT : 0);
	CU_ASSERT(missing_routes(&s) == 0); /* beats keep every route alive */
	/* The same federation without freshness (path hunting, the engine
	 * before origin beats), cut and run beside it. */
	old = c;
	old.beat_interval = old.max_age = old.feasibility_hold = 0;
	two_parts(&ref, seed, n, &old, apart ? BEAT : 0);

	cut(&s, false);
	cut(&ref, false);
	CU_ASSERT_FATAL(!sim_connected(&s));
	CU_ASSERT(sim_unreachable_routes(&s) > 0);
	int r = -1;
	/* Every next-hop walk at the cut and after every round: path
	 * hunting makes transient loops (each member one exchange behind its
	 * next hop) until the part is withdrawn, as without freshness. No
	 * loop may be new (one the federation without freshness lacks at the
	 * same instant), none made of older state, none left at the end. */
	struct sim_walks ref_census, census;
	memset(&ref_census, 0, sizeof ref_census);
	memset(&census, 0, sizeof census);
	census.ref = &ref;
	census.ref_walks = &ref_census;
	s.census = &census;
	CU_ASSERT(sim_run_withdrawn(&s, 10 * (int)n + 50, &r) == 0);
	s.census = NULL;
	printf("\n  %zu DCs: cut-off third withdrawn after %d rounds (bound %d); walks looped %zu of %zu "
	       "(without freshness %zu), cycles %zu (%zu), %zu that lacks, %zu older than one exchange",
	       n, r, WITHDRAW_BOUND, census.all.loops, census.all.walks, census.ref_walks->all.loops,
	       census.all.cycles, census.ref_walks->all.cycles, census.all.cycles_new, census.all.cycles_stale);
	CU_ASSERT(r <= WITHDRAW_BOUND);
	CU_ASSERT_EQUAL(census.all.cycles_stale, 0);
	CU_ASSERT_EQUAL(census.all.cycles_new, 0);
	CU_ASSERT_EQUAL(census.all.loops, 0); /* feasibility: none at all */
	CU_ASSERT(census.all.loops <= census.ref_walks->all.loops);
	CU_ASSERT_EQUAL(census.last.loops, 0);
	sim_walks_free(census.ref_walks);
	sim_walks_free(&census);
	sim_free(&ref);
	/* Stays withdrawn, and the tables within each part are loop-free. */
	CU_ASSERT(sim_run_for(&s, 2 * MAX_AGE) == 0);
	CU_ASSERT(sim_unreachable_routes(&s) == 0);
	CU_ASSERT(sim_missing_routes(&s) == 0); /* none starved */
	CU_ASSERT(sim_check_walks(&s) == 0);

	/* The cut heals: the lost third is back within a few beats. */
	cut(&s, true);
	CU_ASSERT(sim_run_for(&s, 2 * MAX_AGE) == 0);
	CU_ASSERT(missing_routes(&s) == 0);
	CU_ASSERT(sim_check_walks(&s) == 0);
	sim_free(&s);
}

static void test_partition_withdrawn_in_bounded_rounds_100(void)
{
	partition_at(100, 1, false);
	partition_at(100, 2, false);
}

static void test_partition_withdrawn_in_bounded_rounds_300(void)
{
	partition_at(300, 3, false);
}

/* Beats apart, as bench-routing and the node run them (seeds where
 * starved DCs would stay without routes if they never forgot). */
static void test_partition_beats_apart_100(void)
{
	partition_at(100, 4, true);
	partition_at(100, 5, true);
}

/* A DC whose routes all became infeasible forgets its feasibility
 * distance a hold after withdrawing the target, without waiting for the
 * target's epoch to rise: A (dc000) reaches T (dc003) through B (dc001) at
 * 20, or through X (dc002) at 60; B's link to T grows to 100, so B's and
 * X's routes (100 and 50) are both longer than A's 20 and infeasible. A
 * withdraws T for the hold, then takes X's route. Epochs never rise here
 * (a beat every 10,000 rounds). */
static void test_starved_dc_forgets(void)
{
	struct mf_routing_config c;
	cfg_fresh(&c);
	c.beat_interval = 10000;
	c.max_age = 30000;
	struct sim s;
	CU_ASSERT_FATAL(sim_init(&s, 4, NULL, &c, NULL) == 0);
	CU_ASSERT(sim_link2(&s, 0, 1, true, true, 10) == 0);
	CU_ASSERT(sim_link2(&s, 0, 2, true, true, 10) == 0);
	CU_ASSERT(sim_link2(&s, 1, 3, true, true, 10) == 0);
	CU_ASSERT(sim_link2(&s, 2, 3, true, true, 50) == 0);
	s.clocked = true;
	CU_ASSERT(sim_run_for(&s, 10) == 0);
	size_t i;
	struct mf_route_view v;
	CU_ASSERT_FATAL(mf_routing_find(s.eng[0], "dc003", &i) == 0);
	CU_ASSERT(mf_routing_route_at(s.eng[0], i, &v) == 0 && v.distance_ms == 20);
	CU_ASSERT(sim_link2(&s, 1, 3, true, true, 100) == 0);
	bool withdrawn = false; /* feasibility held A off both routes for a while */
	for (int k = 0; k < 10; k++) {
		CU_ASSERT(sim_run_for(&s, 1) == 0);
		withdrawn |= mf_routing_route_at(s.eng[0], i, &v) == 0 && v.status == MF_ROUTE_UNREACHABLE;
	}
	CU_ASSERT(withdrawn);
	CU_ASSERT(mf_routing_route_at(s.eng[0], i, &v) == 0 && v.status == MF_ROUTE_VIA && v.distance_ms == 60 &&
		  v.next_hop && strcmp(v.next_hop, "dc002") == 0);
	CU_ASSERT(sim_missing_routes(&s) == 0);
	CU_ASSERT(sim_check_walks(&s) == 0);
	sim_free(&s);
}

/* Without a clock nothing ages (the engine's default behaviour). */
static void test_no_clock_no_ageing(void)
{
	uint64_t rng = 7;
	struct mf_routing_config c;
	cfg_fresh(&c);
	struct sim s;
	random_graph(&s, &rng, 30, &c);
	int rounds;
	CU_ASSERT_FATAL(sim_run(&s, 400, &rounds) == 0);
	CU_ASSERT(missing_routes(&s) == 0);
	CU_ASSERT(sim_run(&s, 400, &rounds) == 0);
	CU_ASSERT(rounds == 0);
	sim_free(&s);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "partition_withdrawn_in_bounded_rounds_100", test_partition_withdrawn_in_bounded_rounds_100 },
		{ "partition_withdrawn_in_bounded_rounds_300", test_partition_withdrawn_in_bounded_rounds_300 },
		{ "partition_beats_apart_100", test_partition_beats_apart_100 },
		{ "starved_dc_forgets", test_starved_dc_forgets },
		{ "no_clock_no_ageing", test_no_clock_no_ageing },
	};
	return RUN_SUITE("routing_freshness", tests);
}

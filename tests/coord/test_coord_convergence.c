/*
 * tests/coord/test_coord_convergence.c — the client converges on synthetic
 * topologies (serf's performance_test.go, plus a plane with heights).
 * Bounds: serf's own for its topologies, applied to meshfed's default
 * (fit) mode, which must do at least as well.
 */
#include <stdio.h>

#include "tests/cunit_main.h"
#include "tests/coord/sim.h"

static struct sim S; /* large: keep it off the stack */

static struct sim_stats converge_seed(unsigned n, unsigned dim, void (*gen)(struct sim *),
				      unsigned cycles, uint64_t seed)
{
	struct mf_coord_config cfg;
	mf_coord_config_default(&cfg);
	if (dim)
		cfg.dimensionality = dim;
	CU_ASSERT_FATAL(sim_init(&S, n, &cfg) == 0);
	gen(&S);
	CU_ASSERT_FATAL(sim_run(&S, cycles, seed) == 0);
	struct sim_stats st = sim_evaluate(&S);
	printf(" [avg %.6f max %.6f] ", st.avg, st.max);
	return st;
}

static struct sim_stats converge(unsigned n, unsigned dim, void (*gen)(struct sim *),
				 unsigned cycles)
{
	return converge_seed(n, dim, gen, cycles, 1);
}

static void gen_line(struct sim *s) { sim_line(s, 0.010); }
static void gen_grid(struct sim *s) { sim_grid(s, 0.010); }
static void gen_plane(struct sim *s) { sim_plane_height(s, 0.200, 0.020, 7); }
static void gen_circle(struct sim *s) { sim_circle(s, 0.100); }

static void test_line_of_10_converges_within_serf_bounds(void)
{
	struct sim_stats st = converge(10, 0, gen_line, 1000);
	CU_ASSERT(st.avg <= 0.0018);
	CU_ASSERT(st.max <= 0.0092);
	sim_free(&S);
}

static void test_grid_of_25_converges_within_serf_bounds(void)
{
	/* The grid's average sits right at serf's bound and varies by seed
	 * (seeds 1-8: 0.00096-0.00150, mean 0.00122; with sample_age_power 0
	 * 0.00082-0.00167, mean 0.00127), so the bound applies to the mean
	 * of four runs. */
	double avg = 0.0;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct sim_stats st = converge_seed(25, 0, gen_grid, 1000, seed);
		CU_ASSERT(st.max <= 0.022);
		avg += st.avg / 4.0;
		sim_free(&S);
	}
	CU_ASSERT(avg <= 0.0015);
}

static void test_plane_with_heights_converges(void)
{
	struct sim_stats st = converge(30, 0, gen_plane, 1000);
	CU_ASSERT(st.avg <= 0.005);
	CU_ASSERT(st.max <= 0.03);
	sim_free(&S);
}

static void test_circle_centre_gets_the_height(void)
{
	const double radius = 0.100;
	struct sim_stats st = converge(25, 2, gen_circle, 1000);
	/* serf's TestPerformance_Height bounds. */
	for (unsigned i = 0; i < S.n; i++) {
		double h = S.cl[i].coord.height + S.cl[i].coord.adjustment;
		if (i == 0) {
			CU_ASSERT(h >= 0.97 * radius);
		} else {
			CU_ASSERT(h <= 0.03 * radius);
		}
	}
	CU_ASSERT(st.avg <= 0.0025);
	CU_ASSERT(st.max <= 0.064);
	sim_free(&S);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"line of 10 converges within serf's bounds",
		 test_line_of_10_converges_within_serf_bounds},
		{"grid of 25 converges within serf's bounds",
		 test_grid_of_25_converges_within_serf_bounds},
		{"random plane with heights converges", test_plane_with_heights_converges},
		{"circle's centre node gets the height (2-D)",
		 test_circle_centre_gets_the_height},
	};
	return RUN_SUITE("coord_convergence", cases);
}

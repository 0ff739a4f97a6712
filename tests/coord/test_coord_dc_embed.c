/*
 * tests/coord/test_coord_dc_embed.c — the DC-level embedding: exact on an
 * embeddable matrix, the least worst pair on one that breaks the triangle
 * inequality, the same answer whatever the DC order, cached below the
 * quantum, refused when incomplete.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <string.h>

#include "coord/dc_embed.h"
#include "gossip/err.h"
#include "tests/cunit_main.h"

#define K 6

/* Points in 3-D plus heights: a matrix serf's model fits exactly. */
static void embeddable(double *rtt)
{
	static const double p[K][3] = {{0, 0, 0}, {30, 0, 0}, {0, 40, 0},
				       {20, 25, 60}, {-50, 10, 5}, {5, -70, 20}};
	static const double h[K] = {1, 3, 0.5, 8, 2, 4};
	for (size_t i = 0; i < K; i++)
		for (size_t j = 0; j < K; j++) {
			double s = 0;
			for (int c = 0; c < 3; c++)
				s += (p[i][c] - p[j][c]) * (p[i][c] - p[j][c]);
			rtt[i * K + j] = i == j ? 0 : (sqrt(s) + h[i] + h[j]) / 1000.0;
		}
}

/* The largest relative error of out against rtt. */
static double worst_of(const struct mf_coord *out, const double *rtt, size_t k)
{
	double w = 0;
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			w = fmax(w, fabs(mf_coord_distance(&out[i], &out[j]) - rtt[i * k + j]) /
					    rtt[i * k + j]);
	return w;
}

static void test_embeddable_matrix_is_fitted_exactly(void)
{
	struct mf_coord_config cfg;
	struct mf_coord out[K];
	double rtt[K * K], worst = -1, median = -1;
	mf_coord_config_default(&cfg);
	embeddable(rtt);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_solve(rtt, K, &cfg, out, &worst, &median), 0);
	CU_ASSERT(worst >= 0 && worst < 0.01);
	CU_ASSERT(median >= 0 && median <= worst);
	/* the reported worst is the coordinates' own (to the quantum) */
	CU_ASSERT(fabs(worst_of(out, rtt, K) - worst) < 2 * MF_COORD_DC_EMBED_QUANTUM);
	for (size_t i = 0; i < K; i++) {
		CU_ASSERT(mf_coord_is_valid(&out[i]));
		CU_ASSERT(out[i].height >= cfg.height_min);
		CU_ASSERT_EQUAL(out[i].dim, cfg.dimensionality);
	}
}

/* A-C 40 ms against A-B-C 10 + 10: no embedding does better than 1/3 on
 * its worst pair (est AC <= est AB + est BC), and the solve gets there
 * (within its slack; the loosest here: the Huber median of three pairs is
 * 0) instead of leaving the whole violation on one pair (0.5). */
static void test_triangle_violation_is_spread_to_the_least_worst_pair(void)
{
	struct mf_coord_config cfg;
	struct mf_coord out[3];
	double rtt[9] = {0, 0.010, 0.040, 0.010, 0, 0.010, 0.040, 0.010, 0}, worst;
	mf_coord_config_default(&cfg);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_solve(rtt, 3, &cfg, out, &worst, NULL), 0);
	CU_ASSERT(worst >= 1.0 / 3 - 0.005);
	CU_ASSERT(worst <= 1.0 / 3 + MF_COORD_DC_EMBED_SLACK_MAX + 0.005);
}

static const char *const names[K] = {"dc-b", "dc-a", "dc-f", "dc-c", "dc-e", "dc-d"};

/* rtt in the order of names, permuted by perm. */
static void permuted(const double *rtt, const size_t *perm, double *out)
{
	for (size_t i = 0; i < K; i++)
		for (size_t j = 0; j < K; j++)
			out[i * K + j] = rtt[perm[i] * K + perm[j]];
}

static void test_same_answer_whatever_the_order_and_bit_for_bit(void)
{
	static const size_t perm[K] = {3, 5, 0, 4, 1, 2};
	const char *pnames[K];
	struct mf_coord_dc_embed a, b;
	double rtt[K * K], prtt[K * K];
	embeddable(rtt);
	/* a little noise so the order could matter */
	for (size_t i = 0; i < K * K; i++)
		rtt[i] *= 1 + 0.03 * sin((double)i);
	permuted(rtt, perm, prtt);
	for (size_t i = 0; i < K; i++)
		pnames[i] = names[perm[i]];
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_init(&a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_init(&b, NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&a, names, K, rtt), 1);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&b, pnames, K, prtt), 1);
	for (size_t i = 0; i < K; i++) {
		struct mf_coord x, y;
		CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_get(&a, names[i], &x), 0);
		CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_get(&b, names[i], &y), 0);
		CU_ASSERT_EQUAL(memcmp(&x, &y, sizeof(x)), 0);
	}
	struct mf_coord none;
	CU_ASSERT_EQUAL(mf_coord_dc_embed_get(&a, "dc-z", &none), MF_ENOTFOUND);
	mf_coord_dc_embed_free(&a);
	mf_coord_dc_embed_free(&b);
}

/* One direction of a pair suffices; both are averaged. */
static void test_either_direction_suffices(void)
{
	struct mf_coord_config cfg;
	struct mf_coord one[K], both[K];
	double rtt[K * K], upper[K * K];
	mf_coord_config_default(&cfg);
	embeddable(rtt);
	memcpy(upper, rtt, sizeof(rtt));
	for (size_t i = 0; i < K; i++)
		for (size_t j = 0; j < i; j++)
			upper[i * K + j] = 0; /* unmeasured this way */
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_solve(rtt, K, &cfg, both, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_solve(upper, K, &cfg, one, NULL, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(one, both, sizeof(one)), 0);
}

static void test_changes_below_the_quantum_are_cached(void)
{
	struct mf_coord_dc_embed e;
	double rtt[K * K], w[K * K];
	embeddable(rtt);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_init(&e, NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, rtt), 1);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, rtt), 0);
	/* 0.01% is well inside a 0.5% step for these values (none sits on a
	 * boundary: checked by the solve count staying at one) */
	memcpy(w, rtt, sizeof(w));
	w[1] *= 1.0001;
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, w), 0);
	CU_ASSERT_EQUAL(e.solves, 1);
	w[1] = rtt[1] * 1.05;
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, w), 1);
	CU_ASSERT_EQUAL(e.solves, 2);
	mf_coord_dc_embed_free(&e);
}

static void test_incomplete_or_bad_input_is_refused_and_drops_the_solution(void)
{
	struct mf_coord_config cfg;
	struct mf_coord_dc_embed e;
	struct mf_coord out[K], c;
	double rtt[K * K];
	const char *dup[K] = {"a", "b", "c", "a", "e", "f"};
	mf_coord_config_default(&cfg);
	embeddable(rtt);
	CU_ASSERT_EQUAL_FATAL(mf_coord_dc_embed_init(&e, NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, rtt), 1);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_get(&e, "dc-a", &c), 0);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, dup, K, rtt), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_get(&e, "dc-a", &c), MF_ENOTFOUND);
	rtt[2 * K + 4] = rtt[4 * K + 2] = 0; /* dc-f - dc-e unmeasured */
	CU_ASSERT_EQUAL(mf_coord_dc_embed_update(&e, names, K, rtt), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_solve(rtt, K, &cfg, out, NULL, NULL), MF_EINVAL);
	rtt[2 * K + 4] = NAN;
	CU_ASSERT_EQUAL(mf_coord_dc_embed_solve(rtt, K, &cfg, out, NULL, NULL), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_solve(rtt, 1, &cfg, out, NULL, NULL), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_dc_embed_solve(rtt, MF_COORD_DC_EMBED_MAX + 1, &cfg, out, NULL,
						NULL),
			MF_EINVAL);
	mf_coord_dc_embed_free(&e);
}

int main(void)
{
	static const struct test_case cases[] = {
		TEST(test_embeddable_matrix_is_fitted_exactly),
		TEST(test_triangle_violation_is_spread_to_the_least_worst_pair),
		TEST(test_same_answer_whatever_the_order_and_bit_for_bit),
		TEST(test_either_direction_suffices),
		TEST(test_changes_below_the_quantum_are_cached),
		TEST(test_incomplete_or_bad_input_is_refused_and_drops_the_solution),
	};
	return RUN_SUITE("coord_dc_embed", cases);
}

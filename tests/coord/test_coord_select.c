/*
 * tests/coord/test_coord_select.c — mf_select_kth puts the value a sort
 * would put at k, with the smaller ones before and the larger ones after.
 */
#include <stdlib.h>
#include <string.h>

#include "coord/rng.h"
#include "coord/select.h"
#include "tests/cunit_main.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Checks every k of v[0..n) against a sorted copy. */
static void check_all_k(const double *v, size_t n)
{
	double sorted[64], w[64];
	CU_ASSERT_FATAL(n <= 64);
	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	for (size_t k = 0; k < n; k++) {
		memcpy(w, v, n * sizeof(*v));
		mf_select_kth(w, n, k);
		CU_ASSERT_EQUAL(w[k], sorted[k]);
		for (size_t i = 0; i < n; i++) {
			if (i < k)
				CU_ASSERT(w[i] <= w[k]);
			if (i > k)
				CU_ASSERT(w[i] >= w[k]);
		}
	}
}

static void test_random_arrays_match_a_sort(void)
{
	struct mf_coord_rng r;
	mf_coord_rng_seed(&r, 7);
	double v[64];
	for (size_t n = 1; n <= 64; n++) {
		for (int rep = 0; rep < 5; rep++) {
			for (size_t i = 0; i < n; i++)
				v[i] = (double)(mf_coord_rng_next(&r) % 1000) / 10.0;
			check_all_k(v, n);
		}
	}
}

static void test_duplicates_sorted_and_reversed_inputs(void)
{
	double same[9] = {3, 3, 3, 3, 3, 3, 3, 3, 3};
	double up[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	double down[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	double few[12] = {2, 1, 2, 1, 2, 1, 0, 0, 2, 1, 0, 2};
	check_all_k(same, 9);
	check_all_k(up, 10);
	check_all_k(down, 10);
	check_all_k(few, 12);
}

static void test_empty_array_and_k_out_of_range_do_nothing(void)
{
	double v[3] = {3, 1, 2};
	mf_select_kth(v, 0, 0);
	mf_select_kth(v, 3, 3);
	CU_ASSERT_EQUAL(v[0], 3);
	CU_ASSERT_EQUAL(v[1], 1);
	CU_ASSERT_EQUAL(v[2], 2);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"random arrays match a sort", test_random_arrays_match_a_sort},
		{"duplicates, sorted and reversed inputs",
		 test_duplicates_sorted_and_reversed_inputs},
		{"empty array and k out of range do nothing",
		 test_empty_array_and_k_out_of_range_do_nothing},
	};
	return RUN_SUITE("coord_select", cases);
}

/*
 * tests/coord/test_coord_coordinate.c — the pure math matches serf's
 * coordinate.go (expected values from its coordinate_test.go).
 */
#include <math.h>

#include "coord/coordinate.h"
#include "tests/cunit_main.h"

static struct mf_coord_config cfg3(double hmin)
{
	struct mf_coord_config c;
	mf_coord_config_default(&c);
	c.dimensionality = 3;
	c.height_min = hmin;
	return c;
}

static void pair(struct mf_coord *a, struct mf_coord *b, const struct mf_coord_config *c)
{
	mf_coord_init(a, c);
	mf_coord_init(b, c);
	a->vec[0] = -0.5, a->vec[1] = 1.3, a->vec[2] = 2.4;
	b->vec[0] = 1.2, b->vec[1] = -2.3, b->vec[2] = 3.4;
}

static void test_fresh_coordinate_is_at_origin_with_max_error(void)
{
	struct mf_coord_config c;
	mf_coord_config_default(&c);
	struct mf_coord a;
	mf_coord_init(&a, &c);
	CU_ASSERT_EQUAL(a.dim, 8);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(a.vec[i], 0.0);
	CU_ASSERT_EQUAL(a.error, 1.5);
	CU_ASSERT_EQUAL(a.height, 10.0e-6);
	CU_ASSERT_EQUAL(a.adjustment, 0.0);
}

static void test_distance_is_vector_distance_plus_heights(void)
{
	struct mf_coord_config c = cfg3(0.0);
	struct mf_coord a, b;
	pair(&a, &b, &c);
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &a), 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &b), 4.104875150354758, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&b, &a), 4.104875150354758, 1e-12);
	a.height = 0.7;
	b.height = 0.1;
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &b), 4.104875150354758 + 0.8, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_raw_distance(&a, &b), 4.104875150354758 + 0.8, 1e-12);
}

static void test_positive_adjustments_add_to_distance(void)
{
	struct mf_coord_config c = cfg3(0.0);
	struct mf_coord a, b;
	pair(&a, &b, &c);
	a.adjustment = 0.1;
	b.adjustment = 0.2;
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &b), 4.104875150354758 + 0.3, 1e-12);
	/* ...but never to the raw distance. */
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_raw_distance(&a, &b), 4.104875150354758, 1e-12);
}

static void test_adjustment_ignored_when_sum_is_not_positive(void)
{
	struct mf_coord_config c = cfg3(0.0);
	struct mf_coord a, b;
	pair(&a, &b, &c);
	a.adjustment = -1.0e6;
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &b), 4.104875150354758, 1e-12);
	/* A negative adjustment that leaves the sum positive counts. */
	a.adjustment = -0.1;
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&a, &b), 4.104875150354758 - 0.1, 1e-12);
}

static void test_apply_force_moves_along_the_line_and_scales_height(void)
{
	struct mf_coord_config c = cfg3(0.0);
	struct mf_coord_rng rng;
	struct mf_coord origin, above, right, x;
	mf_coord_rng_seed(&rng, 1);
	mf_coord_init(&origin, &c);
	mf_coord_init(&above, &c);
	above.vec[2] = 2.9;
	x = origin;
	mf_coord_apply_force(&x, &c, 5.3, &above, &rng);
	CU_ASSERT_DOUBLE_EQUAL(x.vec[0], 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(x.vec[2], -5.3, 1e-12);

	mf_coord_init(&right, &c);
	right.vec[0] = 3.4, right.vec[2] = -5.3;
	mf_coord_apply_force(&x, &c, 2.0, &right, &rng);
	CU_ASSERT_DOUBLE_EQUAL(x.vec[0], -2.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(x.vec[2], -5.3, 1e-12);

	c.height_min = 10.0e-6;
	mf_coord_init(&origin, &c);
	x = origin;
	mf_coord_apply_force(&x, &c, 5.3, &above, &rng);
	CU_ASSERT_DOUBLE_EQUAL(x.height, c.height_min + 5.3 * c.height_min / 2.9, 1e-15);
	x = origin;
	mf_coord_apply_force(&x, &c, -5.3, &above, &rng);
	CU_ASSERT_DOUBLE_EQUAL(x.vec[2], 5.3, 1e-12);
	CU_ASSERT_EQUAL(x.height, c.height_min);
}

static void test_apply_force_between_coincident_points_picks_a_unit_direction(void)
{
	struct mf_coord_config c = cfg3(0.0);
	struct mf_coord_rng rng;
	struct mf_coord origin, x;
	mf_coord_rng_seed(&rng, 42);
	mf_coord_init(&origin, &c);
	x = origin;
	mf_coord_apply_force(&x, &c, 1.0, &origin, &rng);
	CU_ASSERT_DOUBLE_EQUAL(mf_coord_distance(&origin, &x), 1.0, 1e-12);
}

static void test_nan_or_inf_anywhere_makes_a_coordinate_invalid(void)
{
	struct mf_coord_config c;
	mf_coord_config_default(&c);
	struct mf_coord a;
	mf_coord_init(&a, &c);
	CU_ASSERT_TRUE(mf_coord_is_valid(&a));
	double *fields[] = {&a.vec[0], &a.vec[7], &a.error, &a.adjustment, &a.height};
	for (unsigned k = 0; k < 5; k++) {
		double keep = *fields[k];
		*fields[k] = NAN;
		CU_ASSERT_FALSE(mf_coord_is_valid(&a));
		*fields[k] = INFINITY;
		CU_ASSERT_FALSE(mf_coord_is_valid(&a));
		*fields[k] = keep;
	}
	CU_ASSERT_TRUE(mf_coord_is_valid(&a));
}

static void test_compatibility_is_equal_dimensionality(void)
{
	struct mf_coord_config c;
	mf_coord_config_default(&c);
	struct mf_coord a, b;
	mf_coord_init(&a, &c);
	mf_coord_init(&b, &c);
	CU_ASSERT_TRUE(mf_coord_is_compatible(&a, &b));
	b.dim = 3;
	CU_ASSERT_FALSE(mf_coord_is_compatible(&a, &b));
}

int main(void)
{
	static const struct test_case cases[] = {
		{"fresh coordinate is at the origin with max error",
		 test_fresh_coordinate_is_at_origin_with_max_error},
		{"distance is vector distance plus heights",
		 test_distance_is_vector_distance_plus_heights},
		{"positive adjustments add to the distance",
		 test_positive_adjustments_add_to_distance},
		{"adjustment ignored when the sum is not positive",
		 test_adjustment_ignored_when_sum_is_not_positive},
		{"apply force moves along the line and scales height",
		 test_apply_force_moves_along_the_line_and_scales_height},
		{"apply force between coincident points picks a unit direction",
		 test_apply_force_between_coincident_points_picks_a_unit_direction},
		{"NaN or Inf anywhere makes a coordinate invalid",
		 test_nan_or_inf_anywhere_makes_a_coordinate_invalid},
		{"compatibility is equal dimensionality",
		 test_compatibility_is_equal_dimensionality},
	};
	return RUN_SUITE("coord_coordinate", cases);
}

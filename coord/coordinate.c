/*
 * coord/coordinate.c — serf's coordinate.go math. See coordinate.h.
 */
#include "coord/coordinate.h"

#include <math.h>
#include <string.h>

/* serf coordinate.go zeroThreshold: coordinates closer than this coincide. */
#define ZERO_THRESHOLD 1.0e-6

void mf_coord_init(struct mf_coord *c, const struct mf_coord_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->dim = cfg->dimensionality;
	c->error = cfg->vivaldi_error_max;
	c->height = cfg->height_min;
}

bool mf_coord_is_valid(const struct mf_coord *c)
{
	if (c->dim > MF_COORD_DIM_MAX)
		return false;
	for (unsigned i = 0; i < c->dim; i++)
		if (!isfinite(c->vec[i]))
			return false;
	return isfinite(c->error) && isfinite(c->adjustment) && isfinite(c->height);
}

bool mf_coord_is_compatible(const struct mf_coord *a, const struct mf_coord *b)
{
	return a->dim == b->dim;
}

double mf_coord_vec_distance(const struct mf_coord *a, const struct mf_coord *b)
{
	double sum = 0.0;
	for (unsigned i = 0; i < a->dim; i++) {
		double d = a->vec[i] - b->vec[i];
		sum += d * d;
	}
	return sqrt(sum);
}

double mf_coord_raw_distance(const struct mf_coord *a, const struct mf_coord *b)
{
	return mf_coord_vec_distance(a, b) + a->height + b->height;
}

double mf_coord_distance(const struct mf_coord *a, const struct mf_coord *b)
{
	double dist = mf_coord_raw_distance(a, b);
	double adjusted = dist + a->adjustment + b->adjustment;
	return adjusted > 0.0 ? adjusted : dist;
}

double mf_coord_unit_vector_at(const struct mf_coord *a, const struct mf_coord *b,
			       struct mf_coord_rng *rng, double *unit)
{
	unsigned n = a->dim;
	double mag = 0.0;
	for (unsigned i = 0; i < n; i++) {
		unit[i] = a->vec[i] - b->vec[i];
		mag += unit[i] * unit[i];
	}
	mag = sqrt(mag);
	if (mag > ZERO_THRESHOLD) {
		for (unsigned i = 0; i < n; i++)
			unit[i] /= mag;
		return mag;
	}
	/* On top of each other: any direction will do, but a random one keeps
	 * nodes that start together from moving as one. */
	mag = 0.0;
	for (unsigned i = 0; i < n; i++) {
		unit[i] = mf_coord_rng_unit(rng) - 0.5;
		mag += unit[i] * unit[i];
	}
	mag = sqrt(mag);
	if (mag > ZERO_THRESHOLD) {
		for (unsigned i = 0; i < n; i++)
			unit[i] /= mag;
		return 0.0;
	}
	for (unsigned i = 0; i < n; i++)
		unit[i] = i == 0 ? 1.0 : 0.0;
	return 0.0;
}

void mf_coord_apply_force(struct mf_coord *c, const struct mf_coord_config *cfg,
			  double force, const struct mf_coord *other,
			  struct mf_coord_rng *rng)
{
	double unit[MF_COORD_DIM_MAX];
	double mag = mf_coord_unit_vector_at(c, other, rng, unit);
	for (unsigned i = 0; i < c->dim; i++)
		c->vec[i] += unit[i] * force;
	if (mag > ZERO_THRESHOLD) {
		c->height = (c->height + other->height) * force / mag + c->height;
		c->height = fmax(c->height, cfg->height_min);
	}
}

/*
 * coord/coordinate.h — a network coordinate and its pure math.
 *
 * Contract: serf's coordinate/coordinate.go in C. Values only: no state, no
 * clock, no I/O, no allocation. All lengths are seconds; Error is
 * dimensionless. The estimated RTT between two coordinates is
 *
 *     raw = |a.vec - b.vec| + a.height + b.height
 *     rtt = raw + a.adjustment + b.adjustment   if that is > 0, else raw
 *
 * exactly as serf's Coordinate.DistanceTo, so a serf node and a meshfed node
 * computing the distance between the same two coordinates agree.
 */
#ifndef MF_COORD_COORDINATE_H
#define MF_COORD_COORDINATE_H

#include <stdbool.h>

#include "coord/config.h"
#include "coord/rng.h"

struct mf_coord {
	double vec[MF_COORD_DIM_MAX]; /* Euclidean part; vec[dim..] are 0 */
	unsigned dim;                 /* components in use */
	double error;                 /* confidence, 0 (sure) .. error max */
	double adjustment;            /* offset from recent residuals [3] */
	double height;                /* access-link offset, >= height min */
};

/* A fresh coordinate: at the origin, error = error max, height = height min
 * (serf NewCoordinate). */
void mf_coord_init(struct mf_coord *c, const struct mf_coord_config *cfg);

/* No NaN or Inf in any component in use (serf IsValid). */
bool mf_coord_is_valid(const struct mf_coord *c);

/* Same dimensionality (serf IsCompatibleWith). */
bool mf_coord_is_compatible(const struct mf_coord *a, const struct mf_coord *b);

/* Estimated RTT in seconds, with adjustments as described above. The caller
 * has checked compatibility. */
double mf_coord_distance(const struct mf_coord *a, const struct mf_coord *b);

/* Distance without the adjustments (serf rawDistanceTo). */
double mf_coord_raw_distance(const struct mf_coord *a, const struct mf_coord *b);

/* |a.vec - b.vec| */
double mf_coord_vec_distance(const struct mf_coord *a, const struct mf_coord *b);

/* Unit vector pointing at a from b into unit[0..dim), returning |a - b|. When
 * they coincide (closer than 1e-6 s) a random direction is drawn from rng and
 * 0 is returned (serf unitVectorAt). */
double mf_coord_unit_vector_at(const struct mf_coord *a, const struct mf_coord *b,
			       struct mf_coord_rng *rng, double *unit);

/* c moved by force (seconds; positive pushes away from other) along the
 * line from other, height scaled alike and kept >= height min (serf
 * ApplyForce). c is updated in place. */
void mf_coord_apply_force(struct mf_coord *c, const struct mf_coord_config *cfg,
			  double force, const struct mf_coord *other,
			  struct mf_coord_rng *rng);

#endif

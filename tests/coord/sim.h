/*
 * tests/coord/sim.h — serf's coordinate/phantom.go for the unit tests:
 * synthetic truth matrices, Simulate and Evaluate (header-only, test code).
 */
#ifndef MF_TESTS_COORD_SIM_H
#define MF_TESTS_COORD_SIM_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "coord/client.h"
#include "coord/rng.h"

#define SIM_MAX 64

struct sim {
	unsigned n;
	double truth[SIM_MAX][SIM_MAX]; /* seconds */
	struct mf_coord_client cl[SIM_MAX];
	char names[SIM_MAX][16];
};

struct sim_stats {
	double avg, max;
};

/* n clients with cfg (seeds 1..n). Returns 0 or a negative error. */
static inline int sim_init(struct sim *s, unsigned n, const struct mf_coord_config *cfg)
{
	s->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct mf_coord_config c = *cfg;
		c.seed = i + 1;
		snprintf(s->names[i], sizeof(s->names[i]), "node_%u", i);
		int rc = mf_coord_client_init(&s->cl[i], &c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static inline void sim_free(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++)
		mf_coord_client_free(&s->cl[i]);
}

/* phantom.go GenerateLine. */
static inline void sim_line(struct sim *s, double spacing)
{
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = 0; j < s->n; j++)
			s->truth[i][j] = fabs((double)j - (double)i) * spacing;
}

/* phantom.go GenerateGrid. */
static inline void sim_grid(struct sim *s, double spacing)
{
	unsigned k = (unsigned)sqrt((double)s->n);
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = 0; j < s->n; j++) {
			double dx = (double)(i % k) - (double)(j % k);
			double dy = (double)(i / k) - (double)(j / k);
			s->truth[i][j] = sqrt(dx * dx + dy * dy) * spacing;
		}
}

/* Random points in a square of side `side`, each with a random access-link
 * height in [0, hmax]: exactly representable by 2-D + height. */
static inline void sim_plane_height(struct sim *s, double side, double hmax, uint64_t seed)
{
	double x[SIM_MAX], y[SIM_MAX], h[SIM_MAX];
	struct mf_coord_rng r;
	mf_coord_rng_seed(&r, seed);
	for (unsigned i = 0; i < s->n; i++) {
		x[i] = mf_coord_rng_unit(&r) * side;
		y[i] = mf_coord_rng_unit(&r) * side;
		h[i] = mf_coord_rng_unit(&r) * hmax;
	}
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = 0; j < s->n; j++)
			s->truth[i][j] = i == j ? 0.0 :
				hypot(x[i] - x[j], y[i] - y[j]) + h[i] + h[j];
}

/* phantom.go GenerateCircle: node 0 is equidistant (2 radius) from all the
 * others, which sit on a circle; in 2-D it can only be the centre, lifted
 * by a height of one radius. */
static inline void sim_circle(struct sim *s, double radius)
{
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = 0; j < s->n; j++) {
			if (i == j) {
				s->truth[i][j] = 0.0;
			} else if (i == 0 || j == 0) {
				s->truth[i][j] = 2.0 * radius;
			} else {
				double t1 = 2.0 * M_PI * i / s->n, t2 = 2.0 * M_PI * j / s->n;
				s->truth[i][j] = hypot(cos(t1) - cos(t2), sin(t1) - sin(t2)) * radius;
			}
		}
}

/* phantom.go Simulate: each cycle every node observes one random peer. */
static inline int sim_run(struct sim *s, unsigned cycles, uint64_t seed)
{
	struct mf_coord_rng r;
	mf_coord_rng_seed(&r, seed);
	for (unsigned c = 0; c < cycles; c++)
		for (unsigned i = 0; i < s->n; i++) {
			unsigned j = mf_coord_rng_below(&r, s->n);
			if (j == i)
				continue;
			struct mf_coord other = s->cl[j].coord;
			int rc = mf_coord_client_update(&s->cl[i], s->names[j], &other,
							s->truth[i][j], NULL);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* phantom.go Evaluate: relative error over pairs i < j. */
static inline struct sim_stats sim_evaluate(const struct sim *s)
{
	struct sim_stats st = {0, 0};
	unsigned count = 0;
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = i + 1; j < s->n; j++) {
			double est = mf_coord_distance(&s->cl[i].coord, &s->cl[j].coord);
			double e = fabs(est - s->truth[i][j]) / s->truth[i][j];
			st.max = fmax(st.max, e);
			st.avg += e;
			count++;
		}
	st.avg /= count;
	return st;
}

#endif

/*
 * coord/fit.c — local least-squares refinement. See fit.h.
 */
#include "coord/fit.h"

#include <math.h>

/* Peer-side offset: what the peer adds to every distance. */
static double peer_offset(const struct mf_coord *p)
{
	return p->height + p->adjustment;
}

/* Per-sample weights of this iteration into s[k].w; returns their sum. */
static double reweight(const struct mf_coord *self, const struct mf_coord_config *cfg,
		       struct mf_coord_sample *s, size_t n)
{
	double delta = cfg->fit_robust_delta;
	double sum = 0.0;
	for (size_t k = 0; k < n; k++) {
		double w = s[k].base;
		if (delta > 0.0) {
			/* IRLS for pseudo-Huber: 1 / sqrt(r^2 + delta^2). */
			double r = (mf_coord_distance(self, s[k].peer) - s[k].rtt) / s[k].rtt;
			w /= sqrt(r * r + delta * delta);
		}
		s[k].w = w;
		sum += w;
	}
	return sum;
}

void mf_coord_fit(struct mf_coord *self, const struct mf_coord_config *cfg,
		  struct mf_coord_sample *s, size_t n, double rtt_floor,
		  unsigned iterations, struct mf_coord_rng *rng)
{
	unsigned dim = self->dim;
	double off = self->height + self->adjustment;
	double min_rtt = INFINITY;

	for (size_t k = 0; k < n; k++) {
		if (s[k].rtt < min_rtt)
			min_rtt = s[k].rtt;
		/* Below the floor a sample weighs as one at the floor: a
		 * 0.2 ms peer in our DC must not outweigh an 80 ms one
		 * thousands of times, or we stay pinned to our DC. */
		s[k].base = s[k].weight / pow(fmax(s[k].rtt, rtt_floor), cfg->fit_rtt_power);
	}

	for (unsigned it = 0; it < iterations; it++) {
		double acc[MF_COORD_DIM_MAX] = {0};
		double u[MF_COORD_DIM_MAX];
		double sw = reweight(self, cfg, s, n);
		/* Also catches n == 0 and overflowed weights. */
		if (!(sw > 0.0) || !isfinite(sw))
			break;

		/* Guttman transform: every peer proposes the point at the
		 * distance it was measured at, in the direction we are now;
		 * we move to the weighted mean of the proposals. */
		for (size_t k = 0; k < n; k++) {
			const struct mf_coord *p = s[k].peer;
			double target = s[k].rtt - off - peer_offset(p);
			if (target < 0.0)
				target = 0.0;
			mf_coord_unit_vector_at(self, p, rng, u);
			for (unsigned i = 0; i < dim; i++)
				acc[i] += s[k].w * (p->vec[i] + target * u[i]);
		}
		for (unsigned i = 0; i < dim; i++)
			self->vec[i] = acc[i] / sw;

		/* Then the offset that is optimal for that vector. */
		double osum = 0.0;
		for (size_t k = 0; k < n; k++) {
			const struct mf_coord *p = s[k].peer;
			osum += s[k].w * (s[k].rtt - mf_coord_vec_distance(self, p) -
					  peer_offset(p));
		}
		off = osum / sw;
		/* A negative offset may not eat a whole RTT: keep our nearest
		 * measured peer at a positive distance. */
		if (off < -0.5 * min_rtt)
			off = -0.5 * min_rtt;
	}

	self->height = fmax(off, cfg->height_min);
	self->adjustment = off - self->height;
}

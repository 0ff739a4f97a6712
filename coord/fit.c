/*
 * coord/fit.c — local least-squares refinement. See fit.h.
 */
#include "coord/fit.h"

#include <math.h>
#include <stdbool.h>


/* Peer-side offset: what the peer adds to every distance. */
static double peer_offset(const struct mf_coord *p)
{
	return p->height + p->adjustment;
}

/* What the model predicts for sample s: the full distance, or for a
 * DC-mate (fit.h) the vector part alone. */
static double model(const struct mf_coord *self, const struct mf_coord_sample *s)
{
	return s->mate ? mf_coord_vec_distance(self, s->peer) : mf_coord_distance(self, s->peer);
}

/* Relative residual of sample k for self. */
static double residual(const struct mf_coord *self, const struct mf_coord_sample *s)
{
	return (model(self, s) - s->rtt) / s->rtt;
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
			double r = residual(self, &s[k]);
			w /= sqrt(r * r + delta * delta);
		}
		s[k].w = w;
		sum += w;
	}
	return sum;
}

/* The objective of fit.h at self (what the iterations lower). */
static double stress(const struct mf_coord *self, const struct mf_coord_config *cfg,
		     const struct mf_coord_sample *s, size_t n)
{
	double delta = cfg->fit_robust_delta;
	double sum = 0.0;
	for (size_t k = 0; k < n; k++) {
		double r = residual(self, &s[k]);
		double rho = delta > 0.0 ?
			delta * delta * (sqrt(1.0 + (r / delta) * (r / delta)) - 1.0) :
			r * r;
		sum += s[k].base * rho;
	}
	return sum;
}

/* The majorization iterations from where self is now. */
static void descend(struct mf_coord *self, const struct mf_coord_config *cfg,
		    struct mf_coord_sample *s, size_t n, double min_rtt,
		    unsigned iterations, struct mf_coord_rng *rng)
{
	unsigned dim = self->dim;
	double off = self->height + self->adjustment;
	/* The model's own bound: a distance is at least our offset plus the
	 * peer's, so no measured RTT may be exceeded by the two. Without it
	 * the offset soaks up whatever the vector part misfits far away (the
	 * DC-mates that would hold it down weigh little under the floor and
	 * the robust loss), and adds it to every distance: real agents showed
	 * 1-2 ms heights in a DC 0.3 ms across, +7% on a 20 ms link. */
	double max_off = INFINITY;
	bool far = false;
	for (size_t k = 0; k < n; k++)
		far |= !s[k].mate;
	for (size_t k = 0; k < n; k++)
		if (!s[k].mate || !far)
			max_off = fmin(max_off, s[k].rtt - peer_offset(s[k].peer));

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
			double target = s[k].mate ? s[k].rtt : s[k].rtt - off - peer_offset(p);
			if (target < 0.0)
				target = 0.0;
			mf_coord_unit_vector_at(self, p, rng, u);
			for (unsigned i = 0; i < dim; i++)
				acc[i] += s[k].w * (p->vec[i] + target * u[i]);
		}
		for (unsigned i = 0; i < dim; i++)
			self->vec[i] = acc[i] / sw;

		/* Then the offset that is optimal for that vector. */
		double osum = 0.0, ow = 0.0;
		for (size_t k = 0; k < n; k++) {
			const struct mf_coord *p = s[k].peer;
			if (s[k].mate && far)
				continue;
			osum += s[k].w * (s[k].rtt - mf_coord_vec_distance(self, p) -
					  peer_offset(p));
			ow += s[k].w;
		}
		if (ow > 0.0)
			off = fmin(osum / ow, max_off);
		/* A negative offset may not eat a whole RTT: keep our nearest
		 * measured peer at a positive distance. */
		if (off < -0.5 * min_rtt)
			off = -0.5 * min_rtt;
	}
	self->height = fmax(off, cfg->height_min);
	self->adjustment = off - self->height;
}

/* The objective over the far samples only (RTT beyond rtt_floor): how the
 * restarts below judge a jump, so that DC-mates (near samples, the
 * heaviest) never veto a move the rest of the pool asks for. With no near
 * samples it is the whole objective. */
/* Zeroes the base weight of the near samples (RTT within rtt_floor),
 * keeping every base in kept[0..n) for restore_bases. */
static void set_aside_near(struct mf_coord_sample *s, size_t n, double rtt_floor, double *kept)
{
	for (size_t k = 0; k < n; k++) {
		kept[k] = s[k].base;
		if (s[k].rtt <= rtt_floor)
			s[k].base = 0.0;
	}
}

static void restore_bases(struct mf_coord_sample *s, size_t n, const double *kept)
{
	for (size_t k = 0; k < n; k++)
		s[k].base = kept[k];
}

static double far_stress(const struct mf_coord *self, const struct mf_coord_config *cfg,
			 struct mf_coord_sample *s, size_t n, double rtt_floor)
{
	double kept[MF_COORD_FIT_MIRROR_MAX], sum;
	if (n > MF_COORD_FIT_MIRROR_MAX)
		return stress(self, cfg, s, n);
	set_aside_near(s, n, rtt_floor, kept);
	sum = stress(self, cfg, s, n);
	restore_bases(s, n, kept);
	return sum;
}

/* A whole cluster on the wrong side (fit.h): a start at the mirror point
 * of the far sample that contributes most, descended with the near
 * samples set aside. */
static void try_mirror(struct mf_coord *self, const struct mf_coord_config *cfg,
		       struct mf_coord_sample *s, size_t n, double min_rtt, double rtt_floor,
		       unsigned iterations, struct mf_coord_rng *rng)
{
	double kept[MF_COORD_FIT_MIRROR_MAX];
	if (n > MF_COORD_FIT_MIRROR_MAX || rtt_floor <= 0.0)
		return;
	/* Only a member of a cluster (a sample within the floor: a DC-mate)
	 * can be held on the wrong side by its mates; elsewhere the restart
	 * from the nearest peer is enough, and greedy jumps cost accuracy (on
	 * the 40-member WonderNetwork fixture, median @200 0.038 -> 0.040). */
	size_t near = 0;
	for (size_t k = 0; k < n; k++)
		near += s[k].rtt <= rtt_floor;
	if (near == 0)
		return;
	/* The far sample that contributes most, and by how much it is off. */
	double worst = 0.0, r_worst = 0.0;
	size_t w = n;
	double delta = cfg->fit_robust_delta > 0.0 ? cfg->fit_robust_delta : 1.0;
	for (size_t k = 0; k < n; k++) {
		if (s[k].rtt <= rtt_floor)
			continue;
		double r = residual(self, &s[k]);
		double c = s[k].base * delta * delta * (sqrt(1.0 + (r / delta) * (r / delta)) - 1.0);
		if (c > worst) {
			worst = c;
			r_worst = r;
			w = k;
		}
	}
	if (w == n || fabs(r_worst) < MF_COORD_FIT_MIRROR_RESIDUAL)
		return;
	/* Start on the other side of that peer, at its distance. */
	const struct mf_coord *p = s[w].peer;
	struct mf_coord alt = *self;
	double u[MF_COORD_DIM_MAX];
	double target = s[w].rtt - (self->height + self->adjustment) - peer_offset(p);
	if (target < 0.0)
		target = 0.0;
	mf_coord_unit_vector_at(p, self, rng, u); /* from us towards p */
	for (unsigned i = 0; i < alt.dim; i++)
		alt.vec[i] = p->vec[i] + target * u[i];
	double before = far_stress(self, cfg, s, n, rtt_floor);
	set_aside_near(s, n, rtt_floor, kept);
	descend(&alt, cfg, s, n, min_rtt, iterations, rng);
	restore_bases(s, n, kept);
	if (far_stress(&alt, cfg, s, n, rtt_floor) < 0.5 * before)
		*self = alt;
}

/* Escape moves (fit.h): random jumps of up to half the median RTT (20
 * floors), in all dimensions, each descended twice as long as a fit and
 * kept when it lowers the whole objective: judged by the far samples only,
 * a jump could leave a DC 3 ms away for a small gain elsewhere (8 DCs: a
 * 3 ms pair estimated at 18 ms). */
static void try_escape(struct mf_coord *self, const struct mf_coord_config *cfg,
		       struct mf_coord_sample *s, size_t n, double min_rtt, double rtt_floor,
		       unsigned iterations, struct mf_coord_rng *rng)
{
	unsigned starts = MF_COORD_FIT_ESCAPE_STARTS;
	bool mates = false;
	if (n > MF_COORD_FIT_ESCAPE_MAX_SAMPLES || rtt_floor <= 0.0)
		return;
	/* Only in a federation of DCs (we have a DC-mate): on a spread
	 * network the jumps cost accuracy (40 WonderNetwork nodes: median
	 * @200 0.037 -> 0.042). */
	for (size_t k = 0; k < n; k++)
		mates |= s[k].mate;
	if (!mates)
		return;
	double cur = stress(self, cfg, s, n);
	for (unsigned t = 0; t < starts; t++) {
		struct mf_coord alt = *self;
		double u[MF_COORD_DIM_MAX], mag = 0.0;
		for (unsigned i = 0; i < alt.dim; i++) {
			u[i] = mf_coord_rng_unit(rng) - 0.5;
			mag += u[i] * u[i];
		}
		mag = sqrt(mag);
		if (!(mag > 0.0))
			continue;
		double step = MF_COORD_FIT_ESCAPE_JUMP * 20.0 * rtt_floor * mf_coord_rng_unit(rng);
		for (unsigned i = 0; i < alt.dim; i++)
			alt.vec[i] += step * u[i] / mag;
		descend(&alt, cfg, s, n, min_rtt, 2 * iterations, rng);
		double st = stress(&alt, cfg, s, n);
		if (st < MF_COORD_FIT_ESCAPE_GAIN * cur) {
			*self = alt;
			cur = st;
		}
	}
}

void mf_coord_fit(struct mf_coord *self, const struct mf_coord_config *cfg,
		  struct mf_coord_sample *s, size_t n, double rtt_floor, double mate_rtt,
		  unsigned iterations, struct mf_coord_rng *rng)
{
	double min_rtt = INFINITY;
	size_t nearest = 0;

	for (size_t k = 0; k < n; k++) {
		s[k].mate = s[k].rtt <= mate_rtt;
		if (s[k].rtt < min_rtt) {
			min_rtt = s[k].rtt;
			nearest = k;
		}
		/* Below the floor a sample weighs as one at the floor: a
		 * 0.2 ms peer in our DC must not outweigh an 80 ms one
		 * thousands of times, or we stay pinned to our DC. */
		s[k].base = s[k].weight / pow(fmax(s[k].rtt, rtt_floor), cfg->fit_rtt_power);
	}
	descend(self, cfg, s, n, min_rtt, iterations, rng);
	if (n == 0)
		return;

	/* Far from our nearest peer (e.g. reflected through the centre of
	 * an embedding that is nearly a line): the iterations above only
	 * creep out of such a local minimum, because the robust loss gives
	 * the grossly wrong short samples tiny IRLS weights. Try again from
	 * the nearest peer's place; keep that only if it fits clearly better
	 * (early on, while peers still move, a jump costs more than it says). */
	const struct mf_coord *near = s[nearest].peer;
	if (model(self, &s[nearest]) > 3.0 * min_rtt + 10.0 * rtt_floor) {
		struct mf_coord alt = *self;
		for (unsigned i = 0; i < alt.dim; i++)
			alt.vec[i] = near->vec[i];
		descend(&alt, cfg, s, n, min_rtt, iterations, rng);
		if (far_stress(&alt, cfg, s, n, rtt_floor) <
		    0.5 * far_stress(self, cfg, s, n, rtt_floor))
			*self = alt;
	}
	try_mirror(self, cfg, s, n, min_rtt, rtt_floor, iterations, rng);
	try_escape(self, cfg, s, n, min_rtt, rtt_floor, iterations, rng);
}

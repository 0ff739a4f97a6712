/*
 * coord/dc_embed.c — the DC-level embedding of a small federation. See
 * dc_embed.h for the contract and docs/coordinates.md for the figures.
 *
 * Everything is computed in units of the mean DC distance (so step sizes
 * mean the same at 5 ms and at 500 ms) and scaled back at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coord/dc_embed.h"
#include "coord/rng.h"
#include "gossip/err.h"

#define K_MAX MF_COORD_DC_EMBED_MAX
#define MINIMAX_STAGES 6      /* p = 2, 4, ..., 64 */
#define MINIMAX_STAGE_ITERS 200
#define POLISH_ITERS 600      /* at p = 64, Adam restarted with a smaller step */
#define REFINE_ITERS 800
#define HUBER_STARTS 4
#define HUBER_ITERS 800
#define HUBER_DELTA 0.1
#define CAP_PENALTY 200.0

/* One start's parameters and its Adam state. */
struct start {
	double x[K_MAX * MF_COORD_DIM_MAX], h[K_MAX];
	double mx[K_MAX * MF_COORD_DIM_MAX], vx[K_MAX * MF_COORD_DIM_MAX];
	double mh[K_MAX], vh[K_MAX];
	double gx[K_MAX * MF_COORD_DIM_MAX], gh[K_MAX];
	unsigned t;
};

struct problem {
	size_t k;
	unsigned dim;
	const double *d; /* k*k, normalised, symmetric, > 0 off the diagonal */
};

static double model(const struct problem *pb, const struct start *s, size_t i, size_t j,
		    double *norm)
{
	double sq = 1e-12;
	for (unsigned c = 0; c < pb->dim; c++) {
		double v = s->x[i * pb->dim + c] - s->x[j * pb->dim + c];
		sq += v * v;
	}
	*norm = sqrt(sq);
	return *norm + s->h[i] + s->h[j];
}

/* Relative errors of every pair i < j into r (k*k, upper triangle). */
static void residuals(const struct problem *pb, const struct start *s, double *r)
{
	double norm;
	for (size_t i = 0; i < pb->k; i++)
		for (size_t j = i + 1; j < pb->k; j++) {
			double dij = pb->d[i * pb->k + j];
			r[i * pb->k + j] = (model(pb, s, i, j, &norm) - dij) / dij;
		}
}

/* Gradient of the objective into s->gx, s->gh: the smooth minimax
 * sum |r|^p (cap < 0) or the pseudo-Huber loss with a penalty on |r| > cap
 * (cap >= 0). */
static void gradient(const struct problem *pb, struct start *s, double p, double cap)
{
	double r[K_MAX * K_MAX], mx = 1e-15, sq = 0, norm;
	size_t k = pb->k;
	unsigned dim = pb->dim;

	memset(s->gx, 0, sizeof(s->gx));
	memset(s->gh, 0, sizeof(s->gh));
	residuals(pb, s, r);
	if (cap < 0) {
		for (size_t i = 0; i < k; i++)
			for (size_t j = i + 1; j < k; j++)
				mx = fmax(mx, fabs(r[i * k + j]));
		for (size_t i = 0; i < k; i++)
			for (size_t j = i + 1; j < k; j++)
				sq += pow(fabs(r[i * k + j]) / mx, p);
	}
	for (size_t i = 0; i < k; i++) {
		for (size_t j = i + 1; j < k; j++) {
			double ri = r[i * k + j], a = fabs(ri), g;
			if (cap < 0) {
				g = copysign(pow(a / mx, p - 1) * pow(sq, 1.0 / p - 1.0), ri);
			} else {
				g = ri / sqrt(1 + (ri / HUBER_DELTA) * (ri / HUBER_DELTA));
				if (a > cap)
					g += copysign(CAP_PENALTY * (a - cap), ri);
			}
			g /= pb->d[i * k + j];
			(void)model(pb, s, i, j, &norm);
			for (unsigned c = 0; c < dim; c++) {
				double v = g * (s->x[i * dim + c] - s->x[j * dim + c]) / norm;
				s->gx[i * dim + c] += v;
				s->gx[j * dim + c] -= v;
			}
			s->gh[i] += g;
			s->gh[j] += g;
		}
	}
}

/* One projected Adam step (heights kept >= 0), as scripts/offline-embedding. */
static void adam(const struct problem *pb, struct start *s, double lr)
{
	const double b1 = 0.9, b2 = 0.999;
	size_t nx = pb->k * pb->dim;
	s->t++;
	double c1 = 1 - pow(b1, s->t), c2 = 1 - pow(b2, s->t);
	for (size_t i = 0; i < nx; i++) {
		s->mx[i] = b1 * s->mx[i] + (1 - b1) * s->gx[i];
		s->vx[i] = b2 * s->vx[i] + (1 - b2) * s->gx[i] * s->gx[i];
		s->x[i] -= lr * (s->mx[i] / c1) / (sqrt(s->vx[i] / c2) + 1e-12);
	}
	for (size_t i = 0; i < pb->k; i++) {
		s->mh[i] = b1 * s->mh[i] + (1 - b1) * s->gh[i];
		s->vh[i] = b2 * s->vh[i] + (1 - b2) * s->gh[i] * s->gh[i];
		s->h[i] = fmax(0.0, s->h[i] - lr * (s->mh[i] / c1) / (sqrt(s->vh[i] / c2) + 1e-12));
	}
}

static void adam_reset(struct start *s)
{
	memset(s->mx, 0, sizeof(s->mx));
	memset(s->vx, 0, sizeof(s->vx));
	memset(s->mh, 0, sizeof(s->mh));
	memset(s->vh, 0, sizeof(s->vh));
	s->t = 0;
}

/* Worst and median relative error of s. */
static void score(const struct problem *pb, const struct start *s, double *worst, double *median)
{
	double r[K_MAX * K_MAX], v[K_MAX * K_MAX / 2 + 1];
	size_t n = 0;
	residuals(pb, s, r);
	for (size_t i = 0; i < pb->k; i++)
		for (size_t j = i + 1; j < pb->k; j++)
			v[n++] = fabs(r[i * pb->k + j]);
	/* n <= 496: insertion sort is plenty */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*worst = v[n - 1];
	*median = v[n / 2];
}

/* Eigenvalues/vectors of the symmetric n x n matrix a (destroyed) by cyclic
 * Jacobi: w[n], columns of v (n x n, row-major v[r * n + c]). */
static void jacobi(double *a, size_t n, double *w, double *v)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			v[i * n + j] = i == j;
	for (int sweep = 0; sweep < 64; sweep++) {
		double off = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				off += a[i * n + j] * a[i * n + j];
		if (off < 1e-30)
			break;
		for (size_t p = 0; p < n; p++) {
			for (size_t q = p + 1; q < n; q++) {
				double apq = a[p * n + q];
				if (fabs(apq) < 1e-300)
					continue;
				double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
				double t = copysign(1.0, theta) / (fabs(theta) + sqrt(theta * theta + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (size_t r = 0; r < n; r++) { /* columns p, q */
					double arp = a[r * n + p], arq = a[r * n + q];
					a[r * n + p] = c * arp - s * arq;
					a[r * n + q] = s * arp + c * arq;
				}
				for (size_t r = 0; r < n; r++) { /* rows p, q */
					double apr = a[p * n + r], aqr = a[q * n + r];
					a[p * n + r] = c * apr - s * aqr;
					a[q * n + r] = s * apr + c * aqr;
				}
				for (size_t r = 0; r < n; r++) {
					double vrp = v[r * n + p], vrq = v[r * n + q];
					v[r * n + p] = c * vrp - s * vrq;
					v[r * n + q] = s * vrp + c * vrq;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		w[i] = a[i * n + i];
}

/* Indices of w[0..n) by decreasing value (ties by index: deterministic). */
static void order_desc(const double *w, size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && w[idx[j - 1]] < w[idx[j]]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* Classical MDS (Torgerson): the top dim eigenvectors of the double-centred
 * squared distances. */
static void classical_mds(const struct problem *pb, struct start *s, double *work)
{
	size_t k = pb->k;
	double *b = work, *w = work + k * k, *v = w + k, row[K_MAX], all = 0;
	size_t idx[K_MAX];
	for (size_t i = 0; i < k; i++) {
		row[i] = 0;
		for (size_t j = 0; j < k; j++)
			row[i] += pb->d[i * k + j] * pb->d[i * k + j] / (double)k;
		all += row[i] / (double)k;
	}
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < k; j++)
			b[i * k + j] = -0.5 * (pb->d[i * k + j] * pb->d[i * k + j] - row[i] - row[j] + all);
	jacobi(b, k, w, v);
	order_desc(w, k, idx);
	for (size_t i = 0; i < k; i++)
		for (unsigned c = 0; c < pb->dim; c++)
			s->x[i * pb->dim + c] =
				c < k ? v[i * k + idx[c]] * sqrt(fmax(w[idx[c]], 0)) : 0;
}

/* Centroid to the origin, axes to the principal components, each axis
 * signed so the first DC off it is on its positive side. */
static void fix_gauge(const struct problem *pb, struct start *s)
{
	size_t k = pb->k, n = pb->dim;
	double mean[MF_COORD_DIM_MAX] = {0}, cov[MF_COORD_DIM_MAX * MF_COORD_DIM_MAX] = {0};
	double w[MF_COORD_DIM_MAX], v[MF_COORD_DIM_MAX * MF_COORD_DIM_MAX];
	double y[K_MAX * MF_COORD_DIM_MAX];
	size_t idx[MF_COORD_DIM_MAX];

	for (size_t i = 0; i < k; i++)
		for (size_t c = 0; c < n; c++)
			mean[c] += s->x[i * n + c] / (double)k;
	for (size_t i = 0; i < k; i++)
		for (size_t c = 0; c < n; c++)
			s->x[i * n + c] -= mean[c];
	for (size_t i = 0; i < k; i++)
		for (size_t a = 0; a < n; a++)
			for (size_t b = 0; b < n; b++)
				cov[a * n + b] += s->x[i * n + a] * s->x[i * n + b];
	jacobi(cov, n, w, v);
	order_desc(w, n, idx);
	for (size_t i = 0; i < k; i++)
		for (size_t c = 0; c < n; c++) {
			y[i * n + c] = 0;
			for (size_t a = 0; a < n; a++)
				y[i * n + c] += s->x[i * n + a] * v[a * n + idx[c]];
		}
	for (size_t c = 0; c < n; c++) {
		double sign = 1;
		for (size_t i = 0; i < k; i++)
			if (fabs(y[i * n + c]) > 1e-9) {
				sign = y[i * n + c] < 0 ? -1 : 1;
				break;
			}
		for (size_t i = 0; i < k; i++)
			s->x[i * n + c] = sign * y[i * n + c];
	}
}

/* The pair's distance from rtt (either direction, mean of both), or 0. */
static double pair_rtt(const double *rtt, size_t k, size_t i, size_t j)
{
	double a = rtt[i * k + j], b = rtt[j * k + i];
	bool ha = isfinite(a) && a > 0, hb = isfinite(b) && b > 0;
	return ha && hb ? (a + b) / 2 : ha ? a : hb ? b : 0;
}

static double quantise(double v)
{
	double step = log1p(MF_COORD_DC_EMBED_QUANTUM);
	return exp(round(log(v) / step) * step);
}

/* The symmetric, quantised matrix of rtt into q; MF_EINVAL if a pair is
 * unmeasured. perm maps canonical index -> caller's index (NULL: identity). */
static int canonical_matrix(const double *rtt, size_t k, const size_t *perm, double *q)
{
	for (size_t i = 0; i < k; i++) {
		q[i * k + i] = 0;
		for (size_t j = i + 1; j < k; j++) {
			double v = pair_rtt(rtt, k, perm ? perm[i] : i, perm ? perm[j] : j);
			if (v <= 0 || v > 1e3)
				return MF_EINVAL;
			q[i * k + j] = q[j * k + i] = quantise(v);
		}
	}
	return 0;
}

/* Start n: classical MDS for the first, seeded random ones after. */
static void init_start(const struct problem *pb, struct start *s, size_t n,
		       struct mf_coord_rng *rng, double *work)
{
	memset(s, 0, sizeof(*s));
	if (n == 0)
		classical_mds(pb, s, work);
	else
		for (size_t i = 0; i < pb->k * pb->dim; i++)
			s->x[i] = (2 * mf_coord_rng_unit(rng) - 1) * 0.87;
	for (size_t i = 0; i < pb->k; i++)
		s->h[i] = 0.01;
}

/* Solves the already canonical matrix q (seconds). */
static int solve_q(const double *q, size_t k, const struct mf_coord_config *cfg,
		   struct mf_coord *out, double *worst, double *median)
{
	struct problem pb = {k, cfg->dimensionality, NULL};
	double d[K_MAX * K_MAX], scale = 0, best_w = INFINITY, best_m = INFINITY, w = 0, m = 0;
	struct start *st = calloc(MF_COORD_DC_EMBED_STARTS + 2, sizeof(*st));
	double *work = malloc((2 * K_MAX * K_MAX + K_MAX) * sizeof(double));
	struct mf_coord_rng rng;
	size_t best = 0;

	if (st == NULL || work == NULL) {
		free(st);
		free(work);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < k * k; i++)
		scale += q[i] / (double)(k * (k - 1));
	for (size_t i = 0; i < k * k; i++)
		d[i] = q[i] / scale;
	pb.d = d;
	mf_coord_rng_seed(&rng, MF_COORD_DC_EMBED_SEED);
	/* The least median any start reaches under the pseudo-Huber loss
	 * alone: what the refinement's median is held to. */
	for (size_t n = 0; n < HUBER_STARTS; n++) {
		struct start *s = &st[MF_COORD_DC_EMBED_STARTS];
		init_start(&pb, s, n, &rng, work);
		for (int it = 0; it < HUBER_ITERS; it++) {
			gradient(&pb, s, 0, INFINITY);
			adam(&pb, s, 0.02 * pow(0.999, it));
		}
		score(&pb, s, &w, &m);
		best_m = fmin(best_m, m);
	}
	mf_coord_rng_seed(&rng, MF_COORD_DC_EMBED_SEED);
	for (size_t n = 0; n < MF_COORD_DC_EMBED_STARTS; n++) {
		struct start *s = &st[n];
		init_start(&pb, s, n, &rng, work);
		for (int stage = 1; stage <= MINIMAX_STAGES; stage++)
			for (int it = 0; it < MINIMAX_STAGE_ITERS; it++) {
				gradient(&pb, s, pow(2, stage), -1);
				adam(&pb, s, 0.02 * pow(0.999, it));
			}
		/* Adam's moments from the coarse stages keep it circling the
		 * optimum; restarted with a fifth of the step it settles (10 DCs,
		 * seed 11: worst 0.187 -> 0.132, the offline script 0.157) */
		adam_reset(s);
		for (int it = 0; it < POLISH_ITERS; it++) {
			gradient(&pb, s, 64, -1);
			adam(&pb, s, 0.004 * pow(0.996, it));
		}
		score(&pb, s, &w, &m);
		if (w < best_w) {
			best_w = w;
			best = n;
		}
	}
	/* From the minimax embedding, the pseudo-Huber loss with the worst pair
	 * capped: the tightest cap whose median is within 2x the least (plus
	 * a quantum), else the loosest. */
	struct start *s = &st[MF_COORD_DC_EMBED_STARTS + 1];
	for (double slack = MF_COORD_DC_EMBED_SLACK; slack <= MF_COORD_DC_EMBED_SLACK_MAX + 1e-9;
	     slack += 0.01) {
		struct start *r = &st[MF_COORD_DC_EMBED_STARTS];
		*r = st[best];
		adam_reset(r);
		for (int it = 0; it < REFINE_ITERS; it++) {
			gradient(&pb, r, 0, best_w + slack);
			adam(&pb, r, 0.005 * pow(0.997, it));
		}
		*s = *r;
		score(&pb, s, &w, &m);
		if (m <= 2 * best_m + 2 * MF_COORD_DC_EMBED_QUANTUM)
			break;
	}
	fix_gauge(&pb, s);
	for (size_t i = 0; i < k; i++) {
		mf_coord_init(&out[i], cfg);
		for (unsigned c = 0; c < pb.dim; c++)
			out[i].vec[c] = s->x[i * pb.dim + c] * scale;
		out[i].height = fmax(s->h[i] * scale, cfg->height_min);
		out[i].error = 0;
	}
	if (worst)
		*worst = w;
	if (median)
		*median = m;
	free(st);
	free(work);
	return 0;
}

int mf_coord_dc_embed_solve(const double *rtt, size_t k, const struct mf_coord_config *cfg,
			    struct mf_coord *out, double *worst, double *median)
{
	double q[K_MAX * K_MAX];
	if (k < 2 || k > K_MAX || mf_coord_config_check(cfg) != 0 ||
	    cfg->dimensionality > MF_COORD_DIM_MAX)
		return MF_EINVAL;
	if (canonical_matrix(rtt, k, NULL, q) != 0)
		return MF_EINVAL;
	return solve_q(q, k, cfg, out, worst, median);
}

int mf_coord_dc_embed_init(struct mf_coord_dc_embed *e, const struct mf_coord_config *cfg)
{
	memset(e, 0, sizeof(*e));
	if (cfg == NULL)
		mf_coord_config_default(&e->cfg);
	else
		e->cfg = *cfg;
	return mf_coord_config_check(&e->cfg);
}

static void drop(struct mf_coord_dc_embed *e)
{
	for (size_t i = 0; i < e->k; i++)
		free(e->names[i]);
	e->k = 0;
}

void mf_coord_dc_embed_free(struct mf_coord_dc_embed *e)
{
	drop(e);
}

int mf_coord_dc_embed_update(struct mf_coord_dc_embed *e, const char *const *names,
			     size_t k, const double *rtt)
{
	size_t perm[K_MAX];
	double q[K_MAX * K_MAX];
	struct mf_coord pos[K_MAX];
	int r;

	if (k < 2 || k > K_MAX) {
		drop(e);
		return MF_EINVAL;
	}
	for (size_t i = 0; i < k; i++) /* canonical order: by name */
		perm[i] = i;
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && strcmp(names[perm[j - 1]], names[perm[j]]) > 0; j--) {
			size_t t = perm[j];
			perm[j] = perm[j - 1];
			perm[j - 1] = t;
		}
	for (size_t i = 1; i < k; i++)
		if (strcmp(names[perm[i - 1]], names[perm[i]]) == 0) {
			drop(e);
			return MF_EINVAL;
		}
	if (canonical_matrix(rtt, k, perm, q) != 0) {
		drop(e);
		return MF_EINVAL;
	}
	bool same = e->k == k && memcmp(q, e->q, k * k * sizeof(double)) == 0;
	for (size_t i = 0; same && i < k; i++)
		same = strcmp(e->names[i], names[perm[i]]) == 0;
	if (same)
		return 0;
	if ((r = solve_q(q, k, &e->cfg, pos, &e->worst, &e->median)) != 0) {
		drop(e);
		return r;
	}
	drop(e);
	for (size_t i = 0; i < k; i++) {
		e->names[i] = strdup(names[perm[i]]);
		if (e->names[i] == NULL) {
			e->k = i;
			drop(e);
			return MF_ENOMEM;
		}
	}
	e->k = k;
	memcpy(e->q, q, k * k * sizeof(double));
	memcpy(e->pos, pos, k * sizeof(pos[0]));
	e->solves++;
	return 1;
}

int mf_coord_dc_embed_get(const struct mf_coord_dc_embed *e, const char *dc,
			  struct mf_coord *out)
{
	for (size_t i = 0; dc != NULL && i < e->k; i++)
		if (strcmp(e->names[i], dc) == 0) {
			*out = e->pos[i];
			return 0;
		}
	return MF_ENOTFOUND;
}

/*
 * coord/dc_embed.h — the DC-level embedding of a small federation, solved
 * whole from its measured DC distance matrix (issue 16).
 *
 * Contract: pure math and a cache; no clock, no I/O, no globals. Given the
 * measured distance of every DC pair (what the routing adverts carry: each
 * DC's measured distance to each DC it links to), finds the coordinates of
 * the DCs in serf's model (8-D vector + height) that keep the worst pair's
 * relative error near the least possible and, under that, the typical pair
 * as low as it goes; the same inputs give the same coordinates bit for bit,
 * so agents in different DCs that hold the same adverts reach the same
 * embedding without talking. The caller pins each of its servers at its
 * DC's position (coord/tracker.h mf_coord_tracker_pin) and falls back to
 * the per-node fit (coord/fit.h) when the matrix is incomplete or larger
 * than MF_COORD_DC_EMBED_MAX.
 *
 * Why not the per-node fit: in a handful of DCs each local move settles in
 * a local minimum (a mirrored DC, a pair breaking the triangle inequality
 * taking the whole violation) that no averaging over nodes removes; with
 * every pair known the whole problem is small (k <= 20 points) and is
 * solved as the offline embedding (scripts/offline-embedding) solves it.
 *
 * Method (docs/coordinates.md "Solving the DC matrix"): inputs symmetrised
 * (mean of both directions when both are known) and quantised to
 * MF_COORD_DC_EMBED_QUANTUM relative steps, so measurement noise below it
 * does not change the answer; then
 *  1. smooth minimax: from MF_COORD_DC_EMBED_STARTS starts (classical MDS,
 *     then seeded random ones), Adam on sum |rel err|^p with p raised
 *     2 -> 64, then polished at 64 with a restarted, smaller step; the
 *     start with the lowest worst pair kept (its worst: W);
 *  2. from that, Adam on the pseudo-Huber loss (delta 0.1, meshfed's) plus
 *     a steep penalty on any pair above a cap W + slack: the median falls
 *     towards the robust least-squares embedding's while the worst pair
 *     stays within the slack of the minimax one. The slack is the least
 *     of MF_COORD_DC_EMBED_SLACK, + 0.01, ..., MF_COORD_DC_EMBED_SLACK_MAX
 *     whose median is within 2x (plus two quanta) of the least median the
 *     pseudo-Huber loss alone reaches from 4 starts: both figures near
 *     their floors, neither bought with the other;
 *  3. the gauge fixed: centroid at the origin, axes along the principal
 *     components, each axis's sign so the first DC off it is positive.
 * Cost: O(STARTS x iterations x k^2 x dim): CPU 10 ms at 5 DCs, 50 ms at
 * 10, 170 ms at 20 on this (loaded, shared) machine, on the caller's
 * thread; the cache (mf_coord_dc_embed_update) solves only when the
 * quantised matrix changes.
 */
#ifndef MF_COORD_DC_EMBED_H
#define MF_COORD_DC_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/config.h"
#include "coord/coordinate.h"

#define MF_COORD_DC_EMBED_MAX 20 /* the 3-20 DCs */
#define MF_COORD_DC_EMBED_STARTS 8
#define MF_COORD_DC_EMBED_QUANTUM 0.005 /* relative: 0.5% */
#define MF_COORD_DC_EMBED_SLACK 0.015     /* first cap: minimax worst + this */
#define MF_COORD_DC_EMBED_SLACK_MAX 0.035 /* loosest cap, in steps of 0.01 */
#define MF_COORD_DC_EMBED_SEED 0x16dcULL /* fixed: every agent the same */

/* Solves the embedding of k DCs (2 <= k <= MF_COORD_DC_EMBED_MAX) from
 * rtt[i * k + j], seconds (<= 0 or non-finite: not measured; either
 * direction of a pair suffices), into out[0..k) (dim of cfg, error 0,
 * adjustment 0, height >= cfg's height min). *worst and *median (may be
 * NULL) get the fit's relative errors over the pairs. MF_EINVAL for a bad
 * k or config or any pair unmeasured (the caller falls back), MF_ENOMEM. */
int mf_coord_dc_embed_solve(const double *rtt, size_t k, const struct mf_coord_config *cfg,
			    struct mf_coord *out, double *worst, double *median);

/* The last solution, and the (quantised) matrix and DC names it is for. */
struct mf_coord_dc_embed {
	struct mf_coord_config cfg;
	size_t k;                               /* 0: none */
	char *names[MF_COORD_DC_EMBED_MAX];     /* owned, sorted (strcmp) */
	double q[MF_COORD_DC_EMBED_MAX * MF_COORD_DC_EMBED_MAX]; /* quantised, sorted order */
	struct mf_coord pos[MF_COORD_DC_EMBED_MAX];
	double worst, median;                   /* of the fit */
	uint64_t solves;                        /* times solved (not cached) */
};

/* cfg NULL: defaults. MF_EINVAL for a bad config. */
int mf_coord_dc_embed_init(struct mf_coord_dc_embed *e, const struct mf_coord_config *cfg);
void mf_coord_dc_embed_free(struct mf_coord_dc_embed *e);

/* The DCs names[0..k) (distinct) and their measured distances rtt[i*k+j]
 * (seconds, as for solve): re-solves when the names or the quantised
 * matrix differ from the last solution's, in canonical (sorted) order, so
 * the answer does not depend on the order the caller lists the DCs in.
 * 1 if solved anew, 0 if unchanged; MF_EINVAL (the solution is dropped:
 * mf_coord_dc_embed_get then finds nothing) for an incomplete matrix, too
 * many DCs or duplicate names, MF_ENOMEM. */
int mf_coord_dc_embed_update(struct mf_coord_dc_embed *e, const char *const *names,
			     size_t k, const double *rtt);

/* The solved position of DC dc: 0, or MF_ENOTFOUND (no solution, or dc not
 * in it). */
int mf_coord_dc_embed_get(const struct mf_coord_dc_embed *e, const char *dc,
			  struct mf_coord *out);

#endif

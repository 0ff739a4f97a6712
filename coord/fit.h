/*
 * coord/fit.h — refine one coordinate against remembered samples.
 *
 * Contract: pure math, no state beyond the arguments. Moves self's vector
 * and offset to lower the weighted squared relative error
 *
 *     sum_j weight_j / max(rtt_j, floor)^p * rho(d(self, peer_j) - rtt_j)
 *
 * (p = cfg->fit_rtt_power, floor = rtt_floor; rho a square, or with cfg->fit_robust_delta a
 * pseudo-Huber loss on the relative residual, minimized by iteratively
 * reweighted least squares) with the peers held where they were when sampled (a local least-squares
 * fit, one block of a distributed stress minimization). Each iteration is
 * one SMACOF majorization step for the vector (the Guttman transform for a
 * single point: the weighted mean of where each peer says we should be)
 * followed by the closed-form optimal offset for that vector (de Leeuw
 * 1977; Borg & Groenen, "Modern Multidimensional Scaling", ch. 8). Each
 * step is a weighted mean of points within one RTT of a peer, so the
 * result is bounded by the inputs and cannot diverge, whatever they are;
 * no division by a quantity that can be 0. The result is valid whenever
 * the inputs are.
 *
 * Local minima: if the result is grossly far from the nearest sample
 * (distance > 3 x its RTT + 10 x rtt_floor, e.g. reflected through the
 * centre of a nearly one-dimensional embedding), the same iterations run
 * once more from that peer's vector, and that result is kept if its
 * objective is below half the first's.
 *
 * Whole clusters: the servers of one DC sit a fraction of a millisecond
 * apart and fit each other almost exactly, so a DC that settled on the
 * wrong side of the embedding (mirrored through another DC) stays there:
 * leaving alone costs each member far more against its DC mates than it
 * gains against everyone else, and the robust loss makes the far samples,
 * grossly off, nearly weightless. So when we have near samples (RTT
 * within rtt_floor: DC-mates) and the far sample (RTT beyond
 * rtt_floor) that contributes most to the objective is off by more than
 * MF_COORD_FIT_MIRROR_RESIDUAL, the iterations also run from the mirror
 * point (that peer's place plus its RTT, away from where we are) with the
 * near samples set aside, and that result is kept if its objective over
 * the far samples is below half ours. Each mate decides the same from the
 * same far samples, and once away a mate's now grossly-off sample weighs
 * next to nothing, so the cluster crosses over one member at a time.
 *
 * DC-mates (RTT at most mate_rtt, the caller's, e.g. 0.2 ms in a DC whose
 * links are tens of ms): the vector part alone models them, so they pull
 * our vector next to theirs but never bound or fit our offset. The offset
 * is fitted to the far samples (and bounded by them): a DC far from every
 * other one carries the height its links need, as the best offline
 * embedding of the DCs does, instead of the 0.1 ms its servers' own RTT
 * would allow. The coordinate distance between two mates then reads their
 * offsets (a serf peer sees it); a meshfed agent answers for its own mates
 * from its measurements (mf_coord_client_estimate).
 *
 * Small federations (a DC-mate in a table of at most 64: local minima a
 * few DCs cannot average away, and embeddings that collapsed into a few
 * of the 8 dimensions): MF_COORD_FIT_ESCAPE_* random jumps in all
 * dimensions, kept when they fit all samples better.
 * So one call costs at most five times the iterations; it is still
 * deterministic (the client's seeded PRNG).
 */
#ifndef MF_COORD_FIT_H
#define MF_COORD_FIT_H

#include <stddef.h>

#include "coord/config.h"
#include "coord/coordinate.h"
#include "coord/rng.h"

/* Escape moves: with a DC-mate among at most
 * MF_COORD_FIT_ESCAPE_MAX_SAMPLES remembered peers,
 * MF_COORD_FIT_ESCAPE_STARTS more starts per fit, each a random jump of
 * up to MF_COORD_FIT_ESCAPE_JUMP x the median RTT in all dimensions,
 * kept when its objective is below MF_COORD_FIT_ESCAPE_GAIN x ours. */
#define MF_COORD_FIT_ESCAPE_STARTS 2
#define MF_COORD_FIT_ESCAPE_MAX_SAMPLES 64
#define MF_COORD_FIT_ESCAPE_JUMP 0.5
#define MF_COORD_FIT_ESCAPE_GAIN 0.98

/* Samples for which the mirror start is tried (a stack buffer). */
#define MF_COORD_FIT_MIRROR_MAX 1024
#define MF_COORD_FIT_MIRROR_RESIDUAL 0.5

struct mf_coord_sample {
	const struct mf_coord *peer; /* valid, compatible */
	double rtt;                  /* filtered RTT, seconds, > 0 */
	double weight;               /* confidence x recency, >= 0 */
	int mate;                    /* set by mf_coord_fit: rtt <= mate_rtt */
	double base, w;              /* work space of mf_coord_fit */
};

/* Refines self in place (vec, height, adjustment; error untouched). The
 * offset height + adjustment is fitted as one number; height keeps
 * >= height min and the adjustment takes what is below it, so a node whose
 * links are faster than the embedding predicts gets a negative adjustment
 * (serf's DistanceTo ignores adjustments that would make a distance <= 0).
 * The offset never exceeds any sample's RTT minus that peer's offset (a
 * distance is at least the two offsets, whatever the vector part does),
 * DC-mates excepted while there is any other sample.
 * rtt_floor (seconds, >= 0) caps the weight of short samples: one below
 * it weighs as one at it (the caller picks it, see fit_rtt_floor);
 * samples at or below mate_rtt (>= 0) are DC-mates (above). */
void mf_coord_fit(struct mf_coord *self, const struct mf_coord_config *cfg,
		  struct mf_coord_sample *s, size_t n, double rtt_floor, double mate_rtt,
		  unsigned iterations, struct mf_coord_rng *rng);

#endif

/*
 * coord/config.h — tuning parameters of the coordinate client.
 *
 * Contract: plain data. The first block mirrors serf's coordinate/config.go
 * field for field with the same defaults, so that a meshfed node and a serf
 * node run the same model and exchange coordinates meaningfully. The second
 * block tunes meshfed's refinement (coord/fit.h), which serf does not have;
 * with mode MF_COORD_MODE_SERF it is ignored and the client behaves like
 * serf's coordinate.Client.
 *
 * References (as in serf's config.go):
 * [1] Dabek et al., "Vivaldi: A decentralized network coordinate system",
 *     SIGCOMM 2004.
 * [2] Ledlie, Gardner, Seltzer, "Network Coordinates in the Wild", NSDI 2007.
 * [3] Lee et al., "On suitability of Euclidean embedding for host-based
 *     network coordinate systems", IEEE/ACM ToN 18(1), 2010.
 */
#ifndef MF_COORD_CONFIG_H
#define MF_COORD_CONFIG_H

#include <stdint.h>

/* Storage bound for Vec; the configured dimensionality may be smaller. */
#define MF_COORD_DIM_MAX 16

/* Longest latency filter supported. */
#define MF_COORD_FILTER_MAX 16

/* The routing median follows the coordinate's (short, lower) median at
 * once when the two differ by more than this fraction of it: a step, not
 * noise (+-10 % noise keeps them within 22 %). */
#define MF_COORD_ROUTE_STEP 0.25

/* Largest RTT sample accepted (serf client.go: maxRTT = 10 s). */
#define MF_COORD_RTT_MAX 10.0

/* Largest magnitude of any component we accept from a peer, in seconds.
 * serf has no such bound; we add it so a finite but absurd value (1e300)
 * cannot overflow distances into Inf. Real coordinates are below 1 s. */
#define MF_COORD_COMPONENT_MAX 1.0e3

enum mf_coord_mode {
	/* Plain Vivaldi exactly as serf's coordinate.Client.Update. */
	MF_COORD_MODE_SERF = 0,
	/* serf's update, then a local least-squares fit over remembered
	 * samples (coord/fit.h). Same wire format, better accuracy. */
	MF_COORD_MODE_FIT = 1,
};

struct mf_coord_config {
	/* --- serf's Config (coordinate/config.go DefaultConfig) --- */

	/* Euclidean dimensions; per [2], 8 plus a non-Euclidean height. */
	unsigned dimensionality;     /* 8 */
	/* Error of a fresh node, and the cap on the error. */
	double vivaldi_error_max;    /* 1.5 */
	/* Max impact of one observation on our confidence, see [1]. */
	double vivaldi_ce;           /* 0.25 */
	/* Max impact of one observation on our coordinate, see [1]. */
	double vivaldi_cc;           /* 0.25 */
	/* Samples averaged into the adjustment term, see [3]; 0 disables. */
	unsigned adjustment_window;  /* 20 */
	/* Floor of the height, seconds; positive, small next to real RTTs. */
	double height_min;           /* 10e-6 */
	/* Per-peer moving-median RTT filter length, see [2]. */
	unsigned latency_filter_size; /* 3 */
	/* Gravity towards the origin against drift, see [2]. */
	double gravity_rho;          /* 150.0 */

	/* --- meshfed's refinement (ignored in MF_COORD_MODE_SERF) --- */

	enum mf_coord_mode mode;     /* MF_COORD_MODE_FIT */
	/* Samples per peer the routing estimate's median is over
	 * (mf_coord_client_route_estimate), 1..MF_COORD_FILTER_MAX; used in
	 * both modes, and never by the coordinate, which keeps serf's
	 * latency_filter_size. A router acts on small differences between
	 * estimates, so it wants a steadier one than a coordinate step: three
	 * samples a pool pass apart let a +-10 % noise move a link 5 % several
	 * times an hour (docs/routing.md, "A steadier link estimate"). */
	unsigned route_filter_size;  /* 8 */
	/* Peers remembered (latest coordinate + filtered RTT). Bounds both
	 * memory and the cost of one update (O(peer_table_size * dim *
	 * fit_iterations)); the least recently sampled peer is evicted. serf's
	 * latency filter map is unbounded; ours doubles as that filter.
	 * On the 222-node WonderNetwork matrix 64 is nearly as good as 222. */
	unsigned peer_table_size;    /* 128 */
	/* Work per update: the fit runs over the whole table, but on average
	 * over at most fit_budget peers per sample (a table of n > budget is
	 * refitted every ceil(n / budget) samples; a sample whose fit is
	 * skipped updates the error only, not the position: coord/client.c
	 * mf_coord_client_update). An agent probes one peer a second whatever the
	 * pool's size, so its idle cost then stops growing with the table
	 * (issue 12: a fit over 128 peers was a tenth of an idle agent's CPU
	 * in a pool of 1,000). It costs some accuracy: on the 222-node
	 * WonderNetwork matrix, table 128, budget 64 gives median / p90
	 * 0.057 / 0.227 @200 and 0.052 / 0.201 @500 rounds against 0.055 /
	 * 0.222 and 0.052 / 0.203, so the agent sets it in its LAN pools only
	 * (one DC: RTTs between mates come from measurements, not from
	 * coordinates) and WAN pools keep a fit per sample. 0: a fit per
	 * sample. */
	unsigned fit_budget;         /* 0 */
	/* Majorization (SMACOF) sweeps per update, see coord/fit.h. */
	unsigned fit_iterations;     /* 4 */
	/* Minimum peers in the table before the fit runs; below it the
	 * spring step alone places us, as in serf. */
	unsigned fit_min_samples;    /* 4 */
	/* Neighbour decay ([2]): a sample taken at our update t0 weighs
	 * (t0 / t)^sample_age_power now, at our update t. Relative, not
	 * absolute, age: early on everyone moves fast and a sample ten
	 * updates old is stale, later the embedding has settled and it is
	 * not. 0 disables. On the 222-node WonderNetwork matrix it hardly
	 * matters next to the confidence weighting (1: +0.004 of median at
	 * 200 rounds); in a small multi-DC pool converging from scratch it
	 * does: 1 halves the worst DC-distance error after 3 minutes of the
	 * `wan` profile (4 DCs, 13 members: 0.10 -> 0.04 over 30 seeds;
	 * docs/coordinates.md). */
	double sample_age_power;     /* 1 */
	/* A peer's sample weighs 1 / (peer error + floor)^2: confident peers
	 * anchor us, as in Vivaldi's error weighting [1]. */
	double fit_confidence_floor; /* 0.05 */
	/* Samples weigh 1 / max(rtt, floor)^power: 2 would fit relative
	 * error exactly, 0 absolute error; 1.5 gave the lowest median
	 * relative error. */
	double fit_rtt_power;        /* 1.5 */
	/* The floor, as a fraction of the median RTT of the peer table. In
	 * a multi-DC pool a 0.2 ms sample from our own DC would otherwise
	 * weigh ~8,000x an 80 ms one, pin us to our DC peers, and a whole
	 * DC would move only as fast as its members move together (4 DCs:
	 * median error 0.68 after 50 rounds instead of 0.01). 0 disables;
	 * 0.05 leaves a WAN of spread-out nodes as it was; 0.05-0.3 do
	 * equally well on clustered ones, 0.05 has the best worst case
	 * (docs/coordinates.md). */
	double fit_rtt_floor;        /* 0.05 */
	/* DC-mates: samples at most this fraction of the median RTT of the
	 * peer table (0.2 ms inside a DC against tens of ms between DCs)
	 * place our vector only, never our offset (coord/fit.h), and skip
	 * serf's spring step, so a DC can carry the height its links need
	 * (a DC far from every other one) instead of the 0.1 ms its servers'
	 * own RTT would allow. Small federations: median DC-pair error over
	 * 30 seeds 0.010 -> 0.007 (5 DCs), worst 0.143 -> 0.068 (6 DCs),
	 * docs/coordinates.md. 0 disables. Cities 1-3 ms apart are not
	 * mates at 0.01 (the WonderNetwork matrix, median 141 ms: below 1.4 ms). */
	double fit_mate_rtt;         /* 0.01 */
	/* Robust loss: iteratively reweighted least squares with weight
	 * 1 / sqrt(r^2 + delta^2) for relative residual r, i.e. close to
	 * least absolute error beyond delta. Triangle-inequality violations
	 * and congested paths then pull less. 0 disables (plain squares). */
	double fit_robust_delta;     /* 0.1 */

	/* Seed of the client's private PRNG (only used to pick a direction
	 * when two coordinates coincide, as serf's unitVectorAt does). Give
	 * each node its own, e.g. a hash of its name. */
	uint64_t seed;
};

/* Fills cfg with serf's defaults and meshfed's refinement enabled. */
void mf_coord_config_default(struct mf_coord_config *cfg);

/* 0 if usable, MF_EINVAL otherwise (dimensionality 0 or > MF_COORD_DIM_MAX,
 * non-positive or non-finite tuning factors, ...). */
int mf_coord_config_check(const struct mf_coord_config *cfg);

/* Samples a peer's ring holds: the longer of the two filters. */
unsigned mf_coord_config_ring(const struct mf_coord_config *cfg);

#endif

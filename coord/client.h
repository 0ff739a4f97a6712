/*
 * coord/client.h — one node's Vivaldi client: its own coordinate and what it
 * remembers of its peers.
 *
 * Contract: serf's coordinate.Client with the same update semantics on the
 * wire-visible state (coordinate, error, adjustment, height), plus meshfed's
 * refinement (coord/fit.h) in MF_COORD_MODE_FIT. Pure: no clock (ages are
 * counted in our own updates), no I/O, no locking (the owner serializes
 * calls). Deterministic: the same config (seed included) and the same calls
 * give the same coordinates, bit for bit.
 *
 * Safety: every input is checked before it touches state. A remote
 * coordinate with NaN/Inf, an absurd magnitude, a negative height or error,
 * or the wrong dimensionality, and an RTT that is not in (0, 10 s], are
 * rejected with MF_EINVAL and counted by cause; our state is unchanged. If
 * our own coordinate ever becomes invalid it is reset to a fresh one (and
 * counted), so nothing invalid is ever handed out or sent.
 *
 * Memory: at most peer_table_size peers are remembered; the least recently
 * sampled is evicted. mf_coord_client_forget drops one (a peer that left).
 */
#ifndef MF_COORD_CLIENT_H
#define MF_COORD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "coord/config.h"
#include "coord/coordinate.h"
#include "coord/rng.h"

/* Why an update was rejected; indexes mf_coord_stats.rejected. */
enum mf_coord_reject {
	MF_COORD_REJECT_NONFINITE = 0, /* NaN or Inf in the remote coordinate */
	MF_COORD_REJECT_RANGE,         /* finite but absurd: |x| > 1e3 s,
					  height or error < 0 */
	MF_COORD_REJECT_DIMENSION,     /* not our dimensionality */
	MF_COORD_REJECT_RTT_NONPOSITIVE, /* RTT <= 0 (or NaN) */
	MF_COORD_REJECT_RTT_TOO_BIG,   /* RTT > MF_COORD_RTT_MAX */
	MF_COORD_REJECT_COUNT_
};

struct mf_coord_stats {
	uint64_t updates;  /* accepted samples */
	uint64_t resets;   /* own coordinate went invalid and was reset */
	uint64_t fits;     /* fits run (coord/fit.h; at most one per sample) */
	uint64_t rejected[MF_COORD_REJECT_COUNT_];
};

/* What we remember of one peer. */
struct mf_coord_peer {
	char *name;                              /* owned */
	struct mf_coord coord;                   /* its latest coordinate */
	double samples[MF_COORD_FILTER_MAX];     /* raw RTTs, ring of mf_coord_config_ring */
	unsigned nsamples;                       /* filled, <= the ring */
	unsigned next;                           /* ring write index */
	double rtt;                              /* filtered: median of the last latency_filter_size
						    (lower in fit mode) */
	double rtt_route;                        /* lower median of the last route_filter_size,
						    or of the coordinate's window after a step */
	unsigned route_n;                        /* samples behind rtt_route */
	uint64_t tick;                           /* our update count at last sample */
};

struct mf_coord_client {
	struct mf_coord_config cfg;
	struct mf_coord coord;             /* ours, what we send */
	struct mf_coord origin;            /* gravity's anchor */
	double *adjustment_samples;        /* cfg.adjustment_window of them */
	unsigned adjustment_index;
	struct mf_coord_peer *peers;       /* cfg.peer_table_size slots */
	unsigned npeers;
	uint64_t tick;                     /* accepted updates so far */
	struct mf_coord_rng rng;
	struct mf_coord_stats stats;
	void *scratch;                     /* fit work space */
	double *rtts;                      /* work space of the RTT floor */
	double rtt_median;                 /* of the table at the last fit (s), 0 before */
	uint64_t fit_credit;               /* peers the budget allows before the next fit */
};

/* Sets up c (allocates its tables). MF_EINVAL for a bad config (see
 * mf_coord_config_check), MF_ENOMEM. */
int mf_coord_client_init(struct mf_coord_client *c, const struct mf_coord_config *cfg);
void mf_coord_client_free(struct mf_coord_client *c);

/* One observation: we pinged node, it answered with coordinate other after
 * rtt seconds. Updates our coordinate; *out (may be NULL) gets the new one.
 * MF_EINVAL (counted, state untouched) for invalid input, MF_ENOMEM if a new
 * peer's name could not be stored. */
int mf_coord_client_update(struct mf_coord_client *c, const char *node,
			   const struct mf_coord *other, double rtt,
			   struct mf_coord *out);

/* Our current coordinate (always valid). */
void mf_coord_client_get(const struct mf_coord_client *c, struct mf_coord *out);

/* Forces our coordinate (serf SetCoordinate), e.g. restored from disk.
 * MF_EINVAL (not counted) if invalid or incompatible. */
int mf_coord_client_set(struct mf_coord_client *c, const struct mf_coord *coord);

/* A newer coordinate of node, learnt without a sample (announced by the
 * peer itself, coord/tracker.h): replaces the one we remember, if we
 * remember node, so the next fit uses where the peer is now. Our own
 * coordinate does not move. MF_EINVAL (counted as a rejection) for an
 * invalid one, MF_ENOTFOUND when node is not in our table. */
int mf_coord_client_observe(struct mf_coord_client *c, const char *node,
			    const struct mf_coord *other);

/* Drops what we remember of node (serf ForgetNode). */
void mf_coord_client_forget(struct mf_coord_client *c, const char *node);

/* Estimated RTT in seconds from us to other, by coordinates only (what a
 * serf peer would compute). MF_EINVAL if other is invalid or incompatible. */
int mf_coord_client_distance(const struct mf_coord_client *c,
			     const struct mf_coord *other, double *out);

/* Best RTT estimate to node, in seconds. If we remember a measurement
 * (*measured = 1): its filtered value, blended (when other is given and at
 * least two samples are filtered) with the coordinate distance by inverse
 * variance: the spread of the filter below its value (twice the filtered
 * value minus the smallest sample; a late sample does not count, delay
 * only adds) against our error estimate, so a steady path is reported as
 * measured and a noisy one leans on the coordinates. Otherwise the coordinate distance to other (*measured = 0).
 * MF_ENOTFOUND if neither is available, MF_EINVAL for a bad other. */
int mf_coord_client_estimate(const struct mf_coord_client *c, const char *node,
			     const struct mf_coord *other, double *out,
			     int *measured);

/* The estimate routing acts on: as mf_coord_client_estimate, but the
 * measurement is the lower median of the last route_filter_size samples
 * (coord/config.h), its spread counted as that of a median of that many;
 * after a step (MF_COORD_ROUTE_STEP) the lower median of the last
 * latency_filter_size, blended as mf_coord_client_estimate blends it.
 * MF_ENOTFOUND, MF_EINVAL as there. */
int mf_coord_client_route_estimate(const struct mf_coord_client *c, const char *node,
				   const struct mf_coord *other, double *out, int *measured);

const struct mf_coord_stats *mf_coord_client_stats(const struct mf_coord_client *c);

#endif

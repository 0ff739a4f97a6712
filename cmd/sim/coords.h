/*
 * cmd/sim/coords.h — network coordinates in the simulator: one
 * coord/tracker per pool, plugged into its delegate exactly as the agent
 * plugs it, and the error of the resulting estimates.
 *
 * Contract: the trackers see only what the pool hands them (ack payloads
 * and measured RTTs in virtual time); the one thing added between pool and
 * tracker is the optional noise: each measured RTT is multiplied by a factor
 * uniform in [1 - F, 1 + F] before the tracker sees it (serf phantom.go's
 * noise model, per sample). The evaluation reads every tracker and the true
 * RTT matrix; it never changes a tracker. No clock, no I/O.
 *
 * Error definitions (relative error |est - actual| / actual over ordered
 * pairs (i, j), i != j, both up, actual = the matrix RTT i -> j;
 * quantiles as in tests/coord/accuracy.c: v[n/2], v[(n-1)*0.9]):
 *  - coords: distance between i's and j's current coordinates: what
 *    `meshfed rtt i j` answers from fresh coordinates, and what serf's
 *    published figures measure;
 *  - best: mf_coord_client_estimate of i for j given j's current
 *    coordinate: i's own filtered measurement (blended) where it has one;
 *  - view: i's current coordinate against j's coordinate as i last
 *    received it (i's cache), over the pairs i has a coordinate for;
 *    `coverage` is the fraction of pairs that have one. This is what
 *    `meshfed rtt j` run on agent i would print, staleness included.
 * With datacenters (a topology file), also per up member i in DC A and
 * every other DC B linked to A: mf_coord_tracker_dc_rtt of i's tracker
 * (coordinates, and best) over the members i's pool lists with their
 * status there, against the topology's RTT A <-> B: the distance Consul
 * would rank DCs by, as the agent computes it; its worst value too. And
 * per up member i and every linked DC pair (A, B) with neither being i's
 * DC: mf_coord_tracker_dc_pair_rtt of i's tracker against the RTT A <-> B
 * (`meshfed rtt -dc A B`), worst value and median.
 */
#ifndef MF_SIM_COORDS_H
#define MF_SIM_COORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/sim/simnet.h"
#include "coord/dc_embed.h"
#include "coord/tracker.h"
#include "gossip/rng.h"

struct mf_sim_coords;

/* Past this many ordered pairs the error is scored on a sample (each node
 * against per_node others spread evenly over the ring), so a 10,000-node
 * run does not hold and sort 3 x 10^8 values per reported round; up to
 * 1,024 nodes every pair is scored. */
#define MF_SIM_EVAL_PAIRS (1u << 20)

struct mf_sim_coord_node {
	struct mf_sim_coords *owner;
	size_t i;
	bool started;     /* its pool was created at least once */
	bool ready;       /* tracker initialised */
	bool serf;        /* runs serf's algorithm, tagged as no DC (a serf agent) */
	struct mf_coord_tracker tracker;
};

struct mf_sim_coords {
	size_t n;
	struct mf_sim_coord_node *nodes;
	struct mf_coord_config cfg;
	uint64_t seed;
	double noise;
	const double *rtt_s;   /* n*n true RTTs in seconds, not owned; <= 0 skipped;
				* NULL: rtt_uniform_s between any two */
	double rtt_uniform_s;
	size_t per_node;       /* pairs scored per node: n - 1, or fewer past
				* MF_SIM_EVAL_PAIRS (spread evenly) */
	/* The pools' network, set once it exists: announcements (coord/
	 * tracker.h) go into node i's current pool (not owned). */
	struct mf_simnet *net;
	struct mf_rng rng;     /* noise */
	struct mf_intern names; /* the trackers' cached names, one copy each */
	struct mf_coord *now;  /* scratch: current coordinates */
	/* datacenters (optional, mf_sim_coords_set_dcs; not owned) */
	const int *dc;         /* n: DC index per node */
	size_t n_dcs;
	const char *const *dc_name; /* n_dcs */
	const double *dc_rtt_s;     /* n_dcs^2, <= 0: no link */
	struct mf_coord_tracker_member *members; /* scratch: n */
	double *dc_err, *dc_best;   /* scratch: n * n_dcs */
	double *dc_pair_err;        /* scratch: n * (n_dcs^2 / 2 + 1) */
	double *err, *best, *view; /* scratch: n * per_node each */
	/* The DC-level embedding (coord/dc_embed.h), on unless
	 * mf_sim_coords_set_dc_embed(c, false): see mf_sim_coords_round. */
	bool dc_embed_off;
	struct mf_coord_dc_embed embed;
	double *adverts;            /* scratch: n_dcs^2 */
	double *row;                /* scratch: n */
};

struct mf_sim_coord_err {
	size_t pairs;
	double median, p90;           /* coords */
	double best_median, best_p90; /* best */
	double view_median, view_p90; /* view (NAN without any pair) */
	double coverage;              /* view pairs / pairs */
	size_t dc_pairs;              /* (member, remote DC) pairs scored; 0: no DCs */
	double dc_median, dc_p90;     /* DC distance by coordinates */
	double dc_best_median, dc_best_p90; /* DC distance by best estimates */
	double dc_max;                /* worst DC distance by coordinates */
	size_t dc_pair_pairs;         /* (member, DC pair without its DC) scored */
	double dc_pair_max;           /* worst of those, dc_pair_rtt */
	double dc_pair_median;        /* their median */
	size_t serf_pairs;            /* (serf node, member >= 10 ms away) scored */
	double serf_view_max;         /* worst of those: what `serf rtt` prints */
	uint64_t rejected, bad_payload; /* summed over trackers */
};

int mf_sim_coords_init(struct mf_sim_coords *c, size_t n, const double *rtt_s,
		       const struct mf_coord_config *cfg, double noise, uint64_t seed);
void mf_sim_coords_free(struct mf_sim_coords *c);

/* Declares datacenters for the DC error (arrays must outlive c).
 * MF_ENOMEM. */
int mf_sim_coords_set_dcs(struct mf_sim_coords *c, const int *dc, size_t n_dcs,
			  const char *const *dc_name, const double *dc_rtt_s);

/* Node i runs serf's plain Vivaldi (MF_COORD_MODE_SERF, peer table of n)
 * as a stock serf agent next to meshfed ones would: its coordinate is
 * scored with everyone's, but it carries no DC tag (it counts in no DC
 * median) and, having no `meshfed rtt -dc`, is no source of DC estimates.
 * Call before the run. */
void mf_sim_coords_set_serf(struct mf_sim_coords *c, size_t i);

/* The DC-level embedding on (default) or off (every node fits itself,
 * as before issue 16). */
void mf_sim_coords_set_dc_embed(struct mf_sim_coords *c, bool on);

/* Once per round, with datacenters declared and meshfed's client: the
 * routing adverts, as the agent reads them (cmd/agent/agent_coords.c), stood in
 * for by what they carry: DC X's measured distance to DC Y, the median
 * over X's up meshfed servers of their mf_coord_tracker_dc_rtt (best
 * estimate: measured where probed) to Y. Every node is handed the same
 * matrix (adverts reach the whole pool within a round or two; the delay
 * is not modelled). When every pair is known, the matrix is solved
 * (mf_coord_dc_embed_update: the same inputs give every agent the same
 * answer, so it is solved once here) and every meshfed server pinned at
 * its DC's position; else every pin is released. */
void mf_sim_coords_round(struct mf_sim_coords *c, struct mf_simnet *net);

/* From simnet's configure hook: gives pool i its tracker (a fresh one when
 * the pool is restarted) on the delegate's ack_payload / on_ack. */
void mf_sim_coords_configure(struct mf_sim_coords *c, size_t i, struct mf_pool_config *pc);

/* From simnet's on_event hook: a reaped member is forgotten. */
void mf_sim_coords_event(struct mf_sim_coords *c, size_t i, const struct mf_pool_event *ev);

/* The errors now, over the pools that are up. MF_EINVAL with fewer than two. */
int mf_sim_coords_eval(struct mf_sim_coords *c, struct mf_simnet *net, struct mf_sim_coord_err *out);

#endif

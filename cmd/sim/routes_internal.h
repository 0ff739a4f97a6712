/*
 * cmd/sim/routes_internal.h — meshfed-sim -routes' state, shared by its
 * files (private: only cmd/sim/routes*.c include it):
 *   routes.c        building the pools and nodes, the run
 *   routes_truth.c  the topology's true shortest paths: the score, the cut
 *   routes_watch.c  the servers' tables each round: signatures, changes,
 *                   counters, the printed tables
 *   routes_walks.c  next-hop walks each round: loops and black holes
 * The contract is routes.h's.
 */
#ifndef MF_SIM_ROUTES_INTERNAL_H
#define MF_SIM_ROUTES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/sim/coords.h"
#include "cmd/sim/routes.h"
#include "cmd/sim/simnet.h"
#include "routing/blobs.h"
#include "routing/node.h"
#include "routing/pool_mux.h"
#include "routing/topology.h"

/* One simnet node: a server's membership of one pool. */
struct member {
	struct rsim *sim;
	size_t server;          /* index into servers */
	size_t pool;            /* index into pools */
	struct mf_routing_node_slot *slot;
	struct mf_pool_mux mux; /* the pool's delegate: the coords hook, the slot */
};

struct server {
	size_t dc;
	char name[MF_TOPOLOGY_NAME_MAX + 8];
	struct mf_routing_node *node;
	uint64_t sig;           /* routes at the end of the last round (signature()) */
	bool has_sig;
	uint32_t *nh;           /* per route (table order): hash of target and
				 * next hop at the last round, for counting changes */
	size_t n_nh;
	bool has_nh;            /* nh holds a previous round's */
	uint32_t *order;        /* route indexes sorted by target name (the
				 * table's order), n_order of them: names are
				 * only added, so redone only when that grows */
	size_t n_order;
	uint64_t version;       /* table version sig and nh were taken at */
	bool seen;
};

struct rsim {
	struct mf_topology topo;
	const struct mf_sim_routes_args *args; /* the run's options */
	size_t n_pools;
	size_t *pool_first;     /* n_pools + 1: first member of each pool */
	size_t n_servers;
	struct server *servers;
	size_t n;               /* members */
	struct member *members;
	struct mf_sim_coords coords;
	struct mf_simnet *net;
	/* Other DCs' encoded states, one copy for all nodes (routing/blobs.h):
	 * every server of a pool holds the same ones. */
	struct mf_blobs *blobs;
	/* Measured from round measure_from on (the second half of -rounds):
	 * next-hop changes over all servers, routing bytes received (user
	 * messages, push-pull values). */
	bool measuring;
	uint64_t nh_changes, advert_bytes, beat_bytes, reach_bytes, pp_bytes;
	uint64_t kind_bytes[4]; /* advert_bytes by message: full states, deltas, digests and
				  * pulls, answers to pulls */
	struct mf_routing_stats why; /* engines' counts at the window's start */
	uint64_t deltas_at[7];       /* nodes' deltas out, in, unbased, late, past base, errors, back then */
	struct mf_advert_split split_at; /* nodes' deltas sent by what changed, then */
	int configure_err;           /* the first error of simnet's configure hook */
};

/* The truth the score compares with, indexed once: per DC pair whether
 * they are linked (mf_topology_linked scans the areas: too slow for the
 * 10^9 lookups of 1,000 DCs), and the DCs by name. */
struct truth {
	const struct mf_topology *t;
	bool *linked;           /* n_dcs x n_dcs */
	size_t *by_name;        /* DC indexes sorted by name */
};

/* Walks of one or more rounds (routes_walks.c): walks started (routes
 * with a next hop), reached, loops (towards cut-off DCs), black holes
 * (towards cut-off DCs), over dead links, routes to reachable DCs missing
 * at the start, rounds with a loop, rounds. */
struct mf_sim_walk_counts {
	uint64_t walks, reached, loops, loops_cut, holes, holes_cut, dead, unrouted;
	uint64_t loop_rounds, rounds;
};

struct walks {
	size_t *first, *count;  /* per DC: its first server, its servers */
	uint32_t *stamp, gen;   /* per DC: the walk that last passed it */
	struct mf_sim_walk_counts all, window, cut;
};

/* routes_truth.c */
int mf_sim_rt__truth_init(struct truth *w, const struct mf_topology *t);
void mf_sim_rt__truth_free(struct truth *w);
/* Index of the DC called name, or -1. */
long mf_sim_rt__truth_dc(const struct truth *w, const char *name);
/* Scores each DC's table (its first server's) against the true RTTs; two
 * lines on err (docs/simulator.md). */
void mf_sim_rt__score(struct rsim *s, FILE *err);
/* -cut: nothing passes any more between the two halves of the DCs. */
void mf_sim_rt__cut(struct rsim *s);
/* Routes (reachable, not down) some server holds to a DC on the other side
 * of the cut; *who: the first server holding one. */
size_t mf_sim_rt__routes_across(const struct rsim *s, const struct truth *w, size_t *who);

/* routes_watch.c. Updates every server's route signature; *changed: some
 * moved since the last call; returns the number of DCs whose servers
 * disagree (listed on err when report). Next-hop changes are added to
 * s->nh_changes while measuring. */
int mf_sim_rt__observe(struct rsim *s, bool *changed, FILE *err, bool report);
/* Sums every server's deltas sent, received, received without base,
 * applied late, stale, and bases or deltas dropped on an error. */
void mf_sim_rt__sum_deltas(const struct rsim *s, uint64_t d[7]);
/* Sums every server's deltas sent by what their routes changed. */
void mf_sim_rt__sum_split(const struct rsim *s, struct mf_advert_split *sp);
/* Sums every server's engine counts (why next hops moved, new states). */
void mf_sim_rt__sum_why(const struct rsim *s, struct mf_routing_stats *w);
size_t mf_sim_rt__held(const struct rsim *s);
/* Prints every DC's table as one JSON object, one DC at a time; 0 or an
 * error. */
int mf_sim_rt__print_tables(struct rsim *s, FILE *out);

/* routes_walks.c. Walks every server's routes after a round (cut: the
 * cut is on; measuring: the round is in the measured window); prints the
 * counts on err, one line per span (all rounds, the window, from the
 * cut). */
int mf_sim_rt__walks_init(struct walks *w, const struct rsim *s);
void mf_sim_rt__walks_free(struct walks *w);
void mf_sim_rt__walk_round(const struct rsim *s, struct walks *w, const struct truth *tw, bool cut,
			   bool measuring);
void mf_sim_rt__walks_print(const struct walks *w, FILE *err, int measure_from, int cut, int last);

#endif

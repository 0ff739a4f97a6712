/*
 * tests/routing/sim.h — synchronous path-vector simulation for tests and the
 * bench: one engine per DC, advertisements exchanged in rounds until no
 * table and no advertisement changes. Deterministic: no clock, no sockets.
 *
 * DC i is named "dc%03d" (i) unless names are given, so name order is
 * index order (the Dijkstra check relies on it); the link i->j
 * is what DC i's agent measured (directed, so asymmetric estimates work).
 */
#ifndef MF_TESTS_ROUTING_SIM_H
#define MF_TESTS_ROUTING_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/advert_asm.h"
#include "routing/engine.h"

struct sim {
	size_t n;
	bool numbered;         /* names are dc%03d: index lookup by parsing */
	char (*names)[72];
	struct mf_routing **eng;
	double *dist;          /* n*n, i->j; meaningful when usable */
	bool *configured;      /* n*n: i and j share a pool */
	bool *usable;          /* n*n: i sees a live server of j with coordinates */
	bool *alive;
	uint64_t *sent_seq;    /* last advertisement seq delivered per DC */
	bool via_codec;        /* deliver through fragments + decode + reassembly */
	struct mf_advert_asm *asm_; /* per receiving DC, when via_codec */
	struct mf_advert *adv_buf;  /* per-round scratch, n each */
	struct mf_advert_frags *frag_buf;
	bool *fresh_buf;
	/* clock: when set, every round advances now by one and hands it to
	 * each engine (mf_routing_set_now) before its recompute */
	bool clocked;
	uint64_t now;
	/* beat messages (engines with beats_apart; the node's rules,
	 * routing/node_beats.c): when clocked and beat_every > 0, each DC's
	 * whole beat every beat_every rounds (staggered by index) and its
	 * hurried beat in the rounds between go to every alive DC that hears
	 * it directly, and each receiver's answers go straight back */
	uint64_t beat_every;
	/* when set, sim_run_withdrawn takes a census of the walks
	 * (sim_walk_census) at its start and after every round, running
	 * census->ref's rounds beside its own */
	struct sim_walks *census;
	/* counters */
	uint64_t adverts_sent; /* advertisement deliveries (one per neighbour) */
	uint64_t advert_bytes; /* encoded bytes of those, when via_codec */
};

/* DCs named by index ("dc%03d") when names is NULL; cfg is a template
 * (datacenter/node are set per DC), transit may be NULL (all transit). */
int sim_init(struct sim *s, size_t n, const char *const *names, const struct mf_routing_config *cfg,
	     const bool *transit);
void sim_free(struct sim *s);
/* Sets the directed link i->j in the matrix and in DC i's engine. */
int sim_link(struct sim *s, size_t i, size_t j, bool configured, bool usable, double dist);
/* Both directions, same distance. */
int sim_link2(struct sim *s, size_t i, size_t j, bool configured, bool usable, double dist);
/* DC i fails: every neighbour loses its link to i and withdraws its routes. */
int sim_kill(struct sim *s, size_t i);
/* Runs rounds until quiet; *rounds = rounds that changed something.
 * MF_ESTATE when still changing after max_rounds. */
int sim_run(struct sim *s, int max_rounds, int *rounds);
/* Runs exactly k rounds, quiet or not (with a clock, beats never are). */
int sim_run_for(struct sim *s, int k);
/* Routes (direct or via) some alive DC holds to a DC it cannot reach over
 * usable links between alive DCs (SIZE_MAX without memory). */
size_t sim_unreachable_routes(const struct sim *s);
/* The converse: pairs of alive DCs where the first reaches the second
 * over usable links between alive DCs but holds no route to it (what
 * feasibility could starve). SIZE_MAX without memory. */
size_t sim_missing_routes(const struct sim *s);
/* Runs rounds until no such route is left; *rounds = rounds run.
 * MF_ESTATE when some are left after max_rounds. With s->census, the
 * walks are classified at the start and after every round. */
int sim_run_withdrawn(struct sim *s, int max_rounds, int *rounds);
/* seen[0..n): the DCs a reaches over usable links between alive DCs
 * (stack: n of scratch). */
void sim_reach(const struct sim *s, size_t a, bool *seen, size_t *stack);
/* True when every alive DC reaches every other over usable links. */
bool sim_connected(const struct sim *s);
/* Kills (sim_kill) a DC whose death leaves the alive others connected (a
 * death that cuts some off is a partition, docs/routing.md), drawn from
 * *rng (h_splitmix) up to `tries` times: the DC killed, -1 when none was. */
long sim_kill_sparing(struct sim *s, uint64_t *rng, int tries);
/* Index of a sim DC name, or -1. */
int sim_index(const struct sim *s, const char *name);

/* Reference: all-pairs shortest distances by Dijkstra on the usable links
 * between alive DCs; out[s*n+t], INFINITY when unreachable. */
int sim_dijkstra(const struct sim *s, double *out);

/* Checks every converged table against the reference: same distance, and
 * the next hop is the first by name among the optimal ones. Returns the
 * number of mismatches (printing the first few). */
size_t sim_check_dijkstra(const struct sim *s, const double *ref);
/* Follows next hops from every alive DC to every target: each walk must
 * reach the target within n hops without revisiting a DC, and equal the
 * table's path. Returns the number of bad walks. */
size_t sim_check_walks(const struct sim *s);
/* For every alternate of every route: from the source to the alternate
 * (a usable link, not the primary next hop, a finite distance),
 * then along next hops, the walk must reach the target without revisiting
 * a DC, the source included. Returns the number of bad walks; counts the
 * alternates checked in *n_alternates. */
size_t sim_check_alternate_walks(const struct sim *s, size_t *n_alternates);

/* What the next-hop walks do at one instant, every alive DC's current
 * table (after a round, all computed in that round): a walk from every DC
 * with a next hop to every target. Only a loop is a forwarding loop; the
 * others are routes still moving, as a withdrawal must leave them. */
struct sim_walk_counts {
	size_t walks;       /* walks taken */
	size_t matching;    /* reached the target along the source's table path */
	size_t moved;       /* reached it along another path than the table's */
	size_t longer;      /* of moved: longer than the source's distance */
	size_t black_holes; /* ended at a DC with no route to the target */
	size_t dead_links;  /* at a next hop over a link that is down (or a
			     * dead DC): tables not recomputed since */
	size_t loops;       /* came back to a DC already walked */
	size_t cycles;      /* distinct cycles (per target) of those loops */
	/* of black holes, loops and cycles: towards a DC the source cannot
	 * reach (cut off: withdrawal), the rest within the source's part */
	size_t black_holes_cut, loops_cut, cycles_cut;
	/* with a ref: cycles ref's tables lack at the same instant (a
	 * member's next hop differs there), and the walks into them */
	size_t cycles_new, loops_new;
	/* cycles with a member whose route is not its next hop's route of
	 * the census before, with itself in front (path vector's transient
	 * loop: each member one exchange behind its next hop), or whose path
	 * holds a DC twice: state older than one exchange, an engine bug */
	size_t cycles_stale;
};
struct sim_walks {
	struct sim_walk_counts all;  /* summed over the censuses */
	struct sim_walk_counts last; /* the latest census alone */
	size_t instants;             /* censuses taken */
	size_t loop_instants;        /* of them, with a cycle */
	/* the same federation under another configuration (no freshness),
	 * run in lockstep by sim_run_withdrawn, which takes ref's own census
	 * into ref_walks when set */
	struct sim *ref;
	struct sim_walks *ref_walks;
	int trace;                   /* cycles still to print (each DC's route;
				      * with a ref, only those it lacks) */
	bool each;                   /* print a line per census */
	/* every alive DC's table paths (DC indices) at the census before:
	 * prev_ids[prev_off[a*n+t] .. prev_off[a*n+t+1]), none when equal */
	size_t *prev_off;
	int *prev_ids;
};
/* Adds the census of the current tables to *c (c->last, c->all) and keeps
 * their paths for the next census. 0 or MF_ENOMEM. */
int sim_walk_census(const struct sim *s, struct sim_walks *c);
/* Frees the kept paths. */
void sim_walks_free(struct sim_walks *c);

#endif

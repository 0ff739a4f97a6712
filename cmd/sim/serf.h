/*
 * cmd/sim/serf.h — the serf glue (gossip/serf_glue.h) on every simulated
 * pool, as the agent runs it: join intents after a successful join, serf's
 * user messages and push-pull state, intents rebroadcast through the pool's
 * user queue, forced leaves. The coordinate hooks (cmd/sim/coords.h) stay
 * in front: this wraps the delegate they set in routing/pool_mux.h's
 * multiplexer, as cmd/agent/agent_pool.c does.
 *
 * Contract: owns one glue per node (fresh on restart); no clock, no I/O.
 * Consistency (mf_sim_serf_check): every up node's glue holds, for every
 * other up node, the LTime of that node's own latest intent — what serf's
 * anti-entropy must converge to.
 */
#ifndef MF_SIM_SERF_H
#define MF_SIM_SERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/sim/simnet.h"
#include "gossip/serf_glue.h"
#include "routing/pool_mux.h"

struct mf_sim_serf_node {
	struct mf_serf_glue glue;
	bool ready;
	struct mf_pool_mux mux; /* the pool's delegate: the coordinate hooks it wraps, the glue */
};

struct mf_sim_serf {
	size_t n;
	struct mf_sim_serf_node *nodes;
};

/* What a check found, over the up nodes. */
struct mf_sim_serf_check {
	size_t nodes;          /* up nodes checked */
	uint64_t pairs;        /* (node, other up node) pairs checked */
	uint64_t missing;      /* the other is unknown to the node's glue */
	uint64_t stale;        /* known at an older LTime than its own */
	uint64_t too_big;      /* push-pull states over the pool's bound (summed) */
	uint64_t sent, merged; /* push-pull states sent and merged (summed) */
	uint64_t queue_drops, decode_errors;
	uint64_t intents_pruned; /* queued intents dropped past serf's depth (summed) */
};

int mf_sim_serf_init(struct mf_sim_serf *s, size_t n);
void mf_sim_serf_free(struct mf_sim_serf *s);
/* From simnet's configure hook, after the coordinate hooks: a fresh glue
 * for node i wrapping pc's delegate, its names in pc->intern when set. */
void mf_sim_serf_configure(struct mf_sim_serf *s, size_t i, struct mf_pool_config *pc);
/* From simnet's on_event hook. */
void mf_sim_serf_event(struct mf_sim_serf *s, size_t i, const struct mf_pool_event *ev);
/* From simnet's after_drain hook: > 0 when pool i has new outputs. */
int mf_sim_serf_flush(struct mf_sim_serf *s, size_t i, mf_pool_t *p, mf_time_t now);
/* Checks every up node's view of every other's intents: O(n^2) lookups,
 * O(1) each. */
void mf_sim_serf_check(const struct mf_sim_serf *s, const struct mf_simnet *net,
		       struct mf_sim_serf_check *out);

#endif

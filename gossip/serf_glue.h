/*
 * gossip/serf_glue.h — what an agent adds on top of the pool so stock serf
 * agents treat it as one of their own (serf 0.9.4 serf.go, delegate.go).
 * The agent (cmd/agent/agent_pool.c) and the simulator (cmd/sim/serf.c) run it.
 *
 *  - A Lamport clock (serf's `clock`, starting at 1), witnessed from every
 *    serf message and push-pull we see.
 *  - Join and leave intents (messageJoin/messageLeave): ours are queued for
 *    gossip after a successful join and before a graceful leave, so serf
 *    marks us `left` rather than `failed`; others' are rebroadcast when new,
 *    exactly when serf would (handleNodeJoinIntent/handleNodeLeaveIntent);
 *    a new leave intent for a failed member makes it left, and so does a
 *    failure of a member whose latest intent is a leave (serf's leaving ->
 *    left in handleNodeLeave), until the pool sees it alive again
 *    (handleNodeJoin), as in serf.
 *  - The push-pull user state: we send a messagePushPull (serf logs an error
 *    on an empty one) and merge a peer's (witness clocks, learn intents).
 *    It is sent whole, the pool growing its buffer to fit (pool.h
 *    local_state); one over MF_POOL_USER_STATE_MAX (some 100,000 names of
 *    ~30 bytes; the entries are capped at MF_SERF_GLUE_MAX_ENTRIES) is not
 *    sent and counted in push_pulls_too_big, which the agent logs.
 *  - The intents queued for gossip are bounded as serf bounds its intent
 *    queue: every 30 s (the first flush starts the clock, as serf.Create
 *    starts checkQueueDepth) the pool's queued intents past 4,096 are
 *    dropped, the most transmitted first (memberlist Prune), and counted
 *    in intents_pruned. serf's other bound, recentIntents' 5-minute
 *    timeout for intents about nodes not yet members, is not modelled:
 *    entries here go when the pool reaps the node.
 *  - Anything else (user events, queries, meshfed's own types) is ignored
 *    and counted.
 *
 * Contract: no I/O, no clock: a pure core like the pool. The pool delegates
 * run inside pool calls and must not call back into it, so messages to
 * broadcast are queued here and pushed by mf_serf_glue_flush() after the
 * call (the agent: the transport's after_drain; the simulator: after each
 * drain of the pool). The agent's delegate multiplexer (cmd/agent/agent_pool.c:
 * coordinates, routing) wraps these hooks. Messages are dispatched by type
 * in one function (serf_glue.c on_user_msg), where a new serf message type
 * is one more case. Costs: each operation on one node's intent is O(1)
 * expected (an array by the name's dense id, gossip/name_ids.h); a push-pull merge is linear in its
 * entries.
 */
#ifndef MF_GOSSIP_SERF_GLUE_H
#define MF_GOSSIP_SERF_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "gossip/intern.h"
#include "gossip/pool.h"

#define MF_SERF_GLUE_MAX_ENTRIES 65536 /* bound on nodes remembered */
#define MF_SERF_GLUE_MAX_QUEUE 1024    /* bound on unflushed broadcasts */
#define MF_SERF_GLUE_QBYTES_KEEP 4096  /* queue bytes kept between flushes */
#define MF_SERF_GLUE_SCRATCH_KEEP 16384 /* encode buffer kept between push-pulls */
/* serf's bound on its intent queue (config.go MaxQueueDepth, checked every
 * QueueCheckInterval by checkQueueDepth, which Prunes the queue to it). */
#define MF_SERF_GLUE_MAX_QUEUE_DEPTH 4096
#define MF_SERF_GLUE_QUEUE_CHECK (30 * MF_SEC)
/* The pool's user-queue key of an intent: this prefix and the node's name. */
#define MF_SERF_GLUE_INTENT_KEY "serf-intent:"

/* What we know of one node's serf status. */
/* 16 bytes on LP64: a simulator's N pools each hold N of them (at 10,000
 * members 1.6 GB); the name is the id's (mf_serf_glue_entry_name). */
struct mf_serf_entry {
	uint64_t ltime;     /* serf statusLTime: latest intent seen */
	uint32_t name_id;   /* the name's id (gossip/name_ids.h), held */
	uint8_t name_len;   /* <= MF_NAME_MAX */
	bool in_pool;       /* the pool has it (any status) */
	bool pool_left;     /* the pool says it left */
	bool leave_intent;  /* its latest intent is a leave */
};

/* A broadcast waiting for the flush: its key (NUL-terminated) and message
 * at offsets into the glue's queue bytes (one buffer, not two allocations
 * per message: every pool of a simulator rebroadcasts every intent). */
struct mf_serf_queued {
	size_t key, msg, len;
	uint32_t name_id;    /* the node's, in strs */
	bool fresh;          /* its entry new, none ever dropped: nothing queued under key */
};

struct mf_serf_glue_stats {
	uint64_t join_intents, leave_intents;  /* received */
	uint64_t rebroadcasts;
	uint64_t push_pulls_merged, push_pulls_sent;
	uint64_t refutations;                  /* of a stale leave intent for us */
	uint64_t unknown_msgs;                 /* user events, queries, ... */
	uint64_t decode_errors;
	uint64_t queue_drops;
	uint64_t forced_left;                  /* failed members a leave intent made left */
	uint64_t push_pulls_too_big;           /* state over MF_POOL_USER_STATE_MAX: not sent */
	uint64_t intents_pruned;               /* queued intents dropped past the depth */
};

struct mf_serf_glue {
	char self[MF_NAME_MAX + 1];
	uint64_t clock, event_clock, query_clock; /* serf's three Lamport clocks */
	bool leaving;
	struct mf_intern own_strs, *strs; /* names: own, or shared with the pools */
	struct mf_serf_entry *entries;
	size_t n_entries, cap_entries;
	uint32_t *by_id;     /* name index: entry + 1 by name id, 0 = none */
	size_t n_by_id;      /* its entries (zero past the ids in use) */
	uint64_t n_dropped;  /* entries ever dropped (while 0, a new entry's key was never queued) */
	struct mf_serf_queued *queue;
	size_t n_queue, cap_queue;
	uint8_t *qbytes;     /* the queued keys and messages */
	size_t n_qbytes, cap_qbytes;
	char **force;        /* names whose new leave intent may turn failed -> left */
	size_t n_force, cap_force;
	msgpack_sbuffer scratch;
	mf_time_t next_queue_check; /* when the flush next bounds the intent queue */
	bool queue_check_armed;     /* next_queue_check set (by the first flush) */
	struct mf_serf_glue_stats stats;
};

void mf_serf_glue_init(struct mf_serf_glue *g, const char *self);
void mf_serf_glue_free(struct mf_serf_glue *g);
/* Interns names in strs (shared with the pools: mf_pool_config.intern)
 * instead of its own table; before any entry exists, else MF_ESTATE. */
int mf_serf_glue_share_names(struct mf_serf_glue *g, struct mf_intern *strs);

/* Sets ctx, on_user_msg, local_state and merge_remote_state. */
void mf_serf_glue_delegate(struct mf_serf_glue *g, struct mf_pool_delegate *d);

/* What the glue knows of `name` (its own included), or NULL: O(1). */
const struct mf_serf_entry *mf_serf_glue_find(const struct mf_serf_glue *g, const char *name);
/* The same by the name's id in the shared name ids (gossip/name_ids.h;
 * MF_NAME_ID_NONE: NULL): an array read, for a caller that looks the same
 * name up in many glues sharing one interner. */
const struct mf_serf_entry *mf_serf_glue_find_id(const struct mf_serf_glue *g, uint32_t id);

/* e's node name (NUL-terminated, e->name_len bytes): the name id's own
 * copy, which stays put while e exists. */
const char *mf_serf_glue_entry_name(const struct mf_serf_glue *g, const struct mf_serf_entry *e);

/* Tracks pool membership (for StatusLTimes / LeftMembers); a failure of a
 * member with a leave intent is queued for the flush to force left. */
void mf_serf_glue_on_event(struct mf_serf_glue *g, const struct mf_pool_event *ev);

/* Queues our join intent (after a successful join, as serf Join does). */
int mf_serf_glue_join_intent(struct mf_serf_glue *g);
/* Queues our leave intent (serf Leave, before memberlist's Leave). */
int mf_serf_glue_leave_intent(struct mf_serf_glue *g);
/* Queues a leave intent for another, failed node (serf forceLeave), so every
 * peer turns it from failed to left, as serf's force-leave does. */
int mf_serf_glue_force_leave_intent(struct mf_serf_glue *g, const char *node);

/* Hands queued messages to p's user broadcast queue, applies new leave
 * intents for failed members (serf handleNodeLeaveIntent: failed -> left)
 * and failures of members with a leave intent (handleNodeLeave: leaving ->
 * left) with mf_pool_force_leave at `now`, and bounds p's queued intents when
 * the queue check is due (MF_SERF_GLUE_QUEUE_CHECK). Returns how many members it forced
 * left: then p has outputs to carry out (the caller drains it). */
int mf_serf_glue_flush(struct mf_serf_glue *g, mf_pool_t *p, mf_time_t now);

/* Whether a flush has work at `now`: queued messages or forced leaves, or
 * the intent queue's check is due (or not yet started). A caller may skip
 * the flush otherwise; it must not skip a due check, or the bound waits
 * for the next intent. */
bool mf_serf_glue_flush_due(const struct mf_serf_glue *g, mf_time_t now);

/* Witness semantics of serf's LamportClock: the clock ends above v. */
void mf_serf_clock_witness(uint64_t *clock, uint64_t v);

#endif

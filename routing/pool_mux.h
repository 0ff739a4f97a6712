/*
 * routing/pool_mux.h — one gossip pool's delegate (gossip/pool.h) shared by
 * the parts that plug into it: the coordinate tracker, the routing node and
 * serf. The agent (cmd/agent/agent_pool.c), the simulator (cmd/sim/routes.c,
 * cmd/sim/serf.c) and the routing tests (tests/routing_node/node_world.c)
 * all run this one, so they split a pool's traffic the same way:
 *
 *   ack_payload, on_ack        -> coord (serf's ping delegate); then acked()
 *   on_user_msg [200][2]...    -> coord (the tracker's announcements)
 *   on_user_msg [200]...       -> the routing slot (routing/node.h); routed()
 *   on_user_msg anything else  -> serf
 *   local_state                -> serf's messagePushPull (an empty one
 *                                 without serf), plus one key "MeshfedRoutes"
 *                                 added by the routing node, which serf
 *                                 ignores (go-msgpack skips unknown fields)
 *   merge_remote_state         -> serf, then the routing slot; routed()
 *
 * Contract: owns nothing but the struct; no clock, no I/O. A part that is
 * absent (a NULL hook, a NULL slot) is skipped: its messages are dropped.
 */
#ifndef MF_ROUTING_POOL_MUX_H
#define MF_ROUTING_POOL_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/pool.h"
#include "routing/node.h"

struct mf_pool_mux {
	/* ack_payload, on_ack and on_user_msg of the coordinate side
	 * (mf_coord_tracker_delegate or a wrapper of it); the rest unused. */
	struct mf_pool_delegate coord;
	/* on_user_msg, local_state and merge_remote_state of the serf side
	 * (mf_serf_glue_delegate or a wrapper of it); the rest unused. */
	struct mf_pool_delegate serf;
	/* Where the pool's routing slot is, read at each call (the agent adds
	 * its pools to the routing node after they started); NULL, or *slot
	 * NULL: no routing. */
	struct mf_routing_node_slot *const *slot;
	/* Optional hooks (ctx their argument): after on_ack reached coord (the
	 * agent announces its coordinate there); after a meshfed message
	 * (state false) or a push-pull state (state true) reached the slot. */
	void *ctx;
	void (*acked)(void *ctx);
	void (*routed)(void *ctx, const uint8_t *buf, size_t len, bool state);
};

/* The pool delegate of m (ctx = m, which must outlive the pool). */
void mf_pool_mux_delegate(struct mf_pool_mux *m, struct mf_pool_delegate *out);

#endif

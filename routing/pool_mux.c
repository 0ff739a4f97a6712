/* routing/pool_mux.c — see routing/pool_mux.h. */
#include "routing/pool_mux.h"

#include "coord/tracker.h"
#include "gossip/serf.h"
#include "routing/node_internal.h" /* the slot's node, for serf's push-pull */

static struct mf_routing_node_slot *slot_of(const struct mf_pool_mux *m)
{
	return m->slot ? *m->slot : NULL;
}

static size_t mux_ack_payload(void *ctx, uint8_t *buf, size_t cap)
{
	struct mf_pool_mux *m = ctx;
	return m->coord.ack_payload ? m->coord.ack_payload(m->coord.ctx, buf, cap) : 0;
}

static void mux_on_ack(void *ctx, const char *node, const uint8_t *payload, size_t len,
		       mf_time_t rtt)
{
	struct mf_pool_mux *m = ctx;
	if (m->coord.on_ack)
		m->coord.on_ack(m->coord.ctx, node, payload, len, rtt);
	if (m->acked)
		m->acked(m->ctx);
}

static void mux_on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct mf_pool_mux *m = ctx;
	struct mf_routing_node_slot *slot;
	if (len >= 2 && msg[0] == MF_SERF_MSG_MESHFED && msg[1] == MF_COORD_TRACKER_MSG_ANNOUNCE) {
		if (m->coord.on_user_msg)
			m->coord.on_user_msg(m->coord.ctx, msg, len);
	} else if (len >= 1 && msg[0] == MF_SERF_MSG_MESHFED) {
		if ((slot = slot_of(m)) != NULL) {
			mf_routing_node_on_user_msg(slot, msg, len);
			if (m->routed)
				m->routed(m->ctx, msg, len, false);
		}
	} else if (m->serf.on_user_msg) {
		m->serf.on_user_msg(m->serf.ctx, msg, len);
	}
}

static size_t mux_local_state(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	struct mf_pool_mux *m = ctx;
	struct mf_routing_node_slot *slot = slot_of(m);
	if (!m->serf.local_state)
		return slot ? mf_routing_node_local_state(slot, join, buf, cap) : 0;
	size_t n = m->serf.local_state(m->serf.ctx, join, buf, cap);
	if (n > cap)
		return n; /* the pool offers a larger buffer, or gives up */
	if (n >= 2 && slot)
		n = mf_routing_node_pp_append(slot->node, buf, n, cap);
	return n;
}

static void mux_merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join)
{
	struct mf_pool_mux *m = ctx;
	struct mf_routing_node_slot *slot = slot_of(m);
	if (m->serf.merge_remote_state)
		m->serf.merge_remote_state(m->serf.ctx, buf, len, join);
	if (slot) {
		mf_routing_node_merge_remote_state(slot, buf, len, join);
		if (m->routed)
			m->routed(m->ctx, buf, len, true);
	}
}

void mf_pool_mux_delegate(struct mf_pool_mux *m, struct mf_pool_delegate *out)
{
	*out = (struct mf_pool_delegate){m, mux_ack_payload, mux_on_ack, mux_on_user_msg,
					 mux_local_state, mux_merge_remote_state};
}

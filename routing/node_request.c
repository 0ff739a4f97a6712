/*
 * routing/node_request.c — seqno requests between servers (node_internal.h;
 * contract in node.h; design in docs/routing.md "Seqno requests"): the
 * engine's (routing/engine.h, mf_routing_requests) go by direct datagram
 * to one alive meshfed server of the neighbour DC they name; received
 * ones go to the engine (mf_routing_take_request), which answers in its
 * next state or queues them for its own next hop.
 *
 * Message: [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_REQUEST (8)][map]
 *   { "v": 1, "o": "dc1", "n": "dc1-s2", "t": "dc7", "e": <epoch>, "h": <hops> }
 * o, n: the sending server (the asker, or a DC passing it on); t: the DC
 * whose epoch is asked for; e: at least this epoch; h: DCs it may still
 * cross. Decoding is strict; unknown keys are ignored.
 */
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "routing/node_internal.h"

#define REQUEST_VERSION 1
#define REQUESTS_PER_TICK 64

/* The request as a message (header included) into n->scratch. */
static int encode(struct mf_routing_node *n, const struct mf_routing_request *q)
{
	msgpack_sbuffer_clear(&n->scratch);
	int e = mf_mp_put_type(&n->scratch, MF_SERF_MSG_MESHFED);
	e |= mf_mp_put_type(&n->scratch, MF_ROUTING_NODE_MSG_REQUEST);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &n->scratch, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 6);
	e |= mf_mp_pack_key(&pk, "v");
	e |= msgpack_pack_uint8(&pk, REQUEST_VERSION);
	e |= mf_mp_pack_key(&pk, "o");
	e |= mf_mp_pack_raw(&pk, n->dc, strlen(n->dc));
	e |= mf_mp_pack_key(&pk, "n");
	e |= mf_mp_pack_raw(&pk, n->name, strlen(n->name));
	e |= mf_mp_pack_key(&pk, "t");
	e |= mf_mp_pack_raw(&pk, q->target, strlen(q->target));
	e |= mf_mp_pack_key(&pk, "e");
	e |= msgpack_pack_uint64(&pk, q->epoch);
	e |= mf_mp_pack_key(&pk, "h");
	e |= msgpack_pack_uint8(&pk, (uint8_t)q->hops);
	return e ? MF_ENOMEM : 0;
}

/* One alive meshfed server of DC dc in any of our pools, starting at a
 * place the target's name picks (a request for one target goes to the
 * same server, which deduplicates it); false when there is none. */
static bool send_to_dc(struct mf_routing_node *n, const char *dc, const char *target)
{
	uint64_t pick = mf_name_hash(target, strlen(target));
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0)
			continue;
		const struct mf_dc_group *g = mf_dc_index_find(&s->dcx, dc);
		for (size_t k = 0; g && k < g->n; k++) {
			size_t at = g->start + (pick + k) % g->n;
			const struct mf_coord_tracker_member *m = &s->dcx.mem[at];
			struct mf_member pm;
			if (m->status != MF_MEMBER_ALIVE || !s->dcx.meshfed[at] || strcmp(m->name, n->name) == 0 ||
			    mf_pool_member_find(s->pool, m->name, &pm) < 0)
				continue;
			if (mf_pool_send_user_to(s->pool, &pm.addr, (const uint8_t *)n->scratch.data,
						 n->scratch.size) == 0) {
				n->stats.bytes_out += n->scratch.size;
				return true;
			}
		}
	}
	return false;
}

void mf_rn__requests_tick(struct mf_routing_node *n)
{
	struct mf_routing_request q[REQUESTS_PER_TICK];
	size_t k = mf_routing_requests(n->engine, q, REQUESTS_PER_TICK);
	for (size_t i = 0; i < k; i++) {
		if (encode(n, &q[i]) < 0) {
			n->stats.local_errors++;
			continue;
		}
		if (send_to_dc(n, q[i].to, q[i].target))
			n->stats.requests_out++;
	}
}

void mf_rn__on_request(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len)
{
	struct mf_routing_node *n = sl->node;
	struct mf_mp mp;
	size_t used = 0;
	char origin[MF_RT_NAME_MAX + 1], target[MF_RT_NAME_MAX + 1];
	uint64_t epoch = 0, hops = 0;
	n->stats.bytes_in += len + 2;
	int rc = mf_mp_unpack_versioned(body, len, REQUEST_VERSION, &mp, &used);
	if (rc == 0)
		rc = mf_mp_str_copy(mf_mp_get(mp.root, "o"), origin, sizeof(origin));
	if (rc == 0)
		rc = mf_mp_str_copy(mf_mp_get(mp.root, "t"), target, sizeof(target));
	if (rc == 0)
		rc = mf_mp_uint(mf_mp_get(mp.root, "e"), UINT64_MAX, &epoch);
	if (rc == 0)
		rc = mf_mp_uint(mf_mp_get(mp.root, "h"), MF_ROUTING_REQUEST_HOPS, &hops);
	mf_mp_done(&mp);
	if (rc < 0 || !mf_rt_name_valid(origin, strlen(origin)) || !mf_rt_name_valid(target, strlen(target))) {
		n->stats.bad_requests++;
		return;
	}
	/* As beats: only from a DC with an alive server in that pool. */
	if (strcmp(origin, n->dc) == 0 || !mf_rn__pool_has_dc(sl, origin))
		return;
	n->stats.requests_in++;
	(void)mf_routing_take_request(n->engine, target, epoch, (unsigned)hops);
}

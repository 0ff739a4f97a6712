/*
 * routing/node_pp.c — push-pull: the digest of the routing states we hold
 * in serf's push-pull map under "MeshfedDigest" (node_digest.c asks for what
 * a peer's says we lack), and a peer's full states under "MeshfedRoutes"
 * (agents before digests send those) merged (node_internal.h; contract in
 * node.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/mp.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "routing/node_internal.h"

/* --- push-pull --------------------------------------------------------------*/

/* A peer's "MeshfedRoutes" value (the bin's body: full states, as agents
 * before digests send) received through s's pool. */
static void pp_merge(struct mf_routing_node_slot *s, const uint8_t *buf, size_t len)
{
	struct mf_routing_node *n = s->node;
	size_t off = 0;
	while (off < len) {
		struct mf_advert adv;
		size_t used = 0;
		memset(&adv, 0, sizeof(adv));
		if (mf_advert_decode(buf + off, len - off, &adv, &used) < 0 || used == 0) {
			n->stats.bad_full_states++;
			return;
		}
		off += used;
		n->stats.full_states_in++;
		n->stats.bytes_in += used;
		mf_rn__take_advert(s, &adv);
	}
}

/* Raises the element count of the map starting at p (fixmap or map16). */
static bool bump_map(uint8_t *p)
{
	if ((p[0] & 0xf0) == 0x80 && (p[0] & 0x0f) < 15) {
		p[0]++;
		return true;
	}
	if (p[0] == 0xde) {
		unsigned n = ((unsigned)p[1] << 8 | p[2]) + 1;
		if (n > 0xffff)
			return false;
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)n;
		return true;
	}
	return false;
}

/* [MF_SERF_MSG_PUSH_PULL][map ... + "MeshfedDigest": bin]: serf decodes
 * messagePushPull with go-msgpack, which skips keys the struct does not
 * have (cmd/agent/agent_pool.c's framing); so does an agent before digests
 * (it reads only "MeshfedRoutes"). */
size_t mf_routing_node_pp_append(struct mf_routing_node *node, uint8_t *buf, size_t n, size_t cap)
{
	if (n < 2 || !node->engine)
		return n;
	msgpack_sbuffer sb, digest;
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&digest);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_str(&pk, sizeof(MF_ROUTING_NODE_PP_DIGEST_KEY) - 1);
	msgpack_pack_str_body(&pk, MF_ROUTING_NODE_PP_DIGEST_KEY,
			      sizeof(MF_ROUTING_NODE_PP_DIGEST_KEY) - 1);
	if (mf_rn__digest_state(node, &digest) == 0 &&
	    !msgpack_pack_bin(&pk, digest.size) &&
	    !msgpack_pack_bin_body(&pk, digest.data, digest.size) && n + sb.size <= cap) {
		if (bump_map(buf + 1)) { /* changes nothing when it fails */
			memcpy(buf + n, sb.data, sb.size);
			n += sb.size;
			node->stats.bytes_out += sb.size;
		}
	}
	msgpack_sbuffer_destroy(&digest);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

size_t mf_routing_node_local_state(void *slot, bool join, uint8_t *buf, size_t cap)
{
	struct mf_routing_node_slot *s = slot;
	if (cap < 2)
		return 0;
	buf[0] = MF_SERF_MSG_PUSH_PULL;
	buf[1] = 0x80; /* empty fixmap */
	return mf_routing_node_pp_append(s->node, buf, 2, cap);
}

static bool key_is(const msgpack_object *k, const char *key)
{
	return k->via.str.size == strlen(key) && memcmp(k->via.str.ptr, key, k->via.str.size) == 0;
}

void mf_routing_node_merge_remote_state(void *slot, const uint8_t *buf, size_t len, bool join)
{
	struct mf_routing_node_slot *s = slot;
	if (len < 2 || buf[0] != MF_SERF_MSG_PUSH_PULL || !s->node->engine)
		return;
	struct mf_mp mp;
	/* Peer bytes: only through the checked entry (gossip/mp.h). */
	if (mf_mp_unpack(buf + 1, len - 1, &mp, NULL) != 0 || mp.root->type != MSGPACK_OBJECT_MAP)
		s->node->stats.bad_full_states++;
	else {
		const msgpack_object_map *m = &mp.root->via.map;
		for (uint32_t i = 0; i < m->size; i++) {
			const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
			if (k->type != MSGPACK_OBJECT_STR || v->type != MSGPACK_OBJECT_BIN)
				continue;
			if (key_is(k, MF_ROUTING_NODE_PP_DIGEST_KEY))
				mf_rn__merge_digest(s, (const uint8_t *)v->via.bin.ptr,
						    v->via.bin.size);
			else if (key_is(k, MF_ROUTING_NODE_PP_KEY))
				pp_merge(s, (const uint8_t *)v->via.bin.ptr,
					 v->via.bin.size);
		}
	}
	mf_mp_done(&mp);
}

/*
 * routing/node_reach.c — reach probes: whether our own direct path to a
 * neighbour DC works, by a ping and pong of our own (node_internal.h;
 * contract in node.h, design in docs/routing.md, "A link is usable only if
 * it works directly").
 *
 * A pool says only whether a member is alive somewhere: indirect probes
 * through a third DC, or no probe of ours since the path broke, keep the
 * far side alive for us. Memberlist probes each member once per pass over
 * the pool, stretched up to 8x by Lifeguard while half the helpers are cut
 * off, so the pool's own evidence (direct_misses) comes too late after a
 * cut. Every MF_ROUTING_NODE_REACH_INTERVAL the node pings one alive meshfed
 * server of each DC it links to (round-robin over the DC's servers); the
 * server answers straight back. A DC that ever answered is directly
 * reached only while its last answer is at most
 * MF_ROUTING_NODE_REACH_MAX_AGE old; one that never answered (an older
 * agent) keeps the pool's rule alone.
 *
 * Wire: [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_REACH][kind][nonce, 4
 * bytes big-endian][len][name]: kind 0 a ping with the sender's node name
 * (the receiver finds its address in the pool it came through), kind 1 a
 * pong with the replier's DC and the ping's nonce.
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "routing/node_internal.h"

#define REACH_PING 0
#define REACH_PONG 1
#define REACH_HDR 8 /* type bytes, kind, nonce, name length */

/* The record of DC id, grown into when new; NULL when out of memory. */
static struct reach_dc *reach_get(struct mf_rn_reach *t, uint32_t id)
{
	size_t old = t->cap;
	if (mf_grow(&t->v, &t->cap, (size_t)id + 1, 64) < 0)
		return NULL;
	memset(t->v + old, 0, (t->cap - old) * sizeof(*t->v));
	if (!t->v[id].known) {
		t->v[id].known = true;
		t->n++;
	}
	return &t->v[id];
}

void mf_rn__reach_free(struct mf_rn_reach *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static uint32_t rng32(struct mf_routing_node *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return (uint32_t)(n->rng >> 16);
}

/* Three periods and a second: two lost pings or pongs in a row do not
 * take the link down. */
static mf_time_t reach_max_age(const struct mf_routing_node *n)
{
	return 3 * mf_rn__reach_period(n) + MF_SEC;
}

static int send_reach(struct mf_routing_node *n, mf_pool_t *pool, const struct mf_addr *to,
		      uint8_t kind, uint32_t nonce, const char *name)
{
	uint8_t msg[REACH_HDR + MF_NAME_MAX + 1];
	size_t len = strlen(name);
	if (len > 255 || REACH_HDR + len > sizeof(msg))
		return MF_EINVAL;
	msg[0] = MF_SERF_MSG_MESHFED;
	msg[1] = MF_ROUTING_NODE_MSG_REACH;
	msg[2] = kind;
	msg[3] = (uint8_t)(nonce >> 24);
	msg[4] = (uint8_t)(nonce >> 16);
	msg[5] = (uint8_t)(nonce >> 8);
	msg[6] = (uint8_t)nonce;
	msg[7] = (uint8_t)len;
	memcpy(msg + REACH_HDR, name, len);
	int r = mf_pool_send_user_to(pool, to, msg, REACH_HDR + len);
	if (r == 0) {
		n->stats.bytes_out += REACH_HDR + len;
		n->stats.reach_out++;
	}
	return r;
}

void mf_rn__on_reach(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len)
{
	struct mf_routing_node *n = sl->node;
	char name[256];
	n->stats.bytes_in += len + 2;
	if (len < REACH_HDR - 2 || body[0] > REACH_PONG || len != (size_t)(REACH_HDR - 2) + body[5] ||
	    body[5] == 0) {
		n->stats.bad_reach++;
		return;
	}
	uint32_t nonce = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 |
			 (uint32_t)body[3] << 8 | body[4];
	memcpy(name, body + 6, body[5]);
	name[body[5]] = '\0';
	n->stats.reach_in++;
	if (body[0] == REACH_PING) {
		/* Straight back to the pinger, by its address in this pool: a
		 * pong proves both directions of the path work without a third
		 * DC. A pinger we do not know yet gets nothing. */
		struct mf_member m;
		if (sl->pool && mf_pool_member_find(sl->pool, name, &m) == 0)
			(void)send_reach(n, sl->pool, &m.addr, REACH_PONG, nonce, n->dc);
		return;
	}
	/* A pong counts only when it answers the ping we sent its DC last. */
	uint32_t id;
	if (mf_routing_find_id(n->engine, name, &id) < 0 || id >= n->reach.cap)
		return;
	struct reach_dc *e = &n->reach.v[id];
	if (e->known && e->pinged && e->nonce == nonce) {
		/* A DC that was not reached lately is again: gather the links at
		 * the next tick, not at the next ping round. */
		if (e->answered && n->now - e->last_pong > reach_max_age(n))
			n->links_dirty = true;
		e->answered = true;
		e->last_pong = n->now;
		e->pinged = false;
	}
}

/* The ping period: REACH_INTERVAL, longer when more DCs than
 * REACH_RATE x REACH_INTERVAL are linked (a WAN pool of hundreds of DCs),
 * so a server sends at most REACH_RATE pings a second. */
mf_time_t mf_rn__reach_period(const struct mf_routing_node *n)
{
	mf_time_t p = MF_ROUTING_NODE_REACH_INTERVAL;
	mf_time_t need = (mf_time_t)n->reach.n * MF_SEC / MF_ROUTING_NODE_REACH_RATE;
	return need > p ? need : p;
}

bool mf_rn__reach_probe(struct mf_routing_node_slot *s, size_t k, bool round)
{
	struct mf_routing_node *n = s->node;
	const struct mf_dc_group *g = &s->dcx.groups[k];
	struct reach_dc *e = reach_get(&n->reach, s->gid[k]);
	if (!e)
		return true; /* out of memory: the pool's rule alone */
	/* All DCs in one round (node_links.c gathers then anyway); a DC seen
	 * first in between at once. A DC in two pools: pinged in the first. */
	if (!e->sent || (round && e->last_ping != n->now)) {
		/* The next alive meshfed server of the DC, round-robin. */
		for (size_t j = 0; j < g->n; j++) {
			size_t i = g->start + (e->rr++ % g->n);
			const struct mf_coord_tracker_member *m = &s->dcx.mem[i];
			struct mf_member pm;
			if ((m->status != MF_MEMBER_ALIVE && m->status != MF_MEMBER_SUSPECT) ||
			    !s->dcx.meshfed[i] || strcmp(m->name, n->name) == 0 ||
			    mf_pool_member_find(s->pool, m->name, &pm) < 0)
				continue;
			e->nonce = rng32(n);
			if (send_reach(n, s->pool, &pm.addr, REACH_PING, e->nonce, n->name) == 0) {
				e->pinged = true;
				e->sent = true;
				e->last_ping = n->now;
			}
			break;
		}
	}
	return !e->answered || n->now - e->last_pong <= reach_max_age(n);
}

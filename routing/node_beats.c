/*
 * routing/node_beats.c — beat messages (routing/beat.h): ours sent every
 * beat to the DC's servers and a few random members, others' taken by the
 * engine (node_internal.h; contract in node.h).
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

static bool beat_to(struct mf_routing_node_slot *s, const char *member, size_t n_beats);

/* A beat message (routing/beat.h) that arrived in slot sl's pool: counts
 * for origins with an alive server there (as adverts do), for our own DC
 * only from a server of ours. */
void mf_rn__on_beat(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len)
{
	struct mf_routing_node *n = sl->node;
	struct mf_beat b;
	n->stats.bytes_in += len + 2;
	if (mf_beat_decode(body, len, &b) < 0) {
		n->stats.bad_beats++;
		return;
	}
	n->stats.beats_in++;
	bool own = strcmp(b.origin, n->dc) == 0;
	if (own ? mf_rn__foreign_server(n, b.node) || strcmp(b.node, n->name) == 0
		: !mf_rn__pool_has_dc(sl, b.origin))
		return;
	struct mf_beat_entry e[64];
	size_t n_ans = 0;
	bool ans = mf_grow(&n->beats, &n->cap_beats, b.n, 64) == 0;
	for (size_t i = 0; i < b.n;) {
		size_t k = 0;
		for (; k < 64 && i < b.n; k++, i++)
			e[k] = mf_beat_entry_at(&b, i);
		n->stats.beat_epochs += mf_routing_take_beats(n->engine, b.origin, e, k);
		if (ans)
			n_ans += mf_routing_beat_answers(n->engine, e, k, n->beats + n_ans, n->cap_beats - n_ans);
	}
	if (!own)
		mf_rn__gw_heard_touch(n, b.origin, b.node, false);
	/* Datings the sender holds late (it heard those epochs in a full
	 * state): ours go straight back, so it need not wait for a beat of
	 * one of the few neighbours that route there (docs/routing.md,
	 * "Hurried beats"). */
	if (n_ans > 0 && beat_to(sl, b.node, n_ans))
		n->stats.beats_answered++;
}

static uint64_t rng_next(struct mf_routing_node *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return n->rng;
}

struct beat_out {
	struct mf_routing_node *node;
	mf_pool_t *pool;
	const struct mf_addr *to;
};

static int emit_beat(void *ctx, const uint8_t *body, size_t len)
{
	struct beat_out *o = ctx;
	uint8_t msg[MF_ROUTING_NODE_ADVERT_BYTES + 2];
	if (len + 2 > sizeof(msg))
		return MF_ETOOBIG;
	msg[0] = MF_SERF_MSG_MESHFED;
	msg[1] = MF_ROUTING_NODE_MSG_BEAT;
	memcpy(msg + 2, body, len);
	if (mf_pool_send_user_to(o->pool, o->to, msg, len + 2) == 0)
		o->node->stats.bytes_out += len + 2;
	return 0;
}

/* Our beat message to member `member` of slot s's pool (alive, not us);
 * false when it is not a meshfed agent. */
static bool beat_to(struct mf_routing_node_slot *s, const char *member, size_t n_beats)
{
	struct mf_member pm;
	if (mf_pool_member_find(s->pool, member, &pm) < 0 || !mf_dc_index_member_meshfed(&pm))
		return false;
	struct beat_out o = {s->node, s->pool, &pm.addr};
	/* A failure (out of memory) is counted; the next beat carries the
	 * same epochs, so nothing waits on this one. */
	if (mf_beat_encode(s->node->dc, s->node->name, s->node->beats, n_beats,
			   MF_ROUTING_NODE_ADVERT_BYTES, emit_beat, &o) < 0)
		s->node->stats.local_errors++;
	return true;
}

static bool beat_recipient(const struct mf_routing_node_slot *s, const struct mf_coord_tracker_member *m)
{
	return (m->status == MF_MEMBER_ALIVE || m->status == MF_MEMBER_SUSPECT) &&
	       strcmp(m->name, s->node->name) != 0;
}

/* Our beat to `fanout` recipients drawn at random from members
 * [start, start + count) of slot s's index (other DCs only when asked);
 * a few more draws when some land on the dead, on us, or on a serf agent. */
static void beat_at_random(struct mf_routing_node *n, struct mf_routing_node_slot *s, size_t start,
			   size_t count, size_t fanout, bool other_dc_only, size_t n_beats)
{
	size_t sent = 0;
	for (size_t tries = 0; sent < fanout && tries < 4 * fanout; tries++) {
		const struct mf_coord_tracker_member *m = &s->dcx.mem[start + rng_next(n) % count];
		if (beat_recipient(s, m) && (!other_dc_only || strcmp(m->dc, n->dc) != 0) &&
		    beat_to(s, m->name, n_beats))
			sent++;
	}
}

/* Beat entries n->beats[0..nb) (ours, or the hurried ones) in every
 * pool: to the alive servers of our DC (to MF_ROUTING_NODE_BEAT_DC_FANOUT
 * of them at random when it has more), and to MF_ROUTING_NODE_BEAT_FANOUT
 * other alive members at random (tries a few more draws when some land on
 * the dead or on us; a pool smaller than the fanout gets it once per
 * member at most, by chance). */
static void send_beats(struct mf_routing_node *n, size_t nb)
{
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0 || s->dcx.n_mem == 0)
			continue;
		const struct mf_dc_group *own = mf_dc_index_find(&s->dcx, n->dc);
		if (own && own->n <= MF_ROUTING_NODE_BEAT_DC_FANOUT + 1) {
			for (size_t k = 0; k < own->n; k++)
				if (beat_recipient(s, &s->dcx.mem[own->start + k]))
					(void)beat_to(s, s->dcx.mem[own->start + k].name, nb);
		} else if (own) {
			/* A DC of many servers (a LAN-sized pool): a few mates at
			 * random, so a beat period costs each server the same
			 * whatever the DC's size; the highest epoch heard still
			 * spreads, gossip-style. */
			beat_at_random(n, s, own->start, own->n, MF_ROUTING_NODE_BEAT_DC_FANOUT, false, nb);
		}
		beat_at_random(n, s, 0, s->dcx.n_mem, MF_ROUTING_NODE_BEAT_FANOUT, true, nb);
	}
}

/* Our beat every MF_ROUTING_NODE_REFRESH (node.h). In between, the DCs
 * whose dating moved back (routing/engine.h, mf_routing_hurried_beats) go
 * at once to the same recipients, at most every MF_ROUTING_NODE_HURRY_GAP:
 * a dating that came late (the epoch first heard in a full state, which
 * carries no ages) is corrected across a region in a few datagram hops,
 * not one neighbour per beat period (docs/routing.md, "Hurried beats"). */
void mf_rn__beats_tick(struct mf_routing_node *n, mf_time_t now)
{
	bool whole = !n->beat_sent || now - n->last_beat >= MF_ROUTING_NODE_REFRESH;
	if (!whole && now - n->last_hurry < MF_ROUTING_NODE_HURRY_GAP)
		return;
	size_t need = mf_routing_n_targets(n->engine) + 1;
	if (mf_grow(&n->beats, &n->cap_beats, need, 64) < 0) {
		n->stats.local_errors++;
		return;
	}
	size_t nb;
	if (whole) {
		nb = mf_routing_beats(n->engine, n->beats, n->cap_beats);
		mf_routing_beats_sent(n->engine);
		n->beat_sent = true;
		n->last_beat = now;
	} else if ((nb = mf_routing_hurried_beats(n->engine, n->beats, n->cap_beats)) > 0) {
		n->stats.beats_hurried++;
		n->last_hurry = now;
	}
	if (nb > 0)
		send_beats(n, nb);
}

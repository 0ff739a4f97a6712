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

/* One beat's recipients, each once whatever the number of pools it shares
 * with us (names point into the slots' indexes, valid until their next
 * sync). */
#define BEAT_TO_MAX (MF_ROUTING_NODE_BEAT_DC_FANOUT + 1 + MF_ROUTING_NODE_BEAT_FANOUT)
struct beat_set {
	struct mf_routing_node_slot *slot[BEAT_TO_MAX];
	const char *name[BEAT_TO_MAX];
	size_t n;
};

static bool beat_set_has(const struct beat_set *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->name[i], name) == 0)
			return true;
	return false;
}

/* Adds member m of slot s when it is a recipient not yet in b. */
static void beat_set_add(struct beat_set *b, struct mf_routing_node_slot *s,
			 const struct mf_coord_tracker_member *m)
{
	if (b->n < BEAT_TO_MAX && beat_recipient(s, m) && !beat_set_has(b, m->name)) {
		b->slot[b->n] = s;
		b->name[b->n++] = m->name;
	}
}

/* The servers of our DC: every alive one (once, though we share several
 * pools with it) while they are at most MF_ROUTING_NODE_BEAT_DC_FANOUT + 1
 * in every pool, else that many at random: a DC of hundreds of servers in
 * one pool does not cost each of them a datagram per mate per beat; the
 * highest epoch still spreads among them, gossip-style. */
static void beat_mates(struct mf_routing_node *n, struct beat_set *b)
{
	bool many = false;
	for (size_t i = 0; i < n->n_slots; i++) {
		const struct mf_dc_group *own = n->slots[i].pool ? mf_dc_index_find(&n->slots[i].dcx, n->dc) : NULL;
		many |= own && own->n > MF_ROUTING_NODE_BEAT_DC_FANOUT + 1;
	}
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		const struct mf_dc_group *own = s->pool ? mf_dc_index_find(&s->dcx, n->dc) : NULL;
		if (!own || own->n == 0)
			continue;
		if (!many) {
			for (size_t k = 0; k < own->n; k++)
				beat_set_add(b, s, &s->dcx.mem[own->start + k]);
			continue;
		}
		for (size_t tries = 0; b->n < MF_ROUTING_NODE_BEAT_DC_FANOUT &&
				       tries < 4 * MF_ROUTING_NODE_BEAT_DC_FANOUT; tries++)
			beat_set_add(b, s, &s->dcx.mem[own->start + rng_next(n) % own->n]);
	}
}

/* MF_ROUTING_NODE_BEAT_FANOUT members of other DCs at random over all our
 * pools together (each member as likely, whatever pool it is drawn from),
 * so a server in four areas sends as many as one in one; a few more draws
 * when some land on the dead, on us, on our DC, on a serf agent or on one
 * drawn already. */
static void beat_others(struct mf_routing_node *n, struct beat_set *b)
{
	size_t total = 0, want = b->n + MF_ROUTING_NODE_BEAT_FANOUT;
	for (size_t i = 0; i < n->n_slots; i++)
		total += n->slots[i].pool ? n->slots[i].dcx.n_mem : 0;
	for (size_t tries = 0; total && b->n < want && tries < 4 * MF_ROUTING_NODE_BEAT_FANOUT; tries++) {
		size_t at = rng_next(n) % total, i = 0;
		for (; !n->slots[i].pool || at >= n->slots[i].dcx.n_mem; i++)
			at -= n->slots[i].pool ? n->slots[i].dcx.n_mem : 0;
		struct mf_routing_node_slot *s = &n->slots[i];
		if (strcmp(s->dcx.mem[at].dc, n->dc) != 0 && s->dcx.meshfed[at])
			beat_set_add(b, s, &s->dcx.mem[at]);
	}
}

/* Beat entries n->beats[0..nb) (ours, or the hurried ones) to the servers
 * of our DC and to MF_ROUTING_NODE_BEAT_FANOUT members of other DCs, each
 * once over all our pools. (Per pool, a server in the four areas of an
 * area grid sent each beat to its mates four times and to eight others:
 * beats were ~90 % of the routing bytes at 20 DCs in areas.) */
static void send_beats(struct mf_routing_node *n, size_t nb)
{
	struct beat_set b = {.n = 0};
	/* A failed sync leaves an index empty: no recipient in that pool. */
	for (size_t i = 0; i < n->n_slots; i++)
		if (n->slots[i].pool)
			(void)mf_dc_index_sync(&n->slots[i].dcx, n->slots[i].pool, n->name);
	beat_mates(n, &b);
	beat_others(n, &b);
	for (size_t i = 0; i < b.n; i++)
		(void)beat_to(b.slot[i], b.name[i], nb);
}

/* Our beat every beat_interval (config; MF_ROUTING_NODE_REFRESH, node.h):
 * one listing every DC we know once a minute (every n->beat_all-th), the
 * others our own entry and the marked ones (rises heard, datings moved
 * back, and asks: DCs whose held epoch nears max_age). In between, the DCs marked by the engine
 * (routing/engine.h, mf_routing_hurried_beats: a rise heard, or a dating
 * moved back) go at once to the same recipients, at most every
 * MF_ROUTING_NODE_HURRY_GAP: a rise crosses a pool in a few datagram hops
 * instead of one beat period a hop, so other DCs' entries need not be
 * repeated every beat (docs/routing.md, "Thinner beats"); and a dating
 * that came late (the epoch first heard in a full state, which carries no
 * ages) is corrected across a region as fast ("Hurried beats"). */
void mf_rn__beats_tick(struct mf_routing_node *n, mf_time_t now)
{
	mf_rn__requests_tick(n); /* seqno requests go at once, as hurried beats */
	bool whole = !n->beat_sent || now - n->last_beat >= n->beat_interval;
	if (!whole && (now - n->last_hurry < MF_ROUTING_NODE_HURRY_GAP ||
		       !mf_routing_hurry_marked(n->engine, false) ||
		       (now - n->last_hurry < MF_ROUTING_NODE_RELAY_GAP &&
			!mf_routing_hurry_marked(n->engine, true))))
		return;
	size_t need = mf_routing_n_targets(n->engine) + 1;
	if (mf_grow(&n->beats, &n->cap_beats, need, 64) < 0) {
		n->stats.local_errors++;
		return;
	}
	size_t nb;
	if (whole && (!n->beat_sent || n->beats_short + 1 >= n->beat_all)) {
		nb = mf_routing_beats(n->engine, n->beats, n->cap_beats);
		mf_routing_beats_sent(n->engine);
		n->beats_short = 0;
		n->stats.beat_listings++;
	} else if (whole) {
		/* Our own entry is first. */
		nb = mf_routing_beats(n->engine, n->beats, 1);
		nb += mf_routing_hurried_beats(n->engine, n->beats + nb, n->cap_beats - nb);
		n->beats_short++;
	} else if ((nb = mf_routing_hurried_beats(n->engine, n->beats, n->cap_beats)) > 0) {
		n->stats.beats_hurried++;
		n->last_hurry = now;
	}
	if (whole) {
		n->beat_sent = true;
		n->last_beat = now;
	}
	if (nb > 0)
		send_beats(n, nb);
}

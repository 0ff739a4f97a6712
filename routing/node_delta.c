/*
 * routing/node_delta.c — deltas (routing/advert_delta.h): ours sent against
 * the state receivers hold (the held view), and since any seq for a pull;
 * others' applied to the newest state of their server we hold, whatever
 * its size (node_internal.h; contract in node.h).
 *
 * Why: under noise, routes change often, and each change was a full state
 * (or, above one fragment, always a full state), so one changed route cost
 * bytes in proportion to the number of DCs (docs/routing.md, "Deltas",
 * "Anti-entropy by digest"). A receiver that missed a delta pulls what it
 * lacks from the delta's server (a delta since what it holds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/grow.h"
#include "gossip/serf.h"
#include "routing/advert_delta.h"
#include "routing/node_internal.h"

/* --- ours ------------------------------------------------------------------*/

/* The held view moved: its fragments are encoded again when asked for. */
static void drop_frags(struct mf_routing_node *n)
{
	mf_advert_frags_free(&n->out_frags);
	memset(&n->out_frags, 0, sizeof n->out_frags);
}

static void drop_versions(struct mf_routing_node *n)
{
	drop_frags(n);
	free(n->out_ver);
	n->out_ver = NULL;
	for (size_t i = 0; i < n->n_out_gone; i++)
		free(n->out_gone[i].name);
	n->n_out_gone = 0;
}

/* The held view moves to held (consumed) with versions ver (consumed);
 * step (the change, in wire form) withdrew its gone targets and may have
 * brought back earlier ones. */
static void hold(struct mf_routing_node *n, struct mf_advert *held, uint64_t *ver,
		 const struct mf_advert *step)
{
	drop_frags(n);
	mf_advert_free(&n->base_out);
	free(n->out_ver);
	n->base_out = *held;
	n->out_ver = ver;
	memset(held, 0, sizeof *held);
	/* Withdrawn targets that are back are routes again; the list is
	 * bounded: past it, pulls from before the oldest get the whole state. */
	for (size_t i = n->n_out_gone; i-- > 0;)
		for (size_t k = 0; k < step->n_routes; k++)
			if (strcmp(n->out_gone[i].name, step->names[step->routes[k].target]) == 0) {
				free(n->out_gone[i].name);
				n->out_gone[i] = n->out_gone[--n->n_out_gone];
				break;
			}
	for (size_t k = 0; k < step->n_gone; k++) {
		if (n->n_out_gone >= MF_ROUTING_NODE_GONE_MAX) {
			n->ver_floor = step->seq;
			break;
		}
		char *name = strdup(step->names[step->gone[k]]);
		if (!name || mf_grow(&n->out_gone, &n->cap_out_gone, n->n_out_gone + 1, 8) < 0) {
			free(name);
			n->ver_floor = step->seq; /* out of memory: older pulls go whole */
			n->stats.local_errors++;
			break;
		}
		n->out_gone[n->n_out_gone++] = (struct mf_advert_gone_at){name, step->seq};
	}
}

/* Everything at seq: what a pull from before it gets is the whole state. */
static void hold_whole(struct mf_routing_node *n, struct mf_advert *held)
{
	uint64_t *ver = malloc((held->n_routes + 1) * sizeof *ver);
	drop_versions(n);
	mf_advert_free(&n->base_out);
	n->base_out = *held;
	memset(held, 0, sizeof *held);
	n->ver_floor = n->base_out.seq;
	if (!ver) {
		n->stats.local_errors++;
		mf_advert_free(&n->base_out); /* pulls get nothing until the next state */
		return;
	}
	for (size_t i = 0; i < n->base_out.n_routes; i++)
		ver[i] = n->base_out.seq;
	n->out_ver = ver;
}

void mf_rn__keep_sent(struct mf_routing_node *n, struct mf_advert *adv)
{
	struct mf_advert held, step, next;
	uint64_t *ver = NULL;
	int rc = mf_rn__wire_form(n, adv, false, &held);
	mf_advert_free(adv);
	if (rc < 0) {
		n->stats.local_errors++;
		drop_versions(n);
		mf_advert_free(&n->base_out);
		return;
	}
	/* Every change since the last held view, to the 0.1 ms: a pull from
	 * before it then gets exactly this state. */
	if (!n->base_out.origin || !n->out_ver || held.seq <= n->base_out.seq ||
	    mf_advert_delta(&n->base_out, &held, 0, 0, &step) != 0) {
		hold_whole(n, &held);
		return;
	}
	rc = mf_advert_patch_ver(&n->base_out, n->out_ver, &step, &next, &ver);
	if (rc == 0)
		hold(n, &next, ver, &step);
	else
		hold_whole(n, &held);
	mf_advert_free(&step);
	mf_advert_free(&held);
}

uint64_t mf_rn__own_seq(const struct mf_routing_node *n)
{
	return n->base_out.origin ? n->base_out.seq : 0;
}

/* False when the routes that moved since h cannot fit one message
 * (each takes at least 4 bytes: its array head, target, distance, epoch),
 * so the delta is not built only to be dropped: at 500 DCs most pulls
 * while states spread are answered whole. */
static bool fits_one(const struct mf_routing_node *n, uint64_t h)
{
	size_t moved = 0;
	for (size_t i = 0; i < n->base_out.n_routes; i++)
		if (n->out_ver[i] > h && ++moved > MF_ROUTING_NODE_ADVERT_BYTES / 4)
			return false;
	return true;
}

/* The seq our last delta applies from while it is still queued in one of
 * our pools after at most reach_back transmits (0: none is, or reaching
 * back is off): the next one replaces it there (same key). Unbounded, the
 * chain of bases reaches back over every change since the last delta that
 * finished its transmits, which doubles the advert bytes at 40-100 DCs
 * while states still move (docs/simulator.md, "Deltas that reach back"). */
static uint64_t queued_from(const struct mf_routing_node *n, const char *key)
{
	if (!n->delta_from || n->reach_back < 0)
		return 0;
	for (size_t i = 0; i < n->n_slots; i++) {
		int t = n->slots[i].pool ? mf_pool_user_transmits(n->slots[i].pool, key) : -1;
		if (t >= 0 && t <= n->reach_back)
			return n->delta_from;
	}
	return 0;
}

/* The held view since `from`, framed, when that fits one message (NULL
 * else): the delta that reaches back over the one it replaces. */
static uint8_t *reach_back(struct mf_routing_node *n, uint64_t from, size_t *len)
{
	struct mf_advert since;
	uint8_t *msg = NULL;
	if (from < n->ver_floor || from >= n->base_out.seq || !fits_one(n, from) ||
	    mf_advert_since(&n->base_out, n->out_ver, n->out_gone, n->n_out_gone, from, &since) < 0)
		return NULL;
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_advert_encode_full(&n->scratch, &since) == 0 &&
	    n->scratch.size <= MF_ROUTING_NODE_ADVERT_BYTES)
		msg = mf_rn__framed(MF_ROUTING_NODE_MSG_ADVERT, &n->scratch, len);
	mf_advert_free(&since);
	return msg;
}

/* Deltas direct (node.h): our delta, framed in msg, by one datagram to
 * each alive meshfed member of our pools, once however many pools we
 * share with it; as a pull's answer (MF_ROUTING_NODE_MSG_STATE), so
 * receivers take it and never relay it. Returns 1 sent, 0 paced (a state
 * waits for the gap: *msg is not sent, receivers keep what they hold),
 * -1 not direct (config, more members than DIRECT_MAX, none yet): gossip.
 * Why: gossiped, every member relays it (DELTA_RELAY_TRANSMITS), so each
 * got it ~3 times; at 50 x 2 in areas most of the advert bytes under noise
 * (docs/routing.md, "Deltas direct, and the DC agreement deadlock"). A
 * member that misses one (a lost datagram) is behind at our next delta or
 * digest and pulls what it lacks. */
static int send_direct(struct mf_routing_node *n, uint8_t *msg, size_t len, mf_time_t now)
{
	const char *to[MF_ROUTING_NODE_DELTA_DIRECT_MAX];
	size_t slot_of[MF_ROUTING_NODE_DELTA_DIRECT_MAX], n_to = 0;
	for (size_t i = 0; !n->deltas_gossiped && i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0)
			continue; /* an empty index: no recipient in that pool */
		for (size_t k = 0; k < s->dcx.n_mem; k++) {
			const struct mf_coord_tracker_member *m = &s->dcx.mem[k];
			if ((m->status != MF_MEMBER_ALIVE && m->status != MF_MEMBER_SUSPECT) ||
			    !s->dcx.meshfed[k] || strcmp(m->name, n->name) == 0)
				continue;
			size_t j = 0;
			while (j < n_to && strcmp(to[j], m->name) != 0)
				j++;
			if (j < n_to)
				continue;
			if (n_to == MF_ROUTING_NODE_DELTA_DIRECT_MAX)
				return -1;
			to[n_to] = m->name;
			slot_of[n_to++] = i;
		}
	}
	if (!n_to)
		return -1;
	if (n->direct_at && now - n->direct_at < MF_ROUTING_NODE_DELTA_GAP) {
		n->direct_due = true; /* mf_rn__delta_due */
		n->stats.deltas_paced++;
		return 0;
	}
	n->direct_at = now ? now : 1;
	msg[1] = MF_ROUTING_NODE_MSG_STATE;
	for (size_t j = 0; j < n_to; j++) {
		struct mf_routing_node_slot *s = &n->slots[slot_of[j]];
		struct mf_member pm;
		if (mf_pool_member_find(s->pool, to[j], &pm) == 0 &&
		    mf_pool_send_user_to(s->pool, &pm.addr, msg, len) == 0)
			n->stats.bytes_out += len;
	}
	n->stats.deltas_direct++;
	return 1;
}

bool mf_rn__delta_due(struct mf_routing_node *n, mf_time_t now)
{
	if (!n->direct_due || now - n->direct_at < MF_ROUTING_NODE_DELTA_GAP)
		return false;
	n->direct_due = false;
	return mf_routing_advert_seq(n->engine) > mf_rn__own_seq(n);
}

/* mf_routing_distance_news for mf_advert_delta_quiet. */
static bool rider_news(void *engine, const char *target, double held, double now)
{
	return mf_routing_distance_news(engine, target, held, now);
}

int mf_rn__send_delta(struct mf_routing_node *n, const struct mf_advert *adv, mf_time_t now)
{
	struct mf_advert d, live;
	double pct, ms;
	mf_routing_readvertise_margin(n->engine, &pct, &ms);
	if (!n->base_out.origin || !n->out_ver || mf_rn__wire_form(n, adv, false, &live) < 0)
		return 0;
	/* Against what receivers hold, not a base that grows older: a delta
	 * says one change, whatever the state's size. One that missed it
	 * pulls what it lacks from us (node_digest.c). Riders no DC could act
	 * on stay as receivers hold them (one walk of the base). */
	struct mf_advert_quiet quiet = {rider_news, n->engine, 0};
	int rc = mf_advert_delta_quiet(&n->base_out, &live, pct, ms, n->riders_all ? NULL : &quiet, &d);
	d.epochs_bound = live.epochs_bound;
	mf_advert_free(&live);
	if (rc != 0) {
		n->stats.local_errors += rc < 0; /* out of memory: this state goes whole */
		return 0;
	}
	n->stats.riders_held += quiet.held;
	size_t len = 0;
	uint8_t *msg = NULL;
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_advert_encode_full(&n->scratch, &d) < 0 || n->scratch.size > MF_ROUTING_NODE_ADVERT_BYTES ||
	    !(msg = mf_rn__framed(MF_ROUTING_NODE_MSG_ADVERT, &n->scratch, &len))) {
		mf_advert_free(&d);
		return 0;
	}
	int direct = send_direct(n, msg, len, now);
	if (direct == 0) { /* paced: receivers keep what they hold */
		free(msg);
		mf_advert_free(&d);
		return 1;
	}
	if (n->split_deltas)
		(void)mf_advert_delta_split(&n->base_out, &d, len, &n->stats.delta_split);
	/* A newer delta replaces a queued one (keyed per seq, queues grew past
	 * what the gossip carries at 40 DCs under noise and routes flapped,
	 * docs/routing.md). */
	char key[MF_ROUTING_NODE_DC_MAX + 32];
	snprintf(key, sizeof(key), "mf-delta:%s", n->dc);
	uint64_t from = direct > 0 ? 0 : queued_from(n, key);
	n->delta_from = d.base_seq;
	/* What receivers hold now: the held view patched (base distances
	 * kept for the routes it left out). */
	struct mf_advert dw, next;
	uint64_t *ver = NULL;
	rc = mf_rn__wire_form(n, &d, true, &dw);
	if (rc == 0) {
		rc = mf_advert_patch_ver(&n->base_out, n->out_ver, &dw, &next, &ver);
		if (rc == 0) {
			(void)mf_routing_set_sent(n->engine, &next);
			hold(n, &next, ver, &dw);
		}
		mf_advert_free(&dw);
	}
	if (rc < 0) { /* we no longer know what they hold: the next goes whole */
		n->stats.local_errors++;
		drop_versions(n);
		mf_advert_free(&n->base_out);
		n->delta_from = 0;
	} else if (from) {
		/* The queued one has not had its transmits: most members lack it
		 * (and every relay of it is replaced by this one's), so this one
		 * says everything since its base, for those who hold that base
		 * as for those who got it (mf_advert_delta_applies); else every
		 * member that missed it would pull (docs/routing.md, "Deltas
		 * that reach back"). */
		size_t blen = 0;
		uint8_t *back = reach_back(n, from, &blen);
		if (back) {
			free(msg);
			msg = back;
			len = blen;
			n->delta_from = from;
			n->stats.deltas_back++;
		}
	}
	for (size_t i = 0; direct < 0 && i < n->n_slots; i++)
		if (n->slots[i].pool && mf_pool_broadcast_user(n->slots[i].pool, key, msg, len) == 0)
			n->stats.bytes_out += len;
	free(msg);
	n->stats.deltas_out++;
	mf_advert_free(&d);
	return 1;
}

size_t mf_rn__send_since(struct mf_routing_node_slot *s, const struct mf_addr *to, uint64_t h)
{
	struct mf_routing_node *n = s->node;
	const struct mf_advert *held = &n->base_out;
	struct mf_advert d;
	size_t sent = 0, len = 0;
	uint8_t *msg = NULL;
	if (!held->origin || !n->out_ver || h >= held->seq || !s->pool)
		return 0;
	msgpack_sbuffer_clear(&n->scratch);
	if (h > 0 && h >= n->ver_floor && fits_one(n, h) &&
	    mf_advert_since(held, n->out_ver, n->out_gone, n->n_out_gone, h, &d) == 0) {
		d.delta_v2 = true; /* an asker before version 3 decodes it (advert.h) */
		if (mf_advert_encode_full(&n->scratch, &d) < 0 ||
		    n->scratch.size > MF_ROUTING_NODE_ADVERT_BYTES)
			msgpack_sbuffer_clear(&n->scratch);
		mf_advert_free(&d);
	}
	if (n->scratch.size > 0) {
		if ((msg = mf_rn__framed(MF_ROUTING_NODE_MSG_STATE, &n->scratch, &len)) &&
		    mf_pool_send_user_to(s->pool, to, msg, len) == 0)
			sent = len;
		free(msg);
		n->stats.bytes_out += sent;
		return sent;
	}
	/* Whole: what it holds is too old (an empty asker: 0), or the change
	 * too large. Encoded once per held view, whoever asks: every member
	 * of our pools asks after a state of ours that went out whole. */
	if (!n->out_frags.n) {
		if (mf_advert_encode_frags(held, MF_ROUTING_NODE_ADVERT_BYTES, &n->out_frags) < 0) {
			drop_frags(n);
			n->stats.local_errors++;
			return 0;
		}
		for (size_t f = 0; f < n->out_frags.n; f++) { /* kept: 8 KB buffers to their ~1 KB */
			msgpack_sbuffer *b = &n->out_frags.bufs[f];
			char *fit = b->size ? realloc(b->data, b->size) : NULL;
			if (fit) {
				b->data = fit;
				b->alloc = b->size;
			}
		}
	}
	for (size_t f = 0; f < n->out_frags.n; f++) {
		if ((msg = mf_rn__framed(MF_ROUTING_NODE_MSG_STATE, &n->out_frags.bufs[f], &len)) &&
		    mf_pool_send_user_to(s->pool, to, msg, len) == 0)
			sent += len;
		free(msg);
	}
	n->stats.bytes_out += sent;
	return sent;
}

/* --- others' ---------------------------------------------------------------*/

static struct base_in *find_base(const struct mf_routing_node *n, const char *origin, const char *node)
{
	/* One lookup per delta and digest entry received: the key first. */
	uint64_t key = mf_advert_key_hash(origin, node);
	for (size_t i = 0; i < n->n_bases; i++)
		if (n->bases[i].key == key && strcmp(n->bases[i].node, node) == 0 &&
		    strcmp(n->bases[i].origin, origin) == 0)
			return &n->bases[i];
	return NULL;
}

const struct base_in *mf_rn__base_of(const struct mf_routing_node *n, const char *origin, const char *node)
{
	return find_base(n, origin, node);
}

uint64_t mf_rn__base_seq(const struct mf_routing_node *n, const char *origin, const char *node)
{
	const struct base_in *b = find_base(n, origin, node);
	return b && b->buf ? b->seq : 0;
}

void mf_rn__no_pull(struct mf_routing_node *n, struct base_in *b)
{
	if (b->pull_at) {
		b->pull_at = 0;
		n->n_pulls_due--;
	}
}

static void drop_base(struct mf_routing_node *n, size_t i)
{
	mf_rn__no_pull(n, &n->bases[i]);
	mf_rn__names_release(n, n->bases[i].origin, n->bases[i].node);
	mf_blobs_release(n->blobs, n->bases[i].buf);
	free(n->bases[i].pend);
	n->bases[i] = n->bases[--n->n_bases];
}

/* The record of (origin, node), created empty when missing; NULL when out
 * of memory. */
static struct base_in *base_record(struct mf_routing_node *n, const char *origin, const char *node)
{
	struct base_in *b = find_base(n, origin, node);
	if (b)
		return b;
	if (n->n_bases >= MF_ROUTING_NODE_BASES_MAX)
		drop_base(n, 0); /* any: a pull brings it back */
	if (mf_grow(&n->bases, &n->cap_bases, n->n_bases + 1, 16) < 0)
		return NULL;
	b = &n->bases[n->n_bases];
	memset(b, 0, sizeof *b);
	/* names by id, shared with the pools: one per server heard (issue 12) */
	if (mf_rn__names_hold(n, origin, node, &b->origin, &b->node) < 0)
		return NULL;
	b->key = mf_advert_key_hash(origin, node);
	n->n_bases++;
	return b;
}

bool mf_rn__pull_once(struct mf_routing_node *n, const char *origin, const char *node, uint64_t seq)
{
	struct base_in *b = base_record(n, origin, node);
	if (!b)
		return true; /* out of memory: unbounded, as before */
	if (b->asked_at && b->asked_seq >= seq && n->now < b->asked_at + MF_ROUTING_NODE_PULL_WAIT)
		return false;
	b->asked_at = n->now ? n->now : 1;
	b->asked_seq = seq;
	return true;
}

int mf_rn__keep_base(struct mf_routing_node *n, const struct mf_advert *full)
{
	if (!full->origin || !full->node || strcmp(full->node, n->name) == 0)
		return 0;
	struct base_in *b = find_base(n, full->origin, full->node);
	if (b && b->buf && b->seq >= full->seq)
		return 0;
	msgpack_sbuffer_clear(&n->scratch);
	const uint8_t *copy = NULL;
	int rc = mf_advert_encode_full(&n->scratch, full);
	if (rc < 0)
		return rc;
	if (!(copy = mf_blobs_put(n->blobs, (const uint8_t *)n->scratch.data, n->scratch.size)))
		return MF_ENOMEM;
	if (!(b = base_record(n, full->origin, full->node))) {
		mf_blobs_release(n->blobs, copy);
		return MF_ENOMEM;
	}
	mf_blobs_release(n->blobs, b->buf);
	b->buf = copy;
	b->len = n->scratch.size;
	b->seq = full->seq;
	if (!b->pend || b->pend_seq <= b->seq)
		mf_rn__no_pull(n, b); /* caught up (a pending delta applies now, or is old) */
	return 0;
}

void mf_rn__forget_bases(struct mf_routing_node *n, const char *origin)
{
	for (size_t i = n->n_bases; i-- > 0;)
		if (strcmp(n->bases[i].origin, origin) == 0)
			drop_base(n, i);
}

void mf_rn__free_bases(struct mf_routing_node *n)
{
	while (n->n_bases)
		drop_base(n, n->n_bases - 1);
	free(n->bases);
	n->bases = NULL;
	n->cap_bases = 0;
	mf_advert_free(&n->base_out);
	drop_versions(n);
	free(n->out_gone);
	n->out_gone = NULL;
	n->cap_out_gone = 0;
}

/* delta (consumed) on top of base b, kept as that server's newest and to
 * the engine: 0, or the error of decoding the base we hold or of patching
 * it with delta. */
static int apply(struct mf_routing_node_slot *sl, const struct base_in *b, struct mf_advert *delta)
{
	struct mf_advert base, full;
	int rc = mf_advert_decode(b->buf, b->len, &base, NULL);
	if (rc < 0) {
		mf_advert_free(delta);
		return rc;
	}
	rc = mf_advert_patch(&base, delta, &full);
	mf_advert_free(&base);
	mf_advert_free(delta);
	if (rc < 0)
		return rc;
	rc = mf_rn__keep_base(sl->node, &full);
	/* Stored by reference to the base just kept (one state, one
	 * encoding), as node_recv.c does for full states: it was encoded
	 * and hashed twice per delta applied. */
	const struct base_in *kept = find_base(sl->node, full.origin, full.node);
	bool same = rc == 0 && kept && kept->buf && kept->seq == full.seq;
	mf_rn__take_advert_kept(sl, &full, same ? kept->buf : NULL, same ? kept->len : 0);
	return rc;
}

/* Pulls what we lack of b's server soon, unless its base comes first
 * (gossip has no order: the delta before it may still be on its way). */
static void pull_soon(struct mf_routing_node_slot *sl, struct base_in *b)
{
	struct mf_routing_node *n = sl->node;
	if (b->pull_at)
		return;
	b->pull_at = n->now + MF_ROUTING_NODE_PULL_WAIT;
	b->pull_at = b->pull_at ? b->pull_at : 1;
	b->slot = (size_t)(sl - n->slots);
	n->n_pulls_due++;
}

int mf_rn__take_delta(struct mf_routing_node_slot *sl, struct mf_advert *delta, const uint8_t *msg,
		      size_t len)
{
	struct mf_routing_node *n = sl->node;
	struct base_in *b = find_base(n, delta->origin, delta->node);
	int rc = 0;
	n->stats.deltas_in++;
	if (b && b->buf && delta->seq <= b->seq) {
		mf_advert_free(delta); /* another copy (gossip sends each several times) */
		return 0;
	}
	if (b && b->buf && mf_advert_delta_applies(delta, b->seq)) {
		if (delta->base_seq < b->seq)
			n->stats.deltas_stale++; /* it reached back past what we hold */
		rc = apply(sl, b, delta);
		int rp = mf_rn__take_pending(sl, b->origin, b->node);
		return rc < 0 ? rc : rp;
	}
	n->stats.deltas_unbased++;
	/* Keep the newest such delta: its base may still be on its way;
	 * else we pull what we lack. */
	if (!(b = base_record(n, delta->origin, delta->node))) {
		rc = MF_ENOMEM;
	} else if (!b->pend || delta->seq > b->pend_seq) {
		uint8_t *copy = malloc(len);
		if (copy) {
			memcpy(copy, msg, len);
			free(b->pend);
			b->pend = copy;
			b->pend_len = len;
			b->pend_seq = delta->seq;
		} else {
			rc = MF_ENOMEM;
		}
	}
	if (b)
		pull_soon(sl, b);
	mf_advert_free(delta);
	return rc;
}

int mf_rn__take_pending(struct mf_routing_node_slot *sl, const char *origin, const char *node)
{
	struct mf_routing_node *n = sl->node;
	struct base_in *b = find_base(n, origin, node);
	struct mf_advert d;
	if (!b || !b->pend || !b->buf || b->pend_seq <= b->seq) {
		if (b && b->pend && b->buf && b->pend_seq <= b->seq) {
			free(b->pend); /* overtaken by what we hold */
			b->pend = NULL;
		}
		return 0;
	}
	int rc = mf_advert_decode_msg(b->pend, b->pend_len, &d);
	if (rc < 0) {
		free(b->pend);
		b->pend = NULL;
		return rc; /* checked when it came: cannot fail but out of memory */
	}
	if (!mf_advert_delta_applies(&d, b->seq)) {
		mf_advert_free(&d); /* still waiting (or a pull will do) */
		return 0;
	}
	free(b->pend);
	b->pend = NULL;
	mf_rn__no_pull(n, b);
	n->stats.deltas_late++;
	return apply(sl, b, &d);
}

/*
 * routing/node.c — one server's routing over its pools (contract in
 * node.h). The agent (cmd/agent/agent_routing.c) and meshfed-sim both run it, so
 * they speak the same protocol by the same code.
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

void mf_routing_node_config_default(struct mf_routing_node_config *c)
{
	memset(c, 0, sizeof(*c));
	c->default_mode = MF_MODE_MULTI_HOP;
	c->transit = true;
	c->hysteresis_pct = -1;
	c->hysteresis_ms = -1;
	c->settle_pct = -1;
	c->settle_ms = -1;
	c->settle_time = -1;
	c->nh_hold = -1;
	c->link_estimate = MF_COORD_TRACKER_ROUTE;
	c->max_alternates = -1;
	c->reach_back = -1;
	c->feasibility_hold = -1;
}

/* --- lifecycle --------------------------------------------------------------*/

/* The per-DC mode overrides; err names the target that failed. */
static int set_targets(struct mf_routing *e, const struct mf_routing_node_target *t, size_t n,
		       char *err, size_t errcap)
{
	for (size_t i = 0; i < n; i++) {
		int r = mf_routing_set_mode(e, t[i].dc, t[i].mode);
		if (r < 0) {
			snprintf(err, errcap, "routing.targets.%s: %s", t[i].dc, mf_strerror(r));
			return r;
		}
	}
	return 0;
}

int mf_routing_node_set_policy(struct mf_routing_node *n, enum mf_route_mode default_mode,
			       const struct mf_routing_node_target *targets, size_t n_targets,
			       bool transit, char *err, size_t errcap)
{
	int r = mf_routing_set_policy(n->engine, default_mode, transit);
	if (r < 0) {
		snprintf(err, errcap, "routing.default: %s", mf_strerror(r));
		return r;
	}
	return set_targets(n->engine, targets, n_targets, err, errcap);
}

int mf_routing_node_new(const struct mf_routing_node_config *c, struct mf_routing_node **out,
			char *err, size_t errcap)
{
	*out = NULL;
	if (!c->datacenter || !c->node || strlen(c->datacenter) > MF_ROUTING_NODE_DC_MAX ||
	    strlen(c->node) > MF_NAME_MAX) {
		snprintf(err, errcap, "routing: %s", mf_strerror(MF_EINVAL));
		return MF_EINVAL;
	}
	struct mf_routing_node *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errcap, "routing: %s", mf_strerror(MF_ENOMEM));
		return MF_ENOMEM;
	}
	snprintf(n->dc, sizeof(n->dc), "%s", c->datacenter);
	snprintf(n->name, sizeof(n->name), "%s", c->node);
	n->rng = mf_name_hash(n->name, strlen(n->name)) ^ c->initial_seq;
	n->rng = n->rng ? n->rng : 1;
	n->hooks = c->hooks;
	n->link_estimate = c->link_estimate;
	n->reach_back = c->reach_back;
	n->split_deltas = c->split_deltas;
	n->riders_all = c->riders_all;
	n->deltas_gossiped = c->deltas_gossiped;
	n->beat_interval = c->beat_interval > 0 ? c->beat_interval : MF_ROUTING_NODE_REFRESH;
	n->beat_all = 60 * MF_SEC / n->beat_interval > 1 ? (unsigned)(60 * MF_SEC / n->beat_interval) : 1;
	msgpack_sbuffer_init(&n->scratch);
	mf_advert_asm_init(&n->asm_, MF_ROUTING_NODE_ASM_PENDING);
	/* Records per server heard hold names by id: with the pools' ids a
	 * member's name costs them nothing (issue 12). */
	n->ids = c->names ? c->names : &n->own_ids;
	(void)mf_advert_asm_share_names(&n->asm_, n->ids);      /* empty: cannot fail */
	(void)mf_relay_marks_share_names(&n->relayed, n->ids);
	n->blobs = c->blobs;
	if (!n->blobs && mf_blobs_new(&n->own_blobs) < 0) {
		free(n);
		snprintf(err, errcap, "routing: %s", mf_strerror(MF_ENOMEM));
		return MF_ENOMEM;
	}
	n->blobs = n->blobs ? n->blobs : n->own_blobs;

	struct mf_routing_config cfg;
	mf_routing_config_default(&cfg);
	cfg.datacenter = n->dc;
	cfg.node = n->name;
	cfg.default_mode = c->default_mode;
	cfg.transit = c->transit;
	if (c->hysteresis_pct >= 0)
		cfg.hysteresis_pct = c->hysteresis_pct;
	if (c->hysteresis_ms >= 0)
		cfg.hysteresis_ms = c->hysteresis_ms;
	if (c->settle_pct >= 0)
		cfg.settle_pct = c->settle_pct;
	if (c->settle_ms >= 0)
		cfg.settle_ms = c->settle_ms;
	cfg.settle_time = c->settle_time >= 0 ? (uint64_t)c->settle_time : MF_ROUTING_NODE_SETTLE;
	cfg.nh_hold = c->nh_hold >= 0 ? (uint64_t)c->nh_hold : MF_ROUTING_NODE_NH_HOLD;
	cfg.nh_hold_pct = MF_ROUTING_NODE_NH_HOLD_PCT;
	cfg.initial_seq = c->initial_seq;
	if (c->epoch)
		cfg.epoch = c->epoch;
	cfg.require_gateways = c->require_gateways;
	/* Freshness: our epoch rises every refresh; a DC cut off without
	 * deaths is withdrawn MF_ROUTING_NODE_MAX_AGE after its last rise
	 * (docs/routing.md, "Bounded withdrawal", "Origin ages"). */
	cfg.beat_interval = (uint64_t)n->beat_interval;
	cfg.max_age = MF_ROUTING_NODE_MAX_AGE;
	cfg.beats_apart = true; /* our beat messages carry them */
	/* ... with their ages, so every DC ages a target from its origin's
	 * last rise (docs/routing.md, "Origin ages"). */
	cfg.beat_age_unit = (uint64_t)MF_BEAT_AGE_MS * MF_MS;
	cfg.hurry_min = MF_ROUTING_NODE_HURRY_MIN; /* and earlier datings go at once */
	cfg.rise_late = MF_ROUTING_NODE_RISE_LATE;
	cfg.relay_rises = true; /* and rises: whole beats list others less often */
	/* and a DC near max_age is asked for before it is dropped. */
	if (!c->no_asks) {
		cfg.ask_age = MF_ROUTING_NODE_ASK_AGE > 2 * cfg.beat_interval ? MF_ROUTING_NODE_ASK_AGE
									     : 2 * cfg.beat_interval;
		cfg.ask_gap = MF_ROUTING_NODE_ASK_GAP;
	}
	cfg.readvertise_interval = MF_ROUTING_NODE_READVERTISE;
	cfg.quiet_riders = !c->riders_all; /* with node_delta.c's riders left out */
	/* Feasibility with seqno requests, over a window, with sticky
	 * distances and the longer of a next hop's servers' (docs/routing.md,
	 * "Seqno requests", "A feasibility distance over a window", "Rounds
	 * 41-80"): built, measured in meshfed-sim, left off
	 * (hold 0) until next-hop changes under noise are no more than
	 * without it. */
	cfg.feasibility_hold = c->feasibility_hold >= 0 ? (uint64_t)c->feasibility_hold : MF_ROUTING_NODE_FEASIBILITY_HOLD;
	cfg.path_wait = c->path_wait > 0 ? (uint64_t)c->path_wait : 0;
	cfg.loss_hold = c->loss_hold > 0 ? (uint64_t)c->loss_hold : 0;
	cfg.feasibility_window = MF_ROUTING_NODE_FEASIBILITY_WINDOW;
	cfg.sticky_distances = true;
	cfg.epochs_on_request = true;
	cfg.spread_age = MF_ROUTING_NODE_SPREAD_AGE;
	cfg.request_gap = MF_ROUTING_NODE_REQUEST_GAP;
	if (c->max_alternates >= 0)
		cfg.max_alternates = (unsigned)c->max_alternates;
	int r = mf_routing_new(&cfg, &n->engine);
	if (r < 0) {
		snprintf(err, errcap, "routing: %s (is \"%s\" a valid DC name?)", mf_strerror(r),
			 c->datacenter);
		goto fail;
	}
	if ((r = set_targets(n->engine, c->targets, c->n_targets, err, errcap)) < 0)
		goto fail;
	if (c->n_gateways && (r = mf_routing_set_gateways(n->engine, c->gateways, c->n_gateways)) < 0) {
		snprintf(err, errcap, "gateways: %s", mf_strerror(r));
		goto fail;
	}
	*out = n;
	return 0;
fail:
	mf_routing_node_free(n);
	return r;
}

void mf_routing_node_free(struct mf_routing_node *n)
{
	if (!n)
		return;
	if (n->engine)
		mf_routing_free(n->engine);
	mf_advert_asm_free(&n->asm_);
	while (n->n_stored)
		mf_rn__drop_stored(n, &n->stored[n->n_stored - 1]);
	free(n->stored);
	mf_rn__free_bases(n); /* bases are in the blobs too */
	mf_blobs_free(n->own_blobs);
	free(n->beats);
	mf_rn__reach_free(&n->reach);
	mf_relay_marks_free(&n->relayed);
	while (n->n_gw_heard)
		mf_rn__gw_heard_drop(n, n->n_gw_heard - 1);
	free(n->gw_heard);
	mf_rn__links_free(n);
	msgpack_sbuffer_destroy(&n->scratch);
	mf_name_ids_free(&n->own_ids); /* after every record that holds an id */
	free(n);
}

int mf_routing_node_add_pool(struct mf_routing_node *n, mf_pool_t *pool,
			     const struct mf_coord_tracker *tracker, const char *const *peers,
			     size_t n_peers, struct mf_routing_node_slot **out)
{
	if (n->n_slots == MF_ROUTING_NODE_MAX_POOLS)
		return MF_ETOOBIG;
	struct mf_routing_node_slot *s = &n->slots[n->n_slots];
	memset(s, 0, sizeof(*s));
	if (n_peers) {
		if (!(s->peers = calloc(n_peers, sizeof(*s->peers))))
			return MF_ENOMEM;
		for (size_t i = 0; i < n_peers; i++) {
			if (strlen(peers[i]) > MF_ROUTING_NODE_DC_MAX) {
				free(s->peers);
				s->peers = NULL;
				return MF_EINVAL;
			}
			snprintf(s->peers[i], sizeof(s->peers[i]), "%s", peers[i]);
		}
	}
	s->n_peers = n_peers;
	(void)mf_dc_index_share_names(&s->dcx, n->ids); /* empty: cannot fail */
	s->node = n;
	s->pool = pool;
	s->tracker = tracker;
	n->n_slots++;
	if (out)
		*out = s;
	return 0;
}

void mf_routing_node_set_pool(struct mf_routing_node_slot *s, mf_pool_t *pool,
			      const struct mf_coord_tracker *tracker)
{
	if (s->pool == pool && s->tracker == tracker)
		return; /* the simulator re-points every slot every tick */
	s->pool = pool;
	s->tracker = tracker;
	mf_dc_index_free(&s->dcx); /* a new pool may reuse the old one's address */
}

/* --- advertising ------------------------------------------------------------*/

/* Our state: a change as a delta against what receivers hold when that
 * says it in one small message, else whole (node_delta.c). */
static void broadcast_advert(struct mf_routing_node *n, mf_time_t now)
{
	struct mf_advert adv;
	struct mf_advert_frags frags = {0};
	if (mf_routing_advert(n->engine, &adv) < 0)
		return;
	if (mf_rn__send_delta(n, &adv, now) == 1) {
		mf_advert_free(&adv);
		return;
	}
	n->last_full = now;
	int r = mf_advert_encode_frags(&adv, MF_ROUTING_NODE_ADVERT_BYTES, &frags);
	if (r == 0) /* receivers hold it in 0.1 ms units: so does our snapshot */
		mf_rn__note_sent(n, &adv, NULL);
	/* Deltas work at any size (a member that misses one pulls what it
	 * lacks), so a route that only follows the DC's shared choice waits. */
	mf_routing_set_wait_followed(n->engine, true);
	if (r == 0)
		mf_rn__keep_sent(n, &adv); /* consumes adv */
	else
		mf_advert_free(&adv);
	if (r < 0) {
		if (n->hooks.advert_error)
			n->hooks.advert_error(n->hooks.ctx, r);
		return;
	}
	for (size_t f = 0; f < frags.n; f++) {
		size_t len = 2 + frags.bufs[f].size;
		uint8_t *msg = malloc(len);
		if (!msg)
			break;
		msg[0] = MF_SERF_MSG_MESHFED;
		msg[1] = MF_ROUTING_NODE_MSG_ADVERT;
		memcpy(msg + 2, frags.bufs[f].data, frags.bufs[f].size);
		char key[MF_ROUTING_NODE_DC_MAX + 32];
		snprintf(key, sizeof(key), "mf-advert:%s:%zu", n->dc, f);
		for (size_t i = 0; i < n->n_slots; i++)
			if (n->slots[i].pool &&
			    mf_pool_broadcast_user(n->slots[i].pool, key, msg, len) == 0)
				n->stats.bytes_out += len;
		free(msg);
	}
	mf_advert_frags_free(&frags);
	n->stats.broadcasts++;
}

/* 1: server `name` is alive or suspect in one of our pools; -1: failed or
 * left in every pool it is in; 0: in none. */
static int server_state(const struct mf_routing_node *n, const char *name)
{
	int st = 0;
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_member m;
		if (!n->slots[i].pool || mf_pool_member_find(n->slots[i].pool, name, &m) < 0)
			continue;
		if (m.status == MF_MEMBER_ALIVE || m.status == MF_MEMBER_SUSPECT)
			return 1;
		st = -1;
	}
	return st;
}

/* Forgets the gateways of servers that are gone (node.h). */
static void expire_gateways(struct mf_routing_node *n, mf_time_t now)
{
	for (size_t i = n->n_gw_heard; i-- > 0;) {
		struct gw_heard *h = &n->gw_heard[i];
		int st = server_state(n, h->node);
		if (h->pending || st > 0) {
			h->heard = now;
			h->pending = false;
		}
		if (st < 0 || now - h->heard >= MF_ROUTING_NODE_GW_EXPIRY) {
			if (mf_routing_forget_gateways_of(n->engine, h->origin, h->node) == 1)
				n->stats.gateways_expired++;
			mf_rn__gw_heard_drop(n, i);
		}
	}
}

int mf_routing_node_set_gateways(struct mf_routing_node *n, const struct mf_gateway *g, size_t n_g)
{
	return mf_routing_set_gateways(n->engine, g, n_g);
}

int mf_routing_node_tick(struct mf_routing_node *n, mf_time_t now, bool *changed)
{
	if (now >= 0)
		mf_routing_set_now(n->engine, (uint64_t)now);
	n->now = now;
	bool ch = false;
	if (changed)
		*changed = false;
	/* Gateways of servers gone: after a gather (members moved) or every
	 * second, not at every tick (a pool lookup per server heard). */
	if (mf_rn__update_links(n) || now - n->gw_checked >= MF_SEC) {
		expire_gateways(n, now);
		n->gw_checked = now;
	}
	int r = mf_routing_recompute(n->engine, &ch);
	if (r < 0)
		return r;
	if (changed)
		*changed = ch;
	n->stats.recomputes++;
	uint64_t seq = mf_routing_advert_seq(n->engine);
	if (seq != n->sent_seq || mf_rn__delta_due(n, now)) { /* a paced delta (node_delta.c) */
		broadcast_advert(n, now);
		n->sent_seq = seq;
	}
	/* The refresh is our digest entry, not our state: a member that
	 * holds an older one (missed a delta, or our state whole) pulls what
	 * it lacks (docs/routing.md, "Anti-entropy by digest"). */
	if (now - n->last_refresh >= MF_ROUTING_NODE_FULL_REFRESH) {
		mf_rn__send_digest(n);
		n->last_refresh = now;
	}
	if (n->n_pulls_due)
		mf_rn__pull_due(n, now);
	mf_rn__beats_tick(n, now);
	return 0;
}

/* --- reading ----------------------------------------------------------------*/

int mf_routing_node_table(const struct mf_routing_node *n, struct mf_table *out)
{
	return mf_routing_table(n->engine, out);
}

const struct mf_routing *mf_routing_node_engine(const struct mf_routing_node *n)
{
	return n->engine;
}

const struct mf_routing_node_stats *mf_routing_node_stats(const struct mf_routing_node *n)
{
	return &n->stats;
}

size_t mf_routing_node_n_stored(const struct mf_routing_node *n)
{
	return n->n_stored;
}

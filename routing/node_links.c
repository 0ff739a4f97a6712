/*
 * routing/node_links.c — the direct links read from the pools, and expiry
 * of origins no pool shows alive (node_internal.h; contract in node.h).
 *
 * Event-driven, by id: every tick every server ran this, and at 500 DCs x 3
 * gathering links by string lookups, estimating every DC from the tracker
 * and setting every link in the engine was most of a routing tick. Now
 * each pool's DCs carry the engine's id (resolved when the pool's member
 * index is rebuilt), a pool's DC estimates are redone only when its tracker
 * moved, and the links are gathered only when a pool's members, tracker or
 * probes moved, a reach probe flipped, or a ping round is due
 * (routing/node_reach.c); the engine hears only the links that changed, so
 * it recomputes only then. No allocation on a tick that changes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "routing/node_internal.h"

#define NO_ID UINT32_MAX

/* --- per pool: ids, peers and estimates of its DCs --------------------------*/

static bool in_peers(const struct mf_routing_node_slot *s, const char *dc)
{
	if (s->n_peers == 0)
		return true;
	for (size_t i = 0; i < s->n_peers; i++)
		if (strcmp(s->peers[i], dc) == 0)
			return true;
	return false;
}

/* What a pool's DC estimates depend on: the tracker's counts of what it
 * took in (acks, announcements, forgotten members) and our own coordinate
 * (a pin moves it without an ack). */
static uint64_t tracker_sig(const struct mf_coord_tracker *t)
{
	if (!t)
		return 0;
	const struct mf_coord_tracker_stats *st = mf_coord_tracker_stats(t);
	struct mf_coord self;
	mf_coord_tracker_self(t, &self);
	uint64_t h = mf_name_hash(&st->acks, sizeof(st->acks));
	h = mf_name_hash_more(h, &st->announces_in, sizeof(st->announces_in));
	h = mf_name_hash_more(h, &st->forgotten, sizeof(st->forgotten));
	h = mf_name_hash_more(h, &st->updates, sizeof(st->updates));
	return mf_name_hash_more(h, &self, sizeof(self));
}

/* Our probes in this pool: direct_misses moves only when one ends, and the
 * next one starts after that. */
static uint64_t probe_sig(const mf_pool_t *p)
{
	struct mf_pool_stats st;
	mf_pool_get_stats(p, &st);
	return st.probes + (st.indirect_probes << 20) + (st.tcp_fallback_probes << 40);
}

/* The estimate of group k of slot s into s->gms[k] (NAN: none). */
static void estimate(struct mf_routing_node *n, struct mf_routing_node_slot *s, size_t k)
{
	const struct mf_dc_group *g = &s->dcx.groups[k];
	double sec;
	s->gms[k] = NAN;
	if (s->tracker && s->gpeer[k] && g->n_others_alive > 0 && s->gid[k] != NO_ID &&
	    mf_coord_tracker_dc_rtt(s->tracker, s->dcx.mem + g->start, g->n, g->dc, n->link_estimate,
				    &sec) == 0 &&
	    isfinite(sec) && sec >= 0)
		s->gms[k] = sec * 1000.0;
}

/* Brings slot s's cache up to date; true when anything a link depends on
 * moved. */
static bool slot_refresh(struct mf_routing_node *n, struct mf_routing_node_slot *s)
{
	if (!s->peer_ids_set && s->n_peers) {
		if (!s->peer_id && !(s->peer_id = calloc(s->n_peers, sizeof(*s->peer_id))))
			return true;
		for (size_t i = 0; i < s->n_peers; i++)
			if (strcmp(s->peers[i], n->dc) == 0 ||
			    mf_routing_dc_id(n->engine, s->peers[i], &s->peer_id[i]) < 0)
				s->peer_id[i] = NO_ID;
		s->peer_ids_set = true;
	}
	if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0) {
		bool was = s->seen_pool != NULL;
		s->seen_pool = NULL;
		return was;
	}
	bool changed = false;
	if (s->seen_pool != s->pool || s->seen_layout != s->dcx.layout) {
		size_t ng = s->dcx.n_groups;
		if (mf_grow(&s->gid, &s->cap_g, ng, 16) < 0 ||
		    !(s->gpeer = realloc(s->gpeer, s->cap_g * sizeof(*s->gpeer))) ||
		    !(s->gms = realloc(s->gms, s->cap_g * sizeof(*s->gms)))) {
			s->cap_g = 0; /* retried at the next tick */
			s->seen_pool = NULL;
			return true;
		}
		for (size_t k = 0; k < ng; k++) {
			const char *dc = s->dcx.groups[k].dc;
			s->gpeer[k] = in_peers(s, dc);
			if (strcmp(dc, n->dc) == 0 || mf_routing_dc_id(n->engine, dc, &s->gid[k]) < 0)
				s->gid[k] = NO_ID;
		}
		s->seen_pool = s->pool;
		s->seen_layout = s->dcx.layout;
		s->seen_tracker = NULL; /* estimates are per group: redo them */
		changed = true;
	}
	uint64_t ts = tracker_sig(s->tracker);
	if (s->seen_tracker != s->tracker || s->tracker_sig != ts || changed) {
		for (size_t k = 0; k < s->dcx.n_groups; k++)
			estimate(n, s, k);
		s->seen_tracker = s->tracker;
		s->tracker_sig = ts;
		changed = true;
	}
	uint64_t ps = probe_sig(s->pool);
	changed |= ps != s->probe_sig;
	s->probe_sig = ps;
	return changed;
}

/* --- gathering ---------------------------------------------------------------*/

/* Whether one of g's alive members other than us still answers our own
 * probes directly (node.h: a link is usable only while it works directly,
 * not through other DCs' indirect acks). direct_misses is live pool state,
 * not in the DC index, so it is read from the pool; the first alive member
 * usually answers, so this is O(1) per DC when links are healthy. */
static bool directly_reached(const struct mf_routing_node_slot *s, const struct mf_dc_group *g)
{
	for (size_t k = g->start; k < g->start + g->n; k++) {
		const struct mf_coord_tracker_member *cm = &s->dcx.mem[k];
		struct mf_member pm;
		if ((cm->status != MF_MEMBER_ALIVE && cm->status != MF_MEMBER_SUSPECT) || k == s->dcx.self_at)
			continue; /* self_at: us, as the index was synced with our name */
		if (mf_pool_member_find(s->pool, cm->name, &pm) == 0 &&
		    pm.direct_misses < MF_ROUTING_NODE_DIRECT_MISSES)
			return true;
	}
	return false;
}

/* Link id's record, zeroed when first touched by this gather; NULL when
 * out of memory. */
static struct rn_link *touch(struct mf_routing_node *n, uint32_t id)
{
	size_t old = n->cap_links;
	if (mf_grow(&n->links, &n->cap_links, (size_t)id + 1, 64) < 0)
		return NULL;
	memset(n->links + old, 0, (n->cap_links - old) * sizeof(*n->links));
	struct rn_link *e = &n->links[id];
	if (e->gen != n->links_gen) {
		if (mf_grow(&n->touched, &n->cap_touched, n->n_touched + 1, 64) < 0)
			return NULL;
		n->touched[n->n_touched++] = id;
		bool linked = e->linked;
		memset(e, 0, sizeof(*e));
		e->linked = linked;
		e->gen = n->links_gen;
		e->ms = INFINITY;
	}
	return e;
}

static void gather_pool(struct mf_routing_node *n, struct mf_routing_node_slot *s, bool ping_round)
{
	if (!s->pool || s->seen_pool != s->pool)
		return;
	for (size_t k = 0; k < s->n_peers; k++) {
		struct rn_link *e;
		if (s->peer_id && s->peer_id[k] != NO_ID && (e = touch(n, s->peer_id[k])))
			e->configured = true;
	}
	for (size_t k = 0; k < s->dcx.n_groups; k++) {
		const struct mf_dc_group *g = &s->dcx.groups[k];
		struct rn_link *e;
		if (g->n_others == 0 || s->gid[k] == NO_ID || !(e = touch(n, s->gid[k])))
			continue;
		if (s->gpeer[k])
			e->configured = true;
		if (g->n_others_alive == 0)
			continue;
		e->alive = true; /* for expiry, whatever the peers list says */
		if (!s->gpeer[k])
			continue;
		if (mf_rn__reach_probe(s, k, ping_round) && directly_reached(s, g))
			e->direct = true;
		/* The smallest estimate over pools (node.h). */
		if (!isnan(s->gms[k]) && s->gms[k] < e->ms) {
			e->ms = s->gms[k];
			e->usable = true;
		}
	}
}

/* Withdraws every origin we stored whose DC has no alive server in any
 * pool (the gather's `alive`). */
static void expire_origins(struct mf_routing_node *n)
{
	for (size_t i = 0; i < n->n_stored;) {
		uint32_t id;
		if (mf_routing_find_id(n->engine, n->stored[i].origin, &id) == 0 &&
		    id < n->cap_links && n->links[id].gen == n->links_gen && n->links[id].alive) {
			i++;
			continue;
		}
		if (n->hooks.withdrawn)
			n->hooks.withdrawn(n->hooks.ctx, n->stored[i].origin);
		(void)mf_routing_withdraw_origin(n->engine, n->stored[i].origin);
		mf_advert_asm_forget(&n->asm_, n->stored[i].origin);
		mf_rn__forget_bases(n, n->stored[i].origin);
		for (size_t k = n->n_gw_heard; k-- > 0;)
			if (strcmp(n->gw_heard[k].origin, n->stored[i].origin) == 0)
				mf_rn__gw_heard_drop(n, k); /* the engine dropped them with the origin */
		n->stats.withdrawals++;
		mf_rn__drop_stored(n, &n->stored[i]);
	}
}

bool mf_rn__update_links(struct mf_routing_node *n)
{
	bool moved = n->links_dirty || n->now >= n->links_next || n->n_stored != n->links_stored;
	for (size_t i = 0; i < n->n_slots; i++)
		moved |= slot_refresh(n, &n->slots[i]);
	if (!moved)
		return false;
	bool ping_round = n->now >= n->links_next;
	if (ping_round)
		n->links_next = n->now + mf_rn__reach_period(n);
	n->links_dirty = false;
	if (++n->links_gen == 0)
		n->links_gen = 1; /* gen 0 is "never touched" */
	n->n_touched = 0;
	for (size_t i = 0; i < n->n_slots; i++)
		gather_pool(n, &n->slots[i], ping_round);
	/* Links that vanished (an area member reaped, a WAN DC forgotten). */
	for (size_t i = 0; i < n->n_linked;) {
		uint32_t id = n->linked[i];
		if (n->links[id].gen == n->links_gen && n->links[id].configured) {
			i++;
			continue;
		}
		(void)mf_routing_set_link_id(n->engine, id, false, false, 0);
		n->links[id].linked = false;
		n->linked[i] = n->linked[--n->n_linked];
	}
	for (size_t i = 0; i < n->n_touched; i++) {
		uint32_t id = n->touched[i];
		struct rn_link *e = &n->links[id];
		if (!e->configured)
			continue;
		bool usable = e->usable && e->direct;
		(void)mf_routing_set_link_id(n->engine, id, true, usable, usable ? e->ms : 0);
		if (!e->linked && mf_grow(&n->linked, &n->cap_linked, n->n_linked + 1, 16) == 0) {
			n->linked[n->n_linked++] = id;
			e->linked = true;
		}
	}
	expire_origins(n);
	n->links_stored = n->n_stored;
	return true;
}

void mf_rn__links_free(struct mf_routing_node *n)
{
	free(n->links);
	free(n->touched);
	free(n->linked);
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		free(s->peers);
		free(s->peer_id);
		free(s->gid);
		free(s->gpeer);
		free(s->gms);
		mf_dc_index_free(&s->dcx);
	}
}

/*
 * routing/node_links.c — the direct links each tick reads from the pools,
 * and expiry of origins no pool shows alive (node_internal.h; contract in
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

/* --- links and expiry -------------------------------------------------------*/

struct link_acc {
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	bool configured, alive, usable;
	bool direct; /* one alive server answers our own probes directly */
	bool linked; /* in n->linked already */
	double ms;
	const struct mf_routing_node_slot *estimated_in; /* one estimate per pool */
};

/* The tick's links by DC, with a hash index (slot = index + 1, 0 empty;
 * n_slots a power of two >= 2n): a tick costs O(DCs), not O(DCs^2) string
 * compares as the linear lookups did (~10^6 per server at 1,000 DCs). */
struct accs {
	struct link_acc *v;
	size_t n, cap;
	uint32_t *slots;
	size_t n_slots;
};

static size_t acc_slot(const struct accs *l, const char *dc)
{
	size_t mask = l->n_slots - 1, i = (size_t)mf_name_hash(dc, strlen(dc)) & mask;
	while (l->slots[i] && strcmp(l->v[l->slots[i] - 1].dc, dc) != 0)
		i = (i + 1) & mask;
	return i;
}

static struct link_acc *acc_find(const struct accs *l, const char *dc)
{
	if (l->n_slots == 0)
		return NULL;
	uint32_t k = l->slots[acc_slot(l, dc)];
	return k ? &l->v[k - 1] : NULL;
}

static int acc_rehash(struct accs *l, size_t n_slots)
{
	uint32_t *s = calloc(n_slots, sizeof(*s));
	if (!s)
		return MF_ENOMEM;
	free(l->slots);
	l->slots = s;
	l->n_slots = n_slots;
	for (size_t i = 0; i < l->n; i++)
		l->slots[acc_slot(l, l->v[i].dc)] = (uint32_t)(i + 1);
	return 0;
}

static struct link_acc *acc_get(struct accs *l, const char *dc)
{
	struct link_acc *e = acc_find(l, dc);
	if (e)
		return e;
	if (2 * (l->n + 1) > l->n_slots && acc_rehash(l, l->n_slots ? 2 * l->n_slots : 64) < 0)
		return NULL;
	if (mf_grow(&l->v, &l->cap, l->n + 1, 16) < 0)
		return NULL;
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->dc, sizeof(e->dc), "%s", dc);
	e->ms = INFINITY;
	l->slots[acc_slot(l, dc)] = (uint32_t)l->n;
	return e;
}

static bool in_peers(const struct mf_routing_node_slot *s, const char *dc)
{
	if (s->n_peers == 0)
		return true;
	for (size_t i = 0; i < s->n_peers; i++)
		if (strcmp(s->peers[i], dc) == 0)
			return true;
	return false;
}

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
		if ((cm->status != MF_MEMBER_ALIVE && cm->status != MF_MEMBER_SUSPECT) ||
		    strcmp(cm->name, s->node->name) == 0)
			continue;
		if (mf_pool_member_find(s->pool, cm->name, &pm) == 0 &&
		    pm.direct_misses < MF_ROUTING_NODE_DIRECT_MISSES)
			return true;
	}
	return false;
}

static void gather_pool(struct mf_routing_node *n, struct mf_routing_node_slot *s, struct accs *l)
{
	if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0)
		return;
	for (size_t k = 0; k < s->n_peers; k++) {
		struct link_acc *e;
		if (strcmp(s->peers[k], n->dc) != 0 && (e = acc_get(l, s->peers[k])))
			e->configured = true;
	}
	/* DCs with members other than us in this pool, in the pool's name
	 * order of their first such member, each estimated once. */
	for (size_t i = 0; i < s->dcx.n_groups; i++) {
		const struct mf_dc_group *g = &s->dcx.groups[s->dcx.order[i]];
		if (g->n_others == 0 || strcmp(g->dc, n->dc) == 0)
			continue;
		struct link_acc *e = acc_get(l, g->dc);
		if (!e)
			continue;
		if (in_peers(s, g->dc))
			e->configured = true;
		if (g->n_others_alive == 0)
			continue;
		e->alive = true; /* for expiry, whatever the peers list says */
		if (in_peers(s, g->dc) && directly_reached(s, g))
			e->direct = true;
		if (!in_peers(s, g->dc) || e->estimated_in == s)
			continue;
		e->estimated_in = s;
		double sec;
		if (s->tracker &&
		    mf_coord_tracker_dc_rtt(s->tracker, s->dcx.mem + g->start, g->n, g->dc,
					    n->link_estimate, &sec) == 0 &&
		    isfinite(sec) && sec >= 0 && sec * 1000.0 < e->ms) {
			e->ms = sec * 1000.0;
			e->usable = true;
		}
	}
}

void mf_rn__update_links(struct mf_routing_node *n)
{
	struct accs l = {0};
	for (size_t i = 0; i < n->n_slots; i++)
		gather_pool(n, &n->slots[i], &l);
	/* Links that vanished (an area member reaped, a WAN DC forgotten). */
	for (size_t i = 0; i < n->n_linked;) {
		struct link_acc *e = acc_find(&l, n->linked[i]);
		if (e && e->configured) {
			e->linked = true;
			i++;
			continue;
		}
		(void)mf_routing_set_link(n->engine, n->linked[i], false, false, 0);
		free(n->linked[i]);
		n->linked[i] = n->linked[--n->n_linked];
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct link_acc *e = &l.v[i];
		if (!e->configured)
			continue;
		bool usable = e->usable && e->direct;
		(void)mf_routing_set_link(n->engine, e->dc, true, usable, usable ? e->ms : 0);
		if (!e->linked && n->n_linked < 65536) {
			if (mf_grow(&n->linked, &n->cap_linked, n->n_linked + 1, 8) < 0)
				continue;
			if ((n->linked[n->n_linked] = strdup(e->dc)))
				n->n_linked++;
		}
	}
	/* Expiry: origins with no alive server in any pool. */
	for (size_t i = 0; i < n->n_stored;) {
		const struct link_acc *e = acc_find(&l, n->stored[i].origin);
		if (e && e->alive) {
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
	free(l.v);
	free(l.slots);
}

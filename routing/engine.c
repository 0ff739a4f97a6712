/*
 * routing/engine.c — path-vector route computation for one DC.
 *
 * Why path vector: plain distance vectors count to infinity when a DC
 * disappears (each neighbour believes the other still reaches it). Carrying
 * the full DC path with every advertised distance lets a DC drop any route
 * that already contains itself, which removes every loop, including the
 * two-node ping-pong, at the cost of a few bytes per route. Paths are kept
 * as arrays of interned DC ids (routing/names.h) and the "contains me" test
 * is done once per received route, when the advertisement is stored, so a
 * recompute is a tight loop of additions: for a full mesh of 1,000 DCs,
 * about 1M candidate relaxations.
 *
 * Loop order: for each neighbour n, for each route n advertises, relax the
 * target's best candidate. That walks every advertisement sequentially
 * (cache-friendly) instead of visiting 1,000 advertisements per target.
 *
 * Path vectors still "hunt" when a destination disappears: neighbours fall
 * back on each other's stale, ever longer paths for ~0.6 rounds per DC.
 * Epochs and tombstones (raise_dead, engine_adverts.c; docs/routing.md) cut that to
 * about a diameter when a DC dies: routes to a dead incarnation are dropped
 * wherever the tombstone arrives, and a live DC refutes one about itself.
 *
 * Loop-free alternates (engine.h) are a second walk over the same
 * advertisements once every route is chosen: the LFA condition needs the
 * chosen distance, which hysteresis may hold above the best candidate's,
 * so it cannot ride in the first walk. Per target only the limit, the
 * primary next hop and the distance an offer must beat are read, so most
 * entries cost one comparison; the walk still streams every advertised
 * route again, which about doubles a full-mesh recompute.
 *
 * Gateways are kept per sending server and merged into a per-DC union
 * (pointers into the servers' entries, rebuilt when one changes), because
 * only the DC's newest advertisement counts for routes while every server
 * may have gateways of its own.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/name_hash.h"
#include "routing/engine_internal.h"

/* --- helpers ------------------------------------------------------------ */

int mf_rt__grow(void **p, size_t elem, size_t old_n, size_t new_n)
{
	void *q = realloc(*p, elem * new_n);
	if (!q)
		return MF_ENOMEM;
	memset((char *)q + elem * old_n, 0, elem * (new_n - old_n));
	*p = q;
	return 0;
}

void mf_rt__route_init(struct rt_route *rt)
{
	memset(rt, 0, sizeof *rt);
	rt->status = MF_ROUTE_UNREACHABLE;
	rt->nh = NONE;
	rt->dist = INFINITY;
}

/* The arrays indexed by DC id, grown together (ensure_cap) and freed
 * together: the field's offset in struct mf_routing, its element size and
 * whether it holds max_alt elements per id. */
struct per_id {
	size_t off, elem;
	bool per_alt;
};
#define PER_ID(f, alt) {offsetof(struct mf_routing, f), sizeof *((struct mf_routing *)0)->f, alt}
static const struct per_id PER_ID_ARRAYS[] = {
	PER_ID(mode_ovr, false), PER_ID(link, false), PER_ID(orig, false),
	PER_ID(cur.r, false), PER_ID(next.r, false), PER_ID(snap.r, false),
	PER_ID(best_d, false), PER_ID(via_cur_d, false), PER_ID(via_ref_d, false),
	PER_ID(via_ref_entry, false), PER_ID(ref_nh, false), PER_ID(best_nh, false),
	PER_ID(best_entry, false), PER_ID(via_cur_entry, false), PER_ID(cur_nh, false),
	PER_ID(better_since, false), PER_ID(nh_at, false), PER_ID(held, false),
	PER_ID(alive_from, false), PER_ID(beat, false), PER_ID(beat_at, false),
	PER_ID(stamp, false), PER_ID(target_mark, false),
	PER_ID(rank, false), PER_ID(alt_nh, true), PER_ID(alt_d, true),
	PER_ID(alt_cnt, false), PER_ID(alt_lim, false), PER_ID(alt_worst, false),
	PER_ID(alt_primary, false), PER_ID(ref_dist, false),
	PER_ID(t_dirty, false), PER_ID(was_stale, false), PER_ID(dirty_list, false),
	PER_ID(chosen_entry, false), PER_ID(nbr, false), PER_ID(hurry, false),
	PER_ID(fd_epoch, false), PER_ID(fd_dist, false), PER_ID(gone_at, false),
	PER_ID(want, false), PER_ID(req_epoch, false), PER_ID(req_at, false),
	PER_ID(req_to, false), PER_ID(req_hops, false), PER_ID(unf_d, false),
	PER_ID(unf_nh, false), PER_ID(unf_since, false), PER_ID(fw_epoch, false),
	PER_ID(fw_dist, false), PER_ID(mate_epoch, false), PER_ID(mate_dist, false),
	PER_ID(pair_node, false), PER_ID(other_at, false), PER_ID(pair_dst, false),
	PER_ID(other_dst, false), PER_ID(pair_nh, false), PER_ID(keep_e, false),
	PER_ID(lost_at, false), PER_ID(keep_d, false), PER_ID(keep_nh, false),
	PER_ID(lost_ask, false), PER_ID(ask_at, false),
};
#define N_PER_ID (sizeof PER_ID_ARRAYS / sizeof PER_ID_ARRAYS[0])

static void **per_id_field(struct mf_routing *r, size_t k)
{
	return (void **)((char *)r + PER_ID_ARRAYS[k].off);
}

/* Makes every per-id array hold at least n ids. */
static int ensure_cap(struct mf_routing *r, uint32_t n)
{
	if (n <= r->cap)
		return 0;
	uint32_t cap = r->cap ? r->cap : 16;
	while (cap < n)
		cap *= 2;
	int rc = 0;
	size_t alts = r->cfg.max_alternates ? r->cfg.max_alternates : 1;
	for (size_t k = 0; k < N_PER_ID; k++)
		rc |= mf_rt__grow(per_id_field(r, k), PER_ID_ARRAYS[k].elem * (PER_ID_ARRAYS[k].per_alt ? alts : 1),
			   r->cap, cap);
	if (rc)
		return MF_ENOMEM; /* arrays that grew stay valid; cap unchanged */
	for (uint32_t i = r->cap; i < cap; i++) {
		r->ref_nh[i] = NONE;
		r->ref_dist[i] = NAN;
		r->better_since[i] = NO_SINCE;
		r->nh_at[i] = NO_SINCE;
		r->fd_dist[i] = r->fw_dist[i] = r->mate_dist[i] = INFINITY;
		r->gone_at[i] = NO_SINCE;
		r->req_at[i] = NO_SINCE;
		r->unf_since[i] = NO_SINCE;
		r->req_to[i] = NONE;
		r->unf_d[i] = INFINITY;
		r->unf_nh[i] = NONE;
		r->pair_nh[i] = NONE;
		r->other_dst[i] = NAN;
		r->keep_nh[i] = NONE;
		r->lost_at[i] = NO_SINCE;
		r->orig[i].to_self = NAN;
		mf_rt__route_init(&r->cur.r[i]);
		mf_rt__route_init(&r->next.r[i]);
		mf_rt__route_init(&r->snap.r[i]);
	}
	r->cap = cap;
	return 0;
}

int mf_rt__intern(struct mf_routing *r, const char *name, uint32_t *id)
{
	if (r->names.n >= r->cfg.max_datacenters && mf_rt_names_find(&r->names, name, strlen(name), id) < 0)
		return MF_ETOOBIG;
	int rc = mf_rt_names_intern(&r->names, name, strlen(name), id);
	if (rc < 0)
		return rc;
	return ensure_cap(r, r->names.n);
}

/* A fresh mark value for a stamp array; wraps by clearing the array. */
uint32_t mf_rt__next_mark(uint32_t *stamp, uint32_t *gen, uint32_t cap)
{
	if (++*gen == 0) {
		memset(stamp, 0, cap * sizeof *stamp);
		*gen = 1;
	}
	return *gen;
}

void mf_rt__origin_clear(struct rt_origin *o)
{
	o->n_e = 0;
	o->n_pos = 0;
	o->n_path = 0;
	o->to_self = NAN;
	o->present = false;
}

void mf_rt__gateways_free(struct mf_gateway *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mf_gateway_free(&g[i]);
	free(g);
}

void mf_rt__gwsrc_free(struct rt_gwsrc *s)
{
	free(s->node);
	mf_rt__gateways_free(s->gws, s->n_gws);
	memset(s, 0, sizeof *s);
}

/* --- lifecycle and inputs ----------------------------------------------- */

void mf_routing_config_default(struct mf_routing_config *c)
{
	memset(c, 0, sizeof *c);
	c->default_mode = MF_MODE_MULTI_HOP;
	c->transit = true;
	c->hysteresis_pct = 10;
	c->hysteresis_ms = 5;
	c->readvertise_pct = 5;
	c->readvertise_ms = 2;
	c->settle_pct = 2;
	c->settle_ms = 1;
	c->epoch = 1;
	c->max_alternates = MF_ROUTING_ALTERNATES_DEFAULT;
	c->max_datacenters = MF_ROUTING_MAX_DATACENTERS;
}

int mf_routing_new(const struct mf_routing_config *c, struct mf_routing **out)
{
	*out = NULL;
	if (!c->datacenter || !c->node || !*c->node || strlen(c->node) > MF_ADVERT_STR_MAX ||
	    !(c->hysteresis_pct >= 0) || !(c->hysteresis_ms >= 0) || !(c->readvertise_pct >= 0) ||
	    !(c->readvertise_ms >= 0) || !(c->settle_pct >= 0) || !(c->settle_ms >= 0) ||
	    !(c->nh_hold_pct >= 0) ||
	    c->default_mode > MF_MODE_SINGLE_HOP ||
	    c->max_alternates > MF_ROUTING_ALTERNATES_MAX)
		return MF_EINVAL;
	struct mf_routing *r = calloc(1, sizeof *r);
	if (!r)
		return MF_ENOMEM;
	mf_rt_names_init(&r->names);
	r->node = strdup(c->node);
	r->cfg = *c;
	r->cfg.datacenter = r->cfg.node = NULL; /* the caller's strings */
	if (!r->cfg.max_datacenters)
		r->cfg.max_datacenters = MF_ROUTING_MAX_DATACENTERS;
	r->default_mode = c->default_mode;
	r->transit = c->transit;
	r->next_settle = UINT64_MAX;
	r->seq = r->seq_floor = c->initial_seq;
	r->epoch = r->fe_self = c->epoch;
	r->fe_self_at = NO_SINCE;
	r->next_expiry = UINT64_MAX;
	r->next_forget = UINT64_MAX;
	r->next_request = UINT64_MAX;
	r->links_dirty = true;
	int rc = r->node ? mf_rt__intern(r, c->datacenter, &r->self) : MF_ENOMEM;
	if (rc < 0) {
		mf_routing_free(r);
		return rc == MF_ENOMEM ? rc : MF_EINVAL;
	}
	*out = r;
	return 0;
}

void mf_routing_free(struct mf_routing *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->cap; i++) {
		mf_rt__origin_clear(&r->orig[i]);
		free(r->orig[i].e);
		free(r->orig[i].tgt);
		free(r->orig[i].dst);
		free(r->orig[i].path);
		free(r->orig[i].node);
		free(r->orig[i].hint);
		free(r->orig[i].pos);
		free(r->orig[i].hop1);
		for (uint32_t k = 0; k < r->orig[i].n_src; k++)
			mf_rt__gwsrc_free(&r->orig[i].src[k]);
		free(r->orig[i].src);
		free(r->orig[i].ugw);
	}
	mf_rt__gateways_free(r->gws, r->n_gws);
	struct rt_routes *t[] = {&r->cur, &r->next, &r->snap};
	for (size_t i = 0; i < 3; i++) {
		free(t[i]->path);
		free(t[i]->alt);
	}
	for (size_t k = 0; k < N_PER_ID; k++)
		free(*per_id_field(r, k));
	free(r->ref_node);
	free(r->node);
	free(r->links_out);
	free(r->hop1_tmp);
	mf_rt_names_free(&r->names);
	mf_beat_names_free(&r->beat_names);
	free(r);
}

int mf_routing_set_mode(struct mf_routing *r, const char *target, enum mf_route_mode mode)
{
	uint32_t id;
	if (!target || mode > MF_MODE_SINGLE_HOP)
		return MF_EINVAL;
	int rc = mf_rt__intern(r, target, &id);
	if (rc < 0)
		return rc;
	r->mode_ovr[id] = (uint8_t)(1 + mode);
	mf_rt__mark_all(r);
	return 0;
}

int mf_routing_set_policy(struct mf_routing *r, enum mf_route_mode default_mode, bool transit)
{
	if (default_mode > MF_MODE_SINGLE_HOP)
		return MF_EINVAL;
	r->readvertise |= r->transit != transit;
	r->default_mode = default_mode;
	r->transit = transit;
	memset(r->mode_ovr, 0, r->names.n * sizeof *r->mode_ovr);
	mf_rt__mark_all(r);
	return 0;
}

int mf_routing_dc_id(struct mf_routing *r, const char *dc, uint32_t *id)
{
	if (!dc)
		return MF_EINVAL;
	return mf_rt__intern(r, dc, id);
}

int mf_routing_find_id(const struct mf_routing *r, const char *dc, uint32_t *id)
{
	return dc ? mf_rt_names_find(&r->names, dc, strlen(dc), id) : MF_EINVAL;
}

int mf_routing_set_link_id(struct mf_routing *r, uint32_t id, bool configured, bool usable,
			   double distance_ms)
{
	if (id >= r->names.n || id == r->self ||
	    (usable && !(isfinite(distance_ms) && distance_ms >= 0)) || (usable && !configured))
		return MF_EINVAL;
	struct rt_link nl = {configured, usable, usable ? distance_ms : INFINITY};
	struct rt_link *l = &r->link[id];
	bool changed = l->configured != nl.configured || l->usable != nl.usable ||
		       (usable && l->dist != nl.dist);
	*l = nl;
	if (changed) {
		r->links_dirty = true;
		mf_rt__moved_all(r, id); /* the direct route and every one through id */
	}
	return changed ? 1 : 0;
}

int mf_routing_set_link(struct mf_routing *r, const char *dc, bool configured, bool usable,
			double distance_ms)
{
	uint32_t id;
	if (!dc || (usable && !(isfinite(distance_ms) && distance_ms >= 0)) || (usable && !configured))
		return MF_EINVAL;
	int rc = mf_rt__intern(r, dc, &id);
	if (rc < 0)
		return rc;
	return mf_routing_set_link_id(r, id, configured, usable, distance_ms);
}

int mf_routing_set_gateways(struct mf_routing *r, const struct mf_gateway *g, size_t n)
{
	struct mf_gateway *copy;
	if (n > MF_ADVERT_GATEWAYS_MAX || (n && !g))
		return MF_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!mf_gateway_valid(&g[i]))
			return MF_EINVAL;
		for (size_t k = 0; k < i; k++)
			if (strcmp(g[k].name, g[i].name) == 0)
				return MF_EINVAL;
	}
	if (mf_gateways_equal(r->gws, r->n_gws, g, n))
		return 0;
	int rc = mf_gateways_copy(g, n, &copy);
	if (rc < 0)
		return rc;
	mf_rt__gateways_free(r->gws, r->n_gws);
	r->gws = copy;
	r->n_gws = n;
	r->snap.n = 0; /* forces a new advertisement seq at the next recompute */
	r->dirty = true;
	return 1;
}

/* Small reads of the engine's counters and configuration. */
const struct mf_routing_stats *mf_routing_stats(const struct mf_routing *r)
{
	return &r->stats;
}

size_t mf_routing_held(const struct mf_routing *r)
{
	size_t held = 0;
	for (uint32_t t = 0; r->cfg.nh_hold && t < r->names.n; t++)
		held += r->held[t];
	return held;
}

uint64_t mf_routing_version(const struct mf_routing *r)
{
	return r->version;
}

uint64_t mf_routing_advert_seq(const struct mf_routing *r)
{
	return r->seq;
}

void mf_routing_readvertise_margin(const struct mf_routing *r, double *pct, double *ms)
{
	*pct = r->cfg.readvertise_pct;
	*ms = r->cfg.readvertise_ms;
}

/* The caller's clock (engine.h): starts freshness, beats our epoch when
 * due, and marks a recompute when a timer is due. */
void mf_routing_set_now(struct mf_routing *r, uint64_t now)
{
	if (!r->clocked) {
		/* Routes held before the clock started are as fresh as now. */
		for (uint32_t t = 0; t < r->names.n; t++)
			r->beat_at[t] = now;
		r->last_beat = r->snap_at = r->epoch_at = now;
		r->clocked = true;
		mf_rt__mark_all(r);
	}
	r->now = now;
	if (r->cfg.beat_interval && now - r->last_beat >= r->cfg.beat_interval) {
		r->last_beat = r->epoch_at = now;
		r->epoch++;
		mf_rt__mark(r, r->self);
	}
	if (r->cfg.ask_age && now >= r->next_ask)
		mf_rt__mark_asks(r);
	if (now >= r->next_expiry || now >= r->next_settle || now >= r->next_forget || now >= r->next_request ||
	    (r->epochs_pending && now - r->snap_at >= r->cfg.epoch_interval) ||
	    (r->dist_pending && now - r->snap_at >= r->cfg.readvertise_interval) ||
	    (r->paths_pending && now - r->snap_at >= r->cfg.path_wait))
		r->dirty = true;
}

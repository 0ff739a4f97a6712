/*
 * routing/engine_incr.c — which targets an input change touches, so that
 * mf_routing_recompute redoes only those (engine_internal.h; contract in
 * engine.h).
 *
 * Why: at 500 DCs x 3 servers in areas, every server recomputed
 * neighbours x DCs candidates (and walked them again for alternates) at
 * nearly every tick, for a link estimate or an advertisement that moved a
 * handful of routes. A target's route depends only on its own candidates
 * (the direct link, each usable neighbour's route to it), its freshness,
 * its settle timer, the DC's shared choice for it and the route in use; so
 * a change marks the targets whose result it can move and the rest keep
 * their route (with its epoch read afresh: beats raise epochs in place).
 *
 * A neighbour h's candidate for target t moving (mf_rt__moved) can move
 * t's route only when h was part of it (the best, the route in use, the
 * shared choice, an alternate) or the new candidate could be: no longer
 * than the best, or than the worst alternate held. Everything else keeps
 * the result a full pass would give, which tests/routing/test_incremental.c
 * checks against one on random event sequences.
 */
#include <math.h>
#include <string.h>

#include "gossip/grow.h"
#include "routing/engine_internal.h"

void mf_rt__mark(struct mf_routing *r, uint32_t t)
{
	r->dirty = true; /* also for a target already marked: one carried over
			  * from the last recompute does not make a recompute
			  * happen by itself, as a full pass would not */
	if (t >= r->cap || r->t_dirty[t])
		return;
	r->t_dirty[t] = 1;
	r->dirty_list[r->n_dirty++] = t;
}

void mf_rt__mark_all(struct mf_routing *r)
{
	r->all_dirty = true;
	r->dirty = true;
}

double mf_rt__candidate(const struct mf_routing *r, uint32_t h, double dst)
{
	return mf_rt__usable_neighbour(r, h) ? r->link[h].dist + dst : INFINITY;
}

static bool is_alternate(const struct mf_routing *r, uint32_t t, uint32_t h)
{
	const uint32_t *nh = r->alt_nh + (size_t)t * r->cfg.max_alternates;
	for (uint32_t k = 0; k < r->alt_cnt[t]; k++)
		if (nh[k] == h)
			return true;
	return false;
}

void mf_rt__moved(struct mf_routing *r, uint32_t h, uint32_t t, double c)
{
	if (r->all_dirty || t >= r->cap || r->t_dirty[t])
		return;
	if (t >= r->cur.n) {
		mf_rt__mark(r, t);
		return;
	}
	bool involved = r->best_nh[t] == h || r->cur.r[t].nh == h || r->ref_nh[t] == h ||
			(r->cfg.max_alternates && is_alternate(r, t, h));
	bool could = isfinite(c) && (c <= r->best_d[t] || (r->cfg.max_alternates && c <= r->alt_worst[t]));
	if (involved || could)
		mf_rt__mark(r, t);
}

/* Every route h advertises moved (its link, its usability, its distance
 * back to us). */
void mf_rt__moved_all(struct mf_routing *r, uint32_t h)
{
	const struct rt_origin *o = &r->orig[h];
	mf_rt__mark(r, h);
	if (r->all_dirty || !o->present)
		return;
	for (uint32_t i = 0; i < o->n_e; i++)
		mf_rt__moved(r, h, o->tgt[i], mf_rt__candidate(r, h, o->dst[i]));
}

static bool same_path(const struct rt_entry *a, const uint16_t *pa, const struct rt_entry *b,
		      const uint16_t *pb)
{
	return a->path_len == b->path_len &&
	       memcmp(pa + a->path_off, pb + b->path_off, a->path_len * sizeof *pa) == 0;
}

static bool one_hop(const struct mf_routing *r, const struct rt_entry *e)
{
	return e->path_len == 2 && e->target != r->self;
}

/* Origin org's one-hop routes into its hop1 (engine_internal.h); true when
 * they are not the links it listed before (old_e, indexed by the old
 * hop1), in order: what mf_routing_table() lists of them. Out of memory,
 * hop1 is marked unknown (UINT32_MAX) and take_links() walks e[]. hop1
 * is left as it was while o is not present (mf_rt__origin_clear): old_n
 * is 0 then. */
static bool take_hop1(struct mf_routing *r, struct rt_origin *org, const struct rt_entry *old_e,
		      uint32_t old_n)
{
	uint32_t n = 0;
	if (mf_grow_u32(&r->hop1_tmp, &r->cap_hop1_tmp, org->n_e ? org->n_e : 1, 16) < 0) {
		org->n_hop1 = UINT32_MAX;
		return true;
	}
	for (uint32_t k = 0; k < org->n_e; k++)
		if (one_hop(r, &org->e[k]))
			r->hop1_tmp[n++] = k;
	uint32_t was = old_n ? org->n_hop1 : 0; /* none while not present */
	bool same = was == n;
	for (uint32_t i = 0; same && was != UINT32_MAX && i < n; i++) {
		const struct rt_entry *a = &old_e[org->hop1[i]], *b = &org->e[r->hop1_tmp[i]];
		same = a->target == b->target && a->dist == b->dist;
	}
	if (was == UINT32_MAX) { /* unknown before: compare by walking */
		same = true;
		uint32_t j = 0;
		for (uint32_t i = 0; i < old_n && same; i++) {
			if (!one_hop(r, &old_e[i]))
				continue;
			const struct rt_entry *b = j < n ? &org->e[r->hop1_tmp[j++]] : NULL;
			same = b && old_e[i].target == b->target && old_e[i].dist == b->dist;
		}
		same = same && j == n;
	}
	uint32_t *t = org->hop1, c = org->cap_hop1;
	org->hop1 = r->hop1_tmp;
	org->cap_hop1 = r->cap_hop1_tmp;
	org->n_hop1 = n;
	r->hop1_tmp = t;
	r->cap_hop1_tmp = c;
	return !same;
}

/* Origin o's advertisement was replaced (old_*: what it held before, old_n
 * routes, old_pos their target index): marks the targets whose candidate
 * through o moved, vanished or appeared, or whose entry index changed (a
 * route in use reads its epoch there). */
void mf_rt__origin_replaced(struct mf_routing *r, uint32_t o, bool was_usable, double was_to_self,
			    const uint32_t *old_tgt, const double *old_dst, const struct rt_entry *old_e,
			    const uint16_t *old_path, uint32_t old_n, const uint32_t *old_pos,
			    uint32_t old_n_pos)
{
	struct rt_origin *org = &r->orig[o];
	bool now_usable = mf_rt__usable_neighbour(r, o);
	mf_rt__mark(r, o); /* present may have changed (no-gateway status) */
	if (take_hop1(r, org, old_e, old_n))
		r->links_dirty = true;
	if (r->all_dirty || (!was_usable && !now_usable))
		return; /* no candidate through o before or now */
	bool all = was_usable != now_usable ||
		   !(was_to_self == org->to_self || (isnan(was_to_self) && isnan(org->to_self)));
	for (uint32_t j = 0; j < old_n; j++) {
		uint32_t t = old_tgt[j];
		uint32_t k = t < org->n_pos ? org->pos[t] : NONE;
		if (k == NONE)
			mf_rt__moved(r, o, t, INFINITY);
		else if (all || k != j || old_dst[j] != org->dst[k] ||
			 (r->cfg.feasibility_hold && mf_rt__fepoch(&old_e[j]) != mf_rt__fepoch(&org->e[k])) ||
			 !same_path(&old_e[j], old_path, &org->e[k], org->path))
			mf_rt__moved(r, o, t, mf_rt__candidate(r, o, org->dst[k]));
	}
	for (uint32_t k = 0; k < org->n_e; k++) {
		uint32_t t = org->tgt[k];
		if (t >= old_n_pos || old_pos[t] == NONE)
			mf_rt__moved(r, o, t, mf_rt__candidate(r, o, org->dst[k]));
	}
}

/* Targets whose settle timer or next-hop hold ran out, or whose freshness
 * flipped, since they were last computed (time moves them, not an input). */
void mf_rt__timers(struct mf_routing *r, uint32_t n)
{
	bool settle = r->cfg.settle_time && r->clocked, age = r->cfg.max_age && r->clocked;
	for (uint32_t t = 0; r->cfg.nh_hold && r->clocked && t < n; t++)
		if (r->held[t] && r->now - r->nh_at[t] >= r->cfg.nh_hold) {
			r->held[t] = 0;
			mf_rt__mark(r, t);
		}
	for (uint32_t t = 0; (settle || age) && t < n; t++) {
		if (settle && r->better_since[t] != NO_SINCE && r->now - r->better_since[t] >= r->cfg.settle_time)
			mf_rt__mark(r, t);
		if (age) {
			uint8_t s = mf_rt__stale(r, t);
			if (s != r->was_stale[t]) {
				r->was_stale[t] = s;
				r->stats.went_stale += s && t != r->self;
				mf_rt__mark(r, t);
			}
		}
	}
}

void mf_routing_set_recompute_mode(struct mf_routing *r, enum mf_routing_recompute_mode m)
{
	r->recompute_mode = (uint8_t)m;
	mf_rt__mark_all(r);
}

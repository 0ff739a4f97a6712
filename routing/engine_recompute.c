/*
 * routing/engine_recompute.c — the recompute: candidates, hysteresis and
 * settling, alternates, the advertised snapshot (engine_internal.h;
 * contract in engine.h).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "routing/engine_internal.h"

/* --- recompute ---------------------------------------------------------- */

static bool name_before(const struct mf_routing *r, uint32_t a, uint32_t b)
{
	return b == NONE || r->rank[a] < r->rank[b];
}

/* qsort has no context argument in C11: sort (name, id) pairs instead. */
struct named_id {
	const char *name;
	uint32_t id;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named_id *)a)->name, ((const struct named_id *)b)->name);
}

/* Ranks ids by name so ties compare two integers; redone only when names
 * were added since (then every tie may break otherwise: all targets are
 * recomputed). */
static int rank_names(struct mf_routing *r, uint32_t n)
{
	if (r->n_ranked == n)
		return 0;
	mf_rt__mark_all(r);
	struct named_id *v = malloc(n * sizeof *v);
	if (!v)
		return MF_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		v[i] = (struct named_id){r->names.names[i], i};
	qsort(v, n, sizeof *v, cmp_named);
	for (uint32_t i = 0; i < n; i++)
		r->rank[v[i].id] = i;
	free(v);
	r->n_ranked = n;
	return 0;
}

/* Hysteresis: does `best` (distance nd) replace the route in use (cd)? */
static bool worth_switching(const struct mf_routing *r, double cd, double nd)
{
	double gain = cd - nd;
	return gain > cd * r->cfg.hysteresis_pct / 100.0 && gain > r->cfg.hysteresis_ms;
}

/* Whether hysteresis gives up the route it keeps for target t (distance
 * kd) to the best candidate (bd): once the best has been shorter by the
 * settle margin at every recompute for settle_time, the kept route is
 * shown worse by measurement, not by one noisy sample (docs/routing.md,
 * "Hysteresis"). Starts or clears t's timer. */
static bool settled(struct mf_routing *r, uint32_t t, double kd, double bd)
{
	double gain = kd - bd;
	if (!r->cfg.settle_time || !r->clocked ||
	    !(gain > kd * r->cfg.settle_pct / 100.0 && gain > r->cfg.settle_ms)) {
		r->better_since[t] = NO_SINCE;
		return false;
	}
	if (r->better_since[t] == NO_SINCE)
		r->better_since[t] = r->now;
	if (r->now - r->better_since[t] >= r->cfg.settle_time) {
		r->better_since[t] = NO_SINCE;
		/* With the same inputs the next recompute would restart the timer
		 * and keep the shared choice again: t is redone then. */
		r->t_dirty[t] = 2;
		return true;
	}
	return false;
}

/* Route rt's path into table t: self (unless NONE), then the n ids at p,
 * `width` bytes each: 4 as tables hold them, 2 as stored advertisements
 * do. A width, not a second pointer that may be NULL: gcc -O3 took that
 * NULL into a memcpy and failed the build. */
static int put_path_ids(struct rt_routes *t, struct rt_route *rt, const void *p, size_t width,
			uint32_t n, uint32_t self)
{
	uint32_t extra = self != NONE ? 1 : 0;
	if (mf_grow_u32(&t->path, &t->cap_path, (size_t)t->n_path + n + extra, 64) < 0)
		return MF_ENOMEM;
	rt->path_off = t->n_path;
	rt->path_len = n + extra;
	if (extra)
		t->path[t->n_path++] = self;
	uint32_t *dst = t->path + t->n_path;
	for (uint32_t k = 0; k < n; k++)
		dst[k] = width == sizeof(uint16_t) ? ((const uint16_t *)p)[k] : ((const uint32_t *)p)[k];
	t->n_path += n;
	return 0;
}

static int put_path(struct rt_routes *t, struct rt_route *rt, const uint32_t *p, uint32_t n, uint32_t self)
{
	return put_path_ids(t, rt, p, sizeof *p, n, self);
}

static int put_path16(struct rt_routes *t, struct rt_route *rt, const uint16_t *p, uint32_t n, uint32_t self)
{
	return put_path_ids(t, rt, p, sizeof *p, n, self);
}

/* Epochs are not compared: they are not in the table, and with beats every
 * route's would grow the version every refresh. */
static bool same_route(const struct rt_routes *a, const struct rt_route *x, const struct rt_routes *b,
		       const struct rt_route *y)
{
	if (!(x->status == y->status && x->mode == y->mode && x->down == y->down && x->nh == y->nh &&
	      (x->dist == y->dist || (isinf(x->dist) && isinf(y->dist))) &&
	      x->path_len == y->path_len && x->n_alt == y->n_alt &&
	      memcmp(a->path + x->path_off, b->path + y->path_off, x->path_len * sizeof(uint32_t)) == 0))
		return false;
	for (uint32_t k = 0; k < x->n_alt; k++) {
		const struct rt_alt *p = &a->alt[x->alt_off + k], *q = &b->alt[y->alt_off + k];
		if (p->nh != q->nh || p->dist != q->dist)
			return false;
	}
	return true;
}

/* Target t's candidates before the neighbours': none, then the direct
 * link. */
static void relax_start(struct mf_routing *r, uint32_t t)
{
	r->best_d[t] = INFINITY;
	r->best_nh[t] = NONE;
	r->via_cur_d[t] = INFINITY;
	r->via_cur_entry[t] = NONE;
	r->via_ref_d[t] = INFINITY;
	r->via_ref_entry[t] = NONE;
	r->unf_d[t] = INFINITY;
	r->unf_nh[t] = NONE;
	r->cur_nh[t] = t < r->cur.n ? r->cur.r[t].nh : NONE;
	const struct rt_link *l = &r->link[t];
	if (t == r->self || !l->usable || (r->cfg.require_gateways && !mf_rt__has_gateways(r, t)))
		return;
	r->best_d[t] = l->dist;
	r->best_nh[t] = t;
	r->best_entry[t] = DIRECT_ENTRY;
	if (r->cur_nh[t] == t) {
		r->via_cur_d[t] = l->dist;
		r->via_cur_entry[t] = DIRECT_ENTRY;
	}
	if (r->ref_set && r->ref_nh[t] == t) {
		r->via_ref_d[t] = l->dist;
		r->via_ref_entry[t] = DIRECT_ENTRY;
	}
}

/* Neighbour h's route i to t, candidate c: the same test in the streaming
 * walk and the per-target one. The order of the offers does not matter:
 * (distance, name rank) is a strict order. */
static inline void relax_offer(struct mf_routing *r, const uint32_t *ref_nh, uint32_t h, uint32_t t,
			       uint32_t i, double c)
{
	if (r->cur_nh[t] == h && isfinite(c)) {
		r->via_cur_d[t] = c;
		r->via_cur_entry[t] = i;
	}
	if (ref_nh && ref_nh[t] == h && isfinite(c)) {
		r->via_ref_d[t] = c;
		r->via_ref_entry[t] = i;
	}
	if (c < r->best_d[t] || (c == r->best_d[t] && isfinite(c) && name_before(r, h, r->best_nh[t]))) {
		r->best_d[t] = c;
		r->best_nh[t] = h;
		r->best_entry[t] = i;
	}
}

/* Stale targets keep only their direct link: undone after the offers
 * rather than tested per entry in the hot loop. */
static void relax_stale(struct mf_routing *r, uint32_t t)
{
	if (!mf_rt__stale(r, t))
		return;
	r->unf_d[t] = INFINITY; /* no epoch of it will come */
	r->unf_nh[t] = NONE;
	if (r->via_cur_entry[t] != DIRECT_ENTRY) {
		r->via_cur_d[t] = INFINITY;
		r->via_cur_entry[t] = NONE;
	}
	if (r->via_ref_entry[t] != DIRECT_ENTRY) {
		r->via_ref_d[t] = INFINITY;
		r->via_ref_entry[t] = NONE;
	}
	if (r->best_nh[t] != NONE && r->best_entry[t] != DIRECT_ENTRY) {
		const struct rt_link *l = &r->link[t];
		bool direct = t != r->self && l->usable && !(r->cfg.require_gateways && !mf_rt__has_gateways(r, t));
		r->best_d[t] = direct ? l->dist : INFINITY;
		r->best_nh[t] = direct ? t : NONE;
		r->best_entry[t] = DIRECT_ENTRY;
	}
}

/* The index of neighbour h's route to t, NONE when it has none. */
static inline uint32_t entry_of(const struct mf_routing *r, uint32_t h, uint32_t t)
{
	const struct rt_origin *o = &r->orig[h];
	return t < o->n_pos ? o->pos[t] : NONE;
}

/* Target t alone: its candidates looked up in each usable neighbour's
 * advertisement (r->nbr, ascending); with feasibility, only the feasible
 * ones. */
static void relax_one(struct mf_routing *r, uint32_t t)
{
	const uint32_t *ref_nh = r->ref_set ? r->ref_nh : NULL;
	bool feas = mf_rt__feasibility(r);
	relax_start(r, t);
	for (uint32_t k = 0, h, i; k < r->n_nbr; k++) {
		if ((i = entry_of(r, h = r->nbr[k], t)) == NONE)
			continue;
		double c = r->link[h].dist + r->orig[h].dst[i];
		if (feas && !mf_rt__feasible(r, h, i, t) && !mf_rt__loss_keep(r, h, t, &c)) {
			/* the shortest infeasible one, for a seqno request */
			if (c < r->unf_d[t]) {
				r->unf_d[t] = c;
				r->unf_nh[t] = h;
			}
			c = INFINITY;
		}
		relax_offer(r, ref_nh, h, t, i, c);
	}
	if (r->cfg.max_age && r->clocked)
		relax_stale(r, t);
}

/* After the streaming walk, which offers every candidate: a target whose
 * best, route in use or shared choice is infeasible is done again with
 * only its feasible candidates (rare: the hot loop stays a loop of
 * additions). */
static void relax_feasible(struct mf_routing *r, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++)
		if (mf_rt__infeasible_pick(r, r->best_nh[t], r->best_entry[t], t) ||
		    mf_rt__infeasible_pick(r, r->cur_nh[t], r->via_cur_entry[t], t) ||
		    (r->ref_set && mf_rt__infeasible_pick(r, r->ref_nh[t], r->via_ref_entry[t], t)))
			relax_one(r, t);
}

/* Relaxes every candidate into best_* and, for each target, the candidate
 * through the next hop in use into via_cur_* (and the shared choice's into
 * via_ref_*), walking each advertisement sequentially. */
static void relax(struct mf_routing *r, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++)
		relax_start(r, t);
	const uint32_t *ref_nh = r->ref_set ? r->ref_nh : NULL;
	for (uint32_t h = 0; h < n; h++) {
		const struct rt_origin *o = &r->orig[h];
		if (!mf_rt__usable_neighbour(r, h))
			continue;
		const double base = r->link[h].dist;
		const uint32_t *tgt = o->tgt;
		const double *dst = o->dst;
		for (uint32_t i = 0; i < o->n_e; i++)
			relax_offer(r, ref_nh, h, tgt[i], i, base + dst[i]);
	}
	for (uint32_t t = 0; r->cfg.max_age && r->clocked && t < n; t++)
		relax_stale(r, t);
}

/* Counts why target t's next hop moves from was to nh (engine.h,
 * mf_routing_stats). */
static void count_switch(struct mf_routing *r, uint32_t t, uint32_t was, uint32_t nh, bool kept)
{
	struct mf_routing_stats *st = &r->stats;
	if (was == nh)
		return;
	if (was == NONE)
		st->nh_new++;
	else if (kept)
		st->nh_shared++;
	else if (r->cfg.hysteresis_pct == 0 && r->cfg.hysteresis_ms == 0)
		st->nh_free++;
	else if (r->via_cur_entry[t] == NONE)
		st->nh_lost++;
	else if (worth_switching(r, r->via_cur_d[t], r->best_d[t]))
		st->nh_margin++;
	else
		st->nh_settled++;
}

/* The epoch DC t's own state carried for itself (0 when none is held):
 * a direct route's, as a route through h has h's state's. */
static uint64_t direct_fepoch(const struct mf_routing *r, uint32_t t)
{
	uint32_t i = entry_of(r, t, t);
	return r->orig[t].present && i != NONE ? mf_rt__fepoch(&r->orig[t].e[i]) : 0;
}

/* Whether nh_hold keeps target t's next hop from moving to nh: it changed
 * less than nh_hold ago, the route through it is still a candidate, and
 * the best is not shorter by more than nh_hold_pct. Following the DC's
 * shared choice is never held, so a DC's servers still agree at once
 * (docs/routing.md, "Holding a next hop"). */
static bool held_back(struct mf_routing *r, uint32_t t, uint32_t nh)
{
	const struct rt_route *cur = &r->cur.r[t];
	if (!r->cfg.nh_hold || !r->clocked || cur->nh == NONE || nh == cur->nh ||
	    r->via_cur_entry[t] == NONE || r->nh_at[t] == NO_SINCE || r->now - r->nh_at[t] >= r->cfg.nh_hold ||
	    r->via_cur_d[t] - r->best_d[t] > r->via_cur_d[t] * r->cfg.nh_hold_pct / 100.0 ||
	    (r->ref_set && nh == r->ref_nh[t]))
		return false;
	r->held[t] = 1;
	r->stats.nh_held++;
	return true;
}

/* Fills next.r[t] with the chosen route for target t. */
static int choose(struct mf_routing *r, uint32_t t)
{
	struct rt_routes *nx = &r->next;
	struct rt_route *rt = &nx->r[t];
	mf_rt__route_init(rt);
	r->held[t] = 0;
	if (t == r->self) {
		rt->status = MF_ROUTE_LOCAL;
		rt->dist = 0;
		rt->epoch = r->epoch;
		rt->fepoch = mf_rt__self_fepoch(r);
		rt->mode = r->default_mode;
		return put_path(nx, rt, &r->self, 1, NONE);
	}
	rt->mode = r->mode_ovr[t] ? (uint8_t)(r->mode_ovr[t] - 1) : (uint8_t)r->default_mode;
	const struct rt_link *l = &r->link[t];
	/* A DC we know (a neighbour) to have no gateway cannot take traffic. */
	if (r->cfg.require_gateways && !mf_rt__has_gateways(r, t) && (l->usable || r->orig[t].present)) {
		rt->status = MF_ROUTE_NO_GATEWAY;
		return 0;
	}
	if (rt->mode == MF_MODE_SINGLE_HOP && l->configured) {
		rt->status = MF_ROUTE_DIRECT;
		rt->nh = t;
		rt->epoch = r->orig[t].self_epoch;
		rt->fepoch = direct_fepoch(r, t);
		rt->down = !l->usable;
		rt->dist = l->usable ? l->dist : INFINITY;
		return put_path(nx, rt, &t, 1, r->self);
	}
	uint32_t nh = r->best_nh[t], ei = r->best_entry[t];
	double d = r->best_d[t];
	const struct rt_route *cur = &r->cur.r[t];
	bool hysteresis = r->cfg.hysteresis_pct != 0 || r->cfg.hysteresis_ms != 0;
	/* The DC's shared choice first, then our own route in use, each kept
	 * while the best is not shorter by the margin. Our own comes second so
	 * two servers whose measurements differ by more than the margin settle
	 * on different routes instead of taking turns at overriding each other. */
	bool kept = false;
	if (hysteresis && r->ref_set && r->ref_nh[t] != NONE &&
	    r->via_ref_entry[t] != NONE && !worth_switching(r, r->via_ref_d[t], d)) {
		kept = !settled(r, t, r->via_ref_d[t], d);
		if (kept) {
			nh = r->ref_nh[t];
			ei = r->via_ref_entry[t];
			d = r->via_ref_d[t];
		}
	} else if (hysteresis && cur->nh != NONE && cur->nh != nh && r->via_cur_entry[t] != NONE &&
		   !worth_switching(r, r->via_cur_d[t], d)) {
		kept = !settled(r, t, r->via_cur_d[t], d);
		if (kept) {
			nh = cur->nh;
			ei = r->via_cur_entry[t];
			d = r->via_cur_d[t];
		}
	}
	if (held_back(r, t, nh)) {
		nh = cur->nh;
		ei = r->via_cur_entry[t];
		d = r->via_cur_d[t];
		kept = true;
	}
	if (!kept)
		r->better_since[t] = NO_SINCE;
	mf_rt__maybe_request(r, t, nh, ei, d);
	if (nh == NONE)
		return 0; /* unreachable */
	count_switch(r, t, cur->nh, nh, kept);
	/* A hold starts at a move between next hops, not at a first route: the
	 * first is kept from coordinates, the move is what noise repeats. */
	if (cur->nh != nh && cur->nh != NONE && r->clocked)
		r->nh_at[t] = r->now;
	rt->nh = nh;
	rt->dist = d;
	if (ei == DIRECT_ENTRY) {
		rt->status = MF_ROUTE_DIRECT;
		rt->epoch = r->orig[t].self_epoch;
		rt->fepoch = direct_fepoch(r, t);
		return put_path(nx, rt, &t, 1, r->self);
	}
	const struct rt_origin *o = &r->orig[nh];
	const struct rt_entry *e = &o->e[ei];
	rt->status = MF_ROUTE_VIA;
	rt->epoch = e->epoch;
	rt->fepoch = mf_rt__fepoch(e);
	r->chosen_entry[t] = ei;
	mf_rt__feasibility_chosen(r, t, rt);
	return put_path16(nx, rt, o->path + e->path_off, e->path_len, r->self);
}

/* Target t's route in use, kept: none of its inputs moved. Its epoch is
 * read afresh, as choose() would (beats raise epochs in place). */
static int keep_route(struct mf_routing *r, uint32_t t)
{
	const struct rt_route *c = &r->cur.r[t];
	struct rt_route *rt = &r->next.r[t];
	*rt = *c;
	if (rt->status == MF_ROUTE_LOCAL) {
		rt->epoch = r->epoch;
		rt->fepoch = mf_rt__self_fepoch(r);
	} else if (rt->status == MF_ROUTE_DIRECT) {
		rt->epoch = r->orig[t].self_epoch;
		rt->fepoch = direct_fepoch(r, t);
	} else if (rt->status == MF_ROUTE_VIA) {
		rt->epoch = r->orig[rt->nh].e[r->chosen_entry[t]].epoch;
		rt->fepoch = mf_rt__fepoch(&r->orig[rt->nh].e[r->chosen_entry[t]]);
	}
	return put_path(&r->next, rt, r->cur.path + c->path_off, c->path_len, NONE);
}

/* Offers next hop h at distance d (<= alt_worst[t]) as an alternate for
 * target t: kept when among the max_alt best (distance, then name). */
static void alt_offer(struct mf_routing *r, uint32_t t, uint32_t h, double d)
{
	const uint32_t K = r->cfg.max_alternates;
	uint32_t *nh = r->alt_nh + (size_t)t * K;
	double *ad = r->alt_d + (size_t)t * K;
	uint32_t j = r->alt_cnt[t];
	if (j == K) {
		if (!(d < ad[K - 1] || r->rank[h] < r->rank[nh[K - 1]]))
			return; /* a tie with the worst that sorts after it */
		j = K - 1;
	} else {
		r->alt_cnt[t]++;
	}
	for (; j > 0 && (d < ad[j - 1] || (d == ad[j - 1] && r->rank[h] < r->rank[nh[j - 1]])); j--) {
		nh[j] = nh[j - 1];
		ad[j] = ad[j - 1];
	}
	nh[j] = h;
	ad[j] = d;
	if (r->alt_cnt[t] == K)
		r->alt_worst[t] = ad[K - 1];
}

/* Target t's alternates before the neighbours': the target itself as a
 * direct neighbour. alt_lim[t] is dist(self, t) for routes that take
 * alternates, -INFINITY for the others, so the LFA test alone filters
 * them. */
static void alt_start(struct mf_routing *r, uint32_t t)
{
	const struct rt_route *rt = &r->next.r[t];
	bool policy_direct = rt->mode == MF_MODE_SINGLE_HOP && r->link[t].configured;
	bool takes = rt->nh != NONE && !rt->down && isfinite(rt->dist) && !policy_direct;
	r->alt_lim[t] = takes ? rt->dist : -INFINITY;
	r->alt_primary[t] = rt->nh;
	r->alt_worst[t] = INFINITY;
	r->alt_cnt[t] = 0;
	if (takes && rt->nh != t && r->link[t].usable)
		alt_offer(r, t, t, r->link[t].dist); /* the target itself: always loop-free */
	if (mf_rt__stale(r, t))
		r->alt_lim[t] = -INFINITY; /* no route through others */
}

/* Neighbour h (at base, back = dist(h, self)) offers its route to t at
 * dst: an alternate when loop-free (dst < back + dist(self, t)). */
static inline void alt_consider(struct mf_routing *r, uint32_t h, uint32_t t, double base, double back,
				double dst)
{
	double d = base + dst;
	if (d <= r->alt_worst[t] && dst < back + r->alt_lim[t] && r->alt_primary[t] != h)
		alt_offer(r, t, h, d);
}

static double back_of(const struct mf_routing *r, uint32_t h)
{
	const struct rt_origin *o = &r->orig[h];
	return isfinite(o->to_self) ? o->to_self : r->link[h].dist;
}

/* Target t alone, its neighbours' routes looked up (r->nbr). */
static void alt_one(struct mf_routing *r, uint32_t t)
{
	alt_start(r, t);
	for (uint32_t k = 0, h, i; k < r->n_nbr; k++)
		if ((i = entry_of(r, h = r->nbr[k], t)) != NONE)
			alt_consider(r, h, t, r->link[h].dist, back_of(r, h), r->orig[h].dst[i]);
}

/* Every target's alternates: one sequential walk over every usable
 * neighbour's advertisement, as relax() does. */
static void alt_all(struct mf_routing *r, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++)
		alt_start(r, t);
	for (uint32_t h = 0; h < n; h++) {
		const struct rt_origin *o = &r->orig[h];
		if (!mf_rt__usable_neighbour(r, h))
			continue;
		const double base = r->link[h].dist, back = back_of(r, h);
		for (uint32_t i = 0; i < o->n_e; i++) /* dst INFINITY: through us, to h itself, dead */
			alt_consider(r, h, o->tgt[i], base, back, o->dst[i]);
	}
}

/* The routes' alternates into next's pool, from the per-target slots
 * (which kept targets keep from their last computation). */
static int alt_emit(struct mf_routing *r, uint32_t n)
{
	struct rt_routes *nx = &r->next;
	nx->n_alt = 0;
	uint32_t total = 0;
	for (uint32_t t = 0; t < n; t++)
		total += r->alt_cnt[t];
	if (mf_grow_u32(&nx->alt, &nx->cap_alt, total, 64) < 0)
		return MF_ENOMEM;
	for (uint32_t t = 0; t < n; t++) {
		struct rt_route *rt = &nx->r[t];
		rt->alt_off = nx->n_alt;
		rt->n_alt = r->alt_cnt[t];
		for (uint32_t k = 0; k < rt->n_alt; k++)
			nx->alt[nx->n_alt++] = (struct rt_alt){r->alt_nh[(size_t)t * r->cfg.max_alternates + k],
							       r->alt_d[(size_t)t * r->cfg.max_alternates + k]};
	}
	return 0;
}

bool mf_rt__advertisable(const struct mf_routing *r, uint32_t t, const struct rt_route *rt)
{
	if (t == r->self)
		return true;
	return r->transit && (rt->status == MF_ROUTE_DIRECT || rt->status == MF_ROUTE_VIA) && !rt->down &&
	       isfinite(rt->dist);
}

/* Whether moves that wait up to `wait` are due: that long after our last state. */
static bool readv_due(const struct mf_routing *r, uint64_t wait)
{
	return !wait || !r->clocked || r->now - r->snap_at >= wait;
}

/* Whether route c to t only follows the DC's shared choice: another
 * server's advertisement of our DC is the newest (ref_set) and already
 * routes t through c's next hop. Receivers use only a DC's newest
 * advertisement for routes, so ours saying the same adds nothing: it waits
 * like a small distance move (each was a new state that every member
 * relays: a third of the states under noise at 40 DCs, docs/routing.md). */
static bool followed(const struct mf_routing *r, uint32_t t, const struct rt_route *c)
{
	return r->wait_followed && r->ref_set && c->nh != NONE && r->ref_nh[t] == c->nh;
}

void mf_routing_set_wait_followed(struct mf_routing *r, bool on)
{
	r->wait_followed = on;
}

/* Whether a distance move from was to now is advertised now: at once past
 * the hysteresis margin (it may make a neighbour switch), else `wait` after
 * our last state (cfg.readvertise_interval; a path below the next hop:
 * cfg.path_wait; docs/routing.md, "Beats apart from full state"). */
static bool distance_due(const struct mf_routing *r, double was, double now, uint64_t wait)
{
	double d = fabs(now - was);
	bool margin = (r->cfg.hysteresis_pct == 0 && r->cfg.hysteresis_ms == 0) ||
		      (d > was * r->cfg.hysteresis_pct / 100.0 && d > r->cfg.hysteresis_ms);
	return margin || readv_due(r, wait);
}

/* Whether a change of target t's epoch alone is advertised now. Other DCs'
 * beats are batched (at most one new state per cfg.epoch_interval): at 1,000 DCs
 * beating every 15 s, a new state per beat would be 67 a second. Our own
 * beat always goes out: it is what keeps our routes alive elsewhere. */
static bool epochs_due(const struct mf_routing *r, uint32_t t)
{
	return t == r->self || !r->cfg.epoch_interval || !r->clocked || r->now - r->snap_at >= r->cfg.epoch_interval;
}

/* Updates the advertised snapshot from the current table when it differs enough; bumps the seq then. */
static int refresh_snapshot(struct mf_routing *r, uint32_t n)
{
	bool differ = r->readvertise || r->snap.n != n || r->snap_dead_gen != r->dead_gen;
	bool feas = mf_rt__feasibility(r);
	for (uint32_t t = 0; t < n && !differ; t++) {
		const struct rt_route *c = &r->cur.r[t], *s = &r->snap.r[t];
		bool want = mf_rt__advertisable(r, t, c), have = s->status != MF_ROUTE_UNREACHABLE;
		if (want != have || (want && feas && mf_rt__wanted(r, t, c, s)))
			differ = true; /* a target, or an epoch a seqno request asked for */
		else if (want && s->epoch < r->alive_from[t] && c->epoch >= r->alive_from[t])
			differ = true; /* back from a tombstone (docs/routing.md) */
		else if (want && (c->path_len != s->path_len ||
				  memcmp(r->cur.path + c->path_off, r->snap.path + s->path_off,
					 c->path_len * sizeof(uint32_t)) != 0)) {
			bool below = feas && r->cfg.path_wait && c->nh == s->nh; /* engine.h path_wait */
			differ = below ? distance_due(r, s->dist, c->dist, r->cfg.path_wait)
				       : !followed(r, t, c) || readv_due(r, r->cfg.readvertise_interval);
			*(below ? &r->paths_pending : &r->dist_pending) |= !differ; /* goes with the next new state */
		}
		else if (want && mf_rt__dist_moved(r, s->dist, mf_rt__feasibility_dist(r, t, c))) {
			differ = distance_due(r, s->dist, c->dist, r->cfg.readvertise_interval) &&
				 mf_rt__distance_heard(r, t, s->dist, c->dist); /* engine.h quiet_riders */
			r->dist_pending |= !differ; /* goes with the next new state */
		}
		else if (want && c->epoch != s->epoch && !r->cfg.beats_apart) {
			differ = epochs_due(r, t);
			r->epochs_pending |= !differ; /* goes with the next flush */
		}
	}
	if (!differ)
		return 0;
	uint32_t old_n = r->snap.n;
	r->snap.n_path = 0, r->snap_epochs = false;
	for (uint32_t t = 0; t < n; t++) {
		struct rt_route *s = &r->snap.r[t];
		const struct rt_route *c = &r->cur.r[t];
		bool had = t < old_n && s->status != MF_ROUTE_UNREACHABLE;
		double was = s->dist;
		uint64_t was_ep = s->epoch;
		mf_rt__route_init(s);
		if (!mf_rt__advertisable(r, t, c))
			continue;
		*s = *c;
		s->fepoch = mf_rt__state_fepoch(r, t, c); /* epochs_on_request */
		r->snap_epochs |= had && was_ep < r->alive_from[t] && s->epoch >= r->alive_from[t];
		s->tomb = r->alive_from[t] && mf_rt__tomb_refuses(r, t, c->dist);
		s->dist = mf_rt__state_dist(r, t, c, had, was); /* spread_age, then sticky_distances */
		r->want[t] = feas && r->want[t] && s->fepoch >= r->want[t] ? 0 : r->want[t]; /* answered */
		s->n_alt = 0; /* alternates are not advertised */
		int rc = put_path(&r->snap, s, r->cur.path + c->path_off, c->path_len, NONE);
		if (rc < 0) {
			r->snap.n = 0;
			return rc;
		}
	}
	r->snap.n = n;
	mf_rt__feasibility_advertised(r, n);
	r->snap_dead_gen = r->dead_gen;
	r->readvertise = false;
	r->snap_at = r->now;
	r->epochs_pending = r->dist_pending = r->paths_pending = false;
	r->seq = (r->seq > r->seq_floor ? r->seq : r->seq_floor) + 1;
	r->stats.new_states++;
	for (uint32_t t = 0; r->ref_set && t < n; t++)
		if (r->ref_nh[t] != NONE)
			mf_rt__mark(r, t); /* the shared choice goes */
	r->ref_set = false; /* ours is now the newest advertisement of the DC */
	return 0;
}

static int add_link_out(struct mf_routing *r, uint32_t from, uint32_t to, double dist, bool usable)
{
	if (mf_grow(&r->links_out, &r->cap_links_out, r->n_links_out + 1, 16) < 0)
		return MF_ENOMEM;
	r->links_out[r->n_links_out++] = (struct rt_link_out){from, to, usable ? dist : NAN, usable};
	return 0;
}

/* The links mf_routing_table() lists: ours, then the ones other DCs
 * advertise (their one-hop entries). */
static int take_links(struct mf_routing *r)
{
	int rc = 0;
	r->n_links_out = 0;
	for (uint32_t d = 0; d < r->names.n && rc == 0; d++) {
		const struct rt_link *l = &r->link[d];
		if (d != r->self && l->configured)
			rc = add_link_out(r, r->self, d, l->dist, l->usable);
	}
	for (uint32_t o = 0; o < r->names.n && rc == 0; o++) {
		const struct rt_origin *og = &r->orig[o];
		if (!og->present)
			continue;
		if (og->n_hop1 == UINT32_MAX) { /* unknown (out of memory): walk */
			for (uint32_t i = 0; i < og->n_e && rc == 0; i++)
				if (og->e[i].path_len == 2 && og->e[i].target != r->self)
					rc = add_link_out(r, o, og->e[i].target, og->e[i].dist, true);
			continue;
		}
		for (uint32_t k = 0; k < og->n_hop1 && rc == 0; k++) {
			const struct rt_entry *e = &og->e[og->hop1[k]];
			rc = add_link_out(r, o, e->target, e->dist, true);
		}
	}
	return rc;
}

/* A fingerprint of the table's links: they are part of the published
 * table, so a change in them alone is a new version. */
static uint64_t links_signature(const struct mf_routing *r)
{
	uint64_t h = mf_name_hash(NULL, 0);
	for (size_t i = 0; i < r->n_links_out; i++) {
		const struct rt_link_out *l = &r->links_out[i];
		double dist = l->usable ? l->dist : -1; /* not NAN's bits */
		h = mf_name_hash_more(h, &l->from, sizeof l->from);
		h = mf_name_hash_more(h, &l->to, sizeof l->to);
		h = mf_name_hash_more(h, &dist, sizeof dist);
	}
	return h;
}

/* Recomputes every target (full: one streaming walk for the candidates,
 * one for the alternates) or only the marked ones, whose candidates are
 * looked up per target; the others keep their route. Then clears the
 * marks, but for targets settle() wants again at the next recompute. */
static int compute(struct mf_routing *r, uint32_t n, bool full)
{
	int rc = 0;
	if (!full || mf_rt__feasibility(r)) {
		r->n_nbr = 0;
		for (uint32_t h = 0; h < n; h++)
			if (mf_rt__usable_neighbour(r, h))
				r->nbr[r->n_nbr++] = h;
	}
	if (full) {
		relax(r, n);
		if (mf_rt__feasibility(r))
			relax_feasible(r, n);
	} else {
		for (uint32_t i = 0; i < r->n_dirty; i++)
			relax_one(r, r->dirty_list[i]);
	}
	r->next.n_path = 0;
	for (uint32_t t = 0; t < n && rc == 0; t++)
		rc = full || r->t_dirty[t] ? choose(r, t) : keep_route(r, t);
	if (rc == 0 && r->cfg.max_alternates) {
		if (full)
			alt_all(r, n);
		else
			for (uint32_t i = 0; i < r->n_dirty; i++)
				alt_one(r, r->dirty_list[i]);
		rc = alt_emit(r, n);
	} else {
		r->next.n_alt = 0;
	}
	if (rc < 0)
		return rc;
	uint32_t w = 0;
	for (uint32_t i = 0, m = full ? n : r->n_dirty; i < m; i++) {
		uint32_t t = full ? i : r->dirty_list[i];
		r->t_dirty[t] = r->t_dirty[t] == 2;
		if (r->t_dirty[t])
			r->dirty_list[w++] = t;
	}
	r->n_dirty = w;
	r->all_dirty = false;
	return 0;
}

int mf_routing_recompute(struct mf_routing *r, bool *changed)
{
	uint32_t n = r->names.n;
	if (changed)
		*changed = false;
	if (!r->dirty && r->cur.n == n)
		return 0; /* same inputs, same table */
	int rc = rank_names(r, n);
	if (rc < 0)
		return rc;
	mf_rt__timers(r, n);
	if (mf_rt__feasibility(r))
		mf_rt__feasibility_forget(r, n);
	bool full = r->all_dirty || r->cur.n != n || r->recompute_mode == MF_RECOMPUTE_FULL ||
		    (r->recompute_mode == MF_RECOMPUTE_AUTO && r->n_dirty > n / 4);
	r->next_request = UINT64_MAX; /* compute's mf_rt__maybe_request sets it again */
	if ((rc = compute(r, n, full)) < 0) {
		mf_rt__mark_all(r); /* the per-target state is partly new */
		return rc;
	}
	bool diff = r->cur.n != n;
	for (uint32_t t = 0; t < n && !diff; t++)
		diff = !same_route(&r->cur, &r->cur.r[t], &r->next, &r->next.r[t]);
	if (r->links_dirty || r->cur.n != n) {
		if ((rc = take_links(r)) < 0)
			return rc;
		r->links_dirty = false;
		/* links_out moves only here: the signature is taken with it */
		uint64_t sig = links_signature(r);
		if (sig != r->links_sig) {
			r->links_sig = sig;
			diff = true;
		}
	}
	struct rt_routes tmp = r->cur;
	r->cur = r->next;
	r->next = tmp;
	r->cur.n = n;
	if (diff)
		r->version++;
	if (changed) /* gateways may have moved it since the last recompute */
		*changed = r->version != r->version_computed;
	r->version_computed = r->version;
	rc = refresh_snapshot(r, n);
	r->dirty = rc < 0;
	r->next_expiry = UINT64_MAX;
	for (uint32_t t = 0; r->cfg.max_age && r->clocked && t < n; t++)
		if (r->beat[t] && !mf_rt__stale(r, t) && r->beat_at[t] + r->cfg.max_age + 1 < r->next_expiry)
			r->next_expiry = r->beat_at[t] + r->cfg.max_age + 1;
	if (mf_rt__feasibility(r))
		mf_rt__feasibility_next(r, n);
	r->next_settle = UINT64_MAX;
	for (uint32_t t = 0; r->cfg.settle_time && t < n; t++)
		if (r->better_since[t] != NO_SINCE && r->better_since[t] + r->cfg.settle_time < r->next_settle)
			r->next_settle = r->better_since[t] + r->cfg.settle_time;
	for (uint32_t t = 0; r->cfg.nh_hold && t < n; t++)
		if (r->held[t] && r->nh_at[t] + r->cfg.nh_hold < r->next_settle)
			r->next_settle = r->nh_at[t] + r->cfg.nh_hold;
	return rc;
}

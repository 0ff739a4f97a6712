/*
 * routing/engine_feasible.c — feasibility distances (engine_internal.h;
 * contract in engine.h, design in docs/routing.md "Transient loops"):
 * per target the best (epoch, distance) our DC's states advertised (with
 * a window, those of the last one or two windows and of the newest
 * states), which mf_rt__feasible() holds every neighbour's route against,
 * and its forgetting a hold after our state withdrew the target; with
 * spread_age, the distance a route through a DC is advertised at; with
 * epochs_on_request, the epoch a state carries for a route.
 */
#include <math.h>
#include <string.h>

#include "gossip/name_hash.h"

#include "routing/engine_internal.h"

/* A distance as our state carries it or less: the wire rounds to tenths
 * of a millisecond (routing/advert.c), so a feasibility distance kept
 * exact could be worse than what a neighbour holds of us. */
static double wire_floor(double d)
{
	return floor(d * 10.0) / 10.0;
}

/* Whether the pair (e, d) is better than (be, bd): newer, or as new and
 * shorter ((0, INFINITY) is none: any pair is better). */
static bool better(uint64_t e, double d, uint64_t be, double bd)
{
	return e > be || (e == be && d < bd);
}

/* Target t's feasibility distance takes the pair (epoch, dist) our DC
 * advertised when it is better (newer, or as new and shorter); the
 * target is recomputed then: its other candidates may no longer be
 * feasible. With a window, the window's best pair takes it too. */
static void fold(struct mf_routing *r, uint32_t t, uint64_t epoch, double dist)
{
	double d = wire_floor(dist);
	if (r->cfg.feasibility_window && better(epoch, d, r->fw_epoch[t], r->fw_dist[t])) {
		r->fw_epoch[t] = epoch;
		r->fw_dist[t] = d;
	}
	if (better(epoch, d, r->fd_epoch[t], r->fd_dist[t])) {
		r->fd_epoch[t] = epoch;
		r->fd_dist[t] = d;
		mf_rt__mark(r, t);
	}
}

/* The window turns (cfg.feasibility_window, docs/routing.md "A
 * feasibility distance over a window"): each target's feasibility
 * distance becomes the best pair of the window that ends, which holds
 * every pair our DC advertised in it and those of its newest states
 * (ours, our newest mate's) when it began; the new window begins with
 * the newest states' pairs. A pair thus counts for between one and two
 * windows after it was advertised, and as long as a newest state carries
 * it: neighbours hold only states that recent, so the feasibility
 * distance stays no worse than any pair of ours they hold (no loop), but
 * it is no longer the least of every noisy distance of the epoch. A
 * target whose distance moved is recomputed: more candidates may be
 * feasible. */
static void turn_window(struct mf_routing *r, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++) {
		if (t == r->self)
			continue;
		if (r->fw_epoch[t] != r->fd_epoch[t] || r->fw_dist[t] != r->fd_dist[t]) {
			r->fd_epoch[t] = r->fw_epoch[t];
			r->fd_dist[t] = r->fw_dist[t];
			mf_rt__mark(r, t);
		}
		r->fw_epoch[t] = 0;
		r->fw_dist[t] = INFINITY;
		const struct rt_route *s = t < r->snap.n ? &r->snap.r[t] : NULL;
		if (s && s->status != MF_ROUTE_UNREACHABLE)
			fold(r, t, s->fepoch, s->dist);
		if (r->mate_epoch[t] || isfinite(r->mate_dist[t]))
			fold(r, t, r->mate_epoch[t], r->mate_dist[t]);
	}
	r->fw_at = r->now;
}

/* Feasibility: our new state advertises each route's (fepoch, distance),
 * so each target's feasibility distance takes it when better (newer, or
 * as new and shorter); a target the state lacks is gone from then on,
 * and its distance is forgotten feasibility_hold later
 * (mf_rt__feasibility_forget). A target whose distance moved is recomputed:
 * its other candidates may no longer be feasible. */
void mf_rt__feasibility_advertised(struct mf_routing *r, uint32_t n)
{
	if (!mf_rt__feasibility(r))
		return;
	for (uint32_t t = 0; t < n; t++) {
		const struct rt_route *s = &r->snap.r[t];
		if (t == r->self)
			continue;
		if (s->status == MF_ROUTE_UNREACHABLE) {
			if (r->gone_at[t] == NO_SINCE)
				r->gone_at[t] = r->now;
			continue;
		}
		r->gone_at[t] = NO_SINCE;
		fold(r, t, s->fepoch, s->dist);
	}
}

/* Feasibility: forgets the feasibility distance of every target our
 * state has lacked for feasibility_hold (every neighbour then holds a
 * state of ours without it, so none routes through us to it and no loop
 * can close through us): the routes our distance made infeasible become
 * candidates again. This is what unblocks a DC whose routes all became
 * infeasible (a neighbour's distance grew) before the target's epoch
 * rises, in place of Babel's seqno request. The first time the clock
 * runs, the distances are seeded from the state we advertise. */
void mf_rt__feasibility_forget(struct mf_routing *r, uint32_t n)
{
	if (!r->fd_seeded) {
		r->fd_seeded = true;
		r->fw_at = r->now;
		if (r->snap.n == n)
			mf_rt__feasibility_advertised(r, n);
	}
	if (r->cfg.feasibility_window && r->now - r->fw_at >= r->cfg.feasibility_window)
		turn_window(r, n);
	if (r->now < r->next_forget)
		return;
	r->next_forget = r->cfg.feasibility_window ? r->fw_at + r->cfg.feasibility_window : UINT64_MAX;
	for (uint32_t t = 0; t < n; t++) {
		if (r->gone_at[t] == NO_SINCE || (r->fd_epoch[t] == 0 && r->fd_dist[t] == INFINITY))
			continue;
		uint64_t due = r->gone_at[t] + r->cfg.feasibility_hold;
		if (r->now >= due) {
			r->fd_epoch[t] = r->fw_epoch[t] = r->mate_epoch[t] = 0;
			r->fd_dist[t] = r->fw_dist[t] = r->mate_dist[t] = INFINITY;
			mf_rt__mark(r, t);
		} else if (due < r->next_forget) {
			r->next_forget = due;
		}
	}
}

/* The earliest time a held feasibility distance is due to be forgotten,
 * into next_forget (mf_routing_set_now makes a recompute then). */
void mf_rt__feasibility_next(struct mf_routing *r, uint32_t n)
{
	if (r->cfg.feasibility_window && r->fw_at + r->cfg.feasibility_window < r->next_forget)
		r->next_forget = r->fw_at + r->cfg.feasibility_window;
	for (uint32_t t = 0; t < n; t++)
		if (r->gone_at[t] != NO_SINCE && !(r->fd_epoch[t] == 0 && r->fd_dist[t] == INFINITY) &&
		    r->gone_at[t] + r->cfg.feasibility_hold < r->next_forget)
			r->next_forget = r->gone_at[t] + r->cfg.feasibility_hold;
}

/* Feasibility: another server of our DC advertised a. A neighbour holds
 * our DC's newest state from whichever server sent it, so the feasibility
 * distance is the DC's, not a server's: every server takes the pairs its
 * mates advertised too (then the servers of a DC hold the same distances,
 * and the same routes are feasible for them), and when a is the DC's
 * newest state (newest), the targets it lacks count as withdrawn by the
 * DC from then on, those it has as not (the forgetting follows what
 * neighbours hold). */
void mf_rt__feasibility_mate(struct mf_routing *r, const struct mf_advert *a, bool newest)
{
	if (!mf_rt__feasibility(r))
		return;
	uint32_t gen = newest ? mf_rt__next_mark(r->target_mark, &r->target_mark_gen, r->cap) : 0;
	for (uint32_t t = 0; newest && r->cfg.feasibility_window && t < r->names.n; t++) {
		r->mate_epoch[t] = 0; /* the window's seed: this state's pairs only */
		r->mate_dist[t] = INFINITY;
	}
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		uint32_t t;
		if (ar->target >= a->n_names || !isfinite(ar->distance_ms) ||
		    mf_rt_names_find(&r->names, a->names[ar->target], strlen(a->names[ar->target]), &t) < 0 ||
		    t >= r->cap)
			continue;
		if (t == r->self) {
			/* the DC's feasibility epoch: a mate answered a request */
			if (ar->epoch > r->fe_self && ar->epoch <= r->epoch) {
				r->fe_self = ar->epoch;
				mf_rt__mark(r, t);
			}
			continue;
		}
		if (newest) {
			r->target_mark[t] = gen;
			r->gone_at[t] = NO_SINCE;
			r->mate_epoch[t] = ar->epoch;
			r->mate_dist[t] = ar->distance_ms;
		}
		fold(r, t, ar->epoch, ar->distance_ms);
	}
	for (uint32_t t = 0; newest && t < r->names.n; t++)
		if (t != r->self && r->target_mark[t] != gen && r->gone_at[t] == NO_SINCE) {
			r->gone_at[t] = r->now;
			if (r->now + r->cfg.feasibility_hold < r->next_forget)
				r->next_forget = r->now + r->cfg.feasibility_hold;
		}
}

/* Feasibility with cfg.spread_age: target t's route rt was chosen. A
 * DC's servers each advertise the distances they measured (5-15 % apart
 * for one route under noise at 50 DCs of 2 servers) and a neighbour holds
 * whichever state is newest, so a feasibility distance made while we held
 * the shorter turned our route infeasible when another server's state
 * came with a distance longer by more than our link. Per target we keep
 * the next hop's distance as its newest state's server advertised it
 * (pair_*) and as another of its servers last did (other_*). */
void mf_rt__feasibility_chosen(struct mf_routing *r, uint32_t t, const struct rt_route *rt)
{
	if (!mf_rt__feasibility(r) || !r->cfg.spread_age)
		return;
	if (rt->status != MF_ROUTE_VIA || rt->nh == NONE) {
		r->pair_nh[t] = NONE;
		return;
	}
	const struct rt_origin *o = &r->orig[rt->nh];
	uint64_t node = o->node ? mf_name_hash(o->node, strlen(o->node)) : 0;
	if (r->pair_nh[t] != rt->nh) {
		r->pair_nh[t] = rt->nh;
		r->other_dst[t] = NAN;
	} else if (r->pair_node[t] != node) {
		r->other_dst[t] = r->pair_dst[t];
		r->other_at[t] = r->now;
	}
	r->pair_node[t] = node;
	r->pair_dst[t] = o->e[r->chosen_entry[t]].dist;
}

/* The distance our state advertises for target t's route c: with
 * cfg.spread_age, through the longer of the next hop's servers'
 * distances (one that stopped being the newest within spread_age), so
 * our feasibility distance stays above whichever of its states we hold
 * next. Advertising more than we measured keeps the feasibility distance
 * no worse than any pair of ours a neighbour holds, the loop-free
 * condition. */
double mf_rt__feasibility_dist(const struct mf_routing *r, uint32_t t, const struct rt_route *c)
{
	if (!mf_rt__feasibility(r) || !r->cfg.spread_age || c->status != MF_ROUTE_VIA || c->nh != r->pair_nh[t] ||
	    !(r->other_dst[t] > r->pair_dst[t]) || r->now - r->other_at[t] > r->cfg.spread_age)
		return c->dist;
	return c->dist + (r->other_dst[t] - r->pair_dst[t]);
}

/* The distance our new state carries for target t's route c (had: our
 * state has t, at was): spread_age's (mf_rt__feasibility_dist), then with
 * sticky_distances was while it moved less than the re-advertise
 * threshold. */
double mf_rt__state_dist(const struct mf_routing *r, uint32_t t, const struct rt_route *c, bool had, double was)
{
	double d = mf_rt__feasibility_dist(r, t, c);
	return mf_rt__feasibility(r) && had && r->cfg.sticky_distances && !mf_rt__dist_moved(r, was, d) ? was : d;
}

/* The epoch our new state carries for target t's route c: with
 * cfg.epochs_on_request, no newer than our feasibility distance's (a
 * worse pair than the route's, so loop-free), unless a seqno request
 * wants the newer one or we hold no feasibility distance. */
uint64_t mf_rt__state_fepoch(const struct mf_routing *r, uint32_t t, const struct rt_route *c)
{
	if (!mf_rt__feasibility(r) || !r->cfg.epochs_on_request || t == r->self || c->fepoch <= r->fd_epoch[t] ||
	    (r->fd_epoch[t] == 0 && !isfinite(r->fd_dist[t])) || (r->want[t] && c->fepoch >= r->want[t]))
		return c->fepoch;
	return r->fd_epoch[t];
}

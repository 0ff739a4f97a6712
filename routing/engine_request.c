/*
 * routing/engine_request.c — seqno requests, Babel's (RFC 8966, 3.8.1.2,
 * 3.8.2): asking a target's servers for a newer epoch when a shorter
 * route to it fails the feasibility condition (engine_internal.h;
 * contract in engine.h, design in docs/routing.md "Seqno requests").
 *
 * A request for target t and epoch E goes to the neighbour that advertised
 * the infeasible route. A DC that gets it answers when its own route to t
 * already reaches E (its next state carries that epoch), or passes it on
 * to its next hop for t, remembering that it wants E; t's servers raise
 * their epoch to E if they are below it. The answer travels back in the
 * states along the way: each DC that wants E makes a new state once its
 * route's epoch reaches E (mf_rt__wanted), and the asker finds the route
 * feasible (a newer epoch than its feasibility distance's).
 */
#include <math.h>
#include <string.h>

#include "routing/engine_internal.h"

/* A request for t with epoch e was sent or passed on within the gap. */
static bool recent(const struct mf_routing *r, uint32_t t, uint64_t e)
{
	return r->req_epoch[t] >= e && r->req_at[t] != NO_SINCE && r->now - r->req_at[t] < r->cfg.request_gap;
}

/* Queues a request for t (epoch e, hops left) to DC `to`. */
static void queue(struct mf_routing *r, uint32_t t, uint32_t to, uint64_t e, unsigned hops)
{
	if (r->req_to[t] == NONE)
		r->n_req++;
	r->req_to[t] = to;
	r->req_hops[t] = (uint8_t)(hops > MF_ROUTING_REQUEST_HOPS ? MF_ROUTING_REQUEST_HOPS : hops);
	if (e > r->req_epoch[t])
		r->req_epoch[t] = e;
	r->req_at[t] = r->now;
}

/* Whether target t's shortest infeasible candidate has been shorter than
 * the route chosen by the settle margin at every recompute for
 * settle_time (unf_since): what settling would have taken had it been
 * feasible (docs/routing.md, "Settling"), so it is asked for too, once
 * shown better by measurement rather than by one noisy sample. Starts or
 * clears t's timer. */
static bool settled_infeasible(struct mf_routing *r, uint32_t t, double gain, double chosen)
{
	if (!r->cfg.settle_time || !(gain > chosen * r->cfg.settle_pct / 100.0 && gain > r->cfg.settle_ms)) {
		r->unf_since[t] = NO_SINCE;
		return false;
	}
	if (r->unf_since[t] == NO_SINCE)
		r->unf_since[t] = r->now;
	if (r->now - r->unf_since[t] >= r->cfg.settle_time)
		return true;
	r->t_dirty[t] = 2; /* looked at again at the next recompute */
	if (r->unf_since[t] + r->cfg.settle_time < r->next_request)
		r->next_request = r->unf_since[t] + r->cfg.settle_time;
	return false;
}

/* After target t's route was chosen (distance chosen, INFINITY when
 * none): when its shortest candidate is infeasible and shorter by the
 * hysteresis margin (what would move a route at once; the settle margin
 * asked for 5x the states and kept fewer routes near the shortest), or
 * by the settle margin for settle_time (what settling would take), or
 * the only one (starvation, RFC 8966 3.8.2.1), ask the neighbour that
 * advertised it for an epoch newer than our feasibility distance's.
 * Rate-limited per target; a target skipped for that is looked at again
 * when the gap ends (next_request). */
static void request_for(struct mf_routing *r, uint32_t t, double chosen)
{
	bool lost = r->lost_ask[t];
	r->lost_ask[t] = 0;
	if (lost && r->cur_nh[t] != NONE && !recent(r, t, r->fd_epoch[t] + 1)) {
		/* the route in use turned infeasible and is kept: ask its next
		 * hop at once (mf_rt__loss_keep) */
		queue(r, t, r->cur_nh[t], r->fd_epoch[t] + 1, MF_ROUTING_REQUEST_HOPS);
		r->stats.requests_sent++;
		return;
	}
	if (!r->cfg.request_gap || !mf_rt__feasibility(r) || r->unf_nh[t] == NONE || !isfinite(r->unf_d[t])) {
		r->unf_since[t] = NO_SINCE;
		return;
	}
	double gain = chosen - r->unf_d[t];
	if (isfinite(chosen) && !(gain > chosen * r->cfg.hysteresis_pct / 100.0 && gain > r->cfg.hysteresis_ms) &&
	    !settled_infeasible(r, t, gain, chosen))
		return;
	uint64_t e = r->fd_epoch[t] + 1;
	if (recent(r, t, e)) {
		r->t_dirty[t] = 2;
		if (r->req_at[t] + r->cfg.request_gap < r->next_request)
			r->next_request = r->req_at[t] + r->cfg.request_gap;
		return;
	}
	queue(r, t, r->unf_nh[t], e, MF_ROUTING_REQUEST_HOPS);
	r->stats.requests_sent++;
}

/* Whether our next state must carry target t's route c (s: the state we
 * advertise now) for a request: it wants an epoch c reaches and s lacks. */
bool mf_rt__wanted(const struct mf_routing *r, uint32_t t, const struct rt_route *c, const struct rt_route *s)
{
	return r->want[t] && c->fepoch >= r->want[t] && (s->status == MF_ROUTE_UNREACHABLE || s->fepoch < r->want[t]);
}

int mf_routing_take_request(struct mf_routing *r, const char *target, uint64_t epoch, unsigned hops)
{
	uint32_t t;
	if (!target || !epoch || mf_rt_names_find(&r->names, target, strlen(target), &t) < 0 ||
	    t >= r->cur.n || !mf_rt__feasibility(r))
		return 0;
	const struct rt_route *c = &r->cur.r[t], *s = t < r->snap.n ? &r->snap.r[t] : NULL;
	if (s && s->status != MF_ROUTE_UNREACHABLE && s->fepoch >= epoch)
		return 0; /* the state we advertise says it already */
	if (t == r->self) {
		/* Each new feasibility epoch is a wave of states from us: one
		 * per request_gap at most, the askers ask again. */
		if (r->fe_self_at != NO_SINCE && r->now - r->fe_self_at < r->cfg.request_gap)
			return 0;
		r->fe_self_at = r->now;
		/* Our epoch is the DC's: raising it is an early beat, which our
		 * beats and states carry on as any other. By one at most, as
		 * Babel's origin raises its seqno (RFC 8966, 3.8.1.2): an honest
		 * asker names at most our feasibility epoch + 1 (it holds no
		 * newer), and a request naming more must not move our epoch out
		 * of reach (a forged 2^64 - 1 would end it). */
		if (r->epoch < epoch) {
			r->epoch++;
			r->epoch_at = r->now;
		}
		r->fe_self = epoch = r->epoch;
	} else if (c->status == MF_ROUTE_UNREACHABLE || c->down || c->nh == NONE) {
		return 0;
	}
	if (epoch > r->want[t])
		r->want[t] = epoch;
	r->stats.requests_in++;
	if (t == r->self || c->fepoch >= epoch) {
		r->dirty = true;
		mf_rt__mark(r, t);
		return 1;
	}
	if (hops <= 1 || recent(r, t, epoch))
		return 0;
	queue(r, t, c->nh, epoch, hops - 1);
	r->stats.requests_forwarded++;
	return 2;
}

size_t mf_routing_requests(struct mf_routing *r, struct mf_routing_request *out, size_t cap)
{
	size_t k = 0;
	for (uint32_t t = 0; r->n_req && t < r->names.n && k < cap; t++) {
		if (r->req_to[t] == NONE)
			continue;
		out[k++] = (struct mf_routing_request){r->names.names[t], r->names.names[r->req_to[t]],
						       r->req_epoch[t], r->req_hops[t]};
		r->req_to[t] = NONE;
		r->n_req--;
	}
	return k;
}

/* Babel keeps a selected route whose update is unfeasible and asks for a
 * newer seqno (RFC 8966, 3.5.4, 3.8.2.2). The pair we accepted from h
 * (keep_e, keep_d) beat our feasibility distance and h's is no worse than
 * it for a window after h advertised it (engine_feasible.c), so while
 * that pair still beats ours, and for at most a window, h's feasibility
 * distance stays below ours: no loop through the kept route. */
bool mf_rt__loss_keep(struct mf_routing *r, uint32_t h, uint32_t t, double *c)
{
	if (!r->cfg.loss_hold || !r->cfg.request_gap || h != r->cur_nh[t] || r->keep_nh[t] != h ||
	    !(r->keep_e[t] > r->fd_epoch[t] || (r->keep_e[t] == r->fd_epoch[t] && r->keep_d[t] < r->fd_dist[t])))
		return false;
	uint64_t hold = r->cfg.loss_hold;
	if (r->cfg.feasibility_window && r->cfg.feasibility_window < hold)
		hold = r->cfg.feasibility_window;
	if (r->lost_at[t] == NO_SINCE)
		r->lost_at[t] = r->now;
	if (r->now - r->lost_at[t] >= hold)
		return false;
	r->lost_ask[t] = 1;
	r->t_dirty[t] = 2; /* looked at again when the hold ends */
	if (r->lost_at[t] + hold < r->next_request)
		r->next_request = r->lost_at[t] + hold;
	/* at the distance we accepted, as Babel ignores the unfeasible
	 * update: ours does not rise past what upstream DCs hold */
	*c = r->link[h].dist + r->keep_d[t];
	return true;
}

/* cfg.loss_hold: remembers the pair of the route chosen through nh (entry
 * ei) when feasible. */
static void loss_chosen(struct mf_routing *r, uint32_t t, uint32_t nh, uint32_t ei)
{
	if (!r->cfg.loss_hold || !mf_rt__feasibility(r))
		return;
	if (nh == NONE || ei == NONE || ei == DIRECT_ENTRY || (nh != r->keep_nh[t] && !mf_rt__feasible(r, nh, ei, t))) {
		r->keep_nh[t] = NONE;
		r->lost_at[t] = NO_SINCE;
	} else if (mf_rt__feasible(r, nh, ei, t)) {
		r->keep_nh[t] = nh;
		r->keep_e[t] = mf_rt__fepoch(&r->orig[nh].e[ei]);
		r->keep_d[t] = r->orig[nh].dst[ei];
		r->lost_at[t] = NO_SINCE;
	}
}

void mf_rt__maybe_request(struct mf_routing *r, uint32_t t, uint32_t nh, uint32_t ei, double d)
{
	request_for(r, t, nh == NONE ? INFINITY : d);
	loss_chosen(r, t, nh, ei);
}

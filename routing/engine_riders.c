/*
 * routing/engine_riders.c — which moves of our advertised distances some
 * DC could act on (engine_internal.h; contract in engine.h,
 * mf_routing_distance_news and config quiet_riders).
 *
 * Why: half the delta bytes under noise were distance moves past the
 * re-advertise threshold riding on states sent for other reasons, 5-6 a
 * delta (docs/routing.md, "What the advert bytes are"). Leaving them all
 * out made receivers' copies drift to the margin, and each route then
 * sent a state of its own ("Riders wait", tried in stop 20). A move that
 * no DC linking to us could act on, because none routes through us to
 * that target and for every one of them our route is no contender, needs
 * neither: it waits (docs/routing.md, "Riders and a shorter header").
 */
#include <math.h>
#include <string.h>

#include "coord/dc_embed.h"
#include "routing/engine_internal.h"

/* Past both the percent and the ms part of a margin. */
static bool past(double was, double now, double pct, double ms)
{
	double d = fabs(now - was);
	return d > was * pct / 100.0 && d > ms;
}

/* Whether DC h, which links to us, could act on our route to t at a
 * distance of at least lo: it has no route of its own to weigh ours
 * against, its route goes through us, or ours is within the hysteresis
 * margin of being shorter than its own (what it holds of its distance and
 * of its link to us may each lag by up to that margin). */
static bool may_use(const struct mf_routing *r, uint32_t h, uint32_t t, double lo)
{
	const struct rt_origin *o = &r->orig[h];
	uint32_t i = o->present && t < o->n_pos ? o->pos[t] : NONE;
	if (!o->transit || i == NONE || o->e[i].loops)
		return true;
	double link = r->link[h].usable ? r->link[h].dist : INFINITY;
	link = isfinite(o->to_self) && o->to_self < link ? o->to_self : link;
	if (!isfinite(link))
		return true; /* no distance between us to judge by */
	double p = r->cfg.hysteresis_pct / 100.0, c = o->e[i].dist;
	return link * (1.0 - p) + lo < c + fmax(c * p, r->cfg.hysteresis_ms);
}

bool mf_rt__distance_heard(const struct mf_routing *r, uint32_t t, double held, double now)
{
	if (!r->cfg.quiet_riders || t == r->self || !(held >= 0) || !(now >= 0))
		return true;
	uint64_t wait = r->cfg.readvertise_interval;
	if (!wait || !r->clocked || r->now - r->snap_at >= wait)
		return true; /* what waits goes now (engine_recompute.c readv_due) */
	if (mf_rt__feasibility(r) && now > held)
		return true;
	if (r->names.n <= MF_COORD_DC_EMBED_MAX && t < r->snap.n && r->snap.r[t].path_len == 2)
		return true; /* a link of the DC matrix every agent solves (coord/dc_embed.h) */
	double lo = now < held ? now : held;
	for (uint32_t h = 0; h < r->names.n; h++)
		if (h != r->self && h != t && (r->link[h].configured || r->link[h].usable) &&
		    may_use(r, h, t, lo))
			return true;
	return false;
}

bool mf_routing_distance_news(const struct mf_routing *r, const char *target, double held, double now)
{
	uint32_t t;
	if (!target || mf_rt_names_find(&r->names, target, strlen(target), &t) < 0)
		return true;
	bool margin = (r->cfg.hysteresis_pct == 0 && r->cfg.hysteresis_ms == 0) ||
		      past(held, now, r->cfg.hysteresis_pct, r->cfg.hysteresis_ms);
	return margin || mf_rt__distance_heard(r, t, held, now);
}

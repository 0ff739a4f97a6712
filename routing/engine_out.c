/*
 * routing/engine_out.c — what the engine hands out: the table, read access
 * for simulations, our advertisement and our beats (engine_internal.h;
 * contract in engine.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "routing/engine_internal.h"

/* --- outputs ------------------------------------------------------------ */

/* The newest epoch of t we know alive, for route c to it: the one the
 * route reaches or the highest heard in any stored route, whichever is
 * higher. Epochs come only from t's own servers, so passing on the highest
 * heard keeps freshness bounded (no DC can make one up), and it spreads a
 * beat by every neighbour's beat message rather than only along the paths
 * in use: a DC reached directly would otherwise pass on t's epoch only
 * when t's own beat message reached it. */
static uint64_t heard_or_route(const struct mf_routing *r, uint32_t t, const struct rt_route *c)
{
	return r->cfg.beats_apart && r->beat[t] > c->epoch ? r->beat[t] : c->epoch;
}

/* The epoch we advertise for target t whose snapshot route is s: with
 * beats apart the snapshot's epochs age between new states, so a state
 * (push-pull, refresh) carries the newest we hold: ours, or the one our
 * current route reaches. */
static uint64_t advertised_epoch(const struct mf_routing *r, uint32_t t, const struct rt_route *s)
{
	if (t == r->self)
		return mf_rt__self_fepoch(r);
	if (r->cfg.feasibility_hold) /* what our feasibility distance holds (route19 hook) */
		return s->fepoch;
	const struct rt_route *c = t < r->cur.n ? &r->cur.r[t] : NULL;
	bool reach = c && c->status != MF_ROUTE_UNREACHABLE && !c->down;
	uint64_t e = reach ? heard_or_route(r, t, c) : 0;
	return e > s->epoch ? e : s->epoch;
}


size_t mf_routing_n_targets(const struct mf_routing *r)
{
	return r->cur.n;
}

int mf_routing_route_at(const struct mf_routing *r, size_t i, struct mf_route_view *v)
{
	if (i >= r->cur.n)
		return MF_ENOTFOUND;
	const struct rt_route *rt = &r->cur.r[i];
	v->target = r->names.names[i];
	v->status = (enum mf_route_status)rt->status;
	v->next_hop = rt->nh == NONE ? NULL : r->names.names[rt->nh];
	v->distance_ms = rt->dist;
	v->down = rt->down;
	v->mode = (enum mf_route_mode)rt->mode;
	v->path_len = rt->path_len;
	v->n_alternates = rt->n_alt;
	return 0;
}

int mf_routing_alternate_at(const struct mf_routing *r, size_t i, size_t k, const char **next_hop,
			    double *distance_ms)
{
	if (i >= r->cur.n || k >= r->cur.r[i].n_alt)
		return MF_ENOTFOUND;
	const struct rt_alt *a = &r->cur.alt[r->cur.r[i].alt_off + k];
	*next_hop = r->names.names[a->nh];
	*distance_ms = a->dist;
	return 0;
}

const char *mf_routing_path_at(const struct mf_routing *r, size_t i, size_t k)
{
	if (i >= r->cur.n || k >= r->cur.r[i].path_len)
		return NULL;
	return r->names.names[r->cur.path[r->cur.r[i].path_off + k]];
}

int mf_routing_find(const struct mf_routing *r, const char *dc, size_t *i)
{
	uint32_t id;
	if (!dc || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0 || id >= r->cur.n)
		return MF_ENOTFOUND;
	*i = id;
	return 0;
}

int mf_routing_advertised_link(const struct mf_routing *r, const char *from, const char *to,
			       double *distance_ms)
{
	uint32_t f, t;
	double d = NAN;
	if (!from || !to || mf_rt_names_find(&r->names, from, strlen(from), &f) < 0 ||
	    mf_rt_names_find(&r->names, to, strlen(to), &t) < 0 || f == t)
		return MF_ENOTFOUND;
	if (f == r->self && r->ref_set) {
		d = r->ref_dist[t];
	} else if (f == r->self) {
		const struct rt_route *s = t < r->snap.n ? &r->snap.r[t] : NULL;
		if (s && s->status != MF_ROUTE_UNREACHABLE && s->path_len == 2)
			d = s->dist;
	} else {
		const struct rt_origin *o = &r->orig[f];
		for (uint32_t i = 0; o->present && i < o->n_e; i++)
			if (o->e[i].target == t && o->e[i].path_len == 2)
				d = o->e[i].dist;
	}
	if (!isfinite(d))
		return MF_ENOTFOUND;
	*distance_ms = d;
	return 0;
}

static int cmp_route_target(const void *a, const void *b)
{
	return strcmp(((const struct mf_table_route *)a)->target, ((const struct mf_table_route *)b)->target);
}

/* Gateways of DC nh (the union over its servers) as this DC must dial
 * them; on failure the caller frees what was filled. */
static int endpoints(const struct mf_routing *r, uint32_t nh, struct mf_table_endpoint **out,
		     size_t *n_out)
{
	const struct rt_origin *o = &r->orig[nh];
	if (o->n_ugw == 0)
		return 0;
	char key[MF_RT_NAME_MAX + 4];
	snprintf(key, sizeof key, "dc:%s", r->names.names[r->self]);
	*out = calloc(o->n_ugw, sizeof **out);
	if (!*out)
		return MF_ENOMEM;
	for (uint32_t g = 0; g < o->n_ugw; g++) {
		const struct mf_gateway *gw = o->ugw[g].g;
		const char *addr = gw->wan;
		for (size_t k = 0; k < gw->n_tags; k++)
			if (strcmp(gw->tags[k].key, key) == 0)
				addr = gw->tags[k].addr;
		*n_out = g + 1;
		(*out)[g].gateway = strdup(gw->name);
		(*out)[g].addr = strdup(addr);
		if (!(*out)[g].gateway || !(*out)[g].addr)
			return MF_ENOMEM;
	}
	return 0;
}

/* Route rt's alternates, each with its gateways, into tr. */
static int table_alternates(const struct mf_routing *r, const struct rt_route *rt,
			    struct mf_table_route *tr)
{
	if (rt->n_alt == 0)
		return 0;
	tr->alternates = calloc(rt->n_alt, sizeof *tr->alternates);
	if (!tr->alternates)
		return MF_ENOMEM;
	for (uint32_t k = 0; k < rt->n_alt; k++) {
		const struct rt_alt *a = &r->cur.alt[rt->alt_off + k];
		struct mf_table_alternate *ta = &tr->alternates[k];
		tr->n_alternates = k + 1;
		ta->distance_ms = a->dist;
		if (!(ta->next_hop = strdup(r->names.names[a->nh])))
			return MF_ENOMEM;
		int rc = endpoints(r, a->nh, &ta->endpoints, &ta->n_endpoints);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_link(struct mf_table *t, size_t *cap, const char *from, const char *to, double d, bool usable)
{
	if (mf_grow(&t->links, cap, t->n_links + 1, 16) < 0)
		return MF_ENOMEM;
	struct mf_table_link *l = &t->links[t->n_links];
	l->from = strdup(from);
	l->to = strdup(to);
	l->distance_ms = d;
	l->usable = usable;
	t->n_links++;
	return l->from && l->to ? 0 : MF_ENOMEM;
}

int mf_routing_table(const struct mf_routing *r, struct mf_table *out)
{
	memset(out, 0, sizeof *out);
	uint32_t n = r->cur.n;
	int rc = 0;
	out->datacenter = strdup(r->names.names[r->self]);
	out->version = r->version;
	out->routes = n ? calloc(n, sizeof *out->routes) : NULL;
	if (!out->datacenter || (n && !out->routes)) {
		mf_table_free(out);
		return MF_ENOMEM;
	}
	for (uint32_t t = 0; t < n && rc == 0; t++) {
		const struct rt_route *rt = &r->cur.r[t];
		struct mf_table_route *tr = &out->routes[t];
		out->n_routes = t + 1;
		tr->target = strdup(r->names.names[t]);
		tr->status = (enum mf_route_status)rt->status;
		tr->next_hop = rt->nh == NONE ? NULL : strdup(r->names.names[rt->nh]);
		tr->distance_ms = rt->dist;
		tr->down = rt->down;
		tr->mode = (enum mf_route_mode)rt->mode;
		tr->path = rt->path_len ? calloc(rt->path_len, sizeof *tr->path) : NULL;
		if (!tr->target || (rt->nh != NONE && !tr->next_hop) || (rt->path_len && !tr->path)) {
			rc = MF_ENOMEM;
			break;
		}
		for (uint32_t k = 0; k < rt->path_len; k++) {
			tr->path_len = k + 1;
			if (!(tr->path[k] = strdup(r->names.names[r->cur.path[rt->path_off + k]])))
				rc = MF_ENOMEM;
		}
		if (rc == 0 && rt->nh != NONE)
			rc = endpoints(r, rt->nh, &tr->endpoints, &tr->n_endpoints);
		if (rc == 0)
			rc = table_alternates(r, rt, tr);
	}
	size_t cap = 0;
	for (size_t i = 0; i < r->n_links_out && rc == 0; i++) {
		const struct rt_link_out *l = &r->links_out[i];
		rc = add_link(out, &cap, r->names.names[l->from], r->names.names[l->to], l->dist,
			      l->usable);
	}
	if (rc < 0) {
		mf_table_free(out);
		return rc;
	}
	if (out->n_routes > 0) /* qsort(NULL, 0) is undefined behaviour */
		qsort(out->routes, out->n_routes, sizeof *out->routes, cmp_route_target);
	return 0;
}

int mf_routing_advert(const struct mf_routing *r, struct mf_advert *out)
{
	memset(out, 0, sizeof *out);
	uint32_t n = r->names.n, nr = 0, nh = 0;
	for (uint32_t t = 0; t < r->snap.n; t++)
		if (r->snap.r[t].status != MF_ROUTE_UNREACHABLE) {
			nr++;
			nh += r->snap.r[t].path_len > 2 ? r->snap.r[t].path_len - 2 : 0;
		}
	out->origin = strdup(r->names.names[r->self]);
	out->node = strdup(r->node);
	out->seq = r->seq;
	out->transit = r->transit;
	out->frag_count = 1;
	out->epochs_bound = r->cfg.feasibility_hold != 0 || r->snap_epochs;
	out->names = calloc(n, sizeof *out->names);
	out->routes = nr ? calloc(nr, sizeof *out->routes) : NULL;
	out->hops = nh ? calloc(nh, sizeof *out->hops) : NULL;
	int rc = (!out->origin || !out->node || !out->names || (nr && !out->routes) || (nh && !out->hops))
			 ? MF_ENOMEM : 0;
	size_t bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		bytes += strlen(r->names.names[i]) + 1;
	if (rc == 0 && !(out->names_block = malloc(bytes ? bytes : 1)))
		rc = MF_ENOMEM;
	for (size_t i = 0, off = 0; i < n && rc == 0; i++) {
		size_t len = strlen(r->names.names[i]) + 1;
		out->names[i] = memcpy(out->names_block + off, r->names.names[i], len);
		off += len;
		out->n_names = i + 1;
	}
	for (uint32_t t = 0; t < r->snap.n && rc == 0; t++) {
		const struct rt_route *s = &r->snap.r[t];
		if (s->status == MF_ROUTE_UNREACHABLE)
			continue;
		struct mf_advert_route *ar = &out->routes[out->n_routes++];
		ar->target = t;
		ar->distance_ms = s->dist;
		ar->epoch = advertised_epoch(r, t, s);
		ar->hops_off = (uint32_t)out->n_hops;
		ar->n_hops = s->path_len > 2 ? s->path_len - 2 : 0;
		for (uint32_t k = 0; k < ar->n_hops; k++)
			out->hops[out->n_hops++] = r->snap.path[s->path_off + 1 + k];
	}
	/* Tombstones for the DCs we know dead and do not route to, or route
	 * to while it refuses a shorter route (engine_adverts.c). */
	size_t nd = 0;
	for (uint32_t t = 0; t < n; t++)
		nd += r->alive_from[t] != 0;
	if (rc == 0 && nd) {
		out->dead = calloc(nd, sizeof *out->dead);
		rc = out->dead ? 0 : MF_ENOMEM;
	}
	for (uint32_t t = 0; rc == 0 && t < n; t++) {
		const struct rt_route *s = t < r->snap.n ? &r->snap.r[t] : NULL;
		bool routed = s && s->status != MF_ROUTE_UNREACHABLE && s->epoch >= r->alive_from[t] &&
			      !s->tomb;
		if (r->alive_from[t] && !routed)
			out->dead[out->n_dead++] = (struct mf_advert_dead){t, r->alive_from[t] - 1};
	}
	if (rc == 0 && r->n_gws) {
		rc = mf_gateways_copy(r->gws, r->n_gws, &out->gateways);
		if (rc == 0)
			out->n_gateways = r->n_gws;
	}
	if (rc < 0)
		mf_advert_free(out);
	return rc;
}

/* --- beats apart from full state ----------------------------------------- */

/* The age of an epoch raised at `at`, in beat units (rounded, saturating);
 * 0 without ages or a clock. */
static uint16_t beat_age(const struct mf_routing *r, uint64_t at)
{
	if (!r->cfg.beat_age_unit || !r->clocked || at >= r->now)
		return 0;
	uint64_t u = (r->now - at + r->cfg.beat_age_unit / 2) / r->cfg.beat_age_unit;
	return u > MF_BEAT_AGE_MAX ? MF_BEAT_AGE_MAX : (uint16_t)u;
}

/* When an epoch heard `age` ago (clock units) was raised. */
static uint64_t raised_at_now(const struct mf_routing *r, uint64_t age)
{
	return r->now > age ? r->now - age : 0;
}

/* Whether target t goes into our beats, and its entry: the highest heard
 * epoch's dating; a route that reaches a higher one (not heard in a
 * stored route) is dated now. With ages, also a DC we route to no more
 * (withdrawn, tombstoned) whose epoch we heard within max_age: its dating
 * is still news to a DC that holds a stale path to it and heard it late,
 * when the DCs that still route to it are few (docs/routing.md, "Hurried
 * beats"). Epochs still come only from their DC's servers, so this makes
 * nothing fresh that is not, and revives no tombstoned route. */
static bool beat_entry_of(const struct mf_routing *r, uint32_t t, struct mf_beat_entry *out)
{
	if (t == r->self)
		return false;
	bool routed = t < r->cur.n && mf_rt__advertisable(r, t, &r->cur.r[t]);
	if (!routed && (!r->cfg.beat_age_unit || !r->beat[t] || mf_rt__stale(r, t)))
		return false;
	uint64_t e = routed ? heard_or_route(r, t, &r->cur.r[t]) : r->beat[t];
	*out = (struct mf_beat_entry){mf_beat_dc_hash(r->names.names[t]), (uint16_t)e,
				      e == r->beat[t] ? beat_age(r, r->beat_at[t]) : 0};
	return true;
}

size_t mf_routing_beats(const struct mf_routing *r, struct mf_beat_entry *out, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	out[n++] = (struct mf_beat_entry){mf_beat_dc_hash(r->names.names[r->self]),
					  (uint16_t)r->epoch, beat_age(r, r->epoch_at)};
	for (uint32_t t = 0; t < r->names.n && n < cap; t++)
		n += beat_entry_of(r, t, &out[n]);
	return n;
}

size_t mf_routing_hurried_beats(struct mf_routing *r, struct mf_beat_entry *out, size_t cap)
{
	size_t n = 0;
	for (uint32_t t = 0; r->n_hurry && t < r->names.n && n < cap; t++) {
		if (!r->hurry[t])
			continue;
		r->n_hurry_back -= r->hurry[t] == HURRY_BACK;
		r->hurry[t] = 0;
		r->n_hurry--;
		/* A target we route to no more has nothing to pass on. */
		n += beat_entry_of(r, t, &out[n]);
	}
	return n;
}

void mf_routing_beats_sent(struct mf_routing *r)
{
	if (r->n_hurry)
		memset(r->hurry, 0, r->cap);
	r->n_hurry = r->n_hurry_back = 0;
}

bool mf_routing_hurry_marked(const struct mf_routing *r, bool moved_back)
{
	return moved_back ? r->n_hurry_back > 0 : r->n_hurry > 0;
}

/* The epoch e16 stands for, near held (RFC 1982 serial arithmetic): true
 * and *out when it is newer than held, at most 2^15 - 1 ahead. */
static bool widen_epoch(uint64_t held, uint16_t e16, uint64_t *out)
{
	int16_t d = (int16_t)(uint16_t)(e16 - (uint16_t)held);
	if (d <= 0 || held > UINT64_MAX - (uint64_t)d)
		return false;
	*out = held + (uint64_t)d;
	return true;
}

/* Index k of origin o's stored routes whose target hashes to h, trying
 * `hint` first (beats list targets in the order adverts do); NONE when
 * none or when two targets share the hash. */
static uint32_t beat_entry(const struct mf_routing *r, const struct rt_origin *o, uint32_t h,
			   uint32_t hint)
{
	if (hint < o->n_e && mf_beat_dc_hash(r->names.names[o->tgt[hint]]) == h)
		return hint;
	uint32_t found = NONE;
	for (uint32_t k = 0; k < o->n_e; k++)
		if (mf_beat_dc_hash(r->names.names[o->tgt[k]]) == h) {
			if (found != NONE)
				return NONE;
			found = k;
		}
	return found;
}

/* Entry b about DC id (not ours) that the sender's stored advertisement
 * does not route to, or that a server of our own DC sent: it still says
 * the epoch id's servers raised and when, so it raises or dates id's
 * highest heard epoch, though no stored route reaches it. Datings then
 * spread through every beat a DC receives, not only through the beats of
 * the few neighbours whose stored state routes to that DC: a DC that
 * first heard of id late, in a full state, would otherwise wait minutes
 * for one of those (docs/routing.md, "Hurried beats"). True when it rose. */
static bool take_heard(struct mf_routing *r, const struct mf_beat_entry *b)
{
	uint32_t id;
	uint64_t e, age = (uint64_t)b->age * r->cfg.beat_age_unit;
	/* Not found, or no memory to index the names: the entry is skipped
	 * (the next beat carries it again). */
	if (mf_beat_names_find(&r->beat_names, &r->names, b->dc_hash, &id) < 0 || id == r->self ||
	    !r->beat[id])
		return false;
	if (widen_epoch(r->beat[id], b->epoch16, &e)) {
		mf_rt__heard_epoch(r, id, e, age);
		return true;
	}
	if (b->epoch16 == (uint16_t)r->beat[id])
		mf_rt__heard_epoch(r, id, r->beat[id], age);
	return false;
}

size_t mf_routing_take_beats(struct mf_routing *r, const char *origin,
			     const struct mf_beat_entry *b, size_t n)
{
	uint32_t o;
	size_t raised = 0;
	if (!origin || mf_rt_names_find(&r->names, origin, strlen(origin), &o) < 0)
		return 0;
	if (o == r->self) {
		uint32_t h = mf_beat_dc_hash(origin);
		uint64_t e;
		for (size_t i = 0; r->cfg.beat_interval && i < n; i++) {
			if (b[i].dc_hash != h) {
				raised += r->cfg.beat_age_unit && take_heard(r, &b[i]);
				continue;
			}
			if (widen_epoch(r->epoch, b[i].epoch16, &e)) {
				mf_rt__own_epoch_at(r, e, (uint64_t)b[i].age * r->cfg.beat_age_unit);
				raised++;
			} else if (b[i].epoch16 == (uint16_t)r->epoch) {
				mf_rt__own_epoch_at(r, r->epoch, (uint64_t)b[i].age * r->cfg.beat_age_unit);
			}
		}
		if (raised)
			r->dirty = true;
		return raised;
	}
	struct rt_origin *org = &r->orig[o];
	if (!org->present)
		return 0;
	uint32_t hint = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = beat_entry(r, org, b[i].dc_hash, hint);
		uint64_t e;
		if (k == NONE) {
			raised += r->cfg.beat_age_unit && take_heard(r, &b[i]);
			continue;
		}
		hint = k + 1;
		struct rt_entry *x = &org->e[k];
		uint64_t age = (uint64_t)b[i].age * r->cfg.beat_age_unit;
		if (!widen_epoch(x->epoch, b[i].epoch16, &e)) {
			/* The epoch held, perhaps dated earlier than we had it. */
			if (b[i].epoch16 == (uint16_t)x->epoch)
				mf_rt__heard_epoch(r, x->target, x->epoch, age);
			continue;
		}
		x->epoch = e;
		if (x->target == o) {
			org->self_epoch = e;
		} else if (!x->loops) {
			/* An epoch alone is read afresh by the route in use; a
			 * candidate that comes back from a tombstone moved. */
			double was = org->dst[k];
			org->dst[k] = e < r->alive_from[x->target] ? INFINITY : x->dist;
			if (org->dst[k] != was)
				mf_rt__moved(r, o, x->target, mf_rt__candidate(r, o, org->dst[k]));
		}
		mf_rt__heard_epoch(r, x->target, e, age);
		raised++;
	}
	if (raised)
		r->dirty = true;
	return raised;
}

size_t mf_routing_beat_answers(struct mf_routing *r, const struct mf_beat_entry *b, size_t n,
				struct mf_beat_entry *out, size_t cap)
{
	size_t k = 0;
	uint32_t id;
	uint64_t newer;
	for (size_t i = 0; r->cfg.hurry_min && r->cfg.beat_age_unit && r->clocked && i < n && k < cap; i++) {
		uint64_t age = (uint64_t)b[i].age * r->cfg.beat_age_unit;
		/* The sender's dating, on our clock; an epoch newer than ours
		 * is news to us, not late. */
		if (mf_beat_names_find(&r->beat_names, &r->names, b[i].dc_hash, &id) < 0 ||
		    id == r->self || !r->beat[id] || widen_epoch(r->beat[id], b[i].epoch16, &newer))
			continue;
		/* Dated no later than we did: answered only as an ask. */
		bool ask = r->beat_at[id] + r->cfg.hurry_min > raised_at_now(r, age);
		if (ask && !mf_rt__asked(r, id, b[i].epoch16, age))
			continue;
		bool sent = beat_entry_of(r, id, &out[k]);
		r->stats.asks_answered += sent && ask;
		k += sent;
	}
	return k;
}

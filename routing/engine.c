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
 * Epochs and tombstones (raise_dead below, docs/routing.md) cut that to
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
#include "routing/engine.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/name_hash.h"
#include "routing/names.h"

#define NONE UINT32_MAX
#define DIRECT_ENTRY (UINT32_MAX - 1)
#define PATH_MAX_LEN (MF_ADVERT_HOPS_MAX + 2)
#define NO_SINCE UINT64_MAX

struct rt_link {
	bool configured, usable;
	double dist;
};

/* One route a neighbour advertised, with its path from the neighbour
 * (inclusive) to the target (inclusive). */
struct rt_entry {
	uint32_t target;
	uint32_t path_off;
	uint16_t path_len;
	bool loops;        /* the path contains this DC: never a candidate */
	double dist;
	uint64_t epoch;    /* the target's incarnation this route reaches */
};

/* The gateways one server of a DC advertised, from its newest advert. */
struct rt_gwsrc {
	char *node;
	uint64_t seq;
	struct mf_gateway *gws;
	size_t n_gws;
};

/* One gateway of a DC's union, with the seq of the server entry it came
 * from (the newest wins a name two servers advertise). */
struct rt_ugw {
	const struct mf_gateway *g;
	uint64_t seq;
};

struct rt_origin {
	bool present, transit;
	uint64_t seq;
	uint64_t self_epoch;     /* the origin's incarnation, from its own entry */
	char *node;
	struct rt_entry *e;
	uint32_t n_e, cap_e;
	/* The hot part of e[] for relaxation, 12 bytes a route: a full mesh of
	 * 1,000 DCs holds 1M routes, and memory bandwidth is the limit. dst is
	 * INFINITY for routes that can never be candidates (through us, or to
	 * the origin itself, which the direct link covers). */
	uint32_t *tgt;
	double *dst;
	uint32_t *path;
	uint32_t n_path, cap_path;
	double to_self;          /* its advertised distance to us, NAN if none */
	/* Gateways per sending server, and their union (pointers into src,
	 * rebuilt whenever src changes; cap_ugw >= all of src's gateways). */
	struct rt_gwsrc *src;
	uint32_t n_src;
	struct rt_ugw *ugw;
	uint32_t n_ugw, cap_ugw;
	/* Ids of the previous advertisement's name table, by index: the next
	 * one from this origin almost always lists the same names in the same
	 * order, so a strcmp confirms the id without hashing. */
	uint32_t *hint;
	uint32_t n_hint;
};

struct rt_route {
	uint8_t status;    /* enum mf_route_status */
	uint8_t mode;      /* enum mf_route_mode */
	bool down;
	uint32_t nh;       /* next-hop id or NONE */
	double dist;
	uint64_t epoch;    /* target incarnation the route reaches */
	uint32_t path_off, path_len;
	uint32_t alt_off, n_alt; /* alternates in the table's pool, best first */
};

/* A loop-free alternate next hop. */
struct rt_alt {
	uint32_t nh;
	double dist;
};

/* A table (or the advertised snapshot): one route per id, paths and
 * alternates in pools. */
struct rt_routes {
	struct rt_route *r;
	uint32_t n;        /* ids covered */
	uint32_t *path;
	uint32_t n_path, cap_path;
	struct rt_alt *alt;
	uint32_t n_alt, cap_alt;
};

struct mf_routing {
	struct mf_rt_names names;
	uint32_t self;
	char *node;
	enum mf_route_mode default_mode;
	bool transit;
	bool require_gw;
	uint32_t max_alt;
	double hyst_pct, hyst_ms, readv_pct, readv_ms;
	double settle_pct, settle_ms;
	uint64_t settle_time;     /* 0: a kept route is never settled */
	uint64_t next_settle;     /* earliest better_since + settle_time */

	uint32_t cap;            /* per-id arrays below */
	uint8_t *mode_ovr;       /* 0: default, else 1 + mode */
	struct rt_link *link;
	struct rt_origin *orig;
	struct rt_routes cur, next, snap;

	/* recompute scratch */
	double *best_d, *curc_d, *refc_d;
	uint32_t *best_nh, *best_e, *curc_e, *refc_e;
	uint32_t *cur_nh;        /* next hop in use per target, NONE if none */
	/* Per target, since when (caller's clock) a candidate has been shorter
	 * than the route hysteresis keeps by the settle margin, at every
	 * recompute; NO_SINCE when not. */
	uint64_t *better_since;
	/* alternates scratch: max_alt slots per target, best first; per
	 * target, compact for the hot loop: the LFA limit, the primary next
	 * hop and the distance an offer must beat */
	uint32_t *alt_nh, *alt_cnt, *alt_primary;
	double *alt_d, *alt_lim, *alt_worst;
	uint8_t *gw_touched;     /* the DC's gateway set changed since the last
				  * recompute (its routes' endpoints did) */

	/* The DC's shared choice: next hops of the newest advertisement of our
	 * DC sent by another server (NONE per target when it has no route, and
	 * all NONE while our own advertisement is the newest). Hysteresis
	 * prefers it to our own route in use, so servers of one DC that
	 * measure slightly differently converge on one table (docs/routing.md). */
	uint32_t *ref_nh;
	bool ref_set;
	uint64_t ref_seq;
	char *ref_node;
	uint32_t *stamp;         /* path marks, valid when == gen */
	uint32_t gen;
	uint32_t *tstamp;        /* target marks, valid when == tgen */
	uint32_t tgen;
	uint32_t *rank;          /* id -> position in name order, for ties */
	uint32_t n_ranked;       /* ids the ranks cover */

	uint64_t seq, seq_floor, version;
	uint64_t links_sig;      /* links_signature() of the table at `version` */
	size_t max_dcs;          /* names held at most (max_datacenters) */
	bool dirty;              /* an input changed since the last recompute */
	bool readvertise;        /* policy changed: next recompute re-advertises */
	uint64_t epoch;          /* this DC's incarnation */
	/* Tombstones: dead1[id] = 1 + the highest incarnation of DC id known to
	 * be dead (0: none). Routes to it reaching an incarnation below dead1
	 * are never candidates, and we pass the tombstone on. */
	uint64_t *dead1;
	uint64_t dead_gen, snap_dead_gen; /* tombstone changes, for re-advertising */
	/* Freshness (docs/routing.md, "Bounded withdrawal"): every DC's
	 * servers raise its epoch every beat_every, and a route is a candidate
	 * only while its target's highest epoch heard (beat[id], from any
	 * stored route) rose within max_age (beat_at[id] = now then). Time is
	 * the caller's (mf_routing_set_now); max_age 0 disables it. */
	uint64_t *beat, *beat_at;
	uint64_t now, max_age, beat_every, last_beat, epoch_every, snap_at, next_expiry;
	bool clocked, epochs_pending;
	bool beats_apart;        /* epochs travel in beats, not in new states */
	uint64_t readv_every;    /* small distance moves: a new state at most this often */
	bool dist_pending;       /* such a move waits for readv_every */
	struct mf_gateway *gws;
	size_t n_gws;
};

/* --- helpers ------------------------------------------------------------ */

static int grow(void **p, size_t elem, size_t old_n, size_t new_n)
{
	void *q = realloc(*p, elem * new_n);
	if (!q)
		return MF_ENOMEM;
	memset((char *)q + elem * old_n, 0, elem * (new_n - old_n));
	*p = q;
	return 0;
}

static void route_init(struct rt_route *rt)
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
	PER_ID(best_d, false), PER_ID(curc_d, false), PER_ID(refc_d, false),
	PER_ID(refc_e, false), PER_ID(ref_nh, false), PER_ID(best_nh, false),
	PER_ID(best_e, false), PER_ID(curc_e, false), PER_ID(cur_nh, false),
	PER_ID(better_since, false), PER_ID(dead1, false), PER_ID(beat, false),
	PER_ID(beat_at, false), PER_ID(stamp, false), PER_ID(tstamp, false),
	PER_ID(rank, false), PER_ID(alt_nh, true), PER_ID(alt_d, true),
	PER_ID(alt_cnt, false), PER_ID(alt_lim, false), PER_ID(alt_worst, false),
	PER_ID(alt_primary, false), PER_ID(gw_touched, false),
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
	size_t alts = r->max_alt ? r->max_alt : 1;
	for (size_t k = 0; k < N_PER_ID; k++)
		rc |= grow(per_id_field(r, k), PER_ID_ARRAYS[k].elem * (PER_ID_ARRAYS[k].per_alt ? alts : 1),
			   r->cap, cap);
	if (rc)
		return MF_ENOMEM; /* arrays that grew stay valid; cap unchanged */
	for (uint32_t i = r->cap; i < cap; i++) {
		r->ref_nh[i] = NONE;
		r->better_since[i] = NO_SINCE;
		r->orig[i].to_self = NAN;
		route_init(&r->cur.r[i]);
		route_init(&r->next.r[i]);
		route_init(&r->snap.r[i]);
	}
	r->cap = cap;
	return 0;
}

static int intern(struct mf_routing *r, const char *name, uint32_t *id)
{
	if (r->names.n >= r->max_dcs && mf_rt_names_find(&r->names, name, strlen(name), id) < 0)
		return MF_ETOOBIG;
	int rc = mf_rt_names_intern(&r->names, name, strlen(name), id);
	if (rc < 0)
		return rc;
	return ensure_cap(r, r->names.n);
}

/* A fresh mark value for a stamp array; wraps by clearing the array. */
static uint32_t next_mark(uint32_t *stamp, uint32_t *gen, uint32_t cap)
{
	if (++*gen == 0) {
		memset(stamp, 0, cap * sizeof *stamp);
		*gen = 1;
	}
	return *gen;
}

static int pool_reserve(uint32_t **pool, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	uint32_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	uint32_t *p = realloc(*pool, c * sizeof *p);
	if (!p)
		return MF_ENOMEM;
	*pool = p;
	*cap = c;
	return 0;
}

static void origin_clear(struct rt_origin *o)
{
	o->n_e = 0;
	o->n_path = 0;
	o->to_self = NAN;
	o->present = false;
}

static void gateways_free(struct mf_gateway *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mf_gateway_free(&g[i]);
	free(g);
}

static void gwsrc_free(struct rt_gwsrc *s)
{
	free(s->node);
	gateways_free(s->gws, s->n_gws);
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
	    c->default_mode > MF_MODE_SINGLE_HOP ||
	    c->max_alternates > MF_ROUTING_ALTERNATES_MAX)
		return MF_EINVAL;
	struct mf_routing *r = calloc(1, sizeof *r);
	if (!r)
		return MF_ENOMEM;
	mf_rt_names_init(&r->names);
	r->node = strdup(c->node);
	r->default_mode = c->default_mode;
	r->transit = c->transit;
	r->require_gw = c->require_gateways;
	r->max_alt = c->max_alternates;
	r->hyst_pct = c->hysteresis_pct;
	r->hyst_ms = c->hysteresis_ms;
	r->readv_pct = c->readvertise_pct;
	r->readv_ms = c->readvertise_ms;
	r->settle_pct = c->settle_pct;
	r->settle_ms = c->settle_ms;
	r->settle_time = c->settle_time;
	r->next_settle = UINT64_MAX;
	r->seq = r->seq_floor = c->initial_seq;
	r->max_dcs = c->max_datacenters ? c->max_datacenters : MF_ROUTING_MAX_DATACENTERS;
	r->epoch = c->epoch;
	r->max_age = c->max_age;
	r->beat_every = c->beat_interval;
	r->epoch_every = c->epoch_interval;
	r->beats_apart = c->beats_apart;
	r->readv_every = c->readvertise_interval;
	r->next_expiry = UINT64_MAX;
	int rc = r->node ? intern(r, c->datacenter, &r->self) : MF_ENOMEM;
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
		origin_clear(&r->orig[i]);
		free(r->orig[i].e);
		free(r->orig[i].tgt);
		free(r->orig[i].dst);
		free(r->orig[i].path);
		free(r->orig[i].node);
		free(r->orig[i].hint);
		for (uint32_t k = 0; k < r->orig[i].n_src; k++)
			gwsrc_free(&r->orig[i].src[k]);
		free(r->orig[i].src);
		free(r->orig[i].ugw);
	}
	gateways_free(r->gws, r->n_gws);
	struct rt_routes *t[] = {&r->cur, &r->next, &r->snap};
	for (size_t i = 0; i < 3; i++) {
		free(t[i]->path);
		free(t[i]->alt);
	}
	for (size_t k = 0; k < N_PER_ID; k++)
		free(*per_id_field(r, k));
	free(r->ref_node);
	free(r->node);
	mf_rt_names_free(&r->names);
	free(r);
}

int mf_routing_set_mode(struct mf_routing *r, const char *target, enum mf_route_mode mode)
{
	uint32_t id;
	if (!target || mode > MF_MODE_SINGLE_HOP)
		return MF_EINVAL;
	int rc = intern(r, target, &id);
	if (rc < 0)
		return rc;
	r->mode_ovr[id] = (uint8_t)(1 + mode);
	r->dirty = true;
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
	r->dirty = true;
	return 0;
}

int mf_routing_set_link(struct mf_routing *r, const char *dc, bool configured, bool usable,
			double distance_ms)
{
	uint32_t id;
	if (!dc || (usable && !(isfinite(distance_ms) && distance_ms >= 0)) || (usable && !configured))
		return MF_EINVAL;
	int rc = intern(r, dc, &id);
	if (rc < 0)
		return rc;
	if (id == r->self)
		return MF_EINVAL;
	struct rt_link nl = {configured, usable, usable ? distance_ms : INFINITY};
	struct rt_link *l = &r->link[id];
	bool changed = l->configured != nl.configured || l->usable != nl.usable ||
		       (usable && l->dist != nl.dist);
	*l = nl;
	r->dirty |= changed;
	return changed ? 1 : 0;
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
	gateways_free(r->gws, r->n_gws);
	r->gws = copy;
	r->n_gws = n;
	r->snap.n = 0; /* forces a new advertisement seq at the next recompute */
	r->dirty = true;
	return 1;
}

/* --- gateways of other DCs ------------------------------------------------ */

static int cmp_ugw(const void *a, const void *b)
{
	const struct rt_ugw *x = a, *y = b;
	int c = strcmp(x->g->name, y->g->name);
	if (c)
		return c;
	return x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

/* Rebuilds DC id's union from its servers' entries (cap_ugw suffices, so
 * this never fails) and marks its set changed. */
static void rebuild_union(struct mf_routing *r, uint32_t id)
{
	struct rt_origin *o = &r->orig[id];
	uint32_t n = 0;
	for (uint32_t s = 0; s < o->n_src; s++)
		for (size_t k = 0; k < o->src[s].n_gws; k++)
			o->ugw[n++] = (struct rt_ugw){&o->src[s].gws[k], o->src[s].seq};
	if (n > 1)
		qsort(o->ugw, n, sizeof *o->ugw, cmp_ugw);
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (m == 0 || strcmp(o->ugw[m - 1].g->name, o->ugw[i].g->name) != 0)
			o->ugw[m++] = o->ugw[i];
	o->n_ugw = m;
	r->gw_touched[id] = 1;
	r->dirty = true;
}

static bool has_gateways(const struct mf_routing *r, uint32_t id)
{
	return r->orig[id].n_ugw > 0;
}

/* Takes the gateways of advertisement a (origin id o) for its sending
 * server when a is that server's newest. */
static int take_gateways(struct mf_routing *r, uint32_t o, const struct mf_advert *a)
{
	struct rt_origin *org = &r->orig[o];
	uint32_t s = 0;
	while (s < org->n_src && strcmp(org->src[s].node, a->node) != 0)
		s++;
	bool known = s < org->n_src;
	if ((known && a->seq <= org->src[s].seq) || (!known && a->n_gateways == 0) ||
	    (!known && org->n_src >= MF_ROUTING_GATEWAY_SOURCES_MAX))
		return 0;
	if (known && mf_gateways_equal(org->src[s].gws, org->src[s].n_gws, a->gateways, a->n_gateways)) {
		org->src[s].seq = a->seq;
		return 0;
	}
	/* Everything that can fail first: the copy, room for the entry and
	 * for the union. */
	size_t total = a->n_gateways;
	for (uint32_t k = 0; k < org->n_src; k++)
		total += k == s ? 0 : org->src[k].n_gws;
	struct mf_gateway *copy = NULL;
	char *node = known ? NULL : strdup(a->node);
	int rc = !known && !node ? MF_ENOMEM : mf_gateways_copy(a->gateways, a->n_gateways, &copy);
	if (rc == 0 && !known)
		rc = grow((void **)&org->src, sizeof *org->src, org->n_src, org->n_src + 1);
	if (rc == 0 && total > org->cap_ugw) {
		rc = grow((void **)&org->ugw, sizeof *org->ugw, org->cap_ugw, total);
		if (rc == 0)
			org->cap_ugw = (uint32_t)total;
	}
	if (rc < 0) {
		free(node);
		gateways_free(copy, a->n_gateways);
		return rc;
	}
	if (!known) {
		org->src[s].node = node;
		org->n_src++;
	} else {
		gateways_free(org->src[s].gws, org->src[s].n_gws);
	}
	org->src[s].seq = a->seq;
	org->src[s].gws = copy;
	org->src[s].n_gws = a->n_gateways;
	rebuild_union(r, o);
	return 0;
}

static void drop_gateways(struct mf_routing *r, uint32_t id)
{
	struct rt_origin *o = &r->orig[id];
	if (o->n_src == 0)
		return;
	for (uint32_t s = 0; s < o->n_src; s++)
		gwsrc_free(&o->src[s]);
	o->n_src = 0;
	rebuild_union(r, id);
}

/* Whether gateway g is in DC o's union with the same content. */
static bool union_has(const struct rt_origin *o, const struct mf_gateway *g)
{
	for (uint32_t i = 0; i < o->n_ugw; i++)
		if (strcmp(o->ugw[i].g->name, g->name) == 0)
			return mf_gateways_equal(o->ugw[i].g, 1, g, 1);
	return false;
}

bool mf_routing_advert_changes_gateways(const struct mf_routing *r, const struct mf_advert *a)
{
	uint32_t id;
	if (!a->origin || !a->node || strcmp(a->node, r->node) == 0 ||
	    mf_rt_names_find(&r->names, a->origin, strlen(a->origin), &id) < 0)
		return a->n_gateways > 0; /* a DC we know nothing of */
	const struct rt_origin *o = &r->orig[id];
	const struct rt_gwsrc *src = NULL;
	for (uint32_t s = 0; s < o->n_src && !src; s++)
		if (strcmp(o->src[s].node, a->node) == 0)
			src = &o->src[s];
	if (src && a->seq <= src->seq)
		return false;
	for (size_t k = 0; k < a->n_gateways; k++)
		if (!a->gateways[k].name || !union_has(o, &a->gateways[k]))
			return true;
	/* What the server no longer lists, unless another server does. */
	for (size_t k = 0; src && k < src->n_gws; k++) {
		bool kept = false;
		for (size_t j = 0; j < a->n_gateways && !kept; j++)
			kept = strcmp(a->gateways[j].name, src->gws[k].name) == 0;
		for (uint32_t s = 0; s < o->n_src && !kept; s++)
			for (size_t j = 0; &o->src[s] != src && j < o->src[s].n_gws && !kept; j++)
				kept = strcmp(o->src[s].gws[j].name, src->gws[k].name) == 0;
		if (!kept)
			return true;
	}
	return false;
}

int mf_routing_forget_gateways_of(struct mf_routing *r, const char *dc, const char *node)
{
	uint32_t id;
	if (!dc || !node || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	struct rt_origin *o = &r->orig[id];
	for (uint32_t s = 0; s < o->n_src; s++)
		if (strcmp(o->src[s].node, node) == 0) {
			bool had = o->src[s].n_gws > 0;
			gwsrc_free(&o->src[s]);
			o->src[s] = o->src[--o->n_src];
			if (had)
				rebuild_union(r, id);
			return had ? 1 : 0;
		}
	return 0;
}

size_t mf_routing_n_gateways_of(const struct mf_routing *r, const char *dc)
{
	uint32_t id;
	if (!dc || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	return r->orig[id].n_ugw;
}

/* Records that DC id is dead in incarnations <= epoch: drops every stored
 * route reaching such an incarnation. A tombstone about ourselves is
 * refuted, as SWIM refutes a suspicion: we move to a newer incarnation. */
static void raise_dead(struct mf_routing *r, uint32_t id, uint64_t epoch)
{
	if (id == r->self) {
		if (epoch >= r->epoch) {
			r->epoch = epoch + 1;
			r->snap.n = 0; /* re-advertise with the new incarnation */
			r->dirty = true;
		}
		return;
	}
	if (epoch == UINT64_MAX || epoch + 1 <= r->dead1[id])
		return;
	r->dead1[id] = epoch + 1;
	r->dead_gen++;
	r->dirty = true;
	for (uint32_t h = 0; h < r->names.n; h++) {
		struct rt_origin *o = &r->orig[h];
		for (uint32_t k = 0; o->present && k < o->n_e; k++)
			if (o->tgt[k] == id && o->e[k].epoch <= epoch)
				o->dst[k] = INFINITY;
	}
}

/* With beats, the servers of a DC share one epoch: each takes the highest
 * another one advertises (a plausible jump only), so a beat of any of them
 * raises what every other DC hears and none falls behind. */
static void own_epoch(struct mf_routing *r, const struct mf_advert *a)
{
	for (size_t i = 0; r->beat_every && i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->target < a->n_names && ar->n_hops == 0 && strcmp(a->names[ar->target], a->origin) == 0 &&
		    ar->epoch > r->epoch && ar->epoch - r->epoch <= MF_ROUTING_SEQ_JUMP_MAX) {
			r->epoch = ar->epoch;
			r->dirty = true;
		}
	}
}

/* A stored route reaches incarnation epoch of DC id: when it is the highest
 * heard, the DC's servers are alive now (they raise it every beat). */
static void heard_epoch(struct mf_routing *r, uint32_t id, uint64_t epoch)
{
	if (id == r->self || epoch <= r->beat[id])
		return;
	r->beat[id] = epoch;
	r->beat_at[id] = r->now;
}

/* No route to DC id is a candidate (but a usable direct link): its
 * highest epoch heard has not risen within max_age, so its servers are
 * cut off from every DC that could tell us (a partition), however many
 * stale paths our neighbours still hold. */
static bool stale(const struct mf_routing *r, uint32_t id)
{
	return r->max_age && r->clocked && r->now - r->beat_at[id] > r->max_age;
}

/* The newest epoch of t we know alive, for route c to it: the one the
 * route reaches or the highest heard in any stored route, whichever is
 * higher. Epochs come only from t's own servers, so passing on the highest
 * heard keeps freshness bounded (no DC can make one up), and it spreads a
 * beat by every neighbour's beat message rather than only along the paths
 * in use: a DC reached directly would otherwise pass on t's epoch only
 * when t's own beat message reached it. */
static uint64_t heard_or_route(const struct mf_routing *r, uint32_t t, const struct rt_route *c)
{
	return r->beats_apart && r->beat[t] > c->epoch ? r->beat[t] : c->epoch;
}

/* The epoch we advertise for target t whose snapshot route is s: with
 * beats apart the snapshot's epochs age between new states, so a state
 * (push-pull, refresh) carries the newest we hold: ours, or the one our
 * current route reaches. */
static uint64_t advertised_epoch(const struct mf_routing *r, uint32_t t, const struct rt_route *s)
{
	if (t == r->self)
		return r->epoch;
	const struct rt_route *c = t < r->cur.n ? &r->cur.r[t] : NULL;
	bool reach = c && c->status != MF_ROUTE_UNREACHABLE && !c->down;
	uint64_t e = reach ? heard_or_route(r, t, c) : 0;
	return e > s->epoch ? e : s->epoch;
}

/* Maps the advertisement's name indexes to ids, interning only the names
 * its routes use. */
static int map_name(struct mf_routing *r, uint32_t origin, const struct mf_advert *a, uint32_t *map,
		    uint32_t idx, uint32_t *id)
{
	if (idx >= a->n_names)
		return MF_EMALFORMED;
	const struct rt_origin *o = &r->orig[origin];
	if (map[idx] == NONE && idx < o->n_hint && o->hint[idx] != NONE &&
	    strcmp(r->names.names[o->hint[idx]], a->names[idx]) == 0)
		map[idx] = o->hint[idx];
	if (map[idx] == NONE) {
		int rc = intern(r, a->names[idx], &map[idx]);
		if (rc < 0)
			return rc == MF_EINVAL ? MF_EMALFORMED : rc;
	}
	*id = map[idx];
	return 0;
}

/* Whether seq may replace what we hold for origin id (see engine.h). */
static bool seq_plausible(const struct mf_routing *r, uint32_t id, uint64_t seq)
{
	uint64_t held = 0;
	if (id == r->self)
		held = r->seq > r->seq_floor ? r->seq : r->seq_floor;
	else if (id != NONE && id < r->cap && r->orig[id].present)
		held = r->orig[id].seq;
	if (!held)
		return seq <= MF_ROUTING_SEQ_MAX;
	return seq <= held || seq - held <= MF_ROUTING_SEQ_JUMP_MAX;
}

/* Another server's advertisement of our DC: when it is the newest we know
 * of, its next hops become the DC's shared choice. */
static int set_reference(struct mf_routing *r, const struct mf_advert *a)
{
	if (!seq_plausible(r, r->self, a->seq))
		return MF_ESTATE; /* would push our own seq out of reach */
	if (a->seq > r->seq_floor)
		r->seq_floor = a->seq;
	/* The newest advertisement of the DC: highest seq, then the node name
	 * that sorts last, as for other origins. */
	if (a->seq < r->seq || (a->seq == r->seq && strcmp(a->node, r->node) <= 0) ||
	    (r->ref_set && (a->seq < r->ref_seq || (a->seq == r->ref_seq && strcmp(a->node, r->ref_node) <= 0))))
		return 0;
	uint32_t *map = a->n_names ? malloc(a->n_names * sizeof *map) : NULL;
	uint32_t *tgt = a->n_routes ? malloc(a->n_routes * sizeof *tgt) : NULL;
	uint32_t *nh = a->n_routes ? malloc(a->n_routes * sizeof *nh) : NULL;
	char *node = strdup(a->node);
	int rc = (a->n_names && !map) || (a->n_routes && (!tgt || !nh)) || !node ? MF_ENOMEM : 0;
	for (size_t i = 0; rc == 0 && i < a->n_names; i++)
		map[i] = NONE;
	for (size_t i = 0; rc == 0 && i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->hops_off > a->n_hops || ar->n_hops > a->n_hops - ar->hops_off) {
			rc = MF_EMALFORMED;
			break;
		}
		if ((rc = map_name(r, r->self, a, map, ar->target, &tgt[i])) < 0)
			break;
		nh[i] = tgt[i];
		if (ar->n_hops)
			rc = map_name(r, r->self, a, map, a->hops[ar->hops_off], &nh[i]);
	}
	if (rc == 0) {
		for (uint32_t t = 0; t < r->cap; t++)
			r->ref_nh[t] = NONE;
		for (size_t i = 0; i < a->n_routes; i++)
			if (tgt[i] != r->self && nh[i] != r->self)
				r->ref_nh[tgt[i]] = nh[i];
		free(r->ref_node);
		r->ref_node = node;
		node = NULL;
		r->ref_seq = a->seq;
		r->ref_set = true;
		r->dirty = true;
	}
	free(map);
	free(tgt);
	free(nh);
	free(node);
	return rc;
}

int mf_routing_check_advert(const struct mf_routing *r, const struct mf_advert *a)
{
	if (!a || !a->origin || !a->node)
		return MF_EINVAL;
	if (a->n_names > r->max_dcs || a->n_routes > r->max_dcs || a->n_dead > r->max_dcs)
		return MF_ETOOBIG;
	if (a->n_gateways > MF_ADVERT_GATEWAYS_MAX)
		return MF_EMALFORMED;
	uint32_t id = NONE;
	if (mf_rt_names_find(&r->names, a->origin, strlen(a->origin), &id) < 0)
		id = NONE;
	if (!seq_plausible(r, id, a->seq))
		return MF_ESTATE;
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc >= a->n_names)
			return MF_EMALFORMED;
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->target >= a->n_names || !isfinite(ar->distance_ms) || ar->distance_ms < 0 ||
		    ar->n_hops > MF_ADVERT_HOPS_MAX || ar->hops_off > a->n_hops ||
		    ar->n_hops > a->n_hops - ar->hops_off)
			return MF_EMALFORMED;
		const char *t = a->names[ar->target];
		bool to_origin = strcmp(t, a->origin) == 0;
		if (to_origin && ar->n_hops != 0)
			return MF_EMALFORMED;
		for (size_t j = 0; j < i; j++)
			if (a->routes[j].target == ar->target)
				return MF_EMALFORMED; /* a target listed twice */
		/* The path origin, hops..., target names no DC twice. */
		/* a->hops is NULL in an advert without hops: no offset from it. */
		const uint32_t *h = ar->n_hops ? a->hops + ar->hops_off : NULL;
		for (uint32_t k = 0; k < ar->n_hops; k++) {
			if (h[k] >= a->n_names)
				return MF_EMALFORMED;
			const char *hk = a->names[h[k]];
			if (strcmp(hk, a->origin) == 0 || (!to_origin && strcmp(hk, t) == 0))
				return MF_EMALFORMED;
			for (uint32_t m = 0; m < k; m++)
				if (strcmp(a->names[h[m]], hk) == 0)
					return MF_EMALFORMED;
		}
	}
	return 0;
}

/* An advertisement's routes built into fresh arrays (build_origin), stored
 * by commit_origin only when everything succeeded. */
struct built {
	uint32_t *map;       /* its name indexes -> ids (the next one's hints) */
	struct rt_entry *e;
	uint32_t n_e;
	uint32_t *path, n_path, cap_path;
	uint32_t *tgt;
	double *dst;
	uint32_t *dead_ids;  /* its tombstones' DCs */
	char *node;
};

static void built_free(struct built *b)
{
	free(b->map);
	free(b->e);
	free(b->path);
	free(b->tgt);
	free(b->dst);
	free(b->dead_ids);
	free(b->node);
}

/* Validates advertisement a of origin o, interns the names its routes use
 * and builds its routes, paths (marking those through us) and the hot
 * (target, distance) arrays. Nothing stored changes but interned names. */
static int build_origin(struct mf_routing *r, uint32_t o, const struct mf_advert *a, struct built *b)
{
	memset(b, 0, sizeof *b);
	b->map = a->n_names ? malloc(a->n_names * sizeof *b->map) : NULL;
	b->e = a->n_routes ? malloc(a->n_routes * sizeof *b->e) : NULL;
	b->node = strdup(a->node);
	if ((a->n_names && !b->map) || (a->n_routes && !b->e) || !b->node)
		return MF_ENOMEM;
	for (size_t i = 0; i < a->n_names; i++)
		b->map[i] = NONE;
	int rc = 0;
	/* Interning below may grow the per-id arrays: index them afresh. */
	uint32_t tmark = next_mark(r->tstamp, &r->tgen, r->cap);
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		uint32_t t;
		if ((rc = map_name(r, o, a, b->map, ar->target, &t)) < 0)
			return rc;
		if (!isfinite(ar->distance_ms) || ar->distance_ms < 0 || ar->n_hops > MF_ADVERT_HOPS_MAX ||
		    ar->hops_off > a->n_hops || ar->n_hops > a->n_hops - ar->hops_off ||
		    (t == o && ar->n_hops != 0))
			return MF_EMALFORMED;
		if (r->tstamp[t] == tmark)
			return MF_EMALFORMED; /* a target listed twice */
		r->tstamp[t] = tmark;
		if (!a->transit && t != o)
			continue; /* a non-transit DC carries only itself */
		uint32_t len = t == o ? 1 : ar->n_hops + 2;
		if ((rc = pool_reserve(&b->path, &b->cap_path, b->n_path + len)) < 0)
			return rc;
		uint32_t *p = b->path + b->n_path;
		p[0] = o;
		for (uint32_t k = 0; k < ar->n_hops; k++)
			if ((rc = map_name(r, o, a, b->map, a->hops[ar->hops_off + k], &p[1 + k])) < 0)
				return rc;
		if (t != o)
			p[len - 1] = t;
		/* No DC twice on one path; note whether it passes us. */
		uint32_t pgen = next_mark(r->stamp, &r->gen, r->cap);
		bool loops = false;
		for (uint32_t k = 0; k < len; k++) {
			if (r->stamp[p[k]] == pgen)
				return MF_EMALFORMED;
			r->stamp[p[k]] = pgen;
			loops |= p[k] == r->self;
		}
		b->e[b->n_e++] = (struct rt_entry){t, b->n_path, (uint16_t)len, loops, ar->distance_ms,
						   ar->epoch};
		b->n_path += len;
	}
	if (b->n_e) {
		b->tgt = malloc(b->n_e * sizeof *b->tgt);
		b->dst = malloc(b->n_e * sizeof *b->dst);
		if (!b->tgt || !b->dst)
			return MF_ENOMEM;
		for (uint32_t k = 0; k < b->n_e; k++) {
			const struct rt_entry *x = &b->e[k];
			b->tgt[k] = x->target;
			b->dst[k] = x->loops || x->target == o || x->epoch < r->dead1[x->target] ? INFINITY
												 : x->dist;
		}
	}
	/* Tombstones it carries, mapped now, applied once it is stored. */
	if (a->n_dead) {
		b->dead_ids = malloc(a->n_dead * sizeof *b->dead_ids);
		if (!b->dead_ids)
			return MF_ENOMEM;
		for (size_t k = 0; k < a->n_dead; k++) {
			if (a->dead[k].dc >= a->n_names)
				return MF_EMALFORMED;
			if ((rc = map_name(r, o, a, b->map, a->dead[k].dc, &b->dead_ids[k])) < 0)
				return rc;
		}
	}
	return 0;
}

/* Stores what build_origin built as origin o's advertisement (taking its
 * arrays), then the epochs and tombstones it carries. Cannot fail. */
static void commit_origin(struct mf_routing *r, uint32_t o, const struct mf_advert *a, struct built *b)
{
	struct rt_origin *org = &r->orig[o];
	origin_clear(org);
	free(org->e);
	free(org->tgt);
	free(org->dst);
	free(org->path);
	free(org->node);
	free(org->hint);
	org->e = b->e;
	org->tgt = b->tgt;
	org->dst = b->dst;
	org->n_e = org->cap_e = b->n_e;
	org->path = b->path;
	org->n_path = b->n_path;
	org->cap_path = b->cap_path;
	org->node = b->node;
	org->hint = b->map;
	org->n_hint = (uint32_t)a->n_names;
	org->seq = a->seq;
	org->transit = a->transit;
	org->present = true;
	org->self_epoch = 0;
	for (uint32_t k = 0; k < b->n_e; k++) {
		if (b->e[k].target == o)
			org->self_epoch = b->e[k].epoch;
		if (b->e[k].target == r->self)
			org->to_self = b->e[k].dist;
	}
	r->dirty = true;
	for (uint32_t k = 0; k < b->n_e; k++)
		heard_epoch(r, b->e[k].target, b->e[k].epoch);
	for (size_t k = 0; k < a->n_dead; k++)
		raise_dead(r, b->dead_ids[k], a->dead[k].epoch);
	free(b->dead_ids);
	memset(b, 0, sizeof *b);
}

int mf_routing_set_advert(struct mf_routing *r, const struct mf_advert *a)
{
	uint32_t o;
	if (!a || !a->origin || !a->node)
		return MF_EINVAL;
	if (a->n_names > r->max_dcs || a->n_routes > r->max_dcs || a->n_dead > r->max_dcs)
		return MF_ETOOBIG;
	int rc = intern(r, a->origin, &o);
	if (rc < 0)
		return rc == MF_EINVAL ? MF_EMALFORMED : rc;
	if (a->n_gateways > MF_ADVERT_GATEWAYS_MAX)
		return MF_EMALFORMED;
	if (o == r->self) {
		own_epoch(r, a);
		/* Another server of our DC: its gateways are kept too (the node
		 * relays what changes the DC's set), never our own echo. */
		rc = strcmp(a->node, r->node) != 0 ? take_gateways(r, o, a) : 0;
		if (rc == 0)
			rc = set_reference(r, a);
		return rc < 0 ? rc : 0;
	}
	const struct rt_origin *old = &r->orig[o];
	if (!seq_plausible(r, o, a->seq))
		return MF_ESTATE;
	if (old->present && (a->seq < old->seq || (a->seq == old->seq && strcmp(a->node, old->node) <= 0))) {
		/* Stale for routes; its server's gateways may still be news. */
		rc = take_gateways(r, o, a);
		return rc < 0 ? rc : 0;
	}
	struct built b;
	rc = build_origin(r, o, a, &b);
	/* Last of what can fail: the routes are then stored for sure. */
	if (rc == 0)
		rc = take_gateways(r, o, a);
	if (rc < 0) {
		built_free(&b);
		return rc;
	}
	commit_origin(r, o, a, &b);
	return 1;
}

int mf_routing_withdraw_origin(struct mf_routing *r, const char *dc)
{
	uint32_t id;
	if (!dc || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	drop_gateways(r, id);
	if (!r->orig[id].present)
		return 0;
	/* Its last server is gone: every route to this incarnation is dead,
	 * here and, through the tombstone we advertise, everywhere. Without
	 * it, DCs that never shared a pool with it would hunt through stale
	 * paths for many rounds (docs/routing.md). */
	uint64_t ep = r->orig[id].self_epoch;
	origin_clear(&r->orig[id]);
	if (ep)
		raise_dead(r, id, ep);
	r->dirty = true;
	return 1;
}

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
 * were added since. */
static int rank_names(struct mf_routing *r, uint32_t n)
{
	if (r->n_ranked == n)
		return 0;
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
	return gain > cd * r->hyst_pct / 100.0 && gain > r->hyst_ms;
}

/* Whether hysteresis gives up the route it keeps for target t (distance
 * kd) to the best candidate (bd): once the best has been shorter by the
 * settle margin at every recompute for settle_time, the kept route is
 * shown worse by measurement, not by one noisy sample (docs/routing.md,
 * "Hysteresis"). Starts or clears t's timer. */
static bool settled(struct mf_routing *r, uint32_t t, double kd, double bd)
{
	double gain = kd - bd;
	if (!r->settle_time || !r->clocked ||
	    !(gain > kd * r->settle_pct / 100.0 && gain > r->settle_ms)) {
		r->better_since[t] = NO_SINCE;
		return false;
	}
	if (r->better_since[t] == NO_SINCE)
		r->better_since[t] = r->now;
	if (r->now - r->better_since[t] >= r->settle_time) {
		r->better_since[t] = NO_SINCE;
		return true;
	}
	return false;
}

static int put_path(struct rt_routes *t, struct rt_route *rt, const uint32_t *p, uint32_t n,
		    uint32_t self)
{
	uint32_t extra = self != NONE ? 1 : 0;
	int rc = pool_reserve(&t->path, &t->cap_path, t->n_path + n + extra);
	if (rc < 0)
		return rc;
	rt->path_off = t->n_path;
	rt->path_len = n + extra;
	if (extra)
		t->path[t->n_path++] = self;
	memcpy(t->path + t->n_path, p, n * sizeof *p);
	t->n_path += n;
	return 0;
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

/* Whether the gateway set of route x's next hop or of one of its
 * alternates changed since the last recompute. */
static bool endpoints_changed(const struct mf_routing *r, const struct rt_routes *a,
			      const struct rt_route *x)
{
	if (x->nh != NONE && r->gw_touched[x->nh])
		return true;
	for (uint32_t k = 0; k < x->n_alt; k++)
		if (r->gw_touched[a->alt[x->alt_off + k].nh])
			return true;
	return false;
}

/* A neighbour whose advertised routes are candidates: usable link, a
 * stored transit advertisement, gateways when they are required. */
static bool usable_neighbour(const struct mf_routing *r, uint32_t h)
{
	const struct rt_origin *o = &r->orig[h];
	return h != r->self && r->link[h].usable && o->present && o->transit &&
	       (!r->require_gw || has_gateways(r, h));
}

/* Relaxes every candidate into best_* and, for each target, the candidate
 * through the next hop in use into curc_*. */
static void relax(struct mf_routing *r, uint32_t n)
{
	for (uint32_t t = 0; t < n; t++) {
		r->best_d[t] = INFINITY;
		r->best_nh[t] = NONE;
		r->curc_d[t] = INFINITY;
		r->curc_e[t] = NONE;
		r->refc_d[t] = INFINITY;
		r->refc_e[t] = NONE;
		r->cur_nh[t] = t < r->cur.n ? r->cur.r[t].nh : NONE;
	}
	const uint32_t *ref_nh = r->ref_set ? r->ref_nh : NULL;
	const bool req = r->require_gw;
	for (uint32_t t = 0; t < n; t++) {
		const struct rt_link *l = &r->link[t];
		if (t == r->self || !l->usable || (req && !has_gateways(r, t)))
			continue;
		r->best_d[t] = l->dist;
		r->best_nh[t] = t;
		r->best_e[t] = DIRECT_ENTRY;
		if (r->cur_nh[t] == t) {
			r->curc_d[t] = l->dist;
			r->curc_e[t] = DIRECT_ENTRY;
		}
		if (ref_nh && ref_nh[t] == t) {
			r->refc_d[t] = l->dist;
			r->refc_e[t] = DIRECT_ENTRY;
		}
	}
	double *best_d = r->best_d;
	uint32_t *best_nh = r->best_nh, *cur_nh = r->cur_nh;
	for (uint32_t h = 0; h < n; h++) {
		const struct rt_origin *o = &r->orig[h];
		if (!usable_neighbour(r, h))
			continue;
		const double base = r->link[h].dist;
		const uint32_t *tgt = o->tgt;
		const double *dst = o->dst;
		for (uint32_t i = 0; i < o->n_e; i++) {
			uint32_t t = tgt[i];
			double c = base + dst[i];
			if (cur_nh[t] == h && isfinite(c)) {
				r->curc_d[t] = c;
				r->curc_e[t] = i;
			}
			if (ref_nh && ref_nh[t] == h && isfinite(c)) {
				r->refc_d[t] = c;
				r->refc_e[t] = i;
			}
			if (c < best_d[t] || (c == best_d[t] && isfinite(c) && name_before(r, h, best_nh[t]))) {
				best_d[t] = c;
				best_nh[t] = h;
				r->best_e[t] = i;
			}
		}
	}
	/* Stale targets keep only their direct link: undone here rather than
	 * tested per entry in the hot loop above. */
	for (uint32_t t = 0; r->max_age && r->clocked && t < n; t++) {
		if (!stale(r, t))
			continue;
		if (r->curc_e[t] != DIRECT_ENTRY) {
			r->curc_d[t] = INFINITY;
			r->curc_e[t] = NONE;
		}
		if (r->refc_e[t] != DIRECT_ENTRY) {
			r->refc_d[t] = INFINITY;
			r->refc_e[t] = NONE;
		}
		if (best_nh[t] != NONE && r->best_e[t] != DIRECT_ENTRY) {
			const struct rt_link *l = &r->link[t];
			bool direct = t != r->self && l->usable && !(req && !has_gateways(r, t));
			best_d[t] = direct ? l->dist : INFINITY;
			best_nh[t] = direct ? t : NONE;
			r->best_e[t] = DIRECT_ENTRY;
		}
	}
}

/* Fills next.r[t] with the chosen route for target t. */
static int choose(struct mf_routing *r, uint32_t t)
{
	struct rt_routes *nx = &r->next;
	struct rt_route *rt = &nx->r[t];
	route_init(rt);
	if (t == r->self) {
		rt->status = MF_ROUTE_LOCAL;
		rt->dist = 0;
		rt->epoch = r->epoch;
		rt->mode = r->default_mode;
		return put_path(nx, rt, &r->self, 1, NONE);
	}
	rt->mode = r->mode_ovr[t] ? (uint8_t)(r->mode_ovr[t] - 1) : (uint8_t)r->default_mode;
	const struct rt_link *l = &r->link[t];
	/* A DC we know (a neighbour) to have no gateway cannot take traffic. */
	if (r->require_gw && !has_gateways(r, t) && (l->usable || r->orig[t].present)) {
		rt->status = MF_ROUTE_NO_GATEWAY;
		return 0;
	}
	if (rt->mode == MF_MODE_SINGLE_HOP && l->configured) {
		rt->status = MF_ROUTE_DIRECT;
		rt->nh = t;
		rt->epoch = r->orig[t].self_epoch;
		rt->down = !l->usable;
		rt->dist = l->usable ? l->dist : INFINITY;
		return put_path(nx, rt, &t, 1, r->self);
	}
	uint32_t nh = r->best_nh[t], ei = r->best_e[t];
	double d = r->best_d[t];
	const struct rt_route *cur = &r->cur.r[t];
	bool hysteresis = r->hyst_pct != 0 || r->hyst_ms != 0;
	/* The DC's shared choice first, then our own route in use, each kept
	 * while the best is not shorter by the margin. Our own comes second so
	 * two servers whose measurements differ by more than the margin settle
	 * on different routes instead of taking turns at overriding each other. */
	bool kept = false;
	if (hysteresis && r->ref_set && r->ref_nh[t] != NONE &&
	    r->refc_e[t] != NONE && !worth_switching(r, r->refc_d[t], d)) {
		kept = !settled(r, t, r->refc_d[t], d);
		if (kept) {
			nh = r->ref_nh[t];
			ei = r->refc_e[t];
			d = r->refc_d[t];
		}
	} else if (hysteresis && cur->nh != NONE && cur->nh != nh && r->curc_e[t] != NONE &&
		   !worth_switching(r, r->curc_d[t], d)) {
		kept = !settled(r, t, r->curc_d[t], d);
		if (kept) {
			nh = cur->nh;
			ei = r->curc_e[t];
			d = r->curc_d[t];
		}
	}
	if (!kept)
		r->better_since[t] = NO_SINCE;
	if (nh == NONE)
		return 0; /* unreachable */
	rt->nh = nh;
	rt->dist = d;
	if (ei == DIRECT_ENTRY) {
		rt->status = MF_ROUTE_DIRECT;
		rt->epoch = r->orig[t].self_epoch;
		return put_path(nx, rt, &t, 1, r->self);
	}
	const struct rt_origin *o = &r->orig[nh];
	const struct rt_entry *e = &o->e[ei];
	rt->status = MF_ROUTE_VIA;
	rt->epoch = e->epoch;
	return put_path(nx, rt, o->path + e->path_off, e->path_len, r->self);
}

/* Offers next hop h at distance d (<= alt_worst[t]) as an alternate for
 * target t: kept when among the max_alt best (distance, then name). */
static void alt_offer(struct mf_routing *r, uint32_t t, uint32_t h, double d)
{
	const uint32_t K = r->max_alt;
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

/* Loop-free alternates (engine.h) of every route in next: the targets as
 * direct neighbours, then one sequential walk over every usable
 * neighbour's advertisement, as relax() does. alt_lim[t] is dist(self, t)
 * for routes that take alternates, -INFINITY for the others, so the LFA
 * test alone filters them. */
static int alternates(struct mf_routing *r, uint32_t n)
{
	struct rt_routes *nx = &r->next;
	nx->n_alt = 0;
	if (r->max_alt == 0)
		return 0;
	for (uint32_t t = 0; t < n; t++) {
		const struct rt_route *rt = &nx->r[t];
		bool policy_direct = rt->mode == MF_MODE_SINGLE_HOP && r->link[t].configured;
		bool takes = rt->nh != NONE && !rt->down && isfinite(rt->dist) && !policy_direct;
		r->alt_lim[t] = takes ? rt->dist : -INFINITY;
		r->alt_primary[t] = rt->nh;
		r->alt_worst[t] = INFINITY;
		r->alt_cnt[t] = 0;
		if (takes && rt->nh != t && r->link[t].usable)
			alt_offer(r, t, t, r->link[t].dist); /* the target itself: always loop-free */
		if (stale(r, t))
			r->alt_lim[t] = -INFINITY; /* no route through others */
	}
	for (uint32_t h = 0; h < n; h++) {
		const struct rt_origin *o = &r->orig[h];
		if (!usable_neighbour(r, h))
			continue;
		const double base = r->link[h].dist;
		const double back = isfinite(o->to_self) ? o->to_self : base; /* dist(h, self) */
		const uint32_t *tgt = o->tgt;
		const double *dst = o->dst; /* INFINITY: through us, to h itself, dead */
		const double *lim = r->alt_lim, *worst = r->alt_worst;
		const uint32_t *primary = r->alt_primary;
		for (uint32_t i = 0; i < o->n_e; i++) {
			uint32_t t = tgt[i];
			double d = base + dst[i];
			if (d <= worst[t] && dst[i] < back + lim[t] && primary[t] != h)
				alt_offer(r, t, h, d);
		}
	}
	uint32_t total = 0;
	for (uint32_t t = 0; t < n; t++)
		total += r->alt_cnt[t];
	if (total > nx->cap_alt) {
		uint32_t c = nx->cap_alt ? nx->cap_alt : 64;
		while (c < total)
			c *= 2;
		struct rt_alt *p = realloc(nx->alt, c * sizeof *p);
		if (!p)
			return MF_ENOMEM;
		nx->alt = p;
		nx->cap_alt = c;
	}
	for (uint32_t t = 0; t < n; t++) {
		struct rt_route *rt = &nx->r[t];
		rt->alt_off = nx->n_alt;
		rt->n_alt = r->alt_cnt[t];
		for (uint32_t k = 0; k < rt->n_alt; k++)
			nx->alt[nx->n_alt++] = (struct rt_alt){r->alt_nh[(size_t)t * r->max_alt + k],
							       r->alt_d[(size_t)t * r->max_alt + k]};
	}
	return 0;
}

static bool advertisable(const struct mf_routing *r, uint32_t t, const struct rt_route *rt)
{
	if (t == r->self)
		return true;
	return r->transit && (rt->status == MF_ROUTE_DIRECT || rt->status == MF_ROUTE_VIA) && !rt->down &&
	       isfinite(rt->dist);
}

static bool moved(const struct mf_routing *r, double was, double now)
{
	if (r->readv_pct == 0 && r->readv_ms == 0)
		return was != now;
	double d = fabs(now - was);
	return d > was * r->readv_pct / 100.0 && d > r->readv_ms;
}

/* Whether a distance move from was to now (past the re-advertise
 * threshold) is advertised now: at once past the hysteresis margin (it may
 * make a neighbour switch), else at most every readv_every. Under noise
 * most moves are small, and each new state is a full state gossiped to
 * every member (docs/routing.md, "Beats apart from full state"). */
static bool distance_due(const struct mf_routing *r, double was, double now)
{
	double d = fabs(now - was);
	bool margin = (r->hyst_pct == 0 && r->hyst_ms == 0) ||
		      (d > was * r->hyst_pct / 100.0 && d > r->hyst_ms);
	return margin || !r->readv_every || !r->clocked || r->now - r->snap_at >= r->readv_every;
}

/* Whether a change of target t's epoch alone is advertised now. Other DCs'
 * beats are batched (at most one new state per epoch_every): at 1,000 DCs
 * beating every 15 s, a new state per beat would be 67 a second. Our own
 * beat always goes out: it is what keeps our routes alive elsewhere. */
static bool epochs_due(const struct mf_routing *r, uint32_t t)
{
	return t == r->self || !r->epoch_every || !r->clocked || r->now - r->snap_at >= r->epoch_every;
}

/* Updates the advertised snapshot from the current table when it differs
 * enough; bumps the seq then. */
static int refresh_snapshot(struct mf_routing *r, uint32_t n)
{
	bool differ = r->readvertise || r->snap.n != n || r->snap_dead_gen != r->dead_gen;
	for (uint32_t t = 0; t < n && !differ; t++) {
		const struct rt_route *c = &r->cur.r[t], *s = &r->snap.r[t];
		bool want = advertisable(r, t, c), have = s->status != MF_ROUTE_UNREACHABLE;
		if (want != have)
			differ = true;
		else if (want && (c->path_len != s->path_len ||
				  memcmp(r->cur.path + c->path_off, r->snap.path + s->path_off,
					 c->path_len * sizeof(uint32_t)) != 0))
			differ = true;
		else if (want && moved(r, s->dist, c->dist)) {
			differ = distance_due(r, s->dist, c->dist);
			r->dist_pending |= !differ; /* goes with the next new state */
		}
		else if (want && c->epoch != s->epoch && !r->beats_apart) {
			differ = epochs_due(r, t);
			r->epochs_pending |= !differ; /* goes with the next flush */
		}
	}
	if (!differ)
		return 0;
	r->snap.n_path = 0;
	for (uint32_t t = 0; t < n; t++) {
		struct rt_route *s = &r->snap.r[t];
		const struct rt_route *c = &r->cur.r[t];
		route_init(s);
		if (!advertisable(r, t, c))
			continue;
		*s = *c;
		s->n_alt = 0; /* alternates are not advertised */
		int rc = put_path(&r->snap, s, r->cur.path + c->path_off, c->path_len, NONE);
		if (rc < 0) {
			r->snap.n = 0;
			return rc;
		}
	}
	r->snap.n = n;
	r->snap_dead_gen = r->dead_gen;
	r->readvertise = false;
	r->snap_at = r->now;
	r->epochs_pending = false;
	r->dist_pending = false;
	r->seq = (r->seq > r->seq_floor ? r->seq : r->seq_floor) + 1;
	r->ref_set = false; /* ours is now the newest advertisement of the DC */
	return 0;
}

/* A fingerprint of the links mf_routing_table() lists (ours and the ones
 * other DCs advertise): they are part of the published table, so a change
 * in them alone is a new version, or a subscriber at version N would hold
 * other links than `meshfed routes` at version N. */
static uint64_t links_signature(const struct mf_routing *r)
{
	uint64_t h = mf_name_hash(NULL, 0);
	for (uint32_t d = 0; d < r->names.n; d++) {
		const struct rt_link *l = &r->link[d];
		if (d == r->self || !l->configured)
			continue;
		double dist = l->usable ? l->dist : -1;
		h = mf_name_hash_more(h, &d, sizeof d);
		h = mf_name_hash_more(h, &dist, sizeof dist);
	}
	for (uint32_t o = 0; o < r->names.n; o++) {
		const struct rt_origin *og = &r->orig[o];
		for (uint32_t i = 0; og->present && i < og->n_e; i++) {
			const struct rt_entry *e = &og->e[i];
			if (e->path_len != 2 || e->target == r->self)
				continue;
			h = mf_name_hash_more(h, &o, sizeof o);
			h = mf_name_hash_more(h, &e->target, sizeof e->target);
			h = mf_name_hash_more(h, &e->dist, sizeof e->dist);
		}
	}
	return h;
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
	relax(r, n);
	r->next.n_path = 0;
	for (uint32_t t = 0; t < n && rc == 0; t++)
		rc = choose(r, t);
	if (rc == 0)
		rc = alternates(r, n);
	if (rc < 0)
		return rc;
	bool diff = r->cur.n != n;
	for (uint32_t t = 0; t < n && !diff; t++)
		diff = !same_route(&r->cur, &r->cur.r[t], &r->next, &r->next.r[t]) ||
		       endpoints_changed(r, &r->next, &r->next.r[t]);
	uint64_t sig = links_signature(r);
	if (sig != r->links_sig) {
		r->links_sig = sig;
		diff = true;
	}
	memset(r->gw_touched, 0, n * sizeof *r->gw_touched);
	struct rt_routes tmp = r->cur;
	r->cur = r->next;
	r->next = tmp;
	r->cur.n = n;
	if (diff)
		r->version++;
	if (changed)
		*changed = diff;
	rc = refresh_snapshot(r, n);
	r->dirty = rc < 0;
	r->next_expiry = UINT64_MAX;
	for (uint32_t t = 0; r->max_age && r->clocked && t < n; t++)
		if (r->beat[t] && !stale(r, t) && r->beat_at[t] + r->max_age + 1 < r->next_expiry)
			r->next_expiry = r->beat_at[t] + r->max_age + 1;
	r->next_settle = UINT64_MAX;
	for (uint32_t t = 0; r->settle_time && t < n; t++)
		if (r->better_since[t] != NO_SINCE && r->better_since[t] + r->settle_time < r->next_settle)
			r->next_settle = r->better_since[t] + r->settle_time;
	return rc;
}

void mf_routing_set_now(struct mf_routing *r, uint64_t now)
{
	if (!r->clocked) {
		/* Routes held before the clock started are as fresh as now. */
		for (uint32_t t = 0; t < r->names.n; t++)
			r->beat_at[t] = now;
		r->last_beat = r->snap_at = now;
		r->clocked = true;
		r->dirty = true;
	}
	r->now = now;
	if (r->beat_every && now - r->last_beat >= r->beat_every) {
		r->last_beat = now;
		r->epoch++;
		r->dirty = true;
	}
	if (now >= r->next_expiry || now >= r->next_settle ||
	    (r->epochs_pending && now - r->snap_at >= r->epoch_every) ||
	    (r->dist_pending && now - r->snap_at >= r->readv_every))
		r->dirty = true;
}

uint64_t mf_routing_version(const struct mf_routing *r)
{
	return r->version;
}

uint64_t mf_routing_advert_seq(const struct mf_routing *r)
{
	return r->seq;
}

/* --- outputs ------------------------------------------------------------ */

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
	if (t->n_links == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct mf_table_link *l = realloc(t->links, c * sizeof *l);
		if (!l)
			return MF_ENOMEM;
		t->links = l;
		*cap = c;
	}
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
	const char *self = r->names.names[r->self];
	for (uint32_t d = 0; d < r->names.n && rc == 0; d++) {
		const struct rt_link *l = &r->link[d];
		if (d != r->self && l->configured)
			rc = add_link(out, &cap, self, r->names.names[d], l->usable ? l->dist : NAN, l->usable);
	}
	for (uint32_t h = 0; h < r->names.n && rc == 0; h++) {
		const struct rt_origin *o = &r->orig[h];
		for (uint32_t i = 0; o->present && i < o->n_e && rc == 0; i++)
			if (o->e[i].path_len == 2 && o->e[i].target != r->self)
				rc = add_link(out, &cap, r->names.names[h], r->names.names[o->e[i].target],
					      o->e[i].dist, true);
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
	/* Tombstones for the DCs we know dead and do not route to. */
	size_t nd = 0;
	for (uint32_t t = 0; t < n; t++)
		nd += r->dead1[t] != 0;
	if (rc == 0 && nd) {
		out->dead = calloc(nd, sizeof *out->dead);
		rc = out->dead ? 0 : MF_ENOMEM;
	}
	for (uint32_t t = 0; rc == 0 && t < n; t++) {
		const struct rt_route *s = t < r->snap.n ? &r->snap.r[t] : NULL;
		bool routed = s && s->status != MF_ROUTE_UNREACHABLE && s->epoch >= r->dead1[t];
		if (r->dead1[t] && !routed)
			out->dead[out->n_dead++] = (struct mf_advert_dead){t, r->dead1[t] - 1};
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

size_t mf_routing_beats(const struct mf_routing *r, struct mf_beat_entry *out, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	out[n++] = (struct mf_beat_entry){mf_beat_dc_hash(r->names.names[r->self]),
					  (uint16_t)r->epoch};
	for (uint32_t t = 0; t < r->cur.n && n < cap; t++) {
		const struct rt_route *c = &r->cur.r[t];
		if (t != r->self && advertisable(r, t, c))
			out[n++] = (struct mf_beat_entry){mf_beat_dc_hash(r->names.names[t]),
							  (uint16_t)heard_or_route(r, t, c)};
	}
	return n;
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
		for (size_t i = 0; r->beat_every && i < n; i++)
			if (b[i].dc_hash == h && widen_epoch(r->epoch, b[i].epoch16, &e)) {
				r->epoch = e;
				r->dirty = true;
				raised++;
				break;
			}
		return raised;
	}
	struct rt_origin *org = &r->orig[o];
	if (!org->present)
		return 0;
	uint32_t hint = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = beat_entry(r, org, b[i].dc_hash, hint);
		uint64_t e;
		if (k == NONE)
			continue;
		hint = k + 1;
		struct rt_entry *x = &org->e[k];
		if (!widen_epoch(x->epoch, b[i].epoch16, &e))
			continue;
		x->epoch = e;
		if (x->target == o)
			org->self_epoch = e;
		else if (!x->loops)
			org->dst[k] = e < r->dead1[x->target] ? INFINITY : x->dist;
		heard_epoch(r, x->target, e);
		raised++;
	}
	if (raised)
		r->dirty = true;
	return raised;
}

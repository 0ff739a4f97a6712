/*
 * routing/advert_delta.c — deltas between full states (contract in
 * advert_delta.h). Routes are matched by target name: the two states have
 * their own name tables.
 */
#include "routing/advert_delta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "routing/advert_internal.h"

/* Names -> small values, open addressing (slot = index + 1, 0 empty); the
 * names are borrowed. */
struct nmap {
	const char **key;
	uint32_t *val;
	uint32_t n;
	uint32_t *slot;
	size_t n_slots;
};

static int nmap_init(struct nmap *m, size_t cap)
{
	memset(m, 0, sizeof *m);
	m->n_slots = 16;
	while (m->n_slots < 2 * cap + 2)
		m->n_slots *= 2;
	m->slot = calloc(m->n_slots, sizeof *m->slot);
	m->key = malloc((cap + 1) * sizeof *m->key);
	m->val = malloc((cap + 1) * sizeof *m->val);
	return m->slot && m->key && m->val ? 0 : MF_ENOMEM;
}

static void nmap_free(struct nmap *m)
{
	free(m->slot);
	free(m->key);
	free(m->val);
}

static size_t nmap_at(const struct nmap *m, const char *k)
{
	size_t mask = m->n_slots - 1, i = (size_t)mf_name_hash(k, strlen(k)) & mask;
	while (m->slot[i] && strcmp(m->key[m->slot[i] - 1], k) != 0)
		i = (i + 1) & mask;
	return i;
}

/* The value of k, or UINT32_MAX. */
static uint32_t nmap_get(const struct nmap *m, const char *k)
{
	uint32_t s = m->slot[nmap_at(m, k)];
	return s ? m->val[s - 1] : UINT32_MAX;
}

/* Adds k (capacity was reserved at init); an existing key keeps its value. */
static void nmap_put(struct nmap *m, const char *k, uint32_t v)
{
	size_t i = nmap_at(m, k);
	if (m->slot[i])
		return;
	m->key[m->n] = k;
	m->val[m->n] = v;
	m->slot[i] = ++m->n;
}

static uint64_t units(double ms)
{
	return (uint64_t)nearbyint(ms * 10.0);
}

/* Route x of a (now) against y of b (the base): same path, and a distance
 * within the tolerance (pct and ms both 0: equal at the wire's 0.1 ms). */
static bool same_route(const struct mf_advert *a, const struct mf_advert_route *x,
		       const struct mf_advert *b, const struct mf_advert_route *y, double pct, double ms)
{
	double d = fabs(x->distance_ms - y->distance_ms);
	bool moved = pct == 0 && ms == 0 ? units(x->distance_ms) != units(y->distance_ms)
					 : d > y->distance_ms * pct / 100.0 && d > ms;
	if (moved || x->n_hops != y->n_hops || (a->epochs_bound && x->epoch != y->epoch))
		return false;
	for (uint32_t k = 0; k < x->n_hops; k++)
		if (strcmp(a->names[a->hops[x->hops_off + k]], b->names[b->hops[y->hops_off + k]]) != 0)
			return false;
	return true;
}

static bool same_dead(const struct mf_advert *a, const struct mf_advert *b)
{
	if (a->n_dead != b->n_dead)
		return false;
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].epoch != b->dead[i].epoch ||
		    strcmp(a->names[a->dead[i].dc], b->names[b->dead[i].dc]) != 0)
			return false;
	return true;
}

/* An advert under construction: names interned into out as they are used. */
struct builder {
	struct mf_advert *out;
	struct nmap names;
	size_t cap_names, cap_routes, cap_hops;
};

static int b_name(struct builder *b, const char *name, uint32_t *id)
{
	uint32_t v = nmap_get(&b->names, name);
	if (v != UINT32_MAX) {
		*id = v;
		return 0;
	}
	struct mf_advert *o = b->out;
	if (mf_grow(&o->names, &b->cap_names, o->n_names + 1, 16) < 0 ||
	    !(o->names[o->n_names] = strdup(name)))
		return MF_ENOMEM;
	*id = (uint32_t)o->n_names++;
	nmap_put(&b->names, o->names[*id], *id);
	return 0;
}

/* Copies route r of advert a into the builder's advert. */
static int b_route(struct builder *b, const struct mf_advert *a, const struct mf_advert_route *r)
{
	struct mf_advert *o = b->out;
	if (mf_grow(&o->routes, &b->cap_routes, o->n_routes + 1, 16) < 0 ||
	    mf_grow(&o->hops, &b->cap_hops, o->n_hops + r->n_hops, 16) < 0)
		return MF_ENOMEM;
	struct mf_advert_route *n = &o->routes[o->n_routes];
	*n = *r;
	n->hops_off = (uint32_t)o->n_hops;
	int rc = b_name(b, a->names[r->target], &n->target);
	for (uint32_t k = 0; k < r->n_hops && rc == 0; k++)
		rc = b_name(b, a->names[a->hops[r->hops_off + k]], &o->hops[o->n_hops + k]);
	if (rc < 0)
		return rc;
	o->n_hops += r->n_hops;
	o->n_routes++;
	return 0;
}

static int b_init(struct builder *b, struct mf_advert *out, const struct mf_advert *like,
		  uint64_t seq, size_t names_cap)
{
	memset(b, 0, sizeof *b);
	memset(out, 0, sizeof *out);
	b->out = out;
	out->seq = seq;
	out->transit = like->transit;
	out->frag_count = 1;
	if (!(out->origin = strdup(like->origin)) || !(out->node = strdup(like->node)))
		return MF_ENOMEM;
	return nmap_init(&b->names, names_cap);
}

/* Target name -> route index of a. */
static int index_targets(const struct mf_advert *a, struct nmap *m)
{
	int rc = nmap_init(m, a->n_routes);
	for (size_t i = 0; rc == 0 && i < a->n_routes; i++)
		nmap_put(m, a->names[a->routes[i].target], (uint32_t)i);
	return rc;
}

int mf_advert_delta(const struct mf_advert *base, const struct mf_advert *now, double pct, double ms,
		    struct mf_advert *out)
{
	return mf_advert_delta_quiet(base, now, pct, ms, NULL, out);
}

/* Whether route r of now, beside j of base, is a rider no DC could act on:
 * the same path (and bound epoch: same_route with an infinite tolerance)
 * and no news to quiet. */
static bool quiet_rider(const struct mf_advert *now, const struct mf_advert_route *r,
			const struct mf_advert *base, uint32_t j, struct mf_advert_quiet *quiet)
{
	const struct mf_advert_route *y = &base->routes[j];
	return quiet && same_route(now, r, base, y, 0, INFINITY) &&
	       !quiet->news(quiet->ctx, now->names[r->target], y->distance_ms, r->distance_ms);
}

int mf_advert_delta_quiet(const struct mf_advert *base, const struct mf_advert *now, double pct,
			  double ms, struct mf_advert_quiet *quiet, struct mf_advert *out)
{
	struct nmap in_base = {0}, in_now = {0};
	struct builder b = {0};
	memset(out, 0, sizeof *out);
	if (quiet)
		quiet->held = 0;
	if (strcmp(base->origin, now->origin) != 0 || strcmp(base->node, now->node) != 0 ||
	    base->transit != now->transit || base->seq >= now->seq || !same_dead(base, now) ||
	    !mf_gateways_equal(base->gateways, base->n_gateways, now->gateways, now->n_gateways))
		return 1;
	/* Riders held back, by index in now: listed after all when nothing
	 * else is (the state goes for these moves: they are its news). */
	uint32_t *held = quiet ? malloc((now->n_routes + 1) * sizeof *held) : NULL;
	size_t n_held = 0;
	int rc = quiet && !held ? MF_ENOMEM : index_targets(base, &in_base);
	if (rc == 0)
		rc = index_targets(now, &in_now);
	if (rc == 0)
		rc = b_init(&b, out, now, now->seq, base->n_names + now->n_names);
	out->base_seq = base->seq;
	for (size_t i = 0; rc == 0 && i < now->n_routes; i++) {
		const struct mf_advert_route *r = &now->routes[i];
		uint32_t j = nmap_get(&in_base, now->names[r->target]);
		if (j != UINT32_MAX && same_route(now, r, base, &base->routes[j], pct, ms))
			continue;
		if (j != UINT32_MAX && quiet_rider(now, r, base, j, quiet))
			held[n_held++] = (uint32_t)i;
		else
			rc = b_route(&b, now, r);
	}
	size_t cap_gone = 0;
	for (size_t i = 0; rc == 0 && i < base->n_routes; i++) {
		const char *t = base->names[base->routes[i].target];
		uint32_t id;
		if (nmap_get(&in_now, t) != UINT32_MAX)
			continue;
		if ((rc = b_name(&b, t, &id)) == 0 &&
		    (rc = mf_grow(&out->gone, &cap_gone, out->n_gone + 1, 8)) == 0)
			out->gone[out->n_gone++] = id;
	}
	if (rc == 0 && out->n_routes == 0 && out->n_gone == 0) {
		for (size_t k = 0; rc == 0 && k < n_held; k++)
			rc = b_route(&b, now, &now->routes[held[k]]);
		n_held = 0;
	}
	if (quiet)
		quiet->held = n_held;
	free(held);
	nmap_free(&in_base);
	nmap_free(&in_now);
	nmap_free(&b.names);
	if (rc < 0)
		mf_advert_free(out);
	return rc;
}

/* What changed from y (of base b) to x (of a): next hop, hops below it,
 * distance at the wire's 0.1 ms, else the epoch. */
static enum mf_advert_change change_of(const struct mf_advert *a, const struct mf_advert_route *x,
				       const struct mf_advert *b, const struct mf_advert_route *y)
{
	const char *nx = a->names[x->n_hops ? a->hops[x->hops_off] : x->target];
	const char *ny = b->names[y->n_hops ? b->hops[y->hops_off] : y->target];
	if (strcmp(nx, ny) != 0)
		return MF_CHANGE_NEXT_HOP;
	if (x->n_hops != y->n_hops)
		return MF_CHANGE_PATH;
	for (uint32_t k = 1; k < x->n_hops; k++)
		if (strcmp(a->names[a->hops[x->hops_off + k]], b->names[b->hops[y->hops_off + k]]) != 0)
			return MF_CHANGE_PATH;
	if (units(x->distance_ms) != units(y->distance_ms))
		return MF_CHANGE_DISTANCE;
	return x->epoch != y->epoch ? MF_CHANGE_EPOCH : MF_CHANGE_OTHER;
}

int mf_advert_delta_split(const struct mf_advert *base, const struct mf_advert *delta, size_t total,
			  struct mf_advert_split *s)
{
	struct nmap in_base;
	struct mf_advert_split add = {0};
	size_t *sizes = malloc((delta->n_routes + delta->n_gone + 1) * sizeof *sizes);
	int rc = index_targets(base, &in_base);
	if (rc < 0 || !sizes || mf_advert__entry_sizes(delta, sizes) < 0) {
		nmap_free(&in_base);
		free(sizes);
		return MF_ENOMEM;
	}
	enum mf_advert_change first = MF_CHANGE_N;
	size_t listed = 0;
	for (size_t i = 0; i < delta->n_routes; i++) {
		const struct mf_advert_route *r = &delta->routes[i];
		uint32_t j = nmap_get(&in_base, delta->names[r->target]);
		enum mf_advert_change c = j == UINT32_MAX ? MF_CHANGE_OTHER
							  : change_of(delta, r, base, &base->routes[j]);
		add.routes[c]++;
		add.bytes[c] += sizes[i];
		listed += sizes[i];
		first = c < first ? c : first;
	}
	for (size_t i = 0; i < delta->n_gone; i++) {
		add.routes[MF_CHANGE_OTHER]++;
		add.bytes[MF_CHANGE_OTHER] += sizes[delta->n_routes + i];
		listed += sizes[delta->n_routes + i];
	}
	first = first == MF_CHANGE_N ? MF_CHANGE_OTHER : first;
	nmap_free(&in_base);
	free(sizes);
	for (int c = 0; c < MF_CHANGE_N; c++) {
		s->routes[c] += add.routes[c];
		s->bytes[c] += add.bytes[c];
	}
	s->states[first]++;
	s->head_bytes += total > listed ? total - listed : 0;
	return (int)first;
}

bool mf_advert_delta_applies(const struct mf_advert *delta, uint64_t held)
{
	return delta->base_seq == held ||
	       (delta->since_base && delta->base_seq < held && held < delta->seq);
}

/* mf_advert_patch, with versions when ver_out is not NULL. */
static int patch(const struct mf_advert *base, const uint64_t *base_ver, const struct mf_advert *delta,
		 struct mf_advert *out, uint64_t **ver_out)
{
	struct nmap in_delta = {0};
	struct builder b = {0};
	uint64_t *ver = NULL;
	memset(out, 0, sizeof *out);
	if (ver_out)
		*ver_out = NULL;
	if (!base->origin || !base->node || !delta->origin || !delta->node ||
	    strcmp(base->origin, delta->origin) != 0 || strcmp(base->node, delta->node) != 0 ||
	    !mf_advert_delta_applies(delta, base->seq))
		return MF_EINVAL;
	int rc = nmap_init(&in_delta, delta->n_routes + delta->n_gone);
	if (rc == 0 && ver_out && !(ver = malloc((base->n_routes + delta->n_routes + 1) * sizeof *ver)))
		rc = MF_ENOMEM;
	for (size_t i = 0; rc == 0 && i < delta->n_routes; i++)
		nmap_put(&in_delta, delta->names[delta->routes[i].target], 0);
	for (size_t i = 0; rc == 0 && i < delta->n_gone; i++)
		nmap_put(&in_delta, delta->names[delta->gone[i]], 0);
	if (rc == 0)
		rc = b_init(&b, out, base, delta->seq, base->n_names + delta->n_names);
	for (size_t i = 0; rc == 0 && i < base->n_routes; i++)
		if (nmap_get(&in_delta, base->names[base->routes[i].target]) == UINT32_MAX) {
			if (ver)
				ver[out->n_routes] = base_ver[i];
			rc = b_route(&b, base, &base->routes[i]);
		}
	for (size_t i = 0; rc == 0 && i < delta->n_routes; i++) {
		if (ver)
			ver[out->n_routes] = delta->seq;
		rc = b_route(&b, delta, &delta->routes[i]);
	}
	if (rc == 0 && base->n_dead) {
		if (!(out->dead = calloc(base->n_dead, sizeof *out->dead)))
			rc = MF_ENOMEM;
		for (size_t i = 0; rc == 0 && i < base->n_dead; i++) {
			out->dead[i].epoch = base->dead[i].epoch;
			rc = b_name(&b, base->names[base->dead[i].dc], &out->dead[i].dc);
			out->n_dead = i + 1;
		}
	}
	if (rc == 0 && base->n_gateways) {
		rc = mf_gateways_copy(base->gateways, base->n_gateways, &out->gateways);
		if (rc == 0)
			out->n_gateways = base->n_gateways;
	}
	nmap_free(&in_delta);
	nmap_free(&b.names);
	if (rc < 0) {
		mf_advert_free(out);
		free(ver);
	} else if (ver_out) {
		*ver_out = ver;
	}
	return rc;
}

int mf_advert_patch(const struct mf_advert *base, const struct mf_advert *delta, struct mf_advert *out)
{
	return patch(base, NULL, delta, out, NULL);
}

int mf_advert_patch_ver(const struct mf_advert *base, const uint64_t *base_ver,
			const struct mf_advert *delta, struct mf_advert *out, uint64_t **out_ver)
{
	return patch(base, base_ver, delta, out, out_ver);
}

/* Routes of held by name ids: held's name i is out's idmap[i] (UINT32_MAX:
 * not used yet), taken in first use as b_name would, so the result is the
 * string version's byte for byte when held's names are distinct (a held
 * view's are: patched or decoded from one map). Why: this answers every
 * pull of our own state, and the string maps (a strlen, a hash and a
 * strdup per name) were a third of a spreading round at 500 x 3. */
struct by_id {
	const struct mf_advert *held;
	struct mf_advert *out;
	uint32_t *idmap;
	size_t bytes; /* of the names taken, NULs included */
};

static uint32_t id_of(struct by_id *m, uint32_t i)
{
	if (m->idmap[i] == UINT32_MAX) {
		m->idmap[i] = (uint32_t)m->out->n_names;
		m->out->names[m->out->n_names++] = m->held->names[i]; /* borrowed until copied */
		m->bytes += strlen(m->held->names[i]) + 1;
	}
	return m->idmap[i];
}

/* out->names borrowed from held (and gone) into one block of their own. */
static int own_names(struct mf_advert *out, size_t bytes)
{
	char *block = malloc(bytes ? bytes : 1), *p = block;
	if (!block)
		return MF_ENOMEM;
	for (size_t i = 0; i < out->n_names; i++) {
		size_t n = strlen(out->names[i]) + 1;
		out->names[i] = memcpy(p, out->names[i], n);
		p += n;
	}
	out->names_block = block;
	return 0;
}

int mf_advert_since(const struct mf_advert *held, const uint64_t *ver,
		    const struct mf_advert_gone_at *gone, size_t n_gone, uint64_t h,
		    struct mf_advert *out)
{
	memset(out, 0, sizeof *out);
	if (!held->origin || !held->node || h >= held->seq)
		return MF_EINVAL;
	size_t nr = 0, nh = 0, ng = 0;
	for (size_t i = 0; i < held->n_routes; i++)
		if (ver[i] > h) {
			nr++;
			nh += held->routes[i].n_hops;
		}
	for (size_t i = 0; i < n_gone; i++)
		ng += gone[i].seq > h;
	out->seq = held->seq;
	out->base_seq = h;
	out->since_base = true; /* every change after h: see mf_advert_delta_applies */
	out->transit = held->transit;
	out->frag_count = 1;
	struct by_id m = {.held = held, .out = out, .idmap = malloc((held->n_names + 1) * sizeof(uint32_t))};
	out->origin = strdup(held->origin);
	out->node = strdup(held->node);
	out->names = malloc((held->n_names + ng + 1) * sizeof *out->names);
	out->routes = malloc((nr + 1) * sizeof *out->routes);
	out->hops = malloc((nh + 1) * sizeof *out->hops);
	out->gone = ng ? malloc(ng * sizeof *out->gone) : NULL;
	int rc = m.idmap && out->origin && out->node && out->names && out->routes && out->hops &&
				 (out->gone || !ng)
			 ? 0
			 : MF_ENOMEM;
	if (rc == 0)
		memset(m.idmap, 0xff, (held->n_names + 1) * sizeof(uint32_t));
	for (size_t i = 0; rc == 0 && i < held->n_routes; i++) {
		const struct mf_advert_route *r = &held->routes[i];
		if (ver[i] <= h)
			continue;
		struct mf_advert_route *o = &out->routes[out->n_routes++];
		*o = *r;
		o->hops_off = (uint32_t)out->n_hops;
		o->target = id_of(&m, r->target);
		for (uint32_t k = 0; k < r->n_hops; k++)
			out->hops[out->n_hops++] = id_of(&m, held->hops[r->hops_off + k]);
	}
	/* Withdrawn targets by string, against the names taken so far: only a
	 * pull across a withdrawal has any. */
	struct nmap taken = {0};
	if (rc == 0 && ng)
		rc = nmap_init(&taken, out->n_names + ng);
	for (size_t i = 0; rc == 0 && ng && i < out->n_names; i++)
		nmap_put(&taken, out->names[i], (uint32_t)i);
	for (size_t i = 0; rc == 0 && i < n_gone; i++) {
		if (gone[i].seq <= h)
			continue;
		uint32_t id = nmap_get(&taken, gone[i].name);
		if (id == UINT32_MAX) {
			id = (uint32_t)out->n_names;
			out->names[out->n_names++] = gone[i].name;
			m.bytes += strlen(gone[i].name) + 1;
			nmap_put(&taken, gone[i].name, id);
		}
		out->gone[out->n_gone++] = id;
	}
	if (ng)
		nmap_free(&taken);
	if (rc == 0)
		rc = own_names(out, m.bytes);
	free(m.idmap);
	if (rc < 0) {
		out->n_names = 0; /* borrowed: nothing of theirs to free */
		mf_advert_free(out);
	}
	return rc;
}

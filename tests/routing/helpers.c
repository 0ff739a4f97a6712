#include "tests/routing/helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

struct mf_routing *h_engine(const char *dc, double hyst_pct, double hyst_ms)
{
	struct mf_routing_config c;
	char node[80];
	mf_routing_config_default(&c);
	snprintf(node, sizeof node, "%s-s1", dc);
	c.datacenter = dc;
	c.node = node;
	c.hysteresis_pct = hyst_pct;
	c.hysteresis_ms = hyst_ms;
	struct mf_routing *r = NULL;
	return mf_routing_new(&c, &r) == 0 ? r : NULL;
}

static uint32_t name_idx(struct mf_advert *a, const char *name)
{
	for (size_t i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], name) == 0)
			return (uint32_t)i;
	a->names = realloc(a->names, (a->n_names + 1) * sizeof *a->names);
	a->names[a->n_names] = strdup(name);
	return (uint32_t)a->n_names++;
}

int h_advert(struct mf_advert *a, const char *origin, const char *node, uint64_t seq, bool transit,
	     const char *spec)
{
	memset(a, 0, sizeof *a);
	a->origin = strdup(origin);
	a->node = strdup(node);
	a->seq = seq;
	a->transit = transit;
	a->frag_count = 1;
	char *copy = strdup(spec), *save = NULL;
	for (char *r = strtok_r(copy, ";", &save); r; r = strtok_r(NULL, ";", &save)) {
		char *save2 = NULL, *tok = strtok_r(r, " ", &save2);
		if (!tok)
			continue;
		a->routes = realloc(a->routes, (a->n_routes + 1) * sizeof *a->routes);
		struct mf_advert_route *ar = &a->routes[a->n_routes++];
		ar->target = name_idx(a, tok);
		ar->epoch = 1;
		tok = strtok_r(NULL, " ", &save2);
		ar->distance_ms = tok ? strtod(tok, NULL) : 0;
		ar->hops_off = (uint32_t)a->n_hops;
		ar->n_hops = 0;
		while ((tok = strtok_r(NULL, " ", &save2))) {
			uint32_t h = name_idx(a, tok);
			a->hops = realloc(a->hops, (a->n_hops + 1) * sizeof *a->hops);
			a->hops[a->n_hops++] = h;
			ar->n_hops++;
		}
	}
	free(copy);
	return 0;
}

int h_set_advert_gw(struct mf_routing *r, const char *origin, const char *node, uint64_t seq,
		    bool transit, const char *spec, struct mf_gateway *g, size_t n)
{
	struct mf_advert a;
	int rc = h_advert(&a, origin, node, seq, transit, spec);
	a.gateways = n ? g : NULL;
	a.n_gateways = n;
	if (rc == 0)
		rc = mf_routing_set_advert(r, &a);
	a.gateways = NULL; /* borrowed */
	a.n_gateways = 0;
	mf_advert_free(&a);
	return rc;
}

int h_set_advert(struct mf_routing *r, const char *origin, const char *node, uint64_t seq,
		 bool transit, const char *spec)
{
	return h_set_advert_gw(r, origin, node, seq, transit, spec, NULL, 0);
}

int h_advert_dead(struct mf_advert *a, const char *dc, uint64_t epoch)
{
	struct mf_advert_dead *d = realloc(a->dead, (a->n_dead + 1) * sizeof *d);
	if (d == NULL)
		return MF_ENOMEM;
	a->dead = d;
	d[a->n_dead++] = (struct mf_advert_dead){name_idx(a, dc), epoch};
	return 0;
}

struct mf_route_view h_route(const struct mf_routing *r, const char *target)
{
	struct mf_route_view v = {.status = MF_ROUTE_UNREACHABLE, .distance_ms = INFINITY};
	size_t i;
	if (mf_routing_find(r, target, &i) == 0)
		mf_routing_route_at(r, i, &v);
	return v;
}

const char *h_path(const struct mf_routing *r, const char *target, char *buf, size_t len)
{
	size_t i, off = 0;
	buf[0] = '\0';
	if (mf_routing_find(r, target, &i) < 0)
		return buf;
	const char *dc;
	for (size_t k = 0; (dc = mf_routing_path_at(r, i, k)); k++)
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", k ? "," : "", dc);
	return buf;
}

uint64_t h_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void h_aged_config(struct mf_routing_config *c, const char *dc, uint64_t beat, uint64_t max_age,
		   uint64_t age_unit, uint64_t hurry_min)
{
	mf_routing_config_default(c);
	c->datacenter = dc;
	c->node = dc;
	c->epoch = 100;
	c->beat_interval = beat;
	c->max_age = max_age;
	c->beats_apart = true;
	c->beat_age_unit = age_unit;
	c->hurry_min = hurry_min;
}

struct mf_routing *h_engine_at(const struct mf_routing_config *c, uint64_t start)
{
	struct mf_routing *r = NULL;
	if (mf_routing_new(c, &r) < 0)
		return NULL;
	mf_routing_set_now(r, start);
	return r;
}

struct mf_routing *h_aged_engine(const char *dc, uint64_t beat, uint64_t max_age, uint64_t age_unit,
				 uint64_t hurry_min)
{
	struct mf_routing_config c;
	h_aged_config(&c, dc, beat, max_age, age_unit, hurry_min);
	return h_engine_at(&c, 1000);
}

int h_link_both(struct mf_routing *x, const char *xn, struct mf_routing *y, const char *yn)
{
	int a = mf_routing_set_link(x, yn, true, true, 10);
	int b = mf_routing_set_link(y, xn, true, true, 10);
	return a == 1 && b == 1 ? 0 : -1;
}

int h_pass_advert(struct mf_routing *from, struct mf_routing *to, uint64_t now)
{
	struct mf_advert a;
	mf_routing_set_now(from, now);
	int rc = mf_routing_recompute(from, NULL);
	if (rc == 0)
		rc = mf_routing_advert(from, &a);
	if (rc < 0)
		return rc;
	mf_routing_set_now(to, now);
	rc = mf_routing_set_advert(to, &a);
	mf_advert_free(&a);
	return rc < 0 ? rc : 0;
}

size_t h_beats_at(struct mf_routing *from, uint64_t now, struct mf_beat_entry *e, size_t cap)
{
	mf_routing_set_now(from, now);
	if (mf_routing_recompute(from, NULL) < 0)
		return 0;
	return mf_routing_beats(from, e, cap);
}

bool h_reaches(struct mf_routing *r, const char *dc, uint64_t now)
{
	size_t i;
	struct mf_route_view v;
	mf_routing_set_now(r, now);
	return mf_routing_recompute(r, NULL) == 0 && mf_routing_find(r, dc, &i) == 0 &&
	       mf_routing_route_at(r, i, &v) == 0 && v.status != MF_ROUTE_UNREACHABLE;
}

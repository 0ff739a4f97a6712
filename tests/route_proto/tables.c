#include "tests/route_proto/tables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "routing/table_format.h"

uint64_t rt_rand(struct rt_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

size_t rt_below(struct rt_rng *r, size_t n)
{
	return (size_t)(rt_rand(r) % n);
}

static char *dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A route from plain values; path is a space-separated DC list. */
static int make_route(struct mf_table_route *r, const char *target, enum mf_route_status st, const char *next_hop,
		      double dist, const char *path, const char *gw, const char *addr)
{
	memset(r, 0, sizeof *r);
	r->target = dup(target);
	r->status = st;
	r->next_hop = dup(next_hop);
	r->distance_ms = dist;
	r->mode = MF_MODE_MULTI_HOP;
	int ok = r->target && (!next_hop || r->next_hop);
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path ? path : "");
	for (char *tok = strtok(buf, " "); ok && tok; tok = strtok(NULL, " ")) {
		char **p = realloc(r->path, (r->path_len + 1) * sizeof *p);
		ok = p != NULL;
		if (ok) {
			r->path = p;
			ok = (r->path[r->path_len] = strdup(tok)) != NULL;
			r->path_len += ok;
		}
	}
	if (ok && gw) {
		ok = (r->endpoints = calloc(1, sizeof *r->endpoints)) != NULL;
		if (ok) {
			r->n_endpoints = 1;
			r->endpoints[0].gateway = dup(gw);
			r->endpoints[0].addr = dup(addr);
			ok = r->endpoints[0].gateway && r->endpoints[0].addr;
		}
	}
	if (!ok)
		mf_table_route_free(r);
	return ok ? 0 : MF_ENOMEM;
}

static int make_link(struct mf_table_link *l, const char *from, const char *to, double dist, bool usable)
{
	l->from = dup(from);
	l->to = dup(to);
	l->distance_ms = dist;
	l->usable = usable;
	return l->from && l->to ? 0 : MF_ENOMEM;
}

int rt_small_table(struct mf_table *t, uint64_t version)
{
	memset(t, 0, sizeof *t);
	t->version = version;
	t->datacenter = dup("dc1");
	t->routes = calloc(4, sizeof *t->routes);
	t->links = calloc(2, sizeof *t->links);
	int rc = t->datacenter && t->routes && t->links ? 0 : MF_ENOMEM;
	if (rc == 0 && (rc = make_route(&t->routes[0], "dc1", MF_ROUTE_LOCAL, NULL, 0, "dc1", NULL, NULL)) == 0)
		t->n_routes = 1;
	if (rc == 0 && (rc = make_route(&t->routes[1], "dc2", MF_ROUTE_DIRECT, "dc2", 12.5, "dc1 dc2", "dc2-g1",
					"203.0.113.2:8443")) == 0)
		t->n_routes = 2;
	if (rc == 0 && (rc = make_route(&t->routes[2], "dc3", MF_ROUTE_VIA, "dc2", 30.25, "dc1 dc2 dc3", "dc2-g1",
					"203.0.113.2:8443")) == 0)
		t->n_routes = 3;
	if (rc == 0 && (rc = make_route(&t->routes[3], "dc4", MF_ROUTE_UNREACHABLE, NULL, INFINITY, NULL, NULL,
					NULL)) == 0)
		t->n_routes = 4;
	if (rc == 0 && (rc = make_link(&t->links[0], "dc1", "dc2", 12.5, true)) == 0)
		t->n_links = 1;
	if (rc == 0 && (rc = make_link(&t->links[1], "dc2", "dc3", 17.75, true)) == 0)
		t->n_links = 2;
	if (rc < 0)
		mf_table_free(t);
	return rc;
}

struct mf_table_route *rt_find(struct mf_table *t, const char *target)
{
	for (size_t i = 0; i < t->n_routes; i++)
		if (strcmp(t->routes[i].target, target) == 0)
			return &t->routes[i];
	return NULL;
}

int rt_copy(const struct mf_table *src, struct mf_table *dst)
{
	json_t *j = mf_table_to_json(src);
	int rc = j ? mf_table_from_json(j, dst) : MF_ENOMEM;
	json_decref(j);
	return rc;
}

char *rt_json(const struct mf_table *t)
{
	char *s = NULL;
	return mf_table_format(t, MF_TABLE_JSON, &s) == 0 ? s : NULL;
}

/* --- the random walk ------------------------------------------------------ */

/* Distances with at most 5 significant digits survive the wire's 6 exactly. */
static double rand_dist(struct rt_rng *r)
{
	return (double)rt_below(r, 100000) / 100.0;
}

static void rand_route(struct rt_model *m, size_t i)
{
	struct rt_dc *d = &m->dc[i];
	struct rt_rng *r = &m->rng;
	d->present = true;
	d->mode = rt_below(r, 4) == 0 ? MF_MODE_SINGLE_HOP : MF_MODE_MULTI_HOP;
	d->down = false;
	d->n_gw = 0;
	if (i == 0) {
		d->status = MF_ROUTE_LOCAL;
		d->distance_ms = 0;
		d->path_len = 1;
		d->path[0] = 0;
		return;
	}
	switch (rt_below(r, 6)) {
	case 0:
		d->status = MF_ROUTE_UNREACHABLE;
		d->distance_ms = INFINITY;
		d->path_len = 0;
		d->down = d->mode == MF_MODE_SINGLE_HOP && rt_below(r, 2);
		return;
	case 1:
	case 2:
		d->status = MF_ROUTE_DIRECT;
		d->next_hop = i;
		d->path_len = 2;
		break;
	default:
		d->status = MF_ROUTE_VIA;
		d->next_hop = 1 + rt_below(r, m->n - 1);
		d->path_len = 3 + rt_below(r, 2);
		break;
	}
	d->distance_ms = rand_dist(r);
	d->path[0] = 0;
	d->path[1] = d->next_hop;
	for (size_t k = 2; k < d->path_len; k++)
		d->path[k] = rt_below(r, m->n);
	d->path[d->path_len - 1] = i;
	d->n_gw = rt_below(r, 3);
	d->gw_port = 1024 + (unsigned)rt_below(r, 60000);
}

/* One field of one route. */
static void change_field(struct rt_model *m, size_t i)
{
	struct rt_dc *d = &m->dc[i];
	struct rt_rng *r = &m->rng;
	if (i == 0 || d->status == MF_ROUTE_UNREACHABLE || rt_below(r, 4) == 0) {
		rand_route(m, i);
		return;
	}
	switch (rt_below(r, 4)) {
	case 0: d->distance_ms = rand_dist(r); break;
	case 1: d->mode = d->mode == MF_MODE_MULTI_HOP ? MF_MODE_SINGLE_HOP : MF_MODE_MULTI_HOP; break;
	case 2: d->n_gw = (d->n_gw + 1) % 3; break;
	default: d->gw_port = 1024 + (unsigned)rt_below(r, 60000); break;
	}
}

static void change_links(struct rt_model *m)
{
	struct rt_rng *r = &m->rng;
	size_t op = rt_below(r, 3);
	if (op == 0 && m->n_links < m->cap_links) {
		struct rt_link *l = &m->links[m->n_links++];
		l->from = rt_below(r, m->n);
		l->to = rt_below(r, m->n);
		l->distance_ms = rt_below(r, 5) ? rand_dist(r) : NAN;
		l->usable = rt_below(r, 4) != 0;
	} else if (op == 1 && m->n_links > 0) {
		size_t k = rt_below(r, m->n_links);
		m->links[k] = m->links[m->n_links - 1];
		m->n_links--;
	} else if (m->n_links > 0) {
		struct rt_link *l = &m->links[rt_below(r, m->n_links)];
		if (rt_below(r, 2))
			l->usable = !l->usable;
		else
			l->distance_ms = rand_dist(r);
	}
}

int rt_model_init(struct rt_model *m, uint64_t seed, size_t n_dcs)
{
	memset(m, 0, sizeof *m);
	m->rng.s = seed ? seed : 1;
	m->n = n_dcs;
	m->cap_links = 3 * n_dcs;
	m->dc = calloc(n_dcs, sizeof *m->dc);
	m->links = calloc(m->cap_links, sizeof *m->links);
	if (!m->dc || !m->links) {
		rt_model_free(m);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n_dcs; i++)
		rand_route(m, i);
	while (m->n_links < n_dcs)
		change_links(m);
	m->version = 1;
	return 0;
}

void rt_model_free(struct rt_model *m)
{
	free(m->dc);
	free(m->links);
	memset(m, 0, sizeof *m);
}

void rt_model_step(struct rt_model *m)
{
	size_t changes = 1 + rt_below(&m->rng, 3);
	for (size_t c = 0; c < changes; c++) {
		size_t i = 1 + rt_below(&m->rng, m->n - 1), what = rt_below(&m->rng, 8);
		if (what == 0)
			change_links(m);
		else if (what <= 2)
			m->dc[i].present = !m->dc[i].present; /* a DC appears or vanishes */
		else
			change_field(m, i);
	}
	m->version++;
}

void rt_model_touch(struct rt_model *m, size_t i)
{
	double d = m->dc[i].distance_ms;
	m->dc[i].distance_ms = isfinite(d) ? d + 0.5 : 1.5;
	m->version++;
}

static int cmp_target(const void *a, const void *b)
{
	return strcmp(((const struct mf_table_route *)a)->target, ((const struct mf_table_route *)b)->target);
}

static int model_route(const struct rt_model *m, size_t i, struct mf_table_route *r)
{
	const struct rt_dc *d = &m->dc[i];
	char target[24], hop[24], path[128] = "", gw[32], addr[40];
	size_t off = 0;
	snprintf(target, sizeof target, "dc%zu", i);
	snprintf(hop, sizeof hop, "dc%zu", d->next_hop);
	for (size_t k = 0; k < d->path_len; k++)
		off += (size_t)snprintf(path + off, sizeof path - off, "%sdc%zu", k ? " " : "", d->path[k]);
	snprintf(gw, sizeof gw, "dc%zu-g1", d->next_hop);
	snprintf(addr, sizeof addr, "203.0.%zu.%zu:%u", d->next_hop / 250, d->next_hop % 250, d->gw_port);
	bool via = d->status == MF_ROUTE_DIRECT || d->status == MF_ROUTE_VIA;
	int rc = make_route(r, target, d->status, via ? hop : NULL, d->distance_ms, path, d->n_gw ? gw : NULL, addr);
	r->mode = d->mode;
	r->down = d->down;
	if (rc == 0 && d->n_gw == 2) { /* a second gateway of the same DC */
		struct mf_table_endpoint *e = realloc(r->endpoints, 2 * sizeof *e);
		if (!e)
			return MF_ENOMEM;
		r->endpoints = e;
		snprintf(gw, sizeof gw, "dc%zu-g2", d->next_hop);
		e[1].gateway = strdup(gw);
		e[1].addr = strdup(addr);
		r->n_endpoints = 2;
		if (!e[1].gateway || !e[1].addr)
			return MF_ENOMEM;
	}
	return rc;
}

int rt_model_table(const struct rt_model *m, struct mf_table *t)
{
	memset(t, 0, sizeof *t);
	t->version = m->version;
	t->datacenter = strdup("dc0");
	t->routes = calloc(m->n, sizeof *t->routes);
	t->links = m->n_links ? calloc(m->n_links, sizeof *t->links) : NULL;
	int rc = t->datacenter && t->routes && (t->links || !m->n_links) ? 0 : MF_ENOMEM;
	for (size_t i = 0; rc == 0 && i < m->n; i++)
		if (m->dc[i].present) {
			rc = model_route(m, i, &t->routes[t->n_routes]);
			t->n_routes++; /* freed by mf_table_free even when half made */
		}
	for (size_t i = 0; rc == 0 && i < m->n_links; i++) {
		char a[24], b[24];
		snprintf(a, sizeof a, "dc%zu", m->links[i].from);
		snprintf(b, sizeof b, "dc%zu", m->links[i].to);
		rc = make_link(&t->links[i], a, b, m->links[i].distance_ms, m->links[i].usable);
		t->n_links = i + 1;
	}
	if (rc == 0 && t->n_routes > 1)
		qsort(t->routes, t->n_routes, sizeof *t->routes, cmp_target);
	if (rc < 0)
		mf_table_free(t);
	return rc;
}

/* cmd/haproxy/haproxy_plan.c — see cmd/haproxy/haproxy_plan.h. */
#define _GNU_SOURCE /* vasprintf */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/haproxy/haproxy_plan.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/pool.h"

/* A growable array of malloc'd strings. */
struct strv {
	size_t n, cap;
	char **v;
};

static int strv_push(struct strv *s, char *str)
{
	if (!str)
		return MF_ENOMEM;
	if (mf_grow(&s->v, &s->cap, s->n + 1, 8) < 0) {
		free(str);
		return MF_ENOMEM;
	}
	s->v[s->n++] = str;
	return 0;
}

static int strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int strv_pushf(struct strv *s, const char *fmt, ...)
{
	char *str = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&str, fmt, ap);
	va_end(ap);
	return strv_push(s, n < 0 ? NULL : str);
}

static bool strv_has(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* --- state values ---------------------------------------------------------- */

void mf_hap_state_free(struct mf_hap_state *s)
{
	for (size_t i = 0; i < s->n_slots; i++) {
		for (size_t j = 0; j < s->slots[i].n_servers; j++) {
			free(s->slots[i].servers[j].name);
			free(s->slots[i].servers[j].addr);
		}
		free(s->slots[i].servers);
		free(s->slots[i].backend);
	}
	free(s->slots);
	for (size_t i = 0; i < s->n_entries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int mf_hap_state_copy(const struct mf_hap_state *s, struct mf_hap_state *out)
{
	bool oom = false;
	memset(out, 0, sizeof(*out));
	out->slots = calloc(s->n_slots + 1, sizeof(*out->slots));
	out->entries = calloc(s->n_entries + 1, sizeof(*out->entries));
	if (!out->slots || !out->entries)
		oom = true;
	for (size_t i = 0; !oom && i < s->n_slots; i++) {
		const struct mf_hap_slot *a = &s->slots[i];
		struct mf_hap_slot *b = &out->slots[out->n_slots++];
		b->backend = dup_or_null(a->backend, &oom);
		b->servers = calloc(a->n_servers + 1, sizeof(*b->servers));
		if (!b->servers) {
			oom = true;
			break;
		}
		for (size_t j = 0; j < a->n_servers; j++) {
			struct mf_hap_server *d = &b->servers[b->n_servers++];
			d->name = dup_or_null(a->servers[j].name, &oom);
			d->addr = dup_or_null(a->servers[j].addr, &oom);
			d->backup = a->servers[j].backup;
			d->enabled = a->servers[j].enabled;
		}
	}
	for (size_t i = 0; !oom && i < s->n_entries; i++) {
		struct mf_hap_entry *e = &out->entries[out->n_entries++];
		e->key = dup_or_null(s->entries[i].key, &oom);
		e->value = dup_or_null(s->entries[i].value, &oom);
	}
	if (oom) {
		mf_hap_state_free(out);
		return MF_ENOMEM;
	}
	return 0;
}

void mf_hap_plan_free(struct mf_hap_plan *p)
{
	mf_hap_state_free(&p->want);
	struct strv c = {p->n_cmds, p->n_cmds, p->cmds}, u = {p->n_unslotted, 0, p->unslotted},
		    t = {p->n_truncated, 0, p->truncated};
	strv_free(&c);
	strv_free(&u);
	strv_free(&t);
	memset(p, 0, sizeof(*p));
}

static const struct mf_hap_entry *entry_find(const struct mf_hap_state *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

/* --- groups: targets that want the same servers --------------------------- */

struct group {
	struct strv prim;     /* primary addresses, sorted (leastconn: order is moot) */
	struct strv back;     /* backup addresses, in alternate order */
	struct strv targets;  /* map keys */
	long slot;            /* assigned slot index, -1 none */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_sort(struct strv *s)
{
	if (s->n > 1) /* qsort's array may not be NULL, even for 0 items */
		qsort(s->v, s->n, sizeof(char *), cmp_str);
}

static bool strv_equal(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* The canonical "IP:PORT" of an endpoint address, or MF_EINVAL. */
static int canon_addr(const char *s, char *buf, size_t cap)
{
	struct mf_addr a;
	if (!s || mf_addr_parse(s, 0, &a) < 0 || a.port == 0)
		return MF_EINVAL;
	mf_addr_format(&a, buf, cap);
	return 0;
}

static int add_addr(struct strv *v, const struct strv *also_not_in, const char *addr)
{
	char buf[64];
	int r = canon_addr(addr, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strv_has(v, buf) || (also_not_in && strv_has(also_not_in, buf)))
		return 0;
	return strv_push(v, strdup(buf));
}

/* Fills g's wanted servers from route r. */
static int group_from_route(const struct mf_table_route *r, struct group *g)
{
	int ret;
	for (size_t i = 0; i < r->n_endpoints; i++)
		if ((ret = add_addr(&g->prim, NULL, r->endpoints[i].addr)) < 0)
			return ret;
	strv_sort(&g->prim);
	for (size_t a = 0; a < r->n_alternates; a++)
		for (size_t i = 0; i < r->alternates[a].n_endpoints; i++)
			if ((ret = add_addr(&g->back, &g->prim, r->alternates[a].endpoints[i].addr)) < 0)
				return ret;
	return 0;
}

/* Direct or via, and some gateway to dial: the next hop's, or failing
 * those an alternate's (HAProxy then goes straight to the backups). */
static bool route_usable(const struct mf_table_route *r)
{
	if ((r->status != MF_ROUTE_DIRECT && r->status != MF_ROUTE_VIA) || r->down)
		return false;
	size_t n = r->n_endpoints;
	for (size_t a = 0; a < r->n_alternates; a++)
		n += r->alternates[a].n_endpoints;
	return n > 0;
}

/* Lower-cased DC name as a map key; NULL (no error) when it cannot be one
 * SNI label. */
static int map_key(const char *dc, char **key)
{
	*key = NULL;
	if (!dc || !*dc || strchr(dc, '.'))
		return 0;
	char *k = strdup(dc);
	if (!k)
		return MF_ENOMEM;
	for (char *p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*key = k;
	return 0;
}

/* --- slot assignment ------------------------------------------------------- */

static bool slot_referenced(const struct mf_hap_state *cur, const char *backend)
{
	for (size_t i = 0; i < cur->n_entries; i++)
		if (strcmp(cur->entries[i].value, backend) == 0)
			return true;
	return false;
}

/* The enabled servers of slot s, split by kind, in config order. */
static int slot_content(const struct mf_hap_slot *s, struct strv *prim, struct strv *back)
{
	for (size_t i = 0; i < s->n_servers; i++) {
		const struct mf_hap_server *v = &s->servers[i];
		if (!v->enabled || !v->addr)
			continue;
		int r = strv_push(v->backup ? back : prim, strdup(v->addr));
		if (r < 0)
			return r;
	}
	strv_sort(prim);
	return 0;
}

/* Gives each group a slot: first where most of its targets map now, then
 * a free slot already holding its servers (a restart, a reload), then a
 * free slot nothing maps to, then any free slot. */
static int assign_slots(const struct mf_hap_state *cur, struct group *g, size_t ng)
{
	size_t ns = cur->n_slots;
	bool *taken = calloc(ns + 1, sizeof(bool));
	size_t *score = calloc(ng * ns + 1, sizeof(size_t));
	int ret = 0;
	if (!taken || !score) {
		ret = MF_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ng; i++)
		for (size_t t = 0; t < g[i].targets.n; t++) {
			const struct mf_hap_entry *e = entry_find(cur, g[i].targets.v[t]);
			for (size_t s = 0; e && s < ns; s++)
				if (strcmp(e->value, cur->slots[s].backend) == 0)
					score[i * ns + s]++;
		}
	/* Highest score first; ties to the earlier group, then the lower slot. */
	for (;;) {
		size_t best = 0, bi = 0, bs = 0;
		for (size_t i = 0; i < ng; i++)
			for (size_t s = 0; g[i].slot < 0 && s < ns; s++)
				if (!taken[s] && score[i * ns + s] > best) {
					best = score[i * ns + s];
					bi = i;
					bs = s;
				}
		if (best == 0)
			break;
		g[bi].slot = (long)bs;
		taken[bs] = true;
	}
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < ng; i++)
			for (size_t s = 0; g[i].slot < 0 && s < ns; s++) {
				if (taken[s])
					continue;
				if (pass == 0) {
					struct strv p = {0}, b = {0};
					ret = slot_content(&cur->slots[s], &p, &b);
					bool same = ret == 0 && strv_equal(&p, &g[i].prim) &&
						    strv_equal(&b, &g[i].back);
					strv_free(&p);
					strv_free(&b);
					if (ret < 0)
						goto out;
					if (!same)
						continue;
				} else if (pass == 1 &&
					   slot_referenced(cur, cur->slots[s].backend)) {
					continue;
				}
				g[i].slot = (long)s;
				taken[s] = true;
			}
out:
	free(taken);
	free(score);
	return ret;
}

/* --- wanted servers -------------------------------------------------------- */

/* Puts `want` addresses on the servers of one kind: an address already on
 * an enabled server stays there; the others go to the remaining servers in
 * order (primaries) or to position i (backups, whose order is the
 * alternates' order: HAProxy uses the first usable backup). Returns the
 * number of addresses that found no server. */
static size_t place(struct mf_hap_slot *w, bool backup, const struct strv *want, bool *oom)
{
	size_t missing = 0, k = 0;
	bool *used = calloc(want->n + 1, sizeof(bool));
	if (!used) {
		*oom = true;
		return 0;
	}
	if (!backup)
		for (size_t i = 0; i < w->n_servers; i++) {
			struct mf_hap_server *v = &w->servers[i];
			if (v->backup || !v->enabled || !v->addr)
				continue;
			v->enabled = false;
			for (size_t a = 0; a < want->n; a++)
				if (!used[a] && strcmp(v->addr, want->v[a]) == 0) {
					used[a] = v->enabled = true;
					break;
				}
		}
	for (size_t i = 0; i < w->n_servers; i++) {
		struct mf_hap_server *v = &w->servers[i];
		if (v->backup != backup || (!backup && v->enabled))
			continue;
		while (k < want->n && used[k])
			k++;
		if (k == want->n) {
			v->enabled = false;
			continue;
		}
		used[k] = true;
		v->enabled = true;
		if (!v->addr || strcmp(v->addr, want->v[k]) != 0) {
			free(v->addr);
			v->addr = strdup(want->v[k]);
			if (!v->addr)
				*oom = true;
		}
	}
	for (size_t a = 0; a < want->n; a++)
		missing += !used[a];
	free(used);
	return missing;
}

/* --- commands -------------------------------------------------------------- */

static int server_cmds(const struct mf_hap_state *cur, const struct mf_hap_state *want, bool up,
		       struct strv *cmds)
{
	int r = 0;
	for (size_t s = 0; r == 0 && s < want->n_slots; s++) {
		const struct mf_hap_slot *a = &cur->slots[s], *b = &want->slots[s];
		for (size_t i = 0; r == 0 && i < b->n_servers; i++) {
			const struct mf_hap_server *x = &a->servers[i], *y = &b->servers[i];
			if (!up) {
				if (x->enabled && !y->enabled)
					r = strv_pushf(cmds, "disable server %s/%s", b->backend, y->name);
				continue;
			}
			if (!y->enabled)
				continue;
			if (!x->addr || strcmp(x->addr, y->addr) != 0) {
				struct mf_addr ad;
				char ip[INET6_ADDRSTRLEN];
				if (mf_addr_parse(y->addr, 0, &ad) < 0 ||
				    !inet_ntop(ad.ip_len == 4 ? AF_INET : AF_INET6, ad.ip, ip, sizeof(ip)))
					return MF_EINVAL;
				r = strv_pushf(cmds, "set server %s/%s addr %s port %u", b->backend,
					       y->name, ip, ad.port);
			}
			if (r == 0 && !x->enabled)
				r = strv_pushf(cmds, "enable server %s/%s", b->backend, y->name);
		}
	}
	return r;
}

static int map_cmds(const struct mf_hap_state *cur, const struct mf_hap_state *want,
		    const char *map_path, struct strv *cmds)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < want->n_entries; i++) {
		const struct mf_hap_entry *e = &want->entries[i], *c = entry_find(cur, e->key);
		if (!c)
			r = strv_pushf(cmds, "add map %s %s %s", map_path, e->key, e->value);
		else if (strcmp(c->value, e->value) != 0)
			r = strv_pushf(cmds, "set map %s %s %s", map_path, e->key, e->value);
	}
	for (size_t i = 0; r == 0 && i < cur->n_entries; i++)
		if (!entry_find(want, cur->entries[i].key))
			r = strv_pushf(cmds, "del map %s %s", map_path, cur->entries[i].key);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mf_hap_entry *)a)->key, ((const struct mf_hap_entry *)b)->key);
}

void mf_hap_state_sort(struct mf_hap_state *s)
{
	if (s->n_entries)
		qsort(s->entries, s->n_entries, sizeof(*s->entries), cmp_entry);
}

/* --- the plan -------------------------------------------------------------- */

static void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strv_free(&g[i].prim);
		strv_free(&g[i].back);
		strv_free(&g[i].targets);
	}
	free(g);
}

/* The group wanting g's servers, or a new one. */
static int group_find_or_add(struct group *gs, size_t *ng, struct group *g)
{
	for (size_t i = 0; i < *ng; i++)
		if (strv_equal(&gs[i].prim, &g->prim) && strv_equal(&gs[i].back, &g->back)) {
			strv_free(&g->prim);
			strv_free(&g->back);
			return (int)i;
		}
	gs[*ng] = *g;
	gs[*ng].slot = -1;
	return (int)(*ng)++;
}

int mf_hap_plan(const struct mf_hap_state *cur, const struct mf_table *t, const char *map_path,
		struct mf_hap_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (!cur || !t || !map_path)
		return MF_EINVAL;
	struct strv cmds = {0}, unslotted = {0}, truncated = {0}, keys = {0};
	struct group *gs = calloc(t->n_routes + 1, sizeof(*gs));
	/* Per route: its group (-1 no entry, -2 local) and its key in keys. */
	int *route_group = calloc(t->n_routes + 1, sizeof(int));
	size_t *route_key = calloc(t->n_routes + 1, sizeof(size_t));
	size_t ng = 0;
	int r = 0;
	bool oom = false;
	if (!gs || !route_group || !route_key) {
		r = MF_ENOMEM;
		goto fail;
	}
	if ((r = mf_hap_state_copy(cur, &out->want)) < 0)
		goto fail;
	struct mf_hap_state *w = &out->want;
	for (size_t i = 0; i < w->n_entries; i++) {
		free(w->entries[i].key);
		free(w->entries[i].value);
	}
	w->n_entries = 0;

	/* One map key per target; usable routes grouped by wanted servers. */
	for (size_t i = 0; i < t->n_routes; i++) {
		const struct mf_table_route *rt = &t->routes[i];
		char *key;
		route_group[i] = -1;
		if ((r = map_key(rt->target, &key)) < 0)
			goto fail;
		if (!key || strv_has(&keys, key)) {
			free(key);
			continue;
		}
		route_key[i] = keys.n;
		if ((r = strv_push(&keys, key)) < 0)
			goto fail;
		if (rt->status == MF_ROUTE_LOCAL) {
			route_group[i] = -2;
			continue;
		}
		if (!route_usable(rt))
			continue;
		struct group g = {.slot = -1};
		if ((r = group_from_route(rt, &g)) < 0) {
			strv_free(&g.prim);
			strv_free(&g.back);
			goto fail;
		}
		route_group[i] = group_find_or_add(gs, &ng, &g);
		if ((r = strv_push(&gs[route_group[i]].targets, strdup(key))) < 0)
			goto fail;
	}
	if ((r = assign_slots(cur, gs, ng)) < 0)
		goto fail;

	/* Wanted servers: assigned slots get their group's, the others none. */
	for (size_t s = 0; s < w->n_slots; s++) {
		struct group *g = NULL;
		for (size_t i = 0; i < ng; i++)
			if (gs[i].slot == (long)s)
				g = &gs[i];
		struct strv none = {0};
		size_t miss = place(&w->slots[s], false, g ? &g->prim : &none, &oom);
		miss += place(&w->slots[s], true, g ? &g->back : &none, &oom);
		for (size_t k = 0; g && miss && k < g->targets.n; k++)
			if ((r = strv_push(&truncated, strdup(g->targets.v[k]))) < 0)
				goto fail;
	}
	if (oom) {
		r = MF_ENOMEM;
		goto fail;
	}

	/* Map entries, in key order: at most one a route (cur's were freed above). */
	free(w->entries);
	if (!(w->entries = calloc(t->n_routes + 1, sizeof(*w->entries)))) {
		r = MF_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < t->n_routes; i++) {
		int gi = route_group[i];
		if (gi == -1)
			continue;
		const char *key = keys.v[route_key[i]];
		if (gi >= 0 && gs[gi].slot < 0) {
			if ((r = strv_push(&unslotted, strdup(t->routes[i].target))) < 0)
				goto fail;
			continue;
		}
		struct mf_hap_entry *e = &w->entries[w->n_entries];
		e->key = strdup(key);
		e->value = strdup(gi == -2 ? MF_HAP_LOCAL : w->slots[gs[gi].slot].backend);
		w->n_entries++;
		if (!e->key || !e->value) {
			r = MF_ENOMEM;
			goto fail;
		}
	}
	mf_hap_state_sort(w);

	/* Make before break: servers up, map, servers down. */
	if ((r = server_cmds(cur, w, true, &cmds)) < 0 || (r = map_cmds(cur, w, map_path, &cmds)) < 0 ||
	    (r = server_cmds(cur, w, false, &cmds)) < 0)
		goto fail;
	out->cmds = cmds.v;
	out->n_cmds = cmds.n;
	out->unslotted = unslotted.v;
	out->n_unslotted = unslotted.n;
	out->truncated = truncated.v;
	out->n_truncated = truncated.n;
	groups_free(gs, ng);
	free(route_group);
	free(route_key);
	strv_free(&keys);
	return 0;
fail:
	groups_free(gs, ng);
	free(route_group);
	free(route_key);
	strv_free(&keys);
	strv_free(&cmds);
	strv_free(&unslotted);
	strv_free(&truncated);
	mf_hap_state_free(&out->want);
	return r;
}

int mf_hap_map_render(const struct mf_hap_state *s, char **out, size_t *len)
{
	static const char head[] = "# written by `meshfed haproxy`: DC label -> backend\n";
	size_t n = sizeof(head);
	for (size_t i = 0; i < s->n_entries; i++)
		n += strlen(s->entries[i].key) + strlen(s->entries[i].value) + 2;
	char *b = malloc(n), *p = b;
	if (!b)
		return MF_ENOMEM;
	p += sprintf(p, "%s", head);
	for (size_t i = 0; i < s->n_entries; i++)
		p += sprintf(p, "%s %s\n", s->entries[i].key, s->entries[i].value);
	*out = b;
	*len = (size_t)(p - b);
	return 0;
}

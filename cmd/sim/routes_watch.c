/*
 * cmd/sim/routes_watch.c — meshfed-sim -routes watching its servers' tables:
 * route signatures and next-hop changes per round, disagreement within a
 * DC, the engines' and nodes' counters summed, the final tables printed.
 * Declared in routes_internal.h; the contract is routes.h's.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/routes_internal.h"
#include "routing/table_format.h"

static uint64_t fnv64(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* a separator: "a","bc" != "ab","c" */
}

/* How server b's routes differ from server a's (same DC), on err: the
 * targets whose next hop differs, and how many differ in path only. */
static void report_diff(struct rsim *s, size_t a, size_t b, FILE *err)
{
	struct mf_table ta, tb;
	if (mf_routing_node_table(s->servers[a].node, &ta) < 0)
		return;
	if (mf_routing_node_table(s->servers[b].node, &tb) < 0) {
		mf_table_free(&ta);
		return;
	}
	fprintf(err, "meshfed-sim: %s: servers disagree: %s vs %s:", s->topo.dcs[s->servers[a].dc].name,
		s->servers[b].name, s->servers[a].name);
	size_t path_only = 0;
	for (size_t i = 0; i < tb.n_routes; i++) {
		const struct mf_table_route *y = &tb.routes[i], *x = NULL;
		for (size_t k = 0; k < ta.n_routes && !x; k++)
			if (strcmp(ta.routes[k].target, y->target) == 0)
				x = &ta.routes[k];
		const char *nx = x && x->next_hop ? x->next_hop : "-";
		const char *ny = y->next_hop ? y->next_hop : "-";
		if (!x || strcmp(nx, ny) != 0 || x->status != y->status)
			fprintf(err, " %s via %s not %s;", y->target, ny, nx);
		else if (x->path_len != y->path_len)
			path_only++;
		else
			for (size_t k = 0; k < x->path_len; k++)
				if (strcmp(x->path[k], y->path[k]) != 0) {
					path_only++;
					break;
				}
	}
	fprintf(err, " %zu target(s) differ in path only\n", path_only);
	mf_table_free(&ta);
	mf_table_free(&tb);
}

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct named {
	const char *name;
	uint32_t i;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* The server's routes in table order (sorted by target, as
 * mf_routing_table gives them); 0 or MF_ENOMEM. */
static int route_order(struct server *sv, const struct mf_routing *e)
{
	size_t n = mf_routing_n_targets(e);
	if (n == sv->n_order)
		return 0;
	uint32_t *o = realloc(sv->order, (n ? n : 1) * sizeof *o);
	if (!o)
		return MF_ENOMEM;
	sv->order = o;
	struct named *by = malloc((n ? n : 1) * sizeof *by);
	if (!by)
		return MF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct mf_route_view v;
		(void)mf_routing_route_at(e, i, &v); /* i < n: cannot fail */
		by[i] = (struct named){v.target, (uint32_t)i};
	}
	qsort(by, n, sizeof *by, cmp_named);
	for (size_t i = 0; i < n; i++)
		o[i] = by[i].i;
	free(by);
	sv->n_order = n;
	return 0;
}

/* A hash of one server's routes without distances: what convergence
 * compares (target, status, next hop, down, path; a hash, not the text),
 * and the next-hop changes since the last call (targets that come or go
 * count as changes), read from its engine in
 * table order without building the table: at 1,000 DCs a table per server
 * per round was ~10^7 allocations a round. The values are those the
 * table gave (fnv over the same strings in the same order).
 * 0 or MF_ENOMEM. */
static int observe_routes(struct server *sv, uint64_t *sig, size_t *changes)
{
	const struct mf_routing *e = mf_routing_node_engine(sv->node);
	if (route_order(sv, e) < 0)
		return MF_ENOMEM;
	size_t n = sv->n_order;
	if (n > sv->n_nh || !sv->nh) {
		uint32_t *nh = realloc(sv->nh, (n ? n : 1) * sizeof *nh);
		if (!nh)
			return MF_ENOMEM;
		sv->nh = nh;
	}
	uint64_t h = 14695981039346656037ull;
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		struct mf_route_view v;
		(void)mf_routing_route_at(e, sv->order[i], &v);
		h = fnv64(h, v.target);
		h = fnv64(h, mf_route_status_name(v.status));
		h = fnv64(h, v.next_hop ? v.next_hop : "-");
		h = fnv64(h, v.down ? "1" : "0");
		for (size_t k = 0; k < v.path_len; k++)
			h = fnv64(h, mf_routing_path_at(e, sv->order[i], k));
		h = fnv64(h, ";");
		uint32_t x = fnv(fnv(2166136261u, v.target), v.next_hop ? v.next_hop : "-");
		c += sv->has_nh && (i >= sv->n_nh || x != sv->nh[i]);
		sv->nh[i] = x;
	}
	if (sv->has_nh && sv->n_nh > n)
		c += sv->n_nh - n;
	sv->has_nh = true;
	sv->n_nh = n;
	*sig = h;
	*changes = c;
	return 0;
}

/* Sums every server's deltas sent, received, received without base, applied
 * late, applied past their base, bases or deltas dropped on an error, and
 * ours sent reaching back. */
void mf_sim_rt__sum_deltas(const struct rsim *s, uint64_t d[7])
{
	d[0] = d[1] = d[2] = d[3] = d[4] = d[5] = d[6] = 0;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		const struct mf_routing_node_stats *st = mf_routing_node_stats(s->servers[sv].node);
		d[0] += st->deltas_out;
		d[1] += st->deltas_in;
		d[2] += st->deltas_unbased;
		d[3] += st->deltas_late;
		d[4] += st->deltas_stale;
		d[5] += st->local_errors;
		d[6] += st->deltas_back;
	}
}

void mf_sim_rt__sum_split(const struct rsim *s, struct mf_advert_split *sp)
{
	memset(sp, 0, sizeof *sp);
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		const struct mf_advert_split *x = &mf_routing_node_stats(s->servers[sv].node)->delta_split;
		for (int c = 0; c < MF_CHANGE_N; c++) {
			sp->routes[c] += x->routes[c];
			sp->bytes[c] += x->bytes[c];
			sp->states[c] += x->states[c];
		}
		sp->head_bytes += x->head_bytes;
	}
}

/* Sums every server's engine counts (why next hops moved, new states). */
void mf_sim_rt__sum_why(const struct rsim *s, struct mf_routing_stats *w)
{
	memset(w, 0, sizeof *w);
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		const struct mf_routing_stats *st =
			mf_routing_stats(mf_routing_node_engine(s->servers[sv].node));
		w->nh_new += st->nh_new;
		w->nh_lost += st->nh_lost;
		w->nh_margin += st->nh_margin;
		w->nh_settled += st->nh_settled;
		w->nh_shared += st->nh_shared;
		w->nh_free += st->nh_free;
		w->nh_held += st->nh_held;
		w->new_states += st->new_states;
	}
}

/* Targets any server's next-hop hold keeps from a switch now. */
size_t mf_sim_rt__held(const struct rsim *s)
{
	size_t held = 0;
	for (size_t sv = 0; sv < s->n_servers; sv++)
		held += mf_routing_held(mf_routing_node_engine(s->servers[sv].node));
	return held;
}

/* Updates every server's signature; *changed: some moved since the last
 * call; returns the number of DCs whose servers disagree (listed on err
 * when report). */
int mf_sim_rt__observe(struct rsim *s, bool *changed, FILE *err, bool report)
{
	int disagree = 0;
	*changed = false;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		struct server *x = &s->servers[sv];
		/* Every route change raises the version: an unchanged one needs
		 * no snapshot (at 1,000 DCs a table per server per round was
		 * most of the simulator's time). */
		uint64_t v = mf_routing_version(mf_routing_node_engine(x->node));
		if (x->seen && x->has_sig && v == x->version)
			continue;
		x->seen = true;
		x->version = v;
		bool had = x->has_sig;
		uint64_t old = x->sig;
		x->has_sig = false;
		size_t c;
		if (observe_routes(x, &x->sig, &c) == 0) {
			x->has_sig = true;
			if (s->measuring)
				s->nh_changes += c;
		}
		if (!x->has_sig || !had || old != x->sig)
			*changed = true;
	}
	/* Servers are grouped by DC; each is compared with its DC's first. */
	for (size_t f = 0, sv; f < s->n_servers; f = sv) {
		bool differ = false;
		for (sv = f + 1; sv < s->n_servers && s->servers[sv].dc == s->servers[f].dc; sv++) {
			const struct server *a = &s->servers[sv];
			if (a->has_sig && s->servers[f].has_sig && a->sig == s->servers[f].sig)
				continue;
			differ = true;
			if (report)
				report_diff(s, f, sv, err);
		}
		disagree += differ;
	}
	return disagree;
}

/* Prints {"<dc>": table, ...} as json_dumps(JSON_INDENT(2)) of one object
 * would, one DC at a time: the whole object at 1,000 DCs (10^6 routes) was
 * gigabytes of jansson values. */
int mf_sim_rt__print_tables(struct rsim *s, FILE *out)
{
	int rc = 0;
	bool first = true;
	fputc('{', out);
	for (size_t sv = 0; sv < s->n_servers && rc == 0; sv++) {
		if (sv > 0 && s->servers[sv - 1].dc == s->servers[sv].dc)
			continue;
		struct mf_table t;
		char *txt = NULL, *item = NULL, *key = NULL;
		if ((rc = mf_routing_node_table(s->servers[sv].node, &t)) < 0)
			break;
		rc = mf_table_format(&t, MF_TABLE_JSON, &txt);
		mf_table_free(&t);
		json_t *o = rc == 0 ? json_loads(txt, 0, NULL) : NULL;
		json_t *k = json_string(s->topo.dcs[s->servers[sv].dc].name);
		free(txt);
		item = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		key = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
		if (item && key) {
			fprintf(out, "%s\n  %s: ", first ? "" : ",", key);
			for (const char *c = item; *c; c++) {
				fputc(*c, out);
				if (*c == '\n')
					fputs("  ", out);
			}
			first = false;
		} else {
			rc = rc ? rc : MF_ENOMEM;
		}
		free(item);
		free(key);
		json_decref(o);
		json_decref(k);
	}
	fputs(first ? "}\n" : "\n}\n", out);
	return rc;
}

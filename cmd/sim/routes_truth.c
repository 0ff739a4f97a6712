/*
 * cmd/sim/routes_truth.c — meshfed-sim -routes against the topology's truth:
 * each DC's table scored against the true shortest paths, and the cut of
 * the DCs in two halves with the routes still held across it
 * (routes_internal.h; contract in routes.h).
 */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/routes_internal.h"
#include "routing/table.h"

/* --- against the truth --------------------------------------------------------*/


static int cmp_dc_name(const void *a, const void *b, void *ctx)
{
	const struct mf_topology *t = ctx;
	return strcmp(t->dcs[*(const size_t *)a].name, t->dcs[*(const size_t *)b].name);
}

int mf_sim_rt__truth_init(struct truth *w, const struct mf_topology *t)
{
	size_t n = t->n_dcs;
	w->t = t;
	w->linked = calloc(n * n, sizeof(bool));
	w->by_name = malloc(n * sizeof(size_t));
	if (!w->linked || !w->by_name)
		return MF_ENOMEM;
	for (size_t a = 0; a < n; a++) {
		w->by_name[a] = a;
		for (size_t b = 0; !t->n_areas && b < n; b++)
			w->linked[a * n + b] = a != b && mf_topology_rtt(t, a, b) >= 0;
	}
	for (size_t k = 0; k < t->n_areas; k++)
		for (size_t i = 0; i < t->areas[k].n_dcs; i++)
			for (size_t j = 0; j < t->areas[k].n_dcs; j++) {
				size_t a = t->areas[k].dcs[i], b = t->areas[k].dcs[j];
				w->linked[a * n + b] = a != b && mf_topology_rtt(t, a, b) >= 0;
			}
	qsort_r(w->by_name, n, sizeof(size_t), cmp_dc_name, (void *)t);
	return 0;
}

void mf_sim_rt__truth_free(struct truth *w)
{
	free(w->linked);
	free(w->by_name);
}

/* Index of the DC called name, or -1. */
long mf_sim_rt__truth_dc(const struct truth *w, const char *name)
{
	size_t lo = 0, hi = w->t->n_dcs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(w->t->dcs[w->by_name[mid]].name, name);
		if (c == 0)
			return (long)w->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* True RTT of a direct link a-b (both in an area when there are areas), or
 * INFINITY. */
static double true_link(const struct truth *w, size_t a, size_t b)
{
	return w->linked[a * w->t->n_dcs + b] ? mf_topology_rtt(w->t, a, b) : INFINITY;
}

/* Shortest true RTT from src to every DC through transit DCs only (the
 * optimum a multi-hop route can reach), into dist (n_dcs). */
static void optimum(const struct truth *w, size_t src, double *dist, bool *done)
{
	const struct mf_topology *t = w->t;
	size_t n = t->n_dcs;
	for (size_t i = 0; i < n; i++) {
		dist[i] = i == src ? 0 : INFINITY;
		done[i] = false;
	}
	for (;;) {
		size_t u = n;
		for (size_t i = 0; i < n; i++)
			if (!done[i] && isfinite(dist[i]) && (u == n || dist[i] < dist[u]))
				u = i;
		if (u == n)
			return;
		done[u] = true;
		if (u != src && !t->dcs[u].transit)
			continue;
		for (size_t v = 0; v < n; v++)
			if (dist[u] + true_link(w, u, v) < dist[v])
				dist[v] = dist[u] + true_link(w, u, v);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Scores each DC's table (its first server's) against the true RTTs: per
 * multi-hop target, the route's true RTT along its path over the optimum
 * (stretch); single-hop targets with a link are expected direct. One line
 * on err. */
void mf_sim_rt__score(struct rsim *s, FILE *err)
{
	const struct mf_topology *t = &s->topo;
	size_t n = t->n_dcs, pairs = 0, optimal = 0, missing = 0, extra = 0;
	double sum = 0, worst = 1;
	char worst_pair[2 * MF_TOPOLOGY_NAME_MAX + 8] = "";
	double *dist = malloc(n * sizeof(double));
	bool *done = malloc(n * sizeof(bool));
	double *all = malloc(n * n * sizeof(double));
	const struct mf_table_route **route = malloc(n * sizeof(*route));
	size_t n_all = 0, near = 0;
	struct truth w = {0};
	if (!dist || !done || !all || !route || mf_sim_rt__truth_init(&w, t) < 0)
		goto out;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		if (sv > 0 && s->servers[sv - 1].dc == s->servers[sv].dc)
			continue;
		size_t a = s->servers[sv].dc;
		struct mf_table tb;
		if (mf_routing_node_table(s->servers[sv].node, &tb) < 0)
			continue;
		optimum(&w, a, dist, done);
		for (size_t b = 0; b < n; b++)
			route[b] = NULL;
		for (size_t k = tb.n_routes; k-- > 0;) { /* the first of a target wins */
			long b = mf_sim_rt__truth_dc(&w, tb.routes[k].target);
			if (b >= 0)
				route[b] = &tb.routes[k];
		}
		for (size_t b = 0; b < n; b++) {
			if (b == a)
				continue;
			const struct mf_table_route *r = route[b];
			bool reach = r && (r->status == MF_ROUTE_DIRECT || r->status == MF_ROUTE_VIA) &&
				     !r->down;
			bool single = t->dcs[b].route == MF_TOPOLOGY_SINGLE_HOP && isfinite(true_link(&w, a, b));
			double best = single ? true_link(&w, a, b) : dist[b];
			if (!isfinite(best)) {
				extra += reach;
				continue;
			}
			pairs++;
			if (!reach) {
				missing++;
				continue;
			}
			double along = 0;
			for (size_t k = 1; k < r->path_len; k++) {
				long x = mf_sim_rt__truth_dc(&w, r->path[k - 1]);
				long y = mf_sim_rt__truth_dc(&w, r->path[k]);
				along += x < 0 || y < 0 ? INFINITY : true_link(&w, (size_t)x, (size_t)y);
			}
			double st = along / best;
			if (st <= 1 + 1e-9)
				optimal++;
			/* docs/routing.md, "Hysteresis": within 5 % or 2 ms */
			near += along <= best * 1.05 || along <= best + 2;
			all[n_all++] = st;
			sum += st;
			if (st > worst) {
				worst = st;
				snprintf(worst_pair, sizeof(worst_pair), " (%s->%s)", t->dcs[a].name,
					 t->dcs[b].name);
			}
		}
		mf_table_free(&tb);
	}
	fprintf(err,
		"routes vs true RTTs: %zu reachable pairs, %zu optimal, %zu missing, %zu "
		"unexpected; stretch mean %.3f, worst %.3f%s\n",
		pairs, optimal, missing, extra, pairs - missing ? sum / (double)(pairs - missing) : 1.0,
		worst, worst_pair);
	qsort(all, n_all, sizeof(double), cmp_double);
	fprintf(err, "stretch p99 %.3f; %zu of %zu routes within 5%% or 2 ms of the shortest\n",
		n_all ? all[(size_t)(0.99 * (double)(n_all - 1))] : 1.0, near, n_all);
out:
	mf_sim_rt__truth_free(&w);
	free(route);
	free(all);
	free(dist);
	free(done);
}

/* --- the cut ------------------------------------------------------------------*/

/* Side of DC d in a cut: the first half of the file, or the rest. */
static int side(const struct rsim *s, size_t d)
{
	return 2 * d < s->topo.n_dcs ? 0 : 1;
}

void mf_sim_rt__cut(struct rsim *s)
{
	for (size_t i = 0; i < s->n; i++)
		mf_simnet_set_group(s->net, i, side(s, s->servers[s->members[i].server].dc));
}

/* Routes (reachable, not down) some server holds to a DC on the other side
 * of the cut; *who: the first server holding one. */
size_t mf_sim_rt__routes_across(const struct rsim *s, const struct truth *w, size_t *who)
{
	size_t n = 0;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		const struct mf_routing *e = mf_routing_node_engine(s->servers[sv].node);
		int mine = side(s, s->servers[sv].dc);
		for (size_t i = 0; i < mf_routing_n_targets(e); i++) {
			struct mf_route_view v;
			if (mf_routing_route_at(e, i, &v) < 0 || v.down ||
			    (v.status != MF_ROUTE_DIRECT && v.status != MF_ROUTE_VIA))
				continue;
			long d = mf_sim_rt__truth_dc(w, v.target);
			if (d >= 0 && side(s, (size_t)d) != mine && n++ == 0)
				*who = sv;
		}
	}
	return n;
}

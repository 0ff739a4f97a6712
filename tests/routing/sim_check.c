/*
 * tests/routing/sim_check.c — the checks of tests/routing/sim.h that read
 * every engine's table at one instant: against the Dijkstra reference, the
 * next-hop walks (and the alternates' walks), and the census of what each
 * walk does while routes move (sim_walk_census).
 */
#include "tests/routing/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

/* pos[a*n+t]: index of target t in DC a's engine, or -1. */
static long *positions(const struct sim *s)
{
	size_t n = s->n;
	long *pos = malloc(n * n * sizeof *pos);
	for (size_t a = 0; pos && a < n; a++)
		for (size_t t = 0; t < n; t++) {
			size_t i;
			pos[a * n + t] = s->alive[a] && mf_routing_find(s->eng[a], s->names[t], &i) == 0 ? (long)i : -1;
		}
	return pos;
}

static int view(const struct sim *s, const long *pos, size_t a, size_t t, struct mf_route_view *v)
{
	long i = pos[a * s->n + t];
	return i < 0 ? MF_ENOTFOUND : mf_routing_route_at(s->eng[a], (size_t)i, v);
}

size_t sim_check_dijkstra(const struct sim *s, const double *ref)
{
	size_t n = s->n, bad = 0;
	long *pos = positions(s);
	if (!pos)
		return 1;
	for (size_t a = 0; a < n; a++) {
		if (!s->alive[a])
			continue;
		for (size_t t = 0; t < n; t++) {
			if (t == a || !s->alive[t])
				continue;
			double want = ref[a * n + t];
			int want_nh = -1;
			for (size_t j = 0; j < n && isfinite(want); j++)
				if (j != a && s->alive[j] && s->usable[a * n + j] &&
				    s->dist[a * n + j] + ref[j * n + t] == want) {
					want_nh = (int)j;
					break; /* first by index = first by name */
				}
			struct mf_route_view v = {0};
			int rc = view(s, pos, a, t, &v);
			int nh = rc == 0 ? sim_index(s, v.next_hop) : -1;
			bool ok;
			if (!isfinite(want))
				ok = rc < 0 || v.status == MF_ROUTE_UNREACHABLE;
			else
				ok = rc == 0 && v.distance_ms == want && nh == want_nh &&
				     v.status == (nh == (int)t ? MF_ROUTE_DIRECT : MF_ROUTE_VIA);
			if (!ok && bad++ < 5)
				printf("\n  %s -> %s: want %g via dc%03d, got %g via %s (%s)", s->names[a],
				       s->names[t], want, want_nh, rc == 0 ? v.distance_ms : NAN,
				       rc == 0 && v.next_hop ? v.next_hop : "-",
				       rc == 0 ? mf_route_status_name(v.status) : "no row");
		}
	}
	free(pos);
	return bad;
}

size_t sim_missing_routes(const struct sim *s)
{
	size_t n = s->n, miss = 0;
	bool *seen = malloc(n * sizeof *seen);
	size_t *stack = malloc(n * sizeof *stack);
	long *pos = positions(s);
	for (size_t a = 0; seen && stack && pos && a < n; a++) {
		if (!s->alive[a])
			continue;
		sim_reach(s, a, seen, stack);
		for (size_t t = 0; t < n; t++) {
			struct mf_route_view v;
			if (t != a && seen[t] &&
			    (view(s, pos, a, t, &v) < 0 || (v.status != MF_ROUTE_DIRECT && v.status != MF_ROUTE_VIA)))
				miss++;
		}
	}
	if (!seen || !stack || !pos)
		miss = SIZE_MAX;
	free(seen);
	free(stack);
	free(pos);
	return miss;
}

/* How a next-hop walk ends (sim_walk_census). */
enum walk_end {
	WALK_REACHED,   /* at the target */
	WALK_NO_ROUTE,  /* at a DC with no route to it: a black hole */
	WALK_DEAD_LINK, /* a next hop over a link that is down, or a dead DC */
	WALK_LOOP,      /* back at a DC already walked: a forwarding loop */
};

/* Extends walk[0..*len) (its DCs marked in seen) by following next hops
 * from its last DC towards t, over usable links between alive DCs; a
 * revisited DC is appended last, so the cycle is the walk from its first
 * visit. */
static enum walk_end follow(const struct sim *s, const long *pos, size_t t, bool *seen, int *walk, size_t *len)
{
	size_t n = s->n, cur = (size_t)walk[*len - 1];
	while (cur != t) {
		struct mf_route_view w;
		if (view(s, pos, cur, t, &w) < 0 || (w.status != MF_ROUTE_DIRECT && w.status != MF_ROUTE_VIA))
			return WALK_NO_ROUTE;
		int nh = sim_index(s, w.next_hop);
		if (nh < 0 || !s->alive[nh] || !s->usable[cur * n + (size_t)nh])
			return WALK_DEAD_LINK;
		walk[(*len)++] = nh;
		if (seen[nh])
			return WALK_LOOP;
		seen[nh] = true;
		cur = (size_t)nh;
	}
	return WALK_REACHED;
}

/* Whether a's route to t is one to walk (it has a next hop). */
static bool walkable(const struct sim *s, const long *pos, size_t a, size_t t, struct mf_route_view *v)
{
	return t != a && view(s, pos, a, t, v) == 0 &&
	       (v->status == MF_ROUTE_DIRECT || v->status == MF_ROUTE_VIA);
}

/* The scratch of the walk checks: the DCs walked from the source, which
 * of them are on the walk, and every engine's route positions. */
struct walker {
	int *walk;
	bool *seen;
	long *pos;
};

static void walker_free(struct walker *w)
{
	free(w->walk);
	free(w->seen);
	free(w->pos);
}

static int walker_new(const struct sim *s, struct walker *w)
{
	w->walk = malloc((s->n + 2) * sizeof *w->walk); /* a revisit and the via */
	w->seen = calloc(s->n, sizeof *w->seen);
	w->pos = positions(s);
	if (w->walk && w->seen && w->pos)
		return 0;
	walker_free(w);
	return -1;
}

/* Walks from a, first to via when via >= 0, then along next hops to t
 * (follow); the DCs walked in *len, how the walk ended. */
static enum walk_end walk_to(const struct sim *s, struct walker *w, size_t a, int via, size_t t, size_t *len)
{
	*len = 0;
	w->walk[(*len)++] = (int)a;
	w->seen[a] = true;
	if (via >= 0) {
		w->walk[(*len)++] = via;
		w->seen[via] = true;
	}
	enum walk_end end = follow(s, w->pos, t, w->seen, w->walk, len);
	for (size_t k = 0; k < *len; k++)
		w->seen[w->walk[k]] = false;
	return end;
}

/* Whether the walk w->walk[0..len) from a to t is the path a's table shows. */
static bool on_table_path(const struct sim *s, const struct walker *w, size_t a, size_t t,
			  const struct mf_route_view *v, size_t len)
{
	bool same = v->path_len == len;
	for (size_t k = 0; same && k < len; k++)
		same = sim_index(s, mf_routing_path_at(s->eng[a], (size_t)w->pos[a * s->n + t], k)) == w->walk[k];
	return same;
}

size_t sim_check_walks(const struct sim *s)
{
	size_t n = s->n, bad = 0;
	struct walker w;
	if (walker_new(s, &w) < 0)
		return 1;
	for (size_t a = 0; a < n; a++) {
		for (size_t t = 0; s->alive[a] && t < n; t++) {
			struct mf_route_view v;
			size_t len;
			if (!walkable(s, w.pos, a, t, &v))
				continue;
			bool ok = walk_to(s, &w, a, -1, t, &len) == WALK_REACHED &&
				  on_table_path(s, &w, a, t, &v, len);
			if (!ok && bad++ < 5)
				printf("\n  walk %s -> %s broken after %zu hops", s->names[a], s->names[t], len);
		}
	}
	walker_free(&w);
	return bad;
}

size_t sim_check_alternate_walks(const struct sim *s, size_t *n_alternates)
{
	size_t n = s->n, bad = 0;
	struct walker w;
	*n_alternates = 0;
	if (walker_new(s, &w) < 0)
		return 1;
	for (size_t a = 0; a < n; a++) {
		for (size_t t = 0; s->alive[a] && t < n; t++) {
			struct mf_route_view v;
			const char *alt;
			double d;
			if (!walkable(s, w.pos, a, t, &v))
				continue;
			for (size_t k = 0; mf_routing_alternate_at(s->eng[a], (size_t)w.pos[a * n + t], k, &alt, &d) == 0;
			     k++) {
				int nh = sim_index(s, alt);
				size_t len = 1;
				bool ok = nh >= 0 && (size_t)nh != a && s->alive[nh] && s->usable[a * n + (size_t)nh] &&
					  isfinite(d) && (!v.next_hop || strcmp(alt, v.next_hop) != 0);
				(*n_alternates)++;
				ok = ok && walk_to(s, &w, a, nh, t, &len) == WALK_REACHED;
				if (!ok && bad++ < 5)
					printf("\n  alternate %s of %s -> %s: walk broken after %zu hops", alt,
					       s->names[a], s->names[t], len);
			}
		}
	}
	walker_free(&w);
	return bad;
}


/* Prints the cycle walk[from..len-1) towards t: each DC's route as its
 * table shows it (tracing a loop back to the states that made it). */
static void print_cycle(const struct sim *s, const long *pos, size_t t, const int *walk, size_t from, size_t len,
			bool cut)
{
	printf("\n  loop towards %s (%s) at now %llu:", s->names[t], cut ? "cut off" : "reachable",
	       (unsigned long long)s->now);
	for (size_t k = from; k + 1 < len; k++) {
		size_t a = (size_t)walk[k];
		struct mf_route_view v;
		if (view(s, pos, a, t, &v) < 0)
			continue;
		printf("\n    %s: %s %.1f ms, path", s->names[a], mf_route_status_name(v.status), v.distance_ms);
		for (size_t h = 0; h < v.path_len; h++)
			printf(" %s", mf_routing_path_at(s->eng[a], (size_t)pos[a * s->n + t], h));
	}
}

/* Whether ref's tables have the cycle walk[from..len-1) towards t too. */
static bool ref_has_cycle(const struct sim *s, const struct sim *ref, const long *ref_pos, size_t t,
			  const int *walk, size_t from, size_t len)
{
	for (size_t k = from; k + 1 < len; k++) {
		struct mf_route_view v;
		if (view(ref, ref_pos, (size_t)walk[k], t, &v) < 0 || !v.next_hop ||
		    strcmp(v.next_hop, s->names[walk[k + 1]]) != 0)
			return false;
	}
	return true;
}

/* Whether a's route to t is its next hop's route of the census before,
 * with a in front, and holds no DC twice (sim_walk_counts cycles_stale). */
static bool one_exchange_behind(const struct sim *s, const struct sim_walks *c, const long *pos, size_t a,
				size_t t, bool *mark)
{
	size_t n = s->n, i = (size_t)pos[a * n + t];
	struct mf_route_view v;
	if (mf_routing_route_at(s->eng[a], i, &v) < 0 || v.path_len < 2)
		return false;
	int nh = sim_index(s, mf_routing_path_at(s->eng[a], i, 1));
	if (nh < 0)
		return false;
	size_t from = c->prev_off[(size_t)nh * n + t], to = c->prev_off[(size_t)nh * n + t + 1];
	bool ok = to - from == v.path_len - 1;
	memset(mark, 0, n * sizeof *mark);
	for (size_t k = 0; ok && k < v.path_len; k++) {
		int d = sim_index(s, mf_routing_path_at(s->eng[a], i, k));
		ok = d >= 0 && !mark[d] && (k == 0 ? d == (int)a : c->prev_ids[from + k - 1] == d);
		if (ok)
			mark[d] = true;
	}
	return ok;
}

/* A census's scratch: cyc[m] marks the DCs of the cycles found towards
 * the current target, new_[m] those of cycles the ref lacks; mark is the
 * path check's. */
struct census_scratch {
	bool *cyc, *new_, *mark;
	const long *ref_pos;
};

/* A loop's cycle, walk[from..len-1), counted once per target. */
static void census_cycle(const struct sim *s, struct sim_walks *c, const struct walker *w, size_t t, size_t from,
			 size_t len, bool cut, struct census_scratch *x)
{
	struct sim_walk_counts *k = &c->last;
	bool fresh = c->ref && !ref_has_cycle(s, c->ref, x->ref_pos, t, w->walk, from, len);
	bool stale = false;
	for (size_t i = from; c->prev_off && i + 1 < len; i++)
		stale |= !one_exchange_behind(s, c, w->pos, (size_t)w->walk[i], t, x->mark);
	k->cycles++;
	k->cycles_cut += cut;
	k->cycles_new += fresh;
	k->cycles_stale += stale;
	for (size_t i = from; i + 1 < len; i++)
		x->cyc[w->walk[i]] = true, x->new_[w->walk[i]] = fresh;
	if (c->trace > 0 && (fresh || !c->ref)) {
		c->trace--;
		print_cycle(s, w->pos, t, w->walk, from, len, cut);
	}
}

/* One walk's class into c->last. */
static void census_walk(const struct sim *s, struct sim_walks *c, const struct walker *w, size_t a, size_t t,
			const struct mf_route_view *v, enum walk_end end, size_t len, bool cut,
			struct census_scratch *x)
{
	size_t n = s->n;
	struct sim_walk_counts *k = &c->last;
	k->walks++;
	if (end == WALK_NO_ROUTE) {
		k->black_holes++;
		k->black_holes_cut += cut;
	} else if (end == WALK_DEAD_LINK) {
		k->dead_links++;
	} else if (end == WALK_LOOP) {
		size_t m = (size_t)w->walk[len - 1], from = 0;
		while (w->walk[from] != (int)m)
			from++;
		if (!x->cyc[m])
			census_cycle(s, c, w, t, from, len, cut, x);
		k->loops++;
		k->loops_cut += cut;
		k->loops_new += x->new_[m];
	} else {
		double d = 0;
		for (size_t i = 0; i + 1 < len; i++)
			d += s->dist[(size_t)w->walk[i] * n + (size_t)w->walk[i + 1]];
		if (on_table_path(s, w, a, t, v, len)) {
			k->matching++;
		} else {
			k->moved++;
			k->longer += d > v->distance_ms * (1 + 1e-9) + 1e-9;
		}
	}
}

/* Keeps every alive DC's table paths for the next census. */
static int keep_paths(const struct sim *s, struct sim_walks *c, const long *pos)
{
	size_t n = s->n, total = 0;
	size_t *off = malloc((n * n + 1) * sizeof *off);
	if (!off)
		return MF_ENOMEM;
	for (size_t a = 0; a < n; a++)
		for (size_t t = 0; t < n; t++) {
			struct mf_route_view v;
			off[a * n + t] = total;
			if (walkable(s, pos, a, t, &v))
				total += v.path_len;
		}
	off[n * n] = total;
	int *ids = malloc((total ? total : 1) * sizeof *ids);
	if (!ids) {
		free(off);
		return MF_ENOMEM;
	}
	for (size_t a = 0; a < n; a++)
		for (size_t t = 0; t < n; t++)
			for (size_t k = off[a * n + t]; k < off[a * n + t + 1]; k++)
				ids[k] = sim_index(s, mf_routing_path_at(s->eng[a], (size_t)pos[a * n + t],
									 k - off[a * n + t]));
	sim_walks_free(c);
	c->prev_off = off;
	c->prev_ids = ids;
	return 0;
}

void sim_walks_free(struct sim_walks *c)
{
	free(c->prev_off);
	free(c->prev_ids);
	c->prev_off = NULL;
	c->prev_ids = NULL;
}

static void counts_add(struct sim_walk_counts *to, const struct sim_walk_counts *k)
{
	size_t *d = (size_t *)to;
	const size_t *f = (const size_t *)k;
	for (size_t i = 0; i < sizeof *k / sizeof(size_t); i++)
		d[i] += f[i];
}

static void census_print(const struct sim *s, const struct sim_walk_counts *k)
{
	printf("\n  now %llu: walks %zu, matching %zu, moved %zu (longer %zu), black holes %zu (cut off %zu), "
	       "dead links %zu, loops %zu (cut off %zu), cycles %zu (cut off %zu, not in ref %zu, stale %zu)",
	       (unsigned long long)s->now, k->walks, k->matching, k->moved, k->longer, k->black_holes,
	       k->black_holes_cut, k->dead_links, k->loops, k->loops_cut, k->cycles, k->cycles_cut, k->cycles_new,
	       k->cycles_stale);
}

int sim_walk_census(const struct sim *s, struct sim_walks *c)
{
	size_t n = s->n;
	struct walker w;
	struct census_scratch x = {calloc(n, sizeof *x.cyc), calloc(n, sizeof *x.new_), calloc(n, sizeof *x.mark),
				   NULL};
	bool *reach = malloc(n * n * sizeof *reach);
	size_t *stack = malloc(n * sizeof *stack);
	long *ref_pos = c->ref ? positions(c->ref) : NULL;
	x.ref_pos = ref_pos;
	int rc = MF_ENOMEM;
	if (!x.cyc || !x.new_ || !x.mark || !reach || !stack || (c->ref && !ref_pos) || walker_new(s, &w) < 0)
		goto out;
	memset(&c->last, 0, sizeof c->last);
	for (size_t a = 0; a < n; a++)
		if (s->alive[a])
			sim_reach(s, a, reach + a * n, stack);
	for (size_t t = 0; t < n; t++) {
		memset(x.cyc, 0, n * sizeof *x.cyc);
		for (size_t a = 0; a < n; a++) {
			struct mf_route_view v;
			size_t len;
			if (!s->alive[a] || !walkable(s, w.pos, a, t, &v))
				continue;
			enum walk_end end = walk_to(s, &w, a, -1, t, &len);
			census_walk(s, c, &w, a, t, &v, end, len, !reach[a * n + t], &x);
		}
	}
	counts_add(&c->all, &c->last);
	c->instants++;
	c->loop_instants += c->last.cycles > 0;
	if (c->each)
		census_print(s, &c->last);
	rc = keep_paths(s, c, w.pos);
	walker_free(&w);
out:
	free(x.cyc);
	free(x.new_);
	free(x.mark);
	free(reach);
	free(stack);
	free(ref_pos);
	return rc;
}

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
			bool ok = walk_to(s, &w, a, -1, t, &len) == WALK_REACHED;
			/* The walk is the path the source's table shows. */
			ok = ok && v.path_len == len;
			for (size_t k = 0; ok && k < len; k++)
				ok = sim_index(s, mf_routing_path_at(s->eng[a], (size_t)w.pos[a * n + t], k)) ==
				     w.walk[k];
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

/* A census's scratch: cyc[m] marks the DCs of the cycles found towards
 * the current target, new_[m] those of cycles ref lacks. */
struct census_scratch {
	bool *cyc, *new_;
	const long *ref_pos;
};

/* One walk's class into c; a loop's cycle marked (per target) and counted
 * once. */
static void census_walk(const struct sim *s, const struct walker *w, size_t a, size_t t,
			const struct mf_route_view *v, enum walk_end end, size_t len, bool cut,
			struct census_scratch *x, struct sim_walks *c)
{
	size_t n = s->n;
	c->walks++;
	if (end == WALK_NO_ROUTE) {
		c->black_holes++;
		c->black_holes_cut += cut;
	} else if (end == WALK_DEAD_LINK) {
		c->dead_links++;
	} else if (end == WALK_LOOP) {
		c->loops++;
		c->loops_cut += cut;
		size_t from = 0;
		while (w->walk[from] != w->walk[len - 1])
			from++;
		size_t m = (size_t)w->walk[len - 1];
		if (!x->cyc[m]) {
			bool fresh = c->ref && !ref_has_cycle(s, c->ref, x->ref_pos, t, w->walk, from, len);
			c->cycles++;
			c->cycles_cut += cut;
			c->cycles_new += fresh;
			for (size_t k = from; k + 1 < len; k++)
				x->cyc[w->walk[k]] = true, x->new_[w->walk[k]] = fresh;
			if (c->trace > 0 && (fresh || !c->ref)) { /* with ref: those it lacks */
				c->trace--;
				print_cycle(s, w->pos, t, w->walk, from, len, cut);
			}
		}
		c->loops_new += x->new_[m];
	} else {
		bool same = v->path_len == len;
		double d = 0;
		for (size_t k = 0; same && k < len; k++)
			same = sim_index(s, mf_routing_path_at(s->eng[a], (size_t)w->pos[a * n + t], k)) ==
			       w->walk[k];
		for (size_t k = 0; k + 1 < len; k++)
			d += s->dist[(size_t)w->walk[k] * n + (size_t)w->walk[k + 1]];
		if (same) {
			c->matching++;
		} else {
			c->moved++;
			c->longer += d > v->distance_ms * (1 + 1e-9) + 1e-9;
		}
	}
}

static void census_print(const struct sim *s, const struct sim_walks *c, const struct sim_walks *before)
{
	printf("\n  now %llu: walks %zu, matching %zu, moved %zu (longer %zu), black holes %zu (cut off %zu), "
	       "dead links %zu, loops %zu (cut off %zu), cycles %zu (cut off %zu, not in ref %zu)",
	       (unsigned long long)s->now, c->walks - before->walks, c->matching - before->matching,
	       c->moved - before->moved, c->longer - before->longer, c->black_holes - before->black_holes,
	       c->black_holes_cut - before->black_holes_cut, c->dead_links - before->dead_links,
	       c->loops - before->loops, c->loops_cut - before->loops_cut, c->cycles - before->cycles,
	       c->cycles_cut - before->cycles_cut, c->cycles_new - before->cycles_new);
}

int sim_walk_census(const struct sim *s, struct sim_walks *c)
{
	size_t n = s->n;
	struct sim_walks before = *c;
	struct walker w;
	struct census_scratch x = {calloc(n, sizeof *x.cyc), calloc(n, sizeof *x.new_), NULL};
	bool *reach = malloc(n * n * sizeof *reach);
	size_t *stack = malloc(n * sizeof *stack);
	long *ref_pos = c->ref ? positions(c->ref) : NULL;
	x.ref_pos = ref_pos;
	int rc = MF_ENOMEM;
	if (!x.cyc || !x.new_ || !reach || !stack || (c->ref && !ref_pos) || walker_new(s, &w) < 0)
		goto out;
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
			census_walk(s, &w, a, t, &v, end, len, !reach[a * n + t], &x, c);
		}
	}
	c->instants++;
	c->loop_instants += c->cycles > before.cycles;
	if (c->each)
		census_print(s, c, &before);
	walker_free(&w);
	rc = 0;
out:
	free(x.cyc);
	free(x.new_);
	free(reach);
	free(stack);
	free(ref_pos);
	return rc;
}

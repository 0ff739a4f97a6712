/*
 * cmd/sim/routes_walks.c — meshfed-sim -routes walking the servers' next
 * hops after every round (issue 13, point 1: loops and black holes in
 * gossip, as tests/routing/sim_check.c walks the lockstep engines).
 *
 * A walk starts at every server's route to every other DC that has a next
 * hop, and follows next hops DC by DC. In each DC it reads the table of the
 * server with the starting server's rank in its DC (the last one when the
 * DC has fewer): with 2 servers per DC, two planes of one server per DC,
 * since a packet meets whichever gateway its servers serve, and a loop in
 * either plane is one traffic can take. It ends reached (the target), in a
 * black hole (a DC with no usable route: none, unreachable or down), over a
 * dead link (a next hop not linked in the topology, or across the cut), or
 * in a loop (a DC walked before). A target is cut off when the cut is on
 * and it lies on the other side. Declared in routes_internal.h.
 */
#include <stdlib.h>

#include "cmd/sim/routes_internal.h"

int mf_sim_rt__walks_init(struct walks *w, const struct rsim *s)
{
	size_t n = s->topo.n_dcs;
	w->first = calloc(n ? n : 1, sizeof(size_t));
	w->count = calloc(n ? n : 1, sizeof(size_t));
	w->stamp = calloc(n ? n : 1, sizeof(uint32_t));
	if (!w->first || !w->count || !w->stamp)
		return MF_ENOMEM;
	for (size_t sv = s->n_servers; sv-- > 0;) {
		w->first[s->servers[sv].dc] = sv;
		w->count[s->servers[sv].dc]++;
	}
	return 0;
}

void mf_sim_rt__walks_free(struct walks *w)
{
	free(w->first);
	free(w->count);
	free(w->stamp);
}

/* The cut's side of DC d (routes_truth.c's: the first half of the file,
 * or the rest). */
static int half(const struct rsim *s, size_t d)
{
	return 2 * d < s->topo.n_dcs ? 0 : 1;
}

/* Server sv's usable route to target name: its next hop's DC index into
 * *nh (-1 when it names no DC we know); false when it has none. */
static bool usable(const struct rsim *s, const struct truth *tw, size_t sv, const char *name, long *nh)
{
	const struct mf_routing *e = mf_routing_node_engine(s->servers[sv].node);
	struct mf_route_view v;
	size_t i;
	if (mf_routing_find(e, name, &i) < 0 || mf_routing_route_at(e, i, &v) < 0 || v.down ||
	    (v.status != MF_ROUTE_DIRECT && v.status != MF_ROUTE_VIA) || !v.next_hop)
		return false;
	*nh = mf_sim_rt__truth_dc(tw, v.next_hop);
	return true;
}

/* One walk from server sv (rank k in its DC) towards DC t. */
static void walk(const struct rsim *s, struct walks *w, const struct truth *tw, size_t sv, size_t k,
		 size_t t, bool cut, struct mf_sim_walk_counts *c)
{
	size_t n = s->topo.n_dcs, cur = s->servers[sv].dc;
	const char *name = s->topo.dcs[t].name;
	bool off = cut && half(s, cur) != half(s, t);
	long nh;
	if (!usable(s, tw, sv, name, &nh)) {
		c->unrouted += !off;
		return;
	}
	c->walks++;
	uint32_t gen = ++w->gen;
	if (gen == 0) { /* wrapped: no stale mark may match */
		for (size_t i = 0; i < n; i++)
			w->stamp[i] = 0;
		gen = w->gen = 1;
	}
	w->stamp[cur] = gen;
	for (;;) {
		if (nh < 0 || !tw->linked[cur * n + (size_t)nh] ||
		    (cut && half(s, cur) != half(s, (size_t)nh))) {
			c->dead++;
			return;
		}
		cur = (size_t)nh;
		if (cur == t) {
			c->reached++;
			return;
		}
		if (w->stamp[cur] == gen) {
			c->loops++;
			c->loops_cut += off;
			return;
		}
		w->stamp[cur] = gen;
		size_t at = w->first[cur] + (k < w->count[cur] ? k : w->count[cur] - 1);
		if (!usable(s, tw, at, name, &nh)) {
			c->holes++;
			c->holes_cut += off;
			return;
		}
	}
}

static void add(struct mf_sim_walk_counts *to, const struct mf_sim_walk_counts *c)
{
	to->walks += c->walks;
	to->reached += c->reached;
	to->loops += c->loops;
	to->loops_cut += c->loops_cut;
	to->holes += c->holes;
	to->holes_cut += c->holes_cut;
	to->dead += c->dead;
	to->unrouted += c->unrouted;
	to->loop_rounds += c->loops > 0;
	to->rounds++;
}

void mf_sim_rt__walk_round(const struct rsim *s, struct walks *w, const struct truth *tw, bool cut,
			   bool measuring)
{
	struct mf_sim_walk_counts c = {0};
	size_t n = s->topo.n_dcs;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		size_t d = s->servers[sv].dc, k = sv - w->first[d];
		for (size_t t = 0; t < n; t++)
			if (t != d)
				walk(s, w, tw, sv, k, t, cut, &c);
	}
	add(&w->all, &c);
	if (measuring)
		add(&w->window, &c);
	if (cut)
		add(&w->cut, &c);
}

static void print(FILE *err, const char *what, const struct mf_sim_walk_counts *c)
{
	fprintf(err,
		"walks %s (%llu rounds): %llu, %llu reached; %llu loops (%llu towards cut-off DCs) "
		"in %llu rounds; black holes %llu towards reachable DCs, %llu towards cut-off DCs; "
		"%llu over dead links; %llu routes to reachable DCs missing\n",
		what, (unsigned long long)c->rounds, (unsigned long long)c->walks,
		(unsigned long long)c->reached, (unsigned long long)c->loops,
		(unsigned long long)c->loops_cut, (unsigned long long)c->loop_rounds,
		(unsigned long long)(c->holes - c->holes_cut), (unsigned long long)c->holes_cut,
		(unsigned long long)c->dead, (unsigned long long)c->unrouted);
}

void mf_sim_rt__walks_print(const struct walks *w, FILE *err, int measure_from, int cut, int last)
{
	char what[64];
	snprintf(what, sizeof(what), "rounds 1-%d", last);
	print(err, what, &w->all);
	if (w->window.rounds) {
		snprintf(what, sizeof(what), "rounds %d-%d", measure_from, last);
		print(err, what, &w->window);
	}
	if (w->cut.rounds) {
		snprintf(what, sizeof(what), "after the cut, rounds %d-%d", cut, last);
		print(err, what, &w->cut);
	}
}

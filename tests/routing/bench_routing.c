/*
 * bench-routing — figures for docs/bench.md (run scripts/bench-routing).
 *
 *  1. recompute: one engine with N-1 neighbours (full mesh, the worst case:
 *     every neighbour advertises N routes, ~N^2 candidates) and a sparse
 *     variant (6 neighbours), N = 100, 500, 1000; median and max over runs.
 *  2. rounds: synchronous simulation of random connected graphs (a random
 *     tree plus N extra links), rounds until no table changes, from cold
 *     start, after a link failure and after a DC dies, and until a cut-off
 *     part is withdrawn; every next-hop walk classified meanwhile (loops,
 *     black holes, paths still moving: sim_walk_census), beside a twin of
 *     each graph without freshness.
 *  3. advertisement bytes: encoded full state and fragments at N DCs, and
 *     how often coordinate noise makes a DC re-advertise with and without
 *     the re-advertise threshold.
 * This is a bench, not a test: it reads the clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/err.h"
#include "routing/engine.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"

static uint64_t rng = 0x62656e6368ull;

static uint64_t rnd(void)
{
	return h_splitmix(&rng);
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* DCs on a 2-D map (ms): metric distances, like coordinates would give. */
static double *place(size_t n)
{
	double *xy = malloc(2 * n * sizeof *xy);
	for (size_t i = 0; i < 2 * n; i++)
		xy[i] = unif() * 150;
	return xy;
}

static double dist(const double *xy, size_t a, size_t b)
{
	return 1 + hypot(xy[2 * a] - xy[2 * b], xy[2 * a + 1] - xy[2 * b + 1]);
}

/* Neighbour `nb`'s advertisement in a federation where it reaches every DC
 * directly (full mesh) or through one relay (sparse). */
static void neighbour_advert(struct mf_advert *a, size_t n, size_t nb, const double *xy, char (*names)[24])
{
	memset(a, 0, sizeof *a);
	a->origin = strdup(names[nb]);
	a->node = strdup("s1");
	a->seq = 1;
	a->transit = true;
	a->frag_count = 1;
	a->names = calloc(n, sizeof *a->names);
	a->routes = calloc(n, sizeof *a->routes);
	a->hops = calloc(n, sizeof *a->hops);
	for (size_t i = 0; i < n; i++)
		a->names[i] = strdup(names[i]);
	a->n_names = n;
	for (size_t t = 0; t < n; t++) {
		struct mf_advert_route *r = &a->routes[a->n_routes++];
		r->target = (uint32_t)t;
		r->epoch = 1764000000u + (uint32_t)t; /* start times in seconds */
		r->distance_ms = t == nb ? 0 : dist(xy, nb, t);
		r->hops_off = (uint32_t)a->n_hops;
		/* a third of the routes go through a relay, as after failures */
		if (t != nb && t % 3 == 0) {
			size_t relay = (t + 1) % n;
			if (relay != nb && relay != t) {
				a->hops[a->n_hops++] = (uint32_t)relay;
				r->n_hops = 1;
				r->distance_ms = dist(xy, nb, relay) + dist(xy, relay, t);
			}
		}
	}
}

static void bench_recompute(size_t n, size_t degree, int runs)
{
	char (*names)[24] = calloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], sizeof names[i], "dc%04u", (unsigned)(i % 10000));
	double *xy = place(n);
	struct mf_routing_config c;
	struct mf_routing *r;
	mf_routing_config_default(&c);
	c.datacenter = names[0];
	c.node = "dc0000-s1";
	if (mf_routing_new(&c, &r) < 0)
		exit(1);
	size_t nbs = degree ? degree : n - 1;
	size_t entries = 0;
	for (size_t k = 1; k <= nbs; k++) {
		size_t nb = degree ? 1 + (size_t)(rnd() % (n - 1)) : k;
		struct mf_advert a;
		mf_routing_set_link(r, names[nb], true, true, dist(xy, 0, nb));
		neighbour_advert(&a, n, nb, xy, names);
		if (mf_routing_set_advert(r, &a) == 1)
			entries += a.n_routes;
		mf_advert_free(&a);
	}
	double *t = malloc(runs * sizeof *t);
	for (int i = 0; i < runs; i++) {
		/* A link estimate moves, as every coordinate update does. */
		mf_routing_set_link(r, names[1], true, true, dist(xy, 0, 1) * (1 + 0.01 * (i % 7)));
		double t0 = now_ms();
		mf_routing_recompute(r, NULL);
		t[i] = now_ms() - t0;
	}
	qsort(t, runs, sizeof *t, cmp_double);
	printf("| %zu | %s | %zu | %.3f | %.3f |\n", n, degree ? "sparse (6 neighbours)" : "full mesh", entries,
	       t[runs / 2], t[runs - 1]);
	free(t);
	mf_routing_free(r);
	free(xy);
	free(names);
}

/* Random connected graph on a map: a random tree plus n extra links. */
static void random_graph(struct sim *s, size_t n, const struct mf_routing_config *c)
{
	double *xy = place(n);
	sim_init(s, n, NULL, c, NULL);
	for (size_t i = 1; i < n; i++) {
		size_t j = (size_t)(rnd() % i);
		sim_link2(s, i, j, true, true, dist(xy, i, j));
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = (size_t)(rnd() % n), j = (size_t)(rnd() % n);
		if (i != j)
			sim_link2(s, i, j, true, true, dist(xy, i, j));
	}
	free(xy);
}

/* Freshness in rounds: a beat every BEAT_ROUNDS (the refresh period),
 * routes withdrawn after 3 of them without a beat. */
#define BEAT_ROUNDS 5

/* The walk census of each size's partition runs (printed after the
 * rounds table): summed over every instant, and at the instant each
 * withdrawal completed. */
static struct sim_walk_counts walks[8], at_end[8];
static size_t walks_n[8], instants[8], loop_instants[8], end_loops[8], ref_loops[8], ref_cycles[8], nw;

static void counts_add(struct sim_walk_counts *to, const struct sim_walk_counts *k)
{
	size_t *d = (size_t *)to;
	const size_t *f = (const size_t *)k;
	for (size_t i = 0; i < sizeof *k / sizeof(size_t); i++)
		d[i] += f[i];
}

static void print_census(void)
{
	printf("\n## Next-hop walks while a partition is withdrawn (every walk, at the cut and after every round "
	       "until withdrawn)\n\n"
	       "| DCs | instants | walks | along the table's path | another path (longer than the table's distance) | "
	       "black hole: no route (towards a cut-off DC) | dead link (at the cut) | loops: walks (towards a "
	       "cut-off DC) | cycles (towards a cut-off DC; instants with one) | without freshness, same instants: "
	       "loops, cycles | cycles the engine without freshness lacks (walks into them) | cycles older than "
	       "one exchange |\n"
	       "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nw; i++) {
		const struct sim_walk_counts *c = &walks[i];
		printf("| %zu | %zu | %zu | %zu | %zu (%zu) | %zu (%zu) | %zu | %zu (%zu) | %zu (%zu; %zu) | %zu, %zu | "
		       "%zu (%zu) | %zu |\n",
		       walks_n[i], instants[i], c->walks, c->matching, c->moved, c->longer, c->black_holes,
		       c->black_holes_cut, c->dead_links, c->loops, c->loops_cut, c->cycles, c->cycles_cut,
		       loop_instants[i], ref_loops[i], ref_cycles[i], c->cycles_new, c->loops_new, c->cycles_stale);
	}
	printf("\nAt the instant the withdrawal completes (the last census of every graph):\n\n"
	       "| DCs | walks | along the table's path | another path (longer) | black hole | loops (graphs with one) "
	       "|\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < nw; i++) {
		const struct sim_walk_counts *f = &at_end[i];
		printf("| %zu | %zu | %zu | %zu (%zu) | %zu | %zu (%zu) |\n", walks_n[i], f->walks, f->matching, f->moved,
		       f->longer, f->black_holes, f->loops, end_loops[i]);
	}
}

static void link2_both(struct sim *s, struct sim *ref, size_t i, size_t j, bool usable, double d)
{
	sim_link2(s, i, j, true, usable, d);
	sim_link2(ref, i, j, true, usable, d);
}

static void bench_rounds(size_t n, int graphs)
{
	if (nw == 8)
		exit(1);
	walks_n[nw] = n;
	/* Each size's graphs, links and DCs drawn from a seed of its own, so a
	 * row is the same whatever ran before it (the full run, --rounds,
	 * MF_BENCH_ONLY): one shared stream made the 200- and 500-DC rows of
	 * two modes two different samples of 3 graphs (docs/bench.md). */
	rng = 0x62656e6368ull ^ ((uint64_t)n << 32);
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.beat_interval = BEAT_ROUNDS;
	c.max_age = 3 * BEAT_ROUNDS;
	/* As the node runs (docs/routing.md, "Origin ages", "Hurried beats"):
	 * epochs in beat messages with ages, not in full state; earlier
	 * datings hurried and answered. Ages in rounds. The phases before
	 * the clock starts send no beats, as before. */
	c.beats_apart = true;
	c.beat_age_unit = 1;
	c.hurry_min = 1;
	/* Rises relayed as heard (the node's relay_rises): with feasibility
	 * a state carries each route's epoch as it was when the state was
	 * made, no longer the newest heard, so beats alone carry rises on. */
	c.relay_rises = true;
	/* Feasibility (docs/routing.md, "Transient loops"), with a hold of
	 * one round: a state reaches every neighbour in the round it is sent.
	 * It applies only while the clock runs (the partition column);
	 * MF_BENCH_NO_FEASIBILITY leaves it out. */
	c.feasibility_hold = getenv("MF_BENCH_NO_FEASIBILITY") ? 0 : 1;
	if (getenv("MF_BENCH_NO_FRESHNESS")) { /* the engine before origin beats: path hunting */
		c.beat_interval = 0;
		c.max_age = 0;
		c.feasibility_hold = 0;
	}
	/* The twin of each graph: the same engines without freshness (the
	 * engine before origin beats, which hunts paths), run in lockstep, so
	 * the census tells the cycles the withdrawal brings from those path
	 * hunting has anyway. */
	struct mf_routing_config cn = c;
	cn.beat_interval = 0;
	cn.max_age = 0;
	cn.feasibility_hold = 0;
	double cold = 0, link = 0, death = 0;
	int cold_max = 0, link_max = 0, death_max = 0, part_max = 0;
	double part = 0;
	for (int g = 0; g < graphs; g++) {
		struct sim s, ref;
		int r1 = 0, r2 = 0, r3 = 0, r4 = 0, ignored;
		uint64_t at = rng;
		random_graph(&ref, n, &cn);
		rng = at;
		random_graph(&s, n, &c);
		s.beat_every = ref.beat_every = BEAT_ROUNDS;
		sim_run(&s, 10 * (int)n + 50, &r1);
		sim_run(&ref, 10 * (int)n + 50, &ignored);
		/* fail one random link that leaves the graph connected */
		for (int tries = 0; tries < 1000; tries++) {
			size_t i = (size_t)(rnd() % n), j = (size_t)(rnd() % n);
			if (i != j && s.usable[i * n + j]) {
				double d = s.dist[i * n + j];
				link2_both(&s, &ref, i, j, false, 0);
				if (sim_connected(&s))
					break;
				link2_both(&s, &ref, i, j, true, d); /* a cut: try another */
			}
		}
		sim_run(&s, 10 * (int)n + 50, &r2);
		sim_run(&ref, 10 * (int)n + 50, &ignored);
		/* A DC whose death leaves the others connected; a death that
		 * cuts off live DCs is a partition (docs/routing.md). */
		long dead = sim_kill_sparing(&s, &rng, 100);
		if (dead >= 0)
			sim_kill(&ref, (size_t)dead);
		sim_run(&s, 10 * (int)n + 50, &r3);
		sim_run(&ref, 10 * (int)n + 50, &ignored);
		/* The clock starts (the earlier phases never age a route, as
		 * before freshness); two refresh periods of beats, then cut. */
		s.clocked = ref.clocked = true;
		sim_run_for(&s, 2 * BEAT_ROUNDS);
		sim_run_for(&ref, 2 * BEAT_ROUNDS);
		/* Then cut the graph: fail links until some DCs are cut off. */
		for (int tries = 0; tries < 100000 && sim_connected(&s); tries++) {
			size_t i = (size_t)(rnd() % n), j = (size_t)(rnd() % n);
			if (i != j && s.usable[i * n + j])
				link2_both(&s, &ref, i, j, false, 0);
		}
		/* Every walk classified at the cut and after every round until
		 * the withdrawal is complete (sim_walk_census): loops apart
		 * from paths still moving, and cycles the twin has not. */
		struct sim_walks rw, gw;
		memset(&rw, 0, sizeof rw);
		memset(&gw, 0, sizeof gw);
		gw.trace = getenv("MF_BENCH_TRACE") ? atoi(getenv("MF_BENCH_TRACE")) : 0;
		gw.each = getenv("MF_BENCH_EACH") != NULL;
		gw.ref = &ref;
		gw.ref_walks = &rw;
		s.census = &gw;
		sim_run_withdrawn(&s, 10 * (int)n + 50, &r4);
		s.census = NULL;
		counts_add(&walks[nw], &gw.all);
		counts_add(&at_end[nw], &gw.last);
		instants[nw] += gw.instants;
		loop_instants[nw] += gw.loop_instants;
		end_loops[nw] += gw.last.loops > 0;
		ref_loops[nw] += rw.all.loops;
		ref_cycles[nw] += rw.all.cycles;
		sim_walks_free(&gw);
		sim_walks_free(&rw);
		sim_free(&ref);
		/* The cut (links failed until the graph splits) also moves
		 * routes inside each part, which settle beside the withdrawal:
		 * the walks are checked once the part is quiet. */
		int settle = 0;
		(void)sim_run(&s, 10 * (int)n + 50, &settle);
		if (sim_check_walks(&s) != 0)
			printf("loops after the partition at %zu DCs\n", n);
		size_t miss = sim_missing_routes(&s);
		if (miss != 0)
			printf("%zu routes within a part missing after the partition at %zu DCs\n", miss, n);
		if (getenv("MF_BENCH_ONLY"))
			printf("graph %d: withdrawn %d, settled %d rounds later; walks %zu: matching %zu, moved %zu "
			       "(longer %zu), black holes %zu (cut off %zu), dead links %zu, loops %zu (cut off %zu, "
			       "not in the twin %zu; cycles %zu, cut off %zu, not in the twin %zu, older than one "
			       "exchange %zu, in %zu of %zu instants)\n",
			       g, r4, settle, gw.all.walks, gw.all.matching, gw.all.moved, gw.all.longer,
			       gw.all.black_holes, gw.all.black_holes_cut, gw.all.dead_links, gw.all.loops,
			       gw.all.loops_cut, gw.all.loops_new, gw.all.cycles, gw.all.cycles_cut, gw.all.cycles_new,
			       gw.all.cycles_stale, gw.loop_instants, gw.instants);
		part += r4;
		part_max = r4 > part_max ? r4 : part_max;
		if (getenv("MF_BENCH_ONLY"))
			printf("graph %d: cold %d link %d death %d\n", g, r1, r2, r3);
		cold += r1;
		link += r2;
		death += r3;
		cold_max = r1 > cold_max ? r1 : cold_max;
		link_max = r2 > link_max ? r2 : link_max;
		death_max = r3 > death_max ? r3 : death_max;
		sim_free(&s);
	}
	if (getenv("MF_BENCH_ONLY"))
		printf("# graph totals\n");
	printf("| %zu | %d | %.1f (max %d) | %.1f (max %d) | %.1f (max %d) | %.1f (max %d) |\n", n, graphs,
	       cold / graphs, cold_max, link / graphs, link_max, death / graphs, death_max, part / graphs, part_max);
	nw++;
}

static size_t frag_bytes[3];

static void bench_bytes(size_t n, size_t slot)
{
	char (*names)[24] = calloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], sizeof names[i], "dc%04u", (unsigned)(i % 10000));
	double *xy = place(n);
	struct mf_advert a;
	struct mf_advert_frags f;
	msgpack_sbuffer sb;
	neighbour_advert(&a, n, 0, xy, names);
	struct mf_gateway_tag tag = {"dc:dc0001", "192.0.2.1:8443"};
	struct mf_gateway g[2] = {{.name = "dc0000-g1", .lan = "10.0.0.1:8443", .wan = "203.0.113.1:8443",
				   .n_tags = 1, .tags = &tag},
				  {.name = "dc0000-g2", .lan = "10.0.0.2:8443", .wan = "203.0.113.2:8443"}};
	mf_gateways_copy(g, 2, &a.gateways);
	a.n_gateways = 2;
	msgpack_sbuffer_init(&sb);
	mf_advert_encode_full(&sb, &a);
	mf_advert_encode_frags(&a, MF_ADVERT_MTU, &f);
	size_t total = 0, max = 0;
	for (size_t i = 0; i < f.n; i++) {
		total += f.bufs[i].size;
		max = f.bufs[i].size > max ? f.bufs[i].size : max;
	}
	printf("| %zu | %zu | %zu | %zu | %zu |\n", n, sb.size, f.n, total, max);
	frag_bytes[slot] = total;
	msgpack_sbuffer_destroy(&sb);
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
	free(xy);
	free(names);
}

/* Re-advertisements per DC per coordinate update under +-noise, after
 * convergence, with the default thresholds and with none. */
static double bench_noise(size_t n, double noise, double pct, double ms, int steps)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.readvertise_pct = pct;
	c.readvertise_ms = ms;
	struct sim s;
	random_graph(&s, n, &c);
	int rounds;
	sim_run(&s, 10 * (int)n + 50, &rounds);
	double *base = malloc(n * n * sizeof *base);
	memcpy(base, s.dist, n * n * sizeof *base);
	uint64_t before = s.adverts_sent, changes = 0;
	uint64_t *seq0 = malloc(n * sizeof *seq0);
	for (size_t i = 0; i < n; i++)
		seq0[i] = mf_routing_advert_seq(s.eng[i]);
	for (int st = 0; st < steps; st++) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if (s.usable[i * n + j])
					sim_link(&s, i, j, true, true, base[i * n + j] * (1 + noise * (2 * unif() - 1)));
		sim_run(&s, 10 * (int)n + 50, &rounds);
	}
	for (size_t i = 0; i < n; i++)
		changes += mf_routing_advert_seq(s.eng[i]) - seq0[i];
	char th[48];
	if (pct == 0 && ms == 0)
		snprintf(th, sizeof th, "none");
	else
		snprintf(th, sizeof th, "%g%% and %g ms", pct, ms);
	double rate = (double)changes / (double)n / steps;
	printf("| %zu | +-%.0f%% | %s | %.3f |\n", n, noise * 100, th, rate);
	(void)before;
	free(seq0);
	free(base);
	sim_free(&s);
	return rate;
}

int main(int argc, char **argv)
{
	if (getenv("MF_BENCH_ONLY")) { /* one size of the rounds table, per graph */
		size_t n = (size_t)atoi(getenv("MF_BENCH_ONLY"));
		bench_rounds(n, n >= 200 ? 3 : 10);
		print_census();
		return 0;
	}
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int runs = quick ? 5 : 30;
	bool rounds_only = argc > 1 && strcmp(argv[1], "--rounds") == 0;
	size_t sizes[] = {100, 500, 1000};
	for (size_t i = 0; i < 3 && !rounds_only; i++) {
		if (i == 0)
			printf("## Recompute time (one engine, milliseconds)\n\n"
			       "| DCs | neighbours | advertised routes held | median ms | max ms |\n|---|---|---|---|---|\n");
		bench_recompute(sizes[i], 0, runs);
		bench_recompute(sizes[i], 6, runs);
	}
	printf("%s## Rounds to converge (synchronous rounds of advertisement exchange, default hysteresis)\n\n", rounds_only ? "" : "\n");
	printf("| DCs | graphs | cold start | after one link failure | after one DC dies | after a partition (withdrawn) |\n"
	       "|---|---|---|---|---|---|\n");
	size_t rs[] = {10, 20, 50, 100, 200, 500};
	for (size_t i = 0; i < (quick ? 4u : 6u); i++)
		bench_rounds(rs[i], rs[i] >= 200 ? 3 : 10);
	print_census();
	if (argc > 1 && strcmp(argv[1], "--rounds") == 0)
		return 0;
	printf("\n## Advertisement size (one DC's full state; fragments of at most %d bytes)\n\n", MF_ADVERT_MTU);
	printf("| DCs | full state bytes | fragments | fragment bytes total | largest fragment |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < 3; i++)
		bench_bytes(sizes[i], i);
	printf("\n## Re-advertisements per DC per coordinate update (converged, random noise on every link)\n\n");
	printf("| DCs | noise | re-advertise threshold | new states per DC per update |\n|---|---|---|---|\n");
	double noises[] = {0.02, 0.10}, th[][2] = {{0, 0}, {2, 1}, {5, 2}, {10, 5}}, rate[2] = {0, 0};
	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < 4; k++) {
			double r = bench_noise(100, noises[i], th[k][0], th[k][1], quick ? 5 : 20);
			if (k == 2)
				rate[i] = r; /* the defaults */
		}
	/* The model: one coordinate update per WAN probe interval (5 s); each
	 * new state goes out as fragments queued as memberlist broadcasts,
	 * each sent RetransmitMult (4) * ceil(log10(members + 1)) times, by
	 * each of 3 servers per DC; push-pull every 60 s sends our own full
	 * state once. Per agent, sent bytes. */
	printf("\n## Advertisement bytes per agent per second (model from the figures above)\n\n");
	printf("One coordinate update per 5 s (WAN probe interval), default thresholds, 3 servers per DC, "
	       "memberlist retransmit limit 4 x ceil(log10(members + 1)), push-pull every 60 s with the own "
	       "DC's full state. New-state rates measured at 100 DCs.\n\n");
	printf("| DCs | members | state bytes | transmits per fragment | +-2%% noise B/s | +-10%% noise B/s |\n"
	       "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < 3; i++) {
		double members = 3.0 * (double)sizes[i];
		double tx = 4 * ceil(log10(members + 1));
		double pp = (double)frag_bytes[i] / 60.0;
		printf("| %zu | %.0f | %zu | %.0f | %.0f | %.0f |\n", sizes[i], members, frag_bytes[i], tx,
		       rate[0] / 5.0 * (double)frag_bytes[i] * tx + pp, rate[1] / 5.0 * (double)frag_bytes[i] * tx + pp);
	}
	return 0;
}

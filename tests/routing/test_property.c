/* Property tests of the routing engine on random graphs, through the
 * synchronous simulation of tests/routing/sim.c:
 *  - with hysteresis off, converged tables equal Dijkstra's distances and
 *    next hops (ties to the first name), on 1,000 random graphs of 2..200
 *    DCs with integer distances (exact sums, many ties);
 *  - following next hops from any DC reaches the target with no loop, along
 *    the path the source's table shows;
 *  - after random link failures (and sometimes a dead DC) the tables
 *    reconverge to the new Dijkstra answer;
 *  - with the default hysteresis, tables still converge loop-free, and
 *    so do walks that start at an alternate;
 *  - the same holds when advertisements go through the codec (fragments,
 *    decode, reassembly);
 *  - on 1,000 more random graphs, following any loop-free alternate of any
 *    route, then the next hops, reaches the target and never comes back
 *    to the source.
 * The PRNG is a fixed-seed splitmix64 so every run sees the same graphs
 * (set MF_ROUTING_SEED to explore others). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"
#include "tests/cunit_main.h"

static uint64_t seed0 = 0x6d65736866656421ull;

static size_t below(uint64_t *s, size_t n)
{
	return (size_t)(h_splitmix(s) % n);
}

struct gen {
	bool integer;    /* integer distances 1..100: exact sums, many ties */
	bool asymmetric; /* i->j and j->i measured differently */
};

static double draw(uint64_t *s, const struct gen *g)
{
	if (g->integer)
		return (double)(1 + below(s, 100));
	return 1.0 + (double)(h_splitmix(s) >> 11) * (199.0 / 9007199254740992.0);
}

/* A connected random graph: a random tree plus up to n extra links
 * (average degree 2 to 4, like areas joining a few DCs each). */
static int random_graph(struct sim *s, uint64_t *rng, size_t n, const struct gen *g,
			const struct mf_routing_config *cfg)
{
	int rc = sim_init(s, n, NULL, cfg, NULL);
	for (size_t i = 1; rc == 0 && i < n; i++) {
		size_t j = below(rng, i);
		double d = draw(rng, g);
		rc = sim_link(s, i, j, true, true, d);
		if (rc == 0)
			rc = sim_link(s, j, i, true, true, g->asymmetric ? draw(rng, g) : d);
	}
	size_t extra = below(rng, n + 1);
	for (size_t k = 0; rc == 0 && k < extra; k++) {
		size_t i = below(rng, n), j = below(rng, n);
		if (i == j)
			continue;
		double d = draw(rng, g);
		rc = sim_link(s, i, j, true, true, d);
		if (rc == 0)
			rc = sim_link(s, j, i, true, true, g->asymmetric ? draw(rng, g) : d);
	}
	return rc;
}

/* Fails `k` random usable links (both directions; they stay configured).
 * With keep_connected, a failure that would cut the graph is undone. */
static int fail_links(struct sim *s, uint64_t *rng, size_t k, bool keep_connected)
{
	size_t n = s->n;
	for (size_t tries = 0; k > 0 && tries < 100 * k; tries++) {
		size_t i = below(rng, n), j = below(rng, n);
		if (i == j || !s->usable[i * n + j])
			continue;
		double dij = s->dist[i * n + j], dji = s->dist[j * n + i];
		int rc = sim_link(s, i, j, true, false, 0);
		if (rc == 0)
			rc = sim_link(s, j, i, true, false, 0);
		if (rc < 0)
			return rc;
		if (keep_connected && !sim_connected(s)) {
			sim_link(s, i, j, true, true, dij);
			sim_link(s, j, i, true, true, dji);
			continue;
		}
		k--;
	}
	return 0;
}

static int max_rounds(size_t n)
{
	return (int)(4 * n + 20);
}

/* Runs to convergence and checks Dijkstra (when exact) and the walks. */
static bool settle_and_check(struct sim *s, bool exact, int *rounds)
{
	int rc = sim_run(s, max_rounds(s->n), rounds);
	if (rc != 0) {
		printf("\n  %zu DCs: no convergence (%d)", s->n, rc);
		return false;
	}
	size_t bad = 0;
	if (exact) {
		double *ref = malloc(s->n * s->n * sizeof *ref);
		if (!ref || sim_dijkstra(s, ref) < 0)
			bad++;
		else
			bad += sim_check_dijkstra(s, ref);
		free(ref);
	}
	bad += sim_check_walks(s);
	return bad == 0;
}

static struct mf_routing_config cfg_exact(void)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.hysteresis_pct = c.hysteresis_ms = 0;
	c.readvertise_pct = c.readvertise_ms = 0;
	return c;
}

static void test_random_graphs_match_dijkstra_and_reconverge_after_failures(void)
{
	uint64_t rng = seed0;
	struct mf_routing_config c = cfg_exact();
	size_t graphs = getenv("MF_ROUTING_GRAPHS") ? strtoul(getenv("MF_ROUTING_GRAPHS"), NULL, 0) : 1000;
	size_t failed = 0, max_n = 200;
#if defined(__SANITIZE_ADDRESS__)
	/* Under AddressSanitizer (5-10x slower here) the run checks memory
	 * safety on the same 1,000 graphs capped at 64 DCs, to stay within
	 * the unit-test budget; the plain build covers sizes up to 200. */
	max_n = 64;
#endif
	int worst_rounds = 0, worst_re = 0;
	uint64_t names_total = 0;
	size_t big = 0;
	clock_t t0 = clock();
	for (size_t g = 0; g < graphs; g++) {
		struct gen gen = {.integer = true, .asymmetric = g % 3 == 0};
		/* Sizes 2 * (max/2)^(u^1.5): every scale from 2 to 200 DCs is
		 * covered (about 100 graphs of more than 100 DCs, 1/3 of 20 or
		 * less), and the run stays within the unit-test budget. */
		double u = (double)(h_splitmix(&rng) >> 11) / 9007199254740992.0;
		size_t n = (size_t)floor(2.0 * pow((double)max_n / 2.0, pow(u, 1.5)) + 0.5);
		big += n > 100;
		if (g == 0)
			n = max_n; /* the largest size at least once */
		struct sim s;
		int rounds = 0;
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0 && settle_and_check(&s, true, &rounds);
		if (rounds > worst_rounds)
			worst_rounds = rounds;
		if (ok) {
			fail_links(&s, &rng, 1 + below(&rng, n / 10 + 1), true);
			ok = settle_and_check(&s, true, &rounds);
			if (rounds > worst_re)
				worst_re = rounds;
		}
		if (!ok && failed++ < 3)
			printf("\n  graph %zu (%zu DCs) failed", g, n);
		names_total += s.adverts_sent * n;
		if (getenv("MF_ROUTING_VERBOSE"))
			printf("\n  graph %zu: %zu DCs, rounds %d/%d, %.3f s", g, n, worst_rounds, rounds,
			       (double)(clock() - t0) / CLOCKS_PER_SEC);
		sim_free(&s);
	}
	if (getenv("MF_ROUTING_VERBOSE"))
		printf("\n  advert names delivered: %llu", (unsigned long long)names_total);
	printf("\n  %zu graphs of 2..%zu DCs (%zu over 100), %zu failed, worst rounds %d (after failures %d), %.1f s ",
	       graphs, max_n, big, failed, worst_rounds, worst_re, (double)(clock() - t0) / CLOCKS_PER_SEC);
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_real_distances_match_dijkstra(void)
{
	uint64_t rng = seed0 ^ 0x1234;
	struct mf_routing_config c = cfg_exact();
	size_t failed = 0;
	for (size_t g = 0; g < 50; g++) {
		struct gen gen = {.integer = false, .asymmetric = g % 2 == 0};
		size_t n = 2 + below(&rng, 60);
		struct sim s;
		int rounds;
		/* Float sums may differ in the last bit between the DV order
		 * and Dijkstra's; real-valued random distances make exact ties
		 * improbable, and an inexact sum would only show as a mismatch
		 * we want to see. */
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0 && settle_and_check(&s, false, &rounds);
		double *ref = ok ? malloc(n * n * sizeof *ref) : NULL;
		if (ref && sim_dijkstra(&s, ref) == 0) {
			for (size_t a = 0; a < n; a++)
				for (size_t t = 0; t < n; t++) {
					size_t i;
					struct mf_route_view v;
					if (a == t)
						continue;
					if (mf_routing_find(s.eng[a], s.names[t], &i) < 0 ||
					    mf_routing_route_at(s.eng[a], i, &v) < 0 ||
					    fabs(v.distance_ms - ref[a * n + t]) > 1e-9 * ref[a * n + t]) {
						if (ok)
							printf("\n  graph %zu: %zu->%zu got %.17g want %.17g", g, a, t,
							       v.distance_ms, ref[a * n + t]);
						ok = false;
					}
				}
		}
		free(ref);
		if (!ok)
			failed++;
		sim_free(&s);
	}
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_default_hysteresis_converges_loop_free(void)
{
	uint64_t rng = seed0 ^ 0xabcd;
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	size_t failed = 0;
	for (size_t g = 0; g < 50; g++) {
		struct gen gen = {.integer = false, .asymmetric = g % 2 == 1};
		size_t n = 2 + below(&rng, 60);
		struct sim s;
		int rounds;
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0 && settle_and_check(&s, false, &rounds);
		if (ok) {
			/* Coordinate drift: every link moves by up to +-20%. */
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; j < n; j++)
					if (s.usable[i * n + j])
						sim_link(&s, i, j, true, true,
							 s.dist[i * n + j] * (0.8 + 0.4 * (double)below(&rng, 1000) / 1000));
			fail_links(&s, &rng, 1 + below(&rng, n / 10 + 1), false);
			ok = settle_and_check(&s, false, &rounds);
		}
		/* Alternates stay loop-free when hysteresis holds a route
		 * above the best one (the condition uses the chosen distance). */
		size_t na;
		if (ok && sim_check_alternate_walks(&s, &na) != 0)
			ok = false;
		if (!ok)
			failed++;
		sim_free(&s);
	}
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_dead_dc_is_withdrawn_within_a_few_rounds(void)
{
	uint64_t rng = seed0 ^ 0xdead;
	struct mf_routing_config c = cfg_exact();
	size_t failed = 0;
	int worst = 0, worst_cold = 0;
	for (size_t g = 0; g < 50; g++) {
		struct gen gen = {.integer = true, .asymmetric = false};
		size_t n = 3 + below(&rng, 78);
		struct sim s;
		int cold = 0, rounds = 0;
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0 && settle_and_check(&s, true, &cold);
		/* Kill a DC whose loss leaves the others connected (an
		 * unreachable but live part is a partition, not a death). */
		if (ok)
			(void)sim_kill_sparing(&s, &rng, 50);
		ok = ok && settle_and_check(&s, true, &rounds);
		/* Tombstones travel one hop a round: about the diameter, not
		 * the path hunting of plain path vectors (~0.6 n rounds). */
		if (ok && rounds > cold + 4)
			ok = false;
		worst = rounds > worst ? rounds : worst;
		worst_cold = cold > worst_cold ? cold : worst_cold;
		if (!ok)
			failed++;
		sim_free(&s);
	}
	printf("\n  worst rounds: cold start %d, after a death %d ", worst_cold, worst);
	CU_ASSERT_EQUAL(failed, 0);
}

static void test_through_the_codec_matches_dijkstra(void)
{
	uint64_t rng = seed0 ^ 0x77;
	struct mf_routing_config c = cfg_exact();
	size_t failed = 0;
	for (size_t g = 0; g < 10; g++) {
		struct gen gen = {.integer = true, .asymmetric = false};
		size_t n = 2 + below(&rng, 100);
		struct sim s;
		int rounds;
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0;
		s.via_codec = true;
		ok = ok && settle_and_check(&s, true, &rounds);
		if (ok) {
			fail_links(&s, &rng, 1 + below(&rng, n / 10 + 1), false);
			ok = settle_and_check(&s, true, &rounds);
		}
		if (!ok)
			failed++;
		sim_free(&s);
	}
	CU_ASSERT_EQUAL(failed, 0);
}

/* Against Dijkstra's distances D (exact with integer distances and no
 * hysteresis): every alternate n of a's route to t is a usable neighbour
 * other than the next hop with D(n,t) < D(n,a) + D(a,t), or t itself, at
 * distance link(a,n) + D(n,t); and there are as many as qualify, up to the
 * engine's limit. So no shortest path from n, whichever a DC picks among
 * equal ones, passes a. Returns the number of routes that differ. */
static size_t check_lfa_against_dijkstra(const struct sim *s, const double *D, size_t max_alt)
{
	size_t n = s->n, bad = 0;
	for (size_t a = 0; a < n; a++)
		for (size_t t = 0; t < n; t++) {
			size_t i;
			struct mf_route_view v;
			if (a == t || mf_routing_find(s->eng[a], s->names[t], &i) < 0 ||
			    mf_routing_route_at(s->eng[a], i, &v) < 0 || !v.next_hop)
				continue;
			size_t qualify = 0;
			for (size_t m = 0; m < n; m++)
				if (m != a && s->usable[a * n + m] && strcmp(s->names[m], v.next_hop) != 0 &&
				    (m == t || D[m * n + t] < D[m * n + a] + D[a * n + t]))
					qualify++;
			bool ok = v.n_alternates == (qualify < max_alt ? qualify : max_alt);
			const char *alt;
			double d;
			for (size_t k = 0; ok && mf_routing_alternate_at(s->eng[a], i, k, &alt, &d) == 0; k++) {
				int m = sim_index(s, alt);
				ok = m >= 0 && s->usable[a * n + (size_t)m] &&
				     ((size_t)m == t || D[(size_t)m * n + t] < D[(size_t)m * n + a] + D[a * n + t]) &&
				     d == s->dist[a * n + (size_t)m] + ((size_t)m == t ? 0 : D[(size_t)m * n + t]);
			}
			if (!ok && bad++ < 3)
				printf("\n  %s -> %s: %zu alternates, %zu qualify", s->names[a], s->names[t],
				       v.n_alternates, qualify);
		}
	return bad;
}

static void test_alternates_are_loop_free_on_random_graphs(void)
{
	uint64_t rng = seed0 ^ 0xa17e;
	struct mf_routing_config c = cfg_exact();
	size_t graphs = getenv("MF_ROUTING_GRAPHS") ? strtoul(getenv("MF_ROUTING_GRAPHS"), NULL, 0) : 1000;
	size_t failed = 0, max_n = 100, alternates = 0, with_alt = 0;
	/* a low limit on every third graph, so the cut-off is checked too */
#if defined(__SANITIZE_ADDRESS__)
	max_n = 40; /* as above: the same count of graphs, smaller */
#endif
	clock_t t0 = clock();
	for (size_t g = 0; g < graphs; g++) {
		struct gen gen = {.integer = g % 2 == 0, .asymmetric = g % 3 == 0};
		c.max_alternates = g % 3 == 1 ? 2 : MF_ROUTING_ALTERNATES_MAX;
		double u = (double)(h_splitmix(&rng) >> 11) / 9007199254740992.0;
		size_t n = (size_t)floor(2.0 * pow((double)max_n / 2.0, pow(u, 1.5)) + 0.5);
		struct sim s;
		int rounds = 0;
		size_t na = 0;
		bool ok = random_graph(&s, &rng, n, &gen, &c) == 0 && settle_and_check(&s, gen.integer, &rounds);
		if (ok && sim_check_alternate_walks(&s, &na) != 0)
			ok = false;
		if (ok && gen.integer) {
			double *ref = malloc(n * n * sizeof *ref);
			ok = ref && sim_dijkstra(&s, ref) == 0 &&
			     check_lfa_against_dijkstra(&s, ref, c.max_alternates) == 0;
			free(ref);
		}
		alternates += na;
		with_alt += na > 0;
		if (!ok && failed++ < 3)
			printf("\n  graph %zu (%zu DCs) failed", g, n);
		sim_free(&s);
	}
	printf("\n  %zu graphs of 2..%zu DCs, %zu with alternates, %zu alternates walked, %zu failed, %.1f s ",
	       graphs, max_n, with_alt, alternates, failed, (double)(clock() - t0) / CLOCKS_PER_SEC);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT(with_alt > graphs / 2); /* the property is not vacuous */
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "random_graphs_match_dijkstra_and_reconverge_after_failures",
		  test_random_graphs_match_dijkstra_and_reconverge_after_failures },
		{ "real_distances_match_dijkstra", test_real_distances_match_dijkstra },
		{ "default_hysteresis_converges_loop_free", test_default_hysteresis_converges_loop_free },
		{ "dead_dc_is_withdrawn_within_a_few_rounds", test_dead_dc_is_withdrawn_within_a_few_rounds },
		{ "through_the_codec_matches_dijkstra", test_through_the_codec_matches_dijkstra },
		{ "alternates_are_loop_free_on_random_graphs", test_alternates_are_loop_free_on_random_graphs },
	};
	const char *seed = getenv("MF_ROUTING_SEED");
	if (seed)
		seed0 = strtoull(seed, NULL, 0);
	/* MF_ROUTING_ONLY_RANDOM: the random graphs alone (the first case). */
	return run_suite_with("routing_property", NULL, NULL, tests,
			      getenv("MF_ROUTING_ONLY_RANDOM") ? 1 : sizeof(tests) / sizeof(tests[0]));
}

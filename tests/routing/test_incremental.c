/* The incremental recompute (routing/engine_incr.c) against the full one:
 * the same random event sequences go to engines in each recompute mode
 * (FULL, the reference; INCREMENTAL, per target whatever the count; AUTO)
 * and after every recompute their tables (JSON), versions, advertisement
 * seqs, encoded advertisements and switch counters must be identical.
 *  - one DC's engines, fed by hand: link changes (estimates, usability),
 *    neighbours' advertisements changing a few routes, paths, transit,
 *    tombstones, withdrawals, beats, another server's advertisement of our
 *    DC (the shared choice), single-hop overrides, gateways when required,
 *    and the clock (settle timers, freshness, re-advertise intervals);
 *  - whole networks through tests/routing/sim.c, every link estimate
 *    moving every round, one network per mode.
 * The PRNG is a fixed-seed splitmix64; MF_ROUTING_SEED explores others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <msgpack.h>

#include "gossip/err.h"
#include "routing/beat.h"
#include "routing/engine_internal.h"
#include "routing/table_format.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"
#include "tests/cunit_main.h"

#define N_DC 24
#define N_NBR 8          /* d01..d08 are neighbours of d00 */
#define N_MODES 3
#define MAX_HOPS 3

static uint64_t seed0 = 0x696e6372656d656eull;

static char names[N_DC][16];
static char *name_ptr[N_DC];

/* One neighbour's advertisement as the generator holds it. */
struct gen_route {
	bool on;
	double dist;
	uint64_t epoch;
	uint32_t n_hops;
	uint32_t hops[MAX_HOPS];
};
struct gen_nbr {
	uint64_t seq;
	bool transit, gone;
	struct gen_route r[N_DC];
	bool dead_on;
	uint32_t dead;
	uint64_t dead_epoch;
	bool gateway;
};

static double unit(uint64_t *s)
{
	return (double)(h_splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(h_splitmix(s) % n);
}

static void random_path(uint64_t *s, uint32_t h, uint32_t t, struct gen_route *r)
{
	r->n_hops = below(s, MAX_HOPS + 1);
	for (uint32_t k = 0; k < r->n_hops; k++) {
		uint32_t x;
		bool ok;
		do {
			x = below(s, N_DC);
			ok = x != h && x != t;
			for (uint32_t m = 0; m < k; m++)
				ok &= r->hops[m] != x;
		} while (!ok);
		r->hops[k] = x; /* d00 among them: a path through us */
	}
}

static void gen_init(uint64_t *s, struct gen_nbr *g, uint32_t h)
{
	memset(g, 0, sizeof *g);
	g->seq = 1;
	g->transit = true;
	g->gateway = true;
	for (uint32_t t = 0; t < N_DC; t++) {
		struct gen_route *r = &g->r[t];
		r->epoch = 1;
		if (t == h) {
			r->on = true;
			continue;
		}
		r->on = unit(s) < 0.8;
		r->dist = 1 + floor(unit(s) * 200);
		random_path(s, h, t, r);
	}
}

/* A few routes move: distance (small or large), path, withdrawn, added. */
static void gen_mutate(uint64_t *s, struct gen_nbr *g, uint32_t h)
{
	uint32_t k = 1 + below(s, 4);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t t = below(s, N_DC);
		struct gen_route *r = &g->r[t];
		if (t == h)
			continue;
		double u = unit(s);
		if (u < 0.4)
			r->dist = fmax(0, r->dist * (0.9 + 0.2 * unit(s)));
		else if (u < 0.55)
			r->dist = 1 + floor(unit(s) * 200);
		else if (u < 0.75)
			random_path(s, h, t, r);
		else
			r->on = !r->on;
	}
	if (unit(s) < 0.03)
		g->transit = !g->transit;
	g->dead_on = unit(s) < 0.05;
	if (g->dead_on) {
		g->dead = 1 + below(s, N_DC - 1);
		g->dead_epoch = below(s, 3);
	}
	if (unit(s) < 0.05)
		g->gateway = !g->gateway;
	g->seq++;
}

/* Builds g's advertisement of origin h (all names listed). */
static void gen_advert(const struct gen_nbr *g, uint32_t h, const char *node, struct mf_advert *a,
		       struct mf_advert_route *routes, uint32_t *hops, struct mf_advert_dead *dead,
		       struct mf_gateway *gw)
{
	memset(a, 0, sizeof *a);
	a->origin = name_ptr[h];
	a->node = (char *)node;
	a->seq = g->seq;
	a->transit = g->transit;
	a->frag_count = 1;
	a->n_names = N_DC;
	a->names = name_ptr;
	size_t nh = 0;
	for (uint32_t t = 0; t < N_DC; t++) {
		const struct gen_route *r = &g->r[t];
		if (!r->on)
			continue;
		routes[a->n_routes++] = (struct mf_advert_route){t, t == h ? 0 : r->dist, r->epoch, (uint32_t)nh,
								 t == h ? 0 : r->n_hops};
		for (uint32_t k = 0; t != h && k < r->n_hops; k++)
			hops[nh++] = r->hops[k];
	}
	a->routes = routes;
	a->hops = nh ? hops : NULL;
	a->n_hops = nh;
	if (g->dead_on) {
		dead[0] = (struct mf_advert_dead){g->dead, g->dead_epoch};
		a->dead = dead;
		a->n_dead = 1;
	}
	if (g->gateway) {
		a->gateways = gw;
		a->n_gateways = 1;
	}
}

struct twins {
	struct mf_routing *e[N_MODES];
};

/* Every mode's engine must say exactly what the full recompute says. */
static int compare(struct twins *w, const char *when)
{
	char *ref_json = NULL;
	msgpack_sbuffer ref_adv;
	msgpack_sbuffer_init(&ref_adv);
	int bad = 0;
	for (int m = 0; m < N_MODES; m++) {
		struct mf_table t;
		char *json = NULL;
		CU_ASSERT_FATAL(mf_routing_table(w->e[m], &t) == 0);
		CU_ASSERT_FATAL(mf_table_format(&t, MF_TABLE_JSON, &json) == 0);
		mf_table_free(&t);
		struct mf_advert a;
		msgpack_sbuffer adv;
		msgpack_sbuffer_init(&adv);
		CU_ASSERT_FATAL(mf_routing_advert(w->e[m], &a) == 0);
		CU_ASSERT_FATAL(mf_advert_encode_full(&adv, &a) == 0);
		mf_advert_free(&a);
		if (m == 0) {
			ref_json = json;
			ref_adv = adv;
			continue;
		}
		bool same = strcmp(json, ref_json) == 0 && adv.size == ref_adv.size &&
			    memcmp(adv.data, ref_adv.data, adv.size) == 0 &&
			    mf_routing_version(w->e[m]) == mf_routing_version(w->e[0]) &&
			    mf_routing_advert_seq(w->e[m]) == mf_routing_advert_seq(w->e[0]) &&
			    memcmp(mf_routing_stats(w->e[m]), mf_routing_stats(w->e[0]),
				   sizeof(struct mf_routing_stats)) == 0;
		if (!same && !bad)
			fprintf(stderr, "mode %d differs from the full recompute %s:\n%s\nfull:\n%s\n", m, when,
				json, ref_json);
		bad |= !same;
		CU_ASSERT(same);
		free(json);
		msgpack_sbuffer_destroy(&adv);
	}
	free(ref_json);
	msgpack_sbuffer_destroy(&ref_adv);
	return bad;
}

/* After a recompute the table's links (links_out, taken from each
 * origin's list of one-hop routes, engine_incr.c's take_hop1) must be what
 * a walk over every stored route gives: our configured links, then per
 * present origin its routes of path 2 not to us, in order. */
static bool links_as_walked(const struct mf_routing *r)
{
	size_t k = 0;
	bool same = true;
	for (uint32_t d = 0; d < r->names.n; d++) {
		const struct rt_link *l = &r->link[d];
		if (d == r->self || !l->configured)
			continue;
		const struct rt_link_out *o = k < r->n_links_out ? &r->links_out[k++] : NULL;
		same &= o && o->from == r->self && o->to == d && o->usable == l->usable &&
			(!l->usable || o->dist == l->dist);
	}
	for (uint32_t h = 0; h < r->names.n; h++) {
		const struct rt_origin *og = &r->orig[h];
		for (uint32_t i = 0; og->present && i < og->n_e; i++) {
			if (og->e[i].path_len != 2 || og->e[i].target == r->self)
				continue;
			const struct rt_link_out *o = k < r->n_links_out ? &r->links_out[k++] : NULL;
			same &= o && o->from == h && o->to == og->e[i].target && o->usable &&
				o->dist == og->e[i].dist;
		}
	}
	return same && k == r->n_links_out;
}

static void recompute_all(struct twins *w)
{
	bool ch[N_MODES];
	for (int m = 0; m < N_MODES; m++) {
		CU_ASSERT_FATAL(mf_routing_recompute(w->e[m], &ch[m]) == 0);
		CU_ASSERT(links_as_walked(w->e[m]));
	}
	for (int m = 1; m < N_MODES; m++)
		CU_ASSERT(ch[m] == ch[0]);
}

/* Runs `steps` random events on one DC's engines in every mode. */
static void run_events(uint64_t seed, const struct mf_routing_config *base, int steps)
{
	uint64_t s = seed;
	struct twins w;
	static const enum mf_routing_recompute_mode modes[N_MODES] = {
		MF_RECOMPUTE_FULL, MF_RECOMPUTE_INCREMENTAL, MF_RECOMPUTE_AUTO};
	for (int m = 0; m < N_MODES; m++) {
		struct mf_routing_config c = *base;
		c.datacenter = names[0];
		c.node = "d00-s1";
		CU_ASSERT_FATAL(mf_routing_new(&c, &w.e[m]) == 0);
		mf_routing_set_recompute_mode(w.e[m], modes[m]);
	}
	struct gen_nbr *g = calloc(N_NBR + 1, sizeof *g);
	CU_ASSERT_FATAL(g != NULL);
	for (uint32_t h = 1; h <= N_NBR; h++)
		gen_init(&s, &g[h], h);
	struct mf_advert_route routes[N_DC];
	uint32_t hops[N_DC * MAX_HOPS];
	struct mf_advert_dead dead[1];
	struct mf_gateway gw = {"gw", "10.0.0.1:1", "10.0.0.1:2", 0, NULL};
	uint64_t now = 1000;
	for (int m = 0; m < N_MODES; m++)
		mf_routing_set_now(w.e[m], now);
	char node[16];
	char when[64];
	int bad = 0;
	for (int step = 0; step < steps && !bad; step++) {
		uint32_t h = 1 + below(&s, N_NBR);
		double u = unit(&s);
		snprintf(node, sizeof node, "%s-s1", names[h]);
		if (u < 0.3) {
			bool conf = unit(&s) < 0.95, usable = conf && unit(&s) < 0.9;
			double d = 1 + floor(unit(&s) * 100);
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(mf_routing_set_link(w.e[m], names[h], conf, usable, d) >= 0);
		} else if (u < 0.65) {
			gen_mutate(&s, &g[h], h);
			struct mf_advert a;
			gen_advert(&g[h], h, node, &a, routes, hops, dead, &gw);
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(mf_routing_set_advert(w.e[m], &a) >= 0);
		} else if (u < 0.75) {
			/* Beats: a few epochs rise (the widened 16 bits). */
			struct mf_beat_entry b[4];
			size_t nb = 0;
			for (int k = 0; k < 4; k++) {
				uint32_t t = below(&s, N_DC);
				if (!g[h].r[t].on)
					continue;
				g[h].r[t].epoch += 1 + below(&s, 2);
				b[nb++] = (struct mf_beat_entry){mf_beat_dc_hash(names[t]),
								 (uint16_t)(g[h].r[t].epoch & 0xffff),
								 (uint16_t)below(&s, 8)};
			}
			for (int m = 0; m < N_MODES; m++)
				(void)mf_routing_take_beats(w.e[m], names[h], b, nb);
		} else if (u < 0.78) {
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(mf_routing_withdraw_origin(w.e[m], names[h]) >= 0);
		} else if (u < 0.86) {
			/* Another server of our DC: its routes become the shared
			 * choice when newest. */
			struct gen_nbr own;
			gen_init(&s, &own, 0);
			for (uint32_t t = 1; t < N_DC; t++) {
				struct gen_route *r = &own.r[t];
				uint32_t nh = 1 + below(&s, N_NBR);
				r->n_hops = nh == t ? 0 : 1;
				r->hops[0] = nh;
				r->on = unit(&s) < 0.7;
			}
			own.seq = mf_routing_advert_seq(w.e[0]) + 1;
			own.gateway = false;
			struct mf_advert a;
			gen_advert(&own, 0, "d00-s2", &a, routes, hops, dead, &gw);
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(mf_routing_set_advert(w.e[m], &a) >= 0);
		} else if (u < 0.88) {
			uint32_t t = 1 + below(&s, N_DC - 1);
			enum mf_route_mode mode = unit(&s) < 0.5 ? MF_MODE_SINGLE_HOP : MF_MODE_MULTI_HOP;
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(mf_routing_set_mode(w.e[m], names[t], mode) == 0);
		} else {
			now += 1 + below(&s, 40);
			for (int m = 0; m < N_MODES; m++)
				mf_routing_set_now(w.e[m], now);
		}
		/* Sometimes several inputs move between two recomputes. */
		if (unit(&s) < 0.6) {
			recompute_all(&w);
			snprintf(when, sizeof when, "after step %d (seed %llu)", step, (unsigned long long)seed);
			bad = compare(&w, when);
		}
	}
	free(g);
	for (int m = 0; m < N_MODES; m++)
		mf_routing_free(w.e[m]);
}

static uint64_t seed_base(void)
{
	const char *e = getenv("MF_ROUTING_SEED");
	return e ? strtoull(e, NULL, 0) : seed0;
}

static void init_names(void)
{
	for (int i = 0; i < N_DC; i++) {
		snprintf(names[i], sizeof names[i], "d%02d", i);
		name_ptr[i] = names[i];
	}
}

/* Hysteresis, settling, freshness and re-advertise timing on. */
static void test_random_events_match_full_recompute(void)
{
	init_names();
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	c.settle_time = 30;
	c.max_age = 60;
	c.beat_interval = 10;
	c.beat_age_unit = 2; /* beats' origin ages, dated back */
	c.epoch_interval = 5;
	c.readvertise_interval = 20;
	for (uint64_t k = 0; k < 25; k++)
		run_events(seed_base() + k, &c, 300);
}

/* Beats apart, no hysteresis, no alternates, gateways required. */
static void test_random_events_other_configs_match(void)
{
	init_names();
	struct mf_routing_config c;
	for (int v = 0; v < 3; v++) {
		mf_routing_config_default(&c);
		c.max_age = 40;
		c.beat_interval = 10;
		c.beat_age_unit = 2;
		c.settle_time = 25;
		if (v == 0) {
			c.beats_apart = true;
			c.readvertise_interval = 30;
		} else if (v == 1) {
			c.hysteresis_pct = c.hysteresis_ms = 0;
			c.max_alternates = 0;
		} else {
			c.require_gateways = true;
			c.max_alternates = 5;
		}
		for (uint64_t k = 0; k < 12; k++)
			run_events(seed_base() + 1000 * (v + 1) + k, &c, 300);
	}
}

/* Whole networks: the same random graph run in each mode, every link
 * estimate moved by up to +-10 % every round, some links down and up. */
static void test_networks_match_full_recompute(void)
{
	const enum mf_routing_recompute_mode modes[N_MODES] = {
		MF_RECOMPUTE_FULL, MF_RECOMPUTE_INCREMENTAL, MF_RECOMPUTE_AUTO};
	for (uint64_t k = 0; k < 4; k++) {
		struct sim s[N_MODES];
		struct mf_routing_config c;
		mf_routing_config_default(&c);
		size_t n = 12 + 6 * k;
		for (int m = 0; m < N_MODES; m++) {
			CU_ASSERT_FATAL(sim_init(&s[m], n, NULL, &c, NULL) == 0);
			for (size_t i = 0; i < n; i++)
				mf_routing_set_recompute_mode(s[m].eng[i], modes[m]);
		}
		uint64_t rng = seed_base() + 77 * k;
		double *base = calloc(n * n, sizeof *base);
		bool *link = calloc(n * n, sizeof *link);
		CU_ASSERT_FATAL(base && link);
		for (size_t i = 1; i < n; i++) { /* a tree, then a few more */
			size_t j = below(&rng, (uint32_t)i);
			link[i * n + j] = link[j * n + i] = true;
		}
		for (size_t x = 0; x < n; x++) {
			size_t i = below(&rng, (uint32_t)n), j = below(&rng, (uint32_t)n);
			if (i != j)
				link[i * n + j] = link[j * n + i] = true;
		}
		for (size_t i = 0; i < n * n; i++)
			base[i] = 5 + floor(unit(&rng) * 100);
		int bad = 0;
		for (int round = 0; round < 40 && !bad; round++) {
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; j < n; j++) {
					if (i == j || !link[i * n + j])
						continue;
					double d = base[i * n + j] * (0.9 + 0.2 * unit(&rng));
					bool up = unit(&rng) < 0.97;
					for (int m = 0; m < N_MODES; m++)
						CU_ASSERT(sim_link(&s[m], i, j, true, up, d) == 0);
				}
			for (int m = 0; m < N_MODES; m++)
				CU_ASSERT(sim_run_for(&s[m], 1) >= 0);
			for (size_t i = 0; i < n && !bad; i++) {
				struct twins w = {{s[0].eng[i], s[1].eng[i], s[2].eng[i]}};
				char when[64];
				snprintf(when, sizeof when, "dc%zu, round %d, %zu DCs", i, round, n);
				bad = compare(&w, when);
			}
		}
		free(base);
		free(link);
		for (int m = 0; m < N_MODES; m++)
			sim_free(&s[m]);
	}
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_random_events_match_full_recompute),
		TEST(test_random_events_other_configs_match),
		TEST(test_networks_match_full_recompute),
	};
	return RUN_SUITE("routing_incremental", tests);
}

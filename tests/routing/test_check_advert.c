/* mf_routing_check_advert (routing/engine_adverts.c) compares names by
 * canonical index (a hash table) instead of a string compare per hop
 * against the origin, the target and every earlier hop, and a scan of
 * every earlier route per route. Its verdict must be the plain
 * definition's: random fragments whose name tables list some names twice,
 * with paths through the origin, the target, repeated hops and bad
 * indexes, checked by both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"

#define N_NAMES 12
#define N_ROUTES 10
#define MAX_HOPS 4

/* The definition, as written before: strings compared one by one. */
static int plain_check(const struct mf_advert *a)
{
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc >= a->n_names)
			return MF_EMALFORMED;
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->target >= a->n_names || !(ar->distance_ms >= 0) || ar->n_hops > MF_ADVERT_HOPS_MAX ||
		    ar->hops_off > a->n_hops || ar->n_hops > a->n_hops - ar->hops_off)
			return MF_EMALFORMED;
		const char *t = a->names[ar->target];
		bool to_origin = strcmp(t, a->origin) == 0;
		if (to_origin && ar->n_hops != 0)
			return MF_EMALFORMED;
		for (size_t j = 0; j < i; j++)
			if (a->routes[j].target == ar->target)
				return MF_EMALFORMED;
		const uint32_t *h = a->hops + ar->hops_off;
		for (uint32_t k = 0; k < ar->n_hops; k++) {
			if (h[k] >= a->n_names)
				return MF_EMALFORMED;
			const char *hk = a->names[h[k]];
			if (strcmp(hk, a->origin) == 0 || (!to_origin && strcmp(hk, t) == 0))
				return MF_EMALFORMED;
			for (uint32_t m = 0; m < k; m++)
				if (strcmp(a->names[h[m]], hk) == 0)
					return MF_EMALFORMED;
		}
	}
	return 0;
}

static void test_check_matches_string_definition(void)
{
	struct mf_routing *r = h_engine("zz", 10, 5);
	CU_ASSERT_FATAL(r != NULL);
	static const char *pool[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
	uint64_t s = 0x636865636b616476ull;
	char *names[N_NAMES];
	struct mf_advert_route routes[N_ROUTES];
	uint32_t hops[N_ROUTES * MAX_HOPS];
	struct mf_advert_dead dead[1];
	int refused = 0, taken = 0;
	for (int it = 0; it < 40000; it++) {
		struct mf_advert a;
		memset(&a, 0, sizeof a);
		a.origin = (char *)pool[h_splitmix(&s) % 8];
		a.node = "n1";
		a.seq = 1;
		a.transit = true;
		a.n_names = 1 + h_splitmix(&s) % N_NAMES;
		for (size_t i = 0; i < a.n_names; i++) /* 8 strings: repeats */
			names[i] = (char *)pool[h_splitmix(&s) % 8];
		a.names = names;
		a.n_routes = h_splitmix(&s) % N_ROUTES;
		size_t nh = 0;
		for (size_t i = 0; i < a.n_routes; i++) {
			uint32_t k = (uint32_t)(h_splitmix(&s) % (MAX_HOPS + 1));
			routes[i] = (struct mf_advert_route){(uint32_t)(h_splitmix(&s) % (a.n_names + 1)), 1.0, 1,
							     (uint32_t)nh, k};
			for (uint32_t j = 0; j < k; j++)
				hops[nh++] = (uint32_t)(h_splitmix(&s) % (a.n_names + (j == 0)));
		}
		a.routes = routes;
		a.hops = hops;
		a.n_hops = nh;
		if (h_splitmix(&s) % 4 == 0) {
			dead[0] = (struct mf_advert_dead){(uint32_t)(h_splitmix(&s) % (a.n_names + 1)), 1};
			a.dead = dead;
			a.n_dead = 1;
		}
		int want = plain_check(&a), got = mf_routing_check_advert(r, &a);
		if (want != got)
			fprintf(stderr, "iteration %d: %d, the definition says %d\n", it, got, want);
		CU_ASSERT_EQUAL_FATAL(got, want);
		refused += want != 0;
		taken += want == 0;
	}
	CU_ASSERT(refused > 5000 && taken > 5000); /* both verdicts exercised */
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_check_matches_string_definition),
	};
	return RUN_SUITE("routing_check_advert", tests);
}

/* Unit tests of gateway/choose.c: power of two choices, ejection and its
 * doubling, failover order from the route's gateways to its alternates,
 * exhaustion and its reasons. Virtual time: `now` is just a number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/choose.h"
#include "tests/cunit_main.h"

#define T0 ((mf_time_t)1000 * MF_SEC)

static struct mf_table_endpoint EP_B[] = {{"b1", "10.0.2.1:8443"}, {"b2", "10.0.2.2:8443"},
					  {"b3", "10.0.2.3:8443"}};
static struct mf_table_endpoint EP_X[] = {{"x1", "10.0.7.1:8443"}, {"x2", "10.0.7.2:8443"}};
static struct mf_table_endpoint EP_Y[] = {{"y1", "10.0.8.1:8443"}};

static struct mf_gw_eps eps;
static struct mf_rng rng;

static void setup(uint64_t seed)
{
	mf_gw_eps_free(&eps);
	mf_gw_eps_init(&eps, NULL);
	mf_rng_seed(&rng, seed);
}

/* n connections established to addr. */
static void load(const char *addr, int n)
{
	for (int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(mf_gw_ep_attempt(&eps, addr, T0), 0);
		CU_ASSERT_EQUAL(mf_gw_ep_connected(&eps, addr, T0), 0);
	}
}

/* k connect failures in a row to addr at now. */
static void fail(const char *addr, int k, mf_time_t now)
{
	for (int i = 0; i < k; i++) {
		CU_ASSERT_EQUAL(mf_gw_ep_attempt(&eps, addr, now), 0);
		CU_ASSERT_EQUAL(mf_gw_ep_failed(&eps, addr, now), 0);
	}
}

/* The first candidate of a fresh plan over hops. */
static const char *first(const struct mf_gw_hop *hops, size_t n, mf_time_t now, char *buf)
{
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, n), 0);
	int rc = mf_gw_plan_next(&p, now, &c);
	strcpy(buf, rc == 1 ? c->addr : "");
	mf_gw_plan_free(&p);
	return buf;
}

static void test_p2c_between_two_always_takes_the_less_loaded(void)
{
	struct mf_gw_hop hop = {"dc2", 2, EP_B};
	char buf[64];
	setup(1);
	load(EP_B[0].addr, 5);
	load(EP_B[1].addr, 4);
	for (int i = 0; i < 200; i++)
		CU_ASSERT_STRING_EQUAL(first(&hop, 1, T0, buf), EP_B[1].addr);
}

static void test_p2c_never_picks_the_most_loaded_of_three_and_spreads_the_rest(void)
{
	struct mf_gw_hop hop = {"dc2", 3, EP_B};
	char buf[64];
	int count[3] = {0};
	setup(2);
	load(EP_B[0].addr, 9); /* most loaded: loses every pair it is in */
	load(EP_B[1].addr, 1);
	load(EP_B[2].addr, 2);
	for (int i = 0; i < 3000; i++) {
		first(&hop, 1, T0, buf);
		for (int k = 0; k < 3; k++)
			count[k] += strcmp(buf, EP_B[k].addr) == 0;
	}
	CU_ASSERT_EQUAL(count[0], 0);
	/* b2 wins both pairs it is in (2/3), b3 only the pair {b1, b3} (1/3) */
	CU_ASSERT(count[1] > 1800 && count[1] < 2200);
	CU_ASSERT(count[2] > 800 && count[2] < 1200);
}

static void test_p2c_spreads_equal_loads_evenly_and_replays_from_a_seed(void)
{
	struct mf_gw_hop hop = {"dc2", 3, EP_B};
	char buf[64], seq1[50][64];
	int count[3] = {0};
	setup(3);
	for (int i = 0; i < 3000; i++) {
		first(&hop, 1, T0, buf);
		if (i < 50)
			strcpy(seq1[i], buf);
		for (int k = 0; k < 3; k++)
			count[k] += strcmp(buf, EP_B[k].addr) == 0;
	}
	for (int k = 0; k < 3; k++)
		CU_ASSERT(count[k] > 850 && count[k] < 1150);
	setup(3);
	for (int i = 0; i < 50; i++)
		CU_ASSERT_STRING_EQUAL(first(&hop, 1, T0, buf), seq1[i]);
}

static void test_connects_in_flight_count_as_active(void)
{
	struct mf_gw_hop hop = {"dc2", 2, EP_B};
	char buf[64];
	setup(4);
	CU_ASSERT_EQUAL(mf_gw_ep_attempt(&eps, EP_B[0].addr, T0), 0); /* not yet connected */
	CU_ASSERT_STRING_EQUAL(first(&hop, 1, T0, buf), EP_B[1].addr);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, EP_B[0].addr)->active, 1);
	CU_ASSERT_EQUAL(mf_gw_ep_failed(&eps, EP_B[0].addr, T0), 0);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, EP_B[0].addr)->active, 0);
	load(EP_B[1].addr, 1);
	CU_ASSERT_EQUAL(mf_gw_ep_closed(&eps, EP_B[1].addr, T0), 0);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, EP_B[1].addr)->active, 0);
}

static void test_three_failures_in_a_row_eject_for_30_s(void)
{
	const char *a = EP_B[0].addr;
	setup(5);
	fail(a, 2, T0);
	CU_ASSERT_FALSE(mf_gw_ep_ejected(&eps, a, T0));
	fail(a, 1, T0 + MF_SEC);
	CU_ASSERT_TRUE(mf_gw_ep_ejected(&eps, a, T0 + MF_SEC));
	CU_ASSERT_TRUE(mf_gw_ep_ejected(&eps, a, T0 + 31 * MF_SEC - 1));
	CU_ASSERT_FALSE(mf_gw_ep_ejected(&eps, a, T0 + 31 * MF_SEC));
}

static void test_a_success_between_failures_resets_the_count(void)
{
	const char *a = EP_B[0].addr;
	setup(6);
	fail(a, 2, T0);
	load(a, 1);
	fail(a, 2, T0);
	CU_ASSERT_FALSE(mf_gw_ep_ejected(&eps, a, T0));
	fail(a, 1, T0);
	CU_ASSERT_TRUE(mf_gw_ep_ejected(&eps, a, T0));
}

static void test_repeat_ejections_double_up_to_the_cap_and_success_resets(void)
{
	const char *a = EP_B[0].addr;
	mf_time_t now = T0;
	static const int want_s[] = {30, 60, 120, 240, 300, 300};
	setup(7);
	for (size_t i = 0; i < sizeof want_s / sizeof want_s[0]; i++) {
		fail(a, 3, now);
		mf_time_t until = mf_gw_ep_find(&eps, a)->ejected_until;
		CU_ASSERT_EQUAL(until - now, want_s[i] * MF_SEC);
		now = until;
		CU_ASSERT_FALSE(mf_gw_ep_ejected(&eps, a, now));
	}
	/* a success forgets the history: 30 s again */
	load(a, 1);
	fail(a, 3, now);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, a)->ejected_until - now, 30 * MF_SEC);
}

static void test_failures_while_ejected_do_not_eject_again(void)
{
	const char *a = EP_B[0].addr;
	setup(8);
	/* ten connects in flight when it dies */
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(mf_gw_ep_attempt(&eps, a, T0), 0);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(mf_gw_ep_failed(&eps, a, T0 + i), 0);
	const struct mf_gw_ep *ep = mf_gw_ep_find(&eps, a);
	CU_ASSERT_EQUAL(ep->ejections, 1);
	CU_ASSERT_EQUAL(ep->ejected_until, T0 + 2 + 30 * MF_SEC);
	CU_ASSERT_EQUAL(ep->active, 0);
}

static void test_configured_thresholds_apply(void)
{
	struct mf_gw_eps_config cfg = {.fail_threshold = 1, .eject_base = 2 * MF_SEC,
				       .eject_max = 5 * MF_SEC};
	mf_gw_eps_free(&eps);
	mf_gw_eps_init(&eps, &cfg);
	const char *a = EP_B[0].addr;
	fail(a, 1, T0);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, a)->ejected_until, T0 + 2 * MF_SEC);
	fail(a, 1, T0 + 2 * MF_SEC);
	fail(a, 1, T0 + 6 * MF_SEC);
	CU_ASSERT_EQUAL(mf_gw_ep_find(&eps, a)->ejected_until, T0 + 11 * MF_SEC); /* 4 s -> cap 5 s */
}

/* Yields every candidate of a plan into out (addresses joined by ' '). */
static enum mf_gw_plan_why drain(struct mf_gw_plan *p, mf_time_t now, char *out)
{
	const struct mf_gw_cand *c;
	out[0] = '\0';
	while (mf_gw_plan_next(p, now, &c) == 1) {
		if (out[0])
			strcat(out, " ");
		strcat(out, c->gateway);
	}
	CU_ASSERT_EQUAL(mf_gw_plan_next(p, now, &c), 0); /* stays exhausted */
	CU_ASSERT_PTR_NULL(c);
	return p->why;
}

static void test_failover_goes_through_the_gateways_then_each_alternate_in_order(void)
{
	struct mf_gw_hop hops[] = {{"dc2", 3, EP_B}, {"dc7", 2, EP_X}, {"dc8", 1, EP_Y}};
	struct mf_gw_plan p;
	char got[256];
	setup(9);
	load(EP_B[0].addr, 3);
	load(EP_B[1].addr, 1);
	load(EP_B[2].addr, 2);
	load(EP_X[0].addr, 1); /* x2 before x1 */
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 3), 0);
		/* first the P2C pick (b2 or b3: b1 loses every pair), then the
		 * remaining gateways of dc2 least active first */
		CU_ASSERT_EQUAL(drain(&p, T0, got), MF_GW_PLAN_EXHAUSTED);
		CU_ASSERT(strcmp(got, "b2 b3 b1 x2 x1 y1") == 0 || strcmp(got, "b3 b2 b1 x2 x1 y1") == 0);
		CU_ASSERT_EQUAL(p.yielded, 6);
		mf_gw_plan_free(&p);
	}
}

static void test_candidates_name_their_hop(void)
{
	struct mf_gw_hop hops[] = {{"dc2", 1, EP_B}, {"dc7", 1, EP_X}};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	setup(10);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 2), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 1);
	CU_ASSERT_STRING_EQUAL(c->dc, "dc2");
	CU_ASSERT_EQUAL(c->hop, 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 1);
	CU_ASSERT_STRING_EQUAL(c->dc, "dc7");
	CU_ASSERT_STRING_EQUAL(c->gateway, "x1");
	CU_ASSERT_STRING_EQUAL(c->addr, EP_X[0].addr);
	CU_ASSERT_EQUAL(c->hop, 1);
	mf_gw_plan_free(&p);
}

static void test_ejected_gateways_are_skipped_until_their_time_is_up(void)
{
	struct mf_gw_hop hops[] = {{"dc2", 3, EP_B}, {"dc7", 2, EP_X}};
	struct mf_gw_plan p;
	char got[256];
	setup(11);
	for (int i = 0; i < 3; i++)
		fail(EP_B[i].addr, 3, T0); /* dc2's gateways all dead */
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 2), 0);
	CU_ASSERT_EQUAL(drain(&p, T0 + MF_SEC, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT_STRING_EQUAL(got, "x1 x2"); /* straight to the alternate */
	mf_gw_plan_free(&p);
	/* after 30 s they are tried again, first */
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 2), 0);
	CU_ASSERT_EQUAL(drain(&p, T0 + 30 * MF_SEC, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT_EQUAL(strncmp(got, "b", 1), 0);
	CU_ASSERT_EQUAL(strlen(got), strlen("b1 b2 b3 x1 x2"));
	mf_gw_plan_free(&p);
}

static void test_an_ejection_during_a_plan_is_seen_by_its_next_candidate(void)
{
	struct mf_gw_hop hops[] = {{"dc2", 3, EP_B}};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	setup(12);
	fail(EP_B[2].addr, 2, T0);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 1), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 1);
	/* another connection's third failure ejects b3 meanwhile */
	fail(EP_B[2].addr, 1, T0);
	int n = 1;
	while (mf_gw_plan_next(&p, T0, &c) == 1) {
		CU_ASSERT_STRING_NOT_EQUAL(c->addr, EP_B[2].addr);
		n++;
	}
	CU_ASSERT(n == 2 || n == 3); /* b3 skipped unless it was the first pick */
	mf_gw_plan_free(&p);
}

static void test_empty_plans_say_why(void)
{
	struct mf_gw_hop hops[] = {{"dc2", 2, EP_X}}, none[] = {{"dc2", 0, NULL}, {"dc7", 0, NULL}};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	setup(13);
	CU_ASSERT_EQUAL(mf_gw_plan_init(&p, &eps, &rng, true, hops, 1), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_UNREACHABLE);
	CU_ASSERT_STRING_EQUAL(mf_gw_plan_why_name(p.why), "no-route");
	mf_gw_plan_free(&p);
	CU_ASSERT_EQUAL(mf_gw_plan_init(&p, &eps, &rng, false, none, 2), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_NO_GATEWAY);
	mf_gw_plan_free(&p);
	fail(EP_X[0].addr, 3, T0);
	fail(EP_X[1].addr, 3, T0);
	CU_ASSERT_EQUAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 1), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_OK);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_ALL_EJECTED);
	mf_gw_plan_free(&p);
}

static void test_an_address_is_yielded_once_per_plan(void)
{
	struct mf_table_endpoint dup[] = {{"b1", "10.0.2.1:8443"}, {"b1-again", "10.0.2.1:8443"},
					  {"empty", ""}, {"null", NULL}};
	struct mf_gw_hop hops[] = {{"dc2", 4, dup}, {"dc7", 1, EP_B}};
	struct mf_gw_plan p;
	char got[256];
	setup(14);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init(&p, &eps, &rng, false, hops, 2), 0);
	CU_ASSERT_EQUAL(drain(&p, T0, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT_STRING_EQUAL(got, "b1");
	mf_gw_plan_free(&p);
}

static void test_a_plan_outlives_the_table_it_was_built_from(void)
{
	struct mf_table_route r = {0};
	r.target = strdup("dc3");
	r.status = MF_ROUTE_VIA;
	r.next_hop = strdup("dc2");
	r.n_endpoints = 2;
	r.endpoints = calloc(2, sizeof(*r.endpoints));
	for (int i = 0; i < 2; i++) {
		r.endpoints[i].gateway = strdup(EP_B[i].gateway);
		r.endpoints[i].addr = strdup(EP_B[i].addr);
	}
	struct mf_gw_plan p;
	char got[256];
	setup(15);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	mf_table_route_free(&r); /* the agent sent a new table */
	CU_ASSERT_EQUAL(drain(&p, T0, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT(strcmp(got, "b1 b2") == 0 || strcmp(got, "b2 b1") == 0);
	mf_gw_plan_free(&p);
}

static void test_route_status_decides_before_gateways(void)
{
	struct mf_table_route r = {.target = "dc3", .status = MF_ROUTE_UNREACHABLE,
				   .n_endpoints = 1, .endpoints = EP_B};
	struct mf_gw_plan p;
	setup(16);
	CU_ASSERT_EQUAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_UNREACHABLE);
	mf_gw_plan_free(&p);
	r.status = MF_ROUTE_LOCAL;
	CU_ASSERT_EQUAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_LOCAL);
	mf_gw_plan_free(&p);
	r.status = MF_ROUTE_DIRECT;
	r.n_endpoints = 0;
	CU_ASSERT_EQUAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_NO_GATEWAY);
	mf_gw_plan_free(&p);
}

static void test_a_table_route_fails_over_to_its_alternates_in_order(void)
{
	struct mf_table_alternate alts[] = {{"dc7", 80.0, 2, EP_X}, {"dc8", 95.0, 1, EP_Y}};
	struct mf_table_route r = {.target = "dc3", .status = MF_ROUTE_VIA, .next_hop = "dc2",
				   .n_endpoints = 1, .endpoints = EP_B,
				   .n_alternates = 2, .alternates = alts};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	char got[256];
	setup(19);
	load(EP_X[0].addr, 1);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(drain(&p, T0, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT_STRING_EQUAL(got, "b1 x2 x1 y1");
	mf_gw_plan_free(&p);
	/* the next hop's only gateway ejected: the first candidate is the
	 * best alternate's, named as such */
	fail(EP_B[0].addr, 3, T0);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 1);
	CU_ASSERT_STRING_EQUAL(c->dc, "dc7");
	CU_ASSERT_EQUAL(c->hop, 1);
	mf_gw_plan_free(&p);
	/* a next hop without gateways but with alternates still has a plan */
	r.n_endpoints = 0;
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(drain(&p, T0, got), MF_GW_PLAN_EXHAUSTED);
	CU_ASSERT_STRING_EQUAL(got, "x2 x1 y1");
	mf_gw_plan_free(&p);
}

static void test_a_no_gateway_route_has_no_candidates(void)
{
	struct mf_table_alternate alts[] = {{"dc7", 80.0, 2, EP_X}};
	struct mf_table_route r = {.target = "dc3", .status = MF_ROUTE_NO_GATEWAY, .next_hop = "dc2",
				   .n_endpoints = 1, .endpoints = EP_B,
				   .n_alternates = 1, .alternates = alts};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	setup(20);
	CU_ASSERT_EQUAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 0);
	CU_ASSERT_EQUAL(p.why, MF_GW_PLAN_NO_GATEWAY);
	CU_ASSERT_STRING_EQUAL(mf_gw_plan_why_name(p.why), "no-gateway");
	mf_gw_plan_free(&p);
}

static void test_many_alternates_are_all_candidates(void)
{
	enum { N = 40 };
	struct mf_table_alternate alts[N];
	struct mf_table_endpoint eps_[N];
	char names[N][16], addrs[N][32];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "a%d", i);
		snprintf(addrs[i], sizeof addrs[i], "10.1.%d.1:8443", i);
		eps_[i] = (struct mf_table_endpoint){names[i], addrs[i]};
		alts[i] = (struct mf_table_alternate){names[i], 10.0 + i, 1, &eps_[i]};
	}
	struct mf_table_route r = {.target = "dc3", .status = MF_ROUTE_VIA, .next_hop = "dc2",
				   .n_endpoints = 1, .endpoints = EP_B,
				   .n_alternates = N, .alternates = alts};
	struct mf_gw_plan p;
	const struct mf_gw_cand *c;
	setup(21);
	CU_ASSERT_EQUAL_FATAL(mf_gw_plan_init_route(&p, &eps, &rng, &r), 0);
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 1);
	for (int i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(mf_gw_plan_next(&p, T0, &c), 1);
		CU_ASSERT_STRING_EQUAL(c->gateway, names[i]);
	}
	CU_ASSERT_EQUAL(mf_gw_plan_next(&p, T0, &c), 0);
	mf_gw_plan_free(&p);
}

static void test_feedback_without_an_attempt_is_refused(void)
{
	setup(17);
	CU_ASSERT_EQUAL(mf_gw_ep_failed(&eps, "10.9.9.9:1", T0), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_gw_ep_connected(&eps, "10.9.9.9:1", T0), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_gw_ep_closed(&eps, "10.9.9.9:1", T0), MF_ENOTFOUND);
	load("10.9.9.9:1", 1);
	CU_ASSERT_EQUAL(mf_gw_ep_closed(&eps, "10.9.9.9:1", T0), 0);
	CU_ASSERT_EQUAL(mf_gw_ep_closed(&eps, "10.9.9.9:1", T0), MF_ESTATE);
	CU_ASSERT_EQUAL(mf_gw_ep_failed(&eps, "10.9.9.9:1", T0), MF_ESTATE);
	CU_ASSERT_EQUAL(mf_gw_ep_attempt(&eps, NULL, T0), MF_EINVAL);
}

static void test_prune_keeps_only_state_worth_keeping(void)
{
	setup(18);
	load(EP_B[0].addr, 1);                                 /* active */
	fail(EP_B[1].addr, 1, T0);                             /* a failure */
	fail(EP_B[2].addr, 3, T0);                             /* ejected */
	load(EP_X[0].addr, 1);
	CU_ASSERT_EQUAL(mf_gw_ep_closed(&eps, EP_X[0].addr, T0), 0); /* idle */
	CU_ASSERT_EQUAL(eps.n, 4);
	mf_gw_eps_prune(&eps, T0);
	CU_ASSERT_EQUAL(eps.n, 3);
	CU_ASSERT_PTR_NULL(mf_gw_ep_find(&eps, EP_X[0].addr));
	CU_ASSERT_PTR_NOT_NULL(mf_gw_ep_find(&eps, EP_B[2].addr));
}

int main(void)
{
	static const struct test_case cases[] = {
		{"P2C between two always takes the less loaded", test_p2c_between_two_always_takes_the_less_loaded},
		{"P2C never picks the most loaded of three and spreads the rest",
		 test_p2c_never_picks_the_most_loaded_of_three_and_spreads_the_rest},
		{"P2C spreads equal loads evenly and replays from a seed",
		 test_p2c_spreads_equal_loads_evenly_and_replays_from_a_seed},
		{"connects in flight count as active", test_connects_in_flight_count_as_active},
		{"three failures in a row eject for 30 s", test_three_failures_in_a_row_eject_for_30_s},
		{"a success between failures resets the count", test_a_success_between_failures_resets_the_count},
		{"repeat ejections double up to the cap and a success resets",
		 test_repeat_ejections_double_up_to_the_cap_and_success_resets},
		{"failures while ejected do not eject again", test_failures_while_ejected_do_not_eject_again},
		{"configured thresholds apply", test_configured_thresholds_apply},
		{"failover goes through the gateways then each alternate in order",
		 test_failover_goes_through_the_gateways_then_each_alternate_in_order},
		{"candidates name their hop", test_candidates_name_their_hop},
		{"ejected gateways are skipped until their time is up",
		 test_ejected_gateways_are_skipped_until_their_time_is_up},
		{"an ejection during a plan is seen by its next candidate",
		 test_an_ejection_during_a_plan_is_seen_by_its_next_candidate},
		{"empty plans say why", test_empty_plans_say_why},
		{"an address is yielded once per plan", test_an_address_is_yielded_once_per_plan},
		{"a plan outlives the table it was built from", test_a_plan_outlives_the_table_it_was_built_from},
		{"route status decides before gateways", test_route_status_decides_before_gateways},
		{"a table route fails over to its alternates in order",
		 test_a_table_route_fails_over_to_its_alternates_in_order},
		{"a no-gateway route has no candidates", test_a_no_gateway_route_has_no_candidates},
		{"many alternates are all candidates", test_many_alternates_are_all_candidates},
		{"feedback without an attempt is refused", test_feedback_without_an_attempt_is_refused},
		{"prune keeps only state worth keeping", test_prune_keeps_only_state_worth_keeping},
	};
	int rc = RUN_SUITE("gateway_choose", cases);
	mf_gw_eps_free(&eps);
	return rc;
}

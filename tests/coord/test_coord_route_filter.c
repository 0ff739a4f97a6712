/*
 * tests/coord/test_coord_route_filter.c — the routing estimate's median
 * (coord/client.h mf_coord_client_route_estimate, coord/config.h
 * route_filter_size and MF_COORD_ROUTE_STEP): steadier than the
 * coordinate's three-sample filter under noise, yet a real step is
 * followed as fast as that filter follows it; the coordinate's filter and
 * estimate are unchanged by the longer ring.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "coord/client.h"
#include "gossip/err.h"
#include "tests/coord/client_setup.h"
#include "tests/cunit_main.h"

static struct mf_coord_config cfg;
static struct mf_coord_client cl;
static struct mf_coord peer;

static void setup(enum mf_coord_mode mode)
{
	mf_test_client_setup(&cfg, &cl, &peer, mode, 0.050);
}

static double route_estimate(void)
{
	double est = -1;
	int measured = 0;
	CU_ASSERT_EQUAL(mf_coord_client_route_estimate(&cl, "alice", NULL, &est, &measured),
			MF_OK);
	CU_ASSERT_EQUAL(measured, 1);
	return est;
}

static double serf_estimate(void)
{
	double est = -1;
	int measured = 0;
	CU_ASSERT_EQUAL(mf_coord_client_estimate(&cl, "alice", NULL, &est, &measured), MF_OK);
	return est;
}

/* Uniform in [0, 1) from a 64-bit LCG: the same numbers on every host. */
static double lcg_unit(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*x >> 11) / 9007199254740992.0;
}

/* Times an estimate moved past 5 % of what it last "advertised" (the
 * engine's re-advertise threshold) while 400 samples of 100 ms +-10 %
 * came in: 88 for the three-sample median, 26 for the route's (and the
 * route's stays within 7 % of the truth once its ring is full). */
static void test_route_median_is_steadier_under_noise(void)
{
	setup(MF_COORD_MODE_FIT);
	uint64_t x = 12345;
	double route_last = 0, serf_last = 0, worst = 0;
	unsigned route_moves = 0, serf_moves = 0;
	for (unsigned i = 0; i < 400; i++) {
		double rtt = 0.100 * (1 + 0.1 * (2 * lcg_unit(&x) - 1));
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, rtt, NULL), MF_OK);
		double r = route_estimate(), s = serf_estimate();
		if (i == 0) {
			route_last = r;
			serf_last = s;
			continue;
		}
		if (fabs(r - route_last) > 0.05 * route_last) {
			route_moves++;
			route_last = r;
		}
		if (fabs(s - serf_last) > 0.05 * serf_last) {
			serf_moves++;
			serf_last = s;
		}
		if (i >= 8)
			worst = fmax(worst, fabs(r - 0.100) / 0.100);
	}
	CU_ASSERT(serf_moves >= 60);
	CU_ASSERT(route_moves * 3 <= serf_moves);
	CU_ASSERT(worst < 0.075);
	mf_coord_client_free(&cl);
}

/* Eight samples at 100 ms, then 150 ms: the three-sample median reads 150
 * at the second new sample, and so does the route's (a step past
 * MF_COORD_ROUTE_STEP); the same down to 60 ms. */
static void test_route_median_follows_a_step_at_once(void)
{
	setup(MF_COORD_MODE_FIT);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.100, NULL), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(route_estimate(), 0.100, 1e-12);
	CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.150, NULL), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(route_estimate(), 0.100, 1e-12);
	CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.150, NULL), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(serf_estimate(), 0.150, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(route_estimate(), 0.150, 1e-12);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.150, NULL), MF_OK);
	CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.060, NULL), MF_OK);
	CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.060, NULL), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(route_estimate(), 0.060, 1e-12);
	mf_coord_client_free(&cl);
}

/* After a step the route's spread is the short window's: at the third
 * sample at 150 ms all three are 150, so both estimates are the
 * measurement whatever the coordinate says (the long window, still
 * holding 100s, would have leaned on a coordinate 50 ms away). */
static void test_route_estimate_after_a_step_blends_as_the_short_filter(void)
{
	setup(MF_COORD_MODE_FIT);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.100, NULL), MF_OK);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.150, NULL), MF_OK);
	double route = -1, best = -1;
	int m = 0;
	CU_ASSERT_EQUAL(mf_coord_client_route_estimate(&cl, "alice", &peer, &route, &m), MF_OK);
	CU_ASSERT_EQUAL(mf_coord_client_estimate(&cl, "alice", &peer, &best, &m), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(best, 0.150, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(route, best, 1e-9);
	mf_coord_client_free(&cl);
}

/* A 15 % step is under MF_COORD_ROUTE_STEP: the route waits for the long
 * median, which has it once half its ring is new (the lower median of
 * eight: the fifth new sample). */
static void test_route_median_takes_a_small_step_by_majority(void)
{
	setup(MF_COORD_MODE_FIT);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.100, NULL), MF_OK);
	for (unsigned i = 1; i <= 5; i++) {
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, 0.115, NULL), MF_OK);
		CU_ASSERT_DOUBLE_EQUAL(route_estimate(), i < 5 ? 0.100 : 0.115, 1e-12);
	}
	mf_coord_client_free(&cl);
}

/* The longer ring leaves the coordinate's filter as serf's: the median of
 * the last three (serf mode: the upper one), whatever route_filter_size. */
static void test_coordinate_filter_still_reads_the_last_three(void)
{
	setup(MF_COORD_MODE_SERF);
	const double rtts[] = {0.201, 0.200, 0.207, 0.203, 0.300, 0.990, 0.205, 0.204, 0.206};
	const double medians[] = {0.201, 0.201, 0.201, 0.203, 0.207, 0.300, 0.300, 0.205, 0.205};
	for (unsigned i = 0; i < sizeof(rtts) / sizeof(rtts[0]); i++) {
		CU_ASSERT_EQUAL(mf_coord_client_update(&cl, "alice", &peer, rtts[i], NULL), MF_OK);
		CU_ASSERT_DOUBLE_EQUAL(serf_estimate(), medians[i], 1e-15);
		CU_ASSERT_DOUBLE_EQUAL(cl.peers[0].rtt, medians[i], 1e-15);
	}
	mf_coord_client_free(&cl);
}

static void test_route_filter_size_is_checked(void)
{
	struct mf_coord_client c;
	mf_coord_config_default(&cfg);
	cfg.route_filter_size = 0;
	CU_ASSERT_EQUAL(mf_coord_client_init(&c, &cfg), MF_EINVAL);
	cfg.route_filter_size = MF_COORD_FILTER_MAX + 1;
	CU_ASSERT_EQUAL(mf_coord_client_init(&c, &cfg), MF_EINVAL);
	cfg.route_filter_size = MF_COORD_FILTER_MAX;
	CU_ASSERT_EQUAL_FATAL(mf_coord_client_init(&c, &cfg), MF_OK);
	mf_coord_client_free(&c);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"route median is steadier under noise", test_route_median_is_steadier_under_noise},
		{"route median follows a step at once", test_route_median_follows_a_step_at_once},
		{"route estimate after a step blends as the short filter",
		 test_route_estimate_after_a_step_blends_as_the_short_filter},
		{"route median takes a small step by majority",
		 test_route_median_takes_a_small_step_by_majority},
		{"coordinate filter still reads the last three",
		 test_coordinate_filter_still_reads_the_last_three},
		{"route filter size is checked", test_route_filter_size_is_checked},
	};
	return RUN_SUITE("coord_route_filter", cases);
}

/*
 * tests/coord_tracker/test_coord_tracker.c — the glue between a pool's
 * delegate and the Vivaldi client: ack payloads, samples, the coordinate
 * cache, forgetting, and the member and datacenter estimates.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord/tracker.h"
#include "coord/wire.h"
#include "gossip/err.h"
#include "gossip/intern.h"
#include "gossip/name_hash.h"
#include "tests/coord_tracker/tracker_hand.h"
#include "tests/cunit_main.h"

static void test_ack_payload_is_serfs_encoding_of_our_coordinate(void)
{
	struct mf_coord_tracker t;
	struct mf_coord self, got;
	uint8_t buf[512];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	size_t n = mf_coord_tracker_ack_payload(&t, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 130);
	CU_ASSERT_EQUAL(buf[0], MF_COORD_PING_VERSION);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(buf, n, &got), 0);
	mf_coord_tracker_self(&t, &self);
	CU_ASSERT_EQUAL(memcmp(got.vec, self.vec, sizeof(self.vec)), 0);
	CU_ASSERT_EQUAL(got.error, self.error);
	CU_ASSERT_EQUAL(got.height, self.height);
	mf_coord_tracker_free(&t);
}

static void test_ack_payload_into_a_short_buffer_is_empty_and_counted(void)
{
	struct mf_coord_tracker t;
	uint8_t buf[64];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_ack_payload(&t, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->encode_errors, 1);
	mf_coord_tracker_free(&t);
}

static void test_ack_updates_the_client_and_caches_the_peer_coordinate(void)
{
	struct mf_coord_tracker t;
	struct mf_coord before, after, got, b = h_coord_at(0.03, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_self(&t, &before);
	h_ack(&t, "b", &b, 50);
	mf_coord_tracker_self(&t, &after);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->updates, 1);
	CU_ASSERT_NOT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_EQUAL(got.vec[0], 0.03);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 1);
	mf_coord_tracker_free(&t);
}

static void test_rtt_is_converted_from_nanoseconds_to_seconds(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.03, 0);
	double est;
	int measured = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	CU_ASSERT_EQUAL(mf_coord_tracker_estimate(&t, "b", &est, &measured), 0);
	CU_ASSERT_EQUAL(measured, 1);
	CU_ASSERT_DOUBLE_EQUAL(est, 0.050, 1e-9);
	mf_coord_tracker_free(&t);
}

static void test_garbage_payload_is_counted_and_changes_nothing(void)
{
	struct mf_coord_tracker t;
	struct mf_coord before, after, got;
	const uint8_t bad[][4] = { { 0x02, 0x80 }, { 0x01, 0xc1 }, { 0x01, 0x93, 1, 2 } };
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_self(&t, &before);
	for (unsigned k = 0; k < 3; k++)
		mf_coord_tracker_on_ack(&t, "b", bad[k], k == 2 ? 4 : 2, 50 * MS);
	mf_coord_tracker_on_ack(&t, "b", bad[0], 1, 50 * MS); /* cut */
	mf_coord_tracker_self(&t, &after);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_payload, 4);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->updates, 0);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

static void test_empty_payload_is_skipped_like_serf(void)
{
	struct mf_coord_tracker t;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_on_ack(&t, "b", NULL, 0, 50 * MS);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->empty, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_payload, 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 0);
	mf_coord_tracker_free(&t);
}

static void test_nan_coordinate_is_rejected_and_not_cached(void)
{
	struct mf_coord_tracker t;
	struct mf_coord before, after, got, b = h_coord_at(NAN, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_self(&t, &before);
	h_ack(&t, "b", &b, 50);
	mf_coord_tracker_self(&t, &after);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->rejected, 1);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

static void test_rtt_out_of_range_is_rejected(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.01, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 0);
	h_ack(&t, "b", &b, 11000);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->rejected, 2);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 0);
	mf_coord_tracker_free(&t);
}

static void test_reaped_member_is_forgotten(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.03, 0), got;
	struct mf_pool_event ev = { .kind = MF_EV_REAPED, .name = "b" };
	double est;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	h_ack(&t, "c", &b, 50);
	mf_coord_tracker_on_event(&t, &ev);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_coord_tracker_estimate(&t, "b", &est, NULL), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "c", &got), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->forgotten, 1);
	mf_coord_tracker_free(&t);
}

static void test_failed_member_is_not_forgotten_before_reap(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.03, 0), got;
	const enum mf_event_kind kinds[] = { MF_EV_SUSPECT, MF_EV_FAILED, MF_EV_LEFT, MF_EV_JOIN };
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	for (unsigned k = 0; k < 4; k++) {
		struct mf_pool_event ev = { .kind = kinds[k], .name = "b" };
		mf_coord_tracker_on_event(&t, &ev);
	}
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	mf_coord_tracker_free(&t);
}

static void test_our_own_name_gives_our_current_coordinate(void)
{
	struct mf_coord_tracker t;
	struct mf_coord self, got, b = h_coord_at(0.03, 0);
	double est;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	mf_coord_tracker_self(&t, &self);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "a", &got), 0);
	CU_ASSERT_EQUAL(memcmp(&self, &got, sizeof(self)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_estimate(&t, "a", &est, NULL), 0);
	CU_ASSERT_EQUAL(est, 0);
	mf_coord_tracker_free(&t);
}

static void test_rtt_between_members_is_their_coordinate_distance(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.03, 0), c = h_coord_at(0, 0.04), self;
	double d;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	h_ack(&t, "c", &c, 50);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "b", "c", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, mf_coord_distance(&b, &c), 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.05 + 2 * b.height, 1e-9);
	mf_coord_tracker_self(&t, &self);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "a", "c", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, mf_coord_distance(&self, &c), 1e-12);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "b", "zz", &d), MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

static void test_estimate_without_measurement_is_the_coordinate_distance(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = h_coord_at(0.03, 0);
	double d, est;
	int measured = 1;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 50);
	/* The client remembers b's sample; forgetting only the client's side
	 * is what a peer-table eviction does. */
	mf_coord_client_forget(&t.client, "b");
	CU_ASSERT_EQUAL(mf_coord_tracker_estimate(&t, "b", &est, &measured), 0);
	CU_ASSERT_EQUAL(measured, 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "a", "b", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(est, d, 1e-12);
	mf_coord_tracker_free(&t);
}

/* Members of three DCs, ours ("a") in dc1. */
static void fill_dcs(struct mf_coord_tracker *t)
{
	struct mf_coord c;
	c = h_coord_at(0.100, 0), h_ack(t, "x1", &c, 100);
	c = h_coord_at(0.120, 0), h_ack(t, "x2", &c, 120);
	c = h_coord_at(0.140, 0), h_ack(t, "x3", &c, 140);
	c = h_coord_at(0.900, 0), h_ack(t, "x4", &c, 900); /* failed below */
	c = h_coord_at(0, 0.200), h_ack(t, "y1", &c, 200);
	c = h_coord_at(0, 0.260), h_ack(t, "y2", &c, 260);
	c = h_coord_at(0.001, 0), h_ack(t, "s2", &c, 1);
}

static const struct mf_coord_tracker_member dcs[] = {
	{ "a", "dc1", MF_MEMBER_ALIVE },   { "s2", "dc1", MF_MEMBER_ALIVE },
	{ "x1", "dc2", MF_MEMBER_ALIVE },  { "x2", "dc2", MF_MEMBER_SUSPECT },
	{ "x3", "dc2", MF_MEMBER_ALIVE },  { "x4", "dc2", MF_MEMBER_FAILED },
	{ "x5", "dc2", MF_MEMBER_ALIVE }, /* never acked: no coordinate */
	{ "y1", "dc3", MF_MEMBER_ALIVE },  { "y2", "dc3", MF_MEMBER_ALIVE },
	{ "y3", "dc3", MF_MEMBER_LEFT },
};
#define NDCS (sizeof(dcs) / sizeof(dcs[0]))

static void test_dc_rtt_is_the_median_over_alive_servers(void)
{
	struct mf_coord_tracker t;
	double d, want, v[3];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	fill_dcs(&t);
	/* odd count: x1..x3 (x4 failed, x5 unknown) -> the middle one */
	for (unsigned k = 0; k < 3; k++) {
		char name[4] = { 'x', (char)('1' + k), 0 };
		CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "a", name, &v[k]), 0);
	}
	want = v[0] < v[1] ? (v[1] < v[2] ? v[1] : (v[0] < v[2] ? v[2] : v[0]))
			   : (v[0] < v[2] ? v[0] : (v[1] < v[2] ? v[2] : v[1]));
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "dc2", MF_COORD_TRACKER_COORDS, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, want, 1e-12);
	/* even count: mean of the two */
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "a", "y1", &v[0]), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "a", "y2", &v[1]), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "dc3", MF_COORD_TRACKER_COORDS, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, (v[0] + v[1]) / 2, 1e-12);
	mf_coord_tracker_free(&t);
}

static void test_dc_rtt_best_uses_our_measurements(void)
{
	struct mf_coord_tracker t;
	double d;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	fill_dcs(&t);
	/* one sample each, so the estimate is the measured RTT */
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "dc2", MF_COORD_TRACKER_BEST, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.120, 1e-9);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "dc3", MF_COORD_TRACKER_BEST, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.230, 1e-9);
	/* our own DC: the others in it, never ourselves */
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "dc1", MF_COORD_TRACKER_BEST, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.001, 1e-9);
	mf_coord_tracker_free(&t);
}

/* Routing's kind reads the routing median (coord/config.h
 * route_filter_size): five samples at 200 ms then two at 230 (a 15 % move,
 * under MF_COORD_ROUTE_STEP) leave it at 200, where the three-sample
 * filter of BEST already reads 230. */
static void test_dc_rtt_route_uses_the_routing_median(void)
{
	static const struct mf_coord_tracker_member m[] = {
		{ "a", "dc1", MF_MEMBER_ALIVE }, { "y1", "dc3", MF_MEMBER_ALIVE },
	};
	struct mf_coord_tracker t;
	struct mf_coord c = h_coord_at(0, 0.200);
	double route, best;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	for (unsigned i = 0; i < 7; i++)
		h_ack(&t, "y1", &c, i < 5 ? 200 : 230);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, m, 2, "dc3", MF_COORD_TRACKER_ROUTE, &route), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, m, 2, "dc3", MF_COORD_TRACKER_BEST, &best), 0);
	CU_ASSERT_DOUBLE_EQUAL(route, 0.200, 1e-9);
	CU_ASSERT(best > 0.215);
	mf_coord_tracker_free(&t);
}

static void test_dc_rtt_without_coordinates_is_not_found(void)
{
	struct mf_coord_tracker t;
	double d;
	const struct mf_coord_tracker_member m[] = { { "q", "dc9", MF_MEMBER_ALIVE } };
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	fill_dcs(&t);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, m, 1, "dc9", MF_COORD_TRACKER_COORDS, &d),
			MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_rtt(&t, dcs, NDCS, "nope", MF_COORD_TRACKER_BEST, &d),
			MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_pair_rtt(&t, dcs, NDCS, "dc2", "nope", &d),
			MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

static void test_dc_pair_rtt_is_the_median_over_all_server_pairs(void)
{
	struct mf_coord_tracker t;
	double d, v[6];
	const char *xs[] = { "x1", "x2", "x3" }, *ys[] = { "y1", "y2" };
	unsigned k = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	fill_dcs(&t);
	for (unsigned i = 0; i < 3; i++)
		for (unsigned j = 0; j < 2; j++)
			CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, xs[i], ys[j], &v[k++]), 0);
	/* sort 6 values, the median is the mean of the middle two */
	for (unsigned i = 0; i < 6; i++)
		for (unsigned j = i + 1; j < 6; j++)
			if (v[j] < v[i]) {
				double s = v[i];
				v[i] = v[j];
				v[j] = s;
			}
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_pair_rtt(&t, dcs, NDCS, "dc2", "dc3", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, (v[2] + v[3]) / 2, 1e-12);
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_pair_rtt(&t, dcs, NDCS, "dc3", "dc2", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, (v[2] + v[3]) / 2, 1e-12);
	/* within one DC: distinct pairs only */
	CU_ASSERT_EQUAL(mf_coord_tracker_dc_pair_rtt(&t, dcs, NDCS, "dc3", "dc3", &d), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_rtt(&t, "y1", "y2", &v[0]), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, v[0], 1e-12);
	mf_coord_tracker_free(&t);
}

static void local_state_hook(void *ctx, const uint8_t *buf, size_t len, bool join)
{
	(void)ctx, (void)buf, (void)len, (void)join;
}

static void test_delegate_sets_the_coordinate_hooks_only(void)
{
	struct mf_coord_tracker t;
	struct mf_pool_delegate d = { 0 };
	int other;
	d.ctx = &other;
	d.merge_remote_state = local_state_hook;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_delegate(&t, &d);
	CU_ASSERT_PTR_EQUAL(d.ctx, &t);
	CU_ASSERT_PTR_EQUAL(d.ack_payload, mf_coord_tracker_ack_payload);
	CU_ASSERT_PTR_EQUAL(d.on_ack, mf_coord_tracker_on_ack);
	CU_ASSERT_PTR_EQUAL(d.on_user_msg, mf_coord_tracker_on_user_msg);
	CU_ASSERT(d.merge_remote_state == local_state_hook);
	CU_ASSERT_PTR_NULL(d.local_state);
	mf_coord_tracker_free(&t);
}

static void test_bad_name_or_config_is_refused(void)
{
	struct mf_coord_tracker t;
	struct mf_coord_config cfg;
	char long_name[MF_NAME_MAX + 2];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	CU_ASSERT_EQUAL(mf_coord_tracker_init(&t, "", NULL), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_tracker_init(&t, long_name, NULL), MF_EINVAL);
	mf_coord_config_default(&cfg);
	cfg.dimensionality = 0;
	CU_ASSERT_EQUAL(mf_coord_tracker_init(&t, "a", &cfg), MF_EINVAL);
}

/* Acks from members m<(k * step) % n> for k in [0, n), the k-th with
 * vec[1] = k * 1e-4. */
static void ack_many(struct mf_coord_tracker *t, unsigned n, unsigned step)
{
	struct mf_coord c = h_coord_at(0.05, 0);
	char name[16];
	for (unsigned k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "m%u", (k * step) % n);
		c.vec[1] = k * 1e-4;
		h_ack(t, name, &c, 50);
	}
}

static void test_many_members_stay_sorted_and_findable(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got;
	char name[16];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack_many(&t, 300, 7919);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 300);
	const char **names = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_names(&t, &names, &n), 0);
	CU_ASSERT_EQUAL(n, 300);
	for (size_t k = 1; k < n; k++)
		CU_ASSERT(strcmp(names[k - 1], names[k]) < 0);
	free(names);
	for (unsigned k = 0; k < 300; k++) {
		snprintf(name, sizeof(name), "m%u", (k * 7919u) % 300u);
		CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, name, &got), 0);
		CU_ASSERT_EQUAL(got.vec[1], k * 1e-4);
	}
	mf_coord_tracker_free(&t);
}

static void test_forgetting_members_keeps_the_others_findable(void)
{
	struct mf_coord_tracker t;
	struct mf_coord c = h_coord_at(0.05, 0), got;
	char name[16];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack_many(&t, 500, 1);
	for (unsigned k = 0; k < 500; k += 3) {
		snprintf(name, sizeof(name), "m%u", k);
		mf_coord_tracker_forget(&t, name);
	}
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 500 - 167);
	CU_ASSERT_EQUAL(t.stats.forgotten, 167);
	for (unsigned k = 0; k < 500; k++) {
		snprintf(name, sizeof(name), "m%u", k);
		int rc = mf_coord_tracker_get(&t, name, &got);
		if (k % 3 == 0) {
			CU_ASSERT_EQUAL(rc, MF_ENOTFOUND);
			continue;
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(got.vec[1], k * 1e-4);
		CU_ASSERT_EQUAL(got.vec[2], 0);
		CU_ASSERT_EQUAL(got.dim, c.dim);
		CU_ASSERT_EQUAL(got.height, c.height);
	}
	for (unsigned k = 0; k < 500; k += 3) { /* back again */
		snprintf(name, sizeof(name), "m%u", k);
		h_ack(&t, name, &c, 50);
	}
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 500);
	mf_coord_tracker_free(&t);
}

/* Issue 12: the cache holds a member's name by its id in the shared name
 * ids (which the pools' records already hold), not as an interned copy of
 * its own: no string is interned for it, and its ids go with the entries. */
static void test_shared_names_cost_no_interned_copy(void)
{
	struct mf_intern strs;
	struct mf_coord_tracker t;
	struct mf_coord got;
	char name[16];
	uint32_t held;
	mf_intern_init(&strs);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_share_names(&t, &strs), 0);
	/* a pool already holds m7's name */
	CU_ASSERT_EQUAL_FATAL(mf_name_ids_get(&strs.ids, "m7", 2, mf_name_hash("m7", 2), &held), 0);
	ack_many(&t, 200, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 200);
	CU_ASSERT_EQUAL(strs.n, 0);      /* no interned copies */
	CU_ASSERT_EQUAL(strs.ids.n, 200); /* m7 once, shared */
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "m7", &got), 0);
	CU_ASSERT_EQUAL(got.vec[1], 7 * 1e-4);
	for (unsigned k = 0; k < 200; k++) {
		snprintf(name, sizeof(name), "m%u", k);
		mf_coord_tracker_forget(&t, name);
	}
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 0);
	CU_ASSERT_EQUAL(strs.ids.n, 1); /* the pool's hold on m7 stays */
	CU_ASSERT_STRING_EQUAL(mf_name_ids_name(&strs.ids, held), "m7");
	mf_name_ids_put(&strs.ids, held);
	mf_coord_tracker_free(&t);
	mf_intern_free(&strs);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_ack_payload_is_serfs_encoding_of_our_coordinate),
		TEST(test_ack_payload_into_a_short_buffer_is_empty_and_counted),
		TEST(test_ack_updates_the_client_and_caches_the_peer_coordinate),
		TEST(test_rtt_is_converted_from_nanoseconds_to_seconds),
		TEST(test_garbage_payload_is_counted_and_changes_nothing),
		TEST(test_empty_payload_is_skipped_like_serf),
		TEST(test_nan_coordinate_is_rejected_and_not_cached),
		TEST(test_rtt_out_of_range_is_rejected),
		TEST(test_reaped_member_is_forgotten),
		TEST(test_failed_member_is_not_forgotten_before_reap),
		TEST(test_our_own_name_gives_our_current_coordinate),
		TEST(test_rtt_between_members_is_their_coordinate_distance),
		TEST(test_estimate_without_measurement_is_the_coordinate_distance),
		TEST(test_dc_rtt_is_the_median_over_alive_servers),
		TEST(test_dc_rtt_best_uses_our_measurements),
		TEST(test_dc_rtt_route_uses_the_routing_median),
		TEST(test_dc_rtt_without_coordinates_is_not_found),
		TEST(test_dc_pair_rtt_is_the_median_over_all_server_pairs),
		TEST(test_delegate_sets_the_coordinate_hooks_only),
		TEST(test_bad_name_or_config_is_refused),
		TEST(test_many_members_stay_sorted_and_findable),
		TEST(test_forgetting_members_keeps_the_others_findable),
		TEST(test_shared_names_cost_no_interned_copy),
	};
	return RUN_SUITE("coord_tracker", tests);
}

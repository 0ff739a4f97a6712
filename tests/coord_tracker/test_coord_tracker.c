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
#include "tests/cunit_main.h"

#define MS ((mf_time_t)1000000)

static struct mf_coord coord_at(double x, double y)
{
	struct mf_coord_config cfg;
	struct mf_coord c;
	mf_coord_config_default(&cfg);
	mf_coord_init(&c, &cfg);
	c.vec[0] = x;
	c.vec[1] = y;
	c.error = 0.2;
	return c;
}

/* Feeds t an ack from node carrying coordinate c after rtt_ms. */
static void ack(struct mf_coord_tracker *t, const char *node, const struct mf_coord *c,
		double rtt_ms)
{
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_wire_encode(c, buf, sizeof(buf), &len), 0);
	mf_coord_tracker_on_ack(t, node, buf, len, (mf_time_t)(rtt_ms * (double)MS));
}

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
	struct mf_coord before, after, got, b = coord_at(0.03, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_self(&t, &before);
	ack(&t, "b", &b, 50);
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
	struct mf_coord b = coord_at(0.03, 0);
	double est;
	int measured = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
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
	struct mf_coord before, after, got, b = coord_at(NAN, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_self(&t, &before);
	ack(&t, "b", &b, 50);
	mf_coord_tracker_self(&t, &after);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->rejected, 1);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

static void test_rtt_out_of_range_is_rejected(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = coord_at(0.01, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 0);
	ack(&t, "b", &b, 11000);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->rejected, 2);
	CU_ASSERT_EQUAL(mf_coord_tracker_count(&t), 0);
	mf_coord_tracker_free(&t);
}

static void test_reaped_member_is_forgotten(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = coord_at(0.03, 0), got;
	struct mf_pool_event ev = { .kind = MF_EV_REAPED, .name = "b" };
	double est;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
	ack(&t, "c", &b, 50);
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
	struct mf_coord b = coord_at(0.03, 0), got;
	const enum mf_event_kind kinds[] = { MF_EV_SUSPECT, MF_EV_FAILED, MF_EV_LEFT, MF_EV_JOIN };
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
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
	struct mf_coord self, got, b = coord_at(0.03, 0);
	double est;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
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
	struct mf_coord b = coord_at(0.03, 0), c = coord_at(0, 0.04), self;
	double d;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
	ack(&t, "c", &c, 50);
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
	struct mf_coord b = coord_at(0.03, 0);
	double d, est;
	int measured = 1;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 50);
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
	c = coord_at(0.100, 0), ack(t, "x1", &c, 100);
	c = coord_at(0.120, 0), ack(t, "x2", &c, 120);
	c = coord_at(0.140, 0), ack(t, "x3", &c, 140);
	c = coord_at(0.900, 0), ack(t, "x4", &c, 900); /* failed below */
	c = coord_at(0, 0.200), ack(t, "y1", &c, 200);
	c = coord_at(0, 0.260), ack(t, "y2", &c, 260);
	c = coord_at(0.001, 0), ack(t, "s2", &c, 1);
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

/* --- announcements ----------------------------------------------------------*/

static void test_announcement_is_due_after_a_sample_and_then_only_after_a_move(void)
{
	struct mf_coord_tracker t;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	struct mf_coord b = coord_at(0.020, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0); /* nothing learnt */
	ack(&t, "b", &b, 20);
	size_t n = mf_coord_tracker_announce(&t, buf, sizeof(buf));
	CU_ASSERT(n > 2);
	CU_ASSERT_EQUAL(buf[0], 200);
	CU_ASSERT_EQUAL(buf[1], MF_COORD_TRACKER_MSG_ANNOUNCE);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0); /* same place */
	struct mf_coord far = coord_at(0.5, 0.5);
	CU_ASSERT_EQUAL(mf_coord_client_set(&t.client, &far), 0);
	CU_ASSERT(mf_coord_tracker_announce(&t, buf, sizeof(buf)) > 2);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 2);
	mf_coord_tracker_free(&t);
}

/* issue 12: on loopback (RTTs of 0.1-0.2 ms) every sample moves the
 * coordinate by more than 2% of the median RTT; moves under
 * MF_COORD_TRACKER_ANNOUNCE_MOVE_MIN are not announced, larger ones are. */
static void test_announcement_ignores_moves_under_the_floor_on_a_lan(void)
{
	struct mf_coord_tracker t;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	for (int i = 0; i < 40; i++) {
		struct mf_coord b = coord_at(0.0001 * (i % 3), 0.00005 * (i % 2));
		char node[8];
		snprintf(node, sizeof(node), "b%d", i % 5);
		ack(&t, node, &b, 0.1 + 0.05 * (i % 4));
		(void)mf_coord_tracker_announce(&t, buf, sizeof(buf));
	}
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 1);
	struct mf_coord c;
	mf_coord_client_get(&t.client, &c);
	c.vec[0] += 0.002; /* 2 ms: news */
	CU_ASSERT_EQUAL(mf_coord_client_set(&t.client, &c), 0);
	CU_ASSERT(mf_coord_tracker_announce(&t, buf, sizeof(buf)) > 2);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 2);
	mf_coord_tracker_free(&t);
}

/* An announcement the pool cannot queue (a UDP buffer too small for it)
 * is an error, not an announcement; the next call, with room, sends it. */
static void test_announcement_not_queued_is_not_counted(void)
{
	struct mf_coord_tracker t;
	struct mf_coord b = coord_at(0.020, 0);
	struct mf_pool_config pc;
	mf_pool_t *pool;
	mf_pool_config_init(&pc, MF_PROFILE_LOCAL);
	strcpy(pc.name, "a");
	CU_ASSERT_FATAL(mf_addr_parse("10.0.0.1:7946", 7946, &pc.advertise) == 0);
	pc.timing.udp_buffer_size = 65; /* the least a pool takes */
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&pc, 0, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 20);
	CU_ASSERT(mf_coord_tracker_announce_to(&t, pool) < 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announce_errors, 1);
	mf_pool_free(pool);
	pc.timing.udp_buffer_size = 1400;
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&pc, 0, &pool), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce_to(&t, pool), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce_to(&t, pool), 0); /* same place: not due */
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announced, 1);
	mf_pool_free(pool);
	mf_coord_tracker_free(&t);
}

static void test_serf_mode_never_announces(void)
{
	struct mf_coord_tracker t;
	struct mf_coord_config cfg;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	struct mf_coord b = coord_at(0.020, 0);
	mf_coord_config_default(&cfg);
	cfg.mode = MF_COORD_MODE_SERF;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", &cfg), 0);
	ack(&t, "b", &b, 20);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0);
	mf_coord_tracker_free(&t);
}

/* A pin holds what we send through samples that would move us; released,
 * the fit moves us again; serf mode and invalid pins are refused. */
static void test_pin_holds_our_coordinate_through_samples(void)
{
	struct mf_coord_tracker t, serf;
	struct mf_coord_config cfg;
	struct mf_coord pos = coord_at(0.030, -0.010), b = coord_at(0.100, 0), self, bad;
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len;
	struct mf_coord sent;

	pos.height = 0.004;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&t, &pos), 0);
	for (int i = 0; i < 5; i++)
		ack(&t, "b", &b, 20); /* b is 100 ms away by coordinates: a fit would move */
	mf_coord_tracker_self(&t, &self);
	CU_ASSERT_DOUBLE_EQUAL(self.vec[0], 0.030, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(self.vec[1], -0.010, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(self.height, 0.004, 1e-12);
	CU_ASSERT_EQUAL(self.error, t.client.coord.error); /* the client's own */
	len = mf_coord_tracker_ack_payload(&t, buf, sizeof(buf));
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(buf, len, &sent), 0);
	CU_ASSERT_DOUBLE_EQUAL(sent.vec[0], 0.030, 1e-12);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->updates, 5); /* samples still taken */

	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&t, NULL), 0);
	ack(&t, "b", &b, 20);
	mf_coord_tracker_self(&t, &self);
	CU_ASSERT(fabs(self.vec[0] - 0.030) + fabs(self.vec[1] + 0.010) > 1e-4);

	bad = pos;
	bad.vec[0] = NAN;
	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&t, &bad), MF_EINVAL);
	bad = pos;
	bad.dim = 3;
	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&t, &bad), MF_EINVAL);
	CU_ASSERT_FALSE(t.pinned);
	mf_coord_tracker_free(&t);

	mf_coord_config_default(&cfg);
	cfg.mode = MF_COORD_MODE_SERF;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&serf, "s", &cfg), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&serf, &pos), MF_EINVAL);
	mf_coord_tracker_free(&serf);
}

/* b's announcement, as b's tracker builds it, at coordinate at. */
static size_t announcement_of_b(struct mf_coord at, uint8_t *buf, size_t cap)
{
	struct mf_coord_tracker b;
	struct mf_coord c = coord_at(0, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&b, "b", NULL), 0);
	ack(&b, "c", &c, 20);
	CU_ASSERT_EQUAL(mf_coord_client_set(&b.client, &at), 0);
	size_t n = mf_coord_tracker_announce(&b, buf, cap);
	mf_coord_tracker_free(&b);
	return n;
}

static void test_announcement_is_the_members_latest_coordinate_for_the_next_fit(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got, old = coord_at(0.010, 0), now = coord_at(0.030, 0.002);
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &old, 20);
	size_t n = announcement_of_b(now, buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 2);
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_in, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_DOUBLE_EQUAL(got.vec[0], 0.030, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(got.vec[1], 0.002, 1e-12);
	/* the client's table too: what its next fit anchors to */
	CU_ASSERT_DOUBLE_EQUAL(t.client.peers[0].coord.vec[0], 0.030, 1e-12);
	CU_ASSERT_EQUAL(t.client.peers[0].nsamples, 1); /* no sample added */
	mf_coord_tracker_free(&t);
}

static void test_announcement_of_an_unsampled_member_is_cached(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	size_t n = announcement_of_b(coord_at(0.040, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_EQUAL(t.client.npeers, 0);
	mf_coord_tracker_free(&t);
}

/* A coordinate announced under b's name that puts b 2,800 s from us (the
 * issue's `meshfed rtt` of 2,825,571 ms) is refused: no RTT is that long. */
static void test_announcement_implying_an_impossible_rtt_is_refused(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	size_t n = announcement_of_b(coord_at(2800, 0), buf, sizeof(buf));
	CU_ASSERT_FATAL(n > 2);
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_too_far, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_in, 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	mf_coord_tracker_free(&t);
}

/* We probe b and measure 20 ms: an announcement putting b 400 ms away
 * disagrees with our measurement, which wins; one at 30 ms is taken. */
static void test_our_measurement_wins_over_an_implausible_announcement(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got, b = coord_at(0.020, 0);
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	ack(&t, "b", &b, 20);
	size_t n = announcement_of_b(coord_at(0.400, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_implausible, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_DOUBLE_EQUAL(got.vec[0], 0.020, 1e-12); /* from b's own ack */
	CU_ASSERT_DOUBLE_EQUAL(t.client.peers[0].coord.vec[0], 0.020, 1e-12);
	n = announcement_of_b(coord_at(0.030, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_in, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_DOUBLE_EQUAL(got.vec[0], 0.030, 1e-12);
	mf_coord_tracker_free(&t);
}

static void test_bad_or_self_announcements_are_counted_and_change_nothing(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "b", NULL), 0);
	size_t n = announcement_of_b(coord_at(0.040, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n); /* about ourselves */
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces, 1);
	mf_coord_tracker_free(&t);

	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_on_user_msg(&t, buf, n - 10); /* cut */
	const uint8_t garbage[] = {200, MF_COORD_TRACKER_MSG_ANNOUNCE, 0xc1, 0x01};
	mf_coord_tracker_on_user_msg(&t, garbage, sizeof(garbage));
	struct mf_coord nan_at = coord_at(NAN, 0);
	uint8_t nb[MF_COORD_TRACKER_ANNOUNCE_MAX];
	size_t nn = announcement_of_b(coord_at(0.040, 0), nb, sizeof(nb));
	/* the same message with the first vector component made NaN */
	uint8_t enc[MF_COORD_WIRE_MAX];
	size_t elen = 0;
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&nan_at, enc, sizeof(enc), &elen), 0);
	CU_ASSERT_FATAL(nn > elen);
	memcpy(nb + nn - elen, enc, elen);
	mf_coord_tracker_on_user_msg(&t, nb, nn);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces, 3);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_in, 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), MF_ENOTFOUND);
	/* other messages are not ours: ignored, not counted */
	const uint8_t advert[] = {200, 1, 0x80}, serf[] = {0, 0x80};
	mf_coord_tracker_on_user_msg(&t, advert, sizeof(advert));
	mf_coord_tracker_on_user_msg(&t, serf, sizeof(serf));
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces, 3);
	mf_coord_tracker_free(&t);
}

/* issue 11: `08 c8 02 dd 7f ff ff ff` (user message, announcement, a
 * 2^31-element array) made msgpack-c reserve ~50 GB: ASan aborted. The
 * checked entry refuses it, and every cut or size-mutated variant, without
 * allocating for the declared count. */
static void test_announcement_declaring_a_huge_array_is_refused_unallocated(void)
{
	struct mf_coord_tracker t;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	const uint8_t issue[] = {0xc8, 0x02, 0xdd, 0x7f, 0xff, 0xff, 0xff};
	mf_coord_tracker_on_user_msg(&t, issue, sizeof(issue));
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces, 1);
	/* a good announcement with each byte that looks like a fixmap, fixarray
	 * or fixstr header widened to its 32-bit form declaring 2^31-1 */
	size_t n = announcement_of_b(coord_at(0.040, 0), buf, sizeof(buf));
	uint64_t calls = 1;
	for (size_t i = 2; i < n; i++) {
		uint8_t m[MF_COORD_TRACKER_ANNOUNCE_MAX + 8];
		uint8_t b = buf[i];
		if (b < 0x80 || b > 0xbf)
			continue;
		memcpy(m, buf, i);
		m[i] = b <= 0x8f ? 0xdf : b <= 0x9f ? 0xdd : 0xdb;
		m[i + 1] = 0x7f;
		m[i + 2] = m[i + 3] = m[i + 4] = 0xff;
		memcpy(m + i + 5, buf + i + 1, n - i - 1);
		mf_coord_tracker_on_user_msg(&t, m, n + 4);
		calls++;
	}
	/* each refused and counted (a payload byte that happened to look like a
	 * header may decode: counted as taken) */
	CU_ASSERT(calls > 3);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces +
			mf_coord_tracker_stats(&t)->announces_in, calls);
	CU_ASSERT(mf_coord_tracker_stats(&t)->bad_announces >= 3);
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
	struct mf_coord c = coord_at(0.05, 0);
	char name[16];
	for (unsigned k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "m%u", (k * step) % n);
		c.vec[1] = k * 1e-4;
		ack(t, name, &c, 50);
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
	struct mf_coord c = coord_at(0.05, 0), got;
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
		ack(&t, name, &c, 50);
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
		TEST(test_pin_holds_our_coordinate_through_samples),
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
		TEST(test_dc_rtt_without_coordinates_is_not_found),
		TEST(test_dc_pair_rtt_is_the_median_over_all_server_pairs),
		TEST(test_delegate_sets_the_coordinate_hooks_only),
		TEST(test_announcement_is_due_after_a_sample_and_then_only_after_a_move),
		TEST(test_announcement_ignores_moves_under_the_floor_on_a_lan),
		TEST(test_serf_mode_never_announces),
		TEST(test_announcement_is_the_members_latest_coordinate_for_the_next_fit),
		TEST(test_announcement_of_an_unsampled_member_is_cached),
		TEST(test_bad_or_self_announcements_are_counted_and_change_nothing),
		TEST(test_announcement_declaring_a_huge_array_is_refused_unallocated),
		TEST(test_announcement_implying_an_impossible_rtt_is_refused),
		TEST(test_our_measurement_wins_over_an_implausible_announcement),
		TEST(test_bad_name_or_config_is_refused),
		TEST(test_announcement_not_queued_is_not_counted),
		TEST(test_many_members_stay_sorted_and_findable),
		TEST(test_forgetting_members_keeps_the_others_findable),
		TEST(test_shared_names_cost_no_interned_copy),
	};
	return RUN_SUITE("coord_tracker", tests);
}

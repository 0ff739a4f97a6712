/*
 * tests/coord_tracker/test_coord_tracker_announce.c — the tracker's own
 * coordinate announcements (user messages): when one is due, what a pin
 * holds, and what a received announcement may change in the cache.
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
#include "tests/coord_tracker/tracker_hand.h"
#include "tests/cunit_main.h"

static void test_announcement_is_due_after_a_sample_and_then_only_after_a_move(void)
{
	struct mf_coord_tracker t;
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	struct mf_coord b = h_coord_at(0.020, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0); /* nothing learnt */
	h_ack(&t, "b", &b, 20);
	size_t n = mf_coord_tracker_announce(&t, buf, sizeof(buf));
	CU_ASSERT(n > 2);
	CU_ASSERT_EQUAL(buf[0], 200);
	CU_ASSERT_EQUAL(buf[1], MF_COORD_TRACKER_MSG_ANNOUNCE);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0); /* same place */
	struct mf_coord far = h_coord_at(0.5, 0.5);
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
		struct mf_coord b = h_coord_at(0.0001 * (i % 3), 0.00005 * (i % 2));
		char node[8];
		snprintf(node, sizeof(node), "b%d", i % 5);
		h_ack(&t, node, &b, 0.1 + 0.05 * (i % 4));
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
	struct mf_coord b = h_coord_at(0.020, 0);
	struct mf_pool_config pc;
	mf_pool_t *pool;
	mf_pool_config_init(&pc, MF_PROFILE_LOCAL);
	strcpy(pc.name, "a");
	CU_ASSERT_FATAL(mf_addr_parse("10.0.0.1:7946", 7946, &pc.advertise) == 0);
	pc.timing.udp_buffer_size = 65; /* the least a pool takes */
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&pc, 0, &pool), 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 20);
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
	struct mf_coord b = h_coord_at(0.020, 0);
	mf_coord_config_default(&cfg);
	cfg.mode = MF_COORD_MODE_SERF;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", &cfg), 0);
	h_ack(&t, "b", &b, 20);
	CU_ASSERT_EQUAL(mf_coord_tracker_announce(&t, buf, sizeof(buf)), 0);
	mf_coord_tracker_free(&t);
}

/* A pin holds what we send through samples that would move us; released,
 * the fit moves us again; serf mode and invalid pins are refused. */
static void test_pin_holds_our_coordinate_through_samples(void)
{
	struct mf_coord_tracker t, serf;
	struct mf_coord_config cfg;
	struct mf_coord pos = h_coord_at(0.030, -0.010), b = h_coord_at(0.100, 0), self, bad;
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len;
	struct mf_coord sent;

	pos.height = 0.004;
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	CU_ASSERT_EQUAL(mf_coord_tracker_pin(&t, &pos), 0);
	for (int i = 0; i < 5; i++)
		h_ack(&t, "b", &b, 20); /* b is 100 ms away by coordinates: a fit would move */
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
	h_ack(&t, "b", &b, 20);
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
	struct mf_coord c = h_coord_at(0, 0);
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&b, "b", NULL), 0);
	h_ack(&b, "c", &c, 20);
	CU_ASSERT_EQUAL(mf_coord_client_set(&b.client, &at), 0);
	size_t n = mf_coord_tracker_announce(&b, buf, cap);
	mf_coord_tracker_free(&b);
	return n;
}

static void test_announcement_is_the_members_latest_coordinate_for_the_next_fit(void)
{
	struct mf_coord_tracker t;
	struct mf_coord got, old = h_coord_at(0.010, 0), now = h_coord_at(0.030, 0.002);
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &old, 20);
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
	size_t n = announcement_of_b(h_coord_at(0.040, 0), buf, sizeof(buf));
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
	size_t n = announcement_of_b(h_coord_at(2800, 0), buf, sizeof(buf));
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
	struct mf_coord got, b = h_coord_at(0.020, 0);
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	h_ack(&t, "b", &b, 20);
	size_t n = announcement_of_b(h_coord_at(0.400, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n);
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->announces_implausible, 1);
	CU_ASSERT_EQUAL(mf_coord_tracker_get(&t, "b", &got), 0);
	CU_ASSERT_DOUBLE_EQUAL(got.vec[0], 0.020, 1e-12); /* from b's own ack */
	CU_ASSERT_DOUBLE_EQUAL(t.client.peers[0].coord.vec[0], 0.020, 1e-12);
	n = announcement_of_b(h_coord_at(0.030, 0), buf, sizeof(buf));
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
	size_t n = announcement_of_b(h_coord_at(0.040, 0), buf, sizeof(buf));
	mf_coord_tracker_on_user_msg(&t, buf, n); /* about ourselves */
	CU_ASSERT_EQUAL(mf_coord_tracker_stats(&t)->bad_announces, 1);
	mf_coord_tracker_free(&t);

	CU_ASSERT_EQUAL_FATAL(mf_coord_tracker_init(&t, "a", NULL), 0);
	mf_coord_tracker_on_user_msg(&t, buf, n - 10); /* cut */
	const uint8_t garbage[] = {200, MF_COORD_TRACKER_MSG_ANNOUNCE, 0xc1, 0x01};
	mf_coord_tracker_on_user_msg(&t, garbage, sizeof(garbage));
	struct mf_coord nan_at = h_coord_at(NAN, 0);
	uint8_t nb[MF_COORD_TRACKER_ANNOUNCE_MAX];
	size_t nn = announcement_of_b(h_coord_at(0.040, 0), nb, sizeof(nb));
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
	size_t n = announcement_of_b(h_coord_at(0.040, 0), buf, sizeof(buf));
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

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_announcement_is_due_after_a_sample_and_then_only_after_a_move),
		TEST(test_announcement_ignores_moves_under_the_floor_on_a_lan),
		TEST(test_announcement_not_queued_is_not_counted),
		TEST(test_serf_mode_never_announces),
		TEST(test_pin_holds_our_coordinate_through_samples),
		TEST(test_announcement_is_the_members_latest_coordinate_for_the_next_fit),
		TEST(test_announcement_of_an_unsampled_member_is_cached),
		TEST(test_announcement_implying_an_impossible_rtt_is_refused),
		TEST(test_our_measurement_wins_over_an_implausible_announcement),
		TEST(test_bad_or_self_announcements_are_counted_and_change_nothing),
		TEST(test_announcement_declaring_a_huge_array_is_refused_unallocated),
	};
	return RUN_SUITE("coord_tracker_announce", tests);
}

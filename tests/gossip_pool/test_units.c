/* Unit tests: suspicion arithmetic, transmit limits, the broadcast queue,
 * health scoring, profiles and address helpers. */
#include <CUnit/Basic.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/health.h"
#include "gossip/pool.h"
#include "gossip/rng.h"
#include "gossip/members.h"
#include "gossip/suspicion.h"
#include "tests/cunit_main.h"

#define MS(x) ((int64_t)(x) * 1000000)

/* --- suspicion ----------------------------------------------------------- */

static void test_suspicion_min_timeout_matches_memberlist(void)
{
	/* memberlist util_test.go TestSuspicionTimeout, mult 3, interval 1 s */
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(3, 5, MF_SEC), MS(3000));
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(3, 10, MF_SEC), MS(3000));
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(3, 50, MF_SEC), MS(5094));
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(3, 100, MF_SEC), MS(6000));
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(3, 1000, MF_SEC), MS(9000));
	/* n clamps to 1: never below mult * interval */
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(4, 0, MF_SEC), MS(4000));
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(4, 16, MF_SEC), MS(4816));
	/* wan: mult 6, 5 s, 222 members: log10(222) = 2.346 */
	CU_ASSERT_EQUAL(mf_suspicion_min_timeout(6, 222, 5 * MF_SEC), MS(70380));
}

static void test_suspicion_timeout_shrinks_with_confirmations(void)
{
	/* memberlist suspicion_test.go TestSuspicion_remainingSuspicionTime:
	 * k = 3, min 2 s, max 30 s */
	int64_t min = 2 * MF_SEC, max = 30 * MF_SEC;
	CU_ASSERT_EQUAL(mf_suspicion_timeout(0, 3, min, max), MS(30000));
	CU_ASSERT_EQUAL(mf_suspicion_timeout(1, 3, min, max), MS(16000));
	CU_ASSERT_EQUAL(mf_suspicion_timeout(2, 3, min, max), MS(7810));
	CU_ASSERT_EQUAL(mf_suspicion_timeout(3, 3, min, max), MS(2000));
	CU_ASSERT_EQUAL(mf_suspicion_timeout(4, 3, min, max), MS(2000));
	/* k = 0: min at once */
	CU_ASSERT_EQUAL(mf_suspicion_timeout(0, 0, min, max), min);
}

static void test_suspicion_counts_each_confirmer_once(void)
{
	struct mf_suspicion s;
	int64_t min = 2 * MF_SEC, max = 30 * MF_SEC;
	CU_ASSERT_EQUAL(mf_suspicion_start(&s, "a", 1, 3, min, max, 0), 0);
	CU_ASSERT_EQUAL(s.deadline, max);
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, "a", 1, MF_SEC)); /* originator */
	CU_ASSERT_TRUE(mf_suspicion_confirm(&s, "b", 1, MF_SEC));
	CU_ASSERT_EQUAL(s.deadline, MS(16000));
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, "b", 1, MF_SEC));
	CU_ASSERT_TRUE(mf_suspicion_confirm(&s, "c", 1, MF_SEC));
	CU_ASSERT_TRUE(mf_suspicion_confirm(&s, "d", 1, MF_SEC));
	CU_ASSERT_EQUAL(s.deadline, min);
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, "e", 1, MF_SEC)); /* k reached */
	mf_suspicion_free(&s);
}

/* fuzz_pool's finding (corpus/pool/ubsan-empty-from-suspicion-60): a
 * suspect whose From is "" decodes to (NULL, 0); comparing it must not pass
 * NULL to memcmp (UBSan), and it is one confirmer like any other name. */
static void test_suspicion_empty_confirmer_name_is_a_name(void)
{
	struct mf_suspicion s;
	CU_ASSERT_EQUAL(mf_suspicion_start(&s, NULL, 0, 3, 2 * MF_SEC, 30 * MF_SEC, 0), 0);
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, NULL, 0, MF_SEC)); /* the originator */
	CU_ASSERT_TRUE(mf_suspicion_confirm(&s, "b", 1, MF_SEC));
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, NULL, 0, MF_SEC));
	CU_ASSERT_EQUAL(s.n, 1);
	mf_suspicion_free(&s);
	CU_ASSERT_EQUAL(mf_suspicion_start(&s, "a", 1, 3, 2 * MF_SEC, 30 * MF_SEC, 0), 0);
	CU_ASSERT_TRUE(mf_suspicion_confirm(&s, NULL, 0, MF_SEC));
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, "", 0, MF_SEC));
	mf_suspicion_free(&s);
}

/* fuzz_pool's finding (corpus/pool/ubsan-empty-name-members-48): a
 * member name that is empty may be (NULL, 0); it orders before every other
 * name without memcmp on NULL (UBSan). */
static void test_members_empty_name_orders_first(void)
{
	CU_ASSERT(mf_members_cmp_name(NULL, 0, "a", 1) < 0);
	CU_ASSERT(mf_members_cmp_name("a", 1, NULL, 0) > 0);
	CU_ASSERT_EQUAL(mf_members_cmp_name(NULL, 0, "", 0), 0);
	CU_ASSERT(mf_members_cmp_name("a", 1, "ab", 2) < 0);
}

static void test_suspicion_without_expected_confirmations_uses_min(void)
{
	struct mf_suspicion s;
	CU_ASSERT_EQUAL(mf_suspicion_start(&s, "a", 1, 0, MS(4000), MS(24000), MS(100)), 0);
	CU_ASSERT_EQUAL(s.deadline, MS(4100));
	CU_ASSERT_FALSE(mf_suspicion_confirm(&s, "b", 1, MS(200)));
	mf_suspicion_free(&s);
}

static void test_suspicion_confirmation_past_deadline_fires_now(void)
{
	struct mf_suspicion s;
	mf_suspicion_start(&s, "a", 1, 3, 2 * MF_SEC, 30 * MF_SEC, 0);
	mf_suspicion_confirm(&s, "b", 1, 20 * MF_SEC); /* 16 s already passed */
	CU_ASSERT_EQUAL(s.deadline, 20 * MF_SEC);
	mf_suspicion_free(&s);
}

/* --- transmit limits and the queue ------------------------------------------ */

static void test_retransmit_limit_values(void)
{
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(4, 1), 4);
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(4, 9), 4);
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(4, 10), 8);
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(4, 99), 8);
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(4, 1000), 16);
	CU_ASSERT_EQUAL(mf_bcast_retransmit_limit(3, 0), 0); /* memberlist too */
}

static size_t get_all(struct mf_bcast_queue *q, size_t limit, size_t n, struct mf_bytes *out)
{
	static uint8_t buf[4096];
	size_t got = 0;
	mf_bcast_get(q, 2, limit, n, buf, sizeof(buf), out, 64, &got);
	return got;
}

static void test_broadcast_named_message_invalidates_older(void)
{
	struct mf_bcast_queue q;
	struct mf_bytes out[8];
	mf_bcast_init(&q, 4);
	mf_bcast_push(&q, "node1", 5, (const uint8_t *)"old", 3, false);
	mf_bcast_push(&q, "node2", 5, (const uint8_t *)"other", 5, false);
	mf_bcast_push(&q, "node1", 5, (const uint8_t *)"new", 3, false);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), 2);
	size_t n = get_all(&q, 1000, 1, out);
	CU_ASSERT_EQUAL(n, 2);
	bool saw_new = false, saw_old = false;
	for (size_t i = 0; i < n; i++) {
		saw_new |= out[i].len == 3 && memcmp(out[i].p, "new", 3) == 0;
		saw_old |= out[i].len == 3 && memcmp(out[i].p, "old", 3) == 0;
	}
	CU_ASSERT_TRUE(saw_new);
	CU_ASSERT_FALSE(saw_old);
	mf_bcast_free(&q);
}

static void test_broadcast_unnamed_messages_never_invalidate(void)
{
	struct mf_bcast_queue q;
	mf_bcast_init(&q, 4);
	mf_bcast_push(&q, NULL, 0, (const uint8_t *)"a", 1, false);
	mf_bcast_push(&q, NULL, 0, (const uint8_t *)"a", 1, false);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), 2);
	mf_bcast_free(&q);
}

static void test_broadcast_fewest_transmits_first_then_larger_then_newer(void)
{
	struct mf_bcast_queue q;
	struct mf_bytes out[8];
	mf_bcast_init(&q, 4);
	mf_bcast_push(&q, "a", 1, (const uint8_t *)"aa", 2, false);
	/* 10 + 2 overhead fits a limit of 13 with nothing else: "aa" sent once */
	CU_ASSERT_EQUAL(get_all(&q, 5, 1, out), 1);
	mf_bcast_push(&q, "b", 1, (const uint8_t *)"bbb", 3, false);
	mf_bcast_push(&q, "c", 1, (const uint8_t *)"cccc", 4, false);
	mf_bcast_push(&q, "d", 1, (const uint8_t *)"dddd", 4, false);
	size_t n = get_all(&q, 1000, 1, out);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(memcmp(out[0].p, "dddd", 4), 0); /* untransmitted, longest, newest */
	CU_ASSERT_EQUAL(memcmp(out[1].p, "cccc", 4), 0);
	CU_ASSERT_EQUAL(memcmp(out[2].p, "bbb", 3), 0);
	CU_ASSERT_EQUAL(memcmp(out[3].p, "aa", 2), 0);  /* sent once before */
	mf_bcast_free(&q);
}

static void test_broadcast_packs_what_fits_and_skips_larger(void)
{
	struct mf_bcast_queue q;
	struct mf_bytes out[8];
	mf_bcast_init(&q, 4);
	mf_bcast_push(&q, "big", 3, (const uint8_t *)"0123456789", 10, false);
	mf_bcast_push(&q, "small", 5, (const uint8_t *)"xy", 2, false);
	/* limit 8: the 10-byte one never fits, the 2-byte one does */
	CU_ASSERT_EQUAL(get_all(&q, 8, 1, out), 1);
	CU_ASSERT_EQUAL(out[0].len, 2);
	mf_bcast_free(&q);
}

static void test_broadcast_dropped_after_transmit_limit(void)
{
	struct mf_bcast_queue q;
	struct mf_bytes out[8];
	mf_bcast_init(&q, 4);
	mf_bcast_push(&q, "x", 1, (const uint8_t *)"m", 1, true);
	/* n = 1: limit 4 transmissions */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(get_all(&q, 100, 1, out), 1);
	CU_ASSERT_EQUAL(get_all(&q, 100, 1, out), 0);
	CU_ASSERT_EQUAL(q.finished_notify, 1);
	mf_bcast_free(&q);
}

/* --- health -------------------------------------------------------------- */

static void test_health_score_clamps_to_bounds(void)
{
	struct mf_health h;
	mf_health_init(&h, 8);
	mf_health_apply(&h, -1);
	CU_ASSERT_EQUAL(h.score, 0);
	mf_health_apply(&h, 100);
	CU_ASSERT_EQUAL(h.score, 7);
	mf_health_apply(&h, -3);
	CU_ASSERT_EQUAL(h.score, 4);
}

static void test_health_scales_timeouts_by_score_plus_one(void)
{
	struct mf_health h;
	mf_health_init(&h, 8);
	CU_ASSERT_EQUAL(mf_health_scale(&h, MF_SEC), MF_SEC);
	mf_health_apply(&h, 2);
	CU_ASSERT_EQUAL(mf_health_scale(&h, MF_SEC), 3 * MF_SEC);
	mf_health_apply(&h, 50);
	CU_ASSERT_EQUAL(mf_health_scale(&h, MF_SEC), 8 * MF_SEC);
}

/* --- config, names, addresses, rng ------------------------------------------ */

static void test_profiles_match_memberlist_defaults(void)
{
	struct mf_pool_timing t;
	mf_pool_timing_profile(&t, MF_PROFILE_WAN);
	CU_ASSERT_EQUAL(t.probe_interval, 5 * MF_SEC);
	CU_ASSERT_EQUAL(t.probe_timeout, 3 * MF_SEC);
	CU_ASSERT_EQUAL(t.suspicion_mult, 6);
	CU_ASSERT_EQUAL(t.gossip_nodes, 4);
	CU_ASSERT_EQUAL(t.gossip_to_the_dead, 60 * MF_SEC);
	mf_pool_timing_profile(&t, MF_PROFILE_LAN);
	CU_ASSERT_EQUAL(t.probe_interval, MF_SEC);
	CU_ASSERT_EQUAL(t.gossip_interval, 200 * MF_MS);
	CU_ASSERT_EQUAL(t.reconnect_interval, 30 * MF_SEC);
	CU_ASSERT_EQUAL(t.tombstone_timeout, 24 * 3600 * MF_SEC);
	mf_pool_timing_profile(&t, MF_PROFILE_LOCAL);
	CU_ASSERT_EQUAL(t.indirect_checks, 1);
	CU_ASSERT_EQUAL(t.probe_timeout, 200 * MF_MS);
	enum mf_profile p;
	CU_ASSERT_EQUAL(mf_profile_parse("local", &p), 0);
	CU_ASSERT_EQUAL(p, MF_PROFILE_LOCAL);
	CU_ASSERT_EQUAL(mf_profile_parse("moon", &p), MF_EINVAL);
}

static void test_member_status_names_round_trip(void)
{
	enum mf_member_status s;
	for (int i = MF_MEMBER_ALIVE; i <= MF_MEMBER_LEFT; i++) {
		CU_ASSERT_EQUAL(mf_member_status_parse(mf_member_status_str(i), &s), 0);
		CU_ASSERT_EQUAL((int)s, i);
	}
	CU_ASSERT_STRING_EQUAL(mf_member_status_str(MF_MEMBER_FAILED), "failed");
	CU_ASSERT_EQUAL(mf_member_status_parse("zombie", &s), MF_EINVAL);
}

static void test_addr_parse_and_format(void)
{
	struct mf_addr a, b;
	char buf[64];
	CU_ASSERT_EQUAL(mf_addr_parse("10.1.2.3:8000", 7946, &a), 0);
	CU_ASSERT_STRING_EQUAL(mf_addr_format(&a, buf, sizeof(buf)), "10.1.2.3:8000");
	CU_ASSERT_EQUAL(mf_addr_parse("10.1.2.3", 7946, &b), 0);
	CU_ASSERT_EQUAL(b.port, 7946);
	CU_ASSERT_FALSE(mf_addr_equal(&a, &b));
	CU_ASSERT_EQUAL(mf_addr_parse("[::1]:99", 7946, &a), 0);
	CU_ASSERT_EQUAL(a.ip_len, 16);
	CU_ASSERT_STRING_EQUAL(mf_addr_format(&a, buf, sizeof(buf)), "[::1]:99");
	CU_ASSERT_EQUAL(mf_addr_parse("::1", 7946, &a), 0);
	CU_ASSERT_EQUAL(a.port, 7946);
	CU_ASSERT_EQUAL(mf_addr_parse("1.2.3.4:0", 7946, &a), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_addr_parse("host:1", 7946, &a), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_addr_parse("1.2.3.4:99999", 7946, &a), MF_EINVAL);
}

static void test_rng_is_reproducible_per_seed(void)
{
	struct mf_rng a, b, c;
	mf_rng_seed(&a, 42);
	mf_rng_seed(&b, 42);
	mf_rng_seed(&c, 43);
	bool differs = false;
	for (int i = 0; i < 100; i++) {
		uint64_t x = mf_rng_next(&a);
		CU_ASSERT_EQUAL(x, mf_rng_next(&b));
		differs |= x != mf_rng_next(&c);
		CU_ASSERT(mf_rng_below(&a, 10) < 10);
		double u = mf_rng_unit(&b);
		CU_ASSERT(u >= 0 && u < 1);
		mf_rng_unit(&a);
		mf_rng_below(&b, 10);
	}
	CU_ASSERT_TRUE(differs);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "suspicion_min_timeout_matches_memberlist", test_suspicion_min_timeout_matches_memberlist },
		{ "suspicion_timeout_shrinks_with_confirmations", test_suspicion_timeout_shrinks_with_confirmations },
		{ "suspicion_counts_each_confirmer_once", test_suspicion_counts_each_confirmer_once },
		{ "suspicion_without_expected_confirmations_uses_min", test_suspicion_without_expected_confirmations_uses_min },
		{ "suspicion_confirmation_past_deadline_fires_now", test_suspicion_confirmation_past_deadline_fires_now },
		{ "retransmit_limit_values", test_retransmit_limit_values },
		{ "broadcast_named_message_invalidates_older", test_broadcast_named_message_invalidates_older },
		{ "broadcast_unnamed_messages_never_invalidate", test_broadcast_unnamed_messages_never_invalidate },
		{ "broadcast_fewest_transmits_first_then_larger_then_newer", test_broadcast_fewest_transmits_first_then_larger_then_newer },
		{ "broadcast_packs_what_fits_and_skips_larger", test_broadcast_packs_what_fits_and_skips_larger },
		{ "broadcast_dropped_after_transmit_limit", test_broadcast_dropped_after_transmit_limit },
		{ "health_score_clamps_to_bounds", test_health_score_clamps_to_bounds },
		{ "health_scales_timeouts_by_score_plus_one", test_health_scales_timeouts_by_score_plus_one },
		{ "profiles_match_memberlist_defaults", test_profiles_match_memberlist_defaults },
		{ "member_status_names_round_trip", test_member_status_names_round_trip },
		{ "addr_parse_and_format", test_addr_parse_and_format },
		{ "rng_is_reproducible_per_seed", test_rng_is_reproducible_per_seed },
		{ "suspicion_empty_confirmer_name_is_a_name", test_suspicion_empty_confirmer_name_is_a_name },
		{ "members_empty_name_orders_first", test_members_empty_name_orders_first },
	};
	return RUN_SUITE("gossip_pool_units", tests);
}

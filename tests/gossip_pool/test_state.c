/* State transitions of one pool, driven by crafted memberlist messages
 * (memberlist state.go aliveNode / suspectNode / deadNode semantics). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "gossip/codec.h"
#include "gossip/pool.h"
#include "gossip/suspicion.h"
#include "gossip/wire.h"
#include "tests/cunit_main.h"
#include "tests/gossip_pool/state_fixture.h"

static void test_new_pool_holds_only_itself_at_incarnation_one(void)
{
	CU_ASSERT_EQUAL(mf_pool_member_count(pool), 1);
	CU_ASSERT_STRING_EQUAL(mf_pool_name(pool), "me");
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("me"), 1);
	CU_ASSERT_EQUAL(events[MF_EV_JOIN], 0);
}

static void test_alive_adds_member_and_emits_join(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(mf_pool_member_count(pool), 2);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(events[MF_EV_JOIN], 1);
	CU_ASSERT_STRING_EQUAL(last_event_name, "b");
}

static void test_alive_suspect_dead_after_suspicion_timeout(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_suspect("b", 1, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	CU_ASSERT_EQUAL(events[MF_EV_SUSPECT], 1);
	/* n = 2: no confirmations expected, timeout = 4 * 1 * 1 s */
	CU_ASSERT_EQUAL(mf_pool_next_deadline(pool) <= 4 * MF_SEC, true);
	mf_pool_tick(pool, 4 * MF_SEC - 1);
	drain();
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	mf_pool_tick(pool, 4 * MF_SEC);
	drain();
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	CU_ASSERT_EQUAL(events[MF_EV_FAILED], 1);
}

static void test_suspect_refuted_by_higher_incarnation(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_suspect("b", 1, "c", 0);
	send_alive("b", 2, "10.0.0.2", "", MF_SEC);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("b"), 2);
	mf_pool_tick(pool, 10 * MF_SEC);
	drain();
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(events[MF_EV_FAILED], 0);
}

static void test_stale_incarnation_ignored(void)
{
	send_alive("b", 5, "10.0.0.2", "", 0);
	send_suspect("b", 4, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	send_dead("b", 4, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	send_alive("b", 5, "10.0.0.2", "x", 0); /* same incarnation: ignored */
	CU_ASSERT_EQUAL(events[MF_EV_UPDATE], 0);
	CU_ASSERT_EQUAL(inc_of("b"), 5);
}

static void test_dead_member_alive_again_on_higher_incarnation(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	send_alive("b", 1, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	send_alive("b", 2, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(events[MF_EV_JOIN], 2);
}

static void test_dead_from_itself_is_a_leave(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_dead("b", 1, "b", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_LEFT);
	CU_ASSERT_EQUAL(events[MF_EV_LEFT], 1);
	CU_ASSERT_EQUAL(events[MF_EV_FAILED], 0);
}

static void test_self_suspicion_refuted_with_higher_incarnation(void)
{
	struct mf_pool_stats st;
	send_suspect("me", 1, "b", 0);
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("me"), 2);
	send_dead("me", 7, "b", 0);
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("me"), 8);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.refutations, 2);
	CU_ASSERT_EQUAL(st.health_score, 2);
}

static void test_meta_change_emits_update(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("b", 2, "10.0.0.2", "tags", 0);
	CU_ASSERT_EQUAL(events[MF_EV_UPDATE], 1);
	struct mf_member m;
	mf_pool_member_find(pool, "b", &m);
	CU_ASSERT_EQUAL(m.meta_len, 4);
}

static void test_conflicting_address_ignored_unless_newer(void)
{
	struct mf_pool_stats st;
	struct mf_member m;
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("b", 1, "10.0.0.9", "", 0);
	mf_pool_member_find(pool, "b", &m);
	CU_ASSERT_EQUAL(m.addr.ip[3], 2);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.addr_conflicts, 1);
	send_alive("b", 2, "10.0.0.9", "", 0);
	mf_pool_member_find(pool, "b", &m);
	CU_ASSERT_EQUAL(m.addr.ip[3], 9);
}

static void test_ping_for_other_node_dropped(void)
{
	msgpack_sbuffer sb;
	struct mf_pool_stats st;
	struct mf_msg_ping ping = { 9, B("other"), { NULL, 0 }, 0, B("b") };
	msgpack_sbuffer_init(&sb);
	mf_codec_encode_ping(&sb, &ping);
	CU_ASSERT_EQUAL(mf_pool_udp_in(pool, 0, &peer_addr, (const uint8_t *)sb.data, sb.size),
			MF_ENAME);
	msgpack_sbuffer_destroy(&sb);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.bad_by_cause[-MF_ENAME], 1);
	CU_ASSERT_EQUAL(st.udp_out, 0);
}

static size_t ack_payload(void *ctx, uint8_t *buf, size_t cap)
{
	memcpy(buf, "xyz", 3);
	return 3;
}

static void test_ping_answered_with_ack_and_payload(void)
{
	msgpack_sbuffer sb;
	struct mf_pool_out o;
	struct mf_msg_ping ping = { 9, B("me"), { NULL, 0 }, 0, B("b") };
	struct mf_pool_config c = *mf_pool_config(pool);
	mf_pool_t *q;
	c.delegate.ack_payload = ack_payload;
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&c, 0, &q), 0);
	msgpack_sbuffer_init(&sb);
	mf_codec_encode_ping(&sb, &ping);
	CU_ASSERT_EQUAL(mf_pool_udp_in(q, 0, &peer_addr, (const uint8_t *)sb.data, sb.size), 0);
	msgpack_sbuffer_destroy(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_pool_next_output(q, &o), 1);
	CU_ASSERT_EQUAL(o.kind, MF_OUT_UDP);
	CU_ASSERT_TRUE(mf_addr_equal(&o.to, &peer_addr));
	struct mf_wire_scratch s;
	struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
	size_t n = 0;
	struct mf_msg_ack ack;
	mf_wire_scratch_init(&s);
	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, o.data, o.len, &s, msgs, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n >= 1, true);
	CU_ASSERT_EQUAL(msgs[0].type, MF_MSG_ACK);
	CU_ASSERT_EQUAL(mf_codec_decode_ack(msgs[0].body.p, msgs[0].body.len, &ack), 0);
	CU_ASSERT_EQUAL(ack.seq_no, 9);
	CU_ASSERT_EQUAL(ack.payload.len, 3);
	mf_wire_scratch_destroy(&s);
	mf_pool_free(q);
}

static void test_leave_alone_is_done_at_once_and_marks_self_left(void)
{
	CU_ASSERT_FALSE(mf_pool_leave_done(pool));
	CU_ASSERT_EQUAL(mf_pool_leave(pool, 0), 0);
	drain();
	CU_ASSERT_TRUE(mf_pool_leave_done(pool));
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_LEFT);
	/* an old alive about us no longer brings us back */
	send_alive("me", 9, "10.0.0.1", "", 0);
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_LEFT);
}

/* b never answers; the leave is done once our dead has been gossiped its
 * transmit limit, while b is still alive or suspect (b's death, which also
 * ends a leave, would take the suspicion timeout). */
static void test_leave_with_peers_waits_for_transmissions(void)
{
	mf_time_t now = 0;
	send_alive("b", 1, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(mf_pool_leave(pool, 0), 0);
	drain();
	CU_ASSERT_FALSE(mf_pool_leave_done(pool));
	while (!mf_pool_leave_done(pool) && now < 10 * MF_SEC) {
		now += 100 * MF_MS;
		mf_pool_tick(pool, now);
		drain();
	}
	CU_ASSERT_TRUE(mf_pool_leave_done(pool));
	CU_ASSERT(now >= 200 * MF_MS); /* not at once: there was someone to tell */
	enum mf_member_status b = status_of("b");
	CU_ASSERT(b == MF_MEMBER_ALIVE || b == MF_MEMBER_SUSPECT);
}

static void test_force_leave_rules(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(mf_pool_force_leave(pool, 0, "nobody"), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_pool_force_leave(pool, 0, "b"), MF_ESTATE);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL(mf_pool_force_leave(pool, 0, "b"), 0);
	drain();
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_LEFT);
}

static void test_unanswered_probe_leads_to_suspicion(void)
{
	struct mf_pool_stats st;
	send_alive("b", 1, "10.0.0.2", "", 0);
	tick_until(3 * MF_SEC);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT(st.probes >= 1);
	CU_ASSERT(st.probe_failures >= 1);
	CU_ASSERT(st.tcp_fallback_probes >= 1);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	CU_ASSERT(st.health_score >= 1);
}

static void test_inbound_push_pull_replies_and_merges(void)
{
	msgpack_sbuffer msg, frame;
	struct mf_pool_out o;
	struct mf_msg_push_node_state st[1] = { 0 };
	uint8_t ip[4] = { 10, 0, 0, 3 };
	uint8_t vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;
	st[0].name = B("c");
	st[0].addr.p = ip;
	st[0].addr.len = 4;
	st[0].port = 7946;
	st[0].incarnation = 3;
	st[0].state = MF_STATE_ALIVE;
	memcpy(st[0].vsn, vsn, sizeof(vsn));
	st[0].has_vsn = true;
	msgpack_sbuffer_init(&msg);
	msgpack_sbuffer_init(&frame);
	CU_ASSERT_EQUAL(mf_codec_encode_push_pull(&msg, true, st, 1, NULL, 0), 0);
	struct mf_wire_send_opts opts = { false, false };
	CU_ASSERT_EQUAL(mf_wire_seal_stream(NULL, (const uint8_t *)msg.data, msg.size, &opts, &frame), 0);
	CU_ASSERT_EQUAL(mf_pool_stream_in(pool, 0, 77, &peer_addr, (const uint8_t *)frame.data, frame.size), 0);
	bool replied = false;
	while (mf_pool_next_output(pool, &o) == 1)
		replied |= o.kind == MF_OUT_STREAM_REPLY && o.stream_id == 77;
	CU_ASSERT_TRUE(replied);
	CU_ASSERT_EQUAL(status_of("c"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("c"), 3);
	msgpack_sbuffer_destroy(&msg);
	msgpack_sbuffer_destroy(&frame);
}

static void test_garbage_input_is_counted_and_dropped(void)
{
	struct mf_pool_stats st;
	struct mf_pool_out o;
	uint8_t junk[64];
	uint32_t x = 12345;
	int dropped = 0, ended = 0, other = 0, user_rounds = 0;

	send_alive("b", 1, "10.0.0.2", "meta", 0);
	uint64_t version = mf_pool_members_version(pool);
	int events_before[16];
	memcpy(events_before, events, sizeof(events));
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		junk[0] = (uint8_t)(round % 14); /* every message type */
		user_rounds += junk[0] == MF_MSG_USER;
		dropped += mf_pool_udp_in(pool, 0, &peer_addr, junk, (size_t)(round % 64) + 1) < 0;
		dropped += mf_pool_stream_in(pool, 0, (uint64_t)round, &peer_addr, junk,
					     (size_t)(round % 64) + 1) < 0;
		/* Each garbage stream is closed, and nothing else goes out. */
		while (mf_pool_next_output(pool, &o) == 1) {
			if (o.kind == MF_OUT_STREAM_CLOSE && o.stream_id == (uint64_t)round)
				ended++;
			else
				other++;
		}
	}
	mf_pool_get_stats(pool, &st);
	/* Every input dropped and counted once, but user datagrams: opaque to
	 * the pool, they go to the delegate (none here). */
	CU_ASSERT_EQUAL(dropped, 400 - user_rounds);
	CU_ASSERT_EQUAL(st.bad_packets, (uint64_t)dropped);
	uint64_t sum = 0;
	for (int i = 0; i < MF_ERR_COUNT_; i++)
		sum += st.bad_by_cause[i];
	CU_ASSERT_EQUAL(sum, st.bad_packets);
	CU_ASSERT_EQUAL(ended, 200);
	CU_ASSERT_EQUAL(other, 0);
	/* Membership and state unchanged. */
	CU_ASSERT_EQUAL(mf_pool_members_version(pool), version);
	CU_ASSERT_EQUAL(memcmp(events, events_before, sizeof(events)), 0);
	CU_ASSERT_EQUAL(mf_pool_member_count(pool), 2);
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("me"), 1);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("b"), 1);
	struct mf_member b;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(pool, "b", &b), 0);
	CU_ASSERT_EQUAL(b.meta_len, 4);
}

static void test_failed_and_left_members_reaped_after_their_timeouts(void)
{
	struct mf_pool_config c = *mf_pool_config(pool);
	c.timing.reconnect_timeout = 60 * MF_SEC;
	c.timing.tombstone_timeout = 120 * MF_SEC;
	c.timing.reconnect_interval = 0; /* no reconnect noise */
	mf_pool_free(pool);
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&c, 0, &pool), 0);
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("c", 1, "10.0.0.3", "", 0);
	send_dead("b", 1, "me", 0);  /* failed */
	send_dead("c", 1, "c", 0);   /* left */
	for (mf_time_t now = 0; now <= 80 * MF_SEC; now += MF_SEC) {
		mf_pool_tick(pool, now);
		drain();
	}
	struct mf_member m;
	CU_ASSERT_EQUAL(mf_pool_member_find(pool, "b", &m), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(status_of("c"), MF_MEMBER_LEFT);
	CU_ASSERT_EQUAL(events[MF_EV_REAPED], 1);
	for (mf_time_t now = 81 * MF_SEC; now <= 140 * MF_SEC; now += MF_SEC) {
		mf_pool_tick(pool, now);
		drain();
	}
	CU_ASSERT_EQUAL(mf_pool_member_find(pool, "c", &m), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(events[MF_EV_REAPED], 2);
	CU_ASSERT_EQUAL(mf_pool_member_count(pool), 1);
}

static void test_join_reports_done_with_outcome(void)
{
	struct mf_pool_out o;
	struct mf_addr seed;
	uint64_t id = 0, opened = 0;
	bool done = false, ok = true;
	mf_addr_parse("10.0.0.9:7946", 7946, &seed);
	CU_ASSERT_EQUAL(mf_pool_join(pool, 0, &seed, &id), 0);
	while (mf_pool_next_output(pool, &o) == 1)
		if (o.kind == MF_OUT_STREAM_OPEN && o.expect_reply && mf_addr_equal(&o.to, &seed))
			opened = o.stream_id;
	CU_ASSERT_EQUAL(opened, id);
	mf_pool_stream_failed(pool, MF_SEC, id);
	while (mf_pool_next_output(pool, &o) == 1)
		if (o.kind == MF_OUT_EVENT && o.event.kind == MF_EV_JOIN_DONE && o.event.join_id == id) {
			done = true;
			ok = o.event.ok;
		}
	CU_ASSERT_TRUE(done);
	CU_ASSERT_FALSE(ok);
}

/* A user state over the first 64 KB offered: the delegate says what it
 * needs, gets it on the second call, and the push-pull carries it whole. */
enum { BIG_STATE = 200000 };

static size_t big_state(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	int *calls = ctx;
	(*calls)++;
	if (cap < BIG_STATE)
		return BIG_STATE;
	memset(buf, 0xab, BIG_STATE);
	return BIG_STATE;
}

static void test_push_pull_grows_room_for_a_large_user_state(void)
{
	static int calls;
	struct mf_pool_delegate d = {.ctx = &calls, .local_state = big_state};
	struct mf_pool_out o;
	struct mf_addr seed;
	uint64_t id = 0;
	size_t sent = 0;
	mf_pool_free(pool);
	setup_with(0, &d);
	mf_addr_parse("10.0.0.9:7946", 7946, &seed);
	CU_ASSERT_EQUAL(mf_pool_join(pool, 0, &seed, &id), 0);
	while (mf_pool_next_output(pool, &o) == 1)
		if (o.kind == MF_OUT_STREAM_OPEN && o.stream_id == id)
			sent = o.len;
	CU_ASSERT_EQUAL(calls, 2);
	CU_ASSERT(sent > BIG_STATE);
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A mass failure: 40,000 members suspected a millisecond apart, driven by
 * mf_pool_next_deadline as the agent's timer is. Each dies at its own
 * deadline (the few our own failed probes confirm die sooner); with a list
 * of timers that is O(S) per deadline query and per death (O(S^2)
 * overall), here O(log S). */
static void test_mass_failure_each_suspect_dies_at_its_deadline(void)
{
	enum { S = 40000 };
	char name[32], ip[32];
	mf_pool_free(pool); /* above the default max_members */
	setup_with(S + 1, NULL);
	double t0 = wall_s();
	for (unsigned i = 0; i < S; i++) {
		snprintf(name, sizeof(name), "m%05u", i);
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 1 + i / 65536, (i / 256) % 256, i % 256);
		send_alive(name, 1, ip, "", 0);
	}
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_count(pool), S + 1);
	mf_time_t start = 10 * MF_SEC;
	for (unsigned i = 0; i < S; i++) {
		snprintf(name, sizeof(name), "m%05u", i);
		send_suspect(name, 1, "someone", start + (mf_time_t)i * MF_MS);
	}
	CU_ASSERT_EQUAL(events[MF_EV_SUSPECT], S);
	double t_setup = wall_s() - t0;

	/* lan: min = 4 * log10(40001) s, max = 6 * min; two confirmations
	 * expected, so an unconfirmed suspicion runs to max */
	mf_time_t min = mf_suspicion_min_timeout(4, S + 1, MF_SEC), max = 6 * min;
	int ticks = 0, death_ticks = 0, late = 0;
	mf_time_t now = start + (S - 1) * MF_MS, first_death = 0;
	t0 = wall_s();
	while (events[MF_EV_FAILED] < S && ticks < 10 * S) {
		int before = events[MF_EV_FAILED];
		now = mf_pool_next_deadline(pool);
		mf_pool_tick(pool, now);
		drain();
		ticks++;
		if (events[MF_EV_FAILED] == before)
			continue;
		death_ticks++;
		if (first_death == 0)
			first_death = now;
		late += now > start + (S - 1) * MF_MS + max;
	}
	double t_run = wall_s() - t0;
	CU_ASSERT_EQUAL(events[MF_EV_FAILED], S);
	CU_ASSERT(first_death >= start + min);
	CU_ASSERT_EQUAL(late, 0);
	/* deaths were spread over their own deadlines, not batched */
	CU_ASSERT(death_ticks > S * 9 / 10);
	fprintf(stderr, "\n  %d suspects: setup %.2f s; %d ticks, %d with deaths, %.2f s\n", S,
		t_setup, ticks, death_ticks, t_run);
	/* a list of timers takes 8 s at 20,000 here (34 s at 40,000);
	 * this takes 0.3 s (2 s with sanitizers) */
	CU_ASSERT(t_run < 20.0);
}

/* --- incarnations at the edges (gossip/pool.c "Incarnations") ----------*/

static uint64_t out_of_window(void)
{
	struct mf_pool_stats st;
	mf_pool_get_stats(pool, &st);
	return st.inc_out_of_window;
}

static void test_dead_or_alive_at_the_top_for_a_live_member_is_refused_and_counted(void)
{
	send_alive("b", 5, "10.0.0.2", "", 0);
	send_dead("b", 0xFFFFFFFFu, "c", 0);
	send_dead("b", 0xFFFFFFFFu, "b", 0); /* a forged leave */
	send_suspect("b", 0xFFFFFFFFu, "c", 0);
	send_alive("b", 0xFFFFFFFFu, "10.0.0.2", "x", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("b"), 5);
	/* modulo 2^32, 4294967295 is 6 behind 5: stale, like any old gossip */
	CU_ASSERT_EQUAL(out_of_window(), 0);
	send_dead("b", 0x80000000u, "c", 0); /* half the range away: forged */
	send_alive("b", 5 + 0x10000000u, "10.0.0.2", "x", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(out_of_window(), 2);
	CU_ASSERT_EQUAL(events[MF_EV_FAILED] + events[MF_EV_LEFT] + events[MF_EV_UPDATE], 0);
}

static void test_one_message_moves_an_incarnation_at_most_the_window(void)
{
	send_alive("b", 5, "10.0.0.2", "", 0);
	send_suspect("b", 5 + MF_POOL_INC_WINDOW + 1, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(out_of_window(), 1);
	send_suspect("b", 5 + MF_POOL_INC_WINDOW, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	CU_ASSERT_EQUAL(inc_of("b"), 5 + MF_POOL_INC_WINDOW);
	/* stale by up to the window: ignored, not counted; further: counted */
	send_dead("b", 6, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	CU_ASSERT_EQUAL(out_of_window(), 1);
	send_dead("b", 4, "c", 0);
	CU_ASSERT_EQUAL(out_of_window(), 2);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
}

static void test_member_incarnation_wraps_past_the_top_and_stays_newer(void)
{
	send_alive("b", 0xFFFFFFFEu, "10.0.0.2", "", 0); /* fresh: any but 0 */
	CU_ASSERT_EQUAL(inc_of("b"), 0xFFFFFFFEu);
	send_suspect("b", 0xFFFFFFFFu, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_SUSPECT);
	send_alive("b", 1, "10.0.0.2", "", 0); /* its refutation, wrapped */
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("b"), 1);
	send_dead("b", 0xFFFFFFFFu, "c", 0); /* now behind: stale */
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(out_of_window(), 0);
}

static void test_restarted_node_comes_back_over_a_left_record_at_the_top(void)
{
	send_alive("b", 0xFFFFFFF0u, "10.0.0.2", "", 0);
	send_dead("b", 0xFFFFFFFFu, "b", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_LEFT);
	send_alive("b", 1, "10.0.0.2", "", MF_SEC); /* restarted: memberlist setAlive */
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	CU_ASSERT_EQUAL(inc_of("b"), 1);
	CU_ASSERT_EQUAL(events[MF_EV_JOIN], 2);
}

static void test_refutation_beats_the_accusation_and_skips_zero_at_the_top(void)
{
	/* a live node accused at the top of its window is not failed for good */
	send_suspect("me", 1 + MF_POOL_INC_WINDOW + 1, "c", 0);
	CU_ASSERT_EQUAL(inc_of("me"), 1); /* beyond the window: not refuted */
	send_dead("me", 1 + MF_POOL_INC_WINDOW, "c", 0);
	CU_ASSERT_EQUAL(inc_of("me"), 2 + MF_POOL_INC_WINDOW);
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	/* walk to the top by accusations at the window's edge */
	while (inc_of("me") < 0xFFFFFFFFu - MF_POOL_INC_WINDOW)
		send_suspect("me", inc_of("me") + MF_POOL_INC_WINDOW, "c", 0);
	send_dead("me", 0xFFFFFFFFu, "c", 0);
	CU_ASSERT_EQUAL(inc_of("me"), 1); /* 0xFFFFFFFF + 1 = 0, skipped */
	CU_ASSERT_EQUAL(status_of("me"), MF_MEMBER_ALIVE);
	/* and a peer holding us at the top takes the wrapped refutation */
	CU_ASSERT(1u - 0xFFFFFFFFu <= MF_POOL_INC_WINDOW);
}

static void test_names_beyond_max_members_are_refused_and_counted(void)
{
	struct mf_pool_config c = *mf_pool_config(pool);
	struct mf_pool_stats st;
	mf_pool_free(pool);
	c.timing.max_members = 3;
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&c, 0, &pool), 0);
	drain();
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("c", 1, "10.0.0.3", "", 0);
	send_alive("d", 1, "10.0.0.4", "", 0);
	CU_ASSERT_EQUAL(mf_pool_member_count(pool), 3);
	struct mf_member m;
	CU_ASSERT_EQUAL(mf_pool_member_find(pool, "d", &m), MF_ENOTFOUND);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.members_refused, 1);
	/* members held still change state */
	send_alive("c", 2, "10.0.0.3", "x", 0);
	CU_ASSERT_EQUAL(inc_of("c"), 2);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	CU_ASSERT_EQUAL(mf_pool_config(pool)->timing.max_members, 3);
	/* the default */
	struct mf_pool_config d;
	mf_pool_config_init(&d, MF_PROFILE_WAN);
	CU_ASSERT_EQUAL(d.timing.max_members, MF_POOL_MAX_MEMBERS);
	CU_ASSERT_EQUAL(MF_POOL_MAX_MEMBERS, 10000);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_new_pool_holds_only_itself_at_incarnation_one),
		TEST(test_mass_failure_each_suspect_dies_at_its_deadline),
		TEST(test_push_pull_grows_room_for_a_large_user_state),
		TEST(test_alive_adds_member_and_emits_join),
		TEST(test_alive_suspect_dead_after_suspicion_timeout),
		TEST(test_suspect_refuted_by_higher_incarnation),
		TEST(test_stale_incarnation_ignored),
		TEST(test_dead_member_alive_again_on_higher_incarnation),
		TEST(test_dead_or_alive_at_the_top_for_a_live_member_is_refused_and_counted),
		TEST(test_one_message_moves_an_incarnation_at_most_the_window),
		TEST(test_member_incarnation_wraps_past_the_top_and_stays_newer),
		TEST(test_restarted_node_comes_back_over_a_left_record_at_the_top),
		TEST(test_refutation_beats_the_accusation_and_skips_zero_at_the_top),
		TEST(test_names_beyond_max_members_are_refused_and_counted),
		TEST(test_dead_from_itself_is_a_leave),
		TEST(test_self_suspicion_refuted_with_higher_incarnation),
		TEST(test_meta_change_emits_update),
		TEST(test_conflicting_address_ignored_unless_newer),
		TEST(test_ping_for_other_node_dropped),
		TEST(test_ping_answered_with_ack_and_payload),
		TEST(test_leave_alone_is_done_at_once_and_marks_self_left),
		TEST(test_leave_with_peers_waits_for_transmissions),
		TEST(test_force_leave_rules),
		TEST(test_unanswered_probe_leads_to_suspicion),
		TEST(test_inbound_push_pull_replies_and_merges),
		TEST(test_garbage_input_is_counted_and_dropped),
		TEST(test_failed_and_left_members_reaped_after_their_timeouts),
		TEST(test_join_reports_done_with_outcome),
	};
	return RUN_SUITE_WITH("gossip_pool_state", setup, teardown, tests);
}

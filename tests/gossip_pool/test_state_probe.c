/* State transitions of one pool driven by crafted memberlist messages, part
 * two: probes, direct and indirect pings and their relays, gossip packets,
 * Lifeguard's health score and suspicion confirmations (part one:
 * test_state.c; the fixture they share: state_fixture.h). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "gossip/codec.h"
#include "gossip/pool.h"
#include "gossip/serf.h"
#include "gossip/suspicion.h"
#include "gossip/wire.h"
#include "tests/cunit_main.h"
#include "tests/gossip_pool/state_fixture.h"

/* Collects the UDP outputs of one call: raw bytes and decoded types. */
struct sent {
	struct mf_addr to;
	uint8_t first_byte;
	uint8_t types[64];
	size_t n;
	uint32_t seq; /* of the first ping/ack/nack found */
	bool ours;    /* carries a user message of type MF_SERF_MSG_MESHFED */
};

static size_t collect(struct sent *out, size_t max)
{
	struct mf_pool_out o;
	struct mf_wire_scratch sc;
	struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
	size_t k = 0;
	mf_wire_scratch_init(&sc);
	while (mf_pool_next_output(pool, &o) == 1) {
		if (o.kind == MF_OUT_EVENT)
			events[o.event.kind]++;
		if (o.kind != MF_OUT_UDP || k == max)
			continue;
		size_t n = 0;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].to = o.to;
		out[k].first_byte = o.data[0];
		if (mf_wire_open_packet(NULL, o.data, o.len, &sc, msgs, &n) == 0) {
			for (size_t i = 0; i < n && i < 64; i++) {
				out[k].types[i] = msgs[i].type;
				if (msgs[i].type == MF_MSG_USER && msgs[i].body.len > 0 &&
				    msgs[i].body.p[0] == MF_SERF_MSG_MESHFED)
					out[k].ours = true;
				if (out[k].seq == 0 && msgs[i].type == MF_MSG_PING) {
					struct mf_msg_ping m;
					if (mf_codec_decode_ping(msgs[i].body.p, msgs[i].body.len, &m) == 0)
						out[k].seq = m.seq_no;
				} else if (out[k].seq == 0 && msgs[i].type == MF_MSG_ACK) {
					struct mf_msg_ack m;
					if (mf_codec_decode_ack(msgs[i].body.p, msgs[i].body.len, &m) == 0)
						out[k].seq = m.seq_no;
				} else if (out[k].seq == 0 && msgs[i].type == MF_MSG_NACK) {
					struct mf_msg_nack m;
					if (mf_codec_decode_nack(msgs[i].body.p, msgs[i].body.len, &m) == 0)
						out[k].seq = m.seq_no;
				}
			}
			out[k].n = n;
		}
		k++;
	}
	mf_wire_scratch_destroy(&sc);
	return k;
}

static bool has_type(const struct sent *s, uint8_t type)
{
	for (size_t i = 0; i < s->n && i < 64; i++)
		if (s->types[i] == type)
			return true;
	return false;
}

static void test_probe_of_suspect_carries_suspect_message_with_crc(void)
{
	struct sent out[32];
	struct mf_addr b;
	bool found = false;
	mf_addr_parse("10.0.0.2:7946", 7946, &b);
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_suspect("b", 1, "c", 0);
	for (mf_time_t now = 0; now < 3 * MF_SEC && !found; now += 50 * MF_MS) {
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		for (size_t i = 0; i < n; i++) {
			if (mf_addr_equal(&out[i].to, &b) && has_type(&out[i], MF_MSG_PING)) {
				found = true;
				CU_ASSERT_TRUE(has_type(&out[i], MF_MSG_SUSPECT));
				CU_ASSERT_EQUAL(out[i].first_byte, MF_MSG_HAS_CRC); /* b speaks 5 */
			}
		}
	}
	CU_ASSERT_TRUE(found);
}

/* A join storm fills the membership queue for N x 10 ms; serf's intents
 * still get their share of every packet that carries broadcasts. */
static void test_user_broadcast_rides_with_a_full_membership_queue(void)
{
	struct sent out[32];
	char name[24], ip[32];
	size_t carried = 0, with_user = 0;
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "node-%03d", i);
		snprintf(ip, sizeof(ip), "10.0.%d.%d", 1 + i / 250, 2 + i % 250);
		send_alive(name, 1, ip, "some-meta-bytes", 0);
	}
	size_t depth, user;
	mf_pool_broadcast_depth(pool, &depth, &user);
	CU_ASSERT_TRUE(depth >= 300); /* more than a packet holds */
	uint8_t intent[200]; /* larger than any membership message: no leftover fits it */
	memset(intent, 'i', sizeof(intent));
	CU_ASSERT_EQUAL(mf_pool_broadcast_user(pool, NULL, intent, sizeof(intent)), 0);
	for (mf_time_t now = 0; now < MF_SEC && carried == 0; now += 50 * MF_MS) {
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		for (size_t i = 0; i < n; i++) {
			if (!has_type(&out[i], MF_MSG_ALIVE))
				continue;
			carried++;
			with_user += has_type(&out[i], MF_MSG_USER);
		}
	}
	CU_ASSERT_TRUE(carried > 0);
	CU_ASSERT_EQUAL(with_user, carried);
}

static void test_gossip_to_protocol_5_peer_has_crc(void)
{
	struct sent out[32];
	bool gossiped = false;
	send_alive("b", 1, "10.0.0.2", "", 0);
	mf_pool_broadcast_user(pool, NULL, (const uint8_t *)"hello", 5);
	for (mf_time_t now = 0; now < MF_SEC && !gossiped; now += 50 * MF_MS) {
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		for (size_t i = 0; i < n; i++) {
			if (!has_type(&out[i], MF_MSG_PING) && !has_type(&out[i], MF_MSG_ACK) &&
			    has_type(&out[i], MF_MSG_USER)) {
				gossiped = true;
				CU_ASSERT_EQUAL(out[i].first_byte, MF_MSG_HAS_CRC);
			}
		}
	}
	CU_ASSERT_TRUE(gossiped);
}

/* Packets to a and to b over 3 s of ticks, with our message and a serf one
 * queued: how many carried ours, how many any user message. */
static void count_user_packets(const char *a_ip, const char *b_ip, int ours[2], int user[2])
{
	static const uint8_t own[] = { MF_SERF_MSG_MESHFED, 7, 7 };
	static const uint8_t serfs[] = { MF_SERF_MSG_JOIN, 0x80 };
	struct mf_addr to[2];
	struct sent out[32];

	mf_addr_parse(a_ip, 7946, &to[0]);
	mf_addr_parse(b_ip, 7946, &to[1]);
	ours[0] = ours[1] = user[0] = user[1] = 0;
	CU_ASSERT_EQUAL(mf_pool_broadcast_user(pool, "own", own, sizeof(own)), 0);
	CU_ASSERT_EQUAL(mf_pool_broadcast_user(pool, "serf", serfs, sizeof(serfs)), 0);
	for (mf_time_t now = 0; now < 3 * MF_SEC; now += 50 * MF_MS) {
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < 2; j++)
				if (mf_addr_equal(&out[i].to, &to[j])) {
					ours[j] += out[i].ours;
					user[j] += has_type(&out[i], MF_MSG_USER);
				}
	}
}

/* A serf agent logs a warning for each message of a type it does not
 * know: with a private role, ours reach only members of that role, serf's
 * still reach everyone. */
static void test_private_messages_skip_members_of_another_role(void)
{
	int ours[2], user[2];

	teardown();
	setup_private("meshfed");
	send_alive("b", 1, "10.0.0.2", "meshfed", 0); /* legacy meta: the role */
	send_alive("s", 1, "10.0.0.3", "serf", 0);
	count_user_packets("10.0.0.2", "10.0.0.3", ours, user);
	CU_ASSERT_TRUE(ours[0] > 0);
	CU_ASSERT_EQUAL(ours[1], 0);
	CU_ASSERT_TRUE(user[1] > 0); /* serf's message still reached s */

	/* Without a private role, everyone gets ours (memberlist's way). */
	teardown();
	setup();
	send_alive("b", 1, "10.0.0.2", "meshfed", 0);
	send_alive("s", 1, "10.0.0.3", "serf", 0);
	count_user_packets("10.0.0.2", "10.0.0.3", ours, user);
	CU_ASSERT_TRUE(ours[0] > 0);
	CU_ASSERT_TRUE(ours[1] > 0);
}

static void send_indirect(uint32_t seq, bool nack)
{
	msgpack_sbuffer sb;
	uint8_t target[4] = { 10, 0, 0, 3 };
	uint8_t src[4] = { 10, 0, 0, 2 };
	struct mf_msg_indirect_ping ind = { 0 };
	ind.seq_no = seq;
	ind.target.p = target;
	ind.target.len = 4;
	ind.port = 7946;
	ind.node = B("c");
	ind.nack = nack;
	ind.source_addr.p = src;
	ind.source_addr.len = 4;
	ind.source_port = 7946;
	ind.source_node = B("b");
	msgpack_sbuffer_init(&sb);
	mf_codec_encode_indirect_ping(&sb, &ind);
	mf_pool_udp_in(pool, 0, &peer_addr, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* A compound of `n` pings from peer_addr, each claiming SourceAddr src. */
static void send_pings_claiming(const char *src, size_t n)
{
	struct mf_addr a;
	msgpack_sbuffer one[255], pkt;
	struct mf_bytes parts[255];
	mf_addr_parse(src, 7946, &a);
	for (size_t i = 0; i < n; i++) {
		struct mf_msg_ping ping = {(uint32_t)(100 + i), B("me"), {a.ip, 4}, a.port, B("")};
		msgpack_sbuffer_init(&one[i]);
		CU_ASSERT_EQUAL(mf_codec_encode_ping(&one[i], &ping), 0);
		parts[i] = (struct mf_bytes){(const uint8_t *)one[i].data, one[i].size};
	}
	msgpack_sbuffer_init(&pkt);
	CU_ASSERT_EQUAL(mf_wire_seal_packet(NULL, parts, n, NULL, &pkt), 0);
	mf_pool_udp_in(pool, 0, &peer_addr, (const uint8_t *)pkt.data, pkt.size);
	msgpack_sbuffer_destroy(&pkt);
	for (size_t i = 0; i < n; i++)
		msgpack_sbuffer_destroy(&one[i]);
}

static void test_acks_go_to_the_packet_source_unless_a_member_vouches(void)
{
	static struct sent out[300];
	struct mf_addr victim, member;
	mf_addr_parse("192.0.2.77:9999", 7946, &victim);
	mf_addr_parse("10.0.0.3:7946", 7946, &member);
	/* issue 11: 255 pings naming a third party's address in one packet */
	send_pings_claiming("192.0.2.77:9999", 255);
	size_t n = collect(out, 300);
	CU_ASSERT_EQUAL(n, 255);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_FALSE(mf_addr_equal(&out[i].to, &victim));
		CU_ASSERT_TRUE(mf_addr_equal(&out[i].to, &peer_addr));
	}
	/* a member at the claimed address vouches: memberlist's relay works */
	send_alive("c", 1, "10.0.0.3", "", 0);
	drain();
	send_pings_claiming("10.0.0.3:7946", 1);
	n = collect(out, 300);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(mf_addr_equal(&out[0].to, &member));
	CU_ASSERT_TRUE(has_type(&out[0], MF_MSG_ACK));
}

static void test_indirect_request_origin_needs_a_member_to_vouch(void)
{
	static struct sent out[32];
	/* send_indirect claims 10.0.0.2:7946 = peer_addr: the packet's own
	 * source, accepted; a claim of a stranger's address is not */
	msgpack_sbuffer sb;
	uint8_t target[4] = {10, 0, 0, 3}, src[4] = {192, 0, 2, 77};
	struct mf_msg_indirect_ping ind = {0};
	ind.seq_no = 5;
	ind.target = (struct mf_bytes){target, 4};
	ind.port = 7946;
	ind.node = B("c");
	ind.nack = true;
	ind.source_addr = (struct mf_bytes){src, 4};
	ind.source_port = 9999;
	msgpack_sbuffer_init(&sb);
	mf_codec_encode_indirect_ping(&sb, &ind);
	mf_pool_udp_in(pool, 0, &peer_addr, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	(void)collect(out, 32);
	mf_pool_tick(pool, 500 * MF_MS);
	size_t n = collect(out, 32);
	bool nacked = false;
	for (size_t i = 0; i < n; i++) {
		if (!has_type(&out[i], MF_MSG_NACK))
			continue;
		nacked = true;
		CU_ASSERT_TRUE(mf_addr_equal(&out[i].to, &peer_addr));
	}
	CU_ASSERT_TRUE(nacked);
}

static void test_indirect_ping_relays_and_nacks_on_silence(void)
{
	struct sent out[32];
	struct mf_addr c;
	mf_addr_parse("10.0.0.3:7946", 7946, &c);
	send_indirect(41, true);
	size_t n = collect(out, 32);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(mf_addr_equal(&out[0].to, &c));
	CU_ASSERT_TRUE(has_type(&out[0], MF_MSG_PING));
	/* no ack within probe_timeout (500 ms): nack to the origin */
	mf_pool_tick(pool, 499 * MF_MS);
	n = collect(out, 32);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_FALSE(has_type(&out[i], MF_MSG_NACK));
	mf_pool_tick(pool, 500 * MF_MS);
	n = collect(out, 32);
	bool nacked = false;
	for (size_t i = 0; i < n; i++)
		if (has_type(&out[i], MF_MSG_NACK) && mf_addr_equal(&out[i].to, &peer_addr)) {
			nacked = true;
			CU_ASSERT_EQUAL(out[i].seq, 41);
		}
	CU_ASSERT_TRUE(nacked);
}

static void test_indirect_ping_forwards_target_ack_to_origin(void)
{
	struct sent out[32];
	msgpack_sbuffer sb;
	send_indirect(42, true);
	size_t n = collect(out, 32);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	struct mf_msg_ack ack = { out[0].seq, { NULL, 0 } };
	struct mf_addr c;
	mf_addr_parse("10.0.0.3:7946", 7946, &c);
	msgpack_sbuffer_init(&sb);
	mf_codec_encode_ack(&sb, &ack);
	mf_pool_udp_in(pool, 10 * MF_MS, &c, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	n = collect(out, 32);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(mf_addr_equal(&out[0].to, &peer_addr));
	CU_ASSERT_TRUE(has_type(&out[0], MF_MSG_ACK));
	CU_ASSERT_EQUAL(out[0].seq, 42);
	/* and no nack afterwards */
	mf_pool_tick(pool, MF_SEC);
	n = collect(out, 32);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_FALSE(has_type(&out[i], MF_MSG_NACK));
}

/* Drives the first probe round with three peers that never answer by UDP.
 * tcp_ack: answer the TCP fallback ping; nack: helpers send nacks. */
static void first_probe_round(bool tcp_ack, bool nack)
{
	struct mf_wire_scratch sc;
	uint64_t streams[16];
	uint32_t seqs[16];
	size_t n_streams = 0;
	uint32_t probe_seq = 0;
	struct mf_pool_stats st;

	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("c", 1, "10.0.0.3", "", 0);
	send_alive("d", 1, "10.0.0.4", "", 0);
	mf_wire_scratch_init(&sc);
	for (mf_time_t now = 0; now <= 2 * MF_SEC; now += 50 * MF_MS) {
		struct mf_pool_out o;
		mf_pool_tick(pool, now);
		mf_pool_get_stats(pool, &st);
		if (st.probes > 1)
			break; /* first probe over */
		while (mf_pool_next_output(pool, &o) == 1) {
			struct mf_wire_msg w;
			struct mf_msg_ping ping;
			if (o.kind == MF_OUT_STREAM_OPEN && o.expect_reply &&
			    mf_wire_open_stream(NULL, o.data, o.len, &sc, &w) == 0 &&
			    w.type == MF_MSG_PING &&
			    mf_codec_decode_ping(w.body.p, w.body.len, &ping) == 0 && n_streams < 16) {
				streams[n_streams] = o.stream_id;
				seqs[n_streams++] = ping.seq_no;
			}
			if (o.kind == MF_OUT_UDP && probe_seq == 0) {
				size_t n = 0;
				struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
				if (mf_wire_open_packet(NULL, o.data, o.len, &sc, msgs, &n) == 0 && n > 0 &&
				    msgs[0].type == MF_MSG_PING &&
				    mf_codec_decode_ping(msgs[0].body.p, msgs[0].body.len, &ping) == 0)
					probe_seq = ping.seq_no;
			}
		}
		for (size_t i = 0; i < n_streams; i++) {
			if (tcp_ack) {
				msgpack_sbuffer m, f;
				struct mf_msg_ack ack = { seqs[i], { NULL, 0 } };
				struct mf_wire_send_opts opts = { false, false };
				msgpack_sbuffer_init(&m);
				msgpack_sbuffer_init(&f);
				mf_codec_encode_ack(&m, &ack);
				mf_wire_seal_stream(NULL, (const uint8_t *)m.data, m.size, &opts, &f);
				mf_pool_stream_reply(pool, now, streams[i], (const uint8_t *)f.data, f.size);
				msgpack_sbuffer_destroy(&m);
				msgpack_sbuffer_destroy(&f);
			} else {
				mf_pool_stream_failed(pool, now, streams[i]);
			}
			drain();
		}
		if (n_streams > 0 && nack) {
			for (int k = 0; k < 2; k++) {
				msgpack_sbuffer m;
				struct mf_msg_nack nk = { probe_seq };
				msgpack_sbuffer_init(&m);
				mf_codec_encode_nack(&m, &nk);
				feed(&m, now);
				msgpack_sbuffer_destroy(&m);
			}
		}
		n_streams = 0;
	}
	mf_wire_scratch_destroy(&sc);
}

static void test_tcp_fallback_ack_prevents_suspicion(void)
{
	struct mf_pool_stats st;
	first_probe_round(true, false);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.probe_failures, 0);
	CU_ASSERT_EQUAL(st.suspicions, 0);
	CU_ASSERT_EQUAL(st.tcp_fallback_probes, 1);
	CU_ASSERT_EQUAL(st.indirect_probes, 2);
}

static void test_missed_nacks_raise_health_score(void)
{
	struct mf_pool_stats st;
	first_probe_round(false, false);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.probe_failures, 1);
	CU_ASSERT_EQUAL(st.acks_missed_nack, 2);
	CU_ASSERT_EQUAL(st.health_score, 2); /* two helpers, no nacks */
	CU_ASSERT_EQUAL(st.suspicions, 1);
}

static void test_received_nacks_keep_health_score(void)
{
	struct mf_pool_stats st;
	first_probe_round(false, true);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.probe_failures, 1);
	CU_ASSERT_EQUAL(st.nacks_received, 2);
	CU_ASSERT_EQUAL(st.health_score, 0); /* helpers vouch the target is down */
	CU_ASSERT_EQUAL(st.suspicions, 1);
}

/* Lifeguard LHA-Probe: an unhealthy member (score s) waits (s+1) times the
 * probe timeout for a direct ack before it asks others to probe indirectly. */
static void test_unhealthy_member_scales_probe_timeout(void)
{
	struct sent out[32];
	struct mf_pool_stats st;
	mf_time_t ping_at = -1;
	int score = -1;
	uint64_t indirect0 = 0;
	bool measured = false;

	first_probe_round(false, false); /* no one answers: health score 2 */
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL_FATAL(st.health_score, 2);
	collect(out, 32); /* the probe already under way is not measured */
	for (mf_time_t now = 2100 * MF_MS; now < 30 * MF_SEC && !measured; now += 10 * MF_MS) {
		if (now % (100 * MF_MS) == 0) { /* peers refute: they stay alive helpers */
			uint32_t inc = (uint32_t)(2 + now / (100 * MF_MS));
			send_alive("b", inc, "10.0.0.2", "", now);
			send_alive("c", inc, "10.0.0.3", "", now);
			send_alive("d", inc, "10.0.0.4", "", now);
		}
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		mf_pool_get_stats(pool, &st);
		if (ping_at >= 0 && st.indirect_probes > indirect0) {
			mf_time_t want = (mf_time_t)(score + 1) * 500 * MF_MS;
			CU_ASSERT_TRUE(now - ping_at >= want);
			CU_ASSERT_TRUE(now - ping_at < want + 20 * MF_MS);
			measured = true;
		}
		for (size_t i = 0; i < n && ping_at < 0; i++)
			if (out[i].n > 0 && out[i].types[0] == MF_MSG_PING) {
				ping_at = now;
				score = st.health_score;
				indirect0 = st.indirect_probes;
			}
	}
	CU_ASSERT_TRUE(measured);
	CU_ASSERT_TRUE(score >= 2);
}

/* Ticks every 10 ms from `from` until the pool pings b; returns the ping's
 * time and its seq in *seq. */
static mf_time_t ping_b(mf_time_t from, uint32_t *seq)
{
	struct sent out[32];
	for (mf_time_t now = from; now < from + 5 * MF_SEC; now += 10 * MF_MS) {
		mf_pool_tick(pool, now);
		size_t n = collect(out, 32);
		for (size_t i = 0; i < n; i++)
			if (out[i].n > 0 && out[i].types[0] == MF_MSG_PING && out[i].seq != 0) {
				*seq = out[i].seq;
				return now;
			}
	}
	CU_FAIL("no ping to b");
	return from;
}

/* b joins and is pinged; the pool is next ticked 3 s later (past the
 * probe timeout and interval): returns that time, the ping's seq in *seq. */
static mf_time_t stall_after_pinging_b(uint32_t *seq)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	return ping_b(0, seq) + 3 * MF_SEC;
}

/* Issue 12: an agent that was not running when its probe's deadlines
 * passed (starved of CPU; libuv then runs the due timer before it reads
 * the socket) reads what arrived before it judges: the target's ack,
 * waiting in the socket, is taken, no indirect probe goes out and nobody
 * is suspected. The lateness counts against our own health (Lifeguard). */
static void test_stalled_pool_reads_the_ack_before_judging(void)
{
	struct mf_pool_stats st;
	struct sent out[32];
	uint32_t seq = 0;
	mf_time_t woke = stall_after_pinging_b(&seq);
	mf_pool_tick(pool, woke);
	collect(out, 32);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.indirect_probes, 0);
	CU_ASSERT_EQUAL(st.probe_failures, 0);
	CU_ASSERT_EQUAL(st.late_probe_stages, 1);
	CU_ASSERT_EQUAL(st.health_score, 1);
	CU_ASSERT(mf_pool_next_deadline(pool) <= woke + MF_MS);

	/* the transport reads the socket: b's ack was there all along */
	msgpack_sbuffer sb;
	struct mf_msg_ack ack = { seq, { NULL, 0 } };
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_ack(&sb, &ack), 0);
	feed(&sb, woke);
	msgpack_sbuffer_destroy(&sb);
	for (mf_time_t now = woke + MF_MS; now < woke + 200 * MF_MS; now += MF_MS)
		mf_pool_tick(pool, now);
	collect(out, 32);
	mf_pool_get_stats(pool, &st);
	CU_ASSERT_EQUAL(st.indirect_probes, 0);
	CU_ASSERT_EQUAL(st.probe_failures, 0);
	CU_ASSERT_EQUAL(st.suspicions, 0);
	CU_ASSERT_EQUAL(st.health_score, 0); /* the ack: -1 */
	CU_ASSERT_EQUAL(events[MF_EV_SUSPECT], 0);
}

/* The same stall with a target that is really gone: after the grace the
 * probe goes on (its indirect stage and verdict shifted by our delay) and
 * the target is still suspected. */
static void test_stalled_pool_still_suspects_a_silent_target(void)
{
	struct mf_pool_stats st;
	struct sent out[32];
	uint32_t seq = 0;
	mf_time_t woke = stall_after_pinging_b(&seq);
	for (mf_time_t now = woke; now < woke + 3 * MF_SEC; now += 10 * MF_MS) {
		mf_pool_tick(pool, now);
		collect(out, 32);
		mf_pool_get_stats(pool, &st);
		if (st.suspicions > 0)
			break;
	}
	CU_ASSERT_EQUAL(st.suspicions, 1);
	CU_ASSERT_EQUAL(st.probe_failures, 1);
	CU_ASSERT_EQUAL(st.late_probe_stages, 1);
	CU_ASSERT(st.health_score >= 2); /* late, then no helper vouched */
}


static void add_ten_members(void)
{
	char name[16], ip[24];
	for (int i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(ip, sizeof(ip), "10.0.1.%d", i + 1);
		send_alive(name, 1, ip, "", 0);
	}
}

static void test_unconfirmed_suspicion_waits_for_max_timeout(void)
{
	/* 10 members, lan: k = 2, min = 4 s, max = 24 s */
	add_ten_members();
	send_suspect("p0", 1, "p1", 0);
	mf_pool_tick(pool, 24 * MF_SEC - 1);
	drain();
	CU_ASSERT_EQUAL(status_of("p0"), MF_MEMBER_SUSPECT);
	mf_pool_tick(pool, 24 * MF_SEC);
	drain();
	CU_ASSERT_EQUAL(status_of("p0"), MF_MEMBER_FAILED);
}

static void test_independent_confirmations_shorten_suspicion(void)
{
	add_ten_members();
	send_suspect("p0", 1, "p1", 0);
	send_suspect("p0", 1, "p1", MF_SEC / 2); /* same accuser: no confirmation */
	send_suspect("p0", 1, "p2", MF_SEC);     /* 24 - 20 * log 2 / log 3 = 11.381 s */
	mf_pool_tick(pool, 11381 * MF_MS - 1);
	drain();
	CU_ASSERT_EQUAL(status_of("p0"), MF_MEMBER_SUSPECT);
	send_suspect("p0", 1, "p3", 5 * MF_SEC); /* k reached: min, 4 s, already past */
	mf_pool_tick(pool, 5 * MF_SEC);
	drain();
	CU_ASSERT_EQUAL(status_of("p0"), MF_MEMBER_FAILED);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_acks_go_to_the_packet_source_unless_a_member_vouches),
		TEST(test_indirect_request_origin_needs_a_member_to_vouch),
		TEST(test_probe_of_suspect_carries_suspect_message_with_crc),
		TEST(test_user_broadcast_rides_with_a_full_membership_queue),
		TEST(test_gossip_to_protocol_5_peer_has_crc),
		TEST(test_indirect_ping_relays_and_nacks_on_silence),
		TEST(test_indirect_ping_forwards_target_ack_to_origin),
		TEST(test_tcp_fallback_ack_prevents_suspicion),
		TEST(test_missed_nacks_raise_health_score),
		TEST(test_received_nacks_keep_health_score),
		TEST(test_unhealthy_member_scales_probe_timeout),
		TEST(test_stalled_pool_reads_the_ack_before_judging),
		TEST(test_stalled_pool_still_suspects_a_silent_target),
		TEST(test_unconfirmed_suspicion_waits_for_max_timeout),
		TEST(test_independent_confirmations_shorten_suspicion),
		TEST(test_private_messages_skip_members_of_another_role),
	};
	return RUN_SUITE_WITH("gossip_pool_state_probe", setup, teardown, tests);
}

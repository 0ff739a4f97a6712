/* State transitions of one pool, driven by crafted memberlist messages
 * (memberlist state.go aliveNode / suspectNode / deadNode semantics). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/codec.h"
#include "gossip/pool.h"
#include "gossip/wire.h"

#define B(s) ((struct mf_bytes){ (const uint8_t *)(s), sizeof(s) - 1 })

static mf_pool_t *pool;
static struct mf_addr peer_addr;
static int events[16];     /* count per mf_event_kind */
static char last_event_name[64];

static void drain(void)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(pool, &o) == 1) {
		if (o.kind == MF_OUT_EVENT) {
			events[o.event.kind]++;
			if (o.event.name)
				snprintf(last_event_name, sizeof(last_event_name), "%s", o.event.name);
		}
	}
}

static void setup(void)
{
	struct mf_pool_config c;
	mf_pool_config_init(&c, MF_PROFILE_LAN);
	strcpy(c.name, "me");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 10;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	memset(events, 0, sizeof(events));
	if (mf_pool_new(&c, 0, &pool) != 0)
		abort();
	mf_addr_parse("10.0.0.2:7946", 7946, &peer_addr);
	drain();
}

static void teardown(void)
{
	mf_pool_free(pool);
	pool = NULL;
}

static void feed(msgpack_sbuffer *sb, mf_time_t now)
{
	mf_pool_udp_in(pool, now, &peer_addr, (const uint8_t *)sb->data, sb->size);
	drain();
}

static void send_alive(const char *node, uint32_t inc, const char *ip, const char *meta,
		       mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_addr a;
	struct mf_msg_alive m = { 0 };
	uint8_t vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;
	mf_addr_parse(ip, 7946, &a);
	m.incarnation = inc;
	m.node.p = (const uint8_t *)node;
	m.node.len = strlen(node);
	m.addr.p = a.ip;
	m.addr.len = 4;
	m.port = a.port;
	m.meta.p = (const uint8_t *)meta;
	m.meta.len = strlen(meta);
	memcpy(m.vsn, vsn, sizeof(vsn));
	m.has_vsn = true;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_alive(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

static void send_suspect(const char *node, uint32_t inc, const char *from, mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_msg_suspect m = { inc, { (const uint8_t *)node, strlen(node) },
				    { (const uint8_t *)from, strlen(from) } };
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_suspect(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

static void send_dead(const char *node, uint32_t inc, const char *from, mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_msg_dead m = { inc, { (const uint8_t *)node, strlen(node) },
				 { (const uint8_t *)from, strlen(from) } };
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_dead(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

static enum mf_member_status status_of(const char *name)
{
	struct mf_member m;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(pool, name, &m), 0);
	return m.status;
}

static uint32_t inc_of(const char *name)
{
	struct mf_member m;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(pool, name, &m), 0);
	return m.incarnation;
}

static void tick_until(mf_time_t end)
{
	mf_time_t now = 0;
	while (now <= end) {
		mf_pool_tick(pool, now);
		drain();
		now += 100 * MF_MS;
	}
}

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

static void test_leave_with_peers_waits_for_transmissions(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(mf_pool_leave(pool, 0), 0);
	drain();
	CU_ASSERT_FALSE(mf_pool_leave_done(pool));
	tick_until(10 * MF_SEC); /* gossip to b until the limit */
	CU_ASSERT_TRUE(mf_pool_leave_done(pool));
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

int main(void)
{
	CU_pSuite s;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite_with_setup_and_teardown("gossip_pool_state", NULL, NULL, setup, teardown);
#define T(name) CU_add_test(s, #name, name)
	T(test_new_pool_holds_only_itself_at_incarnation_one);
	T(test_alive_adds_member_and_emits_join);
	T(test_alive_suspect_dead_after_suspicion_timeout);
	T(test_suspect_refuted_by_higher_incarnation);
	T(test_stale_incarnation_ignored);
	T(test_dead_member_alive_again_on_higher_incarnation);
	T(test_dead_from_itself_is_a_leave);
	T(test_self_suspicion_refuted_with_higher_incarnation);
	T(test_meta_change_emits_update);
	T(test_conflicting_address_ignored_unless_newer);
	T(test_ping_for_other_node_dropped);
	T(test_ping_answered_with_ack_and_payload);
	T(test_leave_alone_is_done_at_once_and_marks_self_left);
	T(test_leave_with_peers_waits_for_transmissions);
	T(test_force_leave_rules);
	T(test_unanswered_probe_leads_to_suspicion);
	T(test_inbound_push_pull_replies_and_merges);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	unsigned fails;
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}

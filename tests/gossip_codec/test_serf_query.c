/*
 * tests/gossip_codec/test_serf_query.c — serf's query messages
 * (gossip/serf_query.h) against bytes captured from serf 0.9.4, and the
 * query state (gossip/serf_query_state.h): de-duplication, filters,
 * collection, the default timeout.
 *
 * The captures: two Debian serf 0.9.4 agents on loopback, encrypted, s2
 * advertising a small UDP proxy (127.80.0.3) that decrypted what it passed
 * on; `serf keys -list` and `serf query -node s1 -tag role=.* -timeout 2s
 * hello world` run against s2. Each hex string is one memberlist user
 * message's payload (the serf message, type byte first).
 */
#include "helpers.h"

#include "gossip/serf.h"
#include "gossip/serf_query.h"
#include "gossip/serf_query_state.h"

/* s2's list-keys query: Addr 127.80.0.3, Port 7946, LTime 1, Timeout 3.2 s */
static const char *CAP_LIST_QUERY =
	"048ba441646472a47f500003a746696c74657273c0a5466c61677300a24944ce125cee93a54c54696d"
	"6501a44e616d65af5f736572665f6c6973742d6b657973a75061796c6f6164a70781a34b6579a0a450"
	"6f7274cd1f0aab52656c6179466163746f7200aa536f757263654e6f6465a27332a754696d656f7574"
	"cebebc2000";
/* s1's answer: a nodeKeyResponse with one key, primary, Result true */
static const char *CAP_LIST_RESPONSE =
	"0585a5466c61677300a446726f6da27331a24944ce125cee93a54c54696d6501a75061796c6f6164da"
	"00820884a44b65797391da002c674a38497855522b30637a527a563137394439762f3443496536546c"
	"463075453155722b495669626256303da74d657373616765a0aa5072696d6172794b6579da002c674a"
	"38497855522b30637a527a563137394439762f3443496536546c463075453155722b49566962625630"
	"3da6526573756c74c3";
static const char *CAP_KEY = "gJ8IxUR+0czRzV179D9v/4CIe6TlF0uE1Ur+IVibbV0=";
/* the user query with a node filter [s1] and a tag filter role=.* , ack asked */
static const char *CAP_FILTER_QUERY =
	"048ba441646472a47f500003a746696c7465727392a50091a27331b30182a445787072a22e2aa3546167"
	"a4726f6c65a5466c61677301a24944ce67f0897ea54c54696d6502a44e616d65a568656c6c6fa75061"
	"796c6f6164a5776f726c64a4506f7274cd1f0aab52656c6179466163746f7200aa536f757263654e6f"
	"6465a27332a754696d656f7574ce77359400";
/* s1's ack of it */
static const char *CAP_ACK =
	"0585a5466c61677301a446726f6da27331a24944ce67f0897ea54c54696d6502a75061796c6f6164c0";

static uint8_t *unhex(const char *h, size_t *n)
{
	*n = strlen(h) / 2;
	uint8_t *b = malloc(*n);
	for (size_t i = 0; i < *n; i++)
		sscanf(h + 2 * i, "%2hhx", &b[i]);
	return b;
}

static void assert_same(const msgpack_sbuffer *sb, const char *hex)
{
	size_t n;
	uint8_t *want = unhex(hex, &n);
	CU_ASSERT_EQUAL(sb->size, n);
	CU_ASSERT(sb->size == n && memcmp(sb->data, want, n) == 0);
	free(want);
}

static const uint8_t LOOP[4] = {127, 80, 0, 3};

static void test_list_keys_query_decodes_and_encodes_as_serf(void)
{
	size_t n;
	uint8_t *raw = unhex(CAP_LIST_QUERY, &n);
	struct mf_serf_query q;
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_query(raw + 1, n - 1, &q), 0);
	CU_ASSERT_EQUAL(q.ltime, 1);
	CU_ASSERT_EQUAL(q.id, 0x125cee93);
	CU_ASSERT_EQUAL(q.port, 7946);
	CU_ASSERT(q.addr.len == 4 && memcmp(q.addr.p, LOOP, 4) == 0);
	CU_ASSERT(bytes_eq(q.source_node, "s2"));
	CU_ASSERT(bytes_eq(q.name, "_serf_list-keys"));
	CU_ASSERT_EQUAL(q.timeout, 3200000000LL);
	CU_ASSERT_EQUAL(q.n_filters, 0);
	struct mf_bytes key;
	CU_ASSERT_EQUAL(q.payload.p[0], MF_SERF_MSG_KEY_REQUEST);
	CU_ASSERT_EQUAL(mf_serf_decode_key_request(q.payload.p + 1, q.payload.len - 1, &key), 0);
	CU_ASSERT_EQUAL(key.len, 0);

	/* and our encoder writes the same bytes, payload included */
	msgpack_sbuffer pl, sb;
	msgpack_sbuffer_init(&pl);
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_serf_encode_key_request(&pl, (const uint8_t *)"", 0), 0);
	struct mf_serf_query mine = {
		.ltime = 1, .id = 0x125cee93, .addr = {LOOP, 4}, .port = 7946,
		.source_node = B("s2"), .timeout = 3200000000LL, .name = B("_serf_list-keys"),
		.payload = {(const uint8_t *)pl.data, pl.size},
	};
	CU_ASSERT_EQUAL(mf_serf_encode_query(&sb, &mine), 0);
	assert_same(&sb, CAP_LIST_QUERY);
	msgpack_sbuffer_destroy(&pl);
	msgpack_sbuffer_destroy(&sb);
	free(raw);
}

static void test_key_response_decodes_and_encodes_as_serf(void)
{
	size_t n;
	uint8_t *raw = unhex(CAP_LIST_RESPONSE, &n);
	struct mf_serf_query_response r;
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_query_response(raw + 1, n - 1, &r), 0);
	CU_ASSERT(bytes_eq(r.from, "s1"));
	CU_ASSERT_EQUAL(r.flags, 0);
	CU_ASSERT_EQUAL(r.ltime, 1);
	CU_ASSERT_EQUAL(r.payload.p[0], MF_SERF_MSG_KEY_RESPONSE);
	struct mf_serf_key_response kr;
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_key_response(r.payload.p + 1, r.payload.len - 1, &kr), 0);
	CU_ASSERT_TRUE(kr.result);
	CU_ASSERT_EQUAL(kr.n_keys, 1);
	CU_ASSERT(bytes_eq(kr.keys[0], CAP_KEY));
	CU_ASSERT(bytes_eq(kr.primary, CAP_KEY));
	CU_ASSERT_EQUAL(kr.message.len, 0);

	msgpack_sbuffer kb, sb;
	msgpack_sbuffer_init(&kb);
	msgpack_sbuffer_init(&sb);
	struct mf_serf_key_response mine = {.result = true, .message = B(""), .n_keys = 1,
					    .primary = B(CAP_KEY)};
	mine.keys[0] = B(CAP_KEY);
	CU_ASSERT_EQUAL(mf_serf_encode_key_response(&kb, &mine), 0);
	struct mf_serf_query_response mr = {.ltime = 1, .id = 0x125cee93, .from = B("s1"),
					    .payload = {(const uint8_t *)kb.data, kb.size}};
	CU_ASSERT_EQUAL(mf_serf_encode_query_response(&sb, &mr), 0);
	assert_same(&sb, CAP_LIST_RESPONSE);
	msgpack_sbuffer_destroy(&kb);
	msgpack_sbuffer_destroy(&sb);
	free(raw);
}

static void test_failed_key_response_has_nil_keys_and_a_message(void)
{
	msgpack_sbuffer kb;
	msgpack_sbuffer_init(&kb);
	struct mf_serf_key_response mine = {
		.keys_nil = true, .message = B("Removing the primary key is not allowed")};
	CU_ASSERT_EQUAL(mf_serf_encode_key_response(&kb, &mine), 0);
	/* [8] {Keys: nil, ...}: 08 84 a4"Keys" c0 */
	CU_ASSERT(kb.size > 8 && memcmp(kb.data, "\x08\x84\xa4Keys\xc0", 8) == 0);
	struct mf_serf_key_response back;
	CU_ASSERT_EQUAL(mf_serf_decode_key_response((const uint8_t *)kb.data + 1, kb.size - 1, &back), 0);
	CU_ASSERT_FALSE(back.result);
	CU_ASSERT_TRUE(back.keys_nil);
	CU_ASSERT(bytes_eq(back.message, "Removing the primary key is not allowed"));
	msgpack_sbuffer_destroy(&kb);
}

static void test_filters_and_ack_encode_as_serf(void)
{
	msgpack_sbuffer f1, f2, sb;
	msgpack_sbuffer_init(&f1);
	msgpack_sbuffer_init(&f2);
	msgpack_sbuffer_init(&sb);
	const char *nodes[] = {"s1"};
	CU_ASSERT_EQUAL(mf_serf_encode_node_filter(&f1, nodes, 1), 0);
	CU_ASSERT_EQUAL(mf_serf_encode_tag_filter(&f2, "role", ".*"), 0);
	struct mf_serf_query q = {
		.ltime = 2, .id = 0x67f0897e, .addr = {LOOP, 4}, .port = 7946,
		.source_node = B("s2"), .flags = MF_SERF_QUERY_FLAG_ACK, .timeout = 2000000000LL,
		.name = B("hello"), .payload = B("world"), .n_filters = 2,
	};
	q.filters[0] = (struct mf_bytes){(const uint8_t *)f1.data, f1.size};
	q.filters[1] = (struct mf_bytes){(const uint8_t *)f2.data, f2.size};
	CU_ASSERT_EQUAL(mf_serf_encode_query(&sb, &q), 0);
	assert_same(&sb, CAP_FILTER_QUERY);
	msgpack_sbuffer_clear(&sb);
	struct mf_serf_query_response ack = {.ltime = 2, .id = 0x67f0897e, .from = B("s1"),
					     .flags = MF_SERF_QUERY_FLAG_ACK};
	CU_ASSERT_EQUAL(mf_serf_encode_query_response(&sb, &ack), 0);
	assert_same(&sb, CAP_ACK);
	msgpack_sbuffer_destroy(&f1);
	msgpack_sbuffer_destroy(&f2);
	msgpack_sbuffer_destroy(&sb);
}

static void test_captured_filters_match_as_serf_decides(void)
{
	size_t n;
	uint8_t *raw = unhex(CAP_FILTER_QUERY, &n);
	struct mf_serf_query q;
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_query(raw + 1, n - 1, &q), 0);
	CU_ASSERT_EQUAL(q.n_filters, 2);
	struct mf_tag tags[1] = {{"role", "meshfed"}};
	CU_ASSERT_TRUE(mf_serf_query_filters_match(q.filters, q.n_filters, "s1", tags, 1));
	CU_ASSERT_FALSE(mf_serf_query_filters_match(q.filters, q.n_filters, "s2", tags, 1));
	/* a tag filter on a value */
	msgpack_sbuffer f;
	msgpack_sbuffer_init(&f);
	CU_ASSERT_EQUAL(mf_serf_encode_tag_filter(&f, "role", "^web$"), 0);
	struct mf_bytes one = {(const uint8_t *)f.data, f.size};
	CU_ASSERT_FALSE(mf_serf_query_filters_match(&one, 1, "s1", tags, 1));
	snprintf(tags[0].value, sizeof(tags[0].value), "web");
	CU_ASSERT_TRUE(mf_serf_query_filters_match(&one, 1, "s1", tags, 1));
	/* an unknown filter type does not match */
	struct mf_bytes odd = {(const uint8_t *)"\x07\x90", 2};
	CU_ASSERT_FALSE(mf_serf_query_filters_match(&odd, 1, "s1", tags, 1));
	msgpack_sbuffer_destroy(&f);
	free(raw);
}

static void test_relay_round_trips_with_the_inner_message(void)
{
	struct mf_addr dest = {.ip = {127, 80, 0, 3}, .ip_len = 4, .port = 7946};
	size_t n;
	uint8_t *ack = unhex(CAP_ACK, &n);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_serf_encode_relay(&sb, &dest, B("s2"), ack, n), 0);
	CU_ASSERT_EQUAL(((uint8_t *)sb.data)[0], MF_SERF_MSG_RELAY);
	struct mf_serf_relay r;
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_relay((const uint8_t *)sb.data + 1, sb.size - 1, &r), 0);
	CU_ASSERT(mf_addr_equal(&r.dest, &dest));
	CU_ASSERT(bytes_eq(r.dest_name, "s2"));
	CU_ASSERT(r.inner.len == n && memcmp(r.inner.p, ack, n) == 0);
	/* without an inner message it is refused */
	CU_ASSERT_EQUAL(mf_serf_decode_relay((const uint8_t *)sb.data + 1, sb.size - 1 - n, &r),
			MF_ETRUNC);
	msgpack_sbuffer_destroy(&sb);
	free(ack);
}

static void test_user_event_round_trips(void)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct mf_serf_user_event e = {.ltime = 7, .name = B("deploy"), .payload = B("v2"), .cc = true};
	CU_ASSERT_EQUAL(mf_serf_encode_user_event(&sb, &e), 0);
	/* go-msgpack order: CC, LTime, Name, Payload */
	CU_ASSERT(memcmp(sb.data, "\x03\x84\xa2" "CC\xc3\xa5LTime\x07", 12) == 0);
	struct mf_serf_user_event back;
	CU_ASSERT_EQUAL(mf_serf_decode_user_event((const uint8_t *)sb.data + 1, sb.size - 1, &back), 0);
	CU_ASSERT_EQUAL(back.ltime, 7);
	CU_ASSERT(bytes_eq(back.name, "deploy") && bytes_eq(back.payload, "v2") && back.cc);
	msgpack_sbuffer_destroy(&sb);
}

static void test_truncated_messages_are_refused_not_read(void)
{
	size_t n;
	uint8_t *raw = unhex(CAP_LIST_QUERY, &n);
	struct mf_serf_query q;
	for (size_t cut = 1; cut < n - 1; cut += 7)
		CU_ASSERT(mf_serf_decode_query(raw + 1, cut, &q) < 0);
	free(raw);
}

static void test_node_names_with_a_nul_are_refused(void)
{
	/* "a\0b" would print as "a" and slip past the per-node de-duplication */
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct mf_serf_query_response r = {.ltime = 1, .id = 1,
					   .from = {(const uint8_t *)"a\0b", 3}};
	CU_ASSERT_EQUAL(mf_serf_encode_query_response(&sb, &r), 0);
	struct mf_serf_query_response back;
	CU_ASSERT_EQUAL(mf_serf_decode_query_response((const uint8_t *)sb.data + 1, sb.size - 1,
						      &back), MF_EMALFORMED);
	struct mf_serf_query_collector c;
	mf_serf_query_collector_init(&c, 1, 1, 100);
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 1, &r), 0);
	mf_serf_query_collector_free(&c);
	msgpack_sbuffer_destroy(&sb);
}

static void test_buffer_admits_each_query_once(void)
{
	struct mf_serf_query_buffer *b = malloc(sizeof(*b));
	uint64_t clock = 1;
	mf_serf_query_buffer_init(b);
	CU_ASSERT_TRUE(mf_serf_query_buffer_admit(b, &clock, 5, 42));
	CU_ASSERT_EQUAL(clock, 6); /* witnessed */
	CU_ASSERT_FALSE(mf_serf_query_buffer_admit(b, &clock, 5, 42));
	CU_ASSERT_TRUE(mf_serf_query_buffer_admit(b, &clock, 5, 43)); /* same LTime, other ID */
	/* 512 later, slot 5 is reused and LTime 5 is too old */
	CU_ASSERT_TRUE(mf_serf_query_buffer_admit(b, &clock, 5 + 512, 42));
	CU_ASSERT_EQUAL(clock, 518);
	CU_ASSERT_FALSE(mf_serf_query_buffer_admit(b, &clock, 5, 44)); /* 5 < 518 - 512 ... */
	CU_ASSERT_TRUE(mf_serf_query_buffer_admit(b, &clock, 6, 1));   /* ... 6 is not */
	free(b);
}

static void test_collector_takes_one_answer_per_node_before_the_deadline(void)
{
	struct mf_serf_query_collector c;
	mf_serf_query_collector_init(&c, 3, 99, 1000);
	struct mf_serf_query_response r = {.ltime = 3, .id = 99, .from = B("a"), .payload = B("x")};
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 10, &r), 1);
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 11, &r), 0); /* duplicate */
	r.flags = MF_SERF_QUERY_FLAG_ACK;
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 12, &r), 1); /* an ack is not a response */
	r.flags = 0;
	r.from = B("b");
	r.id = 98;
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 13, &r), 0); /* other query */
	r.id = 99;
	CU_ASSERT_EQUAL(mf_serf_query_collect(&c, 1000, &r), 0); /* late */
	CU_ASSERT_EQUAL(c.n_responses, 1);
	CU_ASSERT_EQUAL(c.n_acks, 1);
	CU_ASSERT_STRING_EQUAL(c.responses[0].from, "a");
	CU_ASSERT(c.responses[0].len == 1 && c.responses[0].payload[0] == 'x');
	CU_ASSERT_EQUAL(c.duplicates, 1);
	CU_ASSERT_EQUAL(c.mismatched, 1);
	CU_ASSERT_EQUAL(c.late, 1);
	mf_serf_query_collector_free(&c);
}

static void test_default_timeout_is_serfs_formula(void)
{
	const mf_time_t g = 200 * 1000000LL; /* serf's LAN gossip interval */
	CU_ASSERT_EQUAL(mf_serf_query_default_timeout(g, 2), 3200 * 1000000LL); /* as captured */
	CU_ASSERT_EQUAL(mf_serf_query_default_timeout(g, 9), 3200 * 1000000LL);
	CU_ASSERT_EQUAL(mf_serf_query_default_timeout(g, 14), 6400 * 1000000LL);
	CU_ASSERT_EQUAL(mf_serf_query_default_timeout(g, 100), 9600 * 1000000LL);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"list-keys query decodes and encodes as serf", test_list_keys_query_decodes_and_encodes_as_serf},
		{"key response decodes and encodes as serf", test_key_response_decodes_and_encodes_as_serf},
		{"failed key response has nil keys and a message", test_failed_key_response_has_nil_keys_and_a_message},
		{"filters and ack encode as serf", test_filters_and_ack_encode_as_serf},
		{"captured filters match as serf decides", test_captured_filters_match_as_serf_decides},
		{"relay round trips with the inner message", test_relay_round_trips_with_the_inner_message},
		{"user event round trips", test_user_event_round_trips},
		{"truncated messages are refused, not read", test_truncated_messages_are_refused_not_read},
		{"node names with a NUL are refused", test_node_names_with_a_nul_are_refused},
		{"buffer admits each query once", test_buffer_admits_each_query_once},
		{"collector takes one answer per node before the deadline", test_collector_takes_one_answer_per_node_before_the_deadline},
		{"default timeout is serf's formula", test_default_timeout_is_serfs_formula},
		{NULL, NULL},
	};
	return run_suite("gossip serf queries", tests);
}

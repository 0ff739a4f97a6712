/* gossip/codec*.c's containers and streams against bytes captured from
 * serf 0.9.4 (fixtures/): push-pull, user messages, compound, CRC,
 * compression and stream framing (test_codec.c has the single messages). */
#include <time.h>

#include "helpers.h"

#include "gossip/codec.h"
#include "gossip/codec_internal.h"
#include "gossip/mp.h"

static const uint8_t VSN[MF_VSN_LEN] = MF_VSN_SERF_INIT;
static const uint8_t LOOP3[4] = {127, 0, 0, 3};

/* The inflated content of a compressed fixture ([9]{Algo,Buf}). */
static void inflate_fixture(const uint8_t *p, size_t len, msgpack_sbuffer *out)
{
	CU_ASSERT_EQUAL_FATAL(p[0], MF_MSG_COMPRESS);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_compress(p + 1, len - 1, out, 1 << 20), 0);
}

static void test_push_pull_decodes_captured_join(void)
{
	struct fixture f = fx_load("pushpull_join_resp.bin");
	msgpack_sbuffer in;
	struct mf_push_pull pp;

	msgpack_sbuffer_init(&in);
	inflate_fixture(f.p, f.len, &in);
	CU_ASSERT_EQUAL_FATAL(in.data[0], MF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_push_pull((uint8_t *)in.data + 1, in.size - 1, &pp), 0);
	CU_ASSERT(pp.header.join);
	CU_ASSERT_EQUAL(pp.header.nodes, 2);
	CU_ASSERT_EQUAL(pp.n_states, 2);
	CU_ASSERT(bytes_eq(pp.states[0].name, "u3"));
	CU_ASSERT(bytes_eq(pp.states[1].name, "u2"));
	CU_ASSERT_EQUAL(pp.states[1].port, 7946);
	CU_ASSERT_EQUAL(pp.states[1].state, MF_STATE_ALIVE);
	CU_ASSERT_EQUAL(pp.states[1].incarnation, 1);
	CU_ASSERT(pp.states[1].has_vsn && memcmp(pp.states[1].vsn, VSN, 6) == 0);
	CU_ASSERT_EQUAL(pp.user_state.len, 590);
	CU_ASSERT_EQUAL(pp.user_state.p[0], 2); /* serf messagePushPullType */
	CU_ASSERT(pp.user_state.p + pp.user_state.len == (uint8_t *)in.data + in.size);
	/* serf's states are laid out as ours: each is read in place */
	struct mf_msg_push_pull_header h;
	size_t off = 0, used = 0;
	CU_ASSERT_EQUAL_FATAL(mf_codec__decode_pp_header((uint8_t *)in.data + 1, in.size - 1, &h, &off), 0);
	for (int i = 0; i < 2; i++) {
		struct mf_msg_push_node_state s;
		CU_ASSERT_EQUAL_FATAL(mf_codec__decode_node_state_canonical(
			(uint8_t *)in.data + 1 + off, in.size - 1 - off, &s, &used), 0);
		CU_ASSERT(s.name.p == pp.states[i].name.p && s.incarnation == pp.states[i].incarnation);
		off += used;
	}
	mf_codec_push_pull_free(&pp);
	msgpack_sbuffer_destroy(&in);
	fx_free(&f);
}

static void test_push_pull_encoder_matches_captured_join(void)
{
	struct fixture f = fx_load("pushpull_join_resp.bin");
	msgpack_sbuffer in, sb;
	struct mf_push_pull pp;

	msgpack_sbuffer_init(&in);
	msgpack_sbuffer_init(&sb);
	inflate_fixture(f.p, f.len, &in);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_push_pull((uint8_t *)in.data + 1, in.size - 1, &pp), 0);
	CU_ASSERT_EQUAL(mf_codec_encode_push_pull(&sb, pp.header.join, pp.states, pp.n_states,
						  pp.user_state.p, pp.user_state.len), 0);
	CU_ASSERT(sb.size == in.size && memcmp(sb.data, in.data, in.size) == 0);
	mf_codec_push_pull_free(&pp);
	msgpack_sbuffer_destroy(&in);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

static void test_push_pull_truncated_user_state_is_truncated(void)
{
	struct mf_msg_push_node_state s = {.name = B("a"), .addr = {LOOP3, 4}, .port = 1,
					   .vsn = MF_VSN_SERF_INIT, .has_vsn = true};
	msgpack_sbuffer sb;
	struct mf_push_pull pp;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_push_pull(&sb, false, &s, 1, (const uint8_t *)"xyz", 3), 0);
	CU_ASSERT_EQUAL(mf_codec_decode_push_pull((uint8_t *)sb.data + 1, sb.size - 1, &pp), 0);
	CU_ASSERT_FALSE(pp.header.join);
	CU_ASSERT(pp.n_states == 1 && bytes_eq(pp.states[0].name, "a"));
	CU_ASSERT(pp.user_state.len == 3 && memcmp(pp.user_state.p, "xyz", 3) == 0);
	mf_codec_push_pull_free(&pp);
	for (size_t n = 0; n < sb.size - 1; n++)
		CU_ASSERT(mf_codec_decode_push_pull((uint8_t *)sb.data + 1, n, &pp) < 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_user_stream_round_trips(void)
{
	msgpack_sbuffer sb;
	struct mf_bytes m;
	size_t n = 0;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_user_stream(&sb, (const uint8_t *)"\x01hello", 6), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_USER);
	CU_ASSERT(memcmp(sb.data + 1, "\x81\xaaUserMsgLen\x06", 13) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_user_stream((uint8_t *)sb.data + 1, sb.size - 1, &m), 0);
	CU_ASSERT(m.len == 6 && memcmp(m.p, "\x01hello", 6) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_user_stream((uint8_t *)sb.data + 1, sb.size - 2, &m), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_codec_stream_complete((uint8_t *)sb.data, sb.size, &n), 1);
	CU_ASSERT_EQUAL(n, sb.size);
	CU_ASSERT_EQUAL(mf_codec_stream_complete((uint8_t *)sb.data, sb.size - 1, &n), 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_user_message_is_raw_after_type_byte(void)
{
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_user(&sb, (const uint8_t *)"ab", 2), 0);
	CU_ASSERT(sb.size == 3 && memcmp(sb.data, "\x08" "ab", 3) == 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_compound_splits_captured_gossip(void)
{
	struct fixture f = fx_load("crc_compound.bin"); /* [12][crc][7 ...] */
	struct mf_bytes parts[8];
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(f.p[5], MF_MSG_COMPOUND);
	CU_ASSERT_EQUAL(mf_codec_split_compound(f.p + 6, f.len - 6, parts, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(parts[0].len == 60 && parts[0].p[0] == MF_MSG_ALIVE);
	CU_ASSERT(parts[1].len == 18 && parts[1].p[0] == MF_MSG_USER);
	CU_ASSERT_EQUAL(mf_codec_split_compound(f.p + 6, f.len - 6, parts, 1, &n), MF_ETOOBIG);
	fx_free(&f);
}

static void test_compound_round_trip_and_truncated_tail(void)
{
	struct mf_bytes in[3] = {B("\x08one"), B("\x08two!"), B("\x08three")}, out[3];
	msgpack_sbuffer sb;
	size_t n = 0;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_compound(&sb, in, 3), 0);
	CU_ASSERT(memcmp(sb.data, "\x07\x03\x00\x04\x00\x05\x00\x06", 8) == 0);
	CU_ASSERT_EQUAL(mf_codec_split_compound((uint8_t *)sb.data + 1, sb.size - 1, out, 3, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	for (size_t i = 0; i < 3; i++)
		CU_ASSERT(out[i].len == in[i].len && memcmp(out[i].p, in[i].p, in[i].len) == 0);
	/* cut into the last part: the first two survive, memberlist-style */
	CU_ASSERT_EQUAL(mf_codec_split_compound((uint8_t *)sb.data + 1, sb.size - 3, out, 3, &n),
			MF_ETRUNC);
	CU_ASSERT_EQUAL(n, 2);
	/* cut into the length table */
	CU_ASSERT_EQUAL(mf_codec_split_compound((uint8_t *)sb.data + 1, 4, out, 3, &n), MF_ETRUNC);
	CU_ASSERT_EQUAL(n, 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_crc_matches_captured_and_detects_corruption(void)
{
	struct fixture f = fx_load("crc_alive.bin");
	struct mf_bytes inner;
	msgpack_sbuffer sb;

	CU_ASSERT_EQUAL(mf_codec_check_crc(f.p + 1, f.len - 1, &inner), 0);
	CU_ASSERT(inner.p == f.p + 5 && inner.len == f.len - 5);
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_crc(&sb, f.p + 5, f.len - 5), 0);
	CU_ASSERT(sb.size == f.len && memcmp(sb.data, f.p, f.len) == 0);
	f.p[20] ^= 1;
	CU_ASSERT_EQUAL(mf_codec_check_crc(f.p + 1, f.len - 1, &inner), MF_ECRC);
	CU_ASSERT_EQUAL(mf_codec_check_crc(f.p + 1, 3, &inner), MF_ETRUNC);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

static void test_compress_round_trips_and_rejects_unknown_algo(void)
{
	static const char msg[] = "\x08 hello hello hello hello hello hello";
	msgpack_sbuffer sb, out;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_codec_encode_compress(&sb, (const uint8_t *)msg, sizeof(msg) - 1), 0);
	CU_ASSERT(memcmp(sb.data, "\x09\x82\xa4" "Algo\x00\xa3" "Buf", 11) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_compress((uint8_t *)sb.data + 1, sb.size - 1, &out, 1000), 0);
	CU_ASSERT(out.size == sizeof(msg) - 1 && memcmp(out.data, msg, out.size) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_compress((uint8_t *)sb.data + 1, sb.size - 1, &out, 5),
			MF_ETOOBIG);

	msgpack_sbuffer_clear(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "Algo", 4);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str_with_body(&pk, "Buf", 3);
	msgpack_pack_str_with_body(&pk, "", 0);
	CU_ASSERT_EQUAL(mf_codec_decode_compress((uint8_t *)sb.data, sb.size, &out, 1000),
			MF_EDECOMPRESS);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&out);
}

/* Every proper prefix of a stream is "need more", the whole is complete. */
static void check_stream_prefixes(const uint8_t *p, size_t len)
{
	size_t n = 0;
	int bad = 0;

	for (size_t i = 0; i < len; i++)
		if (mf_codec_stream_complete(p, i, &n) != 0)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(mf_codec_stream_complete(p, len, &n), 1);
	CU_ASSERT_EQUAL(n, len);
	/* The incremental framer, fed one byte more each time, agrees. */
	struct mf_stream_framer f;
	mf_stream_framer_init(&f);
	bad = 0;
	for (size_t i = 0; i < len; i++)
		if (mf_codec_stream_feed(&f, p, i, &n) != 0)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(mf_codec_stream_feed(&f, p, len, &n), 1);
	CU_ASSERT_EQUAL(n, len);
}

/* The push-pull of the issue: Nodes = 19,000,000, then node states arriving
 * 8 KB at a time. Each byte is parsed once: 8 MB in 1,024 reads takes
 * milliseconds (re-walking the buffer per read took seconds). Node states
 * here are nested arrays cut across reads, so resuming inside an object is
 * exercised too. */
static void test_stream_feed_costs_the_bytes_received(void)
{
	static const uint8_t hdr[] = {6,   0x83, 0xa4, 'J', 'o', 'i', 'n', 0xc2, 0xa5, 'N', 'o',
				      'd', 'e',  's',  0xce, 0x01, 0x21, 0xea, 0xc0, 0xac, 'U',
				      's', 'e',  'r',  'S', 't',  'a',  't', 'e',  'L',  'e', 'n', 0};
	size_t total = (size_t)8 * 1024 * 1024, n = 0;
	uint8_t *b = malloc(total);
	CU_ASSERT_FATAL(b != NULL);
	memcpy(b, hdr, sizeof(hdr));
	/* node states: [[1, 2, 3], "ab"] = 0x92 0x93 1 2 3 0xa2 'a' 'b' (8 bytes) */
	for (size_t off = sizeof(hdr); off + 8 <= total; off += 8)
		memcpy(b + off, "\x92\x93\x01\x02\x03\xa2" "ab", 8);
	struct mf_stream_framer f;
	mf_stream_framer_init(&f);
	clock_t t0 = clock();
	int rc = 0;
	for (size_t len = 8192; len <= total && rc == 0; len += 8192)
		rc = mf_codec_stream_feed(&f, b, len, &n);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CU_ASSERT_EQUAL(rc, 0); /* 19 M states do not fit 8 MB: still incomplete */
	CU_ASSERT(secs < 0.5);
	free(b);
}

static void test_stream_complete_on_captured_streams(void)
{
	struct fixture f = fx_load("pushpull_join_req.bin"), e = fx_load("enc_stream_req.bin");
	msgpack_sbuffer in;
	uint8_t *more;
	size_t n = 0;

	msgpack_sbuffer_init(&in);
	check_stream_prefixes(f.p, f.len); /* [9]{Algo, Buf} */
	check_stream_prefixes(e.p, e.len); /* [10][len][sealed] */
	inflate_fixture(f.p, f.len, &in);
	check_stream_prefixes((uint8_t *)in.data, in.size); /* [6]{hdr}{node}[user state] */
	/* bytes after the message are not part of it */
	more = malloc(in.size + 7);
	memcpy(more, in.data, in.size);
	memset(more + in.size, 0xc1, 7);
	CU_ASSERT_EQUAL(mf_codec_stream_complete(more, in.size + 7, &n), 1);
	CU_ASSERT_EQUAL(n, in.size);
	free(more);
	msgpack_sbuffer_destroy(&in);
	fx_free(&f);
	fx_free(&e);
}

static void test_stream_complete_refuses_unknown_and_oversized(void)
{
	static const uint8_t unknown[] = {7, 0, 0};
	static const uint8_t huge[] = {10, 0x7f, 0xff, 0xff, 0xff};
	static const uint8_t ping_garbage[] = {0, 0xc1};
	size_t n;

	CU_ASSERT_EQUAL(mf_codec_stream_complete(unknown, sizeof(unknown), &n), MF_EUNKNOWN);
	CU_ASSERT_EQUAL(mf_codec_stream_complete(huge, sizeof(huge), &n), MF_ETOOBIG);
	CU_ASSERT(mf_codec_stream_complete(ping_garbage, sizeof(ping_garbage), &n) < 0);
}

static void test_stream_complete_survives_random_input(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	uint8_t buf[256];
	size_t n;

	for (int i = 0; i < 20000; i++) {
		size_t len = rnd(&s) % sizeof(buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd(&s);
		if (len)
			buf[0] = (uint8_t)(rnd(&s) % 14);
		int rc = mf_codec_stream_complete(buf, len, &n);
		CU_ASSERT(rc <= 1);
		if (rc == 1)
			CU_ASSERT(n <= len);
	}
}

/* A state read, and the bytes it took (the next state starts there). */
struct state_read {
	struct mf_msg_push_node_state s;
	size_t used;
};

static bool same_state(const void *pa, const void *pb)
{
	const struct state_read *ra = pa, *rb = pb;
	const struct mf_msg_push_node_state *a = &ra->s, *b = &rb->s;
	return ra->used == rb->used && a->incarnation == b->incarnation &&
	       same_view(a->name, b->name) && same_view(a->addr, b->addr) && a->port == b->port &&
	       same_view(a->meta, b->meta) && a->state == b->state && a->has_vsn == b->has_vsn &&
	       memcmp(a->vsn, b->vsn, MF_VSN_LEN) == 0;
}

static int state_fast(const uint8_t *b, size_t len, void *out)
{
	struct state_read *r = out;
	return mf_codec__decode_node_state_canonical(b, len, &r->s, &r->used);
}

static int state_general(const uint8_t *b, size_t len, void *out)
{
	struct state_read *r = out;
	return mf_codec__decode_node_state_general(b, len, &r->s, &r->used);
}

/* Push-pull node states read in place (codec_pushpull.c) give what the
 * general decoder gives, views and length included: 2,000 encoded states
 * of every field size (helpers.h edge_fields, and states 0-255) are all
 * read in place; each one cut short, and each with one byte changed, is
 * either left to the general decoder or read as it reads it. */
static void test_node_state_read_in_place_matches_the_general_decoder(void)
{
	static const uint8_t states[] = {0, 1, 2, 3, 127, 128, 255};
	struct in_place_check c = {state_fast, state_general, same_state,
				   sizeof(struct state_read), 0, 0, 0};
	uint32_t x = 12345;
	for (int k = 0; k < 2000; k++) {
		struct edge_fields ef = edge_fields(k, &x);
		struct mf_msg_push_node_state e = {
			.incarnation = ef.incarnation, .name = ef.name, .addr = ef.addr,
			.port = ef.port, .meta = ef.meta, .state = states[k % 7],
			.vsn = MF_VSN_SERF_INIT, .has_vsn = ef.has_vsn,
		};
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		/* one state, then a byte of user state the reader must not take */
		CU_ASSERT_EQUAL_FATAL(mf_codec_encode_push_pull(&sb, false, &e, 1,
								(const uint8_t *)"u", 1), 0);
		struct mf_msg_push_pull_header h;
		size_t hl = 0;
		CU_ASSERT_EQUAL_FATAL(mf_codec__decode_pp_header((uint8_t *)sb.data + 1,
								 sb.size - 1, &h, &hl), 0);
		size_t len = sb.size - 1 - hl;
		struct state_read r;
		CU_ASSERT(state_general((uint8_t *)sb.data + 1 + hl, len, &r) == 0 &&
			  r.used == len - 1);
		check_in_place(&c, (const uint8_t *)sb.data + 1 + hl, len, len - 1, x);
		msgpack_sbuffer_destroy(&sb);
	}
	CU_ASSERT_EQUAL(c.fast_n, 2000);
	CU_ASSERT_EQUAL(c.wrong, 0);
	CU_ASSERT(c.mutants_fast > 0); /* a changed value byte is still read in place */
}

int main(void)
{
	static const struct test_case tests[] = {
		{"push-pull decodes captured join", test_push_pull_decodes_captured_join},
		TEST(test_node_state_read_in_place_matches_the_general_decoder),
		{"push-pull encoder matches captured join", test_push_pull_encoder_matches_captured_join},
		{"push-pull truncations fail", test_push_pull_truncated_user_state_is_truncated},
		{"user stream round trips", test_user_stream_round_trips},
		{"user message is raw after type byte", test_user_message_is_raw_after_type_byte},
		{"compound splits captured gossip", test_compound_splits_captured_gossip},
		{"compound round trip and truncated tail", test_compound_round_trip_and_truncated_tail},
		{"crc matches captured and detects corruption", test_crc_matches_captured_and_detects_corruption},
		{"compress round trips and rejects unknown algo",
		 test_compress_round_trips_and_rejects_unknown_algo},
		{"stream complete on captured streams", test_stream_complete_on_captured_streams},
		{"stream complete refuses unknown and oversized",
		 test_stream_complete_refuses_unknown_and_oversized},
		{"stream complete survives random input", test_stream_complete_survives_random_input},
		{"stream feed costs the bytes received", test_stream_feed_costs_the_bytes_received},
	};
	return RUN_SUITE("gossip codec streams", tests);
}

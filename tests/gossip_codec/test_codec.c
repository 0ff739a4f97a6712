/* gossip/codec.c against bytes captured from serf 0.9.4 (fixtures/), and
 * round trips of every memberlist message. */
#include "helpers.h"

#include "gossip/codec.h"
#include "gossip/codec_internal.h"
#include "gossip/mp.h"

static const uint8_t VSN[MF_VSN_LEN] = MF_VSN_SERF_INIT;
static const uint8_t LOOP3[4] = {127, 0, 0, 3};
static const uint8_t LOOP4[4] = {127, 0, 0, 4};

static void test_ping_decodes_captured_serf_ping(void)
{
	struct fixture f = fx_load("ping.bin");
	struct mf_msg_ping m;

	CU_ASSERT_EQUAL(f.p[0], MF_MSG_PING);
	CU_ASSERT_EQUAL(mf_codec_decode_ping(f.p + 1, f.len - 1, &m), 0);
	CU_ASSERT_EQUAL(m.seq_no, 57);
	CU_ASSERT(bytes_eq(m.node, "u4"));
	CU_ASSERT(bytes_eq(m.source_node, "u3"));
	CU_ASSERT_EQUAL(m.source_addr.len, 4);
	CU_ASSERT(memcmp(m.source_addr.p, LOOP3, 4) == 0);
	CU_ASSERT_EQUAL(m.source_port, 7946);
	/* views point into the caller's buffer, not a copy */
	CU_ASSERT(m.node.p > f.p && m.node.p < f.p + f.len);
	fx_free(&f);
}

static void test_ping_encoder_matches_captured_bytes(void)
{
	struct fixture f = fx_load("ping.bin");
	struct mf_msg_ping m = {.seq_no = 57, .node = B("u4"), .source_node = B("u3"),
				.source_addr = {LOOP3, 4}, .source_port = 7946};
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_ping(&sb, &m), 0);
	CU_ASSERT_EQUAL(sb.size, f.len);
	CU_ASSERT(sb.size == f.len && memcmp(sb.data, f.p, f.len) == 0);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

static void test_ping_omits_empty_source_fields(void)
{
	struct mf_msg_ping m = {.seq_no = 1, .node = B("a")}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_ping(&sb, &m), 0);
	CU_ASSERT_EQUAL((uint8_t)sb.data[1], 0x82); /* Node, SeqNo only */
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT_EQUAL(d.source_addr.len, 0);
	CU_ASSERT_EQUAL(d.source_port, 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_ack_decodes_captured_coordinate_payload(void)
{
	struct fixture f = fx_load("ack_coord.bin");
	struct mf_msg_ack m;

	CU_ASSERT_EQUAL(f.p[0], MF_MSG_ACK);
	CU_ASSERT_EQUAL(mf_codec_decode_ack(f.p + 1, f.len - 1, &m), 0);
	CU_ASSERT_EQUAL(m.seq_no, 57);
	CU_ASSERT_EQUAL(m.payload.len, 130);
	CU_ASSERT_EQUAL(m.payload.p[0], 1);    /* serf ping version */
	CU_ASSERT_EQUAL(m.payload.p[1], 0x84); /* {Adjustment, Error, Height, Vec} */
	fx_free(&f);
}

static void test_ack_encoder_matches_captured_bytes(void)
{
	struct fixture f = fx_load("ack_coord.bin");
	struct mf_msg_ack m;
	msgpack_sbuffer sb;

	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_ack(f.p + 1, f.len - 1, &m), 0);
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_ack(&sb, &m), 0);
	/* a 130-byte payload is str16 (da 00 82): go-msgpack never writes str8 */
	CU_ASSERT(sb.size == f.len && memcmp(sb.data, f.p, f.len) == 0);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

static void test_ack_nil_payload_is_msgpack_nil(void)
{
	struct mf_msg_ack m = {.seq_no = 9}, d;
	msgpack_sbuffer sb;
	static const uint8_t want[] = {2, 0x82, 0xa7, 'P', 'a', 'y', 'l', 'o', 'a', 'd', 0xc0,
				       0xa5, 'S', 'e', 'q', 'N', 'o', 9};

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_ack(&sb, &m), 0);
	CU_ASSERT(sb.size == sizeof(want) && memcmp(sb.data, want, sizeof(want)) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_ack((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT_EQUAL(d.seq_no, 9);
	CU_ASSERT_EQUAL(d.payload.len, 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_alive_decodes_captured_and_encoder_matches(void)
{
	struct fixture f = fx_load("crc_alive.bin"); /* [12][crc][alive] */
	struct mf_msg_alive m;
	msgpack_sbuffer sb;
	const uint8_t *msg = f.p + 5;
	size_t len = f.len - 5;

	CU_ASSERT_EQUAL_FATAL(msg[0], MF_MSG_ALIVE);
	CU_ASSERT_EQUAL(mf_codec_decode_alive(msg + 1, len - 1, &m), 0);
	CU_ASSERT_EQUAL(m.incarnation, 1);
	CU_ASSERT(bytes_eq(m.node, "u4"));
	CU_ASSERT(m.addr.len == 4 && memcmp(m.addr.p, LOOP4, 4) == 0);
	CU_ASSERT_EQUAL(m.port, 7946);
	CU_ASSERT(m.meta.len == 2 && m.meta.p[0] == 0xff && m.meta.p[1] == 0x80);
	CU_ASSERT(m.has_vsn);
	CU_ASSERT(memcmp(m.vsn, VSN, MF_VSN_LEN) == 0);

	struct mf_msg_alive e = {.incarnation = 1, .node = B("u4"), .addr = {LOOP4, 4},
				 .port = 7946, .meta = {(const uint8_t *)"\xff\x80", 2},
				 .vsn = MF_VSN_SERF_INIT, .has_vsn = true};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_alive(&sb, &e), 0);
	CU_ASSERT(sb.size == len && memcmp(sb.data, msg, len) == 0);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

static void test_alive_round_trips_ipv6_and_no_vsn(void)
{
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct mf_msg_alive e = {.incarnation = 70000, .node = B("node-with-a-long-name-over-31-bytes"),
				 .addr = {a6, 16}, .port = 65535}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_alive(&sb, &e), 0);
	CU_ASSERT_EQUAL(mf_codec_decode_alive((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT_EQUAL(d.incarnation, 70000);
	CU_ASSERT(bytes_eq(d.node, "node-with-a-long-name-over-31-bytes"));
	CU_ASSERT(d.addr.len == 16 && memcmp(d.addr.p, a6, 16) == 0);
	CU_ASSERT_EQUAL(d.port, 65535);
	CU_ASSERT_EQUAL(d.meta.len, 0);
	CU_ASSERT_FALSE(d.has_vsn);
	msgpack_sbuffer_destroy(&sb);
}

static bool same_alive(const void *pa, const void *pb)
{
	const struct mf_msg_alive *a = pa, *b = pb;
	return a->incarnation == b->incarnation && same_view(a->node, b->node) &&
	       same_view(a->addr, b->addr) && a->port == b->port && same_view(a->meta, b->meta) &&
	       a->has_vsn == b->has_vsn && memcmp(a->vsn, b->vsn, MF_VSN_LEN) == 0;
}

static int alive_fast(const uint8_t *b, size_t len, void *out)
{
	return mf_codec__decode_alive_canonical(b, len, out);
}

static int alive_general(const uint8_t *b, size_t len, void *out)
{
	return mf_codec__decode_alive_general(b, len, out);
}

/* Alive messages read in place (gossip/codec_alive.c) give what the
 * general decoder gives, views included: 2,000 encoded messages of every
 * field size (helpers.h edge_fields) are all read in place; each one cut
 * short, and each with one byte changed, is either left to the general
 * decoder or read as it reads it. */
static void test_alive_read_in_place_matches_the_general_decoder(void)
{
	struct in_place_check c = {alive_fast, alive_general, same_alive,
				   sizeof(struct mf_msg_alive), 0, 0, 0};
	uint32_t x = 12345;
	for (int k = 0; k < 2000; k++) {
		struct edge_fields ef = edge_fields(k, &x);
		struct mf_msg_alive e = {
			.incarnation = ef.incarnation, .node = ef.name, .addr = ef.addr,
			.port = ef.port, .meta = ef.meta, .vsn = MF_VSN_SERF_INIT,
			.has_vsn = ef.has_vsn,
		};
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		CU_ASSERT_EQUAL_FATAL(mf_codec_encode_alive(&sb, &e), 0);
		check_in_place(&c, (const uint8_t *)sb.data + 1, sb.size - 1, sb.size - 1, x);
		msgpack_sbuffer_destroy(&sb);
	}
	CU_ASSERT_EQUAL(c.fast_n, 2000);
	CU_ASSERT_EQUAL(c.wrong, 0);
	CU_ASSERT(c.mutants_fast > 0); /* a changed value byte is still read in place */
}

static void test_indirect_ping_round_trips(void)
{
	struct mf_msg_indirect_ping e = {.seq_no = 77, .target = {LOOP4, 4}, .port = 7946,
					 .node = B("u4"), .nack = true, .source_addr = {LOOP3, 4},
					 .source_port = 7000, .source_node = B("u3")}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_indirect_ping(&sb, &e), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_INDIRECT_PING);
	CU_ASSERT_EQUAL((uint8_t)sb.data[1], 0x88);
	/* sorted keys: Nack first */
	CU_ASSERT(memcmp(sb.data + 2, "\xa4Nack", 5) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_indirect_ping((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT_EQUAL(d.seq_no, 77);
	CU_ASSERT(d.target.len == 4 && memcmp(d.target.p, LOOP4, 4) == 0);
	CU_ASSERT_EQUAL(d.port, 7946);
	CU_ASSERT(bytes_eq(d.node, "u4"));
	CU_ASSERT(d.nack);
	CU_ASSERT(d.source_addr.len == 4 && memcmp(d.source_addr.p, LOOP3, 4) == 0);
	CU_ASSERT_EQUAL(d.source_port, 7000);
	CU_ASSERT(bytes_eq(d.source_node, "u3"));
	msgpack_sbuffer_destroy(&sb);
}

static void test_nack_err_suspect_dead_round_trip(void)
{
	msgpack_sbuffer sb;
	struct mf_msg_nack n = {.seq_no = 4000000000u}, nd;
	struct mf_msg_err er = {.error = B("boom")}, erd;
	struct mf_msg_suspect s = {.incarnation = 3, .node = B("x"), .from = B("y")}, sd;
	struct mf_msg_dead dd, de = {.incarnation = 5, .node = B("x"), .from = B("x")};

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_nack(&sb, &n), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_NACK);
	CU_ASSERT_EQUAL(mf_codec_decode_nack((uint8_t *)sb.data + 1, sb.size - 1, &nd), 0);
	CU_ASSERT_EQUAL(nd.seq_no, 4000000000u);

	msgpack_sbuffer_clear(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_err(&sb, &er), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_ERR);
	CU_ASSERT_EQUAL(mf_codec_decode_err((uint8_t *)sb.data + 1, sb.size - 1, &erd), 0);
	CU_ASSERT(bytes_eq(erd.error, "boom"));

	msgpack_sbuffer_clear(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_suspect(&sb, &s), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_SUSPECT);
	CU_ASSERT(memcmp(sb.data + 1, "\x83\xa4" "From", 6) == 0);
	CU_ASSERT_EQUAL(mf_codec_decode_suspect((uint8_t *)sb.data + 1, sb.size - 1, &sd), 0);
	CU_ASSERT(sd.incarnation == 3 && bytes_eq(sd.node, "x") && bytes_eq(sd.from, "y"));

	msgpack_sbuffer_clear(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_dead(&sb, &de), 0);
	CU_ASSERT_EQUAL(sb.data[0], MF_MSG_DEAD);
	CU_ASSERT_EQUAL(mf_codec_decode_dead((uint8_t *)sb.data + 1, sb.size - 1, &dd), 0);
	CU_ASSERT(dd.incarnation == 5 && bytes_eq(dd.node, "x") && bytes_eq(dd.from, "x"));
	msgpack_sbuffer_destroy(&sb);
}

/* Keys in another order, bin instead of str, a wide integer encoding and an
 * unknown key: go-msgpack accepts all of these, so do we. */
static void test_decoder_accepts_bin_any_order_wide_ints_unknown_keys(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mf_msg_ping m;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "Extra", 5);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	msgpack_pack_str_with_body(&pk, "SourceAddr", 10);
	msgpack_pack_bin_with_body(&pk, LOOP3, 4);
	msgpack_pack_str_with_body(&pk, "SeqNo", 5);
	msgpack_pack_fix_uint64(&pk, 12);
	msgpack_pack_bin_with_body(&pk, "Node", 4); /* even a bin key */
	msgpack_pack_bin_with_body(&pk, "n1", 2);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), 0);
	CU_ASSERT_EQUAL(m.seq_no, 12);
	CU_ASSERT(bytes_eq(m.node, "n1"));
	CU_ASSERT(m.source_addr.len == 4 && memcmp(m.source_addr.p, LOOP3, 4) == 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_decoder_rejects_missing_field_wrong_type_and_overflow(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct mf_msg_ping m;
	struct mf_msg_alive a;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1); /* no SeqNo */
	msgpack_pack_str_with_body(&pk, "Node", 4);
	msgpack_pack_str_with_body(&pk, "n", 1);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), MF_EMALFORMED);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1); /* SeqNo is a string */
	msgpack_pack_str_with_body(&pk, "SeqNo", 5);
	msgpack_pack_str_with_body(&pk, "1", 1);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), MF_EMALFORMED);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1); /* SeqNo over uint32 */
	msgpack_pack_str_with_body(&pk, "SeqNo", 5);
	msgpack_pack_uint64(&pk, 1ull << 32);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), MF_EMALFORMED);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 1); /* SeqNo negative */
	msgpack_pack_str_with_body(&pk, "SeqNo", 5);
	msgpack_pack_int8(&pk, -1);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), MF_EMALFORMED);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_array(&pk, 0); /* not a map */
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)sb.data, sb.size, &m), MF_EMALFORMED);

	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 3); /* a 5-byte address */
	msgpack_pack_str_with_body(&pk, "Incarnation", 11);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str_with_body(&pk, "Node", 4);
	msgpack_pack_str_with_body(&pk, "n", 1);
	msgpack_pack_str_with_body(&pk, "Addr", 4);
	msgpack_pack_str_with_body(&pk, "12345", 5);
	CU_ASSERT_EQUAL(mf_codec_decode_alive((uint8_t *)sb.data, sb.size, &a), MF_EMALFORMED);
	msgpack_sbuffer_destroy(&sb);
}

static void test_alive_meta_over_limit_is_too_big(void)
{
	static uint8_t meta[MF_META_MAX + 1];
	struct mf_msg_alive e = {.incarnation = 1, .node = B("n"), .meta = {meta, sizeof(meta)}}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_alive(&sb, &e), 0);
	CU_ASSERT_EQUAL(mf_codec_decode_alive((uint8_t *)sb.data + 1, sb.size - 1, &d), MF_ETOOBIG);
	msgpack_sbuffer_destroy(&sb);
}

/* A 5-byte array header claiming 4 billion elements must not make msgpack-c
 * allocate 100 GB: it is simply incomplete. */
static void test_huge_declared_count_is_truncated_not_allocated(void)
{
	static const uint8_t arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
	static const uint8_t map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a'};
	static const uint8_t str[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
	struct mf_msg_ping m;

	CU_ASSERT_EQUAL(mf_codec_decode_ping(arr, sizeof(arr), &m), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_codec_decode_ping(map, sizeof(map), &m), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_codec_decode_ping(str, sizeof(str), &m), MF_ETRUNC);
}

/* Every container and str/bin in an unpacked object, checked against the
 * input length: what msgpack-c allocated is at most a small multiple of it. */
static bool sizes_fit(const msgpack_object *o, size_t len)
{
	switch (o->type) {
	case MSGPACK_OBJECT_ARRAY:
		if (o->via.array.size > len)
			return false;
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if (!sizes_fit(&o->via.array.ptr[i], len))
				return false;
		return true;
	case MSGPACK_OBJECT_MAP:
		if (2u * (uint64_t)o->via.map.size > len)
			return false;
		for (uint32_t i = 0; i < o->via.map.size; i++)
			if (!sizes_fit(&o->via.map.ptr[i].key, len) ||
			    !sizes_fit(&o->via.map.ptr[i].val, len))
				return false;
		return true;
	case MSGPACK_OBJECT_STR:
		return o->via.str.size <= len;
	case MSGPACK_OBJECT_BIN:
		return o->via.bin.size <= len;
	default:
		return true;
	}
}

/* The one checked entry (gossip/mp.h) on captured messages whose bytes are
 * overwritten, at random places, with container and str/bin headers of
 * random declared sizes: it either refuses or unpacks an object whose every
 * declared size fits the input. Run under ASan, a big allocation aborts. */
static void test_checked_unpack_refuses_random_declared_sizes(void)
{
	static const char *names[] = {"ping.bin", "pushpull_join_req.bin", "ack_coord.bin"};
	static const uint8_t hdrs[] = {0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6,
				       0xd9, 0xda, 0xdb, 0xc7, 0xc8, 0xc9};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t ok = 0, refused = 0;
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		struct fixture fx = fx_load(names[f]);
		for (int round = 0; round < 3000; round++) {
			uint8_t m[4096];
			size_t len = fx.len < sizeof(m) ? fx.len : sizeof(m);
			memcpy(m, fx.p, len);
			for (int k = 0; k < 1 + round % 3; k++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				size_t at = 1 + (size_t)(x >> 33) % (len - 1);
				m[at] = hdrs[(x >> 20) % sizeof(hdrs)];
				for (size_t b = at + 1; b < len && b < at + 5; b++)
					m[b] = (uint8_t)(x >> (8 * (b - at)));
			}
			struct mf_mp mp;
			size_t used = 0;
			int rc = mf_mp_unpack(m + 1, len - 1, &mp, &used);
			if (rc == 0) {
				ok++;
				CU_ASSERT(used <= len - 1);
				CU_ASSERT(sizes_fit(mp.root, len - 1));
			} else {
				refused++;
				CU_ASSERT(rc == MF_ETRUNC || rc == MF_EMALFORMED);
			}
			mf_mp_done(&mp);
		}
		free(fx.p);
	}
	CU_ASSERT(refused > 0);
	CU_ASSERT(ok + refused == 9000);
}

static void test_deep_nesting_is_refused_without_crash(void)
{
	static uint8_t deep[20001];
	struct mf_msg_ping m;

	deep[0] = 0x81; /* {"": [[[[...]]]]} */
	deep[1] = 0xa0;
	memset(deep + 2, 0x91, sizeof(deep) - 3);
	deep[sizeof(deep) - 1] = 0xc0;
	CU_ASSERT(mf_codec_decode_ping(deep, sizeof(deep), &m) < 0);
}

static void test_every_truncation_of_captured_messages_fails_cleanly(void)
{
	struct fixture f = fx_load("ping.bin"), g = fx_load("ack_coord.bin");
	struct mf_msg_ping p;
	struct mf_msg_ack a;

	for (size_t n = 0; n < f.len - 1; n++) {
		uint8_t *c = malloc(n ? n : 1); /* exact-size copy: ASan sees overreads */
		memcpy(c, f.p + 1, n);
		CU_ASSERT(mf_codec_decode_ping(c, n, &p) < 0);
		free(c);
	}
	for (size_t n = 0; n < g.len - 1; n++) {
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, g.p + 1, n);
		CU_ASSERT(mf_codec_decode_ack(c, n, &a) < 0);
		free(c);
	}
	fx_free(&f);
	fx_free(&g);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"ping decodes captured serf ping", test_ping_decodes_captured_serf_ping},
		{"ping encoder matches captured bytes", test_ping_encoder_matches_captured_bytes},
		{"ping omits empty source fields", test_ping_omits_empty_source_fields},
		{"ack decodes captured coordinate payload", test_ack_decodes_captured_coordinate_payload},
		{"ack encoder matches captured bytes", test_ack_encoder_matches_captured_bytes},
		{"ack nil payload is msgpack nil", test_ack_nil_payload_is_msgpack_nil},
		{"alive decodes captured and encoder matches", test_alive_decodes_captured_and_encoder_matches},
		{"alive round trips ipv6 and no vsn", test_alive_round_trips_ipv6_and_no_vsn},
		{"alive read in place matches the general decoder",
		 test_alive_read_in_place_matches_the_general_decoder},
		{"indirect ping round trips", test_indirect_ping_round_trips},
		{"nack err suspect dead round trip", test_nack_err_suspect_dead_round_trip},
		{"decoder accepts bin, any order, wide ints, unknown keys",
		 test_decoder_accepts_bin_any_order_wide_ints_unknown_keys},
		{"decoder rejects missing field, wrong type, overflow",
		 test_decoder_rejects_missing_field_wrong_type_and_overflow},
		{"alive meta over limit is too big", test_alive_meta_over_limit_is_too_big},
		{"huge declared count is truncated, not allocated",
		 test_huge_declared_count_is_truncated_not_allocated},
		{"checked unpack refuses random declared sizes",
		 test_checked_unpack_refuses_random_declared_sizes},
		{"deep nesting is refused without crash", test_deep_nesting_is_refused_without_crash},
		{"every truncation of captured messages fails cleanly",
		 test_every_truncation_of_captured_messages_fails_cleanly},
	};
	return RUN_SUITE("gossip codec", tests);
}

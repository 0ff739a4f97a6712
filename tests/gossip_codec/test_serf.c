/* gossip/serf.c: serf's tags and user messages, against serf's captures. */
#include "helpers.h"

#include "gossip/codec.h"
#include "gossip/mp.h"
#include "gossip/serf.h"

static void set_tag(struct mf_tag *t, const char *k, const char *v)
{
	snprintf(t->key, sizeof(t->key), "%s", k);
	snprintf(t->value, sizeof(t->value), "%s", v);
}

static void test_tags_round_trip(void)
{
	struct mf_tag in[3], out[4];
	uint8_t meta[MF_META_MAX];
	size_t len = 0, n = 0;

	set_tag(&in[0], "role", "server");
	set_tag(&in[1], "dc", "dc1");
	set_tag(&in[2], "empty", "");
	CU_ASSERT_EQUAL(mf_serf_encode_tags(in, 3, meta, sizeof(meta), &len), 0);
	CU_ASSERT_EQUAL(meta[0], 0xff);
	CU_ASSERT_EQUAL(meta[1], 0x83);
	CU_ASSERT_EQUAL(mf_serf_decode_tags(meta, len, out, 4, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(out[i].key, in[i].key);
		CU_ASSERT_STRING_EQUAL(out[i].value, in[i].value);
	}
	CU_ASSERT_EQUAL(mf_serf_decode_tags(meta, len, out, 2, &n), MF_ETOOBIG);
}

static void test_no_tags_is_ff80_as_captured(void)
{
	struct fixture f = fx_load("crc_alive.bin");
	struct mf_msg_alive a;
	struct mf_tag t[1];
	uint8_t meta[8];
	size_t len = 0, n = 9;

	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_alive(f.p + 6, f.len - 6, &a), 0);
	CU_ASSERT_EQUAL(mf_serf_decode_tags(a.meta.p, a.meta.len, t, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(mf_serf_encode_tags(NULL, 0, meta, sizeof(meta), &len), 0);
	CU_ASSERT(len == a.meta.len && memcmp(meta, a.meta.p, len) == 0);
	fx_free(&f);
}

static void test_legacy_meta_is_role(void)
{
	struct mf_tag t[1];
	size_t n = 0;

	CU_ASSERT_EQUAL(mf_serf_decode_tags((const uint8_t *)"web", 3, t, 1, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(t[0].key, "role");
	CU_ASSERT_STRING_EQUAL(t[0].value, "web");
	CU_ASSERT_EQUAL(mf_serf_decode_tags(NULL, 0, t, 1, &n), 0);
	CU_ASSERT(n == 1 && t[0].value[0] == '\0');
}

static void test_tags_over_meta_limit_are_too_big(void)
{
	struct mf_tag t[3];
	uint8_t meta[2048];
	size_t len = 0;
	char v[256];

	memset(v, 'v', 255);
	v[255] = '\0';
	set_tag(&t[0], "a", v);
	set_tag(&t[1], "b", v);
	set_tag(&t[2], "c", v);
	CU_ASSERT_EQUAL(mf_serf_encode_tags(t, 3, meta, sizeof(meta), &len), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_serf_encode_tags(t, 1, meta, 10, &len), MF_ETOOBIG); /* cap */
	CU_ASSERT_EQUAL(mf_serf_encode_tags(t, 1, meta, sizeof(meta), &len), 0);
	CU_ASSERT_EQUAL(len, 1 + 1 + 2 + 3 + 255); /* ff, fixmap, "a", str16 value */
}

static void test_malformed_tags_are_refused(void)
{
	static const uint8_t not_map[] = {0xff, 0x01};
	static const uint8_t int_value[] = {0xff, 0x81, 0xa1, 'k', 0x05};
	static const uint8_t truncated[] = {0xff, 0x81, 0xa1, 'k', 0xa3, 'v'};
	struct mf_tag t[2];
	size_t n;

	CU_ASSERT_EQUAL(mf_serf_decode_tags(not_map, sizeof(not_map), t, 2, &n), MF_EMALFORMED);
	CU_ASSERT_EQUAL(mf_serf_decode_tags(int_value, sizeof(int_value), t, 2, &n), MF_EMALFORMED);
	CU_ASSERT_EQUAL(mf_serf_decode_tags(truncated, sizeof(truncated), t, 2, &n), MF_ETRUNC);
	CU_ASSERT_EQUAL(n, 0);
}

static void test_join_decodes_captured_and_encoder_matches(void)
{
	struct fixture f = fx_load("crc_user_join.bin"); /* [12][crc][8][1]{LTime, Node} */
	const uint8_t *msg = f.p + 6;
	size_t len = f.len - 6;
	struct mf_serf_join j;
	msgpack_sbuffer sb;

	CU_ASSERT_EQUAL(mf_serf_msg_type(msg, len), MF_SERF_MSG_JOIN);
	CU_ASSERT_EQUAL(mf_serf_decode_join(msg + 1, len - 1, &j), 0);
	CU_ASSERT_EQUAL(j.ltime, 2);
	CU_ASSERT(bytes_eq(j.node, "u4"));
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_serf_encode_join(&sb, &j), 0);
	CU_ASSERT(sb.size == len && memcmp(sb.data, msg, len) == 0);
	msgpack_sbuffer_destroy(&sb);
	fx_free(&f);
}

/* serf.c's general steps for messageJoin (before its in-place path). */
static int join_general(const uint8_t *body, size_t len, struct mf_serf_join *m)
{
	struct mf_mp mp;
	const msgpack_object *o;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = mf_mp_unpack(body, len, &mp, NULL);
	if (rc == 0 && mp.root->type != MSGPACK_OBJECT_MAP)
		rc = MF_EMALFORMED;
	if (rc == 0) {
		o = mf_mp_get(mp.root, "LTime");
		rc = !o || o->type == MSGPACK_OBJECT_NIL ? MF_EMALFORMED : mf_mp_uint(o, UINT64_MAX, &m->ltime);
	}
	if (rc == 0) {
		o = mf_mp_get(mp.root, "Node");
		rc = !o ? MF_EMALFORMED : mf_mp_bytes(o, &m->node);
		if (rc == 0 && m->node.len > MF_NAME_MAX)
			rc = MF_ETOOBIG;
	}
	mf_mp_done(&mp);
	return rc;
}

/* Join intents read in place give what the general decoder gives: 1,000
 * encoded intents (every LTime width, names of 1-255 bytes), each also cut
 * short and with one byte changed, decode to the same result, views
 * included. */
static void test_join_read_in_place_matches_the_general_decoder(void)
{
	static const uint64_t lts[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 1ull << 32, UINT64_MAX};
	char node[MF_NAME_MAX];
	size_t wrong = 0, cases = 0;
	uint32_t x = 777;
	memset(node, 'j', sizeof(node));
	for (int k = 0; k < 1000; k++) {
		x = x * 1103515245u + 12345u;
		struct mf_serf_join e = {.ltime = lts[k % 10], .node = {(const uint8_t *)node, 1 + (x >> 8) % MF_NAME_MAX}};
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		CU_ASSERT_EQUAL_FATAL(mf_serf_encode_join(&sb, &e), 0);
		uint8_t *c = malloc(sb.size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		size_t len = sb.size - 1;
		for (size_t v = 0; v <= len + len / 50 + 1; v++) {
			memcpy(c, sb.data + 1, len);
			size_t use = len;
			if (v < len / 50 + 1) /* a cut */
				use = v * 50 < len ? v * 50 : len - 1;
			else if (v - (len / 50 + 1) < len) /* a changed byte */
				c[v - (len / 50 + 1)] ^= (uint8_t)(1 + (x >> (v % 24)) % 255);
			struct mf_serf_join a, b;
			int ra = mf_serf_decode_join(c, use, &a), rb = join_general(c, use, &b);
			cases++;
			wrong += ra != rb || (ra == 0 && (a.ltime != b.ltime || a.node.p != b.node.p ||
							 a.node.len != b.node.len));
		}
		struct mf_serf_join d;
		CU_ASSERT_EQUAL(mf_serf_decode_join((const uint8_t *)sb.data + 1, len, &d), 0);
		CU_ASSERT(d.ltime == e.ltime && d.node.len == e.node.len);
		free(c);
		msgpack_sbuffer_destroy(&sb);
	}
	CU_ASSERT(cases > 1000);
	CU_ASSERT_EQUAL(wrong, 0);
}

static void test_leave_round_trips(void)
{
	struct mf_serf_leave l = {.ltime = 1ull << 40, .node = B("gone"), .prune = true}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_serf_encode_leave(&sb, &l), 0);
	CU_ASSERT_EQUAL(mf_serf_msg_type((uint8_t *)sb.data, sb.size), MF_SERF_MSG_LEAVE);
	CU_ASSERT_EQUAL(mf_serf_decode_leave((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT_EQUAL(d.ltime, 1ull << 40);
	CU_ASSERT(bytes_eq(d.node, "gone"));
	CU_ASSERT(d.prune);
	msgpack_sbuffer_destroy(&sb);
}

static void test_push_pull_decodes_captured_user_state(void)
{
	struct fixture f = fx_load("pushpull_join_resp.bin");
	msgpack_sbuffer in;
	struct mf_push_pull pp;
	struct mf_serf_push_pull s;

	msgpack_sbuffer_init(&in);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_compress(f.p + 1, f.len - 1, &in, 1 << 20), 0);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_push_pull((uint8_t *)in.data + 1, in.size - 1, &pp), 0);
	CU_ASSERT_EQUAL(mf_serf_msg_type(pp.user_state.p, pp.user_state.len), MF_SERF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL_FATAL(mf_serf_decode_push_pull(pp.user_state.p + 1, pp.user_state.len - 1, &s), 0);
	CU_ASSERT_EQUAL(s.ltime, 2);
	CU_ASSERT_EQUAL(s.event_ltime, 1);
	CU_ASSERT_EQUAL(s.query_ltime, 1);
	CU_ASSERT_EQUAL(s.n_left, 0);
	CU_ASSERT_EQUAL_FATAL(s.n_status, 2);
	CU_ASSERT(bytes_eq(s.status[0].node, "u3") && s.status[0].ltime == 1);
	CU_ASSERT(bytes_eq(s.status[1].node, "u2") && s.status[1].ltime == 0);
	mf_serf_push_pull_free(&s);
	mf_codec_push_pull_free(&pp);
	msgpack_sbuffer_destroy(&in);
	fx_free(&f);
}

static void test_push_pull_round_trips_with_empty_events(void)
{
	struct mf_serf_status_ltime st[2] = {{B("a"), 5}, {B("b"), 0}};
	struct mf_bytes left[1] = {B("old")};
	struct mf_serf_push_pull pp = {.ltime = 7, .event_ltime = 3, .query_ltime = 2,
				       .status = st, .n_status = 2, .left = left, .n_left = 1}, d;
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_serf_encode_push_pull(&sb, &pp), 0);
	CU_ASSERT(memcmp(sb.data, "\x02\x86\xaa" "EventLTime\x03\xa6" "Events\x90", 22) == 0);
	CU_ASSERT_EQUAL(mf_serf_decode_push_pull((uint8_t *)sb.data + 1, sb.size - 1, &d), 0);
	CU_ASSERT(d.ltime == 7 && d.event_ltime == 3 && d.query_ltime == 2);
	CU_ASSERT_EQUAL_FATAL(d.n_status, 2);
	CU_ASSERT(bytes_eq(d.status[0].node, "a") && d.status[0].ltime == 5);
	CU_ASSERT_EQUAL_FATAL(d.n_left, 1);
	CU_ASSERT(bytes_eq(d.left[0], "old"));
	mf_serf_push_pull_free(&d);
	for (size_t n = 0; n + 1 < sb.size; n++) {
		CU_ASSERT(mf_serf_decode_push_pull((uint8_t *)sb.data + 1, n, &d) < 0);
		CU_ASSERT(d.status == NULL && d.left == NULL);
	}
	msgpack_sbuffer_destroy(&sb);
}

/* The StatusLTimes, written straight into the buffer, are msgpack-c's
 * bytes (the reference is the encoder as it was): names across the raw
 * header's boundaries, LTimes at every width. */
static void test_push_pull_bytes_are_msgpack_c_bytes(void)
{
	static const uint64_t lt[] = {0, 127, 128, 255, 256, 65535, 65536, 0xffffffffu,
				      0x100000000u, UINT64_MAX};
	enum { N = sizeof lt / sizeof lt[0] };
	char names[N][300];
	struct mf_serf_status_ltime st[N];
	static const size_t lens[N] = {1, 30, 31, 32, 33, 200, 255, 256, 290, 3};
	for (size_t i = 0; i < N; i++) {
		memset(names[i], 'a' + (int)i, lens[i]);
		st[i] = (struct mf_serf_status_ltime){{(const uint8_t *)names[i], lens[i]}, lt[i]};
	}
	struct mf_bytes left[1] = {B("gone")};
	struct mf_serf_push_pull pp = {.ltime = 70000, .event_ltime = 1, .query_ltime = 300,
				       .status = st, .n_status = N, .left = left, .n_left = 1};
	msgpack_sbuffer sb, ref;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&ref);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_push_pull(&sb, &pp), 0);
	mf_mp_put_type(&ref, MF_SERF_MSG_PUSH_PULL);
	msgpack_packer_init(&pk, &ref, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6);
	mf_mp_pack_key(&pk, "EventLTime");
	msgpack_pack_uint64(&pk, pp.event_ltime);
	mf_mp_pack_key(&pk, "Events");
	msgpack_pack_array(&pk, 0);
	mf_mp_pack_key(&pk, "LTime");
	msgpack_pack_uint64(&pk, pp.ltime);
	mf_mp_pack_key(&pk, "LeftMembers");
	msgpack_pack_array(&pk, 1);
	mf_mp_pack_raw(&pk, left[0].p, left[0].len);
	mf_mp_pack_key(&pk, "QueryLTime");
	msgpack_pack_uint64(&pk, pp.query_ltime);
	mf_mp_pack_key(&pk, "StatusLTimes");
	msgpack_pack_map(&pk, N);
	for (size_t i = 0; i < N; i++) {
		mf_mp_pack_raw(&pk, st[i].node.p, st[i].node.len);
		msgpack_pack_uint64(&pk, st[i].ltime);
	}
	CU_ASSERT(sb.size == ref.size && memcmp(sb.data, ref.data, ref.size) == 0);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&ref);
}

static void test_meta_role_is_read_from_tags_and_legacy_meta(void)
{
	struct mf_tag t[2];
	uint8_t meta[64];
	size_t len = 0;

	set_tag(&t[0], "dc", "meshfed");
	set_tag(&t[1], "role", "meshfed");
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_tags(t, 2, meta, sizeof(meta), &len), 0);
	CU_ASSERT_TRUE(mf_serf_meta_role_is(meta, len, "meshfed"));
	CU_ASSERT_FALSE(mf_serf_meta_role_is(meta, len, "meshfe"));
	CU_ASSERT_FALSE(mf_serf_meta_role_is(meta, len, "serf"));
	/* Another tag of the right value is not the role. */
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_tags(t, 1, meta, sizeof(meta), &len), 0);
	CU_ASSERT_FALSE(mf_serf_meta_role_is(meta, len, "meshfed"));
	CU_ASSERT_TRUE(mf_serf_meta_role_is((const uint8_t *)"meshfed", 7, "meshfed")); /* legacy */
	CU_ASSERT_FALSE(mf_serf_meta_role_is((const uint8_t *)"web", 3, "meshfed"));
	CU_ASSERT_FALSE(mf_serf_meta_role_is(NULL, 0, "meshfed"));
	static const uint8_t broken[] = { 0xff, 0x81, 0xa4, 'r', 'o' }; /* cut short */
	CU_ASSERT_FALSE(mf_serf_meta_role_is(broken, sizeof(broken), "meshfed"));
}

static void test_meshfed_type_is_outside_serfs_range(void)
{
	static const uint8_t own[] = {MF_SERF_MSG_MESHFED, 1, 2, 3};

	CU_ASSERT(MF_SERF_MSG_MESHFED > MF_SERF_MSG_RELAY);
	CU_ASSERT_EQUAL(mf_serf_msg_type(own, sizeof(own)), 200);
	CU_ASSERT_EQUAL(mf_serf_msg_type(own, 0), MF_ETRUNC);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"tags round trip", test_tags_round_trip},
		{"join read in place matches the general decoder",
		 test_join_read_in_place_matches_the_general_decoder},
		{"no tags is ff 80, as captured", test_no_tags_is_ff80_as_captured},
		{"legacy meta is role", test_legacy_meta_is_role},
		{"tags over meta limit are too big", test_tags_over_meta_limit_are_too_big},
		{"malformed tags are refused", test_malformed_tags_are_refused},
		{"join decodes captured and encoder matches", test_join_decodes_captured_and_encoder_matches},
		{"leave round trips", test_leave_round_trips},
		{"push-pull decodes captured user state", test_push_pull_decodes_captured_user_state},
		{"push-pull round trips with empty events", test_push_pull_round_trips_with_empty_events},
		TEST(test_push_pull_bytes_are_msgpack_c_bytes),
		{"meshfed type is outside serf's range", test_meshfed_type_is_outside_serfs_range},
		{"meta role is read from tags and legacy meta",
		 test_meta_role_is_read_from_tags_and_legacy_meta},
	};
	return RUN_SUITE("gossip serf conventions", tests);
}

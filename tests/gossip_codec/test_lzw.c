/* gossip/lzw.c: Go compress/lzw (LSB, 8-bit literals) compatibility. */
#include "helpers.h"

#include "gossip/codec.h"
#include "gossip/lzw.h"
#include "gossip/mp.h"

/* The Buf of a captured [9]{Algo, Buf} message. */
static struct mf_bytes captured_buf(const uint8_t *p, size_t len, struct mf_mp *mp)
{
	struct mf_bytes b = {0};

	CU_ASSERT_EQUAL(p[0], MF_MSG_COMPRESS);
	CU_ASSERT_EQUAL(mf_mp_unpack(p + 1, len - 1, mp, NULL), 0);
	CU_ASSERT_EQUAL(mf_mp_bytes(mf_mp_get(mp->root, "Buf"), &b), 0);
	return b;
}

static void test_decodes_captured_compressed_ack(void)
{
	struct fixture f = fx_load("compress_ack.bin");
	struct mf_mp mp;
	struct mf_bytes b = captured_buf(f.p, f.len, &mp);
	msgpack_sbuffer out;
	struct mf_msg_ack ack;

	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_lzw_decode(b.p, b.len, &out, 1 << 20), 0);
	CU_ASSERT_EQUAL(out.size, 150);
	CU_ASSERT_EQUAL(out.data[0], MF_MSG_ACK);
	CU_ASSERT_EQUAL(mf_codec_decode_ack((uint8_t *)out.data + 1, out.size - 1, &ack), 0);
	CU_ASSERT_EQUAL(ack.seq_no, 1);
	CU_ASSERT_EQUAL(ack.payload.len, 130);
	mf_mp_done(&mp);
	msgpack_sbuffer_destroy(&out);
	fx_free(&f);
}

/* Re-compressing what serf compressed gives serf's bytes: the encoder is
 * Go's, not just a compatible one. */
static void check_encoder_reproduces(const char *name, size_t skip)
{
	struct fixture f = fx_load(name);
	struct mf_mp mp;
	struct mf_bytes b = captured_buf(f.p + skip, f.len - skip, &mp);
	msgpack_sbuffer plain, again;

	msgpack_sbuffer_init(&plain);
	msgpack_sbuffer_init(&again);
	CU_ASSERT_EQUAL(mf_lzw_decode(b.p, b.len, &plain, 1 << 20), 0);
	CU_ASSERT_EQUAL(mf_lzw_encode((uint8_t *)plain.data, plain.size, &again), 0);
	CU_ASSERT_EQUAL(again.size, b.len);
	CU_ASSERT(again.size == b.len && memcmp(again.data, b.p, b.len) == 0);
	mf_mp_done(&mp);
	msgpack_sbuffer_destroy(&plain);
	msgpack_sbuffer_destroy(&again);
	fx_free(&f);
}

static void test_encoder_reproduces_captured_bytes(void)
{
	check_encoder_reproduces("compress_ack.bin", 0);
	check_encoder_reproduces("crc_compress_compound.bin", 5);
	check_encoder_reproduces("crc_compress_compound4.bin", 5);
	check_encoder_reproduces("pushpull_join_req.bin", 0);
	check_encoder_reproduces("pushpull_join_resp.bin", 0);
}

static void round_trip(const uint8_t *in, size_t len)
{
	msgpack_sbuffer z, out;

	msgpack_sbuffer_init(&z);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_lzw_encode(in, len, &z), 0);
	CU_ASSERT_EQUAL(mf_lzw_decode((uint8_t *)z.data, z.size, &out, len), 0);
	CU_ASSERT(out.size == len && (len == 0 || memcmp(out.data, in, len) == 0));
	msgpack_sbuffer_destroy(&z);
	msgpack_sbuffer_destroy(&out);
}

static void test_round_trips_empty_short_and_repetitive(void)
{
	static uint8_t rep[100000];

	round_trip(NULL, 0);
	round_trip((const uint8_t *)"a", 1);
	round_trip((const uint8_t *)"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 39); /* KwKwK codes */
	for (size_t i = 0; i < sizeof(rep); i++)
		rep[i] = (uint8_t)("abcab"[i % 5] + (i / 997) % 3);
	round_trip(rep, sizeof(rep));
}

/* Enough random input to exhaust the 12-bit codes several times, so the
 * encoder emits clear codes and the decoder resets. */
static void test_round_trips_past_table_reset(void)
{
	size_t len = 300000;
	uint8_t *in = malloc(len);
	uint64_t s = 42;

	for (size_t i = 0; i < len; i++)
		in[i] = (uint8_t)(rnd(&s) % ((i / 50000) % 2 ? 256 : 4));
	round_trip(in, len);
	free(in);
}

static void test_unterminated_stream_is_refused(void)
{
	msgpack_sbuffer z, out;

	msgpack_sbuffer_init(&z);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_lzw_encode((const uint8_t *)"hello world", 11, &z), 0);
	for (size_t n = 0; n + 2 < z.size; n++) {
		msgpack_sbuffer_clear(&out);
		CU_ASSERT_EQUAL(mf_lzw_decode((uint8_t *)z.data, n, &out, 100), MF_EDECOMPRESS);
	}
	msgpack_sbuffer_destroy(&z);
	msgpack_sbuffer_destroy(&out);
}

static void test_invalid_code_is_refused(void)
{
	/* 9-bit codes, LSB first: clear (256), then 300 (> hi = 257) */
	uint32_t bits = 256u | 300u << 9;
	uint8_t in[3] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16)};
	msgpack_sbuffer out;

	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_lzw_decode(in, sizeof(in), &out, 100), MF_EDECOMPRESS);
	msgpack_sbuffer_destroy(&out);
}

static void test_output_limit_is_enforced(void)
{
	static uint8_t zeros[5000];
	msgpack_sbuffer z, out;

	msgpack_sbuffer_init(&z);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_lzw_encode(zeros, sizeof(zeros), &z), 0);
	CU_ASSERT(z.size < 200); /* highly compressible: a zip bomb in miniature */
	CU_ASSERT_EQUAL(mf_lzw_decode((uint8_t *)z.data, z.size, &out, 4999), MF_ETOOBIG);
	CU_ASSERT(out.size <= 4999);
	msgpack_sbuffer_destroy(&z);
	msgpack_sbuffer_destroy(&out);
}

static void test_random_input_never_crashes(void)
{
	uint64_t s = 7;
	uint8_t buf[512];
	msgpack_sbuffer out;
	int ok = 0;

	msgpack_sbuffer_init(&out);
	for (int i = 0; i < 20000; i++) {
		size_t len = rnd(&s) % sizeof(buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd(&s);
		msgpack_sbuffer_clear(&out);
		int rc = mf_lzw_decode(buf, len, &out, 1 << 16);
		CU_ASSERT(rc == 0 || rc == MF_EDECOMPRESS || rc == MF_ETOOBIG);
		ok += rc == 0;
	}
	msgpack_sbuffer_destroy(&out);
	CU_ASSERT(ok < 20000);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"decodes captured compressed ack", test_decodes_captured_compressed_ack},
		{"encoder reproduces captured bytes", test_encoder_reproduces_captured_bytes},
		{"round trips empty, short and repetitive", test_round_trips_empty_short_and_repetitive},
		{"round trips past table reset", test_round_trips_past_table_reset},
		{"unterminated stream is refused", test_unterminated_stream_is_refused},
		{"invalid code is refused", test_invalid_code_is_refused},
		{"output limit is enforced", test_output_limit_is_enforced},
		{"random input never crashes", test_random_input_never_crashes},
	};
	return RUN_SUITE("gossip lzw", tests);
}

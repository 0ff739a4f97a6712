/*
 * tests/coord/test_coord_wire.c — serf's ack payload: real serf bytes decode
 * to the exact values and re-encode to the same bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord/wire.h"
#include "gossip/err.h"
#include "tests/coord/captures.h"
#include "tests/cunit_main.h"

static void test_serf_captured_payloads_decode_to_exact_values(void)
{
	CU_ASSERT_FATAL(ncaps >= 3);
	for (unsigned k = 0; k < ncaps; k++) {
		struct mf_coord c;
		CU_ASSERT_EQUAL(mf_coord_wire_decode(caps[k].bytes, caps[k].len, &c), MF_OK);
		CU_ASSERT_EQUAL(c.dim, 8);
		CU_ASSERT_EQUAL(c.adjustment, caps[k].adjustment);
		CU_ASSERT_EQUAL(c.error, caps[k].error);
		CU_ASSERT_EQUAL(c.height, caps[k].height);
		for (unsigned i = 0; i < 8; i++)
			CU_ASSERT_EQUAL(c.vec[i], caps[k].vec[i]);
	}
}

static void test_encoding_a_decoded_serf_payload_gives_the_same_bytes(void)
{
	CU_ASSERT_FATAL(ncaps >= 3);
	for (unsigned k = 0; k < ncaps; k++) {
		struct mf_coord c;
		uint8_t out[MF_COORD_WIRE_MAX];
		size_t len = 0;
		CU_ASSERT_EQUAL(mf_coord_wire_decode(caps[k].bytes, caps[k].len, &c), MF_OK);
		CU_ASSERT_EQUAL(mf_coord_wire_encode(&c, out, sizeof(out), &len), MF_OK);
		CU_ASSERT_EQUAL(len, caps[k].len);
		CU_ASSERT_EQUAL(memcmp(out, caps[k].bytes, caps[k].len), 0);
	}
}

static void test_payload_is_130_bytes_for_8_dimensions(void)
{
	struct mf_coord_config cfg;
	struct mf_coord c;
	uint8_t out[MF_COORD_WIRE_MAX];
	size_t len = 0;
	mf_coord_config_default(&cfg);
	mf_coord_init(&c, &cfg);
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&c, out, sizeof(out), &len), MF_OK);
	CU_ASSERT_EQUAL(len, 130);
	CU_ASSERT_EQUAL(out[0], MF_COORD_PING_VERSION);
}

static void test_encode_into_a_short_buffer_fails(void)
{
	struct mf_coord c = {0};
	uint8_t out[100];
	size_t len = 0;
	c.dim = 8;
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&c, out, sizeof(out), &len), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&c, out, 0, &len), MF_ETOOBIG);
}

static void test_unknown_ping_version_is_refused(void)
{
	uint8_t b[256];
	memcpy(b, caps[0].bytes, caps[0].len);
	b[0] = 2;
	struct mf_coord c;
	CU_ASSERT_EQUAL(mf_coord_wire_decode(b, caps[0].len, &c), MF_EUNKNOWN);
}

static void test_empty_or_cut_payload_is_truncated(void)
{
	struct mf_coord c;
	CU_ASSERT_EQUAL(mf_coord_wire_decode(caps[0].bytes, 0, &c), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(caps[0].bytes, 1, &c), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(caps[0].bytes, caps[0].len - 1, &c), MF_ETRUNC);
}

static void test_non_map_payload_is_malformed(void)
{
	const uint8_t arr[] = {0x01, 0x92, 0x01, 0x02};
	const uint8_t badvec[] = {0x01, 0x81, 0xa3, 'V', 'e', 'c', 0xa1, 'x'};
	struct mf_coord c;
	CU_ASSERT_EQUAL(mf_coord_wire_decode(arr, sizeof(arr), &c), MF_EMALFORMED);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(badvec, sizeof(badvec), &c), MF_EMALFORMED);
}

static void test_vec_longer_than_supported_is_refused(void)
{
	uint8_t b[64] = {0x01, 0x81, 0xa3, 'V', 'e', 'c', 0xdc, 0x00, MF_COORD_DIM_MAX + 1};
	size_t len = 9;
	for (unsigned i = 0; i < MF_COORD_DIM_MAX + 1; i++)
		b[len++] = 0x00; /* positive fixint 0 */
	struct mf_coord c;
	CU_ASSERT_EQUAL(mf_coord_wire_decode(b, len, &c), MF_ETOOBIG);
}

static void test_huge_declared_counts_are_refused_before_allocating(void)
{
	/* msgpack-c would allocate slots for 2^32 elements (~100 GB). */
	const uint8_t arr[] = {0x01, 0x81, 0xa3, 'V', 'e', 'c', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00};
	const uint8_t map[] = {0x01, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'x', 0x00};
	const uint8_t str[] = {0x01, 0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
	struct mf_coord c;
	/* gossip/mp.h's checked entry: a count the bytes cannot hold is an
	 * incomplete object. */
	CU_ASSERT_EQUAL(mf_coord_wire_decode(arr, sizeof(arr), &c), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(map, sizeof(map), &c), MF_ETRUNC);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(str, sizeof(str), &c), MF_ETRUNC);
}

static void test_decoder_is_as_lenient_as_go(void)
{
	/* Keys out of order, an unknown key, integers for floats, Vec of 3,
	 * no Adjustment, trailing bytes. */
	const uint8_t b[] = {0x01, 0x84,
			     0xa3, 'V', 'e', 'c', 0x93, 0x01, 0xff, 0xca, 0x3f, 0x80, 0x00, 0x00,
			     0xa5, 'E', 'r', 'r', 'o', 'r', 0x02,
			     0xa4, 'J', 'u', 'n', 'k', 0xc0,
			     0xa6, 'H', 'e', 'i', 'g', 'h', 't', 0xcb, 0x3f, 0xb9, 0x99, 0x99,
			     0x99, 0x99, 0x99, 0x9a,
			     0xc0, 0xc0};
	struct mf_coord c;
	CU_ASSERT_EQUAL(mf_coord_wire_decode(b, sizeof(b), &c), MF_OK);
	CU_ASSERT_EQUAL(c.dim, 3);
	CU_ASSERT_EQUAL(c.vec[0], 1.0);
	CU_ASSERT_EQUAL(c.vec[1], -1.0);
	CU_ASSERT_EQUAL(c.vec[2], 1.0);
	CU_ASSERT_EQUAL(c.error, 2.0);
	CU_ASSERT_EQUAL(c.height, 0.1);
	CU_ASSERT_EQUAL(c.adjustment, 0.0);
}

static void test_nan_decodes_faithfully_for_the_client_to_reject(void)
{
	struct mf_coord c = {0}, d;
	uint8_t out[MF_COORD_WIRE_MAX];
	size_t len;
	c.dim = 8;
	c.vec[5] = NAN;
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&c, out, sizeof(out), &len), MF_OK);
	CU_ASSERT_EQUAL(mf_coord_wire_decode(out, len, &d), MF_OK);
	CU_ASSERT_TRUE(isnan(d.vec[5]));
	CU_ASSERT_FALSE(mf_coord_is_valid(&d));
}

int main(void)
{
	if (load_captures() < 0) {
		fprintf(stderr, "cannot read %s/serf_ack_payloads.txt\n", MF_COORD_FIXTURES);
		return 1;
	}
	static const struct test_case cases[] = {
		{"serf's captured payloads decode to the exact values",
		 test_serf_captured_payloads_decode_to_exact_values},
		{"encoding a decoded serf payload gives the same bytes",
		 test_encoding_a_decoded_serf_payload_gives_the_same_bytes},
		{"payload is 130 bytes for 8 dimensions",
		 test_payload_is_130_bytes_for_8_dimensions},
		{"encode into a short buffer fails", test_encode_into_a_short_buffer_fails},
		{"unknown ping version is refused", test_unknown_ping_version_is_refused},
		{"empty or cut payload is truncated", test_empty_or_cut_payload_is_truncated},
		{"non-map payload is malformed", test_non_map_payload_is_malformed},
		{"Vec longer than supported is refused",
		 test_vec_longer_than_supported_is_refused},
		{"huge declared counts are refused before allocating",
		 test_huge_declared_counts_are_refused_before_allocating},
		{"decoder is as lenient as Go's", test_decoder_is_as_lenient_as_go},
		{"NaN decodes faithfully for the client to reject",
		 test_nan_decodes_faithfully_for_the_client_to_reject},
	};
	return RUN_SUITE("coord_wire", cases);
}

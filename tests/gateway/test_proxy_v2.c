/* Unit tests of gateway/proxy_v2.c: round trips, headers HAProxy 2.6 sent
 * (fixtures/README.md), truncations, strictness, the hop count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/proxy_v2.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

static struct mf_addr addr(const char *s)
{
	struct mf_addr a;
	CU_ASSERT_EQUAL_FATAL(mf_addr_parse(s, 0, &a), 0);
	return a;
}

static bool addr_eq(const struct mf_addr *a, const struct mf_addr *b)
{
	return mf_addr_equal(a, b);
}

/* Decodes p[0..n) from a heap copy of exactly n bytes (ASan sees overruns). */
static int decode(const uint8_t *p, size_t n, struct mf_pp2_header *h)
{
	uint8_t *c = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	if (n)
		memcpy(c, p, n);
	int rc = mf_pp2_decode(c, n, h);
	free(c);
	return rc;
}

static void test_tcp4_and_tcp6_round_trip_with_the_hop_count(void)
{
	static const char *pairs[][2] = {{"10.0.0.1:51000", "10.0.1.2:8443"},
					 {"[2001:db8::1]:1", "[::1]:65535"}};
	for (size_t i = 0; i < 2; i++) {
		for (int hops = -1; hops <= 8; hops++) {
			struct mf_pp2_header h = {MF_PP2_PROXY, addr(pairs[i][0]), addr(pairs[i][1]),
						  hops >= 0, (uint8_t)(hops < 0 ? 0 : hops), hops == 3};
			uint8_t buf[128];
			int n = mf_pp2_encode(&h, buf, sizeof buf);
			size_t want = 16 + (i ? 36 : 12) + (hops >= 0 ? 4 : 0) + (hops == 3 ? 7 : 0);
			CU_ASSERT_EQUAL(n, (int)want);
			struct mf_pp2_header d;
			CU_ASSERT_EQUAL(decode(buf, (size_t)n, &d), n);
			CU_ASSERT_EQUAL(d.command, MF_PP2_PROXY);
			CU_ASSERT_TRUE(addr_eq(&d.src, &h.src));
			CU_ASSERT_TRUE(addr_eq(&d.dst, &h.dst));
			CU_ASSERT_EQUAL(d.has_hops, hops >= 0);
			CU_ASSERT_EQUAL(d.hops, h.hops);
			CU_ASSERT_EQUAL(d.crc, hops == 3);
		}
	}
}

static void test_the_wire_bytes_are_the_spec_s(void)
{
	struct mf_pp2_header h = {MF_PP2_PROXY, addr("127.0.0.1:1234"), addr("127.0.0.2:8443"),
				  true, 1, false};
	static const uint8_t want[] = {
		0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
		0x21, 0x11, 0x00, 0x10,     /* v2 PROXY, TCP4, 16 bytes follow */
		127, 0, 0, 1, 127, 0, 0, 2, /* src, dst */
		0x04, 0xD2, 0x20, 0xFB,     /* 1234, 8443 */
		0xE0, 0x00, 0x01, 0x01};    /* hops TLV: 1 */
	uint8_t buf[64];
	CU_ASSERT_EQUAL_FATAL(mf_pp2_encode(&h, buf, sizeof buf), (int)sizeof want);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof want), 0);
}

static uint8_t *load(const char *file, size_t *n)
{
	char path[512];
	static uint8_t tmp[4096];
	snprintf(path, sizeof path, "%s/%s", MF_GATEWAY_FIXTURES, file);
	FILE *f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	*n = fread(tmp, 1, sizeof tmp, f);
	fclose(f);
	uint8_t *p = malloc(*n);
	memcpy(p, tmp, *n);
	return p;
}

static void test_headers_haproxy_sent_decode_and_re_encode_byte_for_byte(void)
{
	static const struct {
		const char *file, *ip;
		bool crc;
	} cases[] = {{"haproxy_tcp4_crc.bin", "127.0.0.1", true},
		     {"haproxy_tcp4_uniqueid.bin", "127.0.0.1", false},
		     {"haproxy_tcp6_crc.bin", "::1", true}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n;
		uint8_t *p = load(cases[i].file, &n);
		struct mf_pp2_header h;
		int len = decode(p, n, &h);
		CU_ASSERT_EQUAL(len, (int)n - 7); /* then b"payload" */
		CU_ASSERT_EQUAL(memcmp(p + n - 7, "payload", 7), 0);
		CU_ASSERT_EQUAL(h.command, MF_PP2_PROXY);
		struct mf_addr ip = addr(cases[i].ip);
		CU_ASSERT_EQUAL(memcmp(h.src.ip, ip.ip, ip.ip_len), 0);
		CU_ASSERT_EQUAL(memcmp(h.dst.ip, ip.ip, ip.ip_len), 0);
		CU_ASSERT_FALSE(h.has_hops);
		CU_ASSERT_EQUAL(h.crc, cases[i].crc);
		if (cases[i].crc) {
			/* Same layout as ours without hops: the CRC must match. */
			uint8_t buf[128];
			CU_ASSERT_EQUAL(mf_pp2_encode(&h, buf, sizeof buf), len);
			CU_ASSERT_EQUAL(memcmp(buf, p, (size_t)len), 0);
			/* and a flipped bit anywhere is caught, but in the CRC
			 * TLV's type, which makes it an unknown TLV, skipped */
			for (int k = 0; k < len; k++) {
				if (k == len - 7)
					continue;
				p[k] ^= 0x10;
				CU_ASSERT(decode(p, n, &h) <= 0); /* refused or waiting */
				p[k] ^= 0x10;
			}
		}
		free(p);
	}
}

static void test_every_truncation_needs_more(void)
{
	struct mf_pp2_header h = {MF_PP2_PROXY, addr("[2001:db8::1]:1"), addr("[::1]:2"), true, 4,
				  true}, d;
	uint8_t buf[128];
	int n = mf_pp2_encode(&h, buf, sizeof buf);
	CU_ASSERT_FATAL(n > 0);
	for (int len = 0; len < n; len++)
		CU_ASSERT_EQUAL(decode(buf, (size_t)len, &d), 0);
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, &d), n);
}

static void set_len(uint8_t *p, size_t len)
{
	p[14] = (uint8_t)(len >> 8);
	p[15] = (uint8_t)len;
}

static void test_bad_headers_are_refused_with_their_cause(void)
{
	struct mf_pp2_header h = {MF_PP2_PROXY, addr("10.0.0.1:1"), addr("10.0.0.2:2"), true, 2,
				  false}, d;
	uint8_t good[64], b[2048];
	int n = mf_pp2_encode(&h, good, sizeof good);
	CU_ASSERT_FATAL(n == 32);

	/* a wrong signature byte, seen as soon as it arrives */
	memcpy(b, good, (size_t)n), b[3] = 'X';
	CU_ASSERT_EQUAL(decode(b, 4, &d), MF_EMALFORMED);
	/* version 1 nibble; command 2 */
	memcpy(b, good, (size_t)n), b[12] = 0x11;
	CU_ASSERT_EQUAL(decode(b, 13, &d), MF_EMALFORMED);
	memcpy(b, good, (size_t)n), b[12] = 0x22;
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	/* UDP, UNIX, UNSPEC with PROXY: valid but not ours */
	static const uint8_t fams[] = {0x12, 0x31, 0x00, 0x22};
	for (size_t i = 0; i < sizeof fams; i++) {
		memcpy(b, good, (size_t)n), b[13] = fams[i];
		CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EUNKNOWN);
	}
	/* unknown family nibble */
	memcpy(b, good, (size_t)n), b[13] = 0x41;
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	/* declared length over the bound, known from 16 bytes */
	memcpy(b, good, (size_t)n), set_len(b, MF_PP2_MAX_LEN - 16 + 1);
	CU_ASSERT_EQUAL(decode(b, 16, &d), MF_ETOOBIG);
	/* exactly the bound: fine (NOOP TLV filling it) */
	memset(b, 0, sizeof b);
	memcpy(b, good, 28);
	set_len(b, MF_PP2_MAX_LEN - 16);
	b[28] = 0x04, b[29] = (uint8_t)((MF_PP2_MAX_LEN - 31) >> 8), b[30] = (uint8_t)(MF_PP2_MAX_LEN - 31);
	CU_ASSERT_EQUAL(decode(b, MF_PP2_MAX_LEN, &d), MF_PP2_MAX_LEN);
	CU_ASSERT_FALSE(d.has_hops);
	/* address block longer than the length */
	memcpy(b, good, (size_t)n), set_len(b, 11);
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	/* a TLV header cut by the length; a TLV value overrunning it */
	memcpy(b, good, (size_t)n), set_len(b, 14);
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	memcpy(b, good, (size_t)n), b[30] = 2;
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	/* hop TLV of length 2 (within the block); twice */
	memcpy(b, good, (size_t)n), b[30] = 2, b[32] = 0, set_len(b, 17);
	CU_ASSERT_EQUAL(decode(b, 33, &d), MF_EMALFORMED);
	memcpy(b, good, (size_t)n), memcpy(b + 32, good + 28, 4), set_len(b, 20);
	CU_ASSERT_EQUAL(decode(b, 36, &d), MF_EMALFORMED);
	/* a CRC TLV of the wrong size */
	memcpy(b, good, (size_t)n), b[28] = MF_PP2_TLV_CRC32C;
	CU_ASSERT_EQUAL(decode(b, (size_t)n, &d), MF_EMALFORMED);
	/* unknown TLVs are skipped */
	memcpy(b, good, (size_t)n);
	static const uint8_t alpn[] = {0x01, 0x00, 0x02, 'h', '2'};
	memcpy(b + 32, alpn, sizeof alpn), set_len(b, 16 + sizeof alpn);
	CU_ASSERT_EQUAL(decode(b, 32 + sizeof alpn, &d), (int)(32 + sizeof alpn));
	CU_ASSERT_TRUE(d.has_hops);
	CU_ASSERT_EQUAL(d.hops, 2);
}

static void test_local_headers_carry_no_addresses(void)
{
	struct mf_pp2_header h = {.command = MF_PP2_LOCAL, .has_hops = true, .hops = 1}, d;
	uint8_t buf[64];
	CU_ASSERT_EQUAL(mf_pp2_encode(&h, buf, sizeof buf), 16);
	CU_ASSERT_EQUAL(buf[12], 0x20);
	CU_ASSERT_EQUAL(decode(buf, 16, &d), 16);
	CU_ASSERT_EQUAL(d.command, MF_PP2_LOCAL);
	CU_ASSERT_FALSE(d.has_hops);
	CU_ASSERT_EQUAL(d.src.ip_len, 0);
	/* a LOCAL block is skipped whatever it holds */
	static const uint8_t junk[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
				       0x54, 0x0A, 0x20, 0x11, 0x00, 0x03, 0xE0, 0xFF, 0xFF};
	CU_ASSERT_EQUAL(decode(junk, sizeof junk, &d), 19);
}

static void test_encode_refuses_small_buffers_and_mixed_families(void)
{
	struct mf_pp2_header h = {MF_PP2_PROXY, addr("10.0.0.1:1"), addr("[::1]:2"), false, 0, false};
	uint8_t buf[64];
	CU_ASSERT_EQUAL(mf_pp2_encode(&h, buf, sizeof buf), MF_EINVAL);
	h.dst = addr("10.0.0.2:2");
	CU_ASSERT_EQUAL(mf_pp2_encode(&h, buf, 27), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_pp2_encode(&h, buf, 28), 28);
}

static void test_hop_count_stops_past_the_limit(void)
{
	uint8_t out = 0;
	CU_ASSERT_EQUAL(mf_pp2_next_hops(0, &out), 0);
	CU_ASSERT_EQUAL(out, 1);
	CU_ASSERT_EQUAL(mf_pp2_next_hops(MF_GW_HOP_LIMIT - 1, &out), 0);
	CU_ASSERT_EQUAL(out, MF_GW_HOP_LIMIT);
	CU_ASSERT_EQUAL(mf_pp2_next_hops(MF_GW_HOP_LIMIT, &out), MF_ETOOBIG);
	CU_ASSERT_EQUAL(mf_pp2_next_hops(255, &out), MF_ETOOBIG);
	CU_ASSERT_EQUAL(out, MF_GW_HOP_LIMIT); /* untouched on refusal */
}

static void test_random_mutations_never_overrun(void)
{
	struct mf_rng rng;
	mf_rng_seed(&rng, 9);
	struct mf_pp2_header h = {MF_PP2_PROXY, addr("[2001:db8::1]:1"), addr("[::1]:2"), true, 4,
				  true}, d;
	uint8_t good[128], b[128];
	int n = mf_pp2_encode(&h, good, sizeof good);
	for (int t = 0; t < 20000; t++) {
		memcpy(b, good, (size_t)n);
		int flips = 1 + (int)mf_rng_below(&rng, 4);
		for (int k = 0; k < flips; k++)
			b[12 + mf_rng_below(&rng, (uint32_t)n - 12)] ^= (uint8_t)(1 + mf_rng_below(&rng, 255));
		size_t len = mf_rng_below(&rng, (uint32_t)n + 1);
		int rc = decode(b, len, &d);
		CU_ASSERT(rc <= (int)len);
	}
}

int main(void)
{
	static const struct test_case cases[] = {
		{"TCP4 and TCP6 round trip with the hop count", test_tcp4_and_tcp6_round_trip_with_the_hop_count},
		{"the wire bytes are the spec's", test_the_wire_bytes_are_the_spec_s},
		{"headers HAProxy sent decode and re-encode byte for byte",
		 test_headers_haproxy_sent_decode_and_re_encode_byte_for_byte},
		{"every truncation needs more", test_every_truncation_needs_more},
		{"bad headers are refused with their cause", test_bad_headers_are_refused_with_their_cause},
		{"LOCAL headers carry no addresses", test_local_headers_carry_no_addresses},
		{"encode refuses small buffers and mixed families",
		 test_encode_refuses_small_buffers_and_mixed_families},
		{"the hop count stops past the limit", test_hop_count_stops_past_the_limit},
		{"random mutations never overrun", test_random_mutations_never_overrun},
	};
	return RUN_SUITE("gateway_proxy_v2", cases);
}

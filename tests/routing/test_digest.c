/* Unit tests of routing/digest.c: the digest and pull wire format
 * (docs/routing.md, "Anti-entropy by digest"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/digest.h"
#include "tests/cunit_main.h"

struct seen {
	struct mf_digest_entry e[8];
	size_t n;
	size_t stop_at; /* 0: never */
};

static int keep(void *ctx, const struct mf_digest_entry *e)
{
	struct seen *s = ctx;
	if (s->n < 8)
		s->e[s->n] = *e;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static void test_a_digest_says_origin_server_and_seq_in_a_few_bytes_each(void)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_digest_begin(&sb, MF_DIGEST_KIND_DIGEST, "dc1-s1", 3), 0);
	CU_ASSERT_EQUAL(mf_digest_put(&sb, "dc1", "dc1-s1", 1764681234567ULL), 0);
	CU_ASSERT_EQUAL(mf_digest_put(&sb, "dc2", "dc2-s2", 7), 0);
	CU_ASSERT_EQUAL(mf_digest_put(&sb, "dc300", "dc300-s1", UINT64_MAX), 0);
	/* a state of 1,000 DCs is ~18 KB; its digest entry ~25 bytes */
	CU_ASSERT(sb.size < 30 + 3 * 26);
	struct seen s = {0};
	int kind = -1;
	char from[MF_ADVERT_STR_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(mf_digest_decode((const uint8_t *)sb.data, sb.size, &kind, from, keep, &s), 0);
	CU_ASSERT_EQUAL(kind, MF_DIGEST_KIND_DIGEST);
	CU_ASSERT_STRING_EQUAL(from, "dc1-s1");
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	CU_ASSERT_STRING_EQUAL(s.e[0].origin, "dc1");
	CU_ASSERT_STRING_EQUAL(s.e[1].node, "dc2-s2");
	CU_ASSERT_EQUAL(s.e[0].seq, 1764681234567ULL);
	CU_ASSERT_EQUAL(s.e[1].seq, 7);
	CU_ASSERT_EQUAL(s.e[2].seq, UINT64_MAX);
	/* the walk stops where the callback says, with its value */
	struct seen t = {.stop_at = 2};
	CU_ASSERT_EQUAL(mf_digest_decode((const uint8_t *)sb.data, sb.size, &kind, from, keep, &t), 42);
	CU_ASSERT_EQUAL(t.n, 2);
	/* every prefix is refused, none hands on an entry */
	for (size_t len = 0; len < sb.size; len++) {
		struct seen u = {0};
		CU_ASSERT(mf_digest_decode((const uint8_t *)sb.data, len, &kind, from, keep, &u) < 0);
		CU_ASSERT_EQUAL(u.n, 0);
	}
	msgpack_sbuffer_destroy(&sb);
}

static void test_a_pull_decodes_as_a_pull(void)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_digest_begin(&sb, MF_DIGEST_KIND_PULL, "dc9-s2", 1), 0);
	CU_ASSERT_EQUAL(mf_digest_put(&sb, "dc4", "dc4-s1", 0), 0);
	struct seen s = {0};
	int kind = -1;
	char from[MF_ADVERT_STR_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(mf_digest_decode((const uint8_t *)sb.data, sb.size, &kind, from, keep, &s), 0);
	CU_ASSERT_EQUAL(kind, MF_DIGEST_KIND_PULL);
	CU_ASSERT_STRING_EQUAL(from, "dc9-s2");
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.e[0].seq, 0);
	msgpack_sbuffer_destroy(&sb);
}

/* A map with "v", "k", "n" and "e" as given. */
static size_t hand(uint8_t *buf, size_t cap, unsigned v, unsigned k, const char *origin, unsigned n_e)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
#define STR(x) (msgpack_pack_str(&pk, strlen(x)), msgpack_pack_str_body(&pk, x, strlen(x)))
	STR("v"), msgpack_pack_uint8(&pk, (uint8_t)v);
	STR("k"), msgpack_pack_uint8(&pk, (uint8_t)k);
	STR("n"), STR("dc1-s1");
	STR("e"), msgpack_pack_array(&pk, n_e);
	for (unsigned i = 0; i < n_e; i++) {
		if (i % 3 == 0)
			STR(origin);
		else if (i % 3 == 1)
			STR("dc1-s1");
		else
			msgpack_pack_uint8(&pk, 5);
	}
#undef STR
	size_t n = sb.size < cap ? sb.size : cap;
	memcpy(buf, sb.data, n);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

static void test_decoding_is_strict_and_all_or_nothing(void)
{
	uint8_t buf[512];
	int kind;
	char from[MF_ADVERT_STR_MAX + 1];
	struct seen s = {0};
	size_t n = hand(buf, sizeof buf, 1, 0, "dc2", 6);
	CU_ASSERT_EQUAL(mf_digest_decode(buf, n, &kind, from, keep, &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	s.n = 0;
	n = hand(buf, sizeof buf, 2, 0, "dc2", 3); /* another version */
	CU_ASSERT_EQUAL(mf_digest_decode(buf, n, &kind, from, keep, &s), MF_EUNKNOWN);
	n = hand(buf, sizeof buf, 1, 2, "dc2", 3); /* no such kind */
	CU_ASSERT_EQUAL(mf_digest_decode(buf, n, &kind, from, keep, &s), MF_EMALFORMED);
	n = hand(buf, sizeof buf, 1, 0, "dc2", 4); /* not whole entries */
	CU_ASSERT_EQUAL(mf_digest_decode(buf, n, &kind, from, keep, &s), MF_EMALFORMED);
	n = hand(buf, sizeof buf, 1, 0, "dc 2", 6); /* not a DC name: nothing handed on */
	CU_ASSERT_EQUAL(mf_digest_decode(buf, n, &kind, from, keep, &s), MF_EMALFORMED);
	CU_ASSERT_EQUAL(s.n, 0);
	const uint8_t huge[] = {0x84, 0xa1, 'e', 0xdd, 0x7f, 0xff, 0xff, 0xff};
	CU_ASSERT(mf_digest_decode(huge, sizeof huge, &kind, from, keep, &s) < 0);
}

static void test_a_dcs_newest_is_the_highest_seq_then_node(void)
{
	CU_ASSERT_EQUAL(mf_digest_cmp(5, "a", 4, "b"), 1);
	CU_ASSERT_EQUAL(mf_digest_cmp(5, "a", 5, "b"), -1);
	CU_ASSERT_EQUAL(mf_digest_cmp(5, "b", 5, "b"), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_a_digest_says_origin_server_and_seq_in_a_few_bytes_each),
		TEST(test_a_pull_decodes_as_a_pull),
		TEST(test_decoding_is_strict_and_all_or_nothing),
		TEST(test_a_dcs_newest_is_the_highest_seq_then_node),
	};
	return RUN_SUITE("routing_digest", tests);
}

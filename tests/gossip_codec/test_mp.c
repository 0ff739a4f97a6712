/* gossip/mp.c: the contract of an empty str or bin (a value, distinct from
 * nil and from an absent field) wherever msgpack-c puts it. */
#include "helpers.h"

#include "gossip/mp.h"

/* mf_mp_bytes of o, then mf_mp_pack_bytes of what it gave, into out. */
static struct mf_bytes bytes_and_repack(const msgpack_object *o, msgpack_sbuffer *out)
{
	struct mf_bytes b = {(const uint8_t *)"x", 9};
	msgpack_packer pk;
	CU_ASSERT_EQUAL(mf_mp_bytes(o, &b), 0);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	CU_ASSERT_EQUAL(mf_mp_pack_bytes(&pk, b), 0);
	return b;
}

/* An empty str first in its buffer (msgpack-c leaves its pointer NULL),
 * alone and as an array's first element, then later in the same array
 * (msgpack-c points it at the earlier value): each an empty value, packed
 * back as "", while nil stays nil. */
static void test_empty_str_is_a_value_not_nil(void)
{
	static const uint8_t alone[] = {0xa0}, arr[] = {0x93, 0xa0, 0xa1, 'x', 0xa0}, nil[] = {0xc0};
	struct mf_mp mp;
	msgpack_sbuffer out;
	msgpack_sbuffer_init(&out);

	CU_ASSERT_FATAL(mf_mp_unpack(alone, sizeof alone, &mp, NULL) == 0);
	struct mf_bytes b = bytes_and_repack(mp.root, &out);
	CU_ASSERT(b.p != NULL && b.len == 0);
	CU_ASSERT(out.size == 1 && (uint8_t)out.data[0] == 0xa0);
	CU_ASSERT(mf_mp_eq(mp.root, "", 0));
	mf_mp_done(&mp);

	CU_ASSERT_FATAL(mf_mp_unpack(arr, sizeof arr, &mp, NULL) == 0);
	msgpack_sbuffer_clear(&out);
	for (uint32_t i = 0; i < 3; i++) {
		b = bytes_and_repack(&mp.root->via.array.ptr[i], &out);
		CU_ASSERT(b.p != NULL && b.len == (i == 1));
	}
	CU_ASSERT(out.size == 4 && memcmp(out.data, arr + 1, 4) == 0);
	mf_mp_done(&mp);

	CU_ASSERT_FATAL(mf_mp_unpack(nil, sizeof nil, &mp, NULL) == 0);
	msgpack_sbuffer_clear(&out);
	b = bytes_and_repack(mp.root, &out);
	CU_ASSERT(b.p == NULL && b.len == 0);
	CU_ASSERT(out.size == 1 && (uint8_t)out.data[0] == 0xc0);
	CU_ASSERT(!mf_mp_eq(mp.root, "", 0));
	mf_mp_done(&mp);
	msgpack_sbuffer_destroy(&out);
}

/* An empty bin, first in its buffer: an empty value too. */
static void test_empty_bin_is_a_value_not_nil(void)
{
	static const uint8_t bin[] = {0xc4, 0x00};
	struct mf_mp mp;
	msgpack_sbuffer out;
	msgpack_sbuffer_init(&out);
	CU_ASSERT_FATAL(mf_mp_unpack(bin, sizeof bin, &mp, NULL) == 0);
	struct mf_bytes b = bytes_and_repack(mp.root, &out);
	CU_ASSERT(b.p != NULL && b.len == 0);
	CU_ASSERT(out.size == 1 && (uint8_t)out.data[0] == 0xa0); /* go-msgpack writes raw */
	mf_mp_done(&mp);
	msgpack_sbuffer_destroy(&out);
}

/* mp.h's direct writers write msgpack-c's bytes: raw strings at every
 * header boundary, nil and empty bytes, unsigned values at every width's
 * edge (the push-pull node states and serf's StatusLTimes use them). */
static void test_direct_writers_write_msgpack_c_bytes(void)
{
	static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 70000};
	static const uint64_t vals[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffffu,
					0x100000000u, UINT64_MAX};
	uint8_t *src = malloc(70000), *buf = malloc(70000 + 16);
	msgpack_sbuffer ref;
	msgpack_packer pk;
	CU_ASSERT_FATAL(src && buf);
	for (size_t i = 0; i < 70000; i++)
		src[i] = (uint8_t)(i * 7);
	msgpack_sbuffer_init(&ref);
	msgpack_packer_init(&pk, &ref, msgpack_sbuffer_write);
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		msgpack_sbuffer_clear(&ref);
		CU_ASSERT_EQUAL(mf_mp_pack_raw(&pk, src, lens[i]), 0);
		uint8_t *end = mf_mp_put_raw(buf, src, lens[i]);
		CU_ASSERT((size_t)(end - buf) == ref.size && memcmp(buf, ref.data, ref.size) == 0);
		CU_ASSERT_EQUAL(mf_mp_raw_head_len(lens[i]) + lens[i], ref.size);
		struct mf_bytes b = {src, lens[i]};
		CU_ASSERT_EQUAL(mf_mp_bytes_len(b), ref.size);
		end = mf_mp_put_bytes(buf, b);
		CU_ASSERT((size_t)(end - buf) == ref.size && memcmp(buf, ref.data, ref.size) == 0);
	}
	struct mf_bytes nil = {NULL, 0}, empty = {src, 0};
	CU_ASSERT(mf_mp_put_bytes(buf, nil) == buf + 1 && buf[0] == 0xc0 && mf_mp_bytes_len(nil) == 1);
	CU_ASSERT(mf_mp_put_bytes(buf, empty) == buf + 1 && buf[0] == 0xa0);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		msgpack_sbuffer_clear(&ref);
		CU_ASSERT_EQUAL(msgpack_pack_uint64(&pk, vals[i]), 0);
		uint8_t *end = mf_mp_put_uint(buf, vals[i]);
		CU_ASSERT((size_t)(end - buf) == ref.size && memcmp(buf, ref.data, ref.size) == 0);
		CU_ASSERT(ref.size <= MF_MP_UINT_LEN_MAX);
		if (vals[i] <= UINT32_MAX) { /* the 32-bit packer makes the same choice */
			msgpack_sbuffer_clear(&ref);
			CU_ASSERT_EQUAL(msgpack_pack_uint32(&pk, (uint32_t)vals[i]), 0);
			CU_ASSERT((size_t)(end - buf) == ref.size && memcmp(buf, ref.data, ref.size) == 0);
		}
	}
	msgpack_sbuffer_destroy(&ref);
	free(src);
	free(buf);
}

/* mf_mp_reserve grows the buffer once, keeps what it holds, and hands out
 * its end. */
static void test_reserve_hands_out_room_at_the_end(void)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(msgpack_sbuffer_write(&sb, "ab", 2), 0);
	uint8_t *o = mf_mp_reserve(&sb, 100000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(o == (uint8_t *)sb.data + 2 && sb.alloc - sb.size >= 100000);
	CU_ASSERT(memcmp(sb.data, "ab", 2) == 0);
	size_t alloc = sb.alloc;
	CU_ASSERT(mf_mp_reserve(&sb, 10) == o && sb.alloc == alloc); /* room enough: as is */
	msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"empty str is a value, not nil", test_empty_str_is_a_value_not_nil},
		{"empty bin is a value, not nil", test_empty_bin_is_a_value_not_nil},
		TEST(test_direct_writers_write_msgpack_c_bytes),
		TEST(test_reserve_hands_out_room_at_the_end),
	};
	return RUN_SUITE("gossip mp", tests);
}

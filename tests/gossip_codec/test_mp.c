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

int main(void)
{
	static const struct test_case tests[] = {
		{"empty str is a value, not nil", test_empty_str_is_a_value_not_nil},
		{"empty bin is a value, not nil", test_empty_bin_is_a_value_not_nil},
	};
	return RUN_SUITE("gossip mp", tests);
}

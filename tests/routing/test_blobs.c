/* routing/blobs.h: equal contents are held once and live until their last
 * reference goes; different contents are kept apart. */
#include <string.h>

#include <CUnit/Basic.h>

#include "routing/blobs.h"
#include "tests/cunit_main.h"

static void test_equal_contents_are_held_once_until_the_last_release(void)
{
	struct mf_blobs *b;
	uint8_t x[300], y[300];
	CU_ASSERT_EQUAL_FATAL(mf_blobs_new(&b), 0);
	memset(x, 7, sizeof(x));
	memcpy(y, x, sizeof(y));
	const uint8_t *p = mf_blobs_put(b, x, sizeof(x));
	const uint8_t *q = mf_blobs_put(b, y, sizeof(y));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_EQUAL(p, q); /* one copy for both */
	CU_ASSERT(p != x && memcmp(p, x, sizeof(x)) == 0);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 1);
	CU_ASSERT_EQUAL(mf_blobs_bytes(b), sizeof(x));
	mf_blobs_release(b, p);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 1); /* q still holds it */
	mf_blobs_release(b, q);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 0);
	CU_ASSERT_EQUAL(mf_blobs_bytes(b), 0);
	mf_blobs_release(b, NULL);
	CU_ASSERT_PTR_NULL(mf_blobs_put(b, x, 0));
	mf_blobs_free(b);
}

/* mf_blobs_ref: a second holder of a blob it was handed, without the
 * bytes; the blob lives until both have released it. */
static void test_a_reference_keeps_the_blob_until_released(void)
{
	struct mf_blobs *b;
	uint8_t x[40];
	CU_ASSERT_EQUAL_FATAL(mf_blobs_new(&b), 0);
	memset(x, 3, sizeof(x));
	const uint8_t *p = mf_blobs_put(b, x, sizeof(x));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_EQUAL(mf_blobs_ref(b, p), p);
	mf_blobs_release(b, p);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 1); /* the reference holds it */
	CU_ASSERT(memcmp(p, x, sizeof(x)) == 0);
	mf_blobs_release(b, p);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 0);
	mf_blobs_free(b);
}

static void test_different_contents_are_kept_apart_across_growth(void)
{
	struct mf_blobs *b;
	const uint8_t *p[500];
	CU_ASSERT_EQUAL_FATAL(mf_blobs_new(&b), 0);
	for (unsigned i = 0; i < 500; i++) {
		uint8_t v[4] = {(uint8_t)i, (uint8_t)(i >> 8), 1, 2};
		p[i] = mf_blobs_put(b, v, 2 + i % 3); /* prefixes of one another too */
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
	}
	CU_ASSERT_EQUAL(mf_blobs_count(b), 500);
	for (unsigned i = 0; i < 500; i++) {
		uint8_t v[4] = {(uint8_t)i, (uint8_t)(i >> 8), 1, 2};
		CU_ASSERT(memcmp(p[i], v, 2 + i % 3) == 0);
		CU_ASSERT_PTR_EQUAL(mf_blobs_put(b, v, 2 + i % 3), p[i]);
		mf_blobs_release(b, p[i]);
	}
	for (unsigned i = 0; i < 500; i += 2)
		mf_blobs_release(b, p[i]);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 250);
	mf_blobs_free(b); /* frees what is still held */
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_equal_contents_are_held_once_until_the_last_release),
		TEST(test_different_contents_are_kept_apart_across_growth),
		TEST(test_a_reference_keeps_the_blob_until_released),
	};
	return RUN_SUITE("routing_blobs", tests);
}

/*
 * tests/gossip_pool/test_intern.c — the interner (gossip/intern.c), an
 * open-addressed table with backward-shift deletion: under churn every
 * string held is found again as the same copy, counts and bytes add up,
 * and releasing frees exactly what the last holder let go.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "gossip/intern.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

enum { NAMES = 4096 };

/* 200,000 random gets and puts over 4,096 names whose hashes collide in
 * runs (short names, a table a quarter to half full): after each step the
 * table holds exactly the names with a count, each as one copy. A
 * deletion that left a hole in a probe run would lose a later name (a
 * second copy, or a wrong count) and fail here. */
static void test_intern_churn_keeps_one_copy_per_name(void)
{
	struct mf_intern t;
	struct mf_rng rng;
	static const char *held[NAMES];
	static unsigned refs[NAMES];
	char name[32];
	size_t distinct = 0, bytes = 0, wrong = 0;

	mf_intern_init(&t);
	mf_rng_seed(&rng, 7);
	memset(refs, 0, sizeof(refs));
	for (int step = 0; step < 200000; step++) {
		uint32_t i = mf_rng_below(&rng, NAMES);
		int len = snprintf(name, sizeof(name), "n%u", i);
		if (refs[i] > 0 && mf_rng_below(&rng, 2) == 0) {
			mf_intern_put(&t, held[i]);
			if (--refs[i] == 0) {
				distinct--;
				bytes -= (size_t)len;
			}
			continue;
		}
		const char *s;
		CU_ASSERT_EQUAL_FATAL(mf_intern_get(&t, name, (size_t)len, &s), 0);
		if (refs[i] == 0) {
			held[i] = s;
			distinct++;
			bytes += (size_t)len;
		}
		wrong += s != held[i] || strcmp(s, name) != 0 || mf_intern_len(s) != (size_t)len;
		refs[i]++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(t.n, distinct);
	CU_ASSERT_EQUAL(t.bytes, bytes);
	CU_ASSERT(t.n_slots >= 2 * t.n);
	/* Every name still held is the copy we were given. */
	for (uint32_t i = 0; i < NAMES; i++) {
		if (refs[i] == 0)
			continue;
		const char *s;
		int len = snprintf(name, sizeof(name), "n%u", i);
		CU_ASSERT_EQUAL_FATAL(mf_intern_get2(&t, name, 1, name + 1, (size_t)len - 1, &s), 0);
		wrong += s != held[i];
		mf_intern_put(&t, s);
		while (refs[i]-- > 0)
			mf_intern_put(&t, held[i]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL(t.bytes, 0);
	mf_intern_free(&t);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_intern_churn_keeps_one_copy_per_name),
	};
	return RUN_SUITE("gossip_intern", tests);
}

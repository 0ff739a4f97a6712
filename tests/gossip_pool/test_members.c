/* The member table (gossip/members.c): names shared through the interner,
 * the probe array and each record's position in it kept in step through
 * adds, removals, sweeps and shuffles, name order on demand, and O(1)
 * find/add/remove up to 1,000,000 records. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/intern.h"
#include "gossip/members.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

static void name_of(char *buf, size_t cap, unsigned i)
{
	snprintf(buf, cap, "node-%u", i);
}

static size_t positions_wrong(const struct mf_members *t)
{
	size_t wrong = t->n != t->n_probe;
	for (size_t i = 0; i < t->n_probe; i++)
		wrong += mf_members_probe_at(t, i)->pos != i;
	return wrong;
}

static void test_members_share_names_across_tables(void)
{
	struct mf_intern strs;
	struct mf_members a, b;
	struct mf_member_record *ma, *mb;
	mf_intern_init(&strs);
	mf_members_init(&a, &strs);
	mf_members_init(&b, &strs);
	CU_ASSERT_EQUAL_FATAL(mf_members_add(&a, "alpha", 5, 0, &ma), 0);
	CU_ASSERT_EQUAL_FATAL(mf_members_add(&b, "alpha", 5, 0, &mb), 0);
	CU_ASSERT_PTR_EQUAL(ma->name, mb->name); /* one copy */
	CU_ASSERT_EQUAL(strs.n, 1);
	CU_ASSERT_EQUAL(mf_members_set_meta(&a, ma, (const uint8_t *)"tags", 4), 0);
	CU_ASSERT_EQUAL(mf_members_set_meta(&b, mb, (const uint8_t *)"tags", 4), 0);
	CU_ASSERT_PTR_EQUAL(ma->meta, mb->meta);
	CU_ASSERT_EQUAL(strs.n, 2);
	mf_members_remove(&a, ma);
	CU_ASSERT_EQUAL(strs.n, 2); /* b still holds both */
	CU_ASSERT_STRING_EQUAL(mb->name, "alpha");
	mf_members_free(&b);
	CU_ASSERT_EQUAL(strs.n, 0);
	mf_members_free(&a);
	mf_intern_free(&strs);
}

static void test_members_remove_sweep_shuffle_keep_positions_and_name_order(void)
{
	enum { N = 2000 };
	struct mf_intern strs;
	struct mf_members t;
	struct mf_rng rng;
	struct mf_member_record *m;
	char name[32];
	mf_intern_init(&strs);
	mf_members_init(&t, &strs);
	mf_rng_seed(&rng, 7);
	for (unsigned i = 0; i < N; i++) {
		name_of(name, sizeof(name), i);
		size_t pos = mf_rng_below(&rng, (uint32_t)t.n_probe + 1);
		CU_ASSERT_EQUAL_FATAL(mf_members_add(&t, name, strlen(name), pos, &m), 0);
	}
	CU_ASSERT_EQUAL(positions_wrong(&t), 0);
	/* every third removed one by one, every fifth of the rest swept */
	for (unsigned i = 0; i < N; i += 3) {
		name_of(name, sizeof(name), i);
		m = mf_members_find(&t, name, strlen(name));
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		mf_members_remove(&t, m);
	}
	CU_ASSERT_EQUAL(positions_wrong(&t), 0);
	size_t doomed = 0;
	for (unsigned i = 0; i < N; i++) {
		name_of(name, sizeof(name), i);
		if (i % 3 != 0 && i % 5 == 0 && (m = mf_members_find(&t, name, strlen(name)))) {
			m->doomed = true;
			doomed++;
		}
	}
	size_t before = t.n;
	(void)mf_members_sweep(&t, 0);
	CU_ASSERT_EQUAL(t.n, before - doomed);
	mf_members_shuffle(&t, &rng);
	CU_ASSERT_EQUAL(positions_wrong(&t), 0);
	size_t found = 0, order_errors = 0;
	for (unsigned i = 0; i < N; i++) {
		name_of(name, sizeof(name), i);
		m = mf_members_find(&t, name, strlen(name));
		bool kept = i % 3 != 0 && i % 5 != 0;
		CU_ASSERT_EQUAL(m != NULL, kept);
		found += m != NULL;
	}
	CU_ASSERT_EQUAL(found, t.n);
	for (size_t i = 1; i < t.n; i++) {
		const struct mf_member_record *x = mf_members_at(&t, i - 1), *y = mf_members_at(&t, i);
		order_errors += mf_members_cmp_name(x->name, x->name_len, y->name, y->name_len) >= 0;
	}
	CU_ASSERT_EQUAL(order_errors, 0);
	CU_ASSERT_PTR_NULL(mf_members_at(&t, t.n));
	/* a re-added name is found again and listed in order */
	CU_ASSERT_EQUAL(mf_members_add(&t, "node-0", 6, 0, &m), 0);
	CU_ASSERT_PTR_EQUAL(mf_members_find(&t, "node-0", 6), m);
	CU_ASSERT_STRING_EQUAL(mf_members_at(&t, 0)->name, "node-0");
	mf_members_free(&t);
	CU_ASSERT_EQUAL(strs.n, 0);
	mf_intern_free(&strs);
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds per operation: n adds at random probe slots, n finds, n
 * removals in another order; best of two. */
static double members_cost(unsigned n)
{
	double best = 1e9;
	char name[32];
	for (int rep = 0; rep < 2; rep++) {
		struct mf_intern strs;
		struct mf_members t;
		struct mf_rng rng;
		struct mf_member_record *m;
		size_t missing = 0;
		mf_intern_init(&strs);
		mf_members_init(&t, &strs);
		mf_rng_seed(&rng, 11);
		double t0 = cpu_s();
		for (unsigned i = 0; i < n; i++) {
			name_of(name, sizeof(name), i);
			size_t pos = mf_rng_below(&rng, (uint32_t)t.n_probe + 1);
			CU_ASSERT_EQUAL_FATAL(mf_members_add(&t, name, strlen(name), pos, &m), 0);
		}
		for (unsigned i = 0; i < n; i++) {
			name_of(name, sizeof(name), (unsigned)(((uint64_t)i * 7919u) % n));
			missing += mf_members_find(&t, name, strlen(name)) == NULL;
		}
		for (unsigned i = 0; i < n; i++) {
			name_of(name, sizeof(name), (unsigned)(((uint64_t)i * 104729u) % n));
			if ((m = mf_members_find(&t, name, strlen(name))) != NULL)
				mf_members_remove(&t, m);
		}
		double per = (cpu_s() - t0) / (3.0 * n);
		CU_ASSERT_EQUAL(missing, 0);
		CU_ASSERT_EQUAL(t.n, 0);
		mf_members_free(&t);
		mf_intern_free(&strs);
		best = per < best ? per : best;
	}
	return best;
}

/* With 1,000,000 records one operation costs within a small factor of
 * what it costs with 100,000 (a sorted array's insert and the probe-list
 * scan of remove grow 10x). Both tables are far larger than the caches:
 * from 10,000 (which fits) to 100,000 the misses alone cost 4-7x. */
static void test_members_cost_per_operation_does_not_grow_with_the_table(void)
{
	double small = members_cost(100000), large = members_cost(1000000);
	fprintf(stderr, "\n  per operation: %.0f ns at 100k members, %.0f ns at 1M (x%.2f)\n",
		small * 1e9, large * 1e9, large / small);
	CU_ASSERT(large < 5.0 * small);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_members_share_names_across_tables),
		TEST(test_members_remove_sweep_shuffle_keep_positions_and_name_order),
		TEST(test_members_cost_per_operation_does_not_grow_with_the_table),
	};
	return RUN_SUITE("gossip_pool_members", tests);
}

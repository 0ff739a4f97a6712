/* The member table's name order and change journal (gossip/members.h,
 * issue 12): once read, the name order is kept through adds, removes and
 * sweeps without sorting again (a join per agent per batch sorted every
 * name), and the journal names every member that changed, for readers
 * that keep derived state (routing/dc_index.c). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "gossip/intern.h"
#include "gossip/members.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

static struct mf_intern strs;
static struct mf_members t;

static void setup(void)
{
	mf_intern_init(&strs);
	mf_members_init(&t, &strs);
}

static void teardown(void)
{
	mf_members_free(&t);
	mf_intern_free(&strs);
}

static struct mf_member_record *add(unsigned i)
{
	char name[32];
	struct mf_member_record *m = NULL;
	snprintf(name, sizeof(name), "n%u", (i * 7919u) % 100003u); /* not in add order */
	CU_ASSERT_EQUAL(mf_members_add(&t, name, strlen(name), NULL, i % (t.n + 1), &m), 0);
	return m;
}

/* Every record in strictly increasing name order, each one once. */
static size_t order_errors(void)
{
	size_t bad = 0;
	for (size_t i = 1; i < t.n; i++) {
		const struct mf_member_record *x = mf_members_at(&t, i - 1), *y = mf_members_at(&t, i);
		bad += x == NULL || y == NULL ||
		       mf_members_cmp_name(mf_member_name(x), mf_member_name_len(x), mf_member_name(y),
					   mf_member_name_len(y)) >= 0;
	}
	return bad + (t.n > 0 && mf_members_at(&t, t.n - 1) == NULL);
}

static void test_joins_and_reaps_keep_the_name_order_without_sorting(void)
{
	struct mf_rng rng;
	mf_rng_seed(&rng, 12);
	for (unsigned i = 0; i < 500; i++)
		add(i);
	CU_ASSERT_EQUAL(order_errors(), 0);
	CU_ASSERT_EQUAL(mf_members_order_builds(&t), 1);
	/* joins one at a time, each followed by a read, as the routing tick does */
	for (unsigned i = 500; i < 1500; i++) {
		add(i);
		CU_ASSERT_PTR_NOT_NULL(mf_members_at(&t, t.n / 2));
	}
	CU_ASSERT_EQUAL(order_errors(), 0);
	/* removals, a shuffle and a sweep of every third */
	for (unsigned i = 0; i < 100; i++)
		mf_members_remove(&t, mf_members_probe_at(&t, (i * 31u) % t.n_probe));
	mf_members_shuffle(&t, &rng);
	for (size_t i = 0; i < t.n_probe; i += 3)
		mf_members_probe_at(&t, i)->doomed = true;
	(void)mf_members_sweep(&t, 0);
	CU_ASSERT_EQUAL(order_errors(), 0);
	CU_ASSERT_EQUAL(t.n, 1400 - 1400 / 3 - (1400 % 3 != 0));
	CU_ASSERT_EQUAL(mf_members_order_builds(&t), 1); /* the first read's only */
}

static void test_journal_names_each_change_once_turned_on(void)
{
	struct mf_member_record *m = add(0);
	add(1);
	CU_ASSERT_PTR_NULL(mf_members_journal_name(&t, 0)); /* off: nothing kept */
	uint64_t at = mf_members_journal_seq(&t);
	CU_ASSERT_EQUAL(at, 0);
	struct mf_member_record *c = add(2);
	mf_members_note(&t, mf_member_name(m));
	const uint8_t meta[] = {0x80};
	CU_ASSERT_EQUAL(mf_members_set_meta(&t, m, meta, sizeof(meta)), 0);
	char cname[32];
	snprintf(cname, sizeof(cname), "%s", mf_member_name(c));
	mf_members_remove(&t, c);
	CU_ASSERT_EQUAL(mf_members_journal_seq(&t), 4);
	CU_ASSERT_STRING_EQUAL(mf_members_journal_name(&t, 0), cname);
	CU_ASSERT_STRING_EQUAL(mf_members_journal_name(&t, 1), mf_member_name(m));
	CU_ASSERT_STRING_EQUAL(mf_members_journal_name(&t, 2), mf_member_name(m));
	CU_ASSERT_STRING_EQUAL(mf_members_journal_name(&t, 3), cname);
	CU_ASSERT_PTR_NULL(mf_members_journal_name(&t, 4));
	/* a reader further behind than the journal holds is told so */
	for (unsigned i = 0; i < MF_MEMBERS_JOURNAL; i++)
		mf_members_note(&t, "x");
	CU_ASSERT_PTR_NULL(mf_members_journal_name(&t, 3));
	CU_ASSERT_STRING_EQUAL(mf_members_journal_name(&t, 4), "x");
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "joins_and_reaps_keep_the_name_order_without_sorting", test_joins_and_reaps_keep_the_name_order_without_sorting },
		{ "journal_names_each_change_once_turned_on", test_journal_names_each_change_once_turned_on },
	};
	return RUN_SUITE_WITH("members_order", setup, teardown, tests);
}

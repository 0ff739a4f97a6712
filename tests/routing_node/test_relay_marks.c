/*
 * tests/routing_node/test_relay_marks.c — routing/relay_marks.h: what a
 * routing node relayed, per origin DC and per (origin, server): the rules
 * the node's relay decisions rest on, and the bytes a mark costs (issue 12:
 * the records were 536 bytes each, one per server heard).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "routing/relay_marks.h"
#include "tests/cunit_main.h"

static void test_newer_seq_is_news_older_never(void)
{
	struct mf_relay_marks m;
	mf_relay_marks_init(&m);
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, false));
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, false)); /* again */
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 5, 1, false));  /* another fragment */
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 4, 2, false)); /* older */
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 6, 0, false));
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 5, 3, false));
	/* the whole advert (f < 0) once fragment 0 of it went: news, then not */
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 6, -1, false));
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 6, 7, false));
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 6, 70, false));
	CU_ASSERT_EQUAL(m.n, 1);
	mf_relay_marks_free(&m);
}

/* Per DC, a seq from another server replaces the mark's server; at the
 * same seq the later name wins (the node's tie-break). */
static void test_dc_mark_follows_the_newest_server(void)
{
	struct mf_relay_marks m;
	mf_relay_marks_init(&m);
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, false));
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s2", 5, 0, false));  /* "s2" > "s1" */
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 5, 1, false)); /* "s1" < "s2" */
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s2", 5, 0, false));
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s0", 9, 0, false));
	CU_ASSERT_STRING_EQUAL(mf_name_ids_str(&m.own_ids, m.marks[0].origin), "dc2");
	CU_ASSERT_STRING_EQUAL(mf_name_ids_str(&m.own_ids, m.marks[0].node), "s0");
	CU_ASSERT_EQUAL(m.own_ids.n, 2); /* "s1" and "s2" released */
	CU_ASSERT_EQUAL(m.n, 1);
	mf_relay_marks_free(&m);
}

/* Per server marks are apart from the DC's and from each other's. */
static void test_per_node_marks_are_keyed_by_server(void)
{
	struct mf_relay_marks m;
	mf_relay_marks_init(&m);
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, true));
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s2", 3, 0, true));  /* other server */
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, false)); /* the DC's mark */
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s1", 5, 0, true));
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", "s2", 2, 0, true));
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc3", "s1", 1, 0, true));  /* other DC */
	CU_ASSERT_EQUAL(m.n, 4);
	mf_relay_marks_free(&m);
}

static void test_overlong_node_name_is_never_news(void)
{
	struct mf_relay_marks m;
	char big[300];
	mf_relay_marks_init(&m);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc2", big, 5, 0, true));
	big[255] = 0;
	CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc2", big, 5, 0, true));
	CU_ASSERT_EQUAL(m.n, 1);
	mf_relay_marks_free(&m);
}

/* 5,000 servers of one DC, each marked per server and per DC, all found
 * again, at under 60 bytes a server with the names in ids the pools share
 * (the records were 536 each, in an array doubled as it grew; then 40 and
 * a copy of both names, 108 with its index). */
static void test_many_servers_cost_little(void)
{
	struct mf_relay_marks m;
	struct mf_name_ids pools; /* the pools' ids: they hold every name */
	char name[32];
	uint32_t id;
	mf_name_ids_init(&pools);
	mf_relay_marks_init(&m);
	CU_ASSERT_TRUE(mf_relay_marks_share_names(&m, &pools));
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "server-%u.dc7", i);
		CU_ASSERT_EQUAL(mf_name_ids_hold(&pools, name, &id), 0);
		CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc7", name, 10 + i, 0, true));
		CU_ASSERT_TRUE(mf_relay_marks_news(&m, "dc7", name, 10 + i, 0, false));
	}
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "server-%u.dc7", i);
		CU_ASSERT_FALSE(mf_relay_marks_news(&m, "dc7", name, 10 + i, 0, true));
	}
	CU_ASSERT_EQUAL(m.n, 5001);
	size_t b = mf_relay_marks_bytes(&m);
	printf("\n  5,000 servers: %zu bytes of marks (%.0f a server)\n", b, (double)b / 5000);
	CU_ASSERT(b < 60 * 5000);
	CU_ASSERT_EQUAL(pools.n, 5000 + 1); /* the servers, and "dc7" held by the marks */
	mf_relay_marks_free(&m);
	CU_ASSERT_EQUAL(pools.n, 5000); /* the marks' holds released, the pools' kept */
	mf_name_ids_free(&pools);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_newer_seq_is_news_older_never),
		TEST(test_dc_mark_follows_the_newest_server),
		TEST(test_per_node_marks_are_keyed_by_server),
		TEST(test_overlong_node_name_is_never_news),
		TEST(test_many_servers_cost_little),
	};
	return RUN_SUITE("relay_marks", tests);
}

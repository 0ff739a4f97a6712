/* cmd/agent/drops.c: the agent's drop counters as one log line (pure:
 * counters in, text out). */
#include <CUnit/Basic.h>
#include <string.h>

#include "cmd/agent/drops.h"
#include "tests/cunit_main.h"

static void test_nothing_moved_is_an_empty_line(void)
{
	struct mf_drops a, b;
	struct mf_pool_stats ps;
	char line[64] = "x";
	memset(&ps, 0, sizeof(ps));
	ps.bad_by_cause[-MF_EMALFORMED] = 3;
	mf_drops_take(&a, &ps, NULL, NULL);
	mf_drops_take(&b, &ps, NULL, NULL);
	CU_ASSERT_EQUAL(mf_drops_format(&a, &b, line, sizeof(line)), 0);
	CU_ASSERT_STRING_EQUAL(line, "");
}

static void test_each_counter_that_moved_is_named_with_how_much(void)
{
	struct mf_drops then, now;
	struct mf_pool_stats ps;
	struct mf_transport_stats ts;
	struct mf_serf_glue_stats g;
	char line[256];
	memset(&ps, 0, sizeof(ps));
	memset(&ts, 0, sizeof(ts));
	memset(&g, 0, sizeof(g));
	ps.bad_by_cause[-MF_EMALFORMED] = 2;
	ps.bad_by_cause[-MF_EDECRYPT] = 1;
	mf_drops_take(&then, &ps, &ts, &g);
	ps.bad_by_cause[-MF_EMALFORMED] = 9; /* +7 */
	ps.bad_by_cause[-MF_ETRUNC] = 5;     /* +5; decrypt did not move */
	ts.streams_oversize = 1;
	g.decode_errors = 4;
	mf_drops_take(&now, &ps, &ts, &g);
	CU_ASSERT_EQUAL(mf_drops_format(&then, &now, line, sizeof(line)), 4);
	CU_ASSERT_STRING_EQUAL(line, "truncated message 5, malformed message 7, "
				     "streams oversize 1, serf messages undecodable 4");
}

/* A pool whose counters went down (restarted) counts from zero. */
static void test_counter_below_the_last_report_counts_from_zero(void)
{
	struct mf_drops then, now;
	struct mf_pool_stats ps;
	char line[64];
	memset(&ps, 0, sizeof(ps));
	ps.members_refused = 10;
	mf_drops_take(&then, &ps, NULL, NULL);
	ps.members_refused = 2;
	mf_drops_take(&now, &ps, NULL, NULL);
	CU_ASSERT_EQUAL(mf_drops_format(&then, &now, line, sizeof(line)), 1);
	CU_ASSERT_STRING_EQUAL(line, "members refused (pool full) 2");
}

static void test_line_too_long_for_the_buffer_ends_in_dots(void)
{
	struct mf_drops then, now;
	struct mf_pool_stats ps;
	char line[40];
	memset(&ps, 0, sizeof(ps));
	mf_drops_take(&then, &ps, NULL, NULL);
	for (int i = 1; i < MF_ERR_COUNT_; i++)
		ps.bad_by_cause[i] = 1000;
	mf_drops_take(&now, &ps, NULL, NULL);
	CU_ASSERT_EQUAL(mf_drops_format(&then, &now, line, sizeof(line)), MF_ERR_COUNT_ - 1);
	CU_ASSERT_EQUAL(strlen(line), sizeof(line) - 1);
	CU_ASSERT_STRING_EQUAL(line + sizeof(line) - 4, "...");
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_nothing_moved_is_an_empty_line),
		TEST(test_each_counter_that_moved_is_named_with_how_much),
		TEST(test_counter_below_the_last_report_counts_from_zero),
		TEST(test_line_too_long_for_the_buffer_ends_in_dots),
	};
	return RUN_SUITE("drops", tests);
}

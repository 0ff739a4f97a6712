/* How far a serf query spreads by gossip alone in a pool of three, the
 * pool of tests/integration/test_query_stream.py (tests/gossip_pool/
 * query_spread.h): each member sends its copy at most retransmit_mult x
 * ceil(log10(3 + 1)) times, so the local profile's 2 leaves no slack for
 * two peers, and an ack's piggyback to a member that already has it can
 * spend one of them. Deterministic (fixed seeds). */
#include <CUnit/Basic.h>

#include "tests/cunit_main.h"
#include "tests/gossip_pool/query_spread.h"

#define SEEDS 3000

/* Queries of SEEDS runs that missed a member; *counted: runs counted. */
static int queries_missing_a_member(const struct mf_query_spread *s, int *counted)
{
	int missing = 0;
	*counted = 0;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		int m = mf_query_spread_missed(s, seed);
		if (m < 0)
			continue;
		(*counted)++;
		missing += m > 0;
	}
	return missing;
}

/* memberlist's limit, 2 sends each for 2 peers: about 3 queries in 1,000
 * miss a member (one of the two others spent both its sends on the
 * member that already had it too), as in serf with -profile local. */
static void test_query_misses_a_member_of_three_now_and_then_at_retransmit_mult_2(void)
{
	struct mf_query_spread s = {.n = 3, .profile = MF_PROFILE_LOCAL, .retransmit_mult = 2};
	int counted;
	int missing = queries_missing_a_member(&s, &counted);
	CU_ASSERT(counted > SEEDS * 9 / 10);
	CU_ASSERT(missing >= 1);
	CU_ASSERT(missing <= counted / 100);
}

/* 4 sends each (the lan profile's mult): every query reaches both peers,
 * which is what the integration test relies on (-retransmit-mult 4). */
static void test_query_reaches_every_member_of_three_at_retransmit_mult_4(void)
{
	struct mf_query_spread s = {.n = 3, .profile = MF_PROFILE_LOCAL, .retransmit_mult = 4};
	int counted;
	int missing = queries_missing_a_member(&s, &counted);
	CU_ASSERT(counted > SEEDS * 9 / 10);
	CU_ASSERT_EQUAL(missing, 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_query_misses_a_member_of_three_now_and_then_at_retransmit_mult_2),
		TEST(test_query_reaches_every_member_of_three_at_retransmit_mult_4),
	};
	return RUN_SUITE("gossip_pool_query_spread", tests);
}

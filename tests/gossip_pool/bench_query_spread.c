/* bench-query-spread SEEDS N local|lan|wan [MULT] — how often one serf
 * query, spread by gossip alone, misses a member of a pool of N
 * (tests/gossip_pool/query_spread.h), over seeds 1..SEEDS. Not a test: the
 * figures of docs/bench.md "Query reach in small pools". MULT: the
 * retransmit_mult (default: the profile's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/gossip_pool/query_spread.h"

int main(int argc, char **argv)
{
	struct mf_query_spread s = {0};
	if (argc < 4 || mf_profile_parse(argv[3], &s.profile) != 0) {
		fprintf(stderr, "usage: bench-query-spread SEEDS N local|lan|wan [MULT]\n");
		return 2;
	}
	long seeds = atol(argv[1]);
	s.n = atoi(argv[2]);
	s.retransmit_mult = argc > 4 ? atoi(argv[4]) : 0;
	long counted = 0, queries = 0, members = 0;
	for (long seed = 1; seed <= seeds; seed++) {
		int m = mf_query_spread_missed(&s, (uint64_t)seed);
		if (m < 0)
			continue;
		counted++;
		queries += m > 0;
		members += m;
	}
	if (counted == 0 || s.n < 2) {
		fprintf(stderr, "bench-query-spread: no run counted\n");
		return 1;
	}
	struct mf_pool_timing t;
	mf_pool_timing_profile(&t, s.profile);
	printf("n=%d %s retransmit_mult=%d: %ld queries, %ld missed a member (%.3f %%), "
	       "%ld of %ld deliveries missed (%.4f %%)\n",
	       s.n, argv[3], s.retransmit_mult ? s.retransmit_mult : t.retransmit_mult, counted,
	       queries, 100.0 * (double)queries / (double)counted, members,
	       counted * (s.n - 1), 100.0 * (double)members / (double)(counted * (s.n - 1)));
	return 0;
}

/*
 * tests/gossip_pool/query_spread.h — how far one serf query spreads by
 * gossip alone, in virtual time (cmd/sim/simnet.c).
 *
 * A query is a user broadcast that every member queues again the first
 * time it hears it (serf handleQuery, cmd/agent/agent_query.c on_query),
 * and each member sends its copy at most retransmit_mult x
 * ceil(log10(n + 1)) times: piggybacked on its pings and acks, or in its
 * gossip rounds to random members (memberlist sendMsg and gossip). Nothing
 * repairs a member that none of those sends reached: serf's push-pull
 * carries user events, not queries.
 *
 * One run: n pools (n - 1 joining pool 0, 50 ms apart, as
 * tests/integration/test_query_stream.py starts m1..m3), 1-3 s later pool 0
 * queues the query, then 8 s (the test's -timeout) pass.
 *
 * Contract: pure and deterministic for a seed (the simulator's), no I/O.
 */
#ifndef MF_TESTS_GOSSIP_POOL_QUERY_SPREAD_H
#define MF_TESTS_GOSSIP_POOL_QUERY_SPREAD_H

#include <stdint.h>

#include "gossip/pool.h"

#define MF_QUERY_SPREAD_MAX 64 /* pools in one run */

struct mf_query_spread {
	int n;                 /* pools, 2..MF_QUERY_SPREAD_MAX */
	enum mf_profile profile;
	int retransmit_mult;   /* 0: the profile's */
};

/* The members (pool 0 aside) the query never reached in the run of this
 * seed; -1 when the run was not counted (not every pool saw every member
 * alive when the query was due: the test waits for that), or on error. */
int mf_query_spread_missed(const struct mf_query_spread *s, uint64_t seed);

#endif

/*
 * gossip/serf_query_state.h — the state serf keeps around queries (serf 0.9.4
 * serf.go handleQuery / handleQueryResponse, query.go shouldProcessQuery,
 * QueryResponse), as pure values.
 *
 *  - The de-duplication buffer: QueryBuffer (512) slots indexed by
 *    LTime % 512, each remembering the IDs seen at that LTime. A query is
 *    new unless its LTime is below the minimum, older than the clock minus
 *    512, or its ID is already in its slot. The query Lamport clock is
 *    witnessed first, as serf does.
 *  - Filters: a node filter matches when our name is listed, a tag filter
 *    when the tag's value matches the regular expression (POSIX extended
 *    here, Go's RE2 in serf: the same for the anchors, classes and
 *    alternations operators write); an unknown or undecodable filter does
 *    not match.
 *  - A collector for a query we started: acks and responses from each node
 *    at most once (the first), only for our LTime and ID, only before the
 *    deadline.
 *
 * Contract: pure, no I/O, never reads the clock (deadlines take `now`);
 * 0 or a negative enum mf_err.
 */
#ifndef MF_GOSSIP_SERF_QUERY_STATE_H
#define MF_GOSSIP_SERF_QUERY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/serf.h"
#include "gossip/serf_query.h"

#define MF_SERF_QUERY_BUFFER 512       /* serf config.go QueryBuffer */
/* IDs remembered per LTime: serf keeps them all; more than a few queries
 * started at the same LTime means a storm, and forgetting the oldest only
 * lets one be processed twice (each is idempotent or answered once). */
#define MF_SERF_QUERY_IDS_PER_SLOT 16
#define MF_SERF_QUERY_MAX_REPLIES 65536 /* per collector */

struct mf_serf_query_seen {
	uint64_t ltime;
	uint32_t ids[MF_SERF_QUERY_IDS_PER_SLOT];
	uint8_t n;
	bool used;
};

struct mf_serf_query_buffer {
	struct mf_serf_query_seen slots[MF_SERF_QUERY_BUFFER];
	uint64_t min_time; /* serf queryMinTime */
};

void mf_serf_query_buffer_init(struct mf_serf_query_buffer *b);
/* Witnesses ltime on *clock, then true when the query (ltime, id) is new
 * (and remembers it), false when it is too old or was seen. */
bool mf_serf_query_buffer_admit(struct mf_serf_query_buffer *b, uint64_t *clock, uint64_t ltime,
				uint32_t id);

/* serf shouldProcessQuery: does a query with these filters concern us? */
bool mf_serf_query_filters_match(const struct mf_bytes *filters, size_t n, const char *self,
				 const struct mf_tag *tags, size_t n_tags);

/* One node's answer to our query. */
struct mf_serf_query_reply {
	char *from;
	uint8_t *payload; /* NULL for an ack */
	size_t len;
};

struct mf_serf_query_collector {
	uint64_t ltime;
	uint32_t id;
	mf_time_t deadline;
	struct mf_serf_query_reply *acks, *responses;
	size_t n_acks, n_responses, cap_acks, cap_responses;
	uint64_t duplicates, late, mismatched;
};

void mf_serf_query_collector_init(struct mf_serf_query_collector *c, uint64_t ltime, uint32_t id,
				  mf_time_t deadline);
void mf_serf_query_collector_free(struct mf_serf_query_collector *c);
/* serf handleQueryResponse: 1 when recorded, 0 when ignored (another
 * query or a From that is no node name, a duplicate, after the deadline, over MF_SERF_QUERY_MAX_REPLIES),
 * MF_ENOMEM. */
int mf_serf_query_collect(struct mf_serf_query_collector *c, mf_time_t now,
			  const struct mf_serf_query_response *r);
bool mf_serf_query_collector_done(const struct mf_serf_query_collector *c, mf_time_t now);

#endif

/*
 * cmd/agent/agent_query.h — serf's queries and user events in the agent, per pool
 * (serf 0.9.4 serf.go handleQuery/handleQueryResponse/handleUserEvent,
 * delegate.go relay, internal_query.go, keymanager.go):
 *
 *  - a query from a peer is de-duplicated (gossip/serf_query_state.h),
 *    rebroadcast unless NoBroadcast, filtered, acked when asked (to the
 *    querier's Addr:Port, plus relay copies through RelayFactor members),
 *    and, for serf's internal key queries (_serf_list-keys, install-key,
 *    use-key, remove-key; _serf_ping), answered as serf answers
 *    (nodeKeyResponse); the keyring changes in place (the pool seals with
 *    it from the next packet on) and the keyring file is rewritten
 *    (cmd/config/keyring_file.h). User queries are acked, never answered (an
 *    agent without event handlers, as serf's is).
 *  - a response or ack goes to the query we started with that LTime/ID;
 *  - a relay is forwarded to its destination;
 *  - a user event is de-duplicated and rebroadcast, and logged.
 *  - control requests "keys", "query" and "event" (docs/control-protocol.md)
 *    start a query (answered when every member has answered or at the
 *    timeout) or an event (answered at once).
 *
 * Contract: the on_msg hook runs inside pool calls and never calls into the
 * pool: what it must send is queued and sent by mf_agent_query_flush (the
 * transport's after_drain). Keys never reach the log.
 */
#ifndef MF_CMD_AGENT_QUERY_H
#define MF_CMD_AGENT_QUERY_H

#include <stdint.h>

#include <jansson.h>

struct mf_agent;
struct mf_agent_pool;
struct mf_agent_queries;

int mf_agent_queries_new(struct mf_agent_pool *ap, struct mf_agent_queries **out);
/* Answers every pending control request with an error and closes timers. */
void mf_agent_queries_close(struct mf_agent_queries *q);
/* After the loop ran the closes. */
void mf_agent_queries_free(struct mf_agent_queries *q);

/* serf types 3 (user event), 4 (query), 5 (response), 9 (relay). */
void mf_agent_query_on_msg(struct mf_agent_pool *ap, const uint8_t *msg, size_t len);
/* Sends what on_msg queued. */
void mf_agent_query_flush(struct mf_agent_pool *ap);

/* Control requests "keys", "query", "event"; NULL when answered later. */
json_t *mf_agent_query_request(struct mf_agent *a, uint64_t client_id, const char *cmd,
			       const json_t *req);

/* For `meshfed info`. */
json_t *mf_agent_queries_info(const struct mf_agent_queries *q);

#endif

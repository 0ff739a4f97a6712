/*
 * cmd/agent/agent_keys.h — serf's key manager in the agent (serf 0.9.4
 * internal_query.go handle*Key, keymanager.go): what a member answers to an
 * internal key query, what the querier sends and how it sums the answers.
 * The query transport around it is cmd/agent/agent_query.c.
 *
 * Contract: changes only the pool's keyring (in place: the pool seals with
 * the new primary from the next packet) and its keyring file
 * (cmd/config/keyring_file.h, rewritten after each change). Keys are wiped from
 * every temporary buffer and never logged.
 */
#ifndef MF_CMD_AGENT_KEYS_H
#define MF_CMD_AGENT_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

#include "gossip/serf_query_state.h"

struct mf_agent_pool;

/* "list-keys", "install-key", "use-key" or "remove-key". */
bool mf_agent_keys_is_op(const char *op);

/* Handles the internal query `op` (name without "_serf_") with its payload
 * on ap, as serf does, and appends the nodeKeyResponse ([8]{...}) to out.
 * 1 when the response says Result true, 0 when false, MF_ENOMEM. */
int mf_agent_keys_answer(struct mf_agent_pool *ap, const char *op, struct mf_bytes payload,
			 msgpack_sbuffer *out);

/* The query a control "keys" request asks for: *qop (the op name) and the
 * key request payload in out. NULL, or an error response (bad op or key). */
json_t *mf_agent_keys_request(const json_t *req, msgpack_sbuffer *out, const char **qop);

/* keymanager.go streamKeyResp over the responses collected: the control
 * answer {ok, op, num_nodes, num_resp, num_err, messages, keys,
 * primary_keys}. */
json_t *mf_agent_keys_result(const char *op, size_t num_nodes,
			     const struct mf_serf_query_reply *r, size_t n);

#endif

/*
 * cmd/agent_internal.h — what agent.c (lifecycle, events, joins, leave) and
 * agent_control.c (control requests as JSON) share. Only cmd/agent*.c
 * include it.
 */
#ifndef MF_CMD_AGENT_INTERNAL_H
#define MF_CMD_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "cmd/agent.h"
#include "cmd/control.h"
#include "cmd/log.h"
#include "cmd/serf_glue.h"
#include "gossip/keyring.h"
#include "gossip/pool.h"
#include "gossip/transport.h"

enum mf_agent_state {
	MF_AGENT_RUNNING,
	MF_AGENT_LEAVE_INTENT, /* serf leave intent gossiping */
	MF_AGENT_LEAVING,      /* pool leave broadcast in progress */
	MF_AGENT_LINGER,       /* left; still answering probes briefly */
	MF_AGENT_STOPPING,     /* handles closing */
};

/* A set of joins started together (by `meshfed join` or -join). */
struct mf_join_batch {
	struct mf_join_batch *next;
	uint64_t client_id;     /* 0: the agent's own retry-join */
	size_t n, waiting, ok;
	uint64_t *ids;          /* pool join ids, 0 when it failed to start */
	char **addrs;
};

struct mf_agent {
	uv_loop_t loop;
	struct mf_agent_config cfg;
	struct mf_log log;
	struct mf_keyring keyring;
	struct mf_serf_glue glue;
	mf_pool_t *pool;
	mf_transport_t *tr;
	struct mf_control *ctl;
	uv_signal_t sigint, sigterm;
	uv_timer_t retry_timer; /* retry-join backoff */
	uv_timer_t leave_timer; /* leave phases */
	bool handles_open;
	enum mf_agent_state state;
	int exit_code;
	mf_time_t started;      /* uv_hrtime at start */
	mf_time_t leave_deadline;
	bool others_alive_at_leave;
	struct mf_join_batch *batches;
	struct mf_join_batch *issuing; /* the batch whose joins are being started */
	int retry_attempts;
	mf_time_t retry_delay;
	uint64_t *leave_clients;       /* control clients awaiting leave */
	size_t n_leave_clients;
	char advertise_str[80];
};

/* agent.c */
void mf_agent_begin_leave(struct mf_agent *a);
/* Starts joins; answers client_id (if non-zero) when all are done. */
void mf_agent_start_joins(struct mf_agent *a, uint64_t client_id, const char *const *addrs,
			  size_t n);

/* agent_control.c */
json_t *mf_agent_on_request(void *ctx, uint64_t client_id, const json_t *req);
json_t *mf_agent_members_json(struct mf_agent *a);
json_t *mf_agent_info_json(struct mf_agent *a);

#endif

/*
 * cmd/agent/agent_internal.h — what agent.c (lifecycle, events, joins, leave),
 * agent_pool.c (one pool: transport, serf glue, coordinates, the delegate
 * multiplexer), agent_routing.c (the routing node fed by every pool, and
 * the route socket it publishes to), agent_coords.c (rtt and coords
 * answers) and agent_control.c (control requests as JSON) share. Only
 * cmd/agent*.c include it.
 */
#ifndef MF_CMD_AGENT_INTERNAL_H
#define MF_CMD_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "cmd/agent/agent.h"
#include "cmd/daemon/control.h"
#include "cmd/daemon/log.h"
#include "cmd/daemon/metrics_http.h"
#include "cmd/agent/drops.h"
#include "cmd/agent/route_socket.h"
#include "gossip/serf_glue.h"
#include "cmd/agent/snapshot.h"
#include "coord/tracker.h"
#include "gossip/keyring.h"
#include "gossip/pool.h"
#include "gossip/transport.h"
#include "routing/node.h"
#include "routing/pool_mux.h"

#define MF_AGENT_MAX_POOLS (1 + MF_CONFIG_MAX_AREAS)

enum mf_agent_state {
	MF_AGENT_RUNNING,
	MF_AGENT_LEAVE_INTENT, /* serf leave intent gossiping */
	MF_AGENT_LEAVING,      /* pool leave broadcast in progress */
	MF_AGENT_LINGER,       /* left; still answering probes briefly */
	MF_AGENT_STOPPING,     /* handles closing */
};

struct mf_agent;
struct mf_agent_pool;
struct mf_agent_snapshot;

/* A pool join finished (MF_EV_JOIN_DONE): the agent's join batches. A
 * hook, so the pool calls into agent.c only through what agent.c gave it. */
typedef void (*mf_agent_join_done_fn)(struct mf_agent *a, uint64_t id, bool ok);

/* What control requests (agent_control.c) start in agent.c: joins in pool
 * ap, answering client_id (if non-zero) when all are done; the graceful
 * leave (a no-op once leaving). Hooks agent.c sets before the control
 * socket opens, so agent_control.c calls into agent.c only through them. */
typedef void (*mf_agent_start_joins_fn)(struct mf_agent *a, struct mf_agent_pool *ap,
					uint64_t client_id, const char *const *addrs, size_t n);
typedef void (*mf_agent_begin_leave_fn)(struct mf_agent *a);

/* One gossip pool of the agent: the WAN pool or a network area. */
struct mf_agent_pool {
	struct mf_agent *agent;
	mf_agent_join_done_fn join_done;
	char name[MF_CONFIG_AREA_NAME_MAX + 1]; /* "wan" or the area's name */
	const struct mf_area_config *area;      /* NULL for the WAN pool */
	struct mf_keyring keyring;
	struct mf_serf_glue glue;
	struct mf_coord_tracker tracker;
	bool glue_ok, tracker_ok;
	struct mf_pool_delegate serf_hooks; /* the glue's hooks, called by the mux */
	struct mf_pool_mux mux;             /* the pool's delegate (routing/pool_mux.h) */
	struct mf_agent_queries *queries;   /* serf queries, events, key ops (agent_query.h) */
	struct mf_routing_node_slot *slot;  /* this pool in the routing node */
	struct mf_agent_snapshot *snap;     /* -snapshot, NULL when off */
	mf_pool_t *pool;
	mf_transport_t *tr;
	char advertise_str[80];
	char bind_str[80];
	struct mf_drops drops_reported; /* the drop counters at the last report */
};

/* A set of joins started together (by `meshfed join` or -join). */
struct mf_join_batch {
	struct mf_join_batch *next;
	struct mf_agent_pool *ap;
	bool rejoin;            /* the snapshot's members: no retry, no give-up */
	uint64_t client_id;     /* 0: the agent's own retry-join */
	size_t n, waiting, ok;
	uint64_t *ids;          /* pool join ids, 0 when it failed to start */
	char **addrs;
};

/* The agent's routing: a routing/node.h node and the timer that ticks it:
 * every MF_ROUTING_NODE_TICK_MS while anything reaches the node, every
 * MF_AGENT_ROUTING_IDLE_TICK_MS once MF_AGENT_ROUTING_QUIET_TICKS ticks
 * passed with no input, no change and nothing sent (an idle agent woke 4
 * times a second for nothing, 2/3 of its timer wakeups, issue 12); any
 * input (mf_agent_routing_poke) brings the fast period back at once, so
 * what reacts to input reacts as fast as before. */
#define MF_AGENT_ROUTING_IDLE_TICK_MS 1000
#define MF_AGENT_ROUTING_QUIET_TICKS 4
struct mf_agent_routing {
	struct mf_routing_node *node;
	uv_timer_t timer;
	bool timer_open;
	bool idle;              /* ticking at MF_AGENT_ROUTING_IDLE_TICK_MS */
	unsigned quiet;         /* ticks since the last input or output */
	bool tick_failing;      /* the last tick failed (logged once) */
	uint64_t published;     /* table version last handed to the route socket */
};

/* One `meshfed monitor` stream (cmd/agent/agent_monitor.c). */
#define MF_AGENT_MAX_MONITORS 16
#define MF_MONITOR_MAX_PENDING ((size_t)256 * 1024) /* unread bytes before lines drop */
struct mf_agent_monitor {
	uint64_t client;
	enum mf_log_level level;
	bool json;
	uint64_t dropped;  /* lines this monitor missed */
	uint64_t missed;   /* dropped since its last line: reported when it reads again */
};

struct mf_agent {
	uv_loop_t loop;
	struct mf_agent_config *cfg; /* owned: from mf_config_new, freed with the agent */
	struct mf_log log;
	/* Member names and metas, shared by the pools and their serf glue: a
	 * member of several pools is held once. Outlives the pools. */
	struct mf_intern strs;
	struct mf_agent_pool *pools[MF_AGENT_MAX_POOLS]; /* WAN first when enabled */
	size_t n_pools;
	struct mf_agent_routing rt;
	struct mf_agent_dc_embed *dc_embed; /* agent_coords.c, NULL until first used */
	struct mf_control *ctl;
	struct mf_route_socket *rsock;
	struct mf_metrics_http *metrics; /* -metrics-addr, NULL when off */
	char rsock_path[MF_CONFIG_SOCK_MAX + 1];
	uv_signal_t sigint, sigterm;
	uv_timer_t retry_timer; /* retry-join backoff */
	uv_timer_t leave_timer; /* leave phases */
	/* at the shorter of two periods: returns free heap pages every
	 * MF_AGENT_TRIM_MS (agent_memory.h) and logs what the pools dropped
	 * every report_ms (mf_agent_pool_report_drops) */
	uv_timer_t housekeeping_timer;
	uint64_t report_ms;                /* -drop-report-interval, >= 1 ms */
	uint64_t trimmed_at, reported_at;  /* uv_now of the last of each */
	bool handles_open;
	enum mf_agent_state state;
	int exit_code;
	mf_time_t started;      /* uv_hrtime at start */
	mf_time_t leave_deadline;
	bool others_alive_at_leave;
	mf_agent_start_joins_fn start_joins; /* agent.c's, for agent_control.c */
	mf_agent_begin_leave_fn begin_leave;
	struct mf_join_batch *batches;
	struct mf_join_batch *issuing; /* the batch whose joins are being started */
	int retry_attempts;
	mf_time_t retry_delay;
	uint64_t *leave_clients;       /* control clients awaiting leave */
	size_t n_leave_clients, cap_leave_clients;
	int argc;                      /* the agent's flags, re-read on reload */
	char **argv;
	uv_signal_t sighup;
	uint64_t reloads, reload_errors;
	struct mf_agent_config *reload_cfg; /* scratch of agent_reload.c (keys wiped) */
	struct mf_agent_monitor monitors[MF_AGENT_MAX_MONITORS];
	size_t n_monitors;
	uint64_t monitor_dropped;      /* log lines dropped for slow monitors */
	bool monitor_sending;          /* in the sink: closes are handled by its loop */
	struct mf_gateway *registered; /* route socket's healthy gateways (owned copy) */
	uv_timer_t snap_timer;         /* snapshot flushes */
	bool snap_timer_open;
	size_t n_registered;
};

/* The pool named `name`, or the first pool when name is NULL; NULL if none. */
static inline struct mf_agent_pool *mf_agent_find_pool(struct mf_agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_pools; i++)
		if (!name || strcmp(a->pools[i]->name, name) == 0)
			return a->pools[i];
	return NULL;
}

/* agent_pool.c */
/* Creates pool + transport for the WAN pool (area NULL) or an area; its
 * finished joins go to join_done. */
int mf_agent_pool_start(struct mf_agent *a, const struct mf_area_config *area,
			mf_agent_join_done_fn join_done, struct mf_agent_pool **out, char *err,
			size_t errcap);
/* Closes the transport (handles close on the loop). */
void mf_agent_pool_close(struct mf_agent_pool *ap);
/* Frees everything once the loop has run the closes. */
void mf_agent_pool_free(struct mf_agent_pool *ap);
/* Pushes what the glue queued into the pool. */
void mf_agent_pool_flush(struct mf_agent_pool *ap);
/* Logs, at warn, the drop counters (cmd/agent/drops.h) that moved since the
 * last report (the housekeeping timer, every -drop-report-interval); at
 * exit, at info, every one not zero. Nothing when none moved. */
void mf_agent_pool_report_drops(struct mf_agent_pool *ap, bool at_exit);

/* agent_routing.c */
/* After the pools exist: the routing node over all of them, and its timer. */
int mf_agent_routing_start(struct mf_agent *a, char *err, size_t errcap);
/* Something reached the routing node (an advert, a beat, a full state, a
 * membership event, gateways or policy): tick at the fast period again. */
void mf_agent_routing_poke(struct mf_agent *a);
void mf_agent_routing_close(struct mf_agent *a);
void mf_agent_routing_free(struct mf_agent *a);
/* After the control socket: the route socket, fed the current table. */
int mf_agent_route_socket_start(struct mf_agent *a, char *err, size_t errcap);
void mf_agent_route_socket_close(struct mf_agent *a);
json_t *mf_agent_routes_json(struct mf_agent *a);
json_t *mf_agent_routing_info_json(struct mf_agent *a);

/* agent_coords.c */
json_t *mf_agent_rtt(struct mf_agent *a, const json_t *req);
json_t *mf_agent_coords(struct mf_agent *a, const json_t *req);
/* From the routing tick: the WAN pool's coordinate pinned at our DC's
 * place in the embedding of the route table's measured DC links, when
 * they cover every DC pair (coord/dc_embed.h), else released. */
void mf_agent_coords_embed(struct mf_agent *a);
void mf_agent_coords_embed_free(struct mf_agent *a);

/* agent_control.c */
json_t *mf_agent_on_request(void *ctx, uint64_t client_id, const json_t *req);
json_t *mf_agent_members_json(struct mf_agent_pool *ap);
json_t *mf_agent_info_json(struct mf_agent *a);

/* agent_monitor.c */
/* The `monitor` request: answers the first line and streams log lines. */
json_t *mf_agent_monitor_start(struct mf_agent *a, uint64_t client_id, const json_t *req);
/* The control server's on_stream_closed: forgets that monitor. */
void mf_agent_monitor_closed(void *ctx, uint64_t client_id);
/* struct mf_log's sink while monitors stream. */
void mf_agent_monitor_sink(void *ctx, enum mf_log_level level, const char *when, const char *msg);

/* agent_reload.c */
/* Re-reads the flags and config files and applies what can change in
 * place (cmd/config/config_reload.h); SIGHUP and `meshfed reload`. Returns the
 * answer: {"ok":true,"applied":[...],"restart_required":[...]} or an error
 * (nothing changed then). */
json_t *mf_agent_reload(struct mf_agent *a);
/* Our serf tags (dc, role, user tags) encoded into meta (MF_META_MAX). */
int mf_agent_build_meta(const struct mf_agent_config *c, uint8_t *meta, size_t *len, char *err,
			size_t errcap);

/* agent_routing.c (reload) */
/* Re-applies routing policy and the configured gateways from a->cfg-> */
int mf_agent_routing_reload(struct mf_agent *a, bool policy, bool gateways, char *err,
			    size_t errcap);

/* agent_snapshot.c */
/* Reads, reports and compacts ap's snapshot file (when -snapshot is set)
 * and witnesses its clocks; -1 with err only when the file cannot be read
 * or written (its content never fails it). */
int mf_agent_snapshot_open(struct mf_agent_pool *ap, char *err, size_t errcap);
/* Records a membership event (m: the member, NULL if gone). */
void mf_agent_snapshot_event(struct mf_agent_pool *ap, const struct mf_pool_event *ev,
			     const struct mf_member *m);
/* Records our graceful leave, synced. */
void mf_agent_snapshot_leave(struct mf_agent_pool *ap);
/* The snapshot's alive members but us (pointers valid until the next event). */
size_t mf_agent_snapshot_rejoin_addrs(struct mf_agent_pool *ap, const char **addrs, size_t max);
json_t *mf_agent_snapshot_info(struct mf_agent_pool *ap);
/* At shutdown: the last flush, synced, and the timer closed. */
void mf_agent_snapshot_close(struct mf_agent *a);
void mf_agent_snapshot_free(struct mf_agent_pool *ap);

/* agent_metrics.c */
/* Prometheus text of every pool, routing and the route socket (cmd/daemon/metrics.h). */
int mf_agent_metrics_text(struct mf_agent *a, char **out, size_t *len);

#endif

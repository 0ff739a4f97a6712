/*
 * cmd/daemon/metrics.h — the agent's counters as Prometheus text exposition
 * (format 0.0.4), for `GET /metrics` (cmd/daemon/metrics_http.h) and `meshfed
 * metrics` (docs/metrics.md).
 *
 * Contract: pure. mf_metrics_render() turns a snapshot of the stats structs
 * the agent already keeps (the same ones `meshfed info` shows) into text; it
 * counts nothing itself, reads no clock and touches no socket. Names follow
 * Prometheus conventions: `meshfed_` prefix, `_total` on counters, base
 * units (bytes, seconds), one `pool` label per gossip pool.
 */
#ifndef MF_CMD_METRICS_H
#define MF_CMD_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "coord/tracker.h"
#include "gossip/pool.h"
#include "routing/node.h"
#include "routing/route_pub.h"

/* One gossip pool: members by status (index enum mf_member_status). */
struct mf_metrics_pool {
	const char *name;
	uint64_t members[MF_MEMBER_LEFT + 1];
	struct mf_pool_stats pool;
	struct mf_coord_tracker_stats coords;
	uint64_t coords_known;
	double coord_error; /* our own Vivaldi error estimate */
	uint64_t queue_membership, queue_user; /* broadcast queue depth */
	uint64_t intents_pruned; /* serf glue: queued intents dropped past serf's depth */
};

struct mf_metrics_routing {
	uint64_t version;       /* table version */
	uint64_t adverts_known; /* adverts of other DCs stored */
	struct mf_routing_node_stats node;
	uint64_t routes[MF_ROUTE_NO_GATEWAY + 1]; /* by enum mf_route_status */
};

/* The agent process itself: reloads and monitor streams. */
struct mf_metrics_agent {
	uint64_t reloads, reload_errors;
	uint64_t monitors, monitor_dropped;
};

struct mf_metrics_route_socket {
	uint64_t version;       /* last version published */
	uint64_t subscribers;
	uint64_t slowest_lag;   /* versions behind, of the slowest subscriber */
	struct mf_route_pub_stats pub;
};

struct mf_metrics {
	const struct mf_metrics_pool *pools;
	size_t n_pools;
	const struct mf_metrics_routing *routing;           /* NULL: no routing */
	const struct mf_metrics_route_socket *route_socket; /* NULL: none */
	const struct mf_metrics_agent *agent;               /* NULL: none */
	double uptime_s;
};

/* Helpers for renderers of other processes (cmd/gateway/metrics.c): the
 * # HELP and # TYPE lines of a family, and a label value escaped
 * (backslash, double quote, newline). */
void mf_metrics_family(FILE *f, const char *name, const char *type, const char *help);
void mf_metrics_label(FILE *f, const char *v);
/* A family of one unlabelled sample. */
void mf_metrics_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v);
/* One sample name{k1="v1",k2="v2"} v; k2 NULL: one label only. Values are
 * escaped. */
void mf_metrics_sample(FILE *f, const char *name, const char *k1, const char *v1, const char *k2,
		       const char *v2, uint64_t v);
/* A text built in memory: f = mf_metrics_open(out, len), samples written,
 * then mf_metrics_close(f, out): 0 with *out (NUL-terminated, free() it)
 * and *len, or MF_ENOMEM with *out NULL. mf_metrics_open: NULL when out of
 * memory. */
FILE *mf_metrics_open(char **out, size_t *len);
int mf_metrics_close(FILE *f, char **out);

/* The exposition text into *out (NUL-terminated, free() it), its length in
 * *len. 0 or MF_ENOMEM. */
int mf_metrics_render(const struct mf_metrics *m, char **out, size_t *len);

#endif

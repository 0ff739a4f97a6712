/*
 * routing/route_pub.h — the agent side of the route socket
 * (docs/route-socket.md): which line goes to which subscriber, and when.
 *
 * Contract: pure. It never reads the clock (every call takes `now`), never
 * touches a socket and never logs: lines leave through hooks.send, closes
 * through hooks.close, the healthy registered gateways through
 * hooks.gateways. The shell (cmd/agent/route_socket.c) owns the connections, reads
 * and bounds lines, writes what it is handed and calls mf_route_pub_tick
 * about once a second. Encoding and decoding are routing/route_proto.h's.
 *
 * It owns the published tables. A table never changes once published;
 * tables are shared by reference count: the current one, the last
 * MF_ROUTE_PUB_KEEP (the bases a reconnecting subscriber may resume from),
 * and each subscriber's applied and in-flight ones. Each table is rendered
 * to JSON once, and encoded lines are cached on the table they lead to (one
 * snapshot line, one delta line per base), so 1,000 subscribers on the same
 * version cost one encoding.
 *
 * Per subscriber:
 *  - connect: hello, then a snapshot of the current table (if any);
 *  - at most ONE update (snapshot or delta) in flight. A new table goes at
 *    once to every subscriber with nothing in flight, as the delta from the
 *    version it applied (a snapshot if it has none or asked deltas:false);
 *    one with an update in flight gets nothing now, and on its ack the delta
 *    from what it acked to the table current then: changes made meanwhile
 *    are merged (latest wins), so a slow gateway gets fewer, larger updates,
 *    never a queue;
 *  - nack: a snapshot. resume (same epoch, a version still held): the delta
 *    from it, nothing if it is current; anything else a snapshot;
 *  - heartbeat {"type":"heartbeat","version":V} after MF_ROUTE_PUB_HEARTBEAT
 *    of silence;
 *  - closed when its update has waited MF_ROUTE_PUB_ACK_TIMEOUT for an ack
 *    while a newer version (or a snapshot it needs) waits behind it, after
 *    more than MF_ROUTE_PUB_MAX_MALFORMED malformed lines in a row (each is
 *    answered with an error), after an over-long line, or when hooks.send
 *    refuses a line;
 *  - register: the gateway is kept (answered "registered", or an error
 *    naming the bad field); it is healthy while its connection is open and
 *    its last health (or the register itself) was ok and less than
 *    MF_ROUTE_PUB_HEALTH_TIMEOUT ago. When the set of healthy gateways
 *    changes, hooks.gateways gets the new set.
 *
 * Hooks run inside the mf_route_pub_* calls and must not call back into
 * the publisher.
 */
#ifndef MF_ROUTING_ROUTE_PUB_H
#define MF_ROUTING_ROUTE_PUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gossip/pool.h"
#include "routing/advert.h"
#include "routing/table.h"

#define MF_ROUTE_PUB_KEEP 16                     /* recent tables held for resume */
#define MF_ROUTE_PUB_HEARTBEAT (5 * MF_SEC)      /* silence before a heartbeat */
#define MF_ROUTE_PUB_ACK_TIMEOUT (30 * MF_SEC)   /* unacked update while another waits */
#define MF_ROUTE_PUB_HEALTH_TIMEOUT (15 * MF_SEC) /* a gateway's health must be newer */
#define MF_ROUTE_PUB_MAX_MALFORMED 10            /* malformed lines in a row tolerated */

struct mf_route_pub_hooks {
	void *ctx;
	/* One line (with its '\n') for subscriber `sub`; the bytes are only
	 * valid during the call. A negative return (MF_ETOOBIG: its output is
	 * not drained) closes the subscriber. */
	int (*send)(void *ctx, uint64_t sub, const char *line, size_t len);
	/* The publisher dropped `sub` (already forgotten): close the connection
	 * once what was sent to it is flushed. reason: one line, for the log. */
	void (*close)(void *ctx, uint64_t sub, const char *reason);
	/* The healthy registered gateways (sorted by name) changed; the array
	 * is only valid during the call. May be NULL. */
	void (*gateways)(void *ctx, const struct mf_gateway *g, size_t n);
};

struct mf_route_pub_config {
	const char *datacenter; /* for hello (copied) */
	const char *node;       /* for hello (copied) */
	uint64_t epoch;         /* random per agent start, < 2^63 */
	struct mf_route_pub_hooks hooks;
};

struct mf_route_pub_stats {
	uint64_t connects, disconnects;
	uint64_t updates, snapshots, deltas, heartbeats; /* updates = snapshots + deltas */
	uint64_t bytes;           /* every line sent */
	uint64_t acks, nacks, resumes;
	uint64_t malformed;       /* lines answered with an error (incl. oversize) */
	uint64_t oversize;        /* lines longer than MF_RP_MAX_LINE */
	uint64_t closed_slow;     /* ack timeout or output not drained */
	uint64_t closed_garbage;  /* too many malformed lines, or an oversize one */
	uint64_t registrations;
};

/* What `meshfed info` shows of one subscriber. Strings point into the
 * publisher; valid until its next call. */
struct mf_route_pub_sub_info {
	uint64_t id;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool has_applied;
	uint64_t applied;         /* version last acknowledged */
	bool has_inflight;
	uint64_t inflight;        /* version sent and not yet acknowledged */
	bool deltas;
	uint64_t malformed;
	const char *gateway;      /* registered gateway's name, or NULL */
	bool healthy;
};

struct mf_route_pub;

int mf_route_pub_new(const struct mf_route_pub_config *c, struct mf_route_pub **out);
void mf_route_pub_free(struct mf_route_pub *p);

/* A new table. Takes ownership of *t (zeroed on return, also on error).
 * A version not above the current one is dropped (returns 0). */
int mf_route_pub_publish(struct mf_route_pub *p, struct mf_table *t, mf_time_t now);

/* A subscriber connected (id: unique, chosen by the shell; pid/uid/gid its
 * peer credentials). Sends hello and a snapshot. */
int mf_route_pub_connect(struct mf_route_pub *p, uint64_t id, pid_t pid, uid_t uid, gid_t gid,
			 mf_time_t now);
/* Its connection is gone (EOF, error): forgotten without hooks.close.
 * MF_ENOTFOUND for an id not (or no longer) known. */
int mf_route_pub_disconnect(struct mf_route_pub *p, uint64_t id, mf_time_t now);
/* One line from it (without its '\n'). */
int mf_route_pub_line(struct mf_route_pub *p, uint64_t id, const char *line, size_t len,
		      mf_time_t now);
/* It sent more than MF_RP_MAX_LINE bytes without a newline: answered with
 * an error, counted, closed. */
int mf_route_pub_oversize(struct mf_route_pub *p, uint64_t id, mf_time_t now);
/* Heartbeats, ack timeouts, health expiry. */
int mf_route_pub_tick(struct mf_route_pub *p, mf_time_t now);

/* --- reading ---------------------------------------------------------------*/

const struct mf_route_pub_stats *mf_route_pub_stats(const struct mf_route_pub *p);
uint64_t mf_route_pub_epoch(const struct mf_route_pub *p);
/* 0 before the first table. */
uint64_t mf_route_pub_version(const struct mf_route_pub *p);
size_t mf_route_pub_count(const struct mf_route_pub *p);
/* Subscriber i in [0, count), in connection order. MF_ENOTFOUND beyond. */
int mf_route_pub_sub_at(const struct mf_route_pub *p, size_t i, struct mf_route_pub_sub_info *out);
/* The largest (current version - applied version) over subscribers (the
 * current version when one applied nothing); *id (may be NULL) is that
 * subscriber's. 0 and id 0 when there is none. */
uint64_t mf_route_pub_max_lag(const struct mf_route_pub *p, uint64_t *id);
/* Tables held (current, recent and subscribers' bases), for tests. */
size_t mf_route_pub_tables_held(const struct mf_route_pub *p);

#endif

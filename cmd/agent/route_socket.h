/*
 * cmd/agent/route_socket.h — the agent's route socket (docs/route-socket.md): the
 * libuv shell around the publisher core, routing/route_pub.h.
 *
 * A Unix stream socket, mode 0660 in the configured group, so gateways
 * running as other users subscribe without the control socket (0600). It
 * owns the listener and the connections; the core decides every line.
 *
 * Contract: never blocks or stalls the agent's loop. Each subscriber's
 * lines are read into a buffer grown on demand up to MF_RP_MAX_LINE + 1
 * bytes (a longer line is answered with an error, counted and the
 * connection closed); its output is written without copying when the
 * kernel takes it, else copied and queued, and a subscriber with more than
 * MF_ROUTE_SOCKET_MAX_PENDING bytes unflushed is closed with a logged
 * reason (the core keeps at most one update in flight per subscriber, so
 * only a peer that stopped reading gets there). A closed subscriber's last
 * lines get MF_ROUTE_SOCKET_LINGER_MS to drain. A timer every
 * MF_ROUTE_SOCKET_TICK_MS drives the core's heartbeats and timeouts while
 * there are subscribers (none: no wakeups). Peer
 * credentials (SO_PEERCRED) are logged for each subscriber. It knows
 * nothing of routing: tables come in through mf_route_socket_publish, the
 * healthy registered gateways go out through the config's hook.
 */
#ifndef MF_CMD_ROUTE_SOCKET_H
#define MF_CMD_ROUTE_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "cmd/daemon/log.h"
#include "routing/advert.h"
#include "routing/table.h"

#define MF_ROUTE_SOCKET_MAX_PENDING ((size_t)4 * 1024 * 1024) /* unflushed bytes */
#define MF_ROUTE_SOCKET_MAX_CLIENTS 65536
#define MF_ROUTE_SOCKET_TICK_MS 1000
#define MF_ROUTE_SOCKET_LINGER_MS 2000
#define MF_ROUTE_SOCKET_BACKLOG 1024

struct mf_route_socket_config {
	const char *path;
	gid_t gid;              /* (gid_t)-1: the agent's group */
	const char *datacenter; /* for hello */
	const char *node;
	uint64_t epoch;         /* random per start, < 2^63 */
	const struct mf_log *log;
	/* The healthy registered gateways changed (array valid during the
	 * call only). */
	void (*gateways)(void *ctx, const struct mf_gateway *g, size_t n);
	void *ctx;
};

struct mf_route_socket;

/* Binds and listens (stale-socket rules of cmd/daemon/unix_listen.h). Errors: one
 * line in err. */
int mf_route_socket_new(uv_loop_t *loop, const struct mf_route_socket_config *c,
			struct mf_route_socket **out, char *err, size_t errcap);
/* Publishes a new table version (takes ownership of *t). */
int mf_route_socket_publish(struct mf_route_socket *rs, struct mf_table *t);
/* Path, counters, subscribers, slowest lag: `meshfed info` -> route_socket. */
json_t *mf_route_socket_info_json(const struct mf_route_socket *rs);
/* The publisher core, read-only (for its stats: cmd/agent/agent_metrics.c). */
const struct mf_route_pub *mf_route_socket_pub(const struct mf_route_socket *rs);
/* Closes the listener and every subscriber and unlinks the socket file;
 * the server frees itself once the loop has closed its handles. */
void mf_route_socket_close(struct mf_route_socket *rs);

/* "" -> (gid_t)-1; a number -> that gid; else a group name looked up in
 * /etc/group (fgetgrent: no NSS in a static binary). MF_ENOTFOUND when
 * there is no such group. */
int mf_route_socket_parse_group(const char *s, gid_t *gid);

#endif

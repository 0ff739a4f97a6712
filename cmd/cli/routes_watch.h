/*
 * cmd/cli/routes_watch.h — `meshfed routes -watch`: a route socket subscriber
 * (docs/route-socket.md) for people and scripts.
 *
 * Contract: connects to the agent's route socket, applies the hello, the
 * snapshot and every delta with routing/route_proto.h's subscriber state
 * (mf_rp_client_apply), acknowledges each as the protocol asks, and prints
 * every table version it applied to stdout: in JSON one compact table object
 * per line (the object `meshfed routes -format json` prints), as a table a
 * header line naming the version and the table redrawn. Plain blocking
 * socket I/O: a short-lived CLI process, never the agent. Runs until
 * interrupted or until the agent goes away; never reconnects.
 */
#ifndef MF_CMD_ROUTES_WATCH_H
#define MF_CMD_ROUTES_WATCH_H

#include "routing/table_format.h"

/* Without a version or heartbeat for this long the agent is taken as gone
 * (it sends a heartbeat every 5 s when idle). */
#define MF_WATCH_SILENCE_MS 20000

/* Runs the watch on the socket at `path` printing `fmt` (MF_TABLE_TEXT or
 * MF_TABLE_JSON). Returns the exit code: 1, with one line on stderr, when
 * it cannot connect, when the agent closes the socket or falls silent, or
 * on a write error; it does not return while the agent is up. */
int mf_routes_watch(const char *path, enum mf_table_format fmt);

#endif

/*
 * cmd/daemon/control.h — the agent's control socket server (docs/control-protocol.md).
 *
 * A Unix stream socket (mode 0600): each request is one JSON object on one
 * line, each response one JSON object on one line, in order.
 *
 * Contract: never stalls the agent. Everything is non-blocking on the
 * agent's loop; a request line is at most MF_CONTROL_MAX_LINE bytes; a
 * client's pipelined requests are handled MF_CONTROL_BATCH at a time, the
 * rest after the loop's other work; its further requests are not read while more than
 * MF_CONTROL_PAUSE_PENDING bytes of its responses are unread (so a client
 * that pipelines requests but never reads costs bounded work); a client
 * with more than MF_CONTROL_MAX_PENDING bytes of unread responses or idle
 * for MF_CONTROL_IDLE is dropped, at most MF_CONTROL_MAX_CLIENTS are
 * served at once; a client connecting when all are taken takes the place of
 * the one idle longest (none with a request in progress or an answer
 * unsent), so idle connections can never lock the CLI out. The server knows nothing of pools: it hands parsed
 * requests to its handler.
 */
#ifndef MF_CMD_CONTROL_H
#define MF_CMD_CONTROL_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "gossip/err.h"
#include "cmd/daemon/control_line.h" /* MF_CONTROL_MAX_LINE, mf_control_error */

#define MF_CONTROL_MAX_PENDING ((size_t)64 * 1024 * 1024)
#define MF_CONTROL_PAUSE_PENDING ((size_t)256 * 1024)
#define MF_CONTROL_MAX_CLIENTS 64
#define MF_CONTROL_BATCH 32 /* pipelined requests of one client per loop turn */
#define MF_CONTROL_IDLE_MS (300 * 1000)

struct mf_control;

struct mf_control_stats {
	size_t clients;   /* connected now */
	uint64_t evicted; /* idle clients dropped to make room for a new one */
};

struct mf_control_handler {
	void *ctx;
	/* A request (a JSON object) from client `client_id`. Return the response
	 * (consumed) to answer at once, or NULL to answer later with
	 * mf_control_respond(); the client sends nothing more meanwhile. */
	json_t *(*on_request)(void *ctx, uint64_t client_id, const json_t *req);
	/* Optional: a client that was streaming (mf_control_stream) is gone. */
	void (*on_stream_closed)(void *ctx, uint64_t client_id);
};

/* Binds and listens on `path`. A stale socket file is replaced; a live one
 * (another agent answers) or a non-socket file is an error, as is a path
 * longer than sun_path. Errors: one line in err. */
int mf_control_new(uv_loop_t *loop, const char *path, const struct mf_control_handler *h,
		   struct mf_control **out, char *err, size_t errcap);
/* Answers a deferred request; dropped if the client is gone. Consumes resp. */
void mf_control_respond(struct mf_control *c, uint64_t client_id, json_t *resp);
/* Streams a line (its newline included) to client_id without ending its
 * request: the answer to `monitor`, whose handler sends the first line and
 * returns NULL (the request then never ends). Returns 0; MF_ETOOBIG when more than max_pending
 * bytes are unread (the line is dropped, the client kept: a slow reader
 * loses lines, it never stalls the agent); MF_ENOTFOUND when the client is
 * gone. From its first line on, the client's hang-up closes it at once;
 * what it sends is ignored. */
int mf_control_stream(struct mf_control *c, uint64_t client_id, const char *line, size_t len,
		      size_t max_pending);

/* Closes the listener and every client, unlinks the socket file; `done`
 * runs when all handles are closed and the server is freed. */
void mf_control_close(struct mf_control *c, void (*done)(void *ctx), void *ctx);

void mf_control_get_stats(const struct mf_control *s, struct mf_control_stats *st);

#endif

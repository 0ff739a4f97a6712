/*
 * cmd/daemon/metrics_http.h — `-metrics-addr`: a GET-only HTTP/1.x responder on the
 * agent's libuv loop that serves `GET /metrics` (docs/metrics.md).
 *
 * Contract: never stalls the agent. Non-blocking on the agent's loop; a
 * request head is at most MF_METRICS_HTTP_MAX_HEAD bytes; one request per
 * connection (Connection: close); at most MF_METRICS_HTTP_MAX_CLIENTS at
 * once (more are closed at accept); a client that sends no full head within
 * MF_METRICS_HTTP_TIMEOUT_MS is dropped. Only GET and HEAD of /metrics
 * (query string ignored) get 200; other paths 404, other methods 405,
 * garbage 400, a head too long 431. It knows nothing of the agent: the
 * body comes from `render`.
 */
#ifndef MF_CMD_METRICS_HTTP_H
#define MF_CMD_METRICS_HTTP_H

#include <stddef.h>

#include <uv.h>

#include "gossip/pool.h"

#define MF_METRICS_HTTP_MAX_HEAD 8192
#define MF_METRICS_HTTP_MAX_CLIENTS 16
#define MF_METRICS_HTTP_TIMEOUT_MS 10000

struct mf_metrics_http;

/* Fills *out (malloc'd, the callee frees it) and *len: 0 or an error. */
typedef int (*mf_metrics_http_render_fn)(void *ctx, char **out, size_t *len);

/* Binds and listens on addr. Errors: one line in err. */
int mf_metrics_http_new(uv_loop_t *loop, const struct mf_addr *addr,
			mf_metrics_http_render_fn render, void *ctx, struct mf_metrics_http **out,
			char *err, size_t errcap);
/* Closes the listener and every client; frees itself once all are closed. */
void mf_metrics_http_close(struct mf_metrics_http *h);

#endif

/*
 * cmd/cli/control_client.h — the CLI side of the control socket
 * (docs/control-protocol.md): connect, send one JSON request line, read one
 * JSON response line, with a deadline. Blocking: only the short-lived CLI
 * subcommands use it, never the agent.
 */
#ifndef MF_CMD_CONTROL_CLIENT_H
#define MF_CMD_CONTROL_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#define MF_CTL_TIMEOUT_MS 120000 /* joins wait for the pool's tcp_timeout */

/* Sends `req` (not consumed) and returns the response object in *resp (the
 * caller json_decref()s it) when it says "ok": true. Otherwise returns
 * negative with one line in err: the connection problem or the agent's
 * "error" text. */
int mf_ctl_call(const char *path, const json_t *req, int timeout_ms, json_t **resp, char *err,
		size_t errcap);
/* The same for a request the agent answers in several lines (a streamed
 * query): every line before the answer (the one with "ok") goes to
 * on_line, as it comes; timeout_ms bounds the whole call. */
int mf_ctl_call_lines(const char *path, const json_t *req, int timeout_ms,
		      void (*on_line)(void *ctx, const json_t *line), void *ctx, json_t **resp, char *err,
		      size_t errcap);

/* A connected blocking AF_UNIX stream socket (close-on-exec) to `path`
 * whose sends, receives and connect give up after timeout_ms without
 * progress (0: no limit); MF_ETOOBIG for a path longer than sun_path, else
 * -errno of what failed. Callers word their own errors. */
int mf_unix_connect(const char *path, int timeout_ms);

/* A connected blocking AF_UNIX stream socket (close-on-exec) to `path`, or
 * -1 with one line in err; `flag` names the flag that sets the path
 * ("control"), for the hint when there is no socket. */
int mf_ctl_connect(const char *path, const char *flag, char *err, size_t errcap);

#endif

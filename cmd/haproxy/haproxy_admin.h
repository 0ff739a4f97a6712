/*
 * cmd/haproxy/haproxy_admin.h — one command on HAProxy's admin socket (the runtime
 * API, HAProxy 2.6 doc/management.txt section 9.3).
 *
 * Contract: blocking, each step (connect, send, every read) bounded by a
 * timeout; one connection per command in
 * HAProxy's non-interactive mode (send "<command>\n", read until HAProxy
 * closes). `meshfed haproxy` has nothing else to do while HAProxy answers:
 * the agent merges route changes made meanwhile (the route socket's
 * backpressure), so a blocking call costs nothing and keeps each answer
 * unambiguous.
 */
#ifndef MF_CMD_HAPROXY_ADMIN_H
#define MF_CMD_HAPROXY_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#define MF_HAP_ADMIN_TIMEOUT_MS 2000
#define MF_HAP_ADMIN_MAX_ANSWER ((size_t)64 * 1024 * 1024)

/* Sends cmd (no '\n' in it) and returns HAProxy's whole answer in *out
 * (malloc'd, NUL-terminated, *len bytes). MF_EIO with one line in err when
 * the socket cannot be reached, HAProxy makes no progress for timeout_ms,
 * or the answer is too large. */
int mf_hap_admin_call(const char *path, const char *cmd, int timeout_ms, char **out, size_t *len,
		      char *err, size_t errcap);

/* Whether an answer to a command that changes state (set/add/del map,
 * set/enable/disable server) means it was done. */
bool mf_hap_admin_ok(const char *cmd, const char *answer);

#endif

/*
 * cmd/daemon/metrics_http_head.h — how the /metrics responder (cmd/daemon/metrics_http.c)
 * reads an HTTP request head: when it is complete, and what it asks for.
 *
 * Contract: pure string functions over a NUL-terminated head (the bytes
 * read so far, at most MF_METRICS_HTTP_MAX_HEAD - 1); no I/O, no
 * allocation. Bytes after a NUL are not looked at. The fuzz target
 * tests/fuzz/fuzz_metrics_http.c runs this same code.
 */
#ifndef MF_CMD_METRICS_HTTP_HEAD_H
#define MF_CMD_METRICS_HTTP_HEAD_H

#include <stdbool.h>

/* true when the head ends (a blank line: CRLF CRLF, or LF LF). */
bool mf_metrics_http_head_complete(const char *head);

/* The status a complete head gets from the request line (method SP target
 * SP HTTP/1.x): 200 for GET or HEAD of /metrics (a query string ignored;
 * *head_only set for HEAD), 405 another method, 404 another path, 400 a
 * line of another form. Cuts head at the end of its request line. */
int mf_metrics_http_route(char *head, bool *head_only);

#endif

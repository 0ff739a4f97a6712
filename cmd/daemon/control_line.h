/*
 * cmd/daemon/control_line.h — the control protocol's request framing
 * (docs/control-protocol.md, "Framing"): one JSON object per '\n'-terminated
 * line, taken from the front of a client's read buffer.
 *
 * Contract: pure. No I/O, no clock, no globals; it only parses and moves
 * bytes in the buffer it is handed. The server (cmd/daemon/control.c) owns the
 * buffer (MF_CONTROL_MAX_LINE + 1 bytes), the reads and the over-long-line
 * rule; the fuzz target tests/fuzz/fuzz_control.c runs this same code.
 */
#ifndef MF_CMD_CONTROL_LINE_H
#define MF_CMD_CONTROL_LINE_H

#include <stddef.h>

#include <jansson.h>

#define MF_CONTROL_MAX_LINE (64 * 1024)

/* Takes the first complete line of buf[0..*len) off the front (the rest
 * moves to buf[0], *len shrinks). Returns 0 when there is none (wait for
 * more bytes), 1 when a line was taken: then *req is the request (a JSON
 * object, the caller's reference) and *resp NULL, or *req NULL and *resp
 * the error answer to send ("request is not a JSON object: ..."). The
 * line is parsed as a C string: bytes after a NUL in it are ignored. */
int mf_control_line_take(char *buf, size_t *len, json_t **req, json_t **resp);

/* {"ok":false,"error":msg} (msg cut at 511 bytes); NULL when out of memory. */
json_t *mf_control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

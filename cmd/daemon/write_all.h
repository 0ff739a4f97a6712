/*
 * cmd/daemon/write_all.h — all of a buffer to a blocking descriptor: the
 * agent's snapshot file, and the subcommands' sockets (routes -watch,
 * monitor).
 *
 * Contract: blocking I/O on the caller's descriptor, nothing else; never
 * closes it.
 */
#ifndef MF_CMD_WRITE_ALL_H
#define MF_CMD_WRITE_ALL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes n bytes of p to fd (a socket: send(2) without SIGPIPE; else
 * write(2)), again after EINTR. Returns 0, or -errno of the failed call. */
int mf_write_all(int fd, const void *p, size_t n, bool socket);

#endif

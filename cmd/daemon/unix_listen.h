/*
 * cmd/daemon/unix_listen.h — a listening Unix stream socket for the agent's
 * servers (the control socket, cmd/daemon/control.h; the route socket,
 * cmd/agent/route_socket.h), with one set of rules for the socket file.
 *
 * Contract: the path is 1 to sizeof(sun_path) - 1 bytes; a socket file
 * left by a dead process is replaced; a live one (something accepts on it)
 * or a file that is not a socket is an error. The file never exists with
 * wider permissions than asked: it is bound under umask 0177 (0600), then
 * chown'd to the group (if given), then chmod'd to `mode`. It is bound and
 * listening under a temporary name (path.PID~) and only then linked to
 * `path`, so a client that sees the file can connect. It never closes
 * the handle: on error the caller closes it.
 */
#ifndef MF_CMD_UNIX_LISTEN_H
#define MF_CMD_UNIX_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

/* Binds and listens on `pipe` (uv_pipe_init'ed on the loop). gid
 * (gid_t)-1 keeps the process's group. `what` names the socket in the
 * one-line error ("control socket /tmp/x.sock: another agent is listening
 * on it"). Returns 0 or -1 with err set. */
int mf_unix_listen(uv_pipe_t *pipe, const char *path, mode_t mode, gid_t gid, int backlog,
		   uv_connection_cb on_connection, const char *what, char *err, size_t errcap);

#endif

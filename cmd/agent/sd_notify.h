/*
 * cmd/agent/sd_notify.h — systemd's readiness protocol (sd_notify(3)) without
 * libsystemd: one datagram to the Unix socket named by $NOTIFY_SOCKET.
 *
 * Contract: a no-op (0) when $NOTIFY_SOCKET is unset, so the agent runs the
 * same outside systemd. A path starting with '@' is in the abstract
 * namespace. Never blocks (a non-blocking datagram); owns no state.
 */
#ifndef MF_CMD_SD_NOTIFY_H
#define MF_CMD_SD_NOTIFY_H

/* Sends `state` ("READY=1", "STOPPING=1\nSTATUS=...") to $NOTIFY_SOCKET.
 * 0 (also when unset), MF_EINVAL for a bad socket name, MF_EIO when the
 * send fails. */
int mf_sd_notify(const char *state);

#endif

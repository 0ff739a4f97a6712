/*
 * cmd/daemon/log.h — the agent's log: timestamped lines on stderr, filtered by level,
 *   2026-11-26T12:41:02.123Z [INFO] member joined: n1 127.0.0.1:7946
 * or with -log-format json one JSON object a line (hclog's keys, as Consul's
 * -log-json):
 *   {"@timestamp":"2026-11-26T12:41:02.123Z","@level":"info","@message":"..."}
 * and an optional second destination (the `meshfed monitor` streams,
 * cmd/agent/agent_monitor.c) with a level of its own.
 *
 * Contract: a value passed explicitly (no global logger). The sink is
 * called on the caller's thread and must not log.
 */
#ifndef MF_CMD_LOG_H
#define MF_CMD_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "cmd/config/config.h"

#define MF_LOG_LINE_MAX 1024 /* bytes of a message; longer ones are cut */

struct mf_log {
	FILE *out;
	enum mf_log_level level;
	bool json;
	/* Gets every line at sink_level or above (whatever `level` is): when is
	 * the timestamp, msg the message without level or newline. */
	void (*sink)(void *ctx, enum mf_log_level level, const char *when, const char *msg);
	void *sink_ctx;
	enum mf_log_level sink_level;
};

void mf_log_init(struct mf_log *l, FILE *out, enum mf_log_level level);
void mf_log_printf(const struct mf_log *l, enum mf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line, newline included, as text or JSON, into buf (cut to cap).
 * Returns its length. */
size_t mf_log_format(char *buf, size_t cap, bool json, const char *when, enum mf_log_level level,
		     const char *msg);

/* "debug", "info", "warn", "error". */
const char *mf_log_level_name(enum mf_log_level level);

#define mf_log_debug(l, ...) mf_log_printf((l), MF_LOG_DEBUG, __VA_ARGS__)
#define mf_log_info(l, ...) mf_log_printf((l), MF_LOG_INFO, __VA_ARGS__)
#define mf_log_warn(l, ...) mf_log_printf((l), MF_LOG_WARN, __VA_ARGS__)
#define mf_log_error(l, ...) mf_log_printf((l), MF_LOG_ERROR, __VA_ARGS__)

#endif

/*
 * cmd/log.h — the agent's log: timestamped lines on stderr, filtered by level.
 *   2026-11-26T12:41:02.123Z [INFO] member joined: n1 127.0.0.1:7946
 * Contract: a value passed explicitly (no global logger).
 */
#ifndef MF_CMD_LOG_H
#define MF_CMD_LOG_H

#include <stdio.h>

#include "cmd/config.h"

struct mf_log {
	FILE *out;
	enum mf_log_level level;
};

void mf_log_init(struct mf_log *l, FILE *out, enum mf_log_level level);
void mf_log_printf(const struct mf_log *l, enum mf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define mf_log_debug(l, ...) mf_log_printf((l), MF_LOG_DEBUG, __VA_ARGS__)
#define mf_log_info(l, ...) mf_log_printf((l), MF_LOG_INFO, __VA_ARGS__)
#define mf_log_warn(l, ...) mf_log_printf((l), MF_LOG_WARN, __VA_ARGS__)
#define mf_log_error(l, ...) mf_log_printf((l), MF_LOG_ERROR, __VA_ARGS__)

#endif

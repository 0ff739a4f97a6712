/*
 * cmd/agent/agent_monitor.c — `meshfed monitor`: the agent's log lines streamed
 * to control clients (serf/consul `monitor`), each at its own level and
 * format, through the log's sink (cmd/daemon/log.h).
 *
 * Never stalls the agent: a line goes to a monitor only while fewer than
 * MF_MONITOR_MAX_PENDING bytes of its stream are unread; otherwise it is
 * dropped and counted (per monitor, and in monitor_dropped for `info` and
 * the metrics), and the monitor is told how many it missed once it reads
 * again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/agent_internal.h"

static void resink(struct mf_agent *a)
{
	enum mf_log_level lv = MF_LOG_ERROR;
	for (size_t i = 0; i < a->n_monitors; i++)
		if (a->monitors[i].level < lv)
			lv = a->monitors[i].level;
	a->log.sink_level = lv;
	a->log.sink = a->n_monitors ? mf_agent_monitor_sink : NULL;
	a->log.sink_ctx = a;
}

static void drop_monitor(struct mf_agent *a, size_t i)
{
	a->monitors[i] = a->monitors[--a->n_monitors];
}

/* Sends one line to monitor i; false when it is gone. */
static bool send_line(struct mf_agent *a, size_t i, enum mf_log_level level, const char *when,
		      const char *msg)
{
	struct mf_agent_monitor *m = &a->monitors[i];
	char line[MF_LOG_LINE_MAX * 2];
	if (m->missed) {
		char note[96];
		snprintf(note, sizeof(note), "monitor: %llu log lines dropped (slow reader)",
			 (unsigned long long)m->missed);
		size_t n = mf_log_format(line, sizeof(line), m->json, when, MF_LOG_WARN, note);
		int r = mf_control_stream(a->ctl, m->client, line, n, MF_MONITOR_MAX_PENDING);
		if (r == MF_ENOTFOUND)
			return false;
		if (r == 0)
			m->missed = 0;
	}
	size_t n = mf_log_format(line, sizeof(line), m->json, when, level, msg);
	int r = m->missed ? MF_ETOOBIG
			  : mf_control_stream(a->ctl, m->client, line, n, MF_MONITOR_MAX_PENDING);
	if (r == MF_ENOTFOUND)
		return false;
	if (r < 0) {
		m->missed++;
		m->dropped++;
		a->monitor_dropped++;
	}
	return true;
}

void mf_agent_monitor_sink(void *ctx, enum mf_log_level level, const char *when, const char *msg)
{
	struct mf_agent *a = ctx;
	if (!a->ctl)
		return;
	size_t before = a->n_monitors;
	a->monitor_sending = true;
	for (size_t i = 0; i < a->n_monitors;) {
		if (level < a->monitors[i].level) {
			i++;
			continue;
		}
		if (send_line(a, i, level, when, msg))
			i++;
		else
			drop_monitor(a, i);
	}
	a->monitor_sending = false;
	if (a->n_monitors != before)
		resink(a);
}

void mf_agent_monitor_closed(void *ctx, uint64_t client_id)
{
	struct mf_agent *a = ctx;
	if (a->monitor_sending)
		return; /* the sink's loop sees MF_ENOTFOUND and drops it */
	for (size_t i = 0; i < a->n_monitors; i++) {
		if (a->monitors[i].client == client_id) {
			drop_monitor(a, i);
			resink(a);
			return;
		}
	}
}

json_t *mf_agent_monitor_start(struct mf_agent *a, uint64_t client_id, const json_t *req)
{
	const char *lv = json_string_value(json_object_get(req, "log_level"));
	const char *fmt = json_string_value(json_object_get(req, "log_format"));
	enum mf_log_level level = MF_LOG_INFO;
	if (lv && mf_log_level_parse(lv, &level) < 0)
		return mf_control_error("\"%s\" is not a level (debug, info, warn, error)", lv);
	if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0)
		return mf_control_error("\"%s\" is not a log format (text or json)", fmt);
	if (a->n_monitors == MF_AGENT_MAX_MONITORS)
		return mf_control_error("%d monitors are streaming already", MF_AGENT_MAX_MONITORS);
	struct mf_agent_monitor *m = &a->monitors[a->n_monitors++];
	*m = (struct mf_agent_monitor){client_id, level, fmt && fmt[0] == 'j', 0, 0};
	resink(a);
	json_t *ack = json_pack("{s:b,s:s,s:s}", "ok", 1, "log_level", mf_log_level_name(level),
				"log_format", m->json ? "json" : "text");
	char *s = ack ? json_dumps(ack, JSON_COMPACT) : NULL;
	json_decref(ack);
	a->monitor_sending = true; /* a failed write closes: we drop it below */
	int r = s ? mf_control_stream(a->ctl, client_id, s, strlen(s), SIZE_MAX) : MF_ENOMEM;
	if (r == 0)
		r = mf_control_stream(a->ctl, client_id, "\n", 1, SIZE_MAX);
	a->monitor_sending = false;
	free(s);
	if (r < 0) {
		a->n_monitors--;
		resink(a);
		return mf_control_error("cannot start the stream: %s", mf_strerror(r));
	}
	mf_log_info(&a->log, "monitor: client %llu streaming at level %s",
		    (unsigned long long)client_id, mf_log_level_name(level));
	return NULL;
}

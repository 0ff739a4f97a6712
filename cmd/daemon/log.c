/* cmd/daemon/log.c — see cmd/daemon/log.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd/daemon/log.h"

void mf_log_init(struct mf_log *l, FILE *out, enum mf_log_level level)
{
	memset(l, 0, sizeof(*l));
	l->out = out;
	l->level = level;
	l->sink_level = MF_LOG_ERROR;
}

const char *mf_log_level_name(enum mf_log_level level)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	return level <= MF_LOG_ERROR ? names[level] : "?";
}

size_t mf_log_format(char *buf, size_t cap, bool json, const char *when, enum mf_log_level level,
		     const char *msg)
{
	static const char *upper[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	int n = -1;
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "@timestamp", when, "@level",
				      mf_log_level_name(level), "@message", msg);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s)
			n = snprintf(buf, cap, "%s\n", s);
		free(s);
	}
	if (n < 0)
		n = snprintf(buf, cap, "%s [%s] %s\n", when, upper[level <= MF_LOG_ERROR ? level : 0],
			     msg);
	if (n < 0 || cap < 2)
		return 0;
	if ((size_t)n >= cap) { /* cut: keep the newline */
		buf[cap - 2] = '\n';
		buf[cap - 1] = '\0';
		n = (int)cap - 1;
	}
	return (size_t)n;
}

void mf_log_printf(const struct mf_log *l, enum mf_log_level level, const char *fmt, ...)
{
	bool to_out = level >= l->level, to_sink = l->sink && level >= l->sink_level;
	if (!to_out && !to_sink)
		return;
	struct timespec ts;
	struct tm tm;
	char when[64], date[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof(when), "%.32s.%03dZ", date, (int)(ts.tv_nsec / 1000000) % 1000);
	char msg[MF_LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_out) {
		char line[MF_LOG_LINE_MAX * 2];
		size_t n = mf_log_format(line, sizeof(line), l->json, when, level, msg);
		/* One write per line so lines from concurrent agents never interleave. */
		fwrite(line, 1, n, l->out);
		fflush(l->out);
	}
	if (to_sink)
		l->sink(l->sink_ctx, level, when, msg);
}

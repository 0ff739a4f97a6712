/* cmd/log.c — see cmd/log.h. */
#include <stdarg.h>
#include <time.h>

#include "cmd/log.h"

void mf_log_init(struct mf_log *l, FILE *out, enum mf_log_level level)
{
	l->out = out;
	l->level = level;
}

void mf_log_printf(const struct mf_log *l, enum mf_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	if (level < l->level)
		return;
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from concurrent agents never interleave. */
	fprintf(l->out, "%s.%03ldZ [%s] %s\n", when, ts.tv_nsec / 1000000, names[level], line);
	fflush(l->out);
}

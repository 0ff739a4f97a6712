/* cmd/daemon/control_line.c — see cmd/daemon/control_line.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/daemon/control_line.h"

json_t *mf_control_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

int mf_control_line_take(char *buf, size_t *len, json_t **req, json_t **resp)
{
	*req = *resp = NULL;
	char *nl = memchr(buf, '\n', *len);
	if (!nl)
		return 0;
	*nl = '\0';
	size_t used = (size_t)(nl - buf) + 1;
	json_error_t je;
	json_t *r = json_loads(buf, 0, &je);
	memmove(buf, nl + 1, *len - used);
	*len -= used;
	if (r && json_is_object(r)) {
		*req = r;
		return 1;
	}
	*resp = mf_control_error("request is not a JSON object: %s", r ? "wrong type" : je.text);
	json_decref(r);
	return 1;
}

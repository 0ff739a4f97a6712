/* cmd/daemon/control_line.c — see cmd/daemon/control_line.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/daemon/control_line.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table), or 0. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

json_t *mf_control_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* JSON strings must be UTF-8, and the message may quote a client's
	 * bytes (jansson's "invalid token near '\xff'") or be cut inside a
	 * character: each byte of a broken sequence becomes '?'. */
	for (unsigned char *p = (unsigned char *)msg; *p;) {
		size_t n = utf8_seq_len(p);
		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
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

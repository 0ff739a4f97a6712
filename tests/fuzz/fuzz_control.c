/* libFuzzer target: the control socket's request framing and parsing, the
 * code the server runs on its read buffer (cmd/daemon/control_line.c
 * mf_control_line_take). The first byte picks the read size; the rest
 * arrives in reads of that size into a buffer of MF_CONTROL_MAX_LINE + 1
 * bytes, as cmd/daemon/control.c reads it, and after each read every complete
 * line is taken. Checks: a taken line gives exactly one of a request (a
 * JSON object, which dumps and reloads to an equal one) and an error
 * answer that dumps as one compact line (the server writes it with '\n');
 * what stays in the buffer holds no complete line; it is over-long
 * (refused, the client closed) only when it fills the buffer. */
#include "cmd/daemon/control_line.h"
#include "tests/fuzz/fuzz.h"

static void one_line(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	MF_FUZZ_CHECK(s != NULL && strchr(s, '\n') == NULL);
	json_t *back = json_loads(s, 0, NULL);
	MF_FUZZ_CHECK(back != NULL && json_equal(back, j));
	json_decref(back);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = 1 + (size_t)data[0] * 61u;
	char *buf = malloc(MF_CONTROL_MAX_LINE + 1);
	MF_FUZZ_CHECK(buf != NULL);
	size_t len = 0;
	for (size_t off = 1; off < size && len <= MF_CONTROL_MAX_LINE;) {
		size_t room = MF_CONTROL_MAX_LINE + 1 - len, n = size - off;
		if (n > step)
			n = step;
		if (n > room)
			n = room;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		json_t *req, *resp;
		while (mf_control_line_take(buf, &len, &req, &resp) == 1) {
			MF_FUZZ_CHECK((req == NULL) != (resp == NULL));
			if (req) {
				MF_FUZZ_CHECK(json_is_object(req));
				one_line(req);
			} else {
				MF_FUZZ_CHECK(json_is_false(json_object_get(resp, "ok")));
				MF_FUZZ_CHECK(json_is_string(json_object_get(resp, "error")));
				one_line(resp);
			}
			json_decref(req);
			json_decref(resp);
		}
		MF_FUZZ_CHECK(req == NULL && resp == NULL);
		MF_FUZZ_CHECK(len <= MF_CONTROL_MAX_LINE + 1 && memchr(buf, '\n', len) == NULL);
	}
	free(buf);
	return 0;
}

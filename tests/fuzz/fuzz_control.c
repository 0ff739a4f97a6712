/* libFuzzer target: the control socket's request path up to the agent
 * (cmd/control.c process_lines, cmd/agent_control.c mf_agent_on_request).
 * The server's line handling is inside its libuv callbacks and the
 * handler needs a running agent, so this target runs the same steps on
 * the bytes: lines split at '\n' as the server does, each parsed with
 * json_loads (flags 0, as the server), a non-object answered with
 * mf_control_error, an object's "cmd" looked up; every answer must dump
 * as one compact JSON line (the server writes it followed by '\n'). */
#include <jansson.h>

#include "cmd/control.h"
#include "tests/fuzz/fuzz.h"

static void one_line(json_t *resp)
{
	MF_FUZZ_CHECK(resp != NULL);
	char *s = json_dumps(resp, JSON_COMPACT);
	MF_FUZZ_CHECK(s != NULL && strchr(s, '\n') == NULL);
	free(s);
	json_decref(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MF_CONTROL_MAX_LINE)
		return 0; /* the server refuses longer lines unread */
	char *buf = mf_fuzz_dup(data, size);
	char *line = buf, *end = buf + size;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break; /* the server waits for the rest */
		*nl = '\0';
		json_error_t je;
		json_t *req = json_loads(line, 0, &je);
		if (!req || !json_is_object(req)) {
			one_line(mf_control_error("request is not a JSON object: %s",
						  req ? "wrong type" : je.text));
		} else {
			const char *cmd = json_string_value(json_object_get(req, "cmd"));
			if (!cmd)
				one_line(mf_control_error("request has no \"cmd\" string"));
			else
				one_line(mf_control_error("no pool named %s", cmd));
		}
		json_decref(req);
		line = nl + 1;
	}
	free(buf);
	return 0;
}

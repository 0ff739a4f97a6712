/* cmd/cli/cmd_info.c — `meshfed info`: the agent's counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"format", "text|json", "output format (default text)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

static void print_value(const char *indent, const char *k, const json_t *v)
{
	if (json_is_object(v)) {
		const char *ck;
		json_t *cv;
		printf("%s%s:\n", indent, k);
		char deeper[32];
		snprintf(deeper, sizeof(deeper), "%s    ", indent);
		if (json_object_size(v) == 0)
			printf("%s(none)\n", deeper);
		json_object_foreach((json_t *)v, ck, cv)
			print_value(deeper, ck, cv);
		return;
	}
	if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
		/* A list of records (pools, route socket subscribers): one line each. */
		size_t i;
		json_t *e;
		printf("%s%s:\n", indent, k);
		json_array_foreach(v, i, e) {
			const char *ck;
			json_t *cv;
			printf("%s    -", indent);
			json_object_foreach(e, ck, cv) {
				char *s = json_dumps(cv, JSON_ENCODE_ANY | JSON_COMPACT);
				printf(" %s=%s", ck, json_is_string(cv) ? json_string_value(cv) : s ? s : "?");
				free(s);
			}
			printf("\n");
		}
		return;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (json_is_string(v))
		printf("%s%s = %s\n", indent, k, json_string_value(v));
	else
		printf("%s%s = %s\n", indent, k, s ? s : "?");
	free(s);
}

int mf_cmd_info(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("info", "info [options]",
			     "Shows the agent's counters: packets and bytes in and out, bad packets "
			     "dropped by cause, probes, suspicions, refutations, health score, "
			     "member counts, streams and serf glue counters, the pools, routing "
			     "counters, and the route socket: its subscribers (applied version, "
			     "update in flight, gateway, pid/uid) and the slowest one's lag. "
			     "Pointed at a gateway's -control socket: the gateway's counters "
			     "(docs/gateway.md).",
			     flags, 2, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("info", &res)) != MF_EXIT_OK)
		return r;
	int json;
	const char *control;
	if ((r = mf_cli_common_flags("info", flags, &res, &control, NULL, &json)) != MF_EXIT_OK)
		return r;
	json_t *resp = NULL;
	if ((r = mf_cli_control_cmd("info", control, NULL, &resp)) != MF_EXIT_OK)
		return r;
	json_t *info = json_object_get(resp, "info");
	if (json) {
		char *s = json_dumps(info, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(info, k, v)
			print_value("", k, v);
	}
	json_decref(resp);
	return MF_EXIT_OK;
}

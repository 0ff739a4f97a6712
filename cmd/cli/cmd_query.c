/*
 * cmd/cli/cmd_query.c — `meshfed query NAME [PAYLOAD]`: a serf user query
 * through the agent (serf query): acks and responses printed as they
 * arrive (the agent streams them), totals at the timeout, in serf's words.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"
#include "cmd/config/config.h"

static const struct mf_flag flags[] = {
	{"node", "NAME", "only this node answers (repeatable)"},
	{"tag", "KEY=REGEXP", "only nodes whose tag KEY matches REGEXP answer (repeatable)"},
	{"timeout", "DURATION", "how long to collect answers (default: serf's, 16 gossip intervals per decade of members)"},
	{"no-ack", NULL, "do not ask for delivery acknowledgements"},
	{"relay-factor", "N", "members (0-5) each answer is also relayed through (default 0)"},
	{"pool", "NAME", "wan or an area's name (default: wan, else the first area)"},
	{"format", "table|json", "output format (default table)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

/* A streamed ack or response (table output), printed at once. */
static void print_line(void *ctx, const json_t *line)
{
	const json_t *ack = json_object_get(line, "ack"), *resp = json_object_get(line, "response");
	(void)ctx;
	if (ack) {
		printf("Ack from '%s'\n", json_string_value(ack));
	} else if (resp) {
		const json_t *p = json_object_get(resp, "payload");
		printf("Response from '%s': ", json_string_value(json_object_get(resp, "from")));
		fwrite(json_string_value(p), 1, json_string_length(p), stdout);
		printf("\n");
	}
	fflush(stdout);
}

int mf_cmd_query(int argc, char **argv)
{
	const char *pos[3];
	struct mf_flag_hit hits[64];
	struct mf_flags_result res = {hits, 64, 0, pos, 3, 0};
	int r = mf_cli_parse("query", "query [options] NAME [PAYLOAD]",
			     "Sends a serf user query to the members of a pool and prints the "
			     "acknowledgements and responses as they arrive, and their totals at the "
			     "timeout (serf query). meshfed agents acknowledge queries but run no handlers.",
			     flags, N_FLAGS, argc, argv, &res);
	if (r >= 0)
		return r;
	if (res.n_pos < 1 || res.n_pos > 2) {
		mf_cli_error("query", "a query name (and at most one payload) is required");
		return MF_EXIT_USAGE;
	}
	json_t *req = json_pack("{s:s,s:s,s:s,s:b}", "cmd", "query", "name", res.pos[0], "payload",
				res.n_pos > 1 ? res.pos[1] : "", "ack", 1);
	json_t *nodes = json_array(), *tags = json_object();
	const char *control = NULL, *format = "table";
	mf_time_t timeout = 0;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (strcmp(name, "node") == 0) {
			json_array_append_new(nodes, json_string(v));
		} else if (strcmp(name, "tag") == 0) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v) {
				mf_cli_error("query", "-tag must be KEY=REGEXP");
				r = MF_EXIT_USAGE;
				goto out;
			}
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - v), v);
			json_object_set_new(tags, key, json_string(eq + 1));
		} else if (strcmp(name, "timeout") == 0) {
			if (mf_config_parse_duration(v, &timeout) < 0 || timeout <= 0) {
				mf_cli_error("query", "-timeout: \"%s\" is not a duration", v);
				r = MF_EXIT_USAGE;
				goto out;
			}
		} else if (strcmp(name, "no-ack") == 0) {
			json_object_set_new(req, "ack", json_false());
		} else if (strcmp(name, "relay-factor") == 0) {
			json_object_set_new(req, "relay_factor", json_integer(atoi(v)));
		} else if (strcmp(name, "pool") == 0) {
			json_object_set_new(req, "pool", json_string(v));
		} else if (strcmp(name, "format") == 0) {
			format = v;
		} else {
			control = v;
		}
	}
	int json = mf_cli_format("query", format);
	if (json < 0) {
		r = MF_EXIT_USAGE;
		goto out;
	}
	json_object_set_new(req, "stream", json_boolean(!json));
	json_object_set(req, "nodes", nodes);
	json_object_set(req, "tags", tags);
	json_object_set_new(req, "timeout_ms", json_integer((json_int_t)(timeout / 1000000)));
	if (!json)
		printf("Query '%s' dispatched\n", res.pos[0]);
	fflush(stdout);
	json_t *resp = NULL;
	char path[4096], err[512];
	mf_cli_control_path(control, path, sizeof(path));
	/* Table: each ack and response as the agent streams it (as serf
	 * query), the totals with the answer at the timeout. JSON: the answer
	 * alone, which holds them all. */
	if (mf_ctl_call_lines(path, req, 3700 * 1000, json ? NULL : print_line, NULL, &resp, err,
			      sizeof(err)) < 0) {
		mf_cli_error("query", "%s", err);
		r = MF_EXIT_FAIL;
		goto out;
	}
	r = MF_EXIT_OK;
	if (json) {
		json_object_del(resp, "ok");
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
	} else {
		printf("Total Acks: %zu\nTotal Responses: %zu\n", json_array_size(json_object_get(resp, "acks")),
		       json_array_size(json_object_get(resp, "responses")));
	}
	json_decref(resp);
out:
	json_decref(nodes);
	json_decref(tags);
	json_decref(req);
	return r;
}

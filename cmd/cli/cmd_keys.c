/*
 * cmd/cli/cmd_keys.c — `meshfed keys`: the pool's gossip keyring, on every
 * member at once, through serf's internal key queries (serf keys; the agent
 * side is cmd/agent/agent_query.c). Output as serf's: "==> " progress lines on
 * stdout, per-node failures and the error on stderr, exit 1 when any node
 * failed or did not answer.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"list", NULL, "list the keys installed on the members, with how many hold each"},
	{"install", "KEY", "install KEY (base64) on every member"},
	{"use", "KEY", "make KEY, already installed, the primary key on every member"},
	{"remove", "KEY", "remove KEY from every member (the primary key cannot be removed)"},
	{"pool", "NAME", "wan or an area's name (default: wan, else the first area)"},
	{"relay-factor", "N", "members (0-5) each answer is also relayed through (default 0)"},
	{"format", "table|json", "output format (default table)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted (serf's are in Go map order). */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	const char *k;
	json_t *v;
	size_t i = 0;
	*n = json_object_size(o);
	const char **keys = calloc(*n ? *n : 1, sizeof(*keys));
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)o, k, v)
		keys[i++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* columnize.SimpleFormat of "failed: | NODE | MESSAGE" lines. */
static void print_failures(const json_t *messages)
{
	size_t n, w = 0;
	const char **nodes = sorted_keys(messages, &n);
	if (!nodes)
		return;
	for (size_t i = 0; i < n; i++)
		if (strlen(nodes[i]) > w)
			w = strlen(nodes[i]);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "failed:  %-*s  %s\n", (int)w, nodes[i],
			json_string_value(json_object_get(messages, nodes[i])));
	free(nodes);
}

int mf_cmd_keys(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[32];
	struct mf_flags_result res = {hits, 32, 0, pos, 1, 0};
	int r = mf_cli_parse("keys", "keys -list | -install KEY | -use KEY | -remove KEY [options]",
			     "Lists, installs, switches or removes gossip encryption keys on every "
			     "member of a pool (serf keys: serf agents in the pool answer too). "
			     "Exits 1 when any member failed or did not answer. Each agent rewrites "
			     "its -keyring-file after a change.",
			     flags, N_FLAGS, argc, argv, &res);
	if (r >= 0)
		return r;
	const char *op = NULL, *key = NULL, *pool = NULL, *control = NULL, *format = "table";
	long relay = 0;
	bool twice = false;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (hits[i].index <= 3) {
			twice |= op != NULL;
			op = name;
			key = hits[i].index ? v : NULL;
		} else if (strcmp(name, "pool") == 0) {
			pool = v;
		} else if (strcmp(name, "relay-factor") == 0) {
			char *end;
			relay = strtol(v, &end, 10);
			if (*end || relay < 0 || relay > 5) {
				mf_cli_error("keys", "-relay-factor must be 0 to 5");
				return MF_EXIT_USAGE;
			}
		} else if (strcmp(name, "format") == 0) {
			format = v;
		} else {
			control = v;
		}
	}
	if (res.n_pos || !op || twice) {
		mf_cli_error("keys", "exactly one of -install, -use, -remove or -list is required");
		return MF_EXIT_USAGE;
	}
	int json = mf_cli_format("keys", format);
	if (json < 0)
		return MF_EXIT_USAGE;
	static const char *const doing[][4] = {
		/* op, progress, success, error prefix (serf's words) */
		{"list", "Asking all members for installed keys...", NULL,
		 "Failed to gather member keys"},
		{"install", "Installing key on all members...", "Successfully installed key!",
		 "Error installing key"},
		{"use", "Changing primary key on all members...", "Successfully changed primary key!",
		 "Error changing primary key"},
		{"remove", "Removing key on all members...", "Successfully removed key!",
		 "Error removing key"},
	};
	size_t w = 0;
	while (strcmp(doing[w][0], op) != 0)
		w++;
	json_t *req = json_pack("{s:s,s:s,s:I}", "cmd", "keys", "op", op, "relay_factor",
				(json_int_t)relay);
	if (key)
		json_object_set_new(req, "key", json_string(key));
	if (pool)
		json_object_set_new(req, "pool", json_string(pool));
	if (!json)
		printf("==> %s\n", doing[w][1]);
	fflush(stdout);
	json_t *resp = NULL;
	/* the agent answers at the query's timeout at the latest (serf's
	 * default: 16 gossip intervals per decade of members) */
	r = mf_cli_control_call("keys", control, req, 10 * 60 * 1000, &resp);
	json_decref(req);
	if (r != MF_EXIT_OK)
		return r;
	long long nodes = json_integer_value(json_object_get(resp, "num_nodes"));
	long long nresp = json_integer_value(json_object_get(resp, "num_resp"));
	long long nerr = json_integer_value(json_object_get(resp, "num_err"));
	const json_t *messages = json_object_get(resp, "messages");
	bool failed = nerr != 0 || nresp != nodes;
	if (json) {
		json_object_del(resp, "ok");
		json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
	} else if (failed) {
		print_failures(messages);
		fprintf(stderr, "\n%s: %lld/%lld nodes reported %s\n", doing[w][3],
			nerr ? nerr : nresp, nodes, nerr ? "failure" : "success");
	} else if (strcmp(op, "list") == 0) {
		const json_t *keys = json_object_get(resp, "keys");
		size_t n;
		const char **names = sorted_keys(keys, &n);
		printf("==> Keys gathered, listing cluster keys...\n\n");
		for (size_t i = 0; names && i < n; i++)
			printf("%s  [%lld/%lld]\n", names[i],
			       (long long)json_integer_value(json_object_get(keys, names[i])), nodes);
		free(names);
	} else {
		printf("==> %s\n", doing[w][2]);
	}
	json_decref(resp);
	return failed ? MF_EXIT_FAIL : MF_EXIT_OK;
}

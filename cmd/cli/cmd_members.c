/* cmd/cli/cmd_members.c — `meshfed members`: the pool as the agent sees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"
#include "gossip/pool.h"

static const struct mf_flag flags[] = {
	{"format", "table|json", "output format (default table)"},
	{"status", "STATUS", "only members in this status: alive, suspect, failed or left"},
	{"pool", "NAME", "wan or an area's name (default: wan, else the first area; see meshfed info)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k1=v1,k2=v2", keys sorted. */
static char *tags_line(const json_t *tags)
{
	size_t n = json_object_size(tags), i = 0, len = 1;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)tags, k, v) {
		keys[i++] = k;
		len += strlen(k) + 2 + strlen(json_string_value(v) ? json_string_value(v) : "");
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	char *s = malloc(len);
	if (s) {
		s[0] = '\0';
		for (i = 0; i < n; i++) {
			const char *val = json_string_value(json_object_get(tags, keys[i]));
			strcat(s, i ? "," : "");
			strcat(s, keys[i]);
			strcat(s, "=");
			strcat(s, val ? val : "");
		}
	}
	free(keys);
	return s;
}

static void print_table(const json_t *members)
{
	size_t n = json_array_size(members), w_name = 0, w_addr = 0, w_status = 0;
	char (*addrs)[80] = calloc(n ? n : 1, sizeof(*addrs));
	if (!addrs)
		return;
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(members, i);
		const char *ip = json_string_value(json_object_get(m, "addr"));
		long long port = json_integer_value(json_object_get(m, "port"));
		snprintf(addrs[i], sizeof(addrs[i]), strchr(ip ? ip : "", ':') ? "[%s]:%lld" : "%s:%lld",
			 ip ? ip : "?", port);
		size_t l = strlen(json_string_value(json_object_get(m, "name")));
		w_name = l > w_name ? l : w_name;
		w_addr = strlen(addrs[i]) > w_addr ? strlen(addrs[i]) : w_addr;
		l = strlen(json_string_value(json_object_get(m, "status")));
		w_status = l > w_status ? l : w_status;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *m = json_array_get(members, i);
		char *tags = tags_line(json_object_get(m, "tags"));
		printf("%-*s  %-*s  %-*s  %s\n", (int)w_name,
		       json_string_value(json_object_get(m, "name")), (int)w_addr, addrs[i],
		       (int)w_status, json_string_value(json_object_get(m, "status")),
		       tags ? tags : "");
		free(tags);
	}
	free(addrs);
}

int mf_cmd_members(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("members", "members [options]",
			     "Lists the members of one of the agent's gossip pools (the WAN pool "
			     "or a network area): name, address, status (alive, suspect, failed, "
			     "left) and tags.",
			     flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("members", &res)) != MF_EXIT_OK)
		return r;
	int json;
	const char *status = NULL, *control, *pool;
	if ((r = mf_cli_common_flags("members", flags, &res, &control, &pool, &json)) != MF_EXIT_OK)
		return r;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (strcmp(name, "status") == 0) {
			enum mf_member_status st;
			if (mf_member_status_parse(v, &st) < 0) {
				mf_cli_error("members", "-status: \"%s\" is not a status (alive, "
					     "suspect, failed or left)", v);
				return MF_EXIT_FAIL;
			}
			status = v;
		}
	}
	json_t *resp = NULL;
	if ((r = mf_cli_control_cmd("members", control, pool, &resp)) != MF_EXIT_OK)
		return r;
	json_t *all = json_object_get(resp, "members"), *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(all, i, m) {
		const char *s = json_string_value(json_object_get(m, "status"));
		if (!status || (s && strcmp(s, status) == 0))
			json_array_append(out, m);
	}
	if (json) {
		/* One member per line: readable, and still one JSON array. */
		printf("[");
		json_array_foreach(out, i, m) {
			char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("%s\n  %s", i ? "," : "", s ? s : "{}");
			free(s);
		}
		printf("%s]\n", json_array_size(out) ? "\n" : "");
	} else {
		print_table(out);
	}
	json_decref(out);
	json_decref(resp);
	return MF_EXIT_OK;
}

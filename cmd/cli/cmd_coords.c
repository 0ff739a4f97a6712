/* cmd/cli/cmd_coords.c — `meshfed coords`: every network coordinate the agent holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"pool", "NAME", "only this pool (wan or an area's name)"},
	{"format", "table|json", "output format (default table)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_coords(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("coords", "coords [options]",
			     "Lists the Vivaldi coordinates the agent holds, per pool: its own "
			     "(marked *) and each member's latest, learnt from probe acks. "
			     "Columns: pool, node, error, height (ms), adjustment (ms), vector (ms).",
			     flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("coords", &res)) != MF_EXIT_OK)
		return r;
	int json;
	const char *control, *pool;
	if ((r = mf_cli_common_flags("coords", flags, &res, &control, &pool, &json)) != MF_EXIT_OK)
		return r;
	json_t *resp;
	if ((r = mf_cli_control_cmd("coords", control, pool, &resp)) != MF_EXIT_OK)
		return r;
	const json_t *arr = json_object_get(resp, "coords");
	size_t i;
	json_t *c;
	if (json) {
		printf("[");
		json_array_foreach(arr, i, c) {
			char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("%s\n  %s", i ? "," : "", s ? s : "{}");
			free(s);
		}
		printf("%s]\n", json_array_size(arr) ? "\n" : "");
	} else {
		int w_pool = 4, w_node = 4;
		json_array_foreach(arr, i, c) {
			int lp = (int)strlen(json_string_value(json_object_get(c, "pool")));
			int ln = (int)strlen(json_string_value(json_object_get(c, "node"))) + 1;
			w_pool = lp > w_pool ? lp : w_pool;
			w_node = ln > w_node ? ln : w_node;
		}
		printf("%-*s  %-*s  %6s  %8s  %8s  %s\n", w_pool, "POOL", w_node, "NODE", "ERROR",
		       "HEIGHT", "ADJUST", "VECTOR");
		json_array_foreach(arr, i, c) {
			char node[200];
			snprintf(node, sizeof(node), "%s%s",
				 json_string_value(json_object_get(c, "node")),
				 json_is_true(json_object_get(c, "self")) ? "*" : "");
			printf("%-*s  %-*s  %6.3f  %8.3f  %8.3f ", w_pool,
			       json_string_value(json_object_get(c, "pool")), w_node, node,
			       json_real_value(json_object_get(c, "error")),
			       json_real_value(json_object_get(c, "height")) * 1000.0,
			       json_real_value(json_object_get(c, "adjustment")) * 1000.0);
			size_t k;
			json_t *v;
			json_array_foreach(json_object_get(c, "vec"), k, v)
				printf(" %.3f", json_real_value(v) * 1000.0);
			printf("\n");
		}
	}
	json_decref(resp);
	return MF_EXIT_OK;
}

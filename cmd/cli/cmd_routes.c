/* cmd/cli/cmd_routes.c — `meshfed routes`: the agent's next-hop table, once
 * (control socket) or as it changes (-watch: the route socket,
 * cmd/cli/routes_watch.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"
#include "cmd/cli/routes_watch.h"
#include "gossip/err.h"
#include "routing/table_format.h"

static const struct mf_flag flags[] = {
	{"format", "table|json|dot", "output format (default table; dot: Graphviz DC graph)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
	{"watch", NULL, "subscribe to the route socket and print every new version until "
			"interrupted (table or json); exit 1 when the agent goes away"},
	{"route-socket", "PATH", "with -watch: the agent's route socket (default "
				 "$MESHFED_ROUTE_SOCKET or /tmp/meshfed-UID-routes.sock)"},
};

int mf_cmd_routes(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("routes", "routes [options]",
			     "Shows this DC's next-hop table as the agent computed it: per target "
			     "DC its status (local, direct, via, unreachable, no-gateway), next hop, "
			     "distance, DC path, mode, the next hop's gateways and the loop-free "
			     "alternates. -format dot draws the DC "
			     "graph with link distances and the chosen next hops in red. -watch "
			     "subscribes to the agent's route socket (docs/route-socket.md) and "
			     "prints the table, then every new version: -format json one table "
			     "object per line, -format table a header line naming the version "
			     "and the table redrawn.",
			     flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("routes", &res)) != MF_EXIT_OK)
		return r;
	enum mf_table_format fmt = MF_TABLE_TEXT;
	const char *control = NULL, *route_socket = NULL;
	bool watch = false;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (strcmp(name, "format") == 0) {
			if (strcmp(v, "text") == 0)
				v = "table";
			if (mf_table_format_parse(v, &fmt) < 0) {
				mf_cli_error("routes", "-format: \"%s\" is not table, json or dot", v);
				return MF_EXIT_FAIL;
			}
		} else if (strcmp(name, "watch") == 0) {
			watch = true;
		} else if (strcmp(name, "route-socket") == 0) {
			route_socket = v;
		} else {
			control = v;
		}
	}
	if (route_socket && !watch) {
		mf_cli_error("routes", "-route-socket is for -watch");
		return MF_EXIT_USAGE;
	}
	if (watch) {
		if (fmt == MF_TABLE_DOT) {
			mf_cli_error("routes", "-watch prints table or json, not dot");
			return MF_EXIT_USAGE;
		}
		char rpath[4096];
		mf_cli_route_socket_path(route_socket, rpath, sizeof(rpath));
		return mf_routes_watch(rpath, fmt);
	}
	json_t *resp;
	if ((r = mf_cli_control_cmd("routes", control, NULL, &resp)) != MF_EXIT_OK)
		return r;
	char *text = json_dumps(json_object_get(resp, "table"), JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(resp);
	if (!text) {
		mf_cli_error("routes", "the agent sent no table");
		return MF_EXIT_FAIL;
	}
	if (fmt == MF_TABLE_JSON) {
		printf("%s\n", text);
		free(text);
		return MF_EXIT_OK;
	}
	struct mf_table t;
	char *out = NULL;
	r = mf_table_parse_json(text, strlen(text), &t);
	free(text);
	if (r == 0) {
		r = mf_table_format(&t, fmt, &out);
		mf_table_free(&t);
	}
	if (r < 0) {
		mf_cli_error("routes", "cannot render the agent's table: %s", mf_strerror(r));
		return MF_EXIT_FAIL;
	}
	fputs(out, stdout);
	free(out);
	return MF_EXIT_OK;
}

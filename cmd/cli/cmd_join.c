/* cmd/cli/cmd_join.c — `meshfed join ADDR...`: the agent joins other agents. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/config/config.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"pool", "NAME", "pool to join: wan or an area's name (default: wan, else the first area)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_join(int argc, char **argv)
{
	const char *pos[MF_CONFIG_MAX_JOIN];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, MF_CONFIG_MAX_JOIN, 0};
	int r = mf_cli_parse("join", "join [options] ADDR...",
			     "Tells the agent to join the agents at ADDR (IP:PORT, port 7946 if "
			     "left out) with a push-pull state exchange. Prints how many joined; "
			     "exits 1 if none did.",
			     flags, 2, argc, argv, &res);
	if (r >= 0)
		return r;
	if (res.n_pos == 0) {
		mf_cli_error("join", "at least one address to join is required");
		return MF_EXIT_USAGE;
	}
	const char *control = NULL, *pool = NULL;
	for (size_t i = 0; i < res.n_hits; i++) {
		if (strcmp(flags[hits[i].index].name, "pool") == 0)
			pool = hits[i].value;
		else
			control = hits[i].value;
	}
	json_t *addrs = json_array();
	for (size_t i = 0; i < res.n_pos; i++) {
		struct mf_addr a;
		if (mf_addr_parse(res.pos[i], MF_DEFAULT_PORT, &a) < 0) {
			mf_cli_error("join", "\"%s\" is not an IP:PORT address", res.pos[i]);
			json_decref(addrs);
			return MF_EXIT_FAIL;
		}
		json_array_append_new(addrs, json_string(res.pos[i]));
	}
	json_t *req = json_pack("{s:s,s:o}", "cmd", "join", "addrs", addrs), *resp = NULL;
	if (pool)
		json_object_set_new(req, "pool", json_string(pool));
	r = mf_cli_control_call("join", control, req, MF_CTL_TIMEOUT_MS, &resp);
	json_decref(req);
	if (r != MF_EXIT_OK)
		return r;
	printf("Successfully joined cluster by contacting %lld nodes.\n",
	       (long long)json_integer_value(json_object_get(resp, "joined")));
	json_decref(resp);
	return MF_EXIT_OK;
}

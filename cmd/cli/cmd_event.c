/* cmd/cli/cmd_event.c — `meshfed event NAME [PAYLOAD]`: a serf user event
 * gossiped to the pool (serf event). */
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"coalesce", "true|false", "whether serf agents may coalesce it with others of its name (default true)"},
	{"pool", "NAME", "wan or an area's name (default: wan, else the first area)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_event(int argc, char **argv)
{
	const char *pos[3];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 3, 0};
	int r = mf_cli_parse("event", "event [options] NAME [PAYLOAD]",
			     "Gossips a serf user event to every member of a pool (serf event). "
			     "Name and payload together are limited to 512 bytes.",
			     flags, 3, argc, argv, &res);
	if (r >= 0)
		return r;
	if (res.n_pos < 1 || res.n_pos > 2) {
		mf_cli_error("event", "an event name (and at most one payload) is required");
		return MF_EXIT_USAGE;
	}
	const char *control = NULL, *pool = NULL;
	int coalesce = 1;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (strcmp(name, "coalesce") == 0) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
				mf_cli_error("event", "-coalesce must be true or false");
				return MF_EXIT_USAGE;
			}
			coalesce = v[0] == 't';
		} else if (strcmp(name, "pool") == 0) {
			pool = v;
		} else {
			control = v;
		}
	}
	json_t *req = json_pack("{s:s,s:s,s:s,s:b}", "cmd", "event", "name", res.pos[0], "payload",
				res.n_pos > 1 ? res.pos[1] : "", "coalesce", coalesce);
	if (pool)
		json_object_set_new(req, "pool", json_string(pool));
	json_t *resp = NULL;
	r = mf_cli_control_call("event", control, req, MF_CTL_TIMEOUT_MS, &resp);
	json_decref(req);
	json_decref(resp);
	if (r == MF_EXIT_OK)
		printf("Event '%s' dispatched! Coalescing enabled: %s\n", res.pos[0],
		       coalesce ? "true" : "false");
	return r;
}

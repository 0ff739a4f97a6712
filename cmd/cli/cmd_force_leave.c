/* cmd/cli/cmd_force_leave.c — `meshfed force-leave NODE`: failed -> left. */
#include <stdio.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_force_leave(int argc, char **argv)
{
	const char *pos[2];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 2, 0};
	int r = mf_cli_parse("force-leave", "force-leave [options] NODE",
			     "Marks a failed member as left, so the pool stops trying to reconnect "
			     "to it (serf force-leave). A member that is alive cannot be forced.",
			     flags, 1, argc, argv, &res);
	if (r >= 0)
		return r;
	if (res.n_pos != 1) {
		mf_cli_error("force-leave", "exactly one node name is required");
		return MF_EXIT_USAGE;
	}
	json_t *req = json_pack("{s:s,s:s}", "cmd", "force-leave", "node", res.pos[0]);
	json_t *resp = NULL;
	r = mf_cli_control_call("force-leave", mf_cli_last_flag(&res), req, MF_CTL_TIMEOUT_MS,
				&resp);
	json_decref(req);
	json_decref(resp);
	return r;
}

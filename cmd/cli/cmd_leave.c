/* cmd/cli/cmd_leave.c — `meshfed leave`: graceful leave, then the agent exits. */
#include <stdio.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_leave(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("leave", "leave [options]",
			     "Makes the agent leave its pool gracefully (peers mark it left, not "
			     "failed) and exit. Returns when the leave is done.",
			     flags, 1, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("leave", &res)) != MF_EXIT_OK)
		return r;
	json_t *resp = NULL;
	if ((r = mf_cli_control_cmd("leave", mf_cli_last_flag(&res), NULL, &resp)) != MF_EXIT_OK)
		return r;
	printf("Graceful leave complete\n");
	json_decref(resp);
	return MF_EXIT_OK;
}

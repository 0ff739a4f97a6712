/* cmd/cli/cmd_metrics.c — `meshfed metrics`: the agent's Prometheus text. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_metrics(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[4];
	struct mf_flags_result res = {hits, 4, 0, pos, 1, 0};
	int r = mf_cli_parse("metrics", "metrics [options]",
			     "Prints the agent's metrics in Prometheus text format, the same "
			     "text the agent serves at http://<-metrics-addr>/metrics "
			     "(docs/metrics.md).",
			     flags, 1, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("metrics", &res)) != MF_EXIT_OK)
		return r;
	json_t *resp = NULL;
	if ((r = mf_cli_control_cmd("metrics", mf_cli_last_flag(&res), NULL, &resp)) != MF_EXIT_OK)
		return r;
	const char *text = json_string_value(json_object_get(resp, "text"));
	fputs(text ? text : "", stdout);
	json_decref(resp);
	return MF_EXIT_OK;
}

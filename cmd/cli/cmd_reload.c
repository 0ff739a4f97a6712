/* cmd/cli/cmd_reload.c — `meshfed reload`: the agent re-reads its config (as SIGHUP). */
#include <stdio.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

static void print_list(const char *title, const json_t *list)
{
	size_t i;
	json_t *e;
	if (json_array_size(list) == 0)
		return;
	printf("%s:\n", title);
	json_array_foreach(list, i, e)
		printf("    %s\n", json_string_value(e) ? json_string_value(e) : "?");
}

int mf_cmd_reload(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("reload", "reload [options]",
			     "Makes the agent re-read its flags and config files, as SIGHUP does.\n"
			     "Log level and format, tags (re-gossiped), routing default/targets/\n"
			     "transit, gateways and the keyring file apply in place; other changed\n"
			     "keys are listed as needing a restart. A config that does not load\n"
			     "changes nothing and fails the command (exit 1).",
			     flags, 1, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("reload", &res)) != MF_EXIT_OK)
		return r;
	json_t *resp = NULL;
	if ((r = mf_cli_control_cmd("reload", mf_cli_last_flag(&res), NULL, &resp)) != MF_EXIT_OK)
		return r;
	printf("Configuration reload triggered\n");
	print_list("Applied", json_object_get(resp, "applied"));
	print_list("Changed, needing a restart", json_object_get(resp, "restart_required"));
	json_decref(resp);
	return MF_EXIT_OK;
}

/*
 * cmd/cli/cmd_validate.c — `meshfed validate`: checks agent config files without
 * starting anything (as `consul validate`). The files go through the agent's
 * own loading (mf_config_parse_args) and pre-start checks (mf_config_check),
 * so the errors are the agent's, word for word; no socket is opened.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/config/config.h"

#define MAX_FILES 64

static const struct mf_flag flags[] = {
	{"config-file", "PATH", "config file to check (repeatable; also as arguments)"},
	{"quiet", NULL, "print nothing on success"},
};

int mf_cmd_validate(int argc, char **argv)
{
	const char *pos[MAX_FILES];
	struct mf_flag_hit hits[MAX_FILES];
	struct mf_flags_result res = {hits, MAX_FILES, 0, pos, MAX_FILES, 0};
	int r = mf_cli_parse("validate", "validate [-config-file] PATH...",
			     "Checks agent config files as the agent would load them (in order, "
			     "later files override earlier ones) and exits 0 if they are valid, "
			     "else 1 with the agent's one-line error. Starts nothing, opens no "
			     "socket.",
			     flags, 2, argc, argv, &res);
	if (r >= 0)
		return r;
	/* The agent's arguments: -config-file F for each file, in order. */
	char *args[2 * MAX_FILES];
	int n = 0;
	bool quiet = false;
	for (size_t i = 0; i < res.n_hits; i++) {
		if (strcmp(flags[hits[i].index].name, "quiet") == 0) {
			quiet = true;
			continue;
		}
		args[n++] = (char *)"-config-file";
		args[n++] = (char *)hits[i].value;
	}
	for (size_t i = 0; i < res.n_pos && n + 2 <= 2 * MAX_FILES; i++) {
		args[n++] = (char *)"-config-file";
		args[n++] = (char *)pos[i];
	}
	if (n == 0) {
		mf_cli_error("validate", "no config file given (meshfed validate -config-file PATH)");
		return MF_EXIT_USAGE;
	}
	struct mf_agent_config cfg;
	char err[1024];
	mf_config_init(&cfg);
	err[0] = '\0';
	r = mf_config_parse_args(&cfg, n, args, err, sizeof(err));
	if (r == 0)
		r = mf_config_check(&cfg, err, sizeof(err));
	if (r != 0) {
		mf_cli_error("validate", "%s", err);
		return MF_EXIT_FAIL;
	}
	if (!quiet)
		printf("Configuration is valid!\n");
	return MF_EXIT_OK;
}

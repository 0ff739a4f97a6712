/* cmd/cli/cmd_agent.c — `meshfed agent`: parse flags and config, run the agent. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/agent/agent.h"
#include "cmd/cli/cli.h"
#include "cmd/config/config.h"

static const char *summary =
	"Runs a meshfed agent: joins a memberlist/serf-compatible gossip pool, logs\n"
	"membership events to stderr and serves the control socket used by the other\n"
	"subcommands. SIGINT/SIGTERM leave the pool gracefully (peers mark it left);\n"
	"SIGHUP (or meshfed reload) re-reads flags and config files and applies log\n"
	"level, tags, routing, gateways and keys in place (docs/cli.md).\n"
	"Under systemd, READY=1 goes to $NOTIFY_SOCKET once the gossip ports and the\n"
	"control socket are up (dist/meshfed.service, docs/systemd.md).\n"
	"Every flag is also a config-file key (docs/cli.md); flags override the file.";

int mf_cmd_agent(int argc, char **argv)
{
	/* Not on the stack: stack pages once written stay resident for the
	 * agent's life, and the agent keeps this config (mf_config_new). */
	struct mf_agent_config *cfg = mf_config_new();
	char err[1024];
	if (!cfg) {
		mf_cli_error("agent", "out of memory");
		return MF_EXIT_FAIL;
	}
	int r = mf_config_parse_args(cfg, argc, argv, err, sizeof(err));
	if (r == MF_FLAGS_HELP) {
		mf_agent_config_free(cfg);
		mf_flags_usage(stdout, "agent [options]", summary, mf_agent_flags, mf_agent_flags_n);
		return MF_EXIT_OK;
	}
	if (r != 0) {
		mf_agent_config_free(cfg);
		mf_cli_error("agent", "%s", err);
		return r == MF_FLAGS_USAGE ? MF_EXIT_USAGE : MF_EXIT_FAIL;
	}
	int code = mf_agent_run(cfg, argc, argv, err, sizeof(err)); /* frees cfg */
	if (code != 0 && err[0])
		mf_cli_error("agent", "%s", err);
	return code;
}

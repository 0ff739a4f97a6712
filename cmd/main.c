/*
 * cmd/main.c — `meshfed <subcommand>`: the table of subcommands.
 *
 * Each subcommand lives in its own file (cmd/cli/cmd_<name>.c) and is one row
 * here.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"

#ifndef MF_VERSION
#define MF_VERSION "0.0.0-dev"
#endif

static const struct mf_cmd commands[] = {
	{"agent", "run a meshfed agent", mf_cmd_agent},
	{"members", "list the members of one of the agent's pools", mf_cmd_members},
	{"join", "tell the agent to join other agents", mf_cmd_join},
	{"leave", "make the agent leave gracefully and exit", mf_cmd_leave},
	{"force-leave", "mark a failed member as left", mf_cmd_force_leave},
	{"info", "show the agent's counters and pools", mf_cmd_info},
	{"metrics", "print the agent's metrics (Prometheus text)", mf_cmd_metrics},
	{"monitor", "stream the agent's log lines", mf_cmd_monitor},
	{"reload", "make the agent re-read its config (as SIGHUP)", mf_cmd_reload},
	{"rtt", "estimate the RTT to a node or a datacenter", mf_cmd_rtt},
	{"coords", "list the network coordinates the agent holds", mf_cmd_coords},
	{"routes", "show this datacenter's next-hop table", mf_cmd_routes},
	{"gateway", "run a mesh gateway: TLS by SNI over the routes", mf_cmd_gateway},
	{"haproxy", "keep a running HAProxy in sync as this DC's gateway", mf_cmd_haproxy},
	{"validate", "check agent config files without starting", mf_cmd_validate},
	{"keygen", "print a new random gossip encryption key", mf_cmd_keygen},
	{"keys", "list, install, use or remove gossip keys on every member", mf_cmd_keys},
	{"query", "send a serf user query to the pool", mf_cmd_query},
	{"event", "gossip a serf user event to the pool", mf_cmd_event},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: meshfed <subcommand> [options]\n\nSubcommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "    %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`meshfed <subcommand> -h` shows a subcommand's options; "
		   "`meshfed --version` the version.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MF_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "-help") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		usage(stdout);
		return MF_EXIT_OK;
	}
	if (strcmp(sub, "-v") == 0 || strcmp(sub, "-version") == 0 ||
	    strcmp(sub, "--version") == 0 || strcmp(sub, "version") == 0) {
		printf("meshfed v%s\n", MF_VERSION);
		return MF_EXIT_OK;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(sub, commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	mf_cli_error(NULL, "unknown subcommand \"%s\" (see meshfed --help)", sub);
	return MF_EXIT_USAGE;
}

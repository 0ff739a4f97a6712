/*
 * cmd/cli/cli.h — what every `meshfed <subcommand>` shares: the subcommand
 * table entry, exit codes, one-line errors, flag parsing with -h, and the
 * control-socket call.
 *
 * Exit codes: 0 success; 1 the command failed (bad value, no agent, agent
 * refused, join failed); 2 usage error (unknown flag, missing value, wrong
 * number of arguments). Every error is ONE line on stderr:
 *   meshfed <sub>: <what is wrong>
 */
#ifndef MF_CMD_CLI_H
#define MF_CMD_CLI_H

#include <stddef.h>

#include <jansson.h>

#include "cmd/config/flags.h"

#define MF_EXIT_OK 0
#define MF_EXIT_FAIL 1
#define MF_EXIT_USAGE 2

struct mf_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the first argument */
};

int mf_cmd_agent(int argc, char **argv);
int mf_cmd_members(int argc, char **argv);
int mf_cmd_join(int argc, char **argv);
int mf_cmd_leave(int argc, char **argv);
int mf_cmd_force_leave(int argc, char **argv);
int mf_cmd_info(int argc, char **argv);
int mf_cmd_metrics(int argc, char **argv);
int mf_cmd_reload(int argc, char **argv);
int mf_cmd_monitor(int argc, char **argv);
int mf_cmd_validate(int argc, char **argv);
int mf_cmd_keygen(int argc, char **argv);
int mf_cmd_keys(int argc, char **argv);
int mf_cmd_query(int argc, char **argv);
int mf_cmd_event(int argc, char **argv);
int mf_cmd_rtt(int argc, char **argv);
int mf_cmd_coords(int argc, char **argv);
int mf_cmd_routes(int argc, char **argv);
int mf_cmd_gateway(int argc, char **argv);
int mf_cmd_haproxy(int argc, char **argv);

void mf_cli_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses flags; on -h prints usage to stdout. Returns -1 to go on, or the
 * exit code to return (0 after -h, 2 after a usage error). */
int mf_cli_parse(const char *sub, const char *usage, const char *summary,
		 const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
		 struct mf_flags_result *res);

/* -control value, else $MESHFED_CONTROL, else /tmp/meshfed-<uid>.sock. */
void mf_cli_control_path(const char *flag_value, char *buf, size_t cap);

/* -route-socket value, else the agent's default route socket
 * ($MESHFED_ROUTE_SOCKET, else /tmp/meshfed-<uid>-routes.sock). */
void mf_cli_route_socket_path(const char *flag_value, char *buf, size_t cap);

/* One request/response; on failure prints the error line and returns 1. */
int mf_cli_call(const char *sub, const char *control, const json_t *req, int timeout_ms,
		json_t **resp);

/* mf_cli_call to the agent's control socket: `control` is -control's value
 * or NULL (mf_cli_control_path). */
int mf_cli_control_call(const char *sub, const char *control, const json_t *req, int timeout_ms,
			json_t **resp);

/* mf_cli_control_call of the request {"cmd": sub} (the agent's control
 * commands are named after the subcommands), with "pool": pool when pool is
 * not NULL, and the usual timeout (MF_CTL_TIMEOUT_MS). */
int mf_cli_control_cmd(const char *sub, const char *control, const char *pool, json_t **resp);

/* The value of the last flag given, or NULL: -control's, for a subcommand
 * whose only flag it is. */
const char *mf_cli_last_flag(const struct mf_flags_result *res);

/* For a subcommand that takes no positional argument: MF_EXIT_USAGE after
 * an error line naming the first one given, else MF_EXIT_OK. */
int mf_cli_no_args(const char *sub, const struct mf_flags_result *res);

/* The value of -format: "table"/"text" -> 0, "json" -> 1, else -1 and an error. */
int mf_cli_format(const char *sub, const char *v);

/* The flags several subcommands share, read from res's hits (the last one
 * given wins): -control, -pool and -format (*json as mf_cli_format, 0 when
 * not given); NULL for one the subcommand does not take. The others are
 * left to the caller. MF_EXIT_OK, or MF_EXIT_FAIL after the error line of
 * a bad -format. */
int mf_cli_common_flags(const char *sub, const struct mf_flag *flags,
			const struct mf_flags_result *res, const char **control, const char **pool,
			int *json);

#endif

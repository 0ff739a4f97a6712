/*
 * cmd/agent/agent.h — `meshfed agent`: its gossip pools (the WAN pool and network
 * areas, each with transport, serf glue and coordinate tracker), one
 * routing engine fed by all of them, the control socket, signals and
 * retry-join, on one libuv loop.
 *
 * Lifecycle: start (bind, control socket) -> run (join with backoff, log
 * membership events, serve control requests) -> on SIGINT/SIGTERM or
 * `meshfed leave`: serf leave intents, every pool's leave, wait for them (bounded by
 * leave_timeout), linger briefly to answer probes, close, exit 0. A second
 * signal during the leave exits at once with 1. SIGHUP reloads the config.
 */
#ifndef MF_CMD_AGENT_H
#define MF_CMD_AGENT_H

#include <stddef.h>

#include "cmd/config/config.h"

/* Runs until the agent stops. cfg comes from mf_config_new and is the
 * agent's from this call: it keeps it for its life (so only the pages a
 * flag or file wrote are resident) and frees it with its keys wiped.
 * argc/argv: the flags cfg was parsed from (kept: SIGHUP and `meshfed
 * reload` parse them and the config files again, cmd/agent/agent_reload.c).
 * Returns the process exit code; a startup failure returns 1 with one line
 * in err. */
int mf_agent_run(struct mf_agent_config *cfg, int argc, char **argv, char *err, size_t errcap);

/* Wipes cfg's keys and frees it (cfg from mf_config_new; NULL is a no-op). */
void mf_agent_config_free(struct mf_agent_config *cfg);

#endif

/*
 * cmd/config/config_reload.h — what a reload (SIGHUP, `meshfed reload`) changes:
 * the running config against the one just read from the same flags and
 * files.
 *
 * Applied in place: the log level and format, user tags, routing's default
 * mode, targets and transit, the configured gateways, and the keys of each
 * pool (encrypt / keyring_file; the file itself is re-read on every reload,
 * so an edited keyring file is picked up). Every other key that changed is
 * named in `restart`: it keeps its running value until the agent restarts.
 *
 * Contract: pure; compares two parsed configs and copies the reloadable
 * fields, nothing else (no I/O, no clock).
 */
#ifndef MF_CMD_CONFIG_RELOAD_H
#define MF_CMD_CONFIG_RELOAD_H

#include <stdbool.h>

#include "cmd/config/config.h"

struct mf_config_reload {
	bool log, tags, routing, gateways; /* changed, to apply in place */
	bool keys;                         /* encrypt/keyring_file of a pool changed */
	char restart[512];                 /* "bind, profile": need a restart; "" none */
};

/* Fills out with what differs between the running config cur and next. */
void mf_config_reload_diff(const struct mf_agent_config *cur, const struct mf_agent_config *next,
			   struct mf_config_reload *out);

/* Copies the reloadable fields of next into cur (what the agent then runs
 * with); the rest of cur is unchanged, so pointers into it (areas) stay. An
 * area's keys are copied only when the areas are otherwise the same. */
void mf_config_reload_take(struct mf_agent_config *cur, const struct mf_agent_config *next);

#endif

/*
 * cmd/haproxy/haproxy_state.h — HAProxy's runtime API answers -> struct mf_hap_state.
 *
 * Contract: pure parsing of the text HAProxy 2.6's admin socket returns, no
 * I/O. `show stat` (CSV, columns found by their header names: pxname,
 * svname, status, bck, addr) gives the slot backends and their servers;
 * `show map <file>` ("<ptr> <key> <value>" lines) the map entries.
 */
#ifndef MF_CMD_HAPROXY_STATE_H
#define MF_CMD_HAPROXY_STATE_H

#include <stddef.h>

#include "cmd/haproxy/haproxy_plan.h"

/* Replaces s's slots with the backends named <prefix><digits> in `show
 * stat` output, in the order of their number, each with its servers in
 * config order; a server is enabled unless its status starts with "MAINT".
 * MF_EMALFORMED when the header lacks a needed column, MF_ENOMEM. */
int mf_hap_parse_stat(const char *csv, size_t len, const char *prefix, struct mf_hap_state *s);

/* Replaces s's entries with `show map` output (sorted, a repeated key keeps
 * its first value). MF_EMALFORMED for a line that is not "<ptr> <key>
 * <value>", MF_ENOMEM. */
int mf_hap_parse_map(const char *text, size_t len, struct mf_hap_state *s);

#endif

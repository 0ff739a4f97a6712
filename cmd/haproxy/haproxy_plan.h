/*
 * cmd/haproxy/haproxy_plan.h — what a HAProxy gateway should hold for a route table,
 * and the runtime API commands that get it there (docs/haproxy.md).
 *
 * Contract: pure. Takes the state HAProxy holds now (read from its admin
 * socket by cmd/haproxy/haproxy_state.h, or the last state planned) and a next-hop
 * table; returns the wanted state and the command lines. Never touches a
 * socket or a file, never reads the clock.
 *
 * The HAProxy side (docs/haproxy.cfg): one map, DC label -> backend name;
 * N "slot" backends declared up front (2.6 cannot add backends at run time),
 * each with primary servers and `backup` servers, declared `disabled`. A
 * slot serves every target DC whose route wants the same servers: the
 * route's gateways (the next hop's) as primaries, the gateways of its
 * alternates, in order, as backups. Our own DC maps to MF_HAP_LOCAL (the
 * config sends it to be_local_<service>). Unreachable targets, and routes
 * with no gateway, get no entry (the config's default backend refuses them).
 *
 * Stability: a set of servers keeps the slot that most of its targets map
 * to now, and an address keeps the server it is on, so a change costs the
 * commands for what changed and established connections are never moved.
 * Make-before-break order: servers set up and enabled first, then map
 * entries, then servers no longer wanted disabled.
 */
#ifndef MF_CMD_HAPROXY_PLAN_H
#define MF_CMD_HAPROXY_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "routing/table.h"

#define MF_HAP_LOCAL "local" /* map value of our own DC */

/* One server line of a slot backend. */
struct mf_hap_server {
	char *name;    /* as in the config: "s1", "b1" */
	bool backup;   /* declared `backup`: used when no primary is up */
	bool enabled;  /* false: in maintenance (`disabled`, `disable server`) */
	char *addr;    /* "IP:PORT" it points at (a placeholder while unused) */
};

struct mf_hap_slot {
	char *backend; /* "be_dc_slot0" */
	size_t n_servers;
	struct mf_hap_server *servers; /* config order */
};

struct mf_hap_entry {
	char *key;     /* DC label, lower case */
	char *value;   /* backend name or MF_HAP_LOCAL */
};

struct mf_hap_state {
	size_t n_slots;
	struct mf_hap_slot *slots;
	size_t n_entries;
	struct mf_hap_entry *entries; /* sorted by key, keys unique */
};

struct mf_hap_plan {
	struct mf_hap_state want;
	size_t n_cmds;
	char **cmds;           /* runtime API lines, no '\n', in order */
	size_t n_unslotted;
	char **unslotted;      /* targets left without an entry: no free slot */
	size_t n_truncated;
	char **truncated;      /* targets whose slot has fewer servers than gateways */
};

void mf_hap_state_free(struct mf_hap_state *s);
int mf_hap_state_copy(const struct mf_hap_state *s, struct mf_hap_state *out);
void mf_hap_plan_free(struct mf_hap_plan *p);
/* Sorts s's entries by key. */
void mf_hap_state_sort(struct mf_hap_state *s);

/* Plans the move from `cur` to table t; map commands name the map by
 * map_path (as the config does). Targets whose DC name is not one SNI label
 * (holds a '.') or repeats another's in lower case are skipped. Returns 0,
 * MF_EINVAL (NULL arguments, a server address not IP:PORT), MF_ENOMEM; on
 * failure *out is empty. Slot exhaustion is not an error: see unslotted. */
int mf_hap_plan(const struct mf_hap_state *cur, const struct mf_table *t, const char *map_path,
		struct mf_hap_plan *out);

/* The map file for s: a comment line, then "key value\n" per entry. */
int mf_hap_map_render(const struct mf_hap_state *s, char **out, size_t *len);

#endif

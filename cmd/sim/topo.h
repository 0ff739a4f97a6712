/*
 * cmd/sim/topo.h — a topology file (shared/docs/topology.md, parsed by
 * routing/topology.h) expanded into the member-level network simnet runs.
 *
 * Contract: pure; only reads the parsed topology. Members are the servers
 * (the agents of the WAN pool) in file order: dc1-s1 .. dc1-sK, dc2-s1, ...;
 * gateways are not pool members and are left out. Between two servers of
 * one DC the one-way delay is intra_dc_rtt_ms / 2; between DCs a and b it
 * is rtt_ms(a, b) / 2, or "no link" (< 0) where mf_topology_linked() says
 * so (no rtt_ms entry, or no shared area: areas are not run as separate
 * pools, their pairs simply cannot talk directly); loss is per DC pair;
 * jitter applies between DCs only (as tests/wanem does).
 */
#ifndef MF_SIM_TOPO_H
#define MF_SIM_TOPO_H

#include <stddef.h>

#include "routing/topology.h"

struct mf_sim_world {
	size_t n;           /* members */
	double *delay_ms;   /* n*n one-way; < 0: no link */
	double *loss;       /* n*n per ordered pair, or NULL */
	int *dc;            /* n: DC index of each member */
	char (*label)[MF_TOPOLOGY_NAME_MAX + 8]; /* "<dc>-s<i>" */
	double jitter_ms;
	/* datacenters (topology only; 0 / NULL for a matrix) */
	size_t n_dcs;
	char (*dc_name)[MF_TOPOLOGY_NAME_MAX];
	const char **dc_names;  /* n_dcs pointers into dc_name */
	double *dc_rtt_s;       /* n_dcs^2 RTT in seconds; <= 0: no link */
};

/* MF_EINVAL when the topology has no server at all, MF_ENOMEM. */
int mf_sim_topology_expand(const struct mf_topology *t, struct mf_sim_world *w);
void mf_sim_world_free(struct mf_sim_world *w);

#endif

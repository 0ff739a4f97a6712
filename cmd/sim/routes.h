/*
 * cmd/sim/routes.h — meshfed-sim -routes: a topology's routing tables
 * computed by the agent's own routing code (routing/node.h over
 * gossip/pool.h pools with coord/tracker.h trackers) in virtual time.
 *
 * Contract: builds the pools the agents of the topology would run — no
 * `areas`: one WAN pool of all servers; else one pool per area of the
 * servers of its DCs, the area's DCs as its peers — one routing node per
 * server over its pools, and runs them on simnet (cmd/sim/simnet.h) with
 * every node ticked every MF_ROUTING_NODE_TICK_MS of virtual time, as the
 * agent's timer does. Nothing of the routing is re-implemented here: this
 * file only wires pools, trackers and nodes, and watches the tables.
 *
 * Each DC's `gateways` count becomes gateways <dc>-g<i> at the WAN
 * emulator's addresses (tests/wanem/hosts.h): 198.18.<n>.<100+i>:8443, n =
 * the DC's position in the file from 1, as both LAN and WAN address.
 *
 * Converged: at the end of R consecutive rounds (-stable R) no server's
 * routes changed (target, status, next hop, path, down; distances may
 * still drift with the coordinates) and all servers of each DC had the same
 * ones; the rounds it took is the last round in which something changed
 * or servers of a DC disagreed. Output: stdout gets one JSON object keyed
 * by DC name, each the table (routing/table_format.h JSON form) of the DC's
 * first server; stderr gets "converged after N rounds" (or "not converged
 * after R rounds") and a line per DC whose servers disagree.
 *
 * Cut (-cut ROUND): at the start of that round nothing passes any more
 * between the first half of the DCs (file order) and the rest; stderr gets
 * the routes across (reachable, not down) all servers held just before;
 * after each round they are counted again, and
 * stderr gets the rounds until none is left ("withdrawn"), or how many are
 * still held at the end. A run with a cut does not stop as converged before
 * that. Issue 13, point 1: a part cut off without its pools seeing deaths
 * everywhere must be withdrawn in bounded time.
 */
#ifndef MF_SIM_ROUTES_H
#define MF_SIM_ROUTES_H

#include <stdint.h>
#include <stdio.h>

#include "coord/config.h"
#include "coord/tracker.h"
#include "gossip/pool.h"

struct mf_sim_routes_args {
	const char *topology;
	int rounds;               /* cap */
	int stable;               /* rounds without change that mean converged */
	int cut;                  /* round at whose start the DCs are cut in two
				   * halves (file order); 0: never */
	bool no_tables;           /* print no tables (stdout stays empty) */
	bool progress;            /* a line per round on stderr (-progress) */
	double max_wall_s;        /* > 0: stop after the round that passes this
				   * much wall-clock time (a shared machine's
				   * time slot); the report covers the rounds run */
	enum mf_profile profile;
	double noise, loss;
	uint64_t seed;
	struct mf_coord_config coords;
	enum mf_coord_tracker_kind link_estimate; /* the agent's: coords */
	double hysteresis_pct, hysteresis_ms;     /* < 0: the engine's defaults */
	double settle_pct, settle_ms, settle_s;   /* < 0: the node's defaults */
	int reach_back;                           /* < 0: never (the node's) */
	double feasibility_s;                     /* the hold; < 0: the node's, 0: off */
	double nh_hold_s;                         /* next-hop hold; < 0: the node's, 0: off */
	double path_wait_s;                       /* 0: at once (the node's) */
	double loss_hold_s;                       /* 0: off (the node's) */
	double beat_s;                            /* beat period; 0: the node's (15 s) */
	bool no_asks;                             /* node config no_asks */
	bool deltas_gossiped;                     /* node config deltas_gossiped */
};

/* Runs and prints; returns the exit status: 0 converged, 1 not converged
 * or a load/run error (message on err). */
int mf_sim_routes_run(const struct mf_sim_routes_args *a, FILE *out, FILE *err);

#endif

/*
 * cmd/sim/args.h — meshfed-sim's command line, from one option table
 * (cmd/sim/args.c): each option's name, value placeholder, help line, kind
 * and bounds. Parsing is cmd/config/flags.h's, as for every meshfed
 * subcommand (-opt V, -opt=V, --opt V).
 *
 * Contract: pure parsing; errors are printed as one line naming the option
 * on stderr, nothing else is written.
 */
#ifndef MF_SIM_ARGS_H
#define MF_SIM_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/sim/schedule.h"
#include "coord/config.h"
#include "gossip/pool.h"

#define MF_SIM_MAX_SERF 256

struct mf_sim_args {
	const char *matrix, *topology, *plot;
	size_t n;
	double delay_ms;
	int rounds, every;
	enum mf_profile profile;
	double loss, noise;
	double stream_loss; /* -stream-loss F */
	size_t slow;        /* -slow K: the last K members stall (cmd/sim/simnet.h) */
	double slow_stall_ms, slow_period_ms; /* -slow-stall, -slow-period */
	double slow_lag_ms; /* -slow-lag: > 0 instead of stalls */
	double rtt_power; /* < 0: the client's default */
	double rtt_floor; /* < 0: the client's default */
	double robust_delta; /* < 0: the client's default */
	uint64_t seed;
	struct mf_sim_schedule sched;
	size_t serf_nodes[MF_SIM_MAX_SERF];
	size_t n_serf;
	bool json;
	enum mf_coord_mode mode;
	bool routes;    /* -routes: routing tables (cmd/sim/routes.h) */
	int stable;     /* -stable K: unchanged rounds that mean converged */
	int cut;        /* -cut ROUND: -routes cuts the DCs in two halves then (0: never) */
	double max_wall; /* -max-wall S: -routes stops after the round past S s of wall time (0: never) */
	bool no_tables;  /* -tables off: -routes prints no tables (1,000 DCs: minutes) */
	int link_estimate; /* -link-estimate route (default)|best|coords: mf_coord_tracker_kind */
	int route_filter;  /* -route-filter K: the routing median's samples; 0: coord/config.h's */
	double hyst_pct, hyst_ms; /* -hysteresis PCT,MS; < 0: the engine's */
	double settle[3];         /* -settle PCT,MS,S; < 0: the node's */
	int reach_back;           /* -reach-back K; < 0: never (the node's) */
	double feasibility_s;     /* -feasibility S: the node's hold; < 0: the node's */
	double nh_hold_s;         /* -nh-hold S: next hops kept S s after a change; < 0: the node's */
	double path_wait_s;       /* -path-wait S; 0: at once (the node's) */
	double loss_hold_s;       /* -loss-hold S; 0: off (the node's) */
	double beat_s;            /* -beat S; 0: the node's (15 s) */
	bool no_asks;             /* -asks off: no asks near max_age (node config) */
	bool deltas_gossiped;     /* -deltas-direct off: our deltas gossiped (node config) */
	bool no_serf;   /* -serf-glue off: pools without the serf glue */
	bool no_lifeguard; /* -lifeguard off: no health awareness, fixed suspicion timeout */
	bool progress;     /* -progress: per simulated second, CPU s and peak RSS on stderr */
	bool no_dc_embed; /* -dc-embed off: no DC-level embedding (cmd/sim/coords.h) */
};

/* Fills *a from argv[1..argc) with the defaults first. Returns 0, 1 for
 * -h/-help, or -1 after printing what is wrong. The schedule in a->sched
 * is the caller's to free (mf_sim_schedule_free) in every case. */
int mf_sim_args_parse(int argc, char **argv, struct mf_sim_args *a);

/* The synopsis and one line per option, from the table. */
void mf_sim_args_usage(FILE *f);

#endif

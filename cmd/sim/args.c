/* cmd/sim/args.c — see cmd/sim/args.h. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/flags.h"
#include "cmd/sim/args.h"
#include "coord/tracker.h"

enum kind {
	K_STR,     /* const char * */
	K_SIZE,    /* size_t */
	K_U64,     /* uint64_t */
	K_INT,     /* int in [lo, hi] */
	K_DOUBLE,  /* double in [lo, hi], or [lo, hi) with hi_open */
	K_TRUE,    /* bool set by the flag alone */
	K_OFF,     /* bool set when the value is "off" ("on" or "off") */
	K_CHOICE,  /* bool or int-sized enum: the value of the name given, of choices */
	K_CUSTOM,  /* set() */
};

/* One accepted value of a K_CHOICE option and what it sets. */
struct choice {
	const char *name; /* NULL ends a list */
	int value;
};

struct sim_opt {
	struct mf_flag flag;
	enum kind kind;
	size_t off;         /* of the field in struct mf_sim_args */
	double lo, hi;
	bool hi_open;
	int (*set)(struct mf_sim_args *a, const char *name, const char *v);
	const struct choice *choices; /* K_CHOICE */
	size_t size;                  /* K_CHOICE: of the field (bool or int) */
};

#define F(field) offsetof(struct mf_sim_args, field)

static int set_profile(struct mf_sim_args *a, const char *name, const char *v)
{
	(void)name;
	return mf_profile_parse(v, &a->profile) == 0 ? 0 : -1;
}

static const struct choice formats[] = {{"table", false}, {"json", true}, {NULL, 0}};
_Static_assert(sizeof(enum mf_coord_mode) == sizeof(int), "K_CHOICE writes an int");
static const struct choice coord_modes[] = {
	{"fit", MF_COORD_MODE_FIT}, {"serf", MF_COORD_MODE_SERF}, {NULL, 0}};
_Static_assert(sizeof(enum mf_coord_tracker_kind) == sizeof(int), "K_CHOICE writes an int");
static const struct choice link_estimates[] = {{"route", MF_COORD_TRACKER_ROUTE},
					       {"best", MF_COORD_TRACKER_BEST},
					       {"coords", MF_COORD_TRACKER_COORDS},
					       {NULL, 0}};

/* PCT,MS[,SECONDS]: n non-negative numbers separated by commas. */
static int numbers(const char *v, double *out, size_t n)
{
	const char *p = v;
	for (size_t i = 0; i < n; i++) {
		char *end;
		errno = 0;
		out[i] = strtod(p, &end);
		if (end == p || errno != 0 || !(out[i] >= 0) || *end != (i + 1 < n ? ',' : '\0'))
			return -1;
		p = end + 1;
	}
	return 0;
}

static int set_hysteresis(struct mf_sim_args *a, const char *name, const char *v)
{
	(void)name;
	double d[2];
	if (numbers(v, d, 2) != 0)
		return -1;
	a->hyst_pct = d[0];
	a->hyst_ms = d[1];
	return 0;
}

static int set_settle(struct mf_sim_args *a, const char *name, const char *v)
{
	(void)name;
	return numbers(v, a->settle, 3);
}

static int set_serf_nodes(struct mf_sim_args *a, const char *name, const char *v)
{
	(void)name;
	const char *q = v;
	for (;;) {
		char *e;
		unsigned long node = strtoul(q, &e, 10);
		if (e == q || a->n_serf == MF_SIM_MAX_SERF || (*e != ',' && *e != '\0'))
			return -1;
		a->serf_nodes[a->n_serf++] = node;
		if (*e == '\0')
			return 0;
		q = e + 1;
	}
}

static int set_step(struct mf_sim_args *a, const char *name, const char *v)
{
	char opt[32], err[256];
	snprintf(opt, sizeof(opt), "-%s", name);
	if (mf_sim_schedule_add(&a->sched, opt, v, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshfed-sim: %s\n", err);
		return -2; /* said what is wrong already */
	}
	return 0;
}

/* OPT: a field set by kind; NUM: a number within [lo, hi] (hi excluded
 * when open); CHOICE: one of a list of names; CUSTOM: set by a function. */
#define OPT(name, arg, kind, field, help) \
	{{name, arg, help}, kind, F(field), 0, 0, false, NULL, NULL, 0}
#define NUM(name, arg, kind, field, lo, hi, open, help) \
	{{name, arg, help}, kind, F(field), lo, hi, open, NULL, NULL, 0}
#define CHOICE(name, arg, field, list, help) \
	{{name, arg, help}, K_CHOICE, F(field), 0, 0, false, NULL, list, \
	 sizeof(((struct mf_sim_args *)0)->field)}
#define CUSTOM(name, arg, fn, help) {{name, arg, help}, K_CUSTOM, 0, 0, 0, false, fn, NULL, 0}

static const struct sim_opt opts[] = {
	OPT("matrix", "FILE.csv", K_STR, matrix,
	    "RTT matrix (ms), one member per row"),
	OPT("topology", "FILE.json", K_STR, topology,
	    "DCs, servers and pools (docs/topology.md)"),
	OPT("n", "N", K_SIZE, n,
	    "N members at -delay ms from each other"),
	NUM("delay", "MS", K_DOUBLE, delay_ms, -INFINITY, INFINITY, false,
	    "one-way delay between -n members (default 1)"),
	NUM("rounds", "R", K_INT, rounds, 1, 1e9, false,
	    "probe intervals to run (default 100)"),
	CUSTOM("profile", "wan|lan|local", set_profile,
	       "memberlist timing profile (default wan)"),
	NUM("noise", "F", K_DOUBLE, noise, 0, 1, true,
	    "measured RTT times U[1-F, 1+F], 0 <= F < 1"),
	NUM("loss", "F", K_DOUBLE, loss, 0, 1, false,
	    "datagrams lost, 0..1"),
	NUM("stream-loss", "F", K_DOUBLE, stream_loss, 0, 1, false,
	    "TCP streams that fail, 0..1"),
	OPT("slow", "K", K_SIZE, slow,
	    "the last K members stall, as if starved of CPU"),
	NUM("slow-stall", "MS", K_DOUBLE, slow_stall_ms, 1, 1e7, false,
	    "-slow: stall length (default 1000)"),
	NUM("slow-period", "MS", K_DOUBLE, slow_period_ms, 1, 1e7, false,
	    "-slow: one stall per period (default 2000)"),
	NUM("slow-lag", "MS", K_DOUBLE, slow_lag_ms, 0, 1e7, false,
	    "-slow: no stalls; messages handled MS late"),
	OPT("seed", "S", K_U64, seed,
	    "random seed (default 1)"),
	CHOICE("format", "table|json", json, formats,
	       "output format (default table)"),
	OPT("plot", "FILE.png", K_STR, plot,
	    "plot the coordinate error with gnuplot"),
	CUSTOM("kill", "K@ROUND", set_step,
	       "kill member K at ROUND (repeatable)"),
	CUSTOM("join", "K@ROUND", set_step,
	       "start member K at ROUND (repeatable)"),
	CUSTOM("partition", "G1/G2[/...]@ROUND", set_step,
	       "split the network into groups at ROUND"),
	CUSTOM("heal", "ROUND", set_step,
	       "end the partition at ROUND"),
	NUM("every", "K", K_INT, every, 1, 1e9, false,
	    "report every K-th round"),
	CHOICE("coords", "fit|serf", mode, coord_modes,
	       "coordinate client (default fit)"),
	OPT("dc-embed", "on|off", K_OFF, no_dc_embed,
	    "solve a small federation's DC matrix whole (default on)"),
	NUM("fit-rtt-power", "P", K_DOUBLE, rtt_power, 0, INFINITY, false,
	    "fit: weight samples by RTT^-P (>= 0)"),
	NUM("fit-rtt-floor", "F", K_DOUBLE, rtt_floor, 0, 1, false,
	    "fit: RTT weight floor, 0..1"),
	NUM("fit-robust-delta", "D", K_DOUBLE, robust_delta, 0, INFINITY, false,
	    "fit: pseudo-Huber delta (>= 0)"),
	CUSTOM("serf-nodes", "K,...", set_serf_nodes,
	       "members that run serf's coordinate client"),
	OPT("serf-glue", "on|off", K_OFF, no_serf,
	    "serf's intents and tags on every pool (default on)"),
	OPT("lifeguard", "on|off", K_OFF, no_lifeguard,
	    "Lifeguard's health awareness and suspicion (default on)"),
	OPT("progress", NULL, K_TRUE, progress,
	    "a line on stderr per simulated second (-routes: per round): CPU s, peak RSS, queue; serf check, detection so far"),
	OPT("routes", NULL, K_TRUE, routes,
	    "routing tables of a -topology (cmd/sim/routes.h)"),
	NUM("stable", "K", K_INT, stable, 1, 1e9, false,
	    "-routes: unchanged rounds that mean converged"),
	NUM("cut", "ROUND", K_INT, cut, 1, 1e9, false,
	    "-routes: cut the DCs in two halves (file order) at ROUND"),
	NUM("max-wall", "S", K_DOUBLE, max_wall, 0, 1e9, false,
	    "-routes: stop after the round that passes S s of wall time"),
	OPT("tables", "on|off", K_OFF, no_tables,
	    "-routes: print the tables on stdout (default on)"),
	CHOICE("link-estimate", "route|best|coords", link_estimate, link_estimates,
	       "-routes: link distances (default route: the routing median)"),
	NUM("route-filter", "K", K_INT, route_filter, 1, MF_COORD_FILTER_MAX, false,
	    "-routes: samples per peer of the routing median (default 8)"),
	CUSTOM("hysteresis", "PCT,MS", set_hysteresis,
	       "-routes: the engine's hysteresis (>= 0)"),
	CUSTOM("settle", "PCT,MS,SECONDS", set_settle,
	       "-routes: settling of kept routes (>= 0)"),
	NUM("reach-back", "K", K_INT, reach_back, -1, 1e9, false,
	    "-routes: deltas reach back over ours queued after <= K transmits (default -1: never)"),
	NUM("nh-hold", "S", K_DOUBLE, nh_hold_s, 0, 1e9, false,
	    "-routes: a next hop, once moved, is kept S s while still a candidate (default 0: off, as the agent)"),
	NUM("feasibility", "S", K_DOUBLE, feasibility_s, 0, 1e9, false,
	    "-routes: feasibility on with a hold of S s (0: off; default the agent's)"),
	NUM("path-wait", "S", K_DOUBLE, path_wait_s, 0, 1e9, false,
	    "-routes: with feasibility, a path change below the next hop waits up to S s (default 0: at once)"),
	OPT("deltas-direct", "on|off", K_OFF, deltas_gossiped,
	    "-routes: each server's delta by one datagram to each member of its pools, paced (default on; off: gossiped)"),
	NUM("beat", "S", K_DOUBLE, beat_s, 0, 1e9, false,
	    "-routes: each DC's epoch rises, and its servers' beats go, every S s (default 0: the agent's, 15)"),
	OPT("asks", "on|off", K_OFF, no_asks,
	    "-routes: a member asks for a DC's epoch near max_age (default on; off: as before route34)"),
	NUM("loss-hold", "S", K_DOUBLE, loss_hold_s, 0, 1e9, false,
	    "-routes: with feasibility, keep a route in use turned infeasible up to S s and request its epoch at once (default 0: off)"),
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* The whole of v as a number within the option's bounds. */
static int set_number(const struct sim_opt *o, struct mf_sim_args *a, const char *v)
{
	char *end;
	void *field = (char *)a + o->off;
	errno = 0;
	if (o->kind == K_SIZE || o->kind == K_U64) {
		if (*v == '-')
			return -1;
		unsigned long long x = strtoull(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0)
			return -1;
		if (o->kind == K_SIZE)
			*(size_t *)field = (size_t)x;
		else
			*(uint64_t *)field = x;
		return 0;
	}
	double x = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(x >= o->lo) || x > o->hi ||
	    (o->hi_open && x >= o->hi))
		return -1;
	if (o->kind == K_INT) {
		if (x != floor(x))
			return -1;
		*(int *)field = (int)x;
	} else {
		*(double *)field = x;
	}
	return 0;
}

/* v's value among the option's choices, into a bool or an int-sized field. */
static int set_choice(const struct sim_opt *o, struct mf_sim_args *a, const char *v)
{
	void *field = (char *)a + o->off;
	for (const struct choice *c = o->choices; c->name; c++) {
		if (strcmp(v, c->name) != 0)
			continue;
		if (o->size == sizeof(bool))
			*(bool *)field = c->value != 0;
		else
			*(int *)field = c->value;
		return 0;
	}
	return -1;
}

static int set_opt(const struct sim_opt *o, struct mf_sim_args *a, const char *v)
{
	switch (o->kind) {
	case K_STR:
		*(const char **)((char *)a + o->off) = v;
		return 0;
	case K_TRUE:
		*(bool *)((char *)a + o->off) = true;
		return 0;
	case K_OFF:
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return -1;
		*(bool *)((char *)a + o->off) = strcmp(v, "off") == 0;
		return 0;
	case K_CHOICE:
		return set_choice(o, a, v);
	case K_CUSTOM:
		return o->set(a, o->flag.name, v);
	default:
		return set_number(o, a, v);
	}
}

int mf_sim_args_parse(int argc, char **argv, struct mf_sim_args *a)
{
	memset(a, 0, sizeof(*a));
	a->rounds = 100;
	a->delay_ms = 1.0;
	a->slow_stall_ms = 1000;
	a->slow_period_ms = 2000;
	a->profile = MF_PROFILE_WAN;
	a->seed = 1;
	a->link_estimate = MF_COORD_TRACKER_ROUTE; /* as the agent: routing/node.h */
	a->mode = MF_COORD_MODE_FIT;
	a->rtt_power = a->rtt_floor = a->robust_delta = -1;
	a->hyst_pct = a->hyst_ms = -1;
	a->settle[0] = a->settle[1] = a->settle[2] = -1;
	a->reach_back = -1;
	a->feasibility_s = -1;
	a->nh_hold_s = -1;

	struct mf_flag flags[N_OPTS];
	for (size_t i = 0; i < N_OPTS; i++)
		flags[i] = opts[i].flag;
	struct mf_flag_hit hits[256];
	const char *pos[1];
	struct mf_flags_result res = {hits, sizeof(hits) / sizeof(hits[0]), 0, pos, 0, 0};
	char err[256];
	int rc = mf_flags_parse(flags, N_OPTS, argc - 1, argv + 1, &res, err, sizeof(err));
	if (rc == MF_FLAGS_HELP)
		return 1;
	if (rc != 0) {
		fprintf(stderr, "meshfed-sim: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < res.n_hits; i++) {
		const struct sim_opt *o = &opts[res.hits[i].index];
		int r = set_opt(o, a, res.hits[i].value);
		if (r == -1)
			fprintf(stderr, "meshfed-sim: bad value for -%s: %s (wants %s)\n", o->flag.name,
				res.hits[i].value, o->flag.arg);
		if (r != 0)
			return -1;
	}
	if (a->slow > 0 && a->slow_lag_ms <= 0 && a->slow_stall_ms >= a->slow_period_ms) {
		fprintf(stderr, "meshfed-sim: -slow-stall must be shorter than -slow-period\n");
		return -1;
	}
	if (a->routes && a->topology == NULL) {
		fprintf(stderr, "meshfed-sim: -routes needs -topology\n");
		return -1;
	}
	if ((a->matrix != NULL) + (a->topology != NULL) + (a->n > 0 && a->matrix == NULL) != 1) {
		fprintf(stderr, "meshfed-sim: give one of -matrix, -topology or -n\n");
		return -1;
	}
	return 0;
}

void mf_sim_args_usage(FILE *f)
{
	fprintf(f, "usage: meshfed-sim -matrix FILE.csv | -topology FILE.json | -n N [options]\n"
		   "       meshfed-sim -topology FILE.json -routes [options]\n\noptions:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "-%s%s%s", opts[i].flag.name, opts[i].flag.arg ? " " : "",
			 opts[i].flag.arg ? opts[i].flag.arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].flag.help);
	}
}

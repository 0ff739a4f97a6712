/*
 * cmd/sim/main.c — meshfed-sim: N gossip pools with network coordinates in
 * virtual time, the same protocol and coordinate code as the agent (pool +
 * coord/tracker); only the clock and the sockets are replaced.
 *
 *   meshfed-sim -matrix FILE.csv | -topology FILE.json | -n N [-delay MS]
 *               [-rounds R] [-profile wan|lan|local] [-noise F] [-loss F]
 *               [-seed S] [-format table|json] [-plot FILE.png]
 *               [-kill K@ROUND ...] [-join K@ROUND ...]
 *               [-partition G1/G2[/...]@ROUND ...] [-heal ROUND ...]
 *               [-every K] [-coords fit|serf] [-dc-embed on|off]
 *               [-fit-rtt-power P] [-fit-rtt-floor F] [-fit-robust-delta D]
 *               [-serf-nodes K,...]
 *               [-serf-glue on|off] [-lifeguard on|off] [-stream-loss F]
 *               [-slow K [-slow-stall MS] [-slow-period MS] [-slow-lag MS]]
 *   meshfed-sim -topology FILE.json -routes [-stable K] [-cut ROUND]
 *               [-link-estimate route|best|coords] [-route-filter K]
 *               [-hysteresis PCT,MS] [-deltas-direct on|off] [-rounds R] ...
 *
 * A round is one probe interval of the profile (wan 5 s, lan 1 s): every
 * pool probes one member per round, so a tracker gets at most one RTT sample
 * per round, as in serf's phantom.go. Round r spans virtual time
 * [(r-1) P, r P); results are recorded at its end. Pools join one after the
 * other (each to a random earlier one, 10 ms apart) from t = 0; the
 * scenario's kills, joins, partitions and heals (cmd/sim/schedule.h) take
 * effect at the start of their round. Noise multiplies each measured
 * RTT by U[1-F, 1+F] before the tracker sees it; loss drops datagrams.
 * Reported rounds: every round up to 100 rounds, else every 10th, or every
 * K-th with -every K; rounds 1, 10, 50, 100, 200, 500 and the last are
 * always reported. Details: docs/simulator.md.
 *
 * Layout: simnet.c (the network), coords.c (trackers and their error),
 * report.c (metrics and output), plot.c (gnuplot), matrix.c (RTT CSV),
 * schedule.c (the scenario),
 * topo.c (topology file -> member matrix), routes.c (-routes: the routing
 * tables of a topology), args.c (the option table), this file (the
 * scenario).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cmd/sim/args.h"
#include "cmd/sim/coords.h"
#include "cmd/sim/matrix.h"
#include "cmd/sim/plot.h"
#include "cmd/sim/report.h"
#include "cmd/sim/routes.h"
#include "cmd/sim/schedule.h"
#include "cmd/sim/serf.h"
#include "cmd/sim/simnet.h"
#include "cmd/sim/topo.h"
#include "gossip/rng.h"

/* What the simnet hooks need. */
struct sim {
	struct mf_sim_report rep;
	struct mf_sim_coords coords;
	struct mf_sim_serf serf; /* empty (n 0) with -serf-glue off */
	bool no_lifeguard;
};

static void configure(void *ctx, size_t i, struct mf_pool_config *c)
{
	struct sim *s = ctx;
	if (s->no_lifeguard) {
		/* Lifeguard's local health awareness (probe timeouts scaled by
		 * missed nacks) and dynamic suspicion (a long timeout shortened
		 * by confirmations) off: SWIM's fixed suspicion timeout. The
		 * buddy system (a suspect told with the probe) stays. */
		c->timing.awareness_max_multiplier = 1;
		c->timing.suspicion_max_timeout_mult = 1;
	}
	mf_sim_coords_configure(&s->coords, i, c);
	mf_sim_serf_configure(&s->serf, i, c);
}

/* -progress: how far a long run got, were it stopped (stderr is unbuffered),
 * with the up pools' queued broadcasts (membership + user), mean and
 * largest: the join storm's backlog, most of the memory past 1,000; its
 * two parts, means over the up pools; and with `serf` (every 10th round
 * past the joins, the glue on) the serf check's missing and stale pairs
 * so far and the check's own CPU (in the line's total), so a run shows
 * how fast the storm's backlog and push-pull close them; with `rep`, each
 * killed node's detection so far (the summary's figures, there only at
 * the end). */
static void progress(struct mf_simnet *net, const struct mf_sim_report *rep,
		     const struct mf_sim_serf *serf, size_t k, const char *what, clock_t t0)
{
	struct rusage ru;
	double gb = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / (1024.0 * 1024.0) : -1;
	size_t up = 0, sum = 0, max = 0, sum_m = 0, sum_u = 0;
	for (size_t i = 0; i < mf_simnet_size(net); i++) {
		size_t m, u;
		mf_pool_t *p = mf_simnet_pool(net, i);
		if (p == NULL || !mf_simnet_is_up(net, i))
			continue;
		mf_pool_broadcast_depth(p, &m, &u);
		up++;
		sum += m + u;
		sum_m += m;
		sum_u += u;
		max = m + u > max ? m + u : max;
	}
	double per = up ? 1.0 / (double)up : 0.0;
	fprintf(stderr,
		"# progress %s %zu: %.1f s CPU, peak RSS %.2f GB, queued %.0f (max %zu; "
		"membership %.0f, user %.0f)",
		what, k, (double)(clock() - t0) / CLOCKS_PER_SEC, gb, (double)sum * per, max,
		(double)sum_m * per, (double)sum_u * per);
	if (serf != NULL && serf->n > 0) {
		struct mf_sim_serf_check sc;
		clock_t c0 = clock();
		mf_sim_serf_check(serf, net, &sc);
		fprintf(stderr, "; serf %llu missing, %llu stale of %llu pairs (check %.1f s CPU)",
			(unsigned long long)sc.missing, (unsigned long long)sc.stale,
			(unsigned long long)sc.pairs, (double)(clock() - c0) / CLOCKS_PER_SEC);
	}
	for (size_t j = 0; rep != NULL && j < rep->n; j++)
		if (rep->killed[j] && rep->first_failed[j] >= 0)
			fprintf(stderr, "; n%03zu killed at %.1f s: first declared failed at %.3f s, "
				"latest so far at %.3f s", j, rep->killed_at[j], rep->first_failed[j],
				rep->last_failed[j]);
	fputc('\n', stderr);
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct sim *s = ctx;
	mf_sim_report_event(&s->rep, i, now, ev);
	mf_sim_coords_event(&s->coords, i, ev);
	mf_sim_serf_event(&s->serf, i, ev);
}

static int after_drain(void *ctx, size_t i, mf_pool_t *p, mf_time_t now)
{
	struct sim *s = ctx;
	return mf_sim_serf_flush(&s->serf, i, p, now);
}

static bool reported(const struct mf_sim_args *a, int round)
{
	int every = a->every > 0 ? a->every : a->rounds <= 100 ? 1 : 10;
	return round % every == 0 || round == 1 || round == 10 || round == 50 || round == 100 ||
	       round == 200 || round == 500 || round == a->rounds;
}

static const char *profile_name(enum mf_profile p)
{
	return p == MF_PROFILE_WAN ? "wan" : p == MF_PROFILE_LAN ? "lan" : "local";
}

/* Loads the network the arguments name into w (delays, loss, DCs). */
static int load_world(const struct mf_sim_args *a, struct mf_sim_world *w)
{
	memset(w, 0, sizeof(*w));
	if (a->matrix != NULL) {
		int rc = mf_sim_matrix_load(a->matrix, a->n, &w->delay_ms, &w->n);
		if (rc != 0)
			fprintf(stderr, "meshfed-sim: %s: %s\n", a->matrix,
				rc == MF_EINVAL ? "not a square matrix of RTTs in ms" : mf_strerror(rc));
		return rc;
	}
	if (a->topology != NULL) {
		struct mf_topology t;
		char err[256] = "";
		int rc = mf_topology_load_file(a->topology, &t, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "meshfed-sim: %s\n", err);
			return rc;
		}
		rc = mf_sim_topology_expand(&t, w);
		if (rc != 0)
			fprintf(stderr, "meshfed-sim: %s: %s\n", a->topology,
				rc == MF_EINVAL ? "no servers" : mf_strerror(rc));
		mf_topology_free(&t);
		return rc;
	}
	/* -n: one delay between any two (no n*n matrix: 800 MB at 10,000) */
	w->n = a->n;
	return 0;
}

/* A join target: the first up node of [0, limit) other than `self`,
 * starting at the random `from` and wrapping, or -1 if none is up. Every
 * node is up at the start unless a late joiner, so `from` itself is the
 * answer then. */
static long up_node_from(const struct mf_simnet *net, size_t limit, uint32_t from, size_t self)
{
	for (size_t k = 0; k < limit; k++) {
		size_t j = (from + k) % limit;
		if (j != self && mf_simnet_is_up(net, j))
			return (long)j;
	}
	return -1;
}

/* One step of the scenario (cmd/sim/schedule.h), at the current time;
 * fails only when a restarted pool cannot be created or join. */
static int run_step(struct mf_simnet *net, struct mf_sim_report *rep, struct mf_rng *rng,
		     const struct mf_sim_step *st)
{
	size_t n = mf_simnet_size(net);
	switch (st->kind) {
	case MF_SIM_STEP_KILL:
		mf_simnet_kill(net, st->node);
		mf_sim_report_killed(rep, st->node, mf_simnet_now(net));
		break;
	case MF_SIM_STEP_JOIN: {
		/* a random up node other than itself, as an operator's -join */
		long seed = up_node_from(net, n, mf_rng_below(rng, (uint32_t)n), st->node);
		int rc = mf_simnet_restart(net, st->node, seed >= 0 ? (size_t)seed : st->node);
		if (rc != 0)
			return rc;
		mf_sim_report_revived(rep, st->node);
		break;
	}
	case MF_SIM_STEP_PARTITION:
		for (size_t i = 0; i < n; i++)
			mf_simnet_set_group(net, i, st->group[i]);
		break;
	case MF_SIM_STEP_HEAL:
		mf_simnet_heal(net);
		break;
	}
	return 0;
}

/* -routes: the topology's routing tables (cmd/sim/routes.h). */
/* The coordinate config the flags give (-mode, -fit-*, -route-filter). */
static void coord_config(const struct mf_sim_args *a, struct mf_coord_config *c)
{
	mf_coord_config_default(c);
	c->mode = a->mode;
	if (a->rtt_power >= 0)
		c->fit_rtt_power = a->rtt_power;
	if (a->rtt_floor >= 0)
		c->fit_rtt_floor = a->rtt_floor;
	if (a->robust_delta >= 0)
		c->fit_robust_delta = a->robust_delta;
	if (a->route_filter > 0)
		c->route_filter_size = (unsigned)a->route_filter;
}

static int run_routes(const struct mf_sim_args *a)
{
	struct mf_sim_routes_args r = {
		.topology = a->topology,
		.rounds = a->rounds,
		.stable = a->stable > 0 ? a->stable : 20,
		.cut = a->cut,
		.max_wall_s = a->max_wall,
		.no_tables = a->no_tables,
		.progress = a->progress,
		.profile = a->profile,
		.noise = a->noise,
		.loss = a->loss,
		.seed = a->seed,
		.link_estimate = (enum mf_coord_tracker_kind)a->link_estimate,
		.hysteresis_pct = a->hyst_pct,
		.hysteresis_ms = a->hyst_ms,
		.settle_pct = a->settle[0],
		.settle_ms = a->settle[1],
		.settle_s = a->settle[2],
		.reach_back = a->reach_back,
		.feasibility_s = a->feasibility_s,
		.nh_hold_s = a->nh_hold_s,
		.path_wait_s = a->path_wait_s,
		.loss_hold_s = a->loss_hold_s,
		.beat_s = a->beat_s,
		.no_asks = a->no_asks,
		.deltas_gossiped = a->deltas_gossiped,
	};
	coord_config(a, &r.coords);
	return mf_sim_routes_run(&r, stdout, stderr);
}

/*
 * N pools of N members are gigabytes touched at random (member slots by
 * name id, records, queue nodes, interned blobs): with 4 KB pages nearly
 * every access misses the TLB too. glibc backs its heap with transparent
 * huge pages only when asked before the process starts
 * (glibc.malloc.hugetlb=1; the kernel's THP mode here is `madvise`), so
 * the simulator re-executes itself once with that tunable: -12 % CPU at
 * 1,000 members in a pair, output unchanged (docs/simulator.md, "Speed
 * and memory toward 10,000 members"). A GLIBC_TUNABLES already set is
 * left alone (the caller's choice), and a failed exec just runs on as it
 * is.
 */
static void huge_pages_reexec(char **argv)
{
	if (getenv("GLIBC_TUNABLES") != NULL)
		return;
	if (setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 0) != 0)
		return;
	execv("/proc/self/exe", argv);
	unsetenv("GLIBC_TUNABLES");
}

int main(int argc, char **argv)
{
	struct mf_sim_args a;
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	struct mf_sim_world w;
	struct mf_coord_config ccfg;
	struct mf_pool_timing timing;
	struct mf_rng rng;
	struct sim s;
	double *rtt_s = NULL;
	size_t n;
	int rc, status = 1;

	huge_pages_reexec(argv);
	memset(&s, 0, sizeof(s));
	memset(&w, 0, sizeof(w));
	/* From here on every exit goes through `out`, which frees all of it. */
	rc = mf_sim_args_parse(argc, argv, &a);
	if (rc != 0) {
		if (rc == 1)
			mf_sim_args_usage(stdout);
		else
			fprintf(stderr, "meshfed-sim: -h lists the options\n");
		status = rc == 1 ? 0 : 2;
		goto out;
	}
	if (a.routes) {
		if (a.sched.n == 0) {
			mf_sim_schedule_free(&a.sched);
			return run_routes(&a);
		}
		fprintf(stderr, "meshfed-sim: -routes runs no scenario (-kill, -join, "
			"-partition, -heal)\n");
		status = 2;
		goto out;
	}
	if (load_world(&a, &w) != 0)
		goto out;
	n = w.n;
	status = 2; /* bad arguments, until the run starts */
	if (n < 2) {
		fprintf(stderr, "meshfed-sim: need at least 2 nodes\n");
		goto out;
	}
	char err[256];
	if (mf_sim_schedule_resolve(&a.sched, &w, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshfed-sim: %s\n", err);
		goto out;
	}
	for (size_t k = 0; k < a.n_serf; k++) {
		if (a.serf_nodes[k] >= n) {
			fprintf(stderr, "meshfed-sim: -serf-nodes %zu: only %zu nodes\n",
				a.serf_nodes[k], n);
			goto out;
		}
	}
	status = 1;
	/* The truth the estimates are scored against: the configured RTT. */
	if (w.delay_ms != NULL) {
		rtt_s = malloc(n * n * sizeof(double));
		if (rtt_s == NULL)
			goto out;
		for (size_t i = 0; i < n * n; i++)
			rtt_s[i] = w.delay_ms[i] > 0 ? 2 * w.delay_ms[i] / 1000.0 : 0;
	}

	coord_config(&a, &ccfg);
	if (a.mode == MF_COORD_MODE_SERF && ccfg.peer_table_size < n)
		ccfg.peer_table_size = (unsigned)n; /* serf's filter map is unbounded */
	s.no_lifeguard = a.no_lifeguard;
	if (mf_sim_report_init(&s.rep, n) != 0 ||
	    mf_sim_coords_init(&s.coords, n, rtt_s, &ccfg, a.noise, a.seed) != 0 ||
	    (!a.no_serf && mf_sim_serf_init(&s.serf, n) != 0)) {
		fprintf(stderr, "meshfed-sim: out of memory\n");
		goto out;
	}
	s.coords.rtt_uniform_s = a.delay_ms > 0 ? 2 * a.delay_ms / 1000.0 : 0;
	for (size_t k = 0; k < a.n_serf; k++)
		mf_sim_coords_set_serf(&s.coords, a.serf_nodes[k]);
	if (w.n_dcs > 0 && mf_sim_coords_set_dcs(&s.coords, w.dc, w.n_dcs, w.dc_names,
						 w.dc_rtt_s) != 0) {
		fprintf(stderr, "meshfed-sim: out of memory\n");
		goto out;
	}
	mf_sim_coords_set_dc_embed(&s.coords, !a.no_dc_embed);
	c.n = n;
	c.delay_ms = w.delay_ms;
	c.uniform_delay_ms = a.delay_ms;
	c.pair_loss = w.loss;
	c.jitter_ms = w.jitter_ms;
	c.dc = w.dc;
	c.loss = a.loss;
	c.stream_loss = a.stream_loss;
	c.slow = a.slow;
	c.slow_stall = (mf_time_t)(a.slow_stall_ms * 1e6);
	c.slow_period = (mf_time_t)(a.slow_period_ms * 1e6);
	c.slow_lag = (mf_time_t)(a.slow_lag_ms * 1e6);
	if (c.slow_lag > 0)
		c.slow_stall = 0; /* one model at a time */
	s.rep.slow_from = a.slow < n ? n - a.slow : 0;
	c.seed = a.seed;
	c.profile = a.profile;
	c.configure = configure;
	c.on_event = on_event;
	c.after_drain = after_drain;
	c.ctx = &s;

	clock_t t0 = clock();
	if ((rc = mf_simnet_new(&c, &net)) != 0) {
		fprintf(stderr, "meshfed-sim: %s\n", mf_strerror(rc));
		goto out;
	}
	s.coords.net = net;
	mf_pool_timing_profile(&timing, a.profile);
	mf_rng_seed(&rng, a.seed ^ 0x10171ULL);
	/* Late joiners are down until their round. */
	for (size_t i = 0; i < n; i++)
		if (mf_sim_schedule_starts_down(&a.sched, i))
			mf_simnet_kill(net, i);
	for (size_t i = 1; i < n; i++) {
		mf_simnet_run_until(net, (mf_time_t)i * 10 * MF_MS);
		if (a.progress && i % 100 == 0)
			progress(net, NULL, NULL, i / 100, "joins", t0);
		if (!mf_simnet_is_up(net, i))
			continue;
		long j = up_node_from(net, i, mf_rng_below(&rng, (uint32_t)i), i);
		if (j >= 0)
			mf_simnet_join(net, i, (size_t)j);
	}
	/* The joins' end: rounds up to it are reported at once, with no time
	 * run between them, so -progress checks serf only past it. */
	mf_time_t joined = (mf_time_t)(n - 1) * 10 * MF_MS;
	/* The last coordinate scoring and the event count it saw: a reported
	 * round with no event since (the rounds within the joins, at 10,000
	 * the first 100), no scenario step and no DC pinning (which moves
	 * coordinates between rounds) scores the same state again: reused
	 * (2^20 pairs, seconds a report at 10,000). */
	struct mf_sim_coord_err ce;
	bool have = false, scored = false;
	uint64_t scored_events = 0;
	for (int r = 1; r <= a.rounds; r++) {
		bool stepped = false;
		for (size_t k = 0; k < a.sched.n; k++) {
			if (a.sched.steps[k].round == r) {
				stepped = true;
				mf_simnet_run_until(net, (mf_time_t)(r - 1) * timing.probe_interval);
				if ((rc = run_step(net, &s.rep, &rng, &a.sched.steps[k])) != 0) {
					fprintf(stderr, "meshfed-sim: -join %zu: %s\n",
						a.sched.steps[k].node, mf_strerror(rc));
					goto out;
				}
			}
		}
		mf_simnet_run_until(net, (mf_time_t)r * timing.probe_interval);
		if (a.progress)
			progress(net, &s.rep,
				 r % 10 == 0 && (mf_time_t)r * timing.probe_interval > joined ?
					 &s.serf : NULL,
				 (size_t)r, "round", t0);
		mf_sim_coords_round(&s.coords, net);
		if (!reported(&a, r))
			continue;
		struct mf_simnet_stats now_st;
		mf_simnet_get_stats(net, &now_st);
		if (!scored || stepped || now_st.events != scored_events || s.coords.n_dcs >= 2) {
			have = mf_sim_coords_eval(&s.coords, net, &ce) == 0;
			scored = true;
			scored_events = now_st.events;
		}
		if ((rc = mf_sim_report_round(&s.rep, net, r, have ? &ce : NULL)) != 0) {
			fprintf(stderr, "meshfed-sim: %s\n", mf_strerror(rc));
			goto out;
		}
	}
	double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

	struct mf_simnet_stats st;
	mf_simnet_get_stats(net, &st);
	if (a.json) {
		if (mf_sim_report_json(&s.rep, stdout) != 0)
			goto out;
	} else {
		mf_sim_report_table(&s.rep, stdout);
		mf_sim_report_summary(&s.rep, stdout);
	}
	/* Run facts: on stdout after the table, on stderr with JSON (stdout
	 * stays one JSON document). */
	fprintf(a.json ? stderr : stdout,
		"# %zu nodes, %d rounds of %s (%.0f s), noise %.2f, loss %.2f, seed %llu, coords %s: "
		"%llu events, %llu datagrams (%llu lost), %.2f s CPU\n",
		n, a.rounds, profile_name(a.profile), (double)timing.probe_interval / MF_SEC,
		a.noise, a.loss, (unsigned long long)a.seed,
		a.mode == MF_COORD_MODE_FIT ? "fit" : "serf", (unsigned long long)st.events,
		(unsigned long long)st.udp_sent, (unsigned long long)st.udp_lost, cpu_s);
	if (a.slow > 0) {
		char how[64];
		if (a.slow_lag_ms > 0)
			snprintf(how, sizeof(how), "handle messages %.0f ms late", a.slow_lag_ms);
		else
			snprintf(how, sizeof(how), "stall %.0f ms every %.0f ms", a.slow_stall_ms,
				 a.slow_period_ms);
		fprintf(a.json ? stderr : stdout,
			"# slow: %zu members (n%03zu..) %s; false detections "
			"of healthy members %llu, of slow members %llu\n",
			a.slow, n - a.slow, how,
			(unsigned long long)(s.rep.total_false - s.rep.total_false_slow),
			(unsigned long long)s.rep.total_false_slow);
	}
	if (!a.no_serf) {
		struct mf_sim_serf_check sc;
		mf_sim_serf_check(&s.serf, net, &sc);
		fprintf(a.json ? stderr : stdout,
			"# serf: %zu nodes, %llu pairs, %llu missing, %llu stale; push-pull states "
			"%llu sent, %llu merged, %llu too big; %llu queue drops, %llu decode errors; "
			"%llu queued intents pruned\n",
			sc.nodes, (unsigned long long)sc.pairs, (unsigned long long)sc.missing,
			(unsigned long long)sc.stale, (unsigned long long)sc.sent,
			(unsigned long long)sc.merged, (unsigned long long)sc.too_big,
			(unsigned long long)sc.queue_drops, (unsigned long long)sc.decode_errors,
			(unsigned long long)sc.intents_pruned);
	}
	if (a.plot != NULL) {
		char title[256];
		snprintf(title, sizeof(title), "meshfed-sim: %zu nodes, %s profile, noise %.2f", n,
			 profile_name(a.profile), a.noise);
		if (mf_sim_plot(&s.rep, a.plot, title) != 0) {
			fprintf(stderr, "meshfed-sim: -plot %s: gnuplot failed\n", a.plot);
			goto out;
		}
	}
	status = 0;
out:
	mf_sim_schedule_free(&a.sched);
	mf_sim_serf_free(&s.serf); /* before the network: its names are the network's */
	mf_simnet_free(net);
	mf_sim_coords_free(&s.coords);
	mf_sim_report_free(&s.rep);
	mf_sim_world_free(&w);
	free(rtt_s);
	return status;
}

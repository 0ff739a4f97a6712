/*
 * cmd/sim/main.c — meshfed-sim: membership of N gossip pools in virtual time.
 *
 *   meshfed-sim -matrix FILE.csv | -n N [-delay MS] [-rounds R]
 *               [-profile wan|lan|local] [-loss F] [-seed S]
 *               [-kill K@ROUND ...] [-format table|json]
 *
 * A round is one probe interval of the profile. Pools join one after the
 * other (each to a random earlier one, 10 ms apart) from t = 0; kills happen
 * at the start of the given round. The per-round report says how many up
 * pools have the right view, and how many FAILED events were detections of
 * killed nodes or false detections of live ones.
 *
 * Layout: simnet.c (the network), report.c (metrics and output), matrix.c
 * (RTT CSV), this file (arguments and the scenario loop) — so other metrics
 * (coordinates, routes) can plug in next to report.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/sim/matrix.h"
#include "cmd/sim/report.h"
#include "cmd/sim/simnet.h"
#include "gossip/rng.h"

#define MAX_KILLS 256

struct kill {
	size_t node;
	int round;
};

struct args {
	const char *matrix;
	size_t n;
	double delay_ms;
	int rounds;
	enum mf_profile profile;
	double loss;
	uint64_t seed;
	struct kill kills[MAX_KILLS];
	size_t n_kills;
	bool json;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: meshfed-sim -matrix FILE.csv | -n N [-delay MS] [-rounds R]\n"
		"                   [-profile wan|lan|local] [-loss F] [-seed S]\n"
		"                   [-kill K@ROUND ...] [-format table|json]\n");
}

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->rounds = 100;
	a->delay_ms = 1.0;
	a->profile = MF_PROFILE_WAN;
	a->seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "meshfed-sim: %s needs a value\n", k);
			return -1;
		}
		i++;
		char *end = NULL;
		if (strcmp(k, "-matrix") == 0) {
			a->matrix = v;
		} else if (strcmp(k, "-n") == 0) {
			a->n = strtoul(v, &end, 10);
		} else if (strcmp(k, "-delay") == 0) {
			a->delay_ms = strtod(v, &end);
		} else if (strcmp(k, "-rounds") == 0) {
			a->rounds = (int)strtol(v, &end, 10);
		} else if (strcmp(k, "-profile") == 0) {
			if (mf_profile_parse(v, &a->profile) != 0) {
				fprintf(stderr, "meshfed-sim: -profile: wan, lan or local\n");
				return -1;
			}
		} else if (strcmp(k, "-loss") == 0) {
			a->loss = strtod(v, &end);
			if (a->loss < 0 || a->loss > 1)
				end = NULL;
		} else if (strcmp(k, "-seed") == 0) {
			a->seed = strtoull(v, &end, 10);
		} else if (strcmp(k, "-kill") == 0) {
			unsigned long node;
			int round;
			if (a->n_kills == MAX_KILLS || sscanf(v, "%lu@%d", &node, &round) != 2) {
				fprintf(stderr, "meshfed-sim: -kill wants NODE@ROUND\n");
				return -1;
			}
			a->kills[a->n_kills].node = node;
			a->kills[a->n_kills++].round = round;
		} else if (strcmp(k, "-format") == 0) {
			if (strcmp(v, "json") == 0)
				a->json = true;
			else if (strcmp(v, "table") != 0) {
				fprintf(stderr, "meshfed-sim: -format: table or json\n");
				return -1;
			}
		} else {
			fprintf(stderr, "meshfed-sim: unknown option %s\n", k);
			return -1;
		}
		if (end != NULL && *end != '\0') {
			fprintf(stderr, "meshfed-sim: bad value for %s: %s\n", k, v);
			return -1;
		}
	}
	if (a->matrix == NULL && a->n == 0) {
		fprintf(stderr, "meshfed-sim: give -matrix or -n\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct mf_simnet_config c = { 0 };
	struct mf_simnet *net = NULL;
	struct mf_sim_report rep;
	struct mf_pool_timing timing;
	struct mf_rng rng;
	double *delay = NULL;
	size_t n;
	int rc;

	if (parse_args(argc, argv, &a) != 0) {
		usage();
		return 2;
	}
	n = a.n;
	if (a.matrix != NULL) {
		rc = mf_sim_matrix_load(a.matrix, a.n, &delay, &n);
		if (rc != 0) {
			fprintf(stderr, "meshfed-sim: %s: %s\n", a.matrix, mf_strerror(rc));
			return 1;
		}
	}
	for (size_t k = 0; k < a.n_kills; k++) {
		if (a.kills[k].node >= n) {
			fprintf(stderr, "meshfed-sim: -kill %zu: only %zu nodes\n", a.kills[k].node, n);
			return 2;
		}
	}
	if (mf_sim_report_init(&rep, n) != 0)
		return 1;
	c.n = n;
	c.delay_ms = delay;
	c.uniform_delay_ms = a.delay_ms;
	c.loss = a.loss;
	c.seed = a.seed;
	c.profile = a.profile;
	c.on_event = mf_sim_report_event;
	c.ctx = &rep;

	clock_t t0 = clock();
	if ((rc = mf_simnet_new(&c, &net)) != 0) {
		fprintf(stderr, "meshfed-sim: %s\n", mf_strerror(rc));
		return 1;
	}
	mf_pool_timing_profile(&timing, a.profile);
	mf_rng_seed(&rng, a.seed ^ 0x10171ULL);
	for (size_t i = 1; i < n; i++) {
		mf_simnet_run_until(net, (mf_time_t)i * 10 * MF_MS);
		mf_simnet_join(net, i, mf_rng_below(&rng, (uint32_t)i));
	}
	for (int r = 0; r < a.rounds; r++) {
		for (size_t k = 0; k < a.n_kills; k++) {
			if (a.kills[k].round == r) {
				mf_simnet_kill(net, a.kills[k].node);
				mf_sim_report_killed(&rep, a.kills[k].node, mf_simnet_now(net));
			}
		}
		mf_simnet_run_until(net, (mf_time_t)(r + 1) * timing.probe_interval);
		mf_sim_report_round(&rep, net, r);
	}
	double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

	struct mf_simnet_stats st;
	mf_simnet_get_stats(net, &st);
	if (a.json) {
		json_t *extra = json_pack("{s:{s:I,s:i,s:s,s:f,s:I},s:f,s:I,s:I,s:I}", "config",
			"nodes", (json_int_t)n, "rounds", a.rounds,
			"profile", a.profile == MF_PROFILE_WAN ? "wan" :
				   a.profile == MF_PROFILE_LAN ? "lan" : "local",
			"loss", a.loss, "seed", (json_int_t)a.seed, "cpu_s", cpu_s,
			"events", (json_int_t)st.events, "udp_sent", (json_int_t)st.udp_sent,
			"udp_lost", (json_int_t)st.udp_lost);
		mf_sim_report_json(&rep, extra, stdout);
		json_decref(extra);
	} else {
		mf_sim_report_table(&rep, stdout);
		printf("# %zu nodes, %d rounds, %llu events, %llu datagrams (%llu lost), %.2f s CPU\n",
		       n, a.rounds, (unsigned long long)st.events, (unsigned long long)st.udp_sent,
		       (unsigned long long)st.udp_lost, cpu_s);
	}
	mf_simnet_free(net);
	mf_sim_report_free(&rep);
	free(delay);
	return 0;
}

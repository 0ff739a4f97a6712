/*
 * tests/coord/coord_accuracy.c — the accuracy harness `coord-accuracy`.
 *
 * Runs n coordinate clients against a measured RTT matrix, the procedure of
 * serf's coordinate/phantom.go Simulate: each round, every node i draws a
 * peer j uniformly from all n nodes, skips the round if j == i, and
 * otherwise updates with j's current coordinate and the matrix RTT (times a
 * noise factor uniform in [1-F, 1+F] if --noise F). After the rounds listed
 * it prints the median and 90th percentile over all ordered pairs i != j of
 * |estimate - actual| / actual, where the estimate is the coordinate
 * distance (what any serf peer would compute), and with --measured also the
 * error of mf_coord_client_estimate (own measurement where there is one).
 * With --join R:K every K-th node restarts with a fresh client after round
 * R, and the error over pairs involving a restarted node is printed too.
 * With --round-robin each node probes its peers in an order shuffled once
 * per pass, as memberlist does, instead of at random.
 * With --mixed, odd-numbered nodes run serf mode (a pool of serf and
 * meshfed agents); medians over serf-serf and meshfed-meshfed pairs follow.
 * The last two columns check the error estimate: the median over nodes of
 * each node's median relative error, and of the error it reports.
 *
 * Not a test: the assertions on these figures live in test_coord_accuracy.c.
 *
 *   coord-accuracy MATRIX.csv [--mode serf|fit] [--noise F] [--seed S]
 *                  [--rounds 10,50,...] [--nodes K] [--measured]
 *                  [--age-power A] [--iterations I] [--table T]
 *                  [--min-samples M]
 *
 * MATRIX.csv: RTTs in milliseconds, row = source, column = destination; a
 * first row and/or column of labels is skipped. The diagonal is ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/coord/accuracy.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: coord-accuracy MATRIX.csv [--mode serf|fit] [--noise F] [--seed S]\n"
		"       [--rounds 10,50,100,200,500] [--nodes K] [--measured]\n"
		"       [--age-power A] [--iterations I] [--table T] [--fit-budget B] [--min-samples M]\n");
}

static int parse_rounds(const char *s, unsigned *r, unsigned *n)
{
	*n = 0;
	while (*s && *n < MF_ACC_ROUNDS_MAX) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0)
			return -1;
		if (*n > 0 && v <= r[*n - 1])
			return -1;
		r[(*n)++] = (unsigned)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return *n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct mf_acc_run run;
	struct mf_acc_matrix m;
	const char *path = NULL;
	unsigned nodes = 0;
	int table_set = 0;

	mf_acc_run_default(&run);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--measured") == 0) {
			run.measured = 1;
			continue;
		}
		if (strcmp(a, "--mixed") == 0) {
			run.mixed = 1;
			continue;
		}
		if (strcmp(a, "--round-robin") == 0) {
			run.round_robin = 1;
			continue;
		}
		if (a[0] != '-') {
			path = a;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (strcmp(a, "--mode") == 0) {
			if (strcmp(v, "serf") == 0)
				run.cfg.mode = MF_COORD_MODE_SERF;
			else if (strcmp(v, "fit") == 0)
				run.cfg.mode = MF_COORD_MODE_FIT;
			else {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--noise") == 0) {
			run.noise = strtod(v, NULL);
		} else if (strcmp(a, "--seed") == 0) {
			run.seed = strtoull(v, NULL, 0);
		} else if (strcmp(a, "--nodes") == 0) {
			nodes = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--rounds") == 0) {
			if (parse_rounds(v, run.rounds, &run.nrounds) < 0) {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--join") == 0) {
			if (sscanf(v, "%u:%u", &run.join_round, &run.join_every) != 2 ||
			    run.join_every == 0) {
				usage();
				return 2;
			}
		} else if (strcmp(a, "--age-power") == 0) {
			run.cfg.sample_age_power = strtod(v, NULL);
		} else if (strcmp(a, "--rtt-power") == 0) {
			run.cfg.fit_rtt_power = strtod(v, NULL);
		} else if (strcmp(a, "--rtt-floor") == 0) {
			run.cfg.fit_rtt_floor = strtod(v, NULL);
		} else if (strcmp(a, "--robust-delta") == 0) {
			run.cfg.fit_robust_delta = strtod(v, NULL);
		} else if (strcmp(a, "--filter") == 0) {
			run.cfg.latency_filter_size = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--iterations") == 0) {
			run.cfg.fit_iterations = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--table") == 0) {
			run.cfg.peer_table_size = (unsigned)strtoul(v, NULL, 10);
			table_set = 1;
		} else if (strcmp(a, "--fit-budget") == 0) {
			run.cfg.fit_budget = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--min-samples") == 0) {
			run.cfg.fit_min_samples = (unsigned)strtoul(v, NULL, 10);
		} else {
			usage();
			return 2;
		}
	}
	if (!path) {
		usage();
		return 2;
	}
	int rc = mf_acc_matrix_load(&m, path);
	if (rc < 0) {
		fprintf(stderr, "coord-accuracy: cannot load %s (%d)\n", path, rc);
		return 1;
	}
	if (nodes > 0 && nodes < m.n)
		m.n = nodes; /* leading sub-matrix; rows keep their stride */

	/* serf's latency filter map is unbounded: in serf mode remember
	 * everyone, so the filter behaves exactly like serf's. */
	if (run.cfg.mode == MF_COORD_MODE_SERF && !table_set)
		run.cfg.peer_table_size = m.n;

	struct mf_acc_result res[MF_ACC_ROUNDS_MAX];
	rc = mf_acc_run(&m, &run, res);
	if (rc < 0) {
		fprintf(stderr, "coord-accuracy: run failed (%d)\n", rc);
		mf_acc_matrix_free(&m);
		return 1;
	}
	printf("# %s nodes=%u mode=%s noise=%.3f seed=%llu\n", path, m.n,
	       run.mixed ? "mixed" : run.cfg.mode == MF_COORD_MODE_SERF ? "serf" : "fit",
	       run.noise,
	       (unsigned long long)run.seed);
	printf("# round  median    p90%s%s  node_err  reported%s\n",
	       run.measured ? "  est_median  est_p90" : "",
	       run.join_round ? "  new_median  new_p90" : "",
	       run.mixed ? "  serf_serf  fit_fit" : "");
	for (unsigned k = 0; k < run.nrounds; k++) {
		printf("%7u  %.4f  %.4f", run.rounds[k], res[k].median, res[k].p90);
		if (run.measured)
			printf("  %.4f      %.4f", res[k].est_median, res[k].est_p90);
		if (run.join_round)
			printf("  %.4f      %.4f", res[k].new_median, res[k].new_p90);
		printf("  %.4f    %.4f", res[k].err_actual, res[k].err_reported);
		if (run.mixed)
			printf("    %.4f     %.4f", res[k].serf_median, res[k].fit_median);
		printf("\n");
	}
	mf_acc_matrix_free(&m);
	return 0;
}

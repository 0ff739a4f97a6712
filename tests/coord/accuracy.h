/*
 * tests/coord/accuracy.h — the simulation behind `coord-accuracy` and the
 * accuracy unit test: n clients, one random peer per node per round (serf's
 * phantom.go Simulate), relative error over all ordered pairs.
 */
#ifndef MF_TESTS_COORD_ACCURACY_H
#define MF_TESTS_COORD_ACCURACY_H

#include <stdint.h>

#include "coord/config.h"

#define MF_ACC_ROUNDS_MAX 16

struct mf_acc_matrix {
	double *rtt;     /* seconds, rtt[i * stride + j] */
	unsigned n;      /* nodes used (leading sub-matrix) */
	unsigned stride; /* nodes in the file */
};

struct mf_acc_run {
	struct mf_coord_config cfg; /* seed is replaced per node */
	double noise;               /* F: samples x U[1-F, 1+F] */
	uint64_t seed;
	unsigned rounds[MF_ACC_ROUNDS_MAX]; /* increasing */
	unsigned nrounds;
	int measured;               /* also evaluate mf_coord_client_estimate */
	unsigned join_round;        /* after this round (0: never) ... */
	unsigned join_every;        /* ... every k-th node restarts afresh */
	int mixed;                  /* odd nodes run serf mode (a mixed pool) */
	int round_robin;            /* probe peers in shuffled round-robin
				       order (memberlist), not at random */
};

struct mf_acc_result {
	double median, p90;         /* coordinates only */
	double est_median, est_p90; /* own measurement where there is one */
	double new_median, new_p90; /* pairs with a restarted node (join) */
	/* Is the error estimate meaningful? Medians over nodes of the error
	 * each node reports and of its actual median relative error. */
	double err_reported, err_actual;
	/* --mixed: pairs of two serf-mode nodes, of two fit-mode nodes. */
	double serf_median, fit_median;
};

/* CSV in milliseconds; a non-numeric first row/column is skipped. 0 or
 * MF_EIO / MF_EMALFORMED / MF_ENOMEM. */
int mf_acc_matrix_load(struct mf_acc_matrix *m, const char *path);
void mf_acc_matrix_free(struct mf_acc_matrix *m);

/* Defaults: mf_coord_config_default, no noise, seed 1, rounds 10, 50, 100,
 * 200, 500. */
void mf_acc_run_default(struct mf_acc_run *r);

/* Runs up to the last of r->rounds; res[k] after r->rounds[k]. */
int mf_acc_run(const struct mf_acc_matrix *m, const struct mf_acc_run *r,
	       struct mf_acc_result *res);

#endif

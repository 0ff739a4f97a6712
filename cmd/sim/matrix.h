/*
 * cmd/sim/matrix.h — loads an all-pairs RTT matrix (CSV, ms) into one-way
 * delays for simnet.
 *
 * Format (shared/data/rtt/wondernetwork_222_avg_rtt_ms.csv): N lines of N
 * comma-separated RTTs in ms, row = source, column = destination. A first
 * row and/or a first column of labels (any cell that is not a number) is
 * skipped. One-way delay = RTT / 2; the diagonal is ignored (0). Contract:
 * reads the file it is given, nothing else; returns 0 or a negative enum
 * mf_err (MF_EIO unreadable, MF_EINVAL not a square matrix of numbers >= 0).
 */
#ifndef MF_SIM_MATRIX_H
#define MF_SIM_MATRIX_H

#include <stddef.h>

/* *delay_ms is malloc'd n*n; *n its side. `limit` > 0 keeps the first limit
 * nodes only. */
int mf_sim_matrix_load(const char *path, size_t limit, double **delay_ms, size_t *n);

#endif

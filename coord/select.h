/*
 * coord/select.h — the k-th smallest of an array, in linear time.
 *
 * Contract: mf_select_kth(v, n, k), k < n, reorders v[0..n) so that v[k]
 * holds the value a sort would put there, every v[i < k] <= v[k] and every
 * v[i > k] >= v[k] (Hoare's selection, median-of-three pivot). n == 0 does
 * nothing. Used for medians and quantiles of RTTs and errors, where a sort
 * would cost n log n per estimate.
 */
#ifndef MF_COORD_SELECT_H
#define MF_COORD_SELECT_H

#include <stddef.h>

void mf_select_kth(double *v, size_t n, size_t k);

#endif

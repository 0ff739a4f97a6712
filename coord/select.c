/*
 * coord/select.c — Hoare's selection. See select.h.
 */
#include "coord/select.h"

void mf_select_kth(double *v, size_t n, size_t k)
{
	if (n == 0 || k >= n)
		return;
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi];
		double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j && j < hi)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

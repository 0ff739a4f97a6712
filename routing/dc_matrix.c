/*
 * routing/dc_matrix.c — the advertised DC matrix (contract in dc_matrix.h).
 */
#include <stdbool.h>

#include "gossip/err.h"
#include "routing/dc_matrix.h"

int mf_routing_dc_matrix(const struct mf_routing *r, const char **names, size_t *k, double *rtt)
{
	size_t n = mf_routing_n_targets(r);
	const char *known[MF_DC_MATRIX_KNOWN_MAX];
	*k = 0;
	if (n > MF_DC_MATRIX_KNOWN_MAX)
		return MF_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		struct mf_route_view v;
		if (mf_routing_route_at(r, i, &v) < 0)
			return MF_ENOTFOUND; /* i < n: cannot happen */
		known[i] = v.target;
	}
	/* An advertiser is a DC with a direct route to some known DC. */
	for (size_t i = 0; i < n; i++) {
		double ms;
		bool adv = false;
		for (size_t j = 0; j < n && !adv; j++)
			adv = j != i && mf_routing_advertised_link(r, known[i], known[j], &ms) == 0;
		if (!adv)
			continue;
		if (*k == MF_COORD_DC_EMBED_MAX)
			return MF_ETOOBIG;
		names[(*k)++] = known[i];
	}
	for (size_t i = 0; i < *k; i++)
		for (size_t j = 0; j < *k; j++) {
			double ms;
			rtt[i * *k + j] = i != j && mf_routing_advertised_link(r, names[i], names[j], &ms) == 0
						  ? ms / 1000.0
						  : 0;
		}
	return 0;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/topo.h"
#include "gossip/err.h"

int mf_sim_topology_expand(const struct mf_topology *t, struct mf_sim_world *w)
{
	size_t n = 0, k = 0;
	bool any_loss = false;

	memset(w, 0, sizeof(*w));
	for (size_t d = 0; d < t->n_dcs; d++)
		n += t->dcs[d].servers;
	if (n == 0)
		return MF_EINVAL;
	for (size_t a = 0; a < t->n_dcs; a++)
		for (size_t b = 0; b < t->n_dcs; b++)
			any_loss |= a != b && mf_topology_loss(t, a, b) > 0;
	w->n = n;
	w->jitter_ms = t->jitter_ms;
	w->delay_ms = calloc(n * n, sizeof(*w->delay_ms));
	w->dc = calloc(n, sizeof(*w->dc));
	w->label = calloc(n, sizeof(*w->label));
	w->loss = any_loss ? calloc(n * n, sizeof(*w->loss)) : NULL;
	w->n_dcs = t->n_dcs;
	w->dc_name = calloc(t->n_dcs, sizeof(*w->dc_name));
	w->dc_names = calloc(t->n_dcs, sizeof(*w->dc_names));
	w->dc_rtt_s = calloc(t->n_dcs * t->n_dcs, sizeof(*w->dc_rtt_s));
	if (!w->delay_ms || !w->dc || !w->label || (any_loss && !w->loss) || !w->dc_name ||
	    !w->dc_names || !w->dc_rtt_s) {
		mf_sim_world_free(w);
		return MF_ENOMEM;
	}
	for (size_t a = 0; a < t->n_dcs; a++) {
		memcpy(w->dc_name[a], t->dcs[a].name, MF_TOPOLOGY_NAME_MAX);
		w->dc_names[a] = w->dc_name[a];
		for (size_t b = 0; b < t->n_dcs; b++)
			w->dc_rtt_s[a * t->n_dcs + b] =
				a != b && mf_topology_linked(t, a, b) ? mf_topology_rtt(t, a, b) / 1000.0 : 0;
	}
	for (size_t d = 0; d < t->n_dcs; d++)
		for (unsigned s = 1; s <= t->dcs[d].servers; s++, k++) {
			w->dc[k] = (int)d;
			snprintf(w->label[k], sizeof(w->label[k]), "%s-s%u", t->dcs[d].name, s);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			size_t a = (size_t)w->dc[i], b = (size_t)w->dc[j];
			double *d = &w->delay_ms[i * n + j];
			if (i == j)
				*d = 0;
			else if (a == b)
				*d = t->intra_dc_rtt_ms / 2;
			else
				*d = mf_topology_linked(t, a, b) ? mf_topology_rtt(t, a, b) / 2 : -1;
			if (w->loss != NULL && a != b)
				w->loss[i * n + j] = mf_topology_loss(t, a, b);
		}
	return 0;
}

void mf_sim_world_free(struct mf_sim_world *w)
{
	free(w->delay_ms);
	free(w->loss);
	free(w->dc);
	free(w->label);
	free(w->dc_name);
	free(w->dc_names);
	free(w->dc_rtt_s);
	memset(w, 0, sizeof(*w));
}

#include "tests/routing/fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include "gossip/err.h"

static bool share_area(const struct mf_topology *t, size_t a, size_t b)
{
	if (t->n_areas == 0)
		return true; /* one WAN pool of all servers */
	for (size_t i = 0; i < t->n_areas; i++) {
		bool ha = false, hb = false;
		for (size_t k = 0; k < t->areas[i].n_dcs; k++) {
			ha |= t->areas[i].dcs[k] == a;
			hb |= t->areas[i].dcs[k] == b;
		}
		if (ha && hb)
			return true;
	}
	return false;
}

int fixture_load(const char *file, const struct mf_routing_config *cfg, struct sim *s)
{
	char path[512], err[256];
	struct mf_topology t;
	snprintf(path, sizeof path, "%s/%s", MF_ROUTING_FIXTURES, file);
	int rc = mf_topology_load_file(path, &t, err, sizeof err);
	if (rc < 0) {
		printf("\n  %s: %s", path, err);
		return rc;
	}
	struct mf_routing_config c;
	if (cfg)
		c = *cfg;
	else
		mf_routing_config_default(&c);
	c.default_mode = t.default_route == MF_TOPOLOGY_SINGLE_HOP ? MF_MODE_SINGLE_HOP : MF_MODE_MULTI_HOP;
	const char **names = calloc(t.n_dcs, sizeof *names);
	bool *transit = calloc(t.n_dcs, sizeof *transit);
	rc = names && transit ? 0 : MF_ENOMEM;
	for (size_t i = 0; rc == 0 && i < t.n_dcs; i++) {
		names[i] = t.dcs[i].name;
		transit[i] = t.dcs[i].transit;
	}
	if (rc == 0)
		rc = sim_init(s, t.n_dcs, names, &c, transit);
	for (size_t a = 0; rc == 0 && a < t.n_dcs; a++)
		for (size_t b = 0; rc == 0 && b < t.n_dcs; b++) {
			if (a == b)
				continue;
			if ((t.dcs[b].route == MF_TOPOLOGY_SINGLE_HOP) != (t.default_route == MF_TOPOLOGY_SINGLE_HOP))
				rc = mf_routing_set_mode(s->eng[a], t.dcs[b].name,
							 t.dcs[b].route == MF_TOPOLOGY_SINGLE_HOP ? MF_MODE_SINGLE_HOP
												  : MF_MODE_MULTI_HOP);
			bool conf = share_area(&t, a, b);
			double rtt = mf_topology_rtt(&t, a, b);
			if (rc == 0 && conf)
				rc = sim_link(s, a, b, true, rtt >= 0, rtt >= 0 ? rtt : 0);
		}
	free(names);
	free(transit);
	mf_topology_free(&t);
	return rc;
}

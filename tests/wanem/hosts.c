#include "tests/wanem/hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

int mf_wanem_instance_check(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len >= MF_WANEM_INSTANCE_MAX)
		return MF_EINVAL;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return MF_EINVAL;
	return 0;
}

int mf_wanem_hosts_build(const struct mf_topology *t, const char *instance,
			 struct mf_wanem_host **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (mf_wanem_instance_check(instance))
		return MF_EINVAL;
	if (t->n_dcs > MF_TOPOLOGY_WANEM_DC_MAX)
		return MF_ETOOBIG; /* no 198.18.<dc>.x address for the rest */
	size_t total = 0;
	for (size_t d = 0; d < t->n_dcs; d++)
		total += t->dcs[d].servers + t->dcs[d].gateways;
	struct mf_wanem_host *h = calloc(total ? total : 1, sizeof *h);
	if (!h)
		return MF_ENOMEM;
	size_t k = 0;
	for (size_t d = 0; d < t->n_dcs; d++) {
		const struct mf_topology_dc *dc = &t->dcs[d];
		for (unsigned kind = 0; kind < 2; kind++) {
			unsigned count = kind ? dc->gateways : dc->servers;
			for (unsigned i = 1; i <= count; i++, k++) {
				snprintf(h[k].name, sizeof h[k].name, "%s-%c%u",
					 dc->name, kind ? 'g' : 's', i);
				snprintf(h[k].netns, sizeof h[k].netns, "wn-%s-%s",
					 instance, h[k].name);
				h[k].dc = d;
				h[k].addr = (198u << 24) | (18u << 16) |
					    ((uint32_t)(d + 1) << 8) |
					    (kind ? 100u + i : i);
			}
		}
	}
	*out = h;
	*n = total;
	return 0;
}

int mf_wanem_hosts_find(const struct mf_wanem_host *h, size_t n,
			const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return (int)i;
	return MF_ENOTFOUND;
}

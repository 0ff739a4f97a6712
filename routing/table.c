#include "routing/table.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

const char *mf_route_status_name(enum mf_route_status s)
{
	switch (s) {
	case MF_ROUTE_LOCAL: return "local";
	case MF_ROUTE_DIRECT: return "direct";
	case MF_ROUTE_VIA: return "via";
	case MF_ROUTE_UNREACHABLE: return "unreachable";
	case MF_ROUTE_NO_GATEWAY: return "no-gateway";
	}
	return "?";
}

const char *mf_route_mode_name(enum mf_route_mode m)
{
	return m == MF_MODE_SINGLE_HOP ? "single-hop" : "multi-hop";
}

int mf_route_mode_parse(const char *s, enum mf_route_mode *m)
{
	if (s && strcmp(s, "multi-hop") == 0)
		*m = MF_MODE_MULTI_HOP;
	else if (s && strcmp(s, "single-hop") == 0)
		*m = MF_MODE_SINGLE_HOP;
	else
		return MF_EINVAL;
	return 0;
}

int mf_route_status_parse(const char *s, enum mf_route_status *st)
{
	static const enum mf_route_status all[] = {MF_ROUTE_LOCAL, MF_ROUTE_DIRECT, MF_ROUTE_VIA,
						   MF_ROUTE_UNREACHABLE, MF_ROUTE_NO_GATEWAY};
	for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
		if (strcmp(s, mf_route_status_name(all[i])) == 0) {
			*st = all[i];
			return 0;
		}
	return MF_EINVAL;
}

static void endpoints_free(struct mf_table_endpoint *e, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(e[k].gateway);
		free(e[k].addr);
	}
	free(e);
}

void mf_table_route_free(struct mf_table_route *r)
{
	free(r->target);
	free(r->next_hop);
	for (size_t k = 0; k < r->path_len; k++)
		free(r->path[k]);
	free(r->path);
	endpoints_free(r->endpoints, r->n_endpoints);
	for (size_t k = 0; k < r->n_alternates; k++) {
		free(r->alternates[k].next_hop);
		endpoints_free(r->alternates[k].endpoints, r->alternates[k].n_endpoints);
	}
	free(r->alternates);
	memset(r, 0, sizeof *r);
}

void mf_table_free(struct mf_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_routes; i++)
		mf_table_route_free(&t->routes[i]);
	free(t->routes);
	for (size_t i = 0; i < t->n_links; i++) {
		free(t->links[i].from);
		free(t->links[i].to);
	}
	free(t->links);
	free(t->datacenter);
	memset(t, 0, sizeof *t);
}

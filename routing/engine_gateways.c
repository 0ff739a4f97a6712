/*
 * routing/engine_gateways.c — other DCs' gateways per sending server and
 * their per-DC union (engine_internal.h; contract in engine.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/name_hash.h"
#include "routing/engine_internal.h"

/* --- gateways of other DCs ------------------------------------------------ */

static int cmp_ugw(const void *a, const void *b)
{
	const struct rt_ugw *x = a, *y = b;
	int c = strcmp(x->g->name, y->g->name);
	if (c)
		return c;
	return x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

/* Whether a route in use, or one of its alternates, goes through DC id. */
static bool in_use(const struct mf_routing *r, uint32_t id)
{
	for (uint32_t t = 0; t < r->cur.n; t++) {
		const struct rt_route *x = &r->cur.r[t];
		if (x->nh == id)
			return true;
		for (uint32_t k = 0; k < x->n_alt; k++)
			if (r->cur.alt[x->alt_off + k].nh == id)
				return true;
	}
	return false;
}

/* Rebuilds DC id's union from its servers' entries (cap_ugw suffices, so
 * this never fails). mf_routing_table reads the union live, so a change
 * under a route in use is a new version now, not at the next recompute:
 * read in between, one version named two gateway sets, and a gateway that
 * had applied it never heard of the new one (integration_gateway saw a
 * second dc2 gateway in the agent's table under the version its gateway
 * held, and that gateway forwarded to the dead first one only). */
static void rebuild_union(struct mf_routing *r, uint32_t id)
{
	struct rt_origin *o = &r->orig[id];
	uint32_t n = 0;
	for (uint32_t s = 0; s < o->n_src; s++)
		for (size_t k = 0; k < o->src[s].n_gws; k++)
			o->ugw[n++] = (struct rt_ugw){&o->src[s].gws[k], o->src[s].seq};
	if (n > 1)
		qsort(o->ugw, n, sizeof *o->ugw, cmp_ugw);
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (m == 0 || strcmp(o->ugw[m - 1].g->name, o->ugw[i].g->name) != 0)
			o->ugw[m++] = o->ugw[i];
	o->n_ugw = m;
	if (in_use(r, id))
		r->version++;
	r->dirty = true;
	if (r->cfg.require_gateways)
		mf_rt__mark_all(r); /* a next hop or transit DC may come or go */
}

/* Takes the gateways of advertisement a (origin id o) for its sending
 * server when a is that server's newest. */
int mf_rt__take_gateways(struct mf_routing *r, uint32_t o, const struct mf_advert *a)
{
	struct rt_origin *org = &r->orig[o];
	uint32_t s = 0;
	while (s < org->n_src && strcmp(org->src[s].node, a->node) != 0)
		s++;
	bool known = s < org->n_src;
	if ((known && a->seq <= org->src[s].seq) || (!known && a->n_gateways == 0) ||
	    (!known && org->n_src >= MF_ROUTING_GATEWAY_SOURCES_MAX))
		return 0;
	if (known && mf_gateways_equal(org->src[s].gws, org->src[s].n_gws, a->gateways, a->n_gateways)) {
		org->src[s].seq = a->seq;
		return 0;
	}
	/* Everything that can fail first: the copy, room for the entry and
	 * for the union. */
	size_t total = a->n_gateways;
	for (uint32_t k = 0; k < org->n_src; k++)
		total += k == s ? 0 : org->src[k].n_gws;
	struct mf_gateway *copy = NULL;
	char *node = known ? NULL : strdup(a->node);
	int rc = !known && !node ? MF_ENOMEM : mf_gateways_copy(a->gateways, a->n_gateways, &copy);
	if (rc == 0 && !known)
		rc = mf_rt__grow((void **)&org->src, sizeof *org->src, org->n_src, org->n_src + 1);
	if (rc == 0 && total > org->cap_ugw) {
		rc = mf_rt__grow((void **)&org->ugw, sizeof *org->ugw, org->cap_ugw, total);
		if (rc == 0)
			org->cap_ugw = (uint32_t)total;
	}
	if (rc < 0) {
		free(node);
		mf_rt__gateways_free(copy, a->n_gateways);
		return rc;
	}
	if (!known) {
		org->src[s].node = node;
		org->n_src++;
	} else {
		mf_rt__gateways_free(org->src[s].gws, org->src[s].n_gws);
	}
	org->src[s].seq = a->seq;
	org->src[s].gws = copy;
	org->src[s].n_gws = a->n_gateways;
	rebuild_union(r, o);
	return 0;
}

void mf_rt__drop_gateways(struct mf_routing *r, uint32_t id)
{
	struct rt_origin *o = &r->orig[id];
	if (o->n_src == 0)
		return;
	for (uint32_t s = 0; s < o->n_src; s++)
		mf_rt__gwsrc_free(&o->src[s]);
	o->n_src = 0;
	rebuild_union(r, id);
}

int mf_routing_forget_gateways_of(struct mf_routing *r, const char *dc, const char *node)
{
	uint32_t id;
	if (!dc || !node || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	struct rt_origin *o = &r->orig[id];
	for (uint32_t s = 0; s < o->n_src; s++)
		if (strcmp(o->src[s].node, node) == 0) {
			bool had = o->src[s].n_gws > 0;
			mf_rt__gwsrc_free(&o->src[s]);
			o->src[s] = o->src[--o->n_src];
			if (had)
				rebuild_union(r, id);
			return had ? 1 : 0;
		}
	return 0;
}

size_t mf_routing_n_gateways_of(const struct mf_routing *r, const char *dc)
{
	uint32_t id;
	if (!dc || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	return r->orig[id].n_ugw;
}

/*
 * cmd/agent/agent_coords.c — control answers built from the pools' coordinate
 * trackers: `rtt` (node to node, or DC to DC) and `coords`.
 *
 * Node estimates are by coordinates only, as `serf rtt` and Consul
 * compute them, so `meshfed rtt a b` and `serf rtt a b` agree and the
 * answer is the same from either end. When several pools can answer, the
 * node estimate comes from the first (WAN first, then areas in config
 * order) and a DC estimate is the smallest over the pools, as routing uses
 * it (docs/cli.md). A DC estimate prefers measurements: from us, our own
 * RTTs where we probed; between two DCs, the direct link A-B as A (else B)
 * advertises it in its routing advertisement, the distance every route
 * table computes with, so `rtt -dc A B` never disagrees with the routes;
 * coordinates only for a pair no one measures (or with -pool).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/agent_internal.h"
#include "coord/dc_embed.h"
#include "gossip/name_hash.h"
#include "routing/dc_index.h"
#include "routing/dc_matrix.h"

static json_t *node_rtt(struct mf_agent *a, struct mf_agent_pool *only, const char *x,
			const char *y)
{
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		double s;
		if (only && ap != only)
			continue;
		if (mf_coord_tracker_rtt(&ap->tracker, x, y, &s) == 0 && isfinite(s))
			return json_pack("{s:b,s:s,s:s,s:f,s:s,s:s}", "ok", 1, "a", x, "b", y,
					 "rtt_ms", s * 1000.0, "pool", ap->name, "estimate",
					 "coordinates");
	}
	const char *missing = y;
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_coord c;
		if ((!only || a->pools[i] == only) &&
		    mf_coord_tracker_get(&a->pools[i]->tracker, y, &c) == 0)
			missing = x;
	}
	return mf_control_error("no coordinate for %s yet%s", missing,
				only ? " in that pool" : "");
}

/* The measured distance of link x-y as x (else y) advertises it, from our
 * route table's links (our own links, and our neighbours' direct routes):
 * 1 and *ms, *by when there is one, 0 when not, or an error. */
static int advertised_link(struct mf_agent *a, const char *x, const char *y, double *ms,
			   char *by, size_t by_cap)
{
	struct mf_table t;
	int found = 0;
	if (!a->rt.node)
		return 0;
	int r = mf_routing_node_table(a->rt.node, &t);
	if (r < 0)
		return r;
	for (int pass = 0; pass < 2 && !found; pass++) {
		const char *from = pass ? y : x, *to = pass ? x : y;
		for (size_t i = 0; i < t.n_links && !found; i++) {
			const struct mf_table_link *l = &t.links[i];
			if (l->usable && isfinite(l->distance_ms) && strcmp(l->from, from) == 0 &&
			    strcmp(l->to, to) == 0) {
				*ms = l->distance_ms;
				snprintf(by, by_cap, "%s", from);
				found = 1;
			}
		}
	}
	mf_table_free(&t);
	return found;
}

static json_t *dc_rtt(struct mf_agent *a, struct mf_agent_pool *only, const char *x,
		      const char *y)
{
	if (x && !only && strcmp(x, y) != 0) {
		double ms;
		char by[MF_CONFIG_DC_MAX + 1];
		int r = advertised_link(a, x, y, &ms, by, sizeof(by));
		if (r < 0)
			return mf_control_error("route table: %s", mf_strerror(r));
		char est[2 * MF_CONFIG_DC_MAX + 64];
		snprintf(est, sizeof(est), "measured link, as %s advertises it", by);
		if (r == 1)
			return json_pack("{s:b,s:s,s:s,s:f,s:s,s:s,s:s,s:s}", "ok", 1, "a", x, "b", y,
					 "rtt_ms", ms, "pool", "routing", "estimate", est, "source",
					 "advertised", "advertised_by", by);
	}
	double best = INFINITY;
	const char *pool = NULL;
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		if (only && ap != only)
			continue;
		struct mf_dc_index dcx; /* the pool's members by DC, as routing reads them */
		mf_dc_index_init(&dcx);
		(void)mf_dc_index_share_names(&dcx, &a->strs.ids); /* empty: cannot fail */
		if (mf_dc_index_sync(&dcx, ap->pool, a->cfg->node) < 0) {
			mf_dc_index_free(&dcx);
			return mf_control_error("out of memory");
		}
		const struct mf_coord_tracker_member *mem = dcx.mem;
		size_t n = dcx.n_mem;
		double s;
		int r = x ? mf_coord_tracker_dc_pair_rtt(&ap->tracker, mem, n, x, y, &s)
			  /* From us: our own measured RTTs where we probed, as the
			   * routing links take them (routing/node.h link_estimate). */
			  : mf_coord_tracker_dc_rtt(&ap->tracker, mem, n, y, MF_COORD_TRACKER_ROUTE,
						    &s);
		mf_dc_index_free(&dcx);
		if (r == 0 && isfinite(s) && s < best) {
			best = s;
			pool = ap->name;
		}
	}
	if (!pool)
		return mf_control_error("no coordinate for any alive server of %s%s%s yet", y,
					x ? " or " : "", x ? x : "");
	return json_pack("{s:b,s:s,s:s,s:f,s:s,s:s,s:s}", "ok", 1, "a", x ? x : a->cfg->dc, "b", y,
			 "rtt_ms", best * 1000.0, "pool", pool, "estimate",
			 x ? "median over server pairs" : "median over alive servers, measured where probed",
			 "source", x ? "coordinates" : "measured where probed");
}

json_t *mf_agent_rtt(struct mf_agent *a, const json_t *req)
{
	const json_t *nodes = json_object_get(req, "nodes");
	bool dc = json_is_true(json_object_get(req, "dc"));
	const char *pool = json_string_value(json_object_get(req, "pool"));
	struct mf_agent_pool *only = NULL;
	if (pool && !(only = mf_agent_find_pool(a, pool)))
		return mf_control_error("no pool named %s", pool);
	size_t n = json_array_size(nodes);
	const char *x = json_string_value(json_array_get(nodes, 0));
	const char *y = json_string_value(json_array_get(nodes, 1));
	if (!json_is_array(nodes) || n < 1 || n > 2 || !x || (n == 2 && !y))
		return mf_control_error("\"nodes\" must be an array of one or two names");
	if (dc)
		return n == 1 ? dc_rtt(a, only, NULL, x) : dc_rtt(a, only, x, y);
	return n == 1 ? node_rtt(a, only, a->cfg->node, x) : node_rtt(a, only, x, y);
}

static json_t *coord_json(const char *pool, const char *node, bool self,
			  const struct mf_coord *c)
{
	json_t *vec = json_array();
	for (unsigned i = 0; i < c->dim; i++)
		json_array_append_new(vec, json_real(c->vec[i]));
	return json_pack("{s:s,s:s,s:b,s:o,s:f,s:f,s:f}", "pool", pool, "node", node, "self",
			 self, "vec", vec, "error", c->error, "adjustment", c->adjustment,
			 "height", c->height);
}

/* The raw RTT samples the filter holds for node, oldest first. */
static json_t *samples_json(const struct mf_coord_client *c, const char *node)
{
	json_t *arr = json_array();
	for (unsigned i = 0; arr && i < c->npeers; i++) {
		const struct mf_coord_peer *p = &c->peers[i];
		if (strcmp(p->name, node) != 0)
			continue;
		unsigned size = mf_coord_config_ring(&c->cfg);
		for (unsigned k = 0; k < p->nsamples; k++) {
			unsigned at = (p->next + size - p->nsamples + k) % size;
			json_array_append_new(arr, json_real(p->samples[at] * 1e3));
		}
		break;
	}
	return arr;
}

json_t *mf_agent_coords(struct mf_agent *a, const json_t *req)
{
	const char *pool = json_string_value(json_object_get(req, "pool"));
	if (pool && !mf_agent_find_pool(a, pool))
		return mf_control_error("no pool named %s", pool);
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_pools; i++) {
		const struct mf_agent_pool *ap = a->pools[i];
		if (pool && strcmp(pool, ap->name) != 0)
			continue;
		struct mf_coord self;
		mf_coord_tracker_self(&ap->tracker, &self);
		json_array_append_new(arr, coord_json(ap->name, a->cfg->node, true, &self));
		const char **names = NULL;
		size_t n_names = 0;
		if (mf_coord_tracker_names(&ap->tracker, &names, &n_names) != 0) {
			json_decref(arr);
			return mf_control_error("out of memory");
		}
		for (size_t k = 0; k < n_names; k++) {
			const char *name = names[k];
			struct mf_coord coord;
			if (strcmp(name, a->cfg->node) == 0 ||
			    mf_coord_tracker_get(&ap->tracker, name, &coord) != 0)
				continue;
			json_t *o = coord_json(ap->name, name, false, &coord);
			/* Our own filtered RTT to it, where we probed it: what the
			 * coordinates are fitted to (`rtt -dc` and routing take the
			 * longer routing median of samples_ms). */
			double rtt;
			int measured = 0;
			if (o && mf_coord_client_estimate(&ap->tracker.client, name, NULL, &rtt,
							  &measured) == 0 && measured) {
				json_object_set_new(o, "measured_ms", json_real(rtt * 1e3));
				json_object_set_new(o, "samples_ms",
						    samples_json(&ap->tracker.client, name));
			}
			json_array_append_new(arr, o);
		}
		free(names);
	}
	return json_pack("{s:b,s:o}", "ok", 1, "coords", arr);
}

/* --- the DC-level embedding (issue 16, coord/dc_embed.h) -------------------- */

/* Solved every MF_AGENT_EMBED_TICKS routing ticks (2 s): the adverts
 * change at their own pace, and an unchanged matrix costs a scan of the
 * advertised links only. */
#define MF_AGENT_EMBED_TICKS 8

struct mf_agent_dc_embed {
	struct mf_coord_dc_embed e;
	unsigned ticks;
	/* The matrix solved before e's, for the log: which pairs moved. */
	size_t k0;
	double q0[MF_COORD_DC_EMBED_MAX * MF_COORD_DC_EMBED_MAX];
};

/* Into buf, the pairs whose (quantised) distance differs between the
 * previous matrix and e's: "dc3-dc4 67.1>67.4" for the first few, then a
 * count; "new DCs" when the DCs differ. */
static void moved_pairs(const struct mf_agent_dc_embed *d, char *buf, size_t cap)
{
	const struct mf_coord_dc_embed *e = &d->e;
	size_t n = 0, len = 0;
	buf[0] = '\0';
	if (d->k0 != e->k) {
		snprintf(buf, cap, "new DCs");
		return;
	}
	for (size_t i = 0; i < e->k; i++)
		for (size_t j = i + 1; j < e->k; j++) {
			double was = d->q0[i * e->k + j] * 1e3, now = e->q[i * e->k + j] * 1e3;
			if (was == now || n++ >= 3 || len >= cap)
				continue;
			int w = snprintf(buf + len, cap - len, "%s%s-%s %.1f>%.1f", len ? ", " : "",
					 e->names[i], e->names[j], was, now);
			len += w > 0 ? (size_t)w : 0;
		}
	if (n > 3 && len < cap)
		snprintf(buf + len, cap - len, " and %zu more", n - 3);
}

/* The WAN pool: the one pool spanning DCs (areas are the operator's). */
static struct mf_agent_pool *wan_pool(struct mf_agent *a)
{
	for (size_t i = 0; i < a->n_pools; i++)
		if (a->pools[i]->area == NULL && a->pools[i]->tracker_ok)
			return a->pools[i];
	return NULL;
}

/* Our DC's solved position from the advertised DC matrix
 * (routing/dc_matrix.h: the same on every agent holding the same adverts,
 * our own DC's row included), or MF_ENOTFOUND (a pair unmeasured, our DC
 * not advertising yet), MF_ETOOBIG (not a small federation) or an error. */
static int embed_position(struct mf_agent *a, struct mf_coord_dc_embed *e, struct mf_coord *pos)
{
	const char *names[MF_COORD_DC_EMBED_MAX];
	double rtt[MF_COORD_DC_EMBED_MAX * MF_COORD_DC_EMBED_MAX];
	size_t k;
	int r = mf_routing_dc_matrix(mf_routing_node_engine(a->rt.node), names, &k, rtt);
	if (r < 0)
		return r;
	r = mf_coord_dc_embed_update(e, names, k, rtt);
	return r < 0 ? MF_ENOTFOUND : mf_coord_dc_embed_get(e, a->cfg->dc, pos);
}

void mf_agent_coords_embed(struct mf_agent *a)
{
	struct mf_agent_pool *ap = wan_pool(a);
	struct mf_coord pos;
	if (ap == NULL || a->rt.node == NULL)
		return;
	if (a->dc_embed == NULL) {
		a->dc_embed = calloc(1, sizeof(*a->dc_embed));
		if (a->dc_embed == NULL ||
		    mf_coord_dc_embed_init(&a->dc_embed->e, &ap->tracker.client.cfg) != 0) {
			free(a->dc_embed);
			a->dc_embed = NULL;
			return;
		}
	}
	if (a->dc_embed->ticks++ % MF_AGENT_EMBED_TICKS != 0)
		return;
	uint64_t before = a->dc_embed->e.solves;
	bool was = ap->tracker.pinned;
	size_t k0 = a->dc_embed->e.k;
	double q0[MF_COORD_DC_EMBED_MAX * MF_COORD_DC_EMBED_MAX];
	memcpy(q0, a->dc_embed->e.q, k0 * k0 * sizeof(q0[0]));
	int r = embed_position(a, &a->dc_embed->e, &pos);
	if (r == 0)
		r = mf_coord_tracker_pin(&ap->tracker, &pos);
	if (r == 0) /* a new place goes out now, not at the next ack (tracker.h);
		     * a failure is counted and retried at that ack */
		(void)mf_coord_tracker_announce_to(&ap->tracker, ap->pool);
	if (r != 0) {
		if (was)
			mf_log_info(&a->log, "coordinates: DC embedding released (%s), fitting alone",
				    mf_strerror(r));
		(void)mf_coord_tracker_pin(&ap->tracker, NULL);
	} else if (!was || a->dc_embed->e.solves != before) {
		/* Solved anew only when an advert changed the matrix by a quantum
		 * (rare once settled). The fingerprint of the quantised matrix
		 * is the same on every agent that solved the same one. */
		struct mf_agent_dc_embed *d = a->dc_embed;
		const struct mf_coord_dc_embed *e = &d->e;
		char moved[160];
		uint64_t h = mf_name_hash(e->q, e->k * e->k * sizeof(e->q[0]));
		for (size_t i = 0; i < e->k; i++)
			h = mf_name_hash_more(h, e->names[i], strlen(e->names[i]) + 1);
		d->k0 = k0;
		memcpy(d->q0, q0, k0 * k0 * sizeof(q0[0]));
		moved_pairs(d, moved, sizeof(moved));
		mf_log_info(&a->log,
			    "coordinates: %zu DCs embedded (matrix %08x; %s), worst pair %.1f%%, "
			    "median %.1f%%",
			    e->k, (unsigned)(h >> 32), moved, e->worst * 100, e->median * 100);
	}
}

void mf_agent_coords_embed_free(struct mf_agent *a)
{
	if (a->dc_embed)
		mf_coord_dc_embed_free(&a->dc_embed->e);
	free(a->dc_embed);
	a->dc_embed = NULL;
}

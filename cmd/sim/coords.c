/*
 * cmd/sim/coords.c — trackers on simulated pools, and their error. See
 * coords.h for the definitions; docs/simulator.md for figures.
 *
 * The evaluation is the expensive part of a long run (n^2 estimates, three
 * sorts of n^2 values), so the caller runs it at reported rounds only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/coords.h"
#include "coord/select.h"

static size_t ack_payload(void *ctx, uint8_t *buf, size_t cap)
{
	struct mf_sim_coord_node *nd = ctx;
	return mf_coord_tracker_ack_payload(&nd->tracker, buf, cap);
}

static void on_ack(void *ctx, const char *node, const uint8_t *payload, size_t len,
		   mf_time_t rtt)
{
	struct mf_sim_coord_node *nd = ctx;
	double f = nd->owner->noise;
	if (f > 0)
		rtt = (mf_time_t)((double)rtt * (1.0 + f * (2.0 * mf_rng_unit(&nd->owner->rng) - 1.0)));
	mf_coord_tracker_on_ack(&nd->tracker, node, payload, len, rtt);
	if (nd->owner->net) /* a failure is counted, retried at the next ack */
		(void)mf_coord_tracker_announce_to(&nd->tracker, mf_simnet_pool(nd->owner->net, nd->i));
}

static void on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct mf_sim_coord_node *nd = ctx;
	mf_coord_tracker_on_user_msg(&nd->tracker, msg, len);
}

int mf_sim_coords_init(struct mf_sim_coords *c, size_t n, const double *rtt_s,
		       const struct mf_coord_config *cfg, double noise, uint64_t seed)
{
	size_t per_node = n > 0 ? n - 1 : 0;
	if (n > 0 && n * per_node > MF_SIM_EVAL_PAIRS)
		per_node = MF_SIM_EVAL_PAIRS / n;
	size_t pairs = n * per_node;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->cfg = *cfg;
	c->seed = seed;
	c->noise = noise;
	c->rtt_s = rtt_s;
	c->per_node = per_node;
	mf_rng_seed(&c->rng, seed ^ 0xc0041ULL);
	mf_intern_init(&c->names);
	c->nodes = calloc(n, sizeof(*c->nodes));
	c->now = calloc(n ? n : 1, sizeof(*c->now));
	c->err = malloc((pairs ? pairs : 1) * sizeof(double));
	c->best = malloc((pairs ? pairs : 1) * sizeof(double));
	c->view = malloc((pairs ? pairs : 1) * sizeof(double));
	if (!c->nodes || !c->now || !c->err || !c->best || !c->view) {
		mf_sim_coords_free(c);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		c->nodes[i].owner = c;
		c->nodes[i].i = i;
	}
	return 0;
}

void mf_sim_coords_free(struct mf_sim_coords *c)
{
	for (size_t i = 0; c->nodes != NULL && i < c->n; i++)
		if (c->nodes[i].ready)
			mf_coord_tracker_free(&c->nodes[i].tracker);
	mf_intern_free(&c->names);
	free(c->nodes);
	free(c->now);
	free(c->err);
	free(c->best);
	free(c->view);
	free(c->members);
	free(c->dc_err);
	free(c->dc_best);
	free(c->dc_pair_err);
	free(c->adverts);
	free(c->row);
	mf_coord_dc_embed_free(&c->embed);
	memset(c, 0, sizeof(*c));
}

int mf_sim_coords_set_dcs(struct mf_sim_coords *c, const int *dc, size_t n_dcs,
			  const char *const *dc_name, const double *dc_rtt_s)
{
	size_t cells = c->n * (n_dcs ? n_dcs : 1);
	c->members = calloc(c->n ? c->n : 1, sizeof(*c->members));
	c->dc_err = malloc(cells * sizeof(double));
	c->dc_best = malloc(cells * sizeof(double));
	c->dc_pair_err = malloc(c->n * (n_dcs * n_dcs / 2 + 1) * sizeof(double));
	c->adverts = malloc((n_dcs ? n_dcs * n_dcs : 1) * sizeof(double));
	c->row = malloc((c->n ? c->n : 1) * sizeof(double));
	if (!c->members || !c->dc_err || !c->dc_best || !c->dc_pair_err || !c->adverts ||
	    !c->row)
		return MF_ENOMEM;
	if (mf_coord_dc_embed_init(&c->embed, &c->cfg) != 0)
		return MF_EINVAL;
	c->dc = dc;
	c->n_dcs = n_dcs;
	c->dc_name = dc_name;
	c->dc_rtt_s = dc_rtt_s;
	return 0;
}

void mf_sim_coords_set_serf(struct mf_sim_coords *c, size_t i)
{
	if (i < c->n)
		c->nodes[i].serf = true;
}

void mf_sim_coords_configure(struct mf_sim_coords *c, size_t i, struct mf_pool_config *pc)
{
	struct mf_sim_coord_node *nd;
	struct mf_coord_config cfg = c->cfg;

	if (i >= c->n)
		return;
	nd = &c->nodes[i];
	if (nd->ready) /* a restart: the agent process starts afresh */
		mf_coord_tracker_free(&nd->tracker);
	nd->ready = false;
	/* each client its own seed, fixed by (seed, node, restarts) */
	cfg.seed = c->seed * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL +
		   (nd->started ? 0x94d049bb133111ebULL : 0);
	nd->started = true;
	if (nd->serf) {
		cfg.mode = MF_COORD_MODE_SERF;
		if (cfg.peer_table_size < c->n)
			cfg.peer_table_size = (unsigned)c->n; /* serf's map is unbounded */
	}
	if (mf_coord_tracker_init(&nd->tracker, pc->name, &cfg) != 0)
		return; /* runs without coordinates; the evaluation skips it */
	(void)mf_coord_tracker_share_names(&nd->tracker, &c->names); /* empty: cannot fail */
	nd->ready = true;
	pc->delegate.ctx = nd;
	pc->delegate.ack_payload = ack_payload;
	pc->delegate.on_ack = on_ack;
	pc->delegate.on_user_msg = on_user_msg;
}

void mf_sim_coords_event(struct mf_sim_coords *c, size_t i, const struct mf_pool_event *ev)
{
	if (i < c->n && c->nodes[i].ready)
		mf_coord_tracker_on_event(&c->nodes[i].tracker, ev);
}

/* The quantiles of tests/coord/accuracy.c, so figures compare: median
 * v[n/2] and p90 v[(n-1)*0.9] of the sorted values. */
static void quantiles(double *v, size_t n, double *median, double *p90)
{
	if (n == 0) {
		*median = *p90 = NAN;
		return;
	}
	size_t m = n / 2, q = (size_t)(0.9 * (double)(n - 1));
	mf_select_kth(v, n, m);
	*median = v[m];
	if (q > m) /* the p90 lies in the part above the median */
		mf_select_kth(v + m + 1, n - m - 1, q - m - 1);
	*p90 = v[q];
}

/* The member list as agent i (up, in pool p) sees it, into c->members. */
static size_t members_seen(struct mf_sim_coords *c, size_t i, mf_pool_t *p)
{
	size_t nm = 0;
	for (size_t j = 0; j < c->n; j++) {
		struct mf_member m;
		if (!c->nodes[j].ready)
			continue;
		const char *name = c->nodes[j].tracker.self;
		enum mf_member_status st = MF_MEMBER_ALIVE;
		if (j != i) {
			if (mf_pool_member_find(p, name, &m) != 0)
				continue;
			st = m.status;
		}
		c->members[nm].name = name;
		c->members[nm].dc = c->nodes[j].serf ? "serf" : c->dc_name[c->dc[j]];
		c->members[nm].status = st;
		nm++;
	}
	return nm;
}

void mf_sim_coords_set_dc_embed(struct mf_sim_coords *c, bool on)
{
	c->dc_embed_off = !on;
}

/* DC x's advert of its distance to DC y (seconds), 0 if none of its up
 * servers has an estimate. */
static double advert(struct mf_sim_coords *c, struct mf_simnet *net, size_t x, size_t y)
{
	size_t nr = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct mf_sim_coord_node *a = &c->nodes[i];
		mf_pool_t *p = mf_simnet_pool(net, i);
		double d;
		if (!a->ready || a->serf || p == NULL || (size_t)c->dc[i] != x)
			continue;
		size_t nm = members_seen(c, i, p);
		if (mf_coord_tracker_dc_rtt(&a->tracker, c->members, nm, c->dc_name[y],
					    MF_COORD_TRACKER_BEST, &d) == 0)
			c->row[nr++] = d;
	}
	if (nr == 0)
		return 0;
	mf_select_kth(c->row, nr, (nr - 1) / 2);
	return c->row[(nr - 1) / 2];
}

void mf_sim_coords_round(struct mf_sim_coords *c, struct mf_simnet *net)
{
	size_t k = c->n_dcs;
	bool pin;
	if (k < 2 || c->dc_embed_off || c->cfg.mode != MF_COORD_MODE_FIT ||
	    k > MF_COORD_DC_EMBED_MAX)
		return;
	for (size_t x = 0; x < k; x++)
		for (size_t y = 0; y < k; y++)
			c->adverts[x * k + y] = x == y ? 0 : advert(c, net, x, y);
	pin = mf_coord_dc_embed_update(&c->embed, c->dc_name, k, c->adverts) >= 0;
	for (size_t i = 0; i < c->n; i++) {
		struct mf_sim_coord_node *a = &c->nodes[i];
		struct mf_coord pos;
		if (!a->ready || a->serf)
			continue;
		if (pin && mf_coord_dc_embed_get(&c->embed, c->dc_name[c->dc[i]], &pos) == 0)
			(void)mf_coord_tracker_pin(&a->tracker, &pos);
		else
			(void)mf_coord_tracker_pin(&a->tracker, NULL);
	}
}

/* The DC error: every up member's distance to every other linked DC. */
static void eval_dcs(struct mf_sim_coords *c, struct mf_simnet *net, struct mf_sim_coord_err *out)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct mf_sim_coord_node *a = &c->nodes[i];
		mf_pool_t *p = mf_simnet_pool(net, i);
		if (!a->ready || p == NULL || a->serf)
			continue;
		size_t nm = members_seen(c, i, p);
		for (size_t b = 0; b < c->n_dcs; b++) {
			size_t from = (size_t)c->dc[i];
			double actual = c->dc_rtt_s[from * c->n_dcs + b], d;
			if (b == from || actual <= 0)
				continue;
			if (mf_coord_tracker_dc_rtt(&a->tracker, c->members, nm, c->dc_name[b],
						    MF_COORD_TRACKER_COORDS, &d) != 0)
				d = 0; /* Consul: +Inf; scored as a total miss */
			c->dc_err[k] = fabs(d - actual) / actual;
			if (mf_coord_tracker_dc_rtt(&a->tracker, c->members, nm, c->dc_name[b],
						    MF_COORD_TRACKER_BEST, &d) != 0)
				d = 0;
			c->dc_best[k] = fabs(d - actual) / actual;
			out->dc_max = fmax(out->dc_max, c->dc_err[k]);
			k++;
		}
		for (size_t x = 0; x < c->n_dcs; x++) {
			for (size_t y = x + 1; y < c->n_dcs; y++) {
				double actual = c->dc_rtt_s[x * c->n_dcs + y], d;
				if (x == (size_t)c->dc[i] || y == (size_t)c->dc[i] || actual <= 0)
					continue;
				if (mf_coord_tracker_dc_pair_rtt(&a->tracker, c->members, nm,
								 c->dc_name[x], c->dc_name[y], &d) != 0)
					d = 0;
				out->dc_pair_max = fmax(out->dc_pair_max, fabs(d - actual) / actual);
				c->dc_pair_err[out->dc_pair_pairs++] = fabs(d - actual) / actual;
			}
		}
	}
	out->dc_pairs = k;
	double p90;
	quantiles(c->dc_pair_err, out->dc_pair_pairs, &out->dc_pair_median, &p90);
	quantiles(c->dc_err, k, &out->dc_median, &out->dc_p90);
	quantiles(c->dc_best, k, &out->dc_best_median, &out->dc_best_p90);
}

int mf_sim_coords_eval(struct mf_sim_coords *c, struct mf_simnet *net, struct mf_sim_coord_err *out)
{
	size_t k = 0, nv = 0, up = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->n; i++) {
		struct mf_sim_coord_node *nd = &c->nodes[i];
		if (!nd->ready || !mf_simnet_is_up(net, i))
			continue;
		up++;
		mf_coord_tracker_self(&nd->tracker, &c->now[i]);
		out->rejected += nd->tracker.stats.rejected;
		out->bad_payload += nd->tracker.stats.bad_payload;
	}
	if (up < 2)
		return MF_EINVAL;
	for (size_t i = 0; i < c->n; i++) {
		struct mf_sim_coord_node *a = &c->nodes[i];
		if (!a->ready || !mf_simnet_is_up(net, i))
			continue;
		for (size_t s = 0; s < c->per_node; s++) {
			/* offsets 1..n-1 (all of them unless sampling): never i */
			size_t j = (i + 1 + s * (c->n - 1) / c->per_node) % c->n;
			struct mf_sim_coord_node *b = &c->nodes[j];
			double actual = c->rtt_s ? c->rtt_s[i * c->n + j] : c->rtt_uniform_s, d;
			struct mf_coord seen;
			int measured;
			if (j == i || actual <= 0 || !b->ready || !mf_simnet_is_up(net, j))
				continue;
			d = mf_coord_distance(&c->now[i], &c->now[j]);
			c->err[k] = fabs(d - actual) / actual;
			if (mf_coord_client_estimate(&a->tracker.client, b->tracker.self, &c->now[j],
						     &d, &measured) != 0)
				d = mf_coord_distance(&c->now[i], &c->now[j]);
			c->best[k] = fabs(d - actual) / actual;
			k++;
			if (mf_coord_tracker_get(&a->tracker, b->tracker.self, &seen) == 0) {
				d = mf_coord_distance(&c->now[i], &seen);
				c->view[nv++] = fabs(d - actual) / actual;
				/* `serf rtt` on a serf agent, to members beyond its DC */
				if (a->serf && actual >= 0.010) {
					out->serf_view_max =
						fmax(out->serf_view_max, fabs(d - actual) / actual);
					out->serf_pairs++;
				}
			}
		}
	}
	out->pairs = k;
	out->coverage = k ? (double)nv / (double)k : 0;
	quantiles(c->err, k, &out->median, &out->p90);
	quantiles(c->best, k, &out->best_median, &out->best_p90);
	quantiles(c->view, nv, &out->view_median, &out->view_p90);
	out->dc_median = out->dc_p90 = out->dc_best_median = out->dc_best_p90 = NAN;
	if (c->n_dcs > 0)
		eval_dcs(c, net, out);
	return 0;
}

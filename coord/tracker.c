/*
 * coord/tracker.c — pool <-> Vivaldi client glue. See tracker.h.
 *
 * The coordinate cache is coord/tracker_cache.h: a hash index over compact
 * entries, as a simulator holds N trackers of N members. Estimates compute a
 * median over at most the members passed in; the scratch array is
 * allocated per call, as DC estimates are queries, not the hot path.
 */
#include "coord/tracker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "coord/wire.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/mp.h"
#include "gossip/serf.h"

static int store(struct mf_coord_tracker *t, const char *name, const struct mf_coord *c)
{
	int rc = mf_coord_cache_put(&t->cache, name, c);
	if (rc == MF_ETOOBIG)
		t->stats.full++;
	return rc;
}

int mf_coord_tracker_init(struct mf_coord_tracker *t, const char *self,
			  const struct mf_coord_config *cfg)
{
	struct mf_coord_config def;

	memset(t, 0, sizeof(*t));
	if (self == NULL || self[0] == '\0' || strlen(self) > MF_NAME_MAX)
		return MF_EINVAL;
	memcpy(t->self, self, strlen(self) + 1);
	if (cfg == NULL) {
		mf_coord_config_default(&def);
		cfg = &def;
	}
	int rc = mf_coord_client_init(&t->client, cfg);
	if (rc == 0) /* the client refuses coordinates of other dimensions */
		mf_coord_cache_init(&t->cache, cfg->dimensionality, MF_COORD_TRACKER_MAX);
	return rc;
}

void mf_coord_tracker_free(struct mf_coord_tracker *t)
{
	mf_coord_cache_free(&t->cache);
	mf_coord_client_free(&t->client);
	memset(t, 0, sizeof(*t));
}

int mf_coord_tracker_share_names(struct mf_coord_tracker *t, struct mf_intern *strs)
{
	return mf_coord_cache_share_names(&t->cache, strs);
}

size_t mf_coord_tracker_ack_payload(void *ctx, uint8_t *buf, size_t cap)
{
	struct mf_coord_tracker *t = ctx;
	struct mf_coord c;
	size_t len = 0;

	mf_coord_client_get(&t->client, &c);
	if (mf_coord_wire_encode(&c, buf, cap, &len) != 0) {
		t->stats.encode_errors++;
		return 0;
	}
	return len;
}

/* Our coordinate to the pin, with the client's own error. */
static int apply_pin(struct mf_coord_tracker *t)
{
	struct mf_coord c = t->pin;
	c.error = t->client.coord.error;
	return mf_coord_client_set(&t->client, &c);
}

void mf_coord_tracker_on_ack(void *ctx, const char *node, const uint8_t *payload,
			     size_t len, mf_time_t rtt)
{
	struct mf_coord_tracker *t = ctx;
	struct mf_coord other;

	t->stats.acks++;
	if (len == 0) { /* serf: a peer without coordinates, silently skipped */
		t->stats.empty++;
		return;
	}
	if (node == NULL || mf_coord_wire_decode(payload, len, &other) != 0) {
		t->stats.bad_payload++;
		return;
	}
	if (mf_coord_client_update(&t->client, node, &other, (double)rtt / (double)MF_SEC,
				   NULL) != 0) {
		t->stats.rejected++;
		return;
	}
	t->stats.updates++;
	(void)store(t, node, &other); /* full or ENOMEM: counted / harmless */
	if (t->pinned)
		(void)apply_pin(t); /* valid and compatible: checked by pin */
}

int mf_coord_tracker_pin(struct mf_coord_tracker *t, const struct mf_coord *pos)
{
	if (pos == NULL) {
		t->pinned = false;
		return 0;
	}
	if (t->client.cfg.mode != MF_COORD_MODE_FIT || !mf_coord_is_valid(pos) ||
	    !mf_coord_is_compatible(&t->client.coord, pos))
		return MF_EINVAL;
	t->pin = *pos;
	t->pinned = true;
	return apply_pin(t);
}

void mf_coord_tracker_delegate(struct mf_coord_tracker *t, struct mf_pool_delegate *d)
{
	d->ctx = t;
	d->ack_payload = mf_coord_tracker_ack_payload;
	d->on_ack = mf_coord_tracker_on_ack;
	d->on_user_msg = mf_coord_tracker_on_user_msg;
}

/* --- announcements (tracker.h) -------------------------------------------- */

/* How far a coordinate moved, in seconds of RTT it can change. */
static double moved(const struct mf_coord *a, const struct mf_coord *b)
{
	return mf_coord_vec_distance(a, b) + fabs(a->height - b->height) +
	       fabs(a->adjustment - b->adjustment);
}

/* Our announcement into buf when one is due, carrying *c; 0 when not
 * due or cap is too small. Nothing marked: a caller marks (announced)
 * once it is on its way. */
static size_t build(struct mf_coord_tracker *t, uint8_t *buf, size_t cap, struct mf_coord *c)
{
	const struct mf_coord_client *cl = &t->client;
	if (cl->cfg.mode != MF_COORD_MODE_FIT || cl->stats.updates == 0)
		return 0;
	mf_coord_client_get(cl, c);
	/* A pinned coordinate moves only when its DC's embedding is solved
	 * anew, and every DC's servers move then: one left in caches at the
	 * old solution's place, even by less than the threshold, reads wrong
	 * against the others' new places (tracker.h). */
	double limit = t->pinned ? 0
				 : fmax(MF_COORD_TRACKER_ANNOUNCE_MOVE * cl->rtt_median,
					MF_COORD_TRACKER_ANNOUNCE_MOVE_MIN);
	if (t->has_announced && moved(c, &t->announced) <= limit)
		return 0;
	size_t name_len = strlen(t->self), len = 0;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_str(&pk, name_len) || msgpack_pack_str_body(&pk, t->self, name_len) ||
	    cap < 2 + sb.size ||
	    mf_coord_wire_encode(c, buf + 2 + sb.size, cap - 2 - sb.size, &len) != 0) {
		msgpack_sbuffer_destroy(&sb);
		t->stats.encode_errors++;
		return 0;
	}
	buf[0] = MF_SERF_MSG_MESHFED;
	buf[1] = MF_COORD_TRACKER_MSG_ANNOUNCE;
	memcpy(buf + 2, sb.data, sb.size);
	len += 2 + sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
}

static void announced(struct mf_coord_tracker *t, const struct mf_coord *c)
{
	t->announced = *c;
	t->has_announced = true;
	t->stats.announced++;
}

size_t mf_coord_tracker_announce(struct mf_coord_tracker *t, uint8_t *buf, size_t cap)
{
	struct mf_coord c;
	size_t n = build(t, buf, cap, &c);
	if (n > 0)
		announced(t, &c);
	return n;
}

int mf_coord_tracker_announce_to(struct mf_coord_tracker *t, mf_pool_t *pool)
{
	uint8_t buf[MF_COORD_TRACKER_ANNOUNCE_MAX];
	struct mf_coord c;
	size_t n = pool ? build(t, buf, sizeof(buf), &c) : 0;
	if (n == 0)
		return 0;
	int rc = mf_pool_broadcast_user_capped(pool, MF_COORD_TRACKER_ANNOUNCE_KEY, buf, n,
					       MF_COORD_TRACKER_ANNOUNCE_TRANSMITS);
	if (rc < 0) { /* not queued, not counted: the next call announces again */
		t->stats.announce_errors++;
		return rc;
	}
	announced(t, &c);
	return rc;
}

/* Whether announced coordinate c of node may be used (tracker.h); counts
 * a refusal by cause. */
static bool announce_plausible(struct mf_coord_tracker *t, const char *node,
			       const struct mf_coord *c)
{
	double implied, measured;
	int m = 0;
	if (mf_coord_client_distance(&t->client, c, &implied) != 0)
		return true; /* invalid: the client refuses it, counted there */
	if (!(implied <= MF_COORD_TRACKER_RTT_MAX)) {
		t->stats.announces_too_far++;
		return false;
	}
	if (mf_coord_client_estimate(&t->client, node, NULL, &measured, &m) == 0 && m &&
	    (implied > MF_COORD_TRACKER_PLAUSIBLE_FACTOR * measured + MF_COORD_TRACKER_PLAUSIBLE_SLACK ||
	     implied < measured / MF_COORD_TRACKER_PLAUSIBLE_FACTOR - MF_COORD_TRACKER_PLAUSIBLE_SLACK)) {
		t->stats.announces_implausible++;
		return false;
	}
	return true;
}

void mf_coord_tracker_on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct mf_coord_tracker *t = ctx;
	/* A serf-mode client stands for a serf agent, which drops them. */
	if (len < 2 || msg[0] != MF_SERF_MSG_MESHFED || msg[1] != MF_COORD_TRACKER_MSG_ANNOUNCE ||
	    t->client.cfg.mode != MF_COORD_MODE_FIT)
		return;
	struct mf_mp mp;
	size_t off = 0;
	char node[MF_NAME_MAX + 1];
	struct mf_coord c;
	bool ok = false;
	/* Peer bytes: only through the checked entry (gossip/mp.h). */
	if (mf_mp_unpack(msg + 2, len - 2, &mp, &off) == 0 &&
	    mp.root->type == MSGPACK_OBJECT_STR && mp.root->via.str.size > 0 &&
	    mp.root->via.str.size <= MF_NAME_MAX &&
	    !memchr(mp.root->via.str.ptr, '\0', mp.root->via.str.size)) {
		memcpy(node, mp.root->via.str.ptr, mp.root->via.str.size);
		node[mp.root->via.str.size] = '\0';
		ok = strcmp(node, t->self) != 0 &&
		     mf_coord_wire_decode(msg + 2 + off, len - 2 - off, &c) == 0;
	}
	mf_mp_done(&mp);
	/* The client checks the values; a peer we hold no samples of is still
	 * worth caching (estimates between others). */
	if (ok && !announce_plausible(t, node, &c)) {
		t->stats.bad_announces++;
		return;
	}
	int rc = ok ? mf_coord_client_observe(&t->client, node, &c) : MF_EINVAL;
	if (rc != 0 && rc != MF_ENOTFOUND) {
		t->stats.bad_announces++;
		return;
	}
	t->stats.announces_in++;
	(void)store(t, node, &c);
}

void mf_coord_tracker_on_event(struct mf_coord_tracker *t, const struct mf_pool_event *ev)
{
	if (ev->kind == MF_EV_REAPED && ev->name != NULL)
		mf_coord_tracker_forget(t, ev->name);
}

void mf_coord_tracker_forget(struct mf_coord_tracker *t, const char *node)
{
	mf_coord_client_forget(&t->client, node);
	if (mf_coord_cache_forget(&t->cache, node))
		t->stats.forgotten++;
}

void mf_coord_tracker_self(const struct mf_coord_tracker *t, struct mf_coord *out)
{
	mf_coord_client_get(&t->client, out);
}

int mf_coord_tracker_get(const struct mf_coord_tracker *t, const char *node,
			 struct mf_coord *out)
{
	if (strcmp(node, t->self) == 0) {
		mf_coord_client_get(&t->client, out);
		return 0;
	}
	return mf_coord_cache_get(&t->cache, node, out);
}

size_t mf_coord_tracker_count(const struct mf_coord_tracker *t)
{
	return t->cache.n;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mf_coord_tracker_names(const struct mf_coord_tracker *t, const char ***out, size_t *n)
{
	size_t k = t->cache.n;
	const char **v = malloc((k ? k : 1) * sizeof(*v));
	if (v == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < k; i++)
		v[i] = mf_coord_cache_at(&t->cache, i, NULL);
	qsort(v, k, sizeof(*v), cmp_name);
	*out = v;
	*n = k;
	return 0;
}

int mf_coord_tracker_rtt(const struct mf_coord_tracker *t, const char *a, const char *b,
			 double *out)
{
	struct mf_coord ca, cb;
	int rc;

	if ((rc = mf_coord_tracker_get(t, a, &ca)) != 0 ||
	    (rc = mf_coord_tracker_get(t, b, &cb)) != 0)
		return rc;
	if (!mf_coord_is_compatible(&ca, &cb))
		return MF_EINVAL;
	*out = mf_coord_distance(&ca, &cb);
	return 0;
}

static int estimate_by(const struct mf_coord_tracker *t, const char *node, bool route,
		       double *out, int *measured)
{
	struct mf_coord other;
	int m = 0, rc;

	if (strcmp(node, t->self) == 0) {
		*out = 0;
		if (measured != NULL)
			*measured = 0;
		return 0;
	}
	const struct mf_coord *o = mf_coord_tracker_get(t, node, &other) == 0 ? &other : NULL;
	rc = route ? mf_coord_client_route_estimate(&t->client, node, o, out, &m)
		   : mf_coord_client_estimate(&t->client, node, o, out, &m);
	if (measured != NULL)
		*measured = m;
	return rc;
}

int mf_coord_tracker_estimate(const struct mf_coord_tracker *t, const char *node,
			      double *out, int *measured)
{
	return estimate_by(t, node, false, out, measured);
}

int mf_coord_tracker_route_estimate(const struct mf_coord_tracker *t, const char *node,
				    double *out, int *measured)
{
	return estimate_by(t, node, true, out, measured);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n), n > 0; sorts v. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool is_alive_in(const struct mf_coord_tracker_member *m, const char *dc)
{
	return m->name != NULL && m->dc != NULL && strcmp(m->dc, dc) == 0 &&
	       (m->status == MF_MEMBER_ALIVE || m->status == MF_MEMBER_SUSPECT);
}

int mf_coord_tracker_dc_rtt(const struct mf_coord_tracker *t,
			    const struct mf_coord_tracker_member *members, size_t n,
			    const char *dc, enum mf_coord_tracker_kind kind, double *out)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;

	if (v == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct mf_coord_tracker_member *m = &members[i];
		double d;
		if (!is_alive_in(m, dc) || strcmp(m->name, t->self) == 0)
			continue;
		bool route = kind == MF_COORD_TRACKER_ROUTE;
		int rc = kind == MF_COORD_TRACKER_COORDS ? mf_coord_tracker_rtt(t, t->self, m->name, &d)
							 : estimate_by(t, m->name, route, &d, NULL);
		if (rc == 0)
			v[k++] = d;
	}
	int rc = k > 0 ? 0 : MF_ENOTFOUND;
	if (k > 0)
		*out = median(v, k);
	free(v);
	return rc;
}

int mf_coord_tracker_dc_pair_rtt(const struct mf_coord_tracker *t,
				 const struct mf_coord_tracker_member *members, size_t n,
				 const char *dc_a, const char *dc_b, double *out)
{
	size_t cap = n ? n : 1, na = 0, nb = 0, k = 0;
	struct mf_coord *ca = malloc(cap * sizeof(*ca));
	struct mf_coord *cb = malloc(cap * sizeof(*cb));
	const char **name_a = malloc(cap * sizeof(*name_a));
	const char **name_b = malloc(cap * sizeof(*name_b));
	double *v = NULL;
	int rc = MF_ENOMEM;

	if (ca == NULL || cb == NULL || name_a == NULL || name_b == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct mf_coord_tracker_member *m = &members[i];
		if (is_alive_in(m, dc_a) && mf_coord_tracker_get(t, m->name, &ca[na]) == 0)
			name_a[na++] = m->name;
		if (is_alive_in(m, dc_b) && mf_coord_tracker_get(t, m->name, &cb[nb]) == 0)
			name_b[nb++] = m->name;
	}
	if ((v = malloc((na * nb > 0 ? na * nb : 1) * sizeof(*v))) == NULL)
		goto out;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (strcmp(name_a[i], name_b[j]) != 0 &&
			    mf_coord_is_compatible(&ca[i], &cb[j]))
				v[k++] = mf_coord_distance(&ca[i], &cb[j]);
	rc = k > 0 ? 0 : MF_ENOTFOUND;
	if (k > 0)
		*out = median(v, k);
out:
	free(ca);
	free(cb);
	free(name_a);
	free(name_b);
	free(v);
	return rc;
}

const struct mf_coord_tracker_stats *mf_coord_tracker_stats(const struct mf_coord_tracker *t)
{
	return &t->stats;
}

/*
 * routing/route_proto_client.c — the subscriber side: the lines it sends and
 * the agent's messages applied to its table, all or nothing
 * (route_proto_internal.h; contract in route_proto.h).
 */
#include "routing/route_proto_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/pool.h"
#include "routing/names.h"
#include "routing/table_format.h"

static int cmp_route(const void *a, const void *b)
{
	return strcmp(((const struct mf_table_route *)a)->target, ((const struct mf_table_route *)b)->target);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* --- subscriber side ------------------------------------------------------- */

int mf_rp_encode_register(const struct mf_gateway *g, char **line, size_t *len)
{
	if (!g->name || !g->wan)
		return mf_rp__refuse(line, len);
	for (size_t i = 0; i < g->n_tags; i++)
		if (!g->tags[i].key || !g->tags[i].addr)
			return mf_rp__refuse(line, len);
	json_t *o = mf_rp__message("register"), *gw = json_object();
	bool ok = mf_rp__put(gw, "name", json_string(g->name)) && mf_rp__put(gw, "wan", json_string(g->wan)) &&
		  (!g->lan || mf_rp__put(gw, "lan", json_string(g->lan)));
	if (ok && g->n_tags) {
		json_t *tags = json_object();
		for (size_t i = 0; ok && i < g->n_tags; i++)
			ok = mf_rp__put(tags, g->tags[i].key, json_string(g->tags[i].addr));
		ok = ok ? mf_rp__put(gw, "tagged", tags) : (json_decref(tags), false);
	}
	ok = ok ? mf_rp__put(o, "gateway", gw) : (json_decref(gw), false);
	return mf_rp__finish(o, ok, line, len);
}

int mf_rp_encode_health(bool ok, char **line, size_t *len)
{
	json_t *o = mf_rp__message("health");
	return mf_rp__finish(o, mf_rp__put(o, "ok", json_boolean(ok)), line, len);
}

static int encode_ack(uint64_t version, char **line, size_t *len)
{
	json_t *o = mf_rp__message("ack");
	return mf_rp__finish(o, mf_rp__put(o, "version", mf_rp__wire_int(version)), line, len);
}

static int encode_nack(uint64_t version, const char *why, char **line, size_t *len)
{
	json_t *o = mf_rp__message("nack");
	bool ok = mf_rp__put(o, "version", mf_rp__wire_int(version)) && mf_rp__put(o, "error", json_string(why));
	return mf_rp__finish(o, ok, line, len);
}

static int encode_subscribe(bool deltas, char **line, size_t *len)
{
	json_t *o = mf_rp__message("subscribe");
	return mf_rp__finish(o, mf_rp__put(o, "deltas", json_boolean(deltas)), line, len);
}

static int encode_resume(uint64_t epoch, uint64_t version, char **line, size_t *len)
{
	json_t *o = mf_rp__message("resume");
	bool ok = mf_rp__put(o, "epoch", mf_rp__wire_int(epoch)) && mf_rp__put(o, "version", mf_rp__wire_int(version));
	return mf_rp__finish(o, ok, line, len);
}

void mf_rp_client_init(struct mf_rp_client *c)
{
	memset(c, 0, sizeof *c);
}

void mf_rp_client_free(struct mf_rp_client *c)
{
	free(c->datacenter);
	free(c->node);
	mf_table_free(&c->table);
	memset(c, 0, sizeof *c);
}

int mf_rp_client_hello_line(const struct mf_rp_client *c, bool deltas, char **line, size_t *len)
{
	char *sub = NULL, *res = NULL;
	size_t ns = 0, nr = 0;
	int rc = 0;
	*line = NULL;
	*len = 0;
	if (!c->have_table || !deltas)
		rc = encode_subscribe(deltas, &sub, &ns);
	if (rc == 0 && c->have_table)
		rc = encode_resume(c->table_epoch, c->table.version, &res, &nr);
	if (rc == 0 && !(*line = malloc(ns + nr + 1)))
		rc = MF_ENOMEM;
	if (rc == 0) {
		memcpy(*line, sub ? sub : "", ns);
		memcpy(*line + ns, res ? res : "", nr + 1);
		*len = ns + nr;
	}
	free(sub);
	free(res);
	return rc;
}

/* *detail = the formatted text (when the caller wants it). */
__attribute__((format(printf, 2, 3))) static int describe(char **detail, const char *fmt, ...)
{
	if (!detail)
		return 0;
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	*detail = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (*detail) {
		vsnprintf(*detail, (size_t)n + 1, fmt, again);
		mf_rp__printable(*detail);
	}
	va_end(again);
	va_end(ap);
	return *detail ? 0 : MF_ENOMEM;
}

/* A failure: its reason into *detail when that can be had; returns rc. */
#define FAIL(rc, ...) (describe(detail, __VA_ARGS__), (rc))

static int on_hello(struct mf_rp_client *c, const json_t *o, char **detail)
{
	json_t *p = json_object_get(o, "protocol");
	const char *dc = json_string_value(json_object_get(o, "datacenter"));
	const char *node = json_string_value(json_object_get(o, "node"));
	uint64_t epoch;
	if (!json_is_integer(p))
		return FAIL(MF_EMALFORMED, "hello: protocol: missing or not an integer");
	if (json_integer_value(p) != MF_RP_PROTOCOL) /* the caller must leave, not nack forever */
		return FAIL(MF_EINVAL, "hello: protocol %lld, this client speaks %d",
			    (long long)json_integer_value(p), MF_RP_PROTOCOL);
	if (!dc || !node)
		return FAIL(MF_EMALFORMED, "hello: %s: missing or not a string", dc ? "node" : "datacenter");
	if (mf_rp__get_u64(o, "epoch", &epoch))
		return FAIL(MF_EMALFORMED, "hello: epoch: %s", RP_U64_WHY);
	char *d = strdup(dc), *n = strdup(node);
	if (!d || !n) {
		free(d);
		free(n);
		return FAIL(MF_ENOMEM, "out of memory");
	}
	free(c->datacenter);
	free(c->node);
	c->datacenter = d;
	c->node = n;
	c->epoch = epoch;
	c->have_hello = true;
	return 0;
}

/* The checks snapshots and deltas share. 0, or 1 with the reason in why. */
__attribute__((format(printf, 3, 4))) static int reject(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	mf_rp__printable(why);
	return 1;
}

static int check_epoch(const struct mf_rp_client *c, const json_t *o, const char *type, uint64_t *epoch,
		       char *why, size_t cap)
{
	if (!c->have_hello)
		return reject(why, cap, "%s before hello", type);
	if (mf_rp__get_u64(o, "epoch", epoch))
		return reject(why, cap, "%s: epoch: %s", type, RP_U64_WHY);
	if (*epoch != c->epoch)
		return reject(why, cap, "%s: epoch %llu is not the hello's %llu", type, (unsigned long long)*epoch,
			      (unsigned long long)c->epoch);
	return 0;
}

/* Returns 0 (applied), 1 (rejected: why) or MF_ENOMEM; c changes only on 0. */
static int apply_snapshot(struct mf_rp_client *c, const json_t *o, char *why, size_t cap)
{
	uint64_t epoch, version;
	struct mf_table t;
	char buf[RP_SHOW + 4];
	int rc = check_epoch(c, o, "snapshot", &epoch, why, cap);
	if (rc)
		return rc;
	if (mf_rp__get_u64(o, "version", &version))
		return reject(why, cap, "snapshot: version: %s", RP_U64_WHY);
	if ((rc = mf_table_from_json(json_object_get(o, "table"), &t)) == MF_ENOMEM)
		return rc;
	if (rc < 0)
		return reject(why, cap, "snapshot: table: not a route table");
	if (t.version != version)
		rc = reject(why, cap, "snapshot: table.version %llu is not the message's %llu",
			    (unsigned long long)t.version, (unsigned long long)version);
	else if (strcmp(t.datacenter, c->datacenter) != 0)
		rc = reject(why, cap, "snapshot: table.datacenter \"%s\" is not the hello's",
			    mf_rp__shown(t.datacenter, buf));
	if (rc == 0 && t.n_routes > 1) /* qsort(NULL, 0) is undefined */
		qsort(t.routes, t.n_routes, sizeof *t.routes, cmp_route);
	for (size_t i = 1; rc == 0 && i < t.n_routes; i++)
		if (strcmp(t.routes[i - 1].target, t.routes[i].target) == 0)
			rc = reject(why, cap, "snapshot: table: target \"%s\" twice", mf_rp__shown(t.routes[i].target, buf));
	if (rc) {
		mf_table_free(&t);
		return rc;
	}
	mf_table_free(&c->table);
	c->table = t;
	c->table_epoch = epoch;
	c->have_table = true;
	return 0;
}

static const struct mf_table_route *find_route(const struct mf_table_route *r, size_t n, const char *target)
{
	struct mf_table_route key = {.target = (char *)target};
	return n ? bsearch(&key, r, n, sizeof *r, cmp_route) : NULL;
}

static bool has_str(const char **s, size_t n, const char *x)
{
	return n && bsearch(&x, s, n, sizeof *s, cmp_str);
}

/* A delta's links through table_format's parser (one definition of a link):
 * wrapped in an otherwise empty table. 0, 1 (rejected) or MF_ENOMEM. */
static int parse_links(json_t *links, struct mf_table *out, char *why, size_t cap)
{
	json_t *t = json_object();
	memset(out, 0, sizeof *out);
	if (!mf_rp__put(t, "datacenter", json_string("")) || !mf_rp__put(t, "version", json_integer(0)) ||
	    !mf_rp__put(t, "routes", json_array()) || !mf_rp__put(t, "links", json_incref(links))) {
		json_decref(t);
		return MF_ENOMEM;
	}
	int rc = mf_table_from_json(t, out);
	json_decref(t);
	return rc == MF_EMALFORMED ? reject(why, cap, "delta: links: not a list of links") : rc;
}

/* The parts of a delta, parsed before anything is applied. */
struct delta {
	size_t nu, nr;
	struct mf_table_route *up; /* sorted by target */
	const char **rm;           /* sorted; point into the message */
	bool has_links;
	struct mf_table links;     /* only links used */
};

static void delta_free(struct delta *d)
{
	for (size_t i = 0; i < d->nu; i++)
		mf_table_route_free(&d->up[i]);
	free(d->up);
	free(d->rm);
	mf_table_free(&d->links);
}

static int parse_delta(const struct mf_rp_client *c, const json_t *o, struct delta *d, char *why, size_t cap)
{
	json_t *up = json_object_get(o, "upsert"), *rm = json_object_get(o, "remove");
	json_t *links = json_object_get(o, "links");
	char buf[RP_SHOW + 4];
	int rc = 0;
	if ((up && !json_is_array(up)) || (rm && !json_is_array(rm)) || (links && !json_is_array(links)))
		return reject(why, cap, "delta: %s: not an array",
			      up && !json_is_array(up) ? "upsert" : rm && !json_is_array(rm) ? "remove" : "links");
	size_t nu = json_array_size(up), nr = json_array_size(rm);
	if ((nu && !(d->up = calloc(nu, sizeof *d->up))) || (nr && !(d->rm = calloc(nr, sizeof *d->rm))))
		return MF_ENOMEM;
	d->nu = nu;
	d->nr = nr;
	for (size_t i = 0; rc == 0 && i < nu; i++)
		if ((rc = mf_table_route_from_json(json_array_get(up, i), &d->up[i])) == MF_EMALFORMED)
			rc = reject(why, cap, "delta: upsert[%zu]: not a route", i);
	for (size_t i = 0; rc == 0 && i < nr; i++)
		if (!(d->rm[i] = json_string_value(json_array_get(rm, i))))
			rc = reject(why, cap, "delta: remove[%zu]: not a string", i);
	if (rc == 0 && links && (rc = parse_links(links, &d->links, why, cap)) == 0)
		d->has_links = true;
	if (rc)
		return rc;
	if (nu > 1)
		qsort(d->up, nu, sizeof *d->up, cmp_route);
	if (nr > 1)
		qsort(d->rm, nr, sizeof *d->rm, cmp_str);
	for (size_t i = 1; i < nu; i++)
		if (strcmp(d->up[i - 1].target, d->up[i].target) == 0)
			return reject(why, cap, "delta: upsert: target \"%s\" twice", mf_rp__shown(d->up[i].target, buf));
	for (size_t i = 0; i < nr; i++) {
		if (i && strcmp(d->rm[i - 1], d->rm[i]) == 0)
			return reject(why, cap, "delta: remove: \"%s\" twice", mf_rp__shown(d->rm[i], buf));
		if (!find_route(c->table.routes, c->table.n_routes, d->rm[i]))
			return reject(why, cap, "delta: remove: \"%s\" is not in the table", mf_rp__shown(d->rm[i], buf));
		if (find_route(d->up, nu, d->rm[i]))
			return reject(why, cap, "delta: \"%s\" both upserted and removed", mf_rp__shown(d->rm[i], buf));
	}
	return 0;
}

static int apply_delta(struct mf_rp_client *c, const json_t *o, uint64_t version, char *why, size_t cap)
{
	uint64_t epoch, base;
	int rc = check_epoch(c, o, "delta", &epoch, why, cap);
	if (rc)
		return rc;
	if (!c->have_table)
		return reject(why, cap, "delta without a snapshot");
	if (c->table_epoch != epoch)
		return reject(why, cap, "delta: the table held is of epoch %llu, not %llu",
			      (unsigned long long)c->table_epoch, (unsigned long long)epoch);
	if (mf_rp__get_u64(o, "base", &base))
		return reject(why, cap, "delta: base: %s", RP_U64_WHY);
	if (base != c->table.version)
		return reject(why, cap, "delta: base %llu is not the applied version %llu", (unsigned long long)base,
			      (unsigned long long)c->table.version);
	if (version <= base)
		return reject(why, cap, "delta: version %llu is not above base %llu", (unsigned long long)version,
			      (unsigned long long)base);
	struct delta d = {0};
	struct mf_table_route *old = c->table.routes, *nw = NULL;
	size_t n = c->table.n_routes, k = 0;
	bool *keep = NULL;
	rc = parse_delta(c, o, &d, why, cap);
	if (rc == 0 && ((n + d.nu && !(nw = malloc((n + d.nu) * sizeof *nw))) || (n && !(keep = calloc(n, 1)))))
		rc = MF_ENOMEM;
	if (rc) {
		free(nw);
		delta_free(&d);
		return rc;
	}
	/* Merge the held routes (minus removed and replaced) with the upserts,
	 * both sorted: structs move, nothing can fail from here on. */
	for (size_t i = 0, j = 0; i < n || j < d.nu;) {
		int cmp = i == n ? 1 : j == d.nu ? -1 : strcmp(old[i].target, d.up[j].target);
		if (cmp < 0 && !has_str(d.rm, d.nr, old[i].target)) {
			keep[i] = true;
			nw[k++] = old[i];
		} else if (cmp >= 0) {
			nw[k++] = d.up[j++];
		}
		i += cmp <= 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!keep[i])
			mf_table_route_free(&old[i]);
	free(old);
	free(keep);
	c->table.routes = nw;
	c->table.n_routes = k;
	c->table.version = version;
	if (d.has_links) { /* swap, so delta_free drops the old ones */
		struct mf_table_link *l = c->table.links;
		size_t nl = c->table.n_links;
		c->table.links = d.links.links;
		c->table.n_links = d.links.n_links;
		d.links.links = l;
		d.links.n_links = nl;
	}
	free(d.up); /* its routes moved into the table */
	d.up = NULL;
	d.nu = 0;
	delta_free(&d);
	return 0;
}

/* A snapshot or delta: applied and acked, or rejected and nacked. */
static int on_update(struct mf_rp_client *c, const json_t *o, bool snapshot, enum mf_rp_event *ev, char **reply,
		     size_t *reply_len, char **detail)
{
	uint64_t version = 0;
	char why[256];
	char *ack = NULL;
	size_t ack_len = 0;
	/* No usable version: the nack says 0; the agent answers any nack with
	 * a snapshot. */
	int rc = mf_rp__get_u64(o, "version", &version) ? reject(why, sizeof why, "%s: version: %s",
							  snapshot ? "snapshot" : "delta", RP_U64_WHY)
						 : encode_ack(version, &ack, &ack_len);
	if (rc == 0)
		rc = snapshot ? apply_snapshot(c, o, why, sizeof why) : apply_delta(c, o, version, why, sizeof why);
	if (rc == 0) {
		*ev = snapshot ? MF_RP_EV_SNAPSHOT : MF_RP_EV_DELTA;
		*reply = ack;
		*reply_len = ack_len;
		return 0;
	}
	free(ack);
	if (rc < 0)
		return FAIL(rc, "out of memory");
	/* Rejected: detail first, so a failure leaves nothing allocated. */
	if ((rc = describe(detail, "%s", why)) == 0 && (rc = encode_nack(version, why, reply, reply_len)) < 0) {
		if (detail) {
			free(*detail);
			*detail = NULL;
		}
	}
	if (rc == 0)
		*ev = MF_RP_EV_REJECTED;
	return rc;
}

int mf_rp_client_apply(struct mf_rp_client *c, const char *line, size_t len, enum mf_rp_event *ev, char **reply,
		       size_t *reply_len, char **detail)
{
	*ev = 0;
	*reply = NULL;
	*reply_len = 0;
	if (detail)
		*detail = NULL;
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	const char *type = json_string_value(json_object_get(o, "type"));
	uint64_t v;
	int rc = 0;
	if (!o) {
		rc = FAIL(MF_EMALFORMED, "not JSON: %s (byte %d)", je.text, je.position);
	} else if (!type) {
		rc = FAIL(MF_EMALFORMED, "not a message: no \"type\"");
	} else if (strcmp(type, "hello") == 0) {
		if ((rc = on_hello(c, o, detail)) == 0)
			*ev = MF_RP_EV_HELLO;
	} else if (strcmp(type, "snapshot") == 0 || strcmp(type, "delta") == 0) {
		rc = on_update(c, o, type[0] == 's', ev, reply, reply_len, detail);
	} else if (strcmp(type, "heartbeat") == 0) {
		if (mf_rp__get_u64(o, "version", &v))
			rc = FAIL(MF_EMALFORMED, "heartbeat: version: %s", RP_U64_WHY);
		else {
			c->last_heartbeat = v;
			*ev = MF_RP_EV_HEARTBEAT;
		}
	} else if (strcmp(type, "registered") == 0) {
		const char *gw = json_string_value(json_object_get(o, "gateway"));
		if (!gw)
			rc = FAIL(MF_EMALFORMED, "registered: gateway: missing or not a string");
		else if ((rc = describe(detail, "%s", gw)) == 0)
			*ev = MF_RP_EV_REGISTERED;
	} else if (strcmp(type, "error") == 0) {
		/* Surfaced even without a text: it is what the operator needs. */
		const char *e = json_string_value(json_object_get(o, "error"));
		if ((rc = describe(detail, "%s", e ? e : "(the agent gave no reason)")) == 0)
			*ev = MF_RP_EV_ERROR;
	} else {
		char buf[RP_SHOW + 4];
		rc = FAIL(MF_EUNKNOWN, "unknown message type \"%s\"", mf_rp__shown(type, buf));
	}
	json_decref(o);
	return rc;
}

/*
 * routing/route_proto.c — the route socket's messages (routing/route_proto.h,
 * docs/route-socket.md).
 *
 * Every message is a jansson object dumped compact. Tables and routes go
 * through routing/table_format.h, so their objects are exactly those of
 * `meshfed routes -format json` whatever fields those gain, and a delta
 * compares two routes by JSON equality of those objects: a field this file
 * has never heard of still makes a route "changed".
 *
 * The subscriber side applies an update by building the new table beside
 * the held one and swapping only once everything parsed, every check passed
 * and every allocation (the reply included) succeeded: a rejected,
 * truncated or out-of-memory update never leaves a half-applied table.
 */
#include "routing/route_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/pool.h"
#include "routing/names.h"
#include "routing/table_format.h"

/* Compact, insertion order, numbers as table_format prints them. */
#define RP_DUMP (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
/* jansson integers are signed 64-bit: the wire range of epochs and versions. */
#define RP_U64_MAX ((uint64_t)INT64_MAX)
#define RP_SHOW 40 /* bytes of a bad value quoted in an error */

/* --- shared helpers -------------------------------------------------------- */

/* o[k] = v, taking v (a new reference or NULL after a failed allocation).
 * jansson drops v itself when the set fails, and refuses a NULL o. */
static bool put(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) == 0;
}

static json_t *message(const char *type)
{
	json_t *o = json_object();
	if (o && !put(o, "type", json_string(type))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *wire_int(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* Dumps o (dropping it) as one line with its '\n'. */
static int finish(json_t *o, bool ok, char **line, size_t *len)
{
	char *s = ok && o ? json_dumps(o, RP_DUMP) : NULL;
	json_decref(o);
	*line = NULL;
	*len = 0;
	if (!s)
		return MF_ENOMEM;
	size_t n = strlen(s);
	char *l = realloc(s, n + 2);
	if (!l) {
		free(s);
		return MF_ENOMEM;
	}
	l[n] = '\n';
	l[n + 1] = '\0';
	*line = l;
	*len = n + 1;
	return 0;
}

static int refuse(char **line, size_t *len)
{
	*line = NULL;
	*len = 0;
	return MF_EINVAL;
}

/* 0 and *out when o[k] is an integer in the wire range. */
static int get_u64(const json_t *o, const char *k, uint64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return MF_EMALFORMED;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Text that may carry peer bytes, made safe for a log line or a terminal. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

/* A bad value for an error message: its first RP_SHOW bytes, quotes and
 * backslashes and non-ASCII shown as '?', "..." when cut. */
static const char *shown(const char *s, char buf[RP_SHOW + 4])
{
	size_t i = 0;
	for (; s[i] && i < RP_SHOW; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' ? '?' : (char)ch;
	}
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

static int cmp_route(const void *a, const void *b)
{
	return strcmp(((const struct mf_table_route *)a)->target, ((const struct mf_table_route *)b)->target);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --- agent side: encoders -------------------------------------------------- */

int mf_rp_encode_hello(const char *dc, const char *node, uint64_t epoch, char **line, size_t *len)
{
	if (!dc || !node || epoch > RP_U64_MAX)
		return refuse(line, len);
	json_t *o = message("hello");
	bool ok = put(o, "protocol", json_integer(MF_RP_PROTOCOL)) && put(o, "datacenter", json_string(dc)) &&
		  put(o, "node", json_string(node)) && put(o, "epoch", wire_int(epoch));
	return finish(o, ok, line, len);
}

/* The version of a table's JSON form, -1 when it is not one. */
static json_int_t table_version(const json_t *t)
{
	json_t *v = json_object_get(t, "version");
	return json_is_object(t) && json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

int mf_rp_encode_snapshot_json(uint64_t epoch, const json_t *table, char **line, size_t *len)
{
	json_int_t v = table_version(table);
	if (v < 0 || epoch > RP_U64_MAX)
		return refuse(line, len);
	json_t *o = message("snapshot");
	bool ok = put(o, "epoch", wire_int(epoch)) && put(o, "version", json_integer(v)) &&
		  put(o, "table", json_incref((json_t *)table));
	return finish(o, ok, line, len);
}

int mf_rp_encode_snapshot(uint64_t epoch, const struct mf_table *t, char **line, size_t *len)
{
	if (t->version > RP_U64_MAX)
		return refuse(line, len);
	json_t *j = mf_table_to_json(t);
	int rc = j ? mf_rp_encode_snapshot_json(epoch, j, line, len) : finish(NULL, false, line, len);
	json_decref(j);
	return rc;
}

/* A table's routes when they are objects with a target each, sorted by it
 * and none repeated (what the delta's merge walk needs), else NULL. */
static json_t *sorted_routes(const json_t *t)
{
	json_t *routes = json_object_get(t, "routes");
	const char *prev = NULL;
	size_t i;
	json_t *r;
	if (!json_is_array(routes))
		return NULL;
	json_array_foreach(routes, i, r) {
		const char *target = json_string_value(json_object_get(r, "target"));
		if (!target || (prev && strcmp(prev, target) >= 0))
			return NULL;
		prev = target;
	}
	return routes;
}

static const char *target_of(const json_t *route)
{
	return json_string_value(json_object_get(route, "target"));
}

int mf_rp_encode_delta_json(uint64_t epoch, const json_t *base, const json_t *cur, char **line, size_t *len)
{
	json_int_t bv = table_version(base), cv = table_version(cur);
	json_t *br = sorted_routes(base), *cr = sorted_routes(cur);
	if (bv < 0 || cv <= bv || !br || !cr || epoch > RP_U64_MAX)
		return refuse(line, len);
	json_t *up = json_array(), *rm = json_array();
	bool ok = up && rm;
	size_t i = 0, j = 0, nb = json_array_size(br), nc = json_array_size(cr);
	/* Both sorted by target: one merge walk finds removed, new and changed. */
	while (ok && (i < nb || j < nc)) {
		json_t *b = json_array_get(br, i), *c = json_array_get(cr, j);
		int cmp = i == nb ? 1 : j == nc ? -1 : strcmp(target_of(b), target_of(c));
		if (cmp < 0)
			ok = json_array_append(rm, json_object_get(b, "target")) == 0;
		else if (cmp > 0 || !json_equal(b, c))
			ok = json_array_append(up, c) == 0;
		i += cmp <= 0;
		j += cmp >= 0;
	}
	json_t *bl = json_object_get(base, "links"), *cl = json_object_get(cur, "links");
	bool links = (bl || cl) && !(bl && cl && json_equal(bl, cl));
	json_t *o = message("delta");
	ok = ok && put(o, "epoch", wire_int(epoch)) && put(o, "version", json_integer(cv)) &&
	     put(o, "base", json_integer(bv));
	if (ok) { /* put takes its value even when it fails */
		ok = put(o, "upsert", up);
		up = NULL;
	}
	if (ok) {
		ok = put(o, "remove", rm);
		rm = NULL;
	}
	if (ok && links)
		ok = put(o, "links", cl ? json_incref(cl) : json_array());
	json_decref(up);
	json_decref(rm);
	return finish(o, ok, line, len);
}

int mf_rp_encode_delta(uint64_t epoch, const struct mf_table *base, const struct mf_table *cur, char **line,
		       size_t *len)
{
	if (base->version > RP_U64_MAX || cur->version > RP_U64_MAX)
		return refuse(line, len);
	json_t *b = mf_table_to_json(base), *c = mf_table_to_json(cur);
	int rc = b && c ? mf_rp_encode_delta_json(epoch, b, c, line, len) : finish(NULL, false, line, len);
	json_decref(b);
	json_decref(c);
	return rc;
}

int mf_rp_encode_heartbeat(uint64_t version, char **line, size_t *len)
{
	if (version > RP_U64_MAX)
		return refuse(line, len);
	json_t *o = message("heartbeat");
	return finish(o, put(o, "version", wire_int(version)), line, len);
}

int mf_rp_encode_registered(const char *gateway, char **line, size_t *len)
{
	if (!gateway)
		return refuse(line, len);
	json_t *o = message("registered");
	return finish(o, put(o, "gateway", json_string(gateway)), line, len);
}

int mf_rp_encode_error(const char *msg, char **line, size_t *len)
{
	if (!msg)
		return refuse(line, len);
	/* The text may quote what a peer sent: only printable ASCII goes out,
	 * so it is valid UTF-8 whatever it quotes. */
	char *s = strdup(msg);
	if (!s)
		return finish(NULL, false, line, len);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	json_t *o = message("error");
	bool ok = put(o, "error", json_string(s));
	free(s);
	return finish(o, ok, line, len);
}

/* --- agent side: requests -------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t cap, const char *fmt, ...)
{
	if (cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
		printable(err);
	}
	return MF_EMALFORMED;
}

static const char U64_WHY[] = "missing or not an integer from 0 to 2^63-1";

static int req_u64(const json_t *o, const char *type, const char *k, uint64_t *out, char *err, size_t cap)
{
	return get_u64(o, k, out) == 0 ? 0 : bad(err, cap, "%s: %s: %s", type, k, U64_WHY);
}

/* IP:PORT: dotted IPv4 or bracketed IPv6, a port of 1-5 digits, 1-65535. */
static bool addr_valid(const char *s)
{
	const char *colon = strrchr(s, ':');
	struct mf_addr a;
	size_t digits = colon ? strlen(colon + 1) : 0;
	if (digits == 0 || digits > 5 || strspn(colon + 1, "0123456789") != digits)
		return false;
	/* mf_addr_parse also takes a bare host (port 0 here) and brackets
	 * around IPv4; neither is IP:PORT. */
	return mf_addr_parse(s, 0, &a) == 0 && a.port != 0 && (s[0] == '[') == (a.ip_len == 16);
}

/* 1-MF_ADVERT_STR_MAX bytes of the DC name alphabet (routing/names.h
 * checks the alphabet; it caps DC names shorter, hence the chunks). */
static bool gateway_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > MF_ADVERT_STR_MAX)
		return false;
	for (size_t off = 0; off < n; off += MF_RT_NAME_MAX)
		if (!mf_rt_name_valid(s + off, n - off < MF_RT_NAME_MAX ? n - off : MF_RT_NAME_MAX))
			return false;
	return true;
}

static int dup_into(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : MF_ENOMEM;
}

/* g[k] as an address; absent or null is fine when optional (out NULL). */
static int take_addr(const json_t *g, const char *k, const char *field, bool optional, char **out, char *err,
		     size_t cap)
{
	json_t *v = json_object_get(g, k);
	char buf[RP_SHOW + 4];
	*out = NULL;
	if (optional && (!v || json_is_null(v)))
		return 0;
	if (!json_is_string(v))
		return bad(err, cap, "register: %s: missing or not a string", field);
	const char *s = json_string_value(v);
	if (json_string_length(v) > MF_ADVERT_STR_MAX || !addr_valid(s))
		return bad(err, cap, "register: %s: \"%s\" is not IP:PORT", field, shown(s, buf));
	return dup_into(s, out);
}

static int take_tags(const json_t *g, struct mf_gateway *gw, char *err, size_t cap)
{
	json_t *tags = json_object_get(g, "tagged"), *v;
	const char *k;
	char buf[RP_SHOW + 4], field[32 + MF_RT_NAME_MAX];
	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_object(tags))
		return bad(err, cap, "register: gateway.tagged: not an object");
	if (json_object_size(tags) > MF_ADVERT_TAGS_MAX)
		return bad(err, cap, "register: gateway.tagged: more than %d addresses", MF_ADVERT_TAGS_MAX);
	if (json_object_size(tags) == 0)
		return 0;
	if (!(gw->tags = calloc(json_object_size(tags), sizeof *gw->tags)))
		return MF_ENOMEM;
	json_object_foreach(tags, k, v) {
		if (strncmp(k, "dc:", 3) != 0 || !mf_rt_name_valid(k + 3, strlen(k + 3)))
			return bad(err, cap, "register: gateway.tagged: key \"%s\" is not dc:<DC name>", shown(k, buf));
		struct mf_gateway_tag *t = &gw->tags[gw->n_tags++];
		snprintf(field, sizeof field, "gateway.tagged.%s", k);
		int rc = take_addr(tags, k, field, false, &t->addr, err, cap);
		if (rc == 0)
			rc = dup_into(k, &t->key);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_register(const json_t *o, struct mf_rp_request *r, char *err, size_t cap)
{
	json_t *g = json_object_get(o, "gateway"), *name = json_object_get(g, "name");
	char buf[RP_SHOW + 4];
	int rc;
	if (!json_is_object(g))
		return bad(err, cap, "register: gateway: missing or not an object");
	if (!json_is_string(name))
		return bad(err, cap, "register: gateway.name: missing or not a string");
	if (!gateway_name_valid(json_string_value(name), json_string_length(name)))
		return bad(err, cap, "register: gateway.name: \"%s\" is not 1-%d bytes of [A-Za-z0-9._-]",
			   shown(json_string_value(name), buf), MF_ADVERT_STR_MAX);
	if ((rc = dup_into(json_string_value(name), &r->gw.name)) ||
	    (rc = take_addr(g, "wan", "gateway.wan", false, &r->gw.wan, err, cap)) ||
	    (rc = take_addr(g, "lan", "gateway.lan", true, &r->gw.lan, err, cap)))
		return rc;
	return take_tags(g, &r->gw, err, cap);
}

static int parse_fields(const json_t *o, const char *type, struct mf_rp_request *r, char *err, size_t cap)
{
	json_t *v;
	char buf[RP_SHOW + 4];
	if (strcmp(type, "ack") == 0) {
		r->type = MF_RP_ACK;
		return req_u64(o, type, "version", &r->version, err, cap);
	}
	if (strcmp(type, "nack") == 0) {
		r->type = MF_RP_NACK;
		v = json_object_get(o, "error");
		if (v && !json_is_null(v) && !json_is_string(v))
			return bad(err, cap, "nack: error: not a string");
		int rc = req_u64(o, type, "version", &r->version, err, cap);
		return rc == 0 && json_is_string(v) ? dup_into(json_string_value(v), &r->error) : rc;
	}
	if (strcmp(type, "resume") == 0) {
		r->type = MF_RP_RESUME;
		int rc = req_u64(o, type, "epoch", &r->epoch, err, cap);
		return rc ? rc : req_u64(o, type, "version", &r->version, err, cap);
	}
	if (strcmp(type, "subscribe") == 0) {
		r->type = MF_RP_SUBSCRIBE;
		v = json_object_get(o, "deltas");
		if (v && !json_is_boolean(v))
			return bad(err, cap, "subscribe: deltas: not true or false");
		r->deltas = !v || json_is_true(v);
		return 0;
	}
	if (strcmp(type, "register") == 0) {
		r->type = MF_RP_REGISTER;
		return parse_register(o, r, err, cap);
	}
	if (strcmp(type, "health") == 0) {
		r->type = MF_RP_HEALTH;
		v = json_object_get(o, "ok");
		if (!json_is_boolean(v))
			return bad(err, cap, "health: ok: missing or not true or false");
		r->ok = json_is_true(v);
		return 0;
	}
	return bad(err, cap, "type: \"%s\" is not a request (ack, nack, resume, subscribe, register, health)",
		   shown(type, buf));
}

int mf_rp_parse_request(const char *line, size_t len, struct mf_rp_request *req, char *err, size_t errcap)
{
	memset(req, 0, sizeof *req);
	if (errcap)
		err[0] = '\0';
	if (len > MF_RP_MAX_LINE) {
		(void)bad(err, errcap, "line: %zu bytes, more than %d", len, MF_RP_MAX_LINE);
		return MF_ETOOBIG;
	}
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	const char *type = json_string_value(json_object_get(o, "type"));
	int rc;
	if (!o)
		rc = bad(err, errcap, "not JSON: %s (byte %d)", je.text, je.position);
	else if (!json_is_object(o))
		rc = bad(err, errcap, "not a JSON object");
	else if (!type)
		rc = bad(err, errcap, "type: missing or not a string");
	else
		rc = parse_fields(o, type, req, err, errcap);
	json_decref(o);
	if (rc < 0)
		mf_rp_request_free(req);
	if (rc == MF_ENOMEM && errcap)
		snprintf(err, errcap, "out of memory");
	return rc;
}

void mf_rp_request_free(struct mf_rp_request *req)
{
	free(req->error);
	mf_gateway_free(&req->gw);
	memset(req, 0, sizeof *req);
}

/* --- subscriber side ------------------------------------------------------- */

int mf_rp_encode_register(const struct mf_gateway *g, char **line, size_t *len)
{
	if (!g->name || !g->wan)
		return refuse(line, len);
	for (size_t i = 0; i < g->n_tags; i++)
		if (!g->tags[i].key || !g->tags[i].addr)
			return refuse(line, len);
	json_t *o = message("register"), *gw = json_object();
	bool ok = put(gw, "name", json_string(g->name)) && put(gw, "wan", json_string(g->wan)) &&
		  (!g->lan || put(gw, "lan", json_string(g->lan)));
	if (ok && g->n_tags) {
		json_t *tags = json_object();
		for (size_t i = 0; ok && i < g->n_tags; i++)
			ok = put(tags, g->tags[i].key, json_string(g->tags[i].addr));
		ok = ok ? put(gw, "tagged", tags) : (json_decref(tags), false);
	}
	ok = ok ? put(o, "gateway", gw) : (json_decref(gw), false);
	return finish(o, ok, line, len);
}

int mf_rp_encode_health(bool ok, char **line, size_t *len)
{
	json_t *o = message("health");
	return finish(o, put(o, "ok", json_boolean(ok)), line, len);
}

static int encode_ack(uint64_t version, char **line, size_t *len)
{
	json_t *o = message("ack");
	return finish(o, put(o, "version", wire_int(version)), line, len);
}

static int encode_nack(uint64_t version, const char *why, char **line, size_t *len)
{
	json_t *o = message("nack");
	bool ok = put(o, "version", wire_int(version)) && put(o, "error", json_string(why));
	return finish(o, ok, line, len);
}

static int encode_subscribe(bool deltas, char **line, size_t *len)
{
	json_t *o = message("subscribe");
	return finish(o, put(o, "deltas", json_boolean(deltas)), line, len);
}

static int encode_resume(uint64_t epoch, uint64_t version, char **line, size_t *len)
{
	json_t *o = message("resume");
	bool ok = put(o, "epoch", wire_int(epoch)) && put(o, "version", wire_int(version));
	return finish(o, ok, line, len);
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
		printable(*detail);
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
	if (get_u64(o, "epoch", &epoch))
		return FAIL(MF_EMALFORMED, "hello: epoch: %s", U64_WHY);
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
	printable(why);
	return 1;
}

static int check_epoch(const struct mf_rp_client *c, const json_t *o, const char *type, uint64_t *epoch,
		       char *why, size_t cap)
{
	if (!c->have_hello)
		return reject(why, cap, "%s before hello", type);
	if (get_u64(o, "epoch", epoch))
		return reject(why, cap, "%s: epoch: %s", type, U64_WHY);
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
	if (get_u64(o, "version", &version))
		return reject(why, cap, "snapshot: version: %s", U64_WHY);
	if ((rc = mf_table_from_json(json_object_get(o, "table"), &t)) == MF_ENOMEM)
		return rc;
	if (rc < 0)
		return reject(why, cap, "snapshot: table: not a route table");
	if (t.version != version)
		rc = reject(why, cap, "snapshot: table.version %llu is not the message's %llu",
			    (unsigned long long)t.version, (unsigned long long)version);
	else if (strcmp(t.datacenter, c->datacenter) != 0)
		rc = reject(why, cap, "snapshot: table.datacenter \"%s\" is not the hello's",
			    shown(t.datacenter, buf));
	if (rc == 0 && t.n_routes > 1) /* qsort(NULL, 0) is undefined */
		qsort(t.routes, t.n_routes, sizeof *t.routes, cmp_route);
	for (size_t i = 1; rc == 0 && i < t.n_routes; i++)
		if (strcmp(t.routes[i - 1].target, t.routes[i].target) == 0)
			rc = reject(why, cap, "snapshot: table: target \"%s\" twice", shown(t.routes[i].target, buf));
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
	if (!put(t, "datacenter", json_string("")) || !put(t, "version", json_integer(0)) ||
	    !put(t, "routes", json_array()) || !put(t, "links", json_incref(links))) {
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
			return reject(why, cap, "delta: upsert: target \"%s\" twice", shown(d->up[i].target, buf));
	for (size_t i = 0; i < nr; i++) {
		if (i && strcmp(d->rm[i - 1], d->rm[i]) == 0)
			return reject(why, cap, "delta: remove: \"%s\" twice", shown(d->rm[i], buf));
		if (!find_route(c->table.routes, c->table.n_routes, d->rm[i]))
			return reject(why, cap, "delta: remove: \"%s\" is not in the table", shown(d->rm[i], buf));
		if (find_route(d->up, nu, d->rm[i]))
			return reject(why, cap, "delta: \"%s\" both upserted and removed", shown(d->rm[i], buf));
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
	if (get_u64(o, "base", &base))
		return reject(why, cap, "delta: base: %s", U64_WHY);
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
	int rc = get_u64(o, "version", &version) ? reject(why, sizeof why, "%s: version: %s",
							  snapshot ? "snapshot" : "delta", U64_WHY)
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
		if (get_u64(o, "version", &v))
			rc = FAIL(MF_EMALFORMED, "heartbeat: version: %s", U64_WHY);
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
		rc = FAIL(MF_EUNKNOWN, "unknown message type \"%s\"", shown(type, buf));
	}
	json_decref(o);
	return rc;
}

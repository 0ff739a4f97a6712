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
#include "routing/route_proto_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/pool.h"
#include "routing/names.h"
#include "routing/table_format.h"


/* --- shared helpers -------------------------------------------------------- */

/* o[k] = v, taking v (a new reference or NULL after a failed allocation).
 * jansson drops v itself when the set fails, and refuses a NULL o. */
bool mf_rp__put(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) == 0;
}

json_t *mf_rp__message(const char *type)
{
	json_t *o = json_object();
	if (o && !mf_rp__put(o, "type", json_string(type))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *mf_rp__wire_int(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* Dumps o (dropping it) as one line with its '\n'. */
int mf_rp__finish(json_t *o, bool ok, char **line, size_t *len)
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

int mf_rp__refuse(char **line, size_t *len)
{
	*line = NULL;
	*len = 0;
	return MF_EINVAL;
}

/* 0 and *out when o[k] is an integer in the wire range. */
int mf_rp__get_u64(const json_t *o, const char *k, uint64_t *out)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return MF_EMALFORMED;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Text that may carry peer bytes, made safe for a log line or a terminal. */
void mf_rp__printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

/* A bad value for an error message: its first RP_SHOW bytes, quotes and
 * backslashes and non-ASCII shown as '?', "..." when cut. */
const char *mf_rp__shown(const char *s, char buf[RP_SHOW + 4])
{
	size_t i = 0;
	for (; s[i] && i < RP_SHOW; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' ? '?' : (char)ch;
	}
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

/* --- agent side: encoders -------------------------------------------------- */

int mf_rp_encode_hello(const char *dc, const char *node, uint64_t epoch, char **line, size_t *len)
{
	if (!dc || !node || epoch > RP_U64_MAX)
		return mf_rp__refuse(line, len);
	json_t *o = mf_rp__message("hello");
	bool ok = mf_rp__put(o, "protocol", json_integer(MF_RP_PROTOCOL)) && mf_rp__put(o, "datacenter", json_string(dc)) &&
		  mf_rp__put(o, "node", json_string(node)) && mf_rp__put(o, "epoch", mf_rp__wire_int(epoch));
	return mf_rp__finish(o, ok, line, len);
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
		return mf_rp__refuse(line, len);
	json_t *o = mf_rp__message("snapshot");
	bool ok = mf_rp__put(o, "epoch", mf_rp__wire_int(epoch)) && mf_rp__put(o, "version", json_integer(v)) &&
		  mf_rp__put(o, "table", json_incref((json_t *)table));
	return mf_rp__finish(o, ok, line, len);
}

int mf_rp_encode_snapshot(uint64_t epoch, const struct mf_table *t, char **line, size_t *len)
{
	if (t->version > RP_U64_MAX)
		return mf_rp__refuse(line, len);
	json_t *j = mf_table_to_json(t);
	int rc = j ? mf_rp_encode_snapshot_json(epoch, j, line, len) : mf_rp__finish(NULL, false, line, len);
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
		return mf_rp__refuse(line, len);
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
	json_t *o = mf_rp__message("delta");
	ok = ok && mf_rp__put(o, "epoch", mf_rp__wire_int(epoch)) && mf_rp__put(o, "version", json_integer(cv)) &&
	     mf_rp__put(o, "base", json_integer(bv));
	if (ok) { /* put takes its value even when it fails */
		ok = mf_rp__put(o, "upsert", up);
		up = NULL;
	}
	if (ok) {
		ok = mf_rp__put(o, "remove", rm);
		rm = NULL;
	}
	if (ok && links)
		ok = mf_rp__put(o, "links", cl ? json_incref(cl) : json_array());
	json_decref(up);
	json_decref(rm);
	return mf_rp__finish(o, ok, line, len);
}

int mf_rp_encode_delta(uint64_t epoch, const struct mf_table *base, const struct mf_table *cur, char **line,
		       size_t *len)
{
	if (base->version > RP_U64_MAX || cur->version > RP_U64_MAX)
		return mf_rp__refuse(line, len);
	json_t *b = mf_table_to_json(base), *c = mf_table_to_json(cur);
	int rc = b && c ? mf_rp_encode_delta_json(epoch, b, c, line, len) : mf_rp__finish(NULL, false, line, len);
	json_decref(b);
	json_decref(c);
	return rc;
}

int mf_rp_encode_heartbeat(uint64_t version, char **line, size_t *len)
{
	if (version > RP_U64_MAX)
		return mf_rp__refuse(line, len);
	json_t *o = mf_rp__message("heartbeat");
	return mf_rp__finish(o, mf_rp__put(o, "version", mf_rp__wire_int(version)), line, len);
}

int mf_rp_encode_registered(const char *gateway, char **line, size_t *len)
{
	if (!gateway)
		return mf_rp__refuse(line, len);
	json_t *o = mf_rp__message("registered");
	return mf_rp__finish(o, mf_rp__put(o, "gateway", json_string(gateway)), line, len);
}

int mf_rp_encode_error(const char *msg, char **line, size_t *len)
{
	if (!msg)
		return mf_rp__refuse(line, len);
	/* The text may quote what a peer sent: only printable ASCII goes out,
	 * so it is valid UTF-8 whatever it quotes. */
	char *s = strdup(msg);
	if (!s)
		return mf_rp__finish(NULL, false, line, len);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	json_t *o = mf_rp__message("error");
	bool ok = mf_rp__put(o, "error", json_string(s));
	free(s);
	return mf_rp__finish(o, ok, line, len);
}

#include "routing/table_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gossip/err.h"

int mf_table_format_parse(const char *name, enum mf_table_format *f)
{
	if (name && strcmp(name, "table") == 0)
		*f = MF_TABLE_TEXT;
	else if (name && strcmp(name, "json") == 0)
		*f = MF_TABLE_JSON;
	else if (name && strcmp(name, "dot") == 0)
		*f = MF_TABLE_DOT;
	else
		return MF_EINVAL;
	return 0;
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int set(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0 ? 0 : MF_ENOMEM;
}

/* [{"name":..,"addr":..}, ...] */
static json_t *endpoints_to_json(const struct mf_table_endpoint *e, size_t n)
{
	json_t *a = json_array();
	int rc = a ? 0 : MF_ENOMEM;
	for (size_t k = 0; rc == 0 && k < n; k++) {
		json_t *g = json_object();
		rc = g ? 0 : MF_ENOMEM;
		if (rc == 0)
			rc = set(g, "name", json_string(e[k].gateway));
		if (rc == 0)
			rc = set(g, "addr", json_string(e[k].addr));
		if (json_array_append_new(a, g))
			rc = MF_ENOMEM;
	}
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *alternates_to_json(const struct mf_table_route *r)
{
	json_t *a = json_array();
	int rc = a ? 0 : MF_ENOMEM;
	for (size_t k = 0; rc == 0 && k < r->n_alternates; k++) {
		const struct mf_table_alternate *alt = &r->alternates[k];
		json_t *o = json_object();
		rc = o ? 0 : MF_ENOMEM;
		if (rc == 0)
			rc = set(o, "next_hop", json_string(alt->next_hop));
		if (rc == 0)
			rc = set(o, "distance_ms", num_or_null(alt->distance_ms));
		if (rc == 0)
			rc = set(o, "gateways", endpoints_to_json(alt->endpoints, alt->n_endpoints));
		if (json_array_append_new(a, o))
			rc = MF_ENOMEM;
	}
	if (rc < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *mf_table_route_to_json(const struct mf_table_route *r)
{
	json_t *o = json_object(), *path = json_array();
	int rc = o && path ? 0 : MF_ENOMEM;
	for (size_t k = 0; rc == 0 && k < r->path_len; k++)
		rc = json_array_append_new(path, json_string(r->path[k])) ? MF_ENOMEM : 0;
	if (rc == 0)
		rc = set(o, "target", json_string(r->target));
	if (rc == 0)
		rc = set(o, "status", json_string(mf_route_status_name(r->status)));
	if (rc == 0)
		rc = set(o, "next_hop", r->next_hop ? json_string(r->next_hop) : json_null());
	if (rc == 0)
		rc = set(o, "distance_ms", num_or_null(r->distance_ms));
	if (rc == 0) {
		rc = set(o, "path", path);
		path = NULL;
	}
	if (rc == 0)
		rc = set(o, "mode", json_string(mf_route_mode_name(r->mode)));
	if (rc == 0)
		rc = set(o, "down", json_boolean(r->down));
	if (rc == 0)
		rc = set(o, "gateways", endpoints_to_json(r->endpoints, r->n_endpoints));
	if (rc == 0)
		rc = set(o, "alternates", alternates_to_json(r));
	json_decref(path);
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *mf_table_to_json(const struct mf_table *t)
{
	json_t *o = json_object(), *routes = json_array(), *links = json_array();
	int rc = o && routes && links ? 0 : MF_ENOMEM;
	for (size_t i = 0; rc == 0 && i < t->n_routes; i++)
		rc = json_array_append_new(routes, mf_table_route_to_json(&t->routes[i])) ? MF_ENOMEM : 0;
	for (size_t i = 0; rc == 0 && i < t->n_links; i++) {
		json_t *l = json_object();
		rc = l ? 0 : MF_ENOMEM;
		if (rc == 0)
			rc = set(l, "from", json_string(t->links[i].from));
		if (rc == 0)
			rc = set(l, "to", json_string(t->links[i].to));
		if (rc == 0)
			rc = set(l, "distance_ms", num_or_null(t->links[i].distance_ms));
		if (rc == 0)
			rc = set(l, "usable", json_boolean(t->links[i].usable));
		if (json_array_append_new(links, l))
			rc = MF_ENOMEM;
	}
	if (rc == 0)
		rc = set(o, "datacenter", json_string(t->datacenter ? t->datacenter : ""));
	if (rc == 0)
		rc = set(o, "version", json_integer((json_int_t)t->version));
	if (rc == 0) {
		rc = set(o, "routes", routes);
		routes = NULL;
	}
	if (rc == 0) {
		rc = set(o, "links", links);
		links = NULL;
	}
	json_decref(routes);
	json_decref(links);
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int format_json(const struct mf_table *t, char **out)
{
	json_t *o = mf_table_to_json(t);
	*out = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(o);
	return *out ? 0 : MF_ENOMEM;
}

static int take_str(const json_t *o, const char *k, bool nullable, char **out)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	if (nullable && (!v || json_is_null(v)))
		return 0;
	if (!json_is_string(v))
		return MF_EMALFORMED;
	*out = strdup(json_string_value(v));
	return *out ? 0 : MF_ENOMEM;
}

static int take_num(const json_t *o, const char *k, double *out)
{
	json_t *v = json_object_get(o, k);
	if (!v || json_is_null(v)) {
		*out = INFINITY;
		return 0;
	}
	if (!json_is_number(v))
		return MF_EMALFORMED;
	*out = json_number_value(v);
	return 0;
}

/* A "gateways" array (missing: none) into *e / *n. */
static int parse_endpoints(const json_t *gws, struct mf_table_endpoint **e, size_t *n)
{
	int rc;
	if (gws && !json_is_array(gws))
		return MF_EMALFORMED;
	size_t ng = gws ? json_array_size(gws) : 0;
	*e = ng ? calloc(ng, sizeof **e) : NULL;
	if (ng && !*e)
		return MF_ENOMEM;
	for (size_t k = 0; k < ng; k++) {
		json_t *g = json_array_get(gws, k);
		if (!json_is_object(g))
			return MF_EMALFORMED;
		*n = k + 1;
		if ((rc = take_str(g, "name", false, &(*e)[k].gateway)) ||
		    (rc = take_str(g, "addr", false, &(*e)[k].addr)))
			return rc;
	}
	return 0;
}

/* "alternates" (missing: none, as older agents send it). */
static int parse_alternates(const json_t *alts, struct mf_table_route *r)
{
	int rc;
	if (alts && !json_is_array(alts))
		return MF_EMALFORMED;
	size_t na = alts ? json_array_size(alts) : 0;
	r->alternates = na ? calloc(na, sizeof *r->alternates) : NULL;
	if (na && !r->alternates)
		return MF_ENOMEM;
	for (size_t k = 0; k < na; k++) {
		json_t *a = json_array_get(alts, k);
		struct mf_table_alternate *alt = &r->alternates[k];
		if (!json_is_object(a))
			return MF_EMALFORMED;
		r->n_alternates = k + 1;
		if ((rc = take_str(a, "next_hop", false, &alt->next_hop)) ||
		    (rc = take_num(a, "distance_ms", &alt->distance_ms)) ||
		    (rc = parse_endpoints(json_object_get(a, "gateways"), &alt->endpoints,
					  &alt->n_endpoints)))
			return rc;
	}
	return 0;
}

static int parse_route(const json_t *o, struct mf_table_route *r)
{
	char *s = NULL;
	int rc;
	if (!json_is_object(o))
		return MF_EMALFORMED;
	if ((rc = take_str(o, "target", false, &r->target)) || (rc = take_str(o, "next_hop", true, &r->next_hop)) ||
	    (rc = take_num(o, "distance_ms", &r->distance_ms)))
		return rc;
	if ((rc = take_str(o, "status", false, &s)) == 0)
		rc = mf_route_status_parse(s, &r->status) ? MF_EMALFORMED : 0;
	free(s);
	s = NULL;
	if (rc == 0 && (rc = take_str(o, "mode", false, &s)) == 0)
		rc = mf_route_mode_parse(s, &r->mode) ? MF_EMALFORMED : 0;
	free(s);
	if (rc < 0)
		return rc;
	json_t *down = json_object_get(o, "down");
	if (down && !json_is_boolean(down))
		return MF_EMALFORMED;
	r->down = down && json_is_true(down);
	json_t *path = json_object_get(o, "path");
	if (!json_is_array(path))
		return MF_EMALFORMED;
	size_t np = json_array_size(path);
	r->path = np ? calloc(np, sizeof *r->path) : NULL;
	if (np && !r->path)
		return MF_ENOMEM;
	for (size_t k = 0; k < np; k++) {
		json_t *v = json_array_get(path, k);
		if (!json_is_string(v))
			return MF_EMALFORMED;
		r->path_len = k + 1;
		if (!(r->path[k] = strdup(json_string_value(v))))
			return MF_ENOMEM;
	}
	if ((rc = parse_endpoints(json_object_get(o, "gateways"), &r->endpoints, &r->n_endpoints)))
		return rc;
	return parse_alternates(json_object_get(o, "alternates"), r);
}

int mf_table_route_from_json(const json_t *o, struct mf_table_route *r)
{
	memset(r, 0, sizeof *r);
	int rc = parse_route(o, r);
	if (rc < 0)
		mf_table_route_free(r);
	return rc;
}

int mf_table_from_json(const json_t *o, struct mf_table *t)
{
	memset(t, 0, sizeof *t);
	int rc = json_is_object(o) ? 0 : MF_EMALFORMED;
	json_t *ver = o ? json_object_get(o, "version") : NULL;
	json_t *routes = o ? json_object_get(o, "routes") : NULL, *links = o ? json_object_get(o, "links") : NULL;
	if (rc == 0 && (!json_is_integer(ver) || json_integer_value(ver) < 0 || !json_is_array(routes) ||
			(links && !json_is_array(links))))
		rc = MF_EMALFORMED;
	if (rc == 0)
		rc = take_str(o, "datacenter", false, &t->datacenter);
	if (rc == 0) {
		t->version = (uint64_t)json_integer_value(ver);
		size_t n = json_array_size(routes), m = links ? json_array_size(links) : 0;
		t->routes = n ? calloc(n, sizeof *t->routes) : NULL;
		t->links = m ? calloc(m, sizeof *t->links) : NULL;
		if ((n && !t->routes) || (m && !t->links))
			rc = MF_ENOMEM;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			t->n_routes = i + 1;
			rc = mf_table_route_from_json(json_array_get(routes, i), &t->routes[i]);
		}
		for (size_t i = 0; rc == 0 && i < m; i++) {
			json_t *l = json_array_get(links, i), *u = json_object_get(l, "usable");
			t->n_links = i + 1;
			if (!json_is_object(l) || (u && !json_is_boolean(u))) {
				rc = MF_EMALFORMED;
				break;
			}
			t->links[i].usable = !u || json_is_true(u);
			if ((rc = take_str(l, "from", false, &t->links[i].from)) == 0 &&
			    (rc = take_str(l, "to", false, &t->links[i].to)) == 0)
				rc = take_num(l, "distance_ms", &t->links[i].distance_ms);
			if (rc == 0 && isinf(t->links[i].distance_ms))
				t->links[i].distance_ms = NAN; /* null: unknown */
		}
	}
	if (rc < 0)
		mf_table_free(t);
	return rc;
}

int mf_table_parse_json(const char *json, size_t len, struct mf_table *t)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	int rc = mf_table_from_json(o, t);
	json_decref(o);
	return rc;
}

/* --- text ---------------------------------------------------------------- */

static void fmt_dist(char *buf, size_t len, double d)
{
	if (isfinite(d))
		snprintf(buf, len, "%.1f ms", d);
	else
		snprintf(buf, len, "-");
}

/* "dc2 (12.5 ms), dc4 (30.1 ms)" into f, or "-" when there are none. */
static void put_alternates(FILE *f, const struct mf_table_route *r)
{
	char d[32];
	for (size_t k = 0; k < r->n_alternates; k++) {
		fmt_dist(d, sizeof d, r->alternates[k].distance_ms);
		fprintf(f, "%s%s (%s)", k ? ", " : "", r->alternates[k].next_hop, d);
	}
	if (r->n_alternates == 0)
		fputs("-", f);
}

/* Characters put_alternates prints for r. */
static int alternates_width(const struct mf_table_route *r)
{
	int c = 0;
	for (size_t k = 0; k < r->n_alternates; k++) {
		char d[32];
		fmt_dist(d, sizeof d, r->alternates[k].distance_ms);
		c += (k ? 2 : 0) + (int)strlen(r->alternates[k].next_hop) + 3 + (int)strlen(d);
	}
	return r->n_alternates ? c : 1;
}

static int format_text(const struct mf_table *t, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	if (!f)
		return MF_ENOMEM;
	/* The ALTERNATES column only when a route has one: a table without
	 * prints as it did before alternates existed. */
	int wt = 6, wn = 8, wa = 0;
	for (size_t i = 0; i < t->n_routes; i++) {
		const struct mf_table_route *r = &t->routes[i];
		int a = (int)strlen(r->target), b = r->next_hop ? (int)strlen(r->next_hop) : 1;
		int c = r->n_alternates ? alternates_width(r) : 0;
		wt = a > wt ? a : wt;
		wn = b > wn ? b : wn;
		wa = c > wa ? c : wa;
	}
	if (wa && wa < 10)
		wa = 10;
	fprintf(f, "datacenter %s  version %llu\n", t->datacenter ? t->datacenter : "?",
		(unsigned long long)t->version);
	fprintf(f, "%-*s  %-12s  %-*s  %10s  %-10s  ", wt, "TARGET", "STATUS", wn, "NEXT HOP", "DISTANCE", "MODE");
	if (wa)
		fprintf(f, "%-*s  ", wa, "ALTERNATES");
	fputs("PATH / GATEWAYS\n", f);
	for (size_t i = 0; i < t->n_routes; i++) {
		const struct mf_table_route *r = &t->routes[i];
		char st[24], d[32];
		snprintf(st, sizeof st, "%s%s", mf_route_status_name(r->status), r->down ? " (down)" : "");
		fmt_dist(d, sizeof d, r->distance_ms);
		fprintf(f, "%-*s  %-12s  %-*s  %10s  %-10s  ", wt, r->target, st, wn, r->next_hop ? r->next_hop : "-",
			d, mf_route_mode_name(r->mode));
		if (wa) {
			put_alternates(f, r);
			fprintf(f, "%*s", wa - alternates_width(r) + 2, "");
		}
		for (size_t k = 0; k < r->path_len; k++)
			fprintf(f, "%s%s", k ? " > " : "", r->path[k]);
		if (r->path_len == 0)
			fputs("-", f);
		for (size_t k = 0; k < r->n_endpoints; k++)
			fprintf(f, "%s%s=%s", k ? ", " : "  [", r->endpoints[k].gateway, r->endpoints[k].addr);
		fputs(r->n_endpoints ? "]\n" : "\n", f);
	}
	return fclose(f) == 0 ? 0 : MF_ENOMEM;
}

/* --- Graphviz dot -------------------------------------------------------- */

/* A quoted dot id; DC names are [A-Za-z0-9._-] already, but a table parsed
 * from JSON may carry anything. */
static void dot_id(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
	}
	fputc('"', f);
}

static bool pair_is(const char *a, const char *b, const char *x, const char *y)
{
	return (strcmp(a, x) == 0 && strcmp(b, y) == 0) || (strcmp(a, y) == 0 && strcmp(b, x) == 0);
}

static bool is_next_hop_edge(const struct mf_table *t, const char *a, const char *b)
{
	for (size_t i = 0; i < t->n_routes; i++)
		if (t->routes[i].next_hop && pair_is(a, b, t->datacenter, t->routes[i].next_hop))
			return true;
	return false;
}

static int format_dot(const struct mf_table *t, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	if (!f)
		return MF_ENOMEM;
	const char *self = t->datacenter ? t->datacenter : "?";
	fputs("graph ", f);
	dot_id(f, self);
	fprintf(f, " {\n  label=\"routes of %s, version %llu (red: next hops)\";\n", self,
		(unsigned long long)t->version);
	fputs("  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", f);
	for (size_t i = 0; i < t->n_routes; i++) {
		const struct mf_table_route *r = &t->routes[i];
		fputs("  ", f);
		dot_id(f, r->target);
		if (r->status == MF_ROUTE_LOCAL)
			fputs(" [style=filled, fillcolor=lightblue, penwidth=2]", f);
		else if (r->status == MF_ROUTE_UNREACHABLE || r->status == MF_ROUTE_NO_GATEWAY)
			fputs(" [style=dashed, fontcolor=gray]", f);
		else if (isfinite(r->distance_ms))
			fprintf(f, " [xlabel=\"%.1f ms\"]", r->distance_ms);
		fputs(";\n", f);
	}
	/* Links, each unordered pair once (the first seen keeps its label). */
	for (size_t i = 0; i < t->n_links; i++) {
		const struct mf_table_link *l = &t->links[i];
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = pair_is(l->from, l->to, t->links[k].from, t->links[k].to);
		if (dup)
			continue;
		fputs("  ", f);
		dot_id(f, l->from);
		fputs(" -- ", f);
		dot_id(f, l->to);
		fputs(" [", f);
		if (isfinite(l->distance_ms))
			fprintf(f, "label=\"%.1f\"", l->distance_ms);
		else
			fputs("label=\"?\"", f);
		if (!l->usable)
			fputs(", style=dashed, color=gray", f);
		if (is_next_hop_edge(t, l->from, l->to))
			fputs(", color=red, penwidth=2.5", f);
		fputs("];\n", f);
	}
	fputs("}\n", f);
	return fclose(f) == 0 ? 0 : MF_ENOMEM;
}

int mf_table_format(const struct mf_table *t, enum mf_table_format fmt, char **out)
{
	*out = NULL;
	switch (fmt) {
	case MF_TABLE_TEXT: return format_text(t, out);
	case MF_TABLE_JSON: return format_json(t, out);
	case MF_TABLE_DOT: return format_dot(t, out);
	}
	return MF_EINVAL;
}

#include "routing/topology.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gossip/err.h"
#include "gossip/grow.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return MF_EINVAL;
}

/* DC names become host names and namespace names: keep them plain. */
static bool name_ok(const char *s)
{
	if (!*s || strlen(s) >= MF_TOPOLOGY_NAME_MAX)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* A non-negative number; `path` names the key in the message. */
static int get_nonneg(json_t *v, const char *path, double *out, char *err,
		      size_t errlen)
{
	if (!json_is_number(v))
		return fail(err, errlen, "%s: must be a number", path);
	double d = json_number_value(v);
	if (d < 0)
		return fail(err, errlen, "%s: must not be negative", path);
	*out = d;
	return 0;
}

static int get_count(json_t *obj, const char *key, const char *dc,
		     unsigned *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	char path[96];
	snprintf(path, sizeof path, "datacenters.%s.%s", dc, key);
	*out = 0;
	if (!v)
		return 0;
	double d = 0; /* -O3 cannot see get_nonneg set it on success */
	int rc = get_nonneg(v, path, &d, err, errlen);
	if (rc)
		return rc;
	/* the bound first: converting a double past UINT_MAX is undefined */
	if (d > MF_TOPOLOGY_HOSTS_MAX)
		return fail(err, errlen, "%s: at most %d", path,
			    MF_TOPOLOGY_HOSTS_MAX);
	if (d != (double)(unsigned)d)
		return fail(err, errlen, "%s: must be a whole number", path);
	*out = (unsigned)d;
	return 0;
}

static int parse_route(json_t *v, const char *path,
		       enum mf_topology_route *out, char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	if (s && strcmp(s, "multi-hop") == 0)
		*out = MF_TOPOLOGY_MULTI_HOP;
	else if (s && strcmp(s, "single-hop") == 0)
		*out = MF_TOPOLOGY_SINGLE_HOP;
	else
		return fail(err, errlen,
			    "%s: must be \"multi-hop\" or \"single-hop\"", path);
	return 0;
}

static int parse_dcs(json_t *root, struct mf_topology *t, char *err,
		     size_t errlen)
{
	json_t *dcs = json_object_get(root, "datacenters");
	if (!dcs)
		return fail(err, errlen, "datacenters: missing");
	if (!json_is_object(dcs))
		return fail(err, errlen, "datacenters: must be an object");
	size_t n = json_object_size(dcs);
	if (n == 0)
		return fail(err, errlen, "datacenters: no datacenter given");
	if (n > MF_TOPOLOGY_DC_MAX)
		return fail(err, errlen, "datacenters: at most %d",
			    MF_TOPOLOGY_DC_MAX);
	t->dcs = calloc(n, sizeof *t->dcs);
	t->rtt_ms = malloc(n * n * sizeof *t->rtt_ms);
	t->loss = calloc(n * n, sizeof *t->loss);
	if (!t->dcs || !t->rtt_ms || !t->loss)
		return MF_ENOMEM;
	for (size_t i = 0; i < n * n; i++)
		t->rtt_ms[i] = -1;
	t->n_dcs = n;

	const char *name;
	json_t *v;
	size_t i = 0;
	json_object_foreach(dcs, name, v) {
		struct mf_topology_dc *dc = &t->dcs[i++];
		if (!name_ok(name))
			return fail(err, errlen,
				    "datacenters.%s: name must be 1-%d letters, digits, '-' or '_'",
				    name, MF_TOPOLOGY_NAME_MAX - 1);
		if (!json_is_object(v))
			return fail(err, errlen,
				    "datacenters.%s: must be an object", name);
		snprintf(dc->name, sizeof dc->name, "%s", name);
		int rc = get_count(v, "servers", name, &dc->servers, err, errlen);
		if (rc == 0)
			rc = get_count(v, "gateways", name, &dc->gateways, err,
				       errlen);
		if (rc)
			return rc;
		dc->transit = true;
		json_t *tr = json_object_get(v, "transit");
		if (tr) {
			if (!json_is_boolean(tr))
				return fail(err, errlen,
					    "datacenters.%s.transit: must be true or false",
					    name);
			dc->transit = json_is_true(tr);
		}
	}
	return 0;
}

/* rtt_ms and loss share a shape: {dcA: {dcB: number}}, symmetric. */
static int parse_pairs(json_t *root, const char *key, double max,
		       struct mf_topology *t, double *m, char *err,
		       size_t errlen)
{
	json_t *obj = json_object_get(root, key);
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return fail(err, errlen, "%s: must be an object", key);
	size_t n = t->n_dcs;
	bool *given = calloc(n * n, sizeof *given);
	if (!given)
		return MF_ENOMEM;
	int rc = 0;
	const char *an, *bn;
	json_t *row, *v;
	json_object_foreach(obj, an, row) {
		int a = mf_topology_dc_index(t, an);
		if (a < 0) {
			rc = fail(err, errlen, "%s.%s: unknown datacenter",
				  key, an);
			break;
		}
		if (!json_is_object(row)) {
			rc = fail(err, errlen, "%s.%s: must be an object", key,
				  an);
			break;
		}
		json_object_foreach(row, bn, v) {
			char path[128];
			snprintf(path, sizeof path, "%s.%s.%s", key, an, bn);
			int b = mf_topology_dc_index(t, bn);
			double d = 0;
			if (b < 0) {
				rc = fail(err, errlen, "%s: unknown datacenter",
					  path);
				break;
			}
			if (a == b) {
				rc = fail(err, errlen,
					  "%s: a datacenter paired with itself (see intra_dc_rtt_ms)",
					  path);
				break;
			}
			rc = get_nonneg(v, path, &d, err, errlen);
			if (rc)
				break;
			if (d > max) {
				rc = fail(err, errlen, "%s: at most %g", path,
					  max);
				break;
			}
			size_t ab = (size_t)a * n + (size_t)b;
			size_t ba = (size_t)b * n + (size_t)a;
			if (given[ab] && m[ab] != d) {
				rc = fail(err, errlen,
					  "%s: contradicts %s.%s.%s", path, key,
					  bn, an);
				break;
			}
			given[ab] = given[ba] = true;
			m[ab] = m[ba] = d;
		}
		if (rc)
			break;
	}
	free(given);
	return rc;
}

static int parse_scalar(json_t *root, const char *key, double dflt,
			double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	*out = dflt;
	if (!v)
		return 0;
	return get_nonneg(v, key, out, err, errlen);
}

static int parse_areas(json_t *root, struct mf_topology *t, char *err,
		       size_t errlen)
{
	json_t *arr = json_object_get(root, "areas");
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, "areas: must be an array of DC lists");
	size_t na = json_array_size(arr);
	t->areas = calloc(na ? na : 1, sizeof *t->areas);
	if (!t->areas)
		return MF_ENOMEM;
	t->n_areas = na;
	for (size_t i = 0; i < na; i++) {
		json_t *area = json_array_get(arr, i);
		if (!json_is_array(area))
			return fail(err, errlen,
				    "areas[%zu]: must be an array of DC names", i);
		size_t nd = json_array_size(area);
		struct mf_topology_area *ar = &t->areas[i];
		ar->dcs = calloc(nd ? nd : 1, sizeof *ar->dcs);
		if (!ar->dcs)
			return MF_ENOMEM;
		for (size_t j = 0; j < nd; j++) {
			const char *s = json_string_value(json_array_get(area, j));
			int d = s ? mf_topology_dc_index(t, s) : MF_ENOTFOUND;
			if (!s)
				return fail(err, errlen,
					    "areas[%zu][%zu]: must be a DC name",
					    i, j);
			if (d < 0)
				return fail(err, errlen,
					    "areas[%zu][%zu]: unknown datacenter \"%s\"",
					    i, j, s);
			ar->dcs[ar->n_dcs++] = (size_t)d;
		}
	}
	return 0;
}

static int parse_routing(json_t *root, struct mf_topology *t, char *err,
			 size_t errlen)
{
	json_t *r = json_object_get(root, "routing");
	if (!r)
		return 0;
	if (!json_is_object(r))
		return fail(err, errlen, "routing: must be an object");
	json_t *d = json_object_get(r, "default");
	int rc;
	if (d && (rc = parse_route(d, "routing.default", &t->default_route,
				   err, errlen)))
		return rc;
	for (size_t i = 0; i < t->n_dcs; i++)
		t->dcs[i].route = t->default_route;
	json_t *targets = json_object_get(r, "targets");
	if (!targets)
		return 0;
	if (!json_is_object(targets))
		return fail(err, errlen, "routing.targets: must be an object");
	const char *name;
	json_t *v;
	json_object_foreach(targets, name, v) {
		char path[96];
		snprintf(path, sizeof path, "routing.targets.%s", name);
		int i = mf_topology_dc_index(t, name);
		if (i < 0)
			return fail(err, errlen, "%s: unknown datacenter", path);
		if ((rc = parse_route(v, path, &t->dcs[i].route, err, errlen)))
			return rc;
	}
	return 0;
}

int mf_topology_parse(const char *json, size_t len, struct mf_topology *out,
		      char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fail(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return MF_EMALFORMED;
	}
	int rc;
	if (!json_is_object(root))
		rc = fail(err, errlen, "topology: must be a JSON object");
	else if (!(rc = parse_dcs(root, out, err, errlen)) &&
		 !(rc = parse_pairs(root, "rtt_ms", 1e7, out, out->rtt_ms, err,
				    errlen)) &&
		 !(rc = parse_pairs(root, "loss", 1, out, out->loss, err,
				    errlen)) &&
		 !(rc = parse_scalar(root, "jitter_ms", 0, &out->jitter_ms, err,
				     errlen)) &&
		 !(rc = parse_scalar(root, "intra_dc_rtt_ms",
				     MF_TOPOLOGY_INTRA_DEFAULT_MS,
				     &out->intra_dc_rtt_ms, err, errlen)) &&
		 !(rc = parse_areas(root, out, err, errlen)))
		rc = parse_routing(root, out, err, errlen);
	json_decref(root);
	if (rc == MF_ENOMEM)
		fail(err, errlen, "out of memory");
	if (rc)
		mf_topology_free(out);
	return rc;
}

int mf_topology_load_file(const char *path, struct mf_topology *out,
			  char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return MF_EIO;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (cap - len < 4096 && (rc = mf_grow(&buf, &cap, len + 4096, 8192)) != 0)
			break;
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (!rc && ferror(f)) {
		fail(err, errlen, "%s: read error", path);
		rc = MF_EIO;
	}
	fclose(f);
	if (!rc) {
		char msg[256];
		rc = mf_topology_parse(buf, len, out, msg, sizeof msg);
		if (rc)
			fail(err, errlen, "%s: %s", path, msg);
	} else if (rc == MF_ENOMEM) {
		fail(err, errlen, "out of memory");
	}
	free(buf);
	return rc;
}

void mf_topology_free(struct mf_topology *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_areas; i++)
		free(t->areas[i].dcs);
	free(t->areas);
	free(t->dcs);
	free(t->rtt_ms);
	free(t->loss);
	memset(t, 0, sizeof *t);
}

int mf_topology_dc_index(const struct mf_topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_dcs; i++)
		if (strcmp(t->dcs[i].name, name) == 0)
			return (int)i;
	return MF_ENOTFOUND;
}

static bool area_has(const struct mf_topology_area *a, size_t dc)
{
	for (size_t i = 0; i < a->n_dcs; i++)
		if (a->dcs[i] == dc)
			return true;
	return false;
}

bool mf_topology_linked(const struct mf_topology *t, size_t a, size_t b)
{
	if (a == b || a >= t->n_dcs || b >= t->n_dcs)
		return false;
	if (t->rtt_ms[a * t->n_dcs + b] < 0)
		return false;
	if (t->n_areas == 0)
		return true;
	for (size_t i = 0; i < t->n_areas; i++)
		if (area_has(&t->areas[i], a) && area_has(&t->areas[i], b))
			return true;
	return false;
}

double mf_topology_rtt(const struct mf_topology *t, size_t a, size_t b)
{
	return t->rtt_ms[a * t->n_dcs + b];
}

double mf_topology_loss(const struct mf_topology *t, size_t a, size_t b)
{
	return t->loss[a * t->n_dcs + b];
}

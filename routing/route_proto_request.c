/*
 * routing/route_proto_request.c — the agent side's parser of what a
 * subscriber sends (route_proto_internal.h; contract in route_proto.h).
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


/* --- agent side: requests -------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t cap, const char *fmt, ...)
{
	if (cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
		mf_rp__printable(err);
	}
	return MF_EMALFORMED;
}

static int req_u64(const json_t *o, const char *type, const char *k, uint64_t *out, char *err, size_t cap)
{
	return mf_rp__get_u64(o, k, out) == 0 ? 0 : bad(err, cap, "%s: %s: %s", type, k, RP_U64_WHY);
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
		return bad(err, cap, "register: %s: \"%s\" is not IP:PORT", field, mf_rp__shown(s, buf));
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
			return bad(err, cap, "register: gateway.tagged: key \"%s\" is not dc:<DC name>", mf_rp__shown(k, buf));
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
			   mf_rp__shown(json_string_value(name), buf), MF_ADVERT_STR_MAX);
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
		   mf_rp__shown(type, buf));
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

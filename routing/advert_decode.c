/*
 * routing/advert_decode.c — advertisements from bytes: the strict decoders
 * of routing/advert.h (the wire format is drawn there).
 */
#include "routing/advert.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"
#include "routing/advert_internal.h"
#include "routing/names.h"

/* --- decoding ----------------------------------------------------------- */

static bool key_is(const msgpack_object *k, const char *s)
{
	size_t n = strlen(s);
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n && memcmp(k->via.str.ptr, s, n) == 0;
}

static int take_str(const msgpack_object *o, size_t min, size_t max, bool dc_name, char **out)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return MF_EMALFORMED;
	size_t n = o->via.str.size;
	const char *s = o->via.str.ptr;
	if (n < min || n > max)
		return MF_EMALFORMED;
	if (dc_name ? !mf_rt_name_valid(s, n) : !mf_advert__printable(s, n))
		return MF_EMALFORMED;
	*out = malloc(n + 1);
	if (!*out)
		return MF_ENOMEM;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return 0;
}

static int take_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return MF_EMALFORMED;
	*v = o->via.u64;
	return 0;
}

static int take_gateway(const msgpack_object *o, struct mf_gateway *g)
{
	int rc;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
		return MF_EMALFORMED;
	const msgpack_object *f = o->via.array.ptr;
	if ((rc = take_str(&f[0], 1, MF_ADVERT_STR_MAX, false, &g->name)) ||
	    (rc = take_str(&f[1], 0, MF_ADVERT_STR_MAX, false, &g->lan)) ||
	    (rc = take_str(&f[2], 0, MF_ADVERT_STR_MAX, false, &g->wan)))
		return rc;
	if (f[3].type != MSGPACK_OBJECT_MAP || f[3].via.map.size > MF_ADVERT_TAGS_MAX)
		return MF_EMALFORMED;
	size_t n = f[3].via.map.size;
	if (n) {
		g->tags = calloc(n, sizeof *g->tags);
		if (!g->tags)
			return MF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const msgpack_object_kv *kv = &f[3].via.map.ptr[i];
		g->n_tags = i + 1;
		if ((rc = take_str(&kv->key, 1, MF_ADVERT_STR_MAX, false, &g->tags[i].key)) ||
		    (rc = take_str(&kv->val, 1, MF_ADVERT_STR_MAX, false, &g->tags[i].addr)))
			return rc;
	}
	return 0;
}

enum { K_V = 1, K_O = 2, K_N = 4, K_Q = 8, K_X = 16, K_F = 32, K_D = 64, K_R = 128, K_G = 256, K_K = 512,
       K_B = 1024, K_W = 2048, K_S = 4096, K_C = 8192 };
#define K_REQUIRED (K_V | K_O | K_N | K_Q | K_X | K_F | K_D | K_R)
/* A version-3 delta: "c" in place of "b"; "x" and "f" optional (advert.h) */
#define K_REQUIRED3 (K_V | K_O | K_N | K_Q | K_C | K_D | K_R)

static int take_routes(const msgpack_object *o, struct mf_advert *a)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return MF_EMALFORMED;
	size_t n = o->via.array.size, n_hops = 0;
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *r = &o->via.array.ptr[i];
		if (r->type != MSGPACK_OBJECT_ARRAY || r->via.array.size < 3 ||
		    r->via.array.size - 3 > MF_ADVERT_HOPS_MAX)
			return MF_EMALFORMED;
		n_hops += r->via.array.size - 3;
	}
	if (n) {
		a->routes = calloc(n, sizeof *a->routes);
		if (!a->routes)
			return MF_ENOMEM;
	}
	if (n_hops) {
		a->hops = malloc(n_hops * sizeof *a->hops);
		if (!a->hops)
			return MF_ENOMEM;
	}
	a->n_routes = n;
	size_t h = 0;
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *f = o->via.array.ptr[i].via.array.ptr;
		uint32_t m = o->via.array.ptr[i].via.array.size;
		uint64_t t, d, x, ep;
		/* Name indexes are checked once "d" is known (key order is free). */
		if (take_uint(&f[0], UINT32_MAX, &t) || take_uint(&f[1], UINT32_MAX, &d) ||
		    take_uint(&f[2], UINT64_MAX, &ep))
			return MF_EMALFORMED;
		a->routes[i].target = (uint32_t)t;
		a->routes[i].distance_ms = (double)d / 10.0;
		a->routes[i].epoch = ep;
		a->routes[i].hops_off = (uint32_t)h;
		a->routes[i].n_hops = m - 3;
		for (uint32_t k = 3; k < m; k++) {
			if (take_uint(&f[k], UINT32_MAX, &x))
				return MF_EMALFORMED;
			a->hops[h++] = (uint32_t)x;
		}
	}
	a->n_hops = h;
	return 0;
}

/* A delta's withdrawn targets ("w"): indexes, checked against "d" after. */
static int take_gone(const msgpack_object *v, struct mf_advert *a)
{
	if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > MF_RT_NAMES_MAX)
		return MF_EMALFORMED;
	if (v->via.array.size && !(a->gone = calloc(v->via.array.size, sizeof *a->gone)))
		return MF_ENOMEM;
	for (size_t j = 0; j < v->via.array.size; j++) {
		uint64_t u;
		if (take_uint(&v->via.array.ptr[j], UINT32_MAX, &u))
			return MF_EMALFORMED;
		a->gone[j] = (uint32_t)u;
		a->n_gone = j + 1;
	}
	return 0;
}

/* One map; deltas (version 2) only when `delta` allows them. */
static int take_map(const msgpack_object *top, struct mf_advert *a, bool delta)
{
	if (top->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	unsigned seen = 0;
	uint64_t version = 0, dseq = 0;
	int rc = 0;
	for (size_t i = 0; i < top->via.map.size && rc == 0; i++) {
		const msgpack_object *k = &top->via.map.ptr[i].key, *v = &top->via.map.ptr[i].val;
		unsigned bit = key_is(k, "v") ? K_V : key_is(k, "o") ? K_O : key_is(k, "n") ? K_N :
			       key_is(k, "q") ? K_Q : key_is(k, "x") ? K_X : key_is(k, "f") ? K_F :
			       key_is(k, "d") ? K_D : key_is(k, "r") ? K_R : key_is(k, "g") ? K_G :
			       key_is(k, "k") ? K_K : key_is(k, "b") ? K_B : key_is(k, "w") ? K_W :
			       key_is(k, "s") ? K_S : key_is(k, "c") ? K_C : 0;
		if (k->type != MSGPACK_OBJECT_STR)
			return MF_EMALFORMED;
		if (bit & seen)
			return MF_EMALFORMED; /* a repeated key: ambiguous, refuse */
		seen |= bit;
		uint64_t u, c;
		switch (bit) {
		case K_V:
			if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				return MF_EMALFORMED;
			version = v->via.u64;
			if (version != MF_ADVERT_VERSION &&
			    !(delta && (version == MF_ADVERT_VERSION_DELTA || version == MF_ADVERT_VERSION_DELTA3)))
				return MF_EUNKNOWN;
			break;
		case K_B:
			rc = take_uint(v, UINT64_MAX, &a->base_seq);
			break;
		case K_C:
			rc = take_uint(v, UINT64_MAX, &dseq);
			break;
		case K_W:
			rc = take_gone(v, a);
			break;
		case K_S:
			if (v->type != MSGPACK_OBJECT_BOOLEAN)
				return MF_EMALFORMED;
			a->since_base = v->via.boolean;
			break;
		case K_O:
			rc = take_str(v, 1, MF_RT_NAME_MAX, true, &a->origin);
			break;
		case K_N:
			rc = take_str(v, 1, MF_ADVERT_STR_MAX, false, &a->node);
			break;
		case K_Q:
			rc = take_uint(v, UINT64_MAX, &a->seq);
			break;
		case K_X:
			if (v->type != MSGPACK_OBJECT_BOOLEAN)
				return MF_EMALFORMED;
			a->transit = v->via.boolean;
			break;
		case K_F:
			if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 2 ||
			    take_uint(&v->via.array.ptr[0], MF_ADVERT_FRAGS_MAX - 1, &u) ||
			    take_uint(&v->via.array.ptr[1], MF_ADVERT_FRAGS_MAX, &c) || c == 0 || u >= c)
				return MF_EMALFORMED;
			a->frag_index = (uint32_t)u;
			a->frag_count = (uint32_t)c;
			break;
		case K_D:
			if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > MF_RT_NAMES_MAX)
				return MF_EMALFORMED;
			if (v->via.array.size) {
				a->names = calloc(v->via.array.size, sizeof *a->names);
				if (!a->names)
					return MF_ENOMEM;
			}
			for (size_t j = 0; j < v->via.array.size && rc == 0; j++) {
				a->n_names = j + 1;
				rc = take_str(&v->via.array.ptr[j], 1, MF_RT_NAME_MAX, true, &a->names[j]);
			}
			break;
		case K_R:
			rc = take_routes(v, a);
			break;
		case K_G:
			if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > MF_ADVERT_GATEWAYS_MAX)
				return MF_EMALFORMED;
			if (v->via.array.size) {
				a->gateways = calloc(v->via.array.size, sizeof *a->gateways);
				if (!a->gateways)
					return MF_ENOMEM;
			}
			for (size_t j = 0; j < v->via.array.size && rc == 0; j++) {
				a->n_gateways = j + 1;
				rc = take_gateway(&v->via.array.ptr[j], &a->gateways[j]);
			}
			break;
		case K_K:
			if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > MF_RT_NAMES_MAX)
				return MF_EMALFORMED;
			if (v->via.array.size) {
				a->dead = calloc(v->via.array.size, sizeof *a->dead);
				if (!a->dead)
					return MF_ENOMEM;
			}
			for (size_t j = 0; j < v->via.array.size; j++) {
				const msgpack_object *d = &v->via.array.ptr[j];
				uint64_t dc, ep;
				if (d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size != 2 ||
				    take_uint(&d->via.array.ptr[0], UINT32_MAX, &dc) ||
				    take_uint(&d->via.array.ptr[1], UINT64_MAX, &ep))
					return MF_EMALFORMED;
				a->dead[j] = (struct mf_advert_dead){(uint32_t)dc, ep};
				a->n_dead = j + 1;
			}
			break;
		default:
			break; /* unknown key: a newer minor revision, ignore */
		}
	}
	if (rc < 0)
		return rc;
	if (version == MF_ADVERT_VERSION_DELTA3) {
		/* the base from the difference ("b" means nothing here); one
		 * fragment unless "f" says otherwise, which is then refused */
		if ((seen & K_REQUIRED3) != K_REQUIRED3)
			return MF_EMALFORMED;
		a->base_seq = dseq < a->seq ? a->seq - dseq : 0;
		if (!(seen & K_F))
			a->frag_count = 1;
	} else if ((seen & K_REQUIRED) != K_REQUIRED) {
		return MF_EMALFORMED;
	}
	if (version == MF_ADVERT_VERSION) {
		/* "b", "w" and "s" mean nothing in a full state: ignored keys */
		a->base_seq = 0;
		a->n_gone = 0;
		a->since_base = false;
	} else if ((version == MF_ADVERT_VERSION_DELTA && !(seen & K_B)) || a->base_seq == 0 ||
		   a->base_seq >= a->seq || a->frag_count != 1) {
		return MF_EMALFORMED; /* a delta names an older base, in one piece */
	}
	return mf_advert__indexes_ok(a) ? 0 : MF_EMALFORMED;
}

int mf_advert__decode_general(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta)
{
	memset(a, 0, sizeof *a);
	if (!buf || len == 0)
		return MF_ETRUNC;
	/* Peer bytes: only through the checked entry (gossip/mp.h). */
	struct mf_mp mp;
	size_t n = 0;
	int rc = mf_mp_unpack(buf, len, &mp, &n);
	if (rc == 0 && !used && n != len)
		rc = MF_EMALFORMED; /* trailing bytes */
	if (rc == 0)
		rc = take_map(mp.root, a, delta);
	mf_mp_done(&mp);
	if (rc < 0) {
		mf_advert_free(a);
		return rc;
	}
	if (used)
		*used = n;
	return 0;
}

/* The in-place reader first (advert_read.c: one allocation, no object
 * tree); whatever it leaves goes through msgpack-c, which decides. */
static int decode(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta)
{
	int rc = mf_advert__read(buf, len, a, used, delta);
	return rc == 1 ? mf_advert__decode_general(buf, len, a, used, delta) : rc;
}

int mf_advert_decode(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used)
{
	return decode(buf, len, a, used, false);
}

int mf_advert_decode_msg(const uint8_t *buf, size_t len, struct mf_advert *a)
{
	return decode(buf, len, a, NULL, true);
}

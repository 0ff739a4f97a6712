/*
 * routing/advert_read.c — advertisements read in place from their bytes
 * (contract in advert_internal.h): the fast path of routing/advert.h's
 * decoders. The general decoder (advert_decode.c) unpacks through
 * msgpack-c's object tree and then mallocs every name, route list and
 * string: at 100 DCs x 2 in meshfed-sim that was a fifth of the run, most
 * of it malloc/free. This reader walks the bytes twice: once to check
 * everything the general decoder checks and count what it will hold, then
 * to fill one block (names, routes, hops, tombstones, withdrawn targets and
 * every string but the gateways'). Whatever it is unsure of (an unknown
 * key, a repeated one, a type msgpack-c would still read as the right kind,
 * any error) it leaves to the general decoder, which alone decides errors;
 * so on inputs it reads it gives exactly what the general decoder gives
 * (tests/routing/test_advert_read.c, tests/fuzz/fuzz_advert_read.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp_read.h"
#include "routing/advert_internal.h"
#include "routing/names.h"

/* What the first walk counted: the block's parts. */
struct counts {
	size_t names, name_bytes, routes, hops, dead, gone, gateways;
	size_t origin_len, node_len;
	bool delta;           /* version 2 or 3 */
	uint64_t dseq;        /* version 3's "c" */
};

/* Where the second walk stores. */
struct sink {
	struct mf_advert *a;
	char *str;            /* next free byte of the string area */
	size_t hops;          /* hops stored so far */
};

static bool left(const struct mf_mp_rd *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n;
}

/* A msgpack boolean into *v (when v is not NULL), or false. */
static bool boolean(struct mf_mp_rd *r, bool *v)
{
	if (!left(r, 1) || (r->p[0] != 0xc2 && r->p[0] != 0xc3))
		return false;
	if (v)
		*v = r->p[0] == 0xc3;
	r->p++;
	return true;
}

/* A container header of the given family (fix range base/mask, 16- and
 * 32-bit codes): its count, or false. */
static bool hdr(struct mf_mp_rd *r, uint8_t fix, uint8_t fixmask, uint8_t c16, uint8_t c32, uint32_t *n)
{
	if (!left(r, 1))
		return false;
	uint8_t t = r->p[0];
	if ((t & (uint8_t)~fixmask) == fix) {
		*n = t & fixmask;
		r->p++;
		return true;
	}
	if (t == c16 && left(r, 3)) {
		*n = (uint32_t)r->p[1] << 8 | r->p[2];
		r->p += 3;
		return true;
	}
	if (t == c32 && left(r, 5)) {
		*n = (uint32_t)r->p[1] << 24 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 8 | r->p[4];
		r->p += 5;
		return true;
	}
	return false;
}

static bool arr(struct mf_mp_rd *r, uint32_t *n)
{
	return hdr(r, 0x90, 0x0f, 0xdc, 0xdd, n);
}

static bool map(struct mf_mp_rd *r, uint32_t *n)
{
	return hdr(r, 0x80, 0x0f, 0xde, 0xdf, n);
}

/* Any msgpack str (fixstr, str8, str16, str32: msgpack-c's STR) of
 * min..max bytes, a DC name or printable; a view into the bytes. */
static bool str(struct mf_mp_rd *r, size_t min, size_t max, bool dc_name, const char **s, size_t *n)
{
	if (!left(r, 1))
		return false;
	uint8_t t = r->p[0];
	size_t len, h;
	if (t >= 0xa0 && t <= 0xbf) {
		len = t & 0x1f;
		h = 1;
	} else if (t == 0xd9 && left(r, 2)) {
		len = r->p[1];
		h = 2;
	} else if (t == 0xda && left(r, 3)) {
		len = (size_t)r->p[1] << 8 | r->p[2];
		h = 3;
	} else if (t == 0xdb && left(r, 5)) {
		len = (size_t)r->p[1] << 24 | (size_t)r->p[2] << 16 | (size_t)r->p[3] << 8 | r->p[4];
		h = 5;
	} else {
		return false;
	}
	if (!left(r, h + len) || len < min || len > max)
		return false;
	*s = (const char *)r->p + h;
	*n = len;
	r->p += h + len;
	return dc_name ? mf_rt_name_valid(*s, len) : mf_advert__printable(*s, len);
}

/* A one-letter key. */
static bool key(struct mf_mp_rd *r, char *k)
{
	if (!left(r, 2) || r->p[0] != 0xa1)
		return false;
	*k = (char)r->p[1];
	r->p += 2;
	return true;
}

static char *put_str(struct sink *s, const char *p, size_t n)
{
	char *d = s->str;
	memcpy(d, p, n);
	d[n] = '\0';
	s->str += n + 1;
	return d;
}

/* A gateway's string, malloc'd (gateways keep their own strings: the
 * reassembly and the engine copy them apart from the block). */
static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* One gateway [name, lan, wan, {tag: addr}]; stored into g when set.
 * Returns 1 read, 0 not ours, MF_ENOMEM. */
static int gateway(struct mf_mp_rd *r, struct mf_gateway *g)
{
	uint32_t m, nt;
	const char *s[3];
	size_t n[3];
	if (!arr(r, &m) || m != 4 || !str(r, 1, MF_ADVERT_STR_MAX, false, &s[0], &n[0]) ||
	    !str(r, 0, MF_ADVERT_STR_MAX, false, &s[1], &n[1]) ||
	    !str(r, 0, MF_ADVERT_STR_MAX, false, &s[2], &n[2]) || !map(r, &nt) || nt > MF_ADVERT_TAGS_MAX)
		return 0;
	if (g && (!(g->name = dup_n(s[0], n[0])) || !(g->lan = dup_n(s[1], n[1])) ||
		  !(g->wan = dup_n(s[2], n[2])) || (nt && !(g->tags = calloc(nt, sizeof *g->tags)))))
		return MF_ENOMEM;
	for (uint32_t i = 0; i < nt; i++) {
		const char *k, *v;
		size_t kn, vn;
		if (!str(r, 1, MF_ADVERT_STR_MAX, false, &k, &kn) || !str(r, 1, MF_ADVERT_STR_MAX, false, &v, &vn))
			return 0;
		if (g) {
			g->n_tags = i + 1;
			if (!(g->tags[i].key = dup_n(k, kn)) || !(g->tags[i].addr = dup_n(v, vn)))
				return MF_ENOMEM;
		}
	}
	return 1;
}

/* The routes ("r"): [target, distance, epoch, hops...] each. */
static bool routes(struct mf_mp_rd *r, struct counts *c, struct sink *s)
{
	uint32_t n;
	if (!arr(r, &n))
		return false;
	c->routes = n;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t m;
		uint64_t t, d, ep, x;
		if (!arr(r, &m) || m < 3 || m - 3 > MF_ADVERT_HOPS_MAX || !mf_mp_rd_uint(r, UINT32_MAX, &t) ||
		    !mf_mp_rd_uint(r, UINT32_MAX, &d) || !mf_mp_rd_uint(r, UINT64_MAX, &ep))
			return false;
		struct mf_advert_route *ar = s ? &s->a->routes[i] : NULL;
		if (ar)
			*ar = (struct mf_advert_route){(uint32_t)t, (double)d / 10.0, ep, (uint32_t)s->hops, m - 3};
		for (uint32_t k = 3; k < m; k++) {
			if (!mf_mp_rd_uint(r, UINT32_MAX, &x))
				return false;
			if (s)
				s->a->hops[s->hops++] = (uint32_t)x;
		}
		c->hops += m - 3;
	}
	return true;
}

/* One walk over the map. Without s it checks and counts into c; with s it
 * stores (the bytes were checked by the first walk; gateways may still
 * fail on memory). Returns 1 read, 0 not ours, MF_ENOMEM. */
static int walk(struct mf_mp_rd *r, bool delta, struct counts *c, struct sink *s)
{
	struct mf_advert *a = s ? s->a : NULL;
	uint32_t nk;
	unsigned seen = 0;
	uint64_t version = 0, u, x;
	if (!map(r, &nk))
		return 0;
	memset(c, 0, sizeof *c);
	for (uint32_t i = 0; i < nk; i++) {
		char k;
		const char *p;
		size_t n;
		uint32_t m;
		if (!key(r, &k))
			return 0;
		const char *keys = "vonqxfdrgkbwsc", *at = k ? strchr(keys, k) : NULL;
		if (!at)
			return 0; /* unknown: the general decoder skips it */
		unsigned bit = 1u << (at - keys);
		if (seen & bit)
			return 0;
		seen |= bit;
		switch (k) {
		case 'v':
			if (!mf_mp_rd_uint(r, UINT64_MAX, &version) ||
			    (version != MF_ADVERT_VERSION &&
			     !(delta && (version == MF_ADVERT_VERSION_DELTA || version == MF_ADVERT_VERSION_DELTA3))))
				return 0;
			break;
		case 'c':
			if (!mf_mp_rd_uint(r, UINT64_MAX, &c->dseq))
				return 0;
			break;
		case 'o':
		case 'n':
			if (!str(r, 1, k == 'o' ? MF_RT_NAME_MAX : MF_ADVERT_STR_MAX, k == 'o', &p, &n))
				return 0;
			if (k == 'o')
				c->origin_len = n;
			else
				c->node_len = n;
			if (a && k == 'o')
				a->origin = put_str(s, p, n);
			else if (a)
				a->node = put_str(s, p, n);
			break;
		case 'q':
			if (!mf_mp_rd_uint(r, UINT64_MAX, &u))
				return 0;
			if (a)
				a->seq = u;
			break;
		case 'x':
			if (!boolean(r, a ? &a->transit : NULL))
				return 0;
			break;
		case 'f':
			if (!arr(r, &m) || m != 2 || !mf_mp_rd_uint(r, MF_ADVERT_FRAGS_MAX - 1, &u) ||
			    !mf_mp_rd_uint(r, MF_ADVERT_FRAGS_MAX, &x) || x == 0 || u >= x)
				return 0;
			if (a) {
				a->frag_index = (uint32_t)u;
				a->frag_count = (uint32_t)x;
			}
			break;
		case 'd':
			if (!arr(r, &m) || m > MF_RT_NAMES_MAX)
				return 0;
			c->names = m;
			for (uint32_t j = 0; j < m; j++) {
				if (!str(r, 1, MF_RT_NAME_MAX, true, &p, &n))
					return 0;
				c->name_bytes += n + 1;
				if (a)
					a->names[j] = put_str(s, p, n);
			}
			break;
		case 'r':
			if (!routes(r, c, s))
				return 0;
			break;
		case 'g':
			if (!arr(r, &m) || m > MF_ADVERT_GATEWAYS_MAX)
				return 0;
			c->gateways = m;
			for (uint32_t j = 0; j < m; j++) {
				if (a)
					a->n_gateways = j + 1;
				int rc = gateway(r, a ? &a->gateways[j] : NULL);
				if (rc <= 0)
					return rc;
			}
			break;
		case 'k':
			if (!arr(r, &m) || m > MF_RT_NAMES_MAX)
				return 0;
			c->dead = m;
			for (uint32_t j = 0; j < m; j++) {
				uint32_t two;
				if (!arr(r, &two) || two != 2 || !mf_mp_rd_uint(r, UINT32_MAX, &u) || !mf_mp_rd_uint(r, UINT64_MAX, &x))
					return 0;
				if (a)
					a->dead[j] = (struct mf_advert_dead){(uint32_t)u, x};
			}
			break;
		case 'b':
			if (!mf_mp_rd_uint(r, UINT64_MAX, &u))
				return 0;
			if (a)
				a->base_seq = u;
			break;
		case 's':
			if (!boolean(r, a ? &a->since_base : NULL))
				return 0;
			break;
		case 'w':
			if (!arr(r, &m) || m > MF_RT_NAMES_MAX)
				return 0;
			c->gone = m;
			for (uint32_t j = 0; j < m; j++) {
				if (!mf_mp_rd_uint(r, UINT32_MAX, &u))
					return 0;
				if (a)
					a->gone[j] = (uint32_t)u;
			}
			break;
		}
	}
	/* The general decoder's checks after the keys (advert_decode.c); a
	 * full state with "b", "w", "s" or "c" (which it ignores) is left to
	 * it, and so is a version-3 delta with "x", "f" or "b". */
	const unsigned required = 0xff, b = 1u << 10, w = 1u << 11, sb = 1u << 12; /* v o n q x f d r first */
	const unsigned cb = 1u << 13, xf = 1u << 4 | 1u << 5, required3 = (required & ~xf) | cb;
	if (version == MF_ADVERT_VERSION_DELTA3) {
		if ((seen & required3) != required3 || (seen & (xf | b)) != 0)
			return 0;
		if (a) { /* the base from the difference; one fragment */
			a->base_seq = c->dseq < a->seq ? a->seq - c->dseq : 0;
			a->frag_count = 1;
		}
	} else if ((seen & required) != required ||
		   (version == MF_ADVERT_VERSION ? (seen & (b | w | sb | cb)) != 0 : !(seen & b))) {
		return 0;
	}
	c->delta = version != MF_ADVERT_VERSION;
	return 1;
}

/* The delta's rules, then the indexes against "d" (as the general
 * decoder checks them), on the stored advert. */
static bool whole_ok(const struct mf_advert *a, bool delta)
{
	if (delta && (a->base_seq == 0 || a->base_seq >= a->seq || a->frag_count != 1))
		return false;
	return mf_advert__indexes_ok(a);
}

int mf_advert__read(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta)
{
	memset(a, 0, sizeof *a);
	if (!buf || len == 0)
		return 1;
	struct mf_mp_rd r = {buf, buf + len};
	struct counts c;
	if (walk(&r, delta, &c, NULL) != 1 || (!used && r.p != r.end))
		return 1;
	size_t end = (size_t)(r.p - buf);
	/* One block: pointers and 8-byte fields first, then 4-byte, then the
	 * strings. */
	size_t off_routes = c.names * sizeof(char *);
	size_t off_dead = off_routes + c.routes * sizeof(struct mf_advert_route);
	size_t off_hops = off_dead + c.dead * sizeof(struct mf_advert_dead);
	size_t off_gone = off_hops + c.hops * sizeof(uint32_t);
	size_t off_str = off_gone + c.gone * sizeof(uint32_t);
	size_t total = off_str + c.name_bytes + c.origin_len + 1 + c.node_len + 1;
	char *block = malloc(total);
	if (!block)
		return MF_ENOMEM;
	a->block = block;
	a->names = c.names ? (char **)(void *)block : NULL;
	a->routes = c.routes ? (struct mf_advert_route *)(void *)(block + off_routes) : NULL;
	a->dead = c.dead ? (struct mf_advert_dead *)(void *)(block + off_dead) : NULL;
	a->hops = c.hops ? (uint32_t *)(void *)(block + off_hops) : NULL;
	a->gone = c.gone ? (uint32_t *)(void *)(block + off_gone) : NULL;
	if (c.gateways && !(a->gateways = calloc(c.gateways, sizeof *a->gateways))) {
		mf_advert_free(a);
		return MF_ENOMEM;
	}
	struct sink s = {a, block + off_str, 0};
	r = (struct mf_mp_rd){buf, buf + len};
	struct counts again;
	int rc = walk(&r, delta, &again, &s);
	if (rc < 0) {
		mf_advert_free(a);
		return rc;
	}
	a->n_names = c.names;
	a->n_routes = c.routes;
	a->n_hops = c.hops;
	a->n_dead = c.dead;
	a->n_gone = c.gone;
	if (rc != 1 || !whole_ok(a, c.delta)) {
		mf_advert_free(a);
		return 1;
	}
	if (used)
		*used = end;
	return 0;
}

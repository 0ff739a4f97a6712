/*
 * gossip/mp_read.h — reading msgpack in place, for the decoders' fast
 * paths (gossip/codec_alive.c, gossip/serf.c's join intent): a message
 * laid out exactly as our encoders write it is read field by field from
 * its bytes, without msgpack-c's object tree and its malloc'd zone. Any
 * other layout is left to the general decoder (gossip/mp.h), which alone
 * decides errors.
 *
 * Contract: pure; a reader never reads past its end and, on false, leaves
 * its position unspecified (the caller gives up on the fast path).
 */
#ifndef MF_GOSSIP_MP_READ_H
#define MF_GOSSIP_MP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gossip/msg.h"

struct mf_mp_rd {
	const uint8_t *p, *end;
};

/* The key k (n < 32 bytes) as a fixstr. */
static inline bool mf_mp_rd_key(struct mf_mp_rd *r, const char *k, size_t n)
{
	if ((size_t)(r->end - r->p) < n + 1 || r->p[0] != (0xa0 | n) || memcmp(r->p + 1, k, n) != 0)
		return false;
	r->p += n + 1;
	return true;
}

/* A raw string (fixstr, str16, str32) of 1..max bytes, or nil when nil_ok
 * ({NULL, 0}); a view into the bytes, as msgpack-c gives. */
static inline bool mf_mp_rd_raw(struct mf_mp_rd *r, bool nil_ok, size_t max, struct mf_bytes *b)
{
	size_t left = (size_t)(r->end - r->p), n, hdr;
	if (left < 1)
		return false;
	uint8_t t = r->p[0];
	if (t == 0xc0 && nil_ok) {
		b->p = NULL;
		b->len = 0;
		r->p++;
		return true;
	}
	if (t >= 0xa1 && t <= 0xbf) {
		n = t & 0x1f;
		hdr = 1;
	} else if (t == 0xda && left >= 3) {
		n = (size_t)r->p[1] << 8 | r->p[2];
		hdr = 3;
	} else if (t == 0xdb && left >= 5) {
		n = (size_t)r->p[1] << 24 | (size_t)r->p[2] << 16 | (size_t)r->p[3] << 8 | r->p[4];
		hdr = 5;
	} else {
		return false;
	}
	if (n == 0 || n > max || n > left - hdr)
		return false;
	b->p = r->p + hdr;
	b->len = n;
	r->p += hdr + n;
	return true;
}

/* An unsigned integer (positive fixint, uint8..uint64) no larger than max. */
static inline bool mf_mp_rd_uint(struct mf_mp_rd *r, uint64_t max, uint64_t *v)
{
	static const uint8_t widths[4] = { 1, 2, 4, 8 }; /* cc, cd, ce, cf */
	size_t left = (size_t)(r->end - r->p);
	if (left < 1)
		return false;
	uint8_t t = r->p[0];
	if (t <= 0x7f) {
		*v = t;
		r->p += 1;
		return true;
	}
	if (t < 0xcc || t > 0xcf)
		return false;
	size_t w = widths[t - 0xcc];
	if (left < 1 + w)
		return false;
	uint64_t x = 0;
	for (size_t i = 1; i <= w; i++)
		x = x << 8 | r->p[i];
	r->p += 1 + w;
	*v = x;
	return x <= max;
}

#endif

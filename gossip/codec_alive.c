/*
 * gossip/codec_alive.c — the alive message read without msgpack-c when it
 * is laid out as our encoder (and memberlist's) writes it.
 *
 * Why: every member hears each alive about retransmit_mult x log10 N
 * times (a 10,000-member join storm: ~10^9 decodes in the simulator), and
 * msgpack-c's unpacker builds an object tree in a malloc'd zone for each.
 * This reads the one layout mf_codec_encode_alive writes, field by field
 * in place: a fixmap of 6 with the keys Addr, Incarnation, Meta, Node,
 * Port, Vsn in that order:
 *
 *   86 a4"Addr" (c0 | a4 +4 | b0 +16)  ab"Incarnation" uint32
 *      a4"Meta" (c0 | raw 1..MF_META_MAX)  a4"Node" raw 1..MF_NAME_MAX
 *      a4"Port" uint16  a3"Vsn" (c0 | a6 +6)
 *
 * (raw: fixstr, str16 or str32; uint: positive fixint, uint8/16/32.)
 * Anything else (another order, bin, an empty string, a value the
 * general decoder would refuse) is not read here: the caller falls back to
 * the general decoder, which alone decides errors. Where this reads a
 * message it yields exactly what the general decoder would (views into
 * body; the bytes after the map ignored, as there).
 *
 * Contract: pure; never reads past body[len).
 */
#include <string.h>

#include "gossip/codec_internal.h"

struct rd {
	const uint8_t *p, *end;
};

static bool key(struct rd *r, const char *k, size_t n)
{
	if ((size_t)(r->end - r->p) < n + 1 || r->p[0] != (0xa0 | n) || memcmp(r->p + 1, k, n) != 0)
		return false;
	r->p += n + 1;
	return true;
}

/* A raw string of 1..max bytes, or nil when nil_ok ({NULL, 0}). */
static bool raw(struct rd *r, bool nil_ok, size_t max, struct mf_bytes *b)
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

static bool uint_at_most(struct rd *r, uint64_t max, uint64_t *v)
{
	size_t left = (size_t)(r->end - r->p);
	if (left < 1)
		return false;
	uint8_t t = r->p[0];
	const uint8_t *q = r->p + 1;
	if (t <= 0x7f) {
		*v = t;
		r->p += 1;
	} else if (t == 0xcc && left >= 2) {
		*v = q[0];
		r->p += 2;
	} else if (t == 0xcd && left >= 3) {
		*v = (uint64_t)q[0] << 8 | q[1];
		r->p += 3;
	} else if (t == 0xce && left >= 5) {
		*v = (uint64_t)q[0] << 24 | (uint64_t)q[1] << 16 | (uint64_t)q[2] << 8 | q[3];
		r->p += 5;
	} else {
		return false;
	}
	return *v <= max;
}

int mf_codec__decode_alive_canonical(const uint8_t *body, size_t len, struct mf_msg_alive *m)
{
	struct rd r = { body, body + len };
	struct mf_bytes vsn;
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (len < 1 || body[0] != 0x86)
		return 1;
	r.p++;
	if (!key(&r, "Addr", 4) || !raw(&r, true, 16, &m->addr) ||
	    (m->addr.len != 0 && m->addr.len != 4 && m->addr.len != 16))
		return 1;
	if (!key(&r, "Incarnation", 11) || !uint_at_most(&r, UINT32_MAX, &v))
		return 1;
	m->incarnation = (uint32_t)v;
	if (!key(&r, "Meta", 4) || !raw(&r, true, MF_META_MAX, &m->meta))
		return 1;
	if (!key(&r, "Node", 4) || !raw(&r, false, MF_NAME_MAX, &m->node))
		return 1;
	if (!key(&r, "Port", 4) || !uint_at_most(&r, UINT16_MAX, &v))
		return 1;
	m->port = (uint16_t)v;
	if (!key(&r, "Vsn", 3) || !raw(&r, true, MF_VSN_LEN, &vsn) ||
	    (vsn.len != 0 && vsn.len != MF_VSN_LEN))
		return 1;
	if (vsn.len == MF_VSN_LEN) {
		memcpy(m->vsn, vsn.p, MF_VSN_LEN);
		m->has_vsn = true;
	}
	return 0;
}

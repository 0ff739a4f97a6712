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
 * (raw: fixstr, str16 or str32; uint: positive fixint, uint8..uint64;
 * the readers are gossip/mp_read.h.)
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
#include "gossip/mp_read.h"

int mf_codec__decode_alive_canonical(const uint8_t *body, size_t len, struct mf_msg_alive *m)
{
	struct mf_mp_rd r = { body, body + len };
	struct mf_bytes vsn;
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (len < 1 || body[0] != 0x86)
		return 1;
	r.p++;
	if (!mf_mp_rd_key(&r, "Addr", 4) || !mf_mp_rd_raw(&r, true, 16, &m->addr) ||
	    (m->addr.len != 0 && m->addr.len != 4 && m->addr.len != 16))
		return 1;
	if (!mf_mp_rd_key(&r, "Incarnation", 11) || !mf_mp_rd_uint(&r, UINT32_MAX, &v))
		return 1;
	m->incarnation = (uint32_t)v;
	if (!mf_mp_rd_key(&r, "Meta", 4) || !mf_mp_rd_raw(&r, true, MF_META_MAX, &m->meta))
		return 1;
	if (!mf_mp_rd_key(&r, "Node", 4) || !mf_mp_rd_raw(&r, false, MF_NAME_MAX, &m->node))
		return 1;
	if (!mf_mp_rd_key(&r, "Port", 4) || !mf_mp_rd_uint(&r, UINT16_MAX, &v))
		return 1;
	m->port = (uint16_t)v;
	if (!mf_mp_rd_key(&r, "Vsn", 3) || !mf_mp_rd_raw(&r, true, MF_VSN_LEN, &vsn) ||
	    (vsn.len != 0 && vsn.len != MF_VSN_LEN))
		return 1;
	if (vsn.len == MF_VSN_LEN) {
		memcpy(m->vsn, vsn.p, MF_VSN_LEN);
		m->has_vsn = true;
	}
	return 0;
}

/*
 * gossip/codec.c — memberlist's single messages (net.go): ping, indirect
 * ping, ack, nack, err, suspect, alive, dead, user. Every encoder below
 * writes the map keys in the order go-msgpack does: sorted by field name
 * (hashicorp/go-msgpack helper.go sorts struct fields by encName for map
 * encoding), omitempty fields (codec:",omitempty" in memberlist net.go)
 * left out when zero. Checked byte for byte against serf 0.9.4 captures in
 * tests/gossip_codec. The rest of gossip/codec.h: codec_pushpull.c,
 * codec_containers.c, codec_stream.c (codec_internal.h).
 */
#include <string.h>

#include "gossip/codec_internal.h"

/* Optional (omitempty) fields: present only when non-empty. */
static bool has(struct mf_bytes b)
{
	return b.len > 0;
}

/* ---- single messages ----------------------------------------------------- */

/* ping (net.go), keys sorted:
 *   {Node, SeqNo, [SourceAddr], [SourceNode], [SourcePort]}   [..] omitempty */
int mf_codec_encode_ping(msgpack_sbuffer *out, const struct mf_msg_ping *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_PING);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2 + has(m->source_addr) + has(m->source_node) +
				   (m->source_port != 0));
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, m->node.p, m->node.len);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	if (has(m->source_addr)) {
		e |= mf_mp_pack_key(&pk, "SourceAddr");
		e |= mf_mp_pack_bytes(&pk, m->source_addr);
	}
	if (has(m->source_node)) {
		e |= mf_mp_pack_key(&pk, "SourceNode");
		e |= mf_mp_pack_bytes(&pk, m->source_node);
	}
	if (m->source_port) {
		e |= mf_mp_pack_key(&pk, "SourcePort");
		e |= msgpack_pack_uint16(&pk, m->source_port);
	}
	return mf_codec__done(e);
}

int mf_codec_decode_ping(const uint8_t *body, size_t len, struct mf_msg_ping *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Node", false, MF_NAME_MAX, &m->node));
	TRY(mf_codec__get_addr(mp.root, "SourceAddr", false, &m->source_addr));
	TRY(mf_codec__get_uint(mp.root, "SourcePort", false, UINT16_MAX, &v));
	m->source_port = (uint16_t)v;
	TRY(mf_codec__get_bytes(mp.root, "SourceNode", false, MF_NAME_MAX, &m->source_node));
out:
	mf_mp_done(&mp);
	return rc;
}

/* indirectPingReq, keys sorted:
 *   {Nack, Node, Port, SeqNo, [SourceAddr], [SourceNode], [SourcePort], Target} */
int mf_codec_encode_indirect_ping(msgpack_sbuffer *out, const struct mf_msg_indirect_ping *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_INDIRECT_PING);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 5 + has(m->source_addr) + has(m->source_node) +
				   (m->source_port != 0));
	e |= mf_mp_pack_key(&pk, "Nack");
	e |= m->nack ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, m->node.p, m->node.len);
	e |= mf_mp_pack_key(&pk, "Port");
	e |= msgpack_pack_uint16(&pk, m->port);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	if (has(m->source_addr)) {
		e |= mf_mp_pack_key(&pk, "SourceAddr");
		e |= mf_mp_pack_bytes(&pk, m->source_addr);
	}
	if (has(m->source_node)) {
		e |= mf_mp_pack_key(&pk, "SourceNode");
		e |= mf_mp_pack_bytes(&pk, m->source_node);
	}
	if (m->source_port) {
		e |= mf_mp_pack_key(&pk, "SourcePort");
		e |= msgpack_pack_uint16(&pk, m->source_port);
	}
	e |= mf_mp_pack_key(&pk, "Target");
	e |= mf_mp_pack_bytes(&pk, m->target);
	return mf_codec__done(e);
}

int mf_codec_decode_indirect_ping(const uint8_t *body, size_t len, struct mf_msg_indirect_ping *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(mf_codec__get_addr(mp.root, "Target", true, &m->target));
	TRY(mf_codec__get_uint(mp.root, "Port", false, UINT16_MAX, &v));
	m->port = (uint16_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Node", false, MF_NAME_MAX, &m->node));
	TRY(mf_codec__get_bool(mp.root, "Nack", &m->nack));
	TRY(mf_codec__get_addr(mp.root, "SourceAddr", false, &m->source_addr));
	TRY(mf_codec__get_uint(mp.root, "SourcePort", false, UINT16_MAX, &v));
	m->source_port = (uint16_t)v;
	TRY(mf_codec__get_bytes(mp.root, "SourceNode", false, MF_NAME_MAX, &m->source_node));
out:
	mf_mp_done(&mp);
	return rc;
}

/* ackResp: {Payload, SeqNo}; a nil Payload (TCP ping ack) is msgpack nil. */
int mf_codec_encode_ack(msgpack_sbuffer *out, const struct mf_msg_ack *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_ACK);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "Payload");
	e |= mf_mp_pack_bytes(&pk, m->payload);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	return mf_codec__done(e);
}

int mf_codec_decode_ack(const uint8_t *body, size_t len, struct mf_msg_ack *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Payload", false, SIZE_MAX, &m->payload));
out:
	mf_mp_done(&mp);
	return rc;
}

/* nackResp: {SeqNo} */
int mf_codec_encode_nack(msgpack_sbuffer *out, const struct mf_msg_nack *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_NACK);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	return mf_codec__done(e);
}

int mf_codec_decode_nack(const uint8_t *body, size_t len, struct mf_msg_nack *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
out:
	mf_mp_done(&mp);
	return rc;
}

/* errResp: {Error} */
int mf_codec_encode_err(msgpack_sbuffer *out, const struct mf_msg_err *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_ERR);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "Error");
	e |= mf_mp_pack_raw(&pk, m->error.p, m->error.len);
	return mf_codec__done(e);
}

int mf_codec_decode_err(const uint8_t *body, size_t len, struct mf_msg_err *m)
{
	struct mf_mp mp;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_bytes(mp.root, "Error", true, SIZE_MAX, &m->error));
out:
	mf_mp_done(&mp);
	return rc;
}

/* suspect and dead: {From, Incarnation, Node} */
static int encode_sd(msgpack_sbuffer *out, uint8_t type, uint32_t inc, struct mf_bytes node,
		     struct mf_bytes from)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, type);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 3);
	e |= mf_mp_pack_key(&pk, "From");
	e |= mf_mp_pack_raw(&pk, from.p, from.len);
	e |= mf_mp_pack_key(&pk, "Incarnation");
	e |= msgpack_pack_uint32(&pk, inc);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, node.p, node.len);
	return mf_codec__done(e);
}

static int decode_sd(const uint8_t *body, size_t len, uint32_t *inc, struct mf_bytes *node,
		     struct mf_bytes *from)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "Incarnation", true, UINT32_MAX, &v));
	*inc = (uint32_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Node", true, MF_NAME_MAX, node));
	TRY(mf_codec__get_bytes(mp.root, "From", false, MF_NAME_MAX, from));
out:
	mf_mp_done(&mp);
	return rc;
}

int mf_codec_encode_suspect(msgpack_sbuffer *out, const struct mf_msg_suspect *m)
{
	return encode_sd(out, MF_MSG_SUSPECT, m->incarnation, m->node, m->from);
}

int mf_codec_encode_dead(msgpack_sbuffer *out, const struct mf_msg_dead *m)
{
	return encode_sd(out, MF_MSG_DEAD, m->incarnation, m->node, m->from);
}

int mf_codec_decode_suspect(const uint8_t *body, size_t len, struct mf_msg_suspect *m)
{
	memset(m, 0, sizeof(*m));
	return decode_sd(body, len, &m->incarnation, &m->node, &m->from);
}

int mf_codec_decode_dead(const uint8_t *body, size_t len, struct mf_msg_dead *m)
{
	memset(m, 0, sizeof(*m));
	return decode_sd(body, len, &m->incarnation, &m->node, &m->from);
}

/* alive: {Addr, Incarnation, Meta, Node, Port, Vsn}; no omitempty, so a nil
 * Meta or Vsn is msgpack nil. Captured from serf:
 *   04 86 a4"Addr" a4 7f000002 ab"Incarnation" 01 a4"Meta" a2 ff80
 *      a4"Node" a2"u2" a4"Port" cd1f0a a3"Vsn" a6 010502020505 */
int mf_codec_encode_alive(msgpack_sbuffer *out, const struct mf_msg_alive *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_ALIVE);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 6);
	e |= mf_mp_pack_key(&pk, "Addr");
	e |= mf_mp_pack_bytes(&pk, m->addr);
	e |= mf_mp_pack_key(&pk, "Incarnation");
	e |= msgpack_pack_uint32(&pk, m->incarnation);
	e |= mf_mp_pack_key(&pk, "Meta");
	e |= mf_mp_pack_bytes(&pk, m->meta);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, m->node.p, m->node.len);
	e |= mf_mp_pack_key(&pk, "Port");
	e |= msgpack_pack_uint16(&pk, m->port);
	e |= mf_mp_pack_key(&pk, "Vsn");
	e |= mf_codec__pack_vsn(&pk, m->vsn, m->has_vsn);
	return mf_codec__done(e);
}

int mf_codec__decode_alive_general(const uint8_t *body, size_t len, struct mf_msg_alive *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "Incarnation", true, UINT32_MAX, &v));
	m->incarnation = (uint32_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Node", true, MF_NAME_MAX, &m->node));
	TRY(mf_codec__get_addr(mp.root, "Addr", false, &m->addr));
	TRY(mf_codec__get_uint(mp.root, "Port", false, UINT16_MAX, &v));
	m->port = (uint16_t)v;
	TRY(mf_codec__get_bytes(mp.root, "Meta", false, MF_META_MAX, &m->meta));
	TRY(mf_codec__get_vsn(mp.root, m->vsn, &m->has_vsn));
out:
	mf_mp_done(&mp);
	return rc;
}

int mf_codec_decode_alive(const uint8_t *body, size_t len, struct mf_msg_alive *m)
{
	if (mf_codec__decode_alive_canonical(body, len, m) == 0)
		return 0; /* our own layout, read without msgpack-c (codec_alive.c) */
	return mf_codec__decode_alive_general(body, len, m);
}

/* A user message on UDP is the raw payload after the type byte. */
int mf_codec_encode_user(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	int rc = mf_mp_put_type(out, MF_MSG_USER);
	if (rc == 0 && len && msgpack_sbuffer_write(out, (const char *)msg, len))
		rc = MF_ENOMEM;
	return rc;
}

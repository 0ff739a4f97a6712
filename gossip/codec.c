/*
 * memberlist message codec. Every encoder below writes the map keys in the
 * order go-msgpack does: sorted by field name (hashicorp/go-msgpack
 * helper.go sorts struct fields by encName for map encoding), omitempty
 * fields (codec:",omitempty" in memberlist net.go) left out when zero.
 * Checked byte for byte against serf 0.9.4 captures in tests/gossip_codec.
 */
#include "gossip/codec.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gossip/err.h"
#include "gossip/lzw.h"
#include "gossip/mp.h"

/* ---- helpers ------------------------------------------------------------ */

static int put_type(msgpack_sbuffer *out, uint8_t t)
{
	return msgpack_sbuffer_write(out, (const char *)&t, 1) ? MF_ENOMEM : 0;
}

static int done(int e)
{
	return e ? MF_ENOMEM : 0;
}

/* Optional (omitempty) fields: present only when non-empty. */
static bool has(struct mf_bytes b)
{
	return b.len > 0;
}

static int get_uint(const msgpack_object *m, const char *k, bool req, uint64_t max, uint64_t *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = 0;
	if (!o)
		return req ? MF_EMALFORMED : 0;
	if (o->type == MSGPACK_OBJECT_NIL) /* go-msgpack: nil decodes to zero */
		return req ? MF_EMALFORMED : 0;
	return mf_mp_uint(o, max, v);
}

static int get_int(const msgpack_object *m, const char *k, bool req, int64_t *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return req ? MF_EMALFORMED : 0;
	return mf_mp_int(o, v);
}

static int get_bool(const msgpack_object *m, const char *k, bool *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = false;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	return mf_mp_bool(o, v);
}

/* Byte field, at most max bytes (MF_ETOOBIG beyond). */
static int get_bytes(const msgpack_object *m, const char *k, bool req, size_t max,
		     struct mf_bytes *b)
{
	const msgpack_object *o = mf_mp_get(m, k);

	b->p = NULL;
	b->len = 0;
	if (!o)
		return req ? MF_EMALFORMED : 0;
	int rc = mf_mp_bytes(o, b);
	if (rc)
		return rc;
	return b->len > max ? MF_ETOOBIG : 0;
}

/* An IP address field: empty, 4 or 16 raw bytes. */
static int get_addr(const msgpack_object *m, const char *k, bool req, struct mf_bytes *b)
{
	int rc = get_bytes(m, k, req, 16, b);
	if (rc == MF_ETOOBIG)
		return MF_EMALFORMED;
	if (rc == 0 && b->len != 0 && b->len != 4 && b->len != 16)
		return MF_EMALFORMED;
	if (rc == 0 && req && b->len == 0)
		return MF_EMALFORMED;
	return rc;
}

static int get_vsn(const msgpack_object *m, uint8_t vsn[MF_VSN_LEN], bool *has_vsn)
{
	struct mf_bytes b;
	int rc = get_bytes(m, "Vsn", false, SIZE_MAX, &b);

	*has_vsn = false;
	memset(vsn, 0, MF_VSN_LEN);
	if (rc)
		return rc;
	if (b.len == MF_VSN_LEN) {
		memcpy(vsn, b.p, MF_VSN_LEN);
		*has_vsn = true;
	}
	return 0;
}

static int pack_vsn(msgpack_packer *pk, const uint8_t vsn[MF_VSN_LEN], bool has_vsn)
{
	if (!has_vsn)
		return msgpack_pack_nil(pk);
	return mf_mp_pack_raw(pk, vsn, MF_VSN_LEN);
}

/* Unpacks body as one map; the caller reads fields, then mf_mp_done. */
static int open_map(const uint8_t *body, size_t len, struct mf_mp *mp, size_t *used)
{
	int rc = mf_mp_unpack(body, len, mp, used);
	if (rc)
		return rc;
	if (mp->root->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	return 0;
}

#define TRY(x) do { if ((rc = (x)) != 0) goto out; } while (0)

/* ---- single messages ----------------------------------------------------- */

/* ping (net.go), keys sorted:
 *   {Node, SeqNo, [SourceAddr], [SourceNode], [SourcePort]}   [..] omitempty */
int mf_codec_encode_ping(msgpack_sbuffer *out, const struct mf_msg_ping *m)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_PING);

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
	return done(e);
}

int mf_codec_decode_ping(const uint8_t *body, size_t len, struct mf_msg_ping *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(get_bytes(mp.root, "Node", false, MF_NAME_MAX, &m->node));
	TRY(get_addr(mp.root, "SourceAddr", false, &m->source_addr));
	TRY(get_uint(mp.root, "SourcePort", false, UINT16_MAX, &v));
	m->source_port = (uint16_t)v;
	TRY(get_bytes(mp.root, "SourceNode", false, MF_NAME_MAX, &m->source_node));
out:
	mf_mp_done(&mp);
	return rc;
}

/* indirectPingReq, keys sorted:
 *   {Nack, Node, Port, SeqNo, [SourceAddr], [SourceNode], [SourcePort], Target} */
int mf_codec_encode_indirect_ping(msgpack_sbuffer *out, const struct mf_msg_indirect_ping *m)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_INDIRECT_PING);

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
	return done(e);
}

int mf_codec_decode_indirect_ping(const uint8_t *body, size_t len, struct mf_msg_indirect_ping *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(get_addr(mp.root, "Target", true, &m->target));
	TRY(get_uint(mp.root, "Port", false, UINT16_MAX, &v));
	m->port = (uint16_t)v;
	TRY(get_bytes(mp.root, "Node", false, MF_NAME_MAX, &m->node));
	TRY(get_bool(mp.root, "Nack", &m->nack));
	TRY(get_addr(mp.root, "SourceAddr", false, &m->source_addr));
	TRY(get_uint(mp.root, "SourcePort", false, UINT16_MAX, &v));
	m->source_port = (uint16_t)v;
	TRY(get_bytes(mp.root, "SourceNode", false, MF_NAME_MAX, &m->source_node));
out:
	mf_mp_done(&mp);
	return rc;
}

/* ackResp: {Payload, SeqNo}; a nil Payload (TCP ping ack) is msgpack nil. */
int mf_codec_encode_ack(msgpack_sbuffer *out, const struct mf_msg_ack *m)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_ACK);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "Payload");
	e |= mf_mp_pack_bytes(&pk, m->payload);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	return done(e);
}

int mf_codec_decode_ack(const uint8_t *body, size_t len, struct mf_msg_ack *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
	TRY(get_bytes(mp.root, "Payload", false, SIZE_MAX, &m->payload));
out:
	mf_mp_done(&mp);
	return rc;
}

/* nackResp: {SeqNo} */
int mf_codec_encode_nack(msgpack_sbuffer *out, const struct mf_msg_nack *m)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_NACK);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "SeqNo");
	e |= msgpack_pack_uint32(&pk, m->seq_no);
	return done(e);
}

int mf_codec_decode_nack(const uint8_t *body, size_t len, struct mf_msg_nack *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "SeqNo", true, UINT32_MAX, &v));
	m->seq_no = (uint32_t)v;
out:
	mf_mp_done(&mp);
	return rc;
}

/* errResp: {Error} */
int mf_codec_encode_err(msgpack_sbuffer *out, const struct mf_msg_err *m)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_ERR);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "Error");
	e |= mf_mp_pack_raw(&pk, m->error.p, m->error.len);
	return done(e);
}

int mf_codec_decode_err(const uint8_t *body, size_t len, struct mf_msg_err *m)
{
	struct mf_mp mp;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_bytes(mp.root, "Error", true, SIZE_MAX, &m->error));
out:
	mf_mp_done(&mp);
	return rc;
}

/* suspect and dead: {From, Incarnation, Node} */
static int encode_sd(msgpack_sbuffer *out, uint8_t type, uint32_t inc, struct mf_bytes node,
		     struct mf_bytes from)
{
	msgpack_packer pk;
	int e = put_type(out, type);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 3);
	e |= mf_mp_pack_key(&pk, "From");
	e |= mf_mp_pack_raw(&pk, from.p, from.len);
	e |= mf_mp_pack_key(&pk, "Incarnation");
	e |= msgpack_pack_uint32(&pk, inc);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, node.p, node.len);
	return done(e);
}

static int decode_sd(const uint8_t *body, size_t len, uint32_t *inc, struct mf_bytes *node,
		     struct mf_bytes *from)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "Incarnation", true, UINT32_MAX, &v));
	*inc = (uint32_t)v;
	TRY(get_bytes(mp.root, "Node", true, MF_NAME_MAX, node));
	TRY(get_bytes(mp.root, "From", false, MF_NAME_MAX, from));
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
	int e = put_type(out, MF_MSG_ALIVE);

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
	e |= pack_vsn(&pk, m->vsn, m->has_vsn);
	return done(e);
}

int mf_codec_decode_alive(const uint8_t *body, size_t len, struct mf_msg_alive *m)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "Incarnation", true, UINT32_MAX, &v));
	m->incarnation = (uint32_t)v;
	TRY(get_bytes(mp.root, "Node", true, MF_NAME_MAX, &m->node));
	TRY(get_addr(mp.root, "Addr", false, &m->addr));
	TRY(get_uint(mp.root, "Port", false, UINT16_MAX, &v));
	m->port = (uint16_t)v;
	TRY(get_bytes(mp.root, "Meta", false, MF_META_MAX, &m->meta));
	TRY(get_vsn(mp.root, m->vsn, &m->has_vsn));
out:
	mf_mp_done(&mp);
	return rc;
}

/* A user message on UDP is the raw payload after the type byte. */
int mf_codec_encode_user(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	int rc = put_type(out, MF_MSG_USER);
	if (rc == 0 && len && msgpack_sbuffer_write(out, (const char *)msg, len))
		rc = MF_ENOMEM;
	return rc;
}

/* ---- push-pull ----------------------------------------------------------
 * net.go sendLocalState / readRemoteState:
 *   [6] {Join, Nodes, UserStateLen}
 *       {Addr, Incarnation, Meta, Name, Port, State, Vsn} * Nodes
 *       user state: UserStateLen raw bytes (serf: its messagePushPull)   */

static int pack_node_state(msgpack_packer *pk, const struct mf_msg_push_node_state *s)
{
	int e = msgpack_pack_map(pk, 7);

	e |= mf_mp_pack_key(pk, "Addr");
	e |= mf_mp_pack_bytes(pk, s->addr);
	e |= mf_mp_pack_key(pk, "Incarnation");
	e |= msgpack_pack_uint32(pk, s->incarnation);
	e |= mf_mp_pack_key(pk, "Meta");
	e |= mf_mp_pack_bytes(pk, s->meta);
	e |= mf_mp_pack_key(pk, "Name");
	e |= mf_mp_pack_raw(pk, s->name.p, s->name.len);
	e |= mf_mp_pack_key(pk, "Port");
	e |= msgpack_pack_uint16(pk, s->port);
	e |= mf_mp_pack_key(pk, "State");
	e |= msgpack_pack_uint8(pk, s->state);
	e |= mf_mp_pack_key(pk, "Vsn");
	e |= pack_vsn(pk, s->vsn, s->has_vsn);
	return e;
}

int mf_codec_encode_push_pull(msgpack_sbuffer *out, bool join,
			      const struct mf_msg_push_node_state *states, size_t n,
			      const uint8_t *user_state, size_t user_len)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_PUSH_PULL);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 3);
	e |= mf_mp_pack_key(&pk, "Join");
	e |= join ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	e |= mf_mp_pack_key(&pk, "Nodes");
	e |= msgpack_pack_uint64(&pk, n);
	e |= mf_mp_pack_key(&pk, "UserStateLen");
	e |= msgpack_pack_uint64(&pk, user_len);
	for (size_t i = 0; i < n; i++)
		e |= pack_node_state(&pk, &states[i]);
	if (user_len)
		e |= msgpack_sbuffer_write(out, (const char *)user_state, user_len);
	return done(e);
}

static int decode_node_state(const msgpack_object *m, struct mf_msg_push_node_state *s)
{
	uint64_t v;
	int rc;

	memset(s, 0, sizeof(*s));
	if (m->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	if ((rc = get_bytes(m, "Name", true, MF_NAME_MAX, &s->name)) ||
	    (rc = get_addr(m, "Addr", false, &s->addr)) ||
	    (rc = get_uint(m, "Port", false, UINT16_MAX, &v)))
		return rc;
	s->port = (uint16_t)v;
	if ((rc = get_bytes(m, "Meta", false, MF_META_MAX, &s->meta)) ||
	    (rc = get_uint(m, "Incarnation", false, UINT32_MAX, &v)))
		return rc;
	s->incarnation = (uint32_t)v;
	if ((rc = get_uint(m, "State", false, UINT8_MAX, &v)))
		return rc;
	s->state = (uint8_t)v;
	return get_vsn(m, s->vsn, &s->has_vsn);
}

/* Reads the header map; *used = its length. */
static int decode_pp_header(const uint8_t *body, size_t len, struct mf_msg_push_pull_header *h,
			    size_t *used)
{
	struct mf_mp mp;
	int rc;

	memset(h, 0, sizeof(*h));
	TRY(open_map(body, len, &mp, used));
	TRY(get_int(mp.root, "Nodes", false, &h->nodes));
	TRY(get_int(mp.root, "UserStateLen", false, &h->user_state_len));
	TRY(get_bool(mp.root, "Join", &h->join));
	if (h->nodes < 0 || h->user_state_len < 0)
		rc = MF_EMALFORMED;
out:
	mf_mp_done(&mp);
	return rc;
}

int mf_codec_decode_push_pull(const uint8_t *body, size_t len, struct mf_push_pull *pp)
{
	size_t off = 0, used = 0;
	int rc;

	memset(pp, 0, sizeof(*pp));
	rc = decode_pp_header(body, len, &pp->header, &used);
	if (rc)
		return rc;
	off = used;
	/* Each state takes at least one byte: bounds the allocation. */
	if ((uint64_t)pp->header.nodes > len - off)
		return MF_ETRUNC;
	if (pp->header.nodes > 0) {
		pp->states = calloc((size_t)pp->header.nodes, sizeof(*pp->states));
		if (!pp->states)
			return MF_ENOMEM;
	}
	for (int64_t i = 0; i < pp->header.nodes; i++) {
		struct mf_mp mp;
		rc = mf_mp_unpack(body + off, len - off, &mp, &used);
		if (rc == 0)
			rc = decode_node_state(mp.root, &pp->states[i]);
		mf_mp_done(&mp);
		if (rc)
			goto fail;
		off += used;
		pp->n_states++;
	}
	if ((uint64_t)pp->header.user_state_len > len - off) {
		rc = MF_ETRUNC;
		goto fail;
	}
	pp->user_state.p = body + off;
	pp->user_state.len = (size_t)pp->header.user_state_len;
	return 0;
fail:
	mf_codec_push_pull_free(pp);
	return rc;
}

void mf_codec_push_pull_free(struct mf_push_pull *pp)
{
	free(pp->states);
	pp->states = NULL;
	pp->n_states = 0;
}

/* ---- user message on a stream: [8] {UserMsgLen} raw (net.go sendUserMsg) */

int mf_codec_encode_user_stream(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	msgpack_packer pk;
	int e = put_type(out, MF_MSG_USER);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "UserMsgLen");
	e |= msgpack_pack_uint64(&pk, len);
	if (len)
		e |= msgpack_sbuffer_write(out, (const char *)msg, len);
	return done(e);
}

static int decode_user_header(const uint8_t *body, size_t len, int64_t *n, size_t *used)
{
	struct mf_mp mp;
	int rc;

	TRY(open_map(body, len, &mp, used));
	TRY(get_int(mp.root, "UserMsgLen", false, n));
	if (*n < 0)
		rc = MF_EMALFORMED;
out:
	mf_mp_done(&mp);
	return rc;
}

int mf_codec_decode_user_stream(const uint8_t *body, size_t len, struct mf_bytes *msg)
{
	int64_t n = 0;
	size_t used = 0;
	int rc = decode_user_header(body, len, &n, &used);

	msg->p = NULL;
	msg->len = 0;
	if (rc)
		return rc;
	if ((uint64_t)n > len - used)
		return MF_ETRUNC;
	msg->p = body + used;
	msg->len = (size_t)n;
	return 0;
}

/* ---- containers ---------------------------------------------------------- */

/* util.go makeCompoundMessage:
 *   [7][count u8][len u16 BE]*count[msg]*count */
int mf_codec_encode_compound(msgpack_sbuffer *out, const struct mf_bytes *msgs, size_t n)
{
	uint8_t hdr[2];
	int e;

	if (n > UINT8_MAX)
		return MF_ETOOBIG;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].len > UINT16_MAX)
			return MF_ETOOBIG;
	hdr[0] = MF_MSG_COMPOUND;
	hdr[1] = (uint8_t)n;
	e = msgpack_sbuffer_write(out, (const char *)hdr, 2);
	for (size_t i = 0; i < n; i++) {
		hdr[0] = (uint8_t)(msgs[i].len >> 8);
		hdr[1] = (uint8_t)msgs[i].len;
		e |= msgpack_sbuffer_write(out, (const char *)hdr, 2);
	}
	for (size_t i = 0; i < n; i++)
		if (msgs[i].len)
			e |= msgpack_sbuffer_write(out, (const char *)msgs[i].p, msgs[i].len);
	return done(e);
}

int mf_codec_split_compound(const uint8_t *body, size_t len, struct mf_bytes *parts,
			    size_t max, size_t *n)
{
	size_t count, off;

	*n = 0;
	if (len < 1)
		return MF_ETRUNC;
	count = body[0];
	if (count > max)
		return MF_ETOOBIG;
	if (len - 1 < 2 * count)
		return MF_ETRUNC;
	off = 1 + 2 * count;
	for (size_t i = 0; i < count; i++) {
		size_t l = (size_t)body[1 + 2 * i] << 8 | body[2 + 2 * i];
		if (l > len - off)
			return MF_ETRUNC;
		parts[i].p = body + off;
		parts[i].len = l;
		off += l;
		(*n)++;
	}
	return 0;
}

/* net.go rawSendMsgPacket: [12][crc32 IEEE BE of msg][msg] */
int mf_codec_encode_crc(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	uLong crc = crc32_z(0L, msg, len);
	uint8_t hdr[5] = {MF_MSG_HAS_CRC, (uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
			  (uint8_t)(crc >> 8), (uint8_t)crc};
	int e = msgpack_sbuffer_write(out, (const char *)hdr, 5);

	if (len)
		e |= msgpack_sbuffer_write(out, (const char *)msg, len);
	return done(e);
}

int mf_codec_check_crc(const uint8_t *body, size_t len, struct mf_bytes *inner)
{
	uint32_t want;

	inner->p = NULL;
	inner->len = 0;
	if (len < 4)
		return MF_ETRUNC;
	want = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 | (uint32_t)body[2] << 8 | body[3];
	if ((uint32_t)crc32_z(0L, body + 4, len - 4) != want)
		return MF_ECRC;
	inner->p = body + 4;
	inner->len = len - 4;
	return 0;
}

/* util.go compressPayload: [9] {Algo: 0 (lzwAlgo), Buf: <LZW of msg>} */
int mf_codec_encode_compress(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	msgpack_sbuffer z;
	msgpack_packer pk;
	int e;

	msgpack_sbuffer_init(&z);
	e = mf_lzw_encode(msg, len, &z);
	if (e) {
		msgpack_sbuffer_destroy(&z);
		return e;
	}
	e = put_type(out, MF_MSG_COMPRESS);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "Algo");
	e |= msgpack_pack_uint8(&pk, 0);
	e |= mf_mp_pack_key(&pk, "Buf");
	e |= mf_mp_pack_raw(&pk, z.data, z.size);
	msgpack_sbuffer_destroy(&z);
	return done(e);
}

int mf_codec_decode_compress(const uint8_t *body, size_t len, msgpack_sbuffer *out,
			     size_t max_out)
{
	struct mf_mp mp;
	struct mf_bytes buf;
	uint64_t algo;
	int rc;

	msgpack_sbuffer_clear(out);
	TRY(open_map(body, len, &mp, NULL));
	TRY(get_uint(mp.root, "Algo", false, UINT8_MAX, &algo));
	if (algo != 0) {
		rc = MF_EDECOMPRESS; /* "Cannot decompress unknown algorithm" */
		goto out;
	}
	TRY(get_bytes(mp.root, "Buf", true, SIZE_MAX, &buf));
	TRY(mf_lzw_decode(buf.p, buf.len, out, max_out));
out:
	mf_mp_done(&mp);
	return rc;
}

/* ---- streams -------------------------------------------------------------- */

/*
 * Incremental framing. The transport appends what it reads and calls
 * mf_codec_stream_feed() again; the framer keeps its parse position, so every
 * byte is looked at once whatever the read sizes (a push-pull declaring 19 M
 * node states, sent 8 KB at a time, costs O(bytes received)). Containers are
 * skipped by counting the objects still owed (`pending`); a scalar, string or
 * ext is measured by mf_mp_measure(), which costs O(1) for a non-container,
 * so an object split across reads is re-measured in constant time.
 */
enum { FR_TYPE, FR_ENCLEN, FR_OBJECT, FR_TAIL, FR_DONE };
enum { FR_WHAT_SINGLE, FR_WHAT_PP_HEADER, FR_WHAT_PP_NODE, FR_WHAT_USER_HEADER };

void mf_stream_framer_init(struct mf_stream_framer *f)
{
	memset(f, 0, sizeof(*f));
}

/* Container header at b (len >= 1 available): 1 and *items, *hdr when it is
 * one and whole, 0 when it is a container cut short, -1 when not a container. */
static int container_header(const uint8_t *b, size_t len, uint64_t *items, size_t *hdr)
{
	uint8_t t = b[0];
	size_t n;
	int map = 0;

	if (t >= 0x80 && t <= 0x9f) {
		*items = (t <= 0x8f) ? 2u * (t & 0x0fu) : (t & 0x0fu);
		*hdr = 1;
		return 1;
	}
	switch (t) {
	case 0xdc: n = 2; break;
	case 0xdd: n = 4; break;
	case 0xde: n = 2; map = 1; break;
	case 0xdf: n = 4; map = 1; break;
	default: return -1;
	}
	if (len < 1 + n)
		return 0;
	uint64_t v = 0;
	for (size_t i = 1; i <= n; i++)
		v = v << 8 | b[i];
	*items = map ? 2 * v : v;
	*hdr = 1 + n;
	return 1;
}

/* Advances over the object in progress; 1 when it is whole, 0 for more. */
static int skip_object(struct mf_stream_framer *f, const uint8_t *buf, size_t len)
{
	while (f->pending > 0) {
		if (f->off >= len)
			return 0;
		/* Every object takes a byte: a frame owing more can never fit. */
		if (f->off > (size_t)MF_STREAM_MAX + 5 ||
		    f->pending > (uint64_t)MF_STREAM_MAX + 5 - f->off)
			return MF_ETOOBIG;
		uint64_t items = 0;
		size_t n = 0;
		int rc = container_header(buf + f->off, len - f->off, &items, &n);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			rc = mf_mp_measure(buf + f->off, len - f->off, &n);
			if (rc <= 0)
				return rc;
		}
		f->off += n;
		f->pending = f->pending - 1 + items;
	}
	return 1;
}

/* The header object [obj, off) is whole: set up what follows it. */
static int after_object(struct mf_stream_framer *f, const uint8_t *buf)
{
	const uint8_t *o = buf + f->obj;
	size_t n = f->off - f->obj, used = 0;
	int rc;

	switch (f->what) {
	case FR_WHAT_PP_HEADER: {
		struct mf_msg_push_pull_header h;
		if ((rc = decode_pp_header(o, n, &h, &used)))
			return rc;
		if ((uint64_t)h.nodes > MF_STREAM_MAX || (uint64_t)h.user_state_len > MF_STREAM_MAX)
			return MF_ETOOBIG;
		f->nodes_left = (uint64_t)h.nodes;
		f->tail = (size_t)h.user_state_len;
		break;
	}
	case FR_WHAT_USER_HEADER: {
		int64_t ulen = 0;
		if ((rc = decode_user_header(o, n, &ulen, &used)))
			return rc;
		if ((uint64_t)ulen > MF_STREAM_MAX)
			return MF_ETOOBIG;
		f->tail = (size_t)ulen;
		break;
	}
	case FR_WHAT_PP_NODE:
		f->nodes_left--;
		break;
	default:
		break;
	}
	if ((f->what == FR_WHAT_PP_HEADER || f->what == FR_WHAT_PP_NODE) && f->nodes_left > 0) {
		f->what = FR_WHAT_PP_NODE;
		f->obj = f->off;
		f->pending = 1;
		return 0;
	}
	f->phase = FR_TAIL;
	return 0;
}

int mf_codec_stream_feed(struct mf_stream_framer *f, const uint8_t *buf, size_t len,
			 size_t *msg_len)
{
	int rc;

	if (f->phase == FR_DONE) {
		*msg_len = f->off;
		return 1;
	}
	if (f->phase == FR_TYPE) {
		if (len == 0)
			return 0;
		f->phase = FR_OBJECT;
		f->off = f->obj = 1;
		f->pending = 1;
		switch (buf[0]) {
		case MF_MSG_ENCRYPT:
			f->phase = FR_ENCLEN;
			break;
		case MF_MSG_PUSH_PULL:
			f->what = FR_WHAT_PP_HEADER;
			break;
		case MF_MSG_USER:
			f->what = FR_WHAT_USER_HEADER;
			break;
		case MF_MSG_PING: case MF_MSG_INDIRECT_PING: case MF_MSG_ACK:
		case MF_MSG_SUSPECT: case MF_MSG_ALIVE: case MF_MSG_DEAD:
		case MF_MSG_COMPRESS: case MF_MSG_NACK: case MF_MSG_ERR:
			f->what = FR_WHAT_SINGLE;
			break;
		default:
			f->phase = FR_TYPE;
			return MF_EUNKNOWN;
		}
	}
	if (f->phase == FR_ENCLEN) {
		/* [10][length u32 BE][length bytes] (net.go encryptLocalState) */
		if (len < 5)
			return 0;
		uint32_t l = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
			     (uint32_t)buf[3] << 8 | buf[4];
		if (l > MF_STREAM_MAX)
			return MF_ETOOBIG; /* memberlist: maxPushStateBytes */
		f->off = 5;
		f->tail = l;
		f->phase = FR_TAIL;
	}
	while (f->phase == FR_OBJECT) {
		rc = skip_object(f, buf, len);
		if (rc <= 0)
			return rc;
		if ((rc = after_object(f, buf)))
			return rc;
	}
	/* FR_TAIL: `tail` raw bytes after off. */
	if (f->tail > len - f->off)
		return 0;
	f->off += f->tail;
	f->tail = 0;
	f->phase = FR_DONE;
	*msg_len = f->off;
	return 1;
}

int mf_codec_stream_complete(const uint8_t *buf, size_t len, size_t *msg_len)
{
	struct mf_stream_framer f;

	mf_stream_framer_init(&f);
	return mf_codec_stream_feed(&f, buf, len, msg_len);
}

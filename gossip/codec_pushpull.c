/*
 * gossip/codec_pushpull.c — the two stream messages with a raw tail:
 * push-pull (the full state exchange) and a user message sent on a stream.
 * Their header decoders are shared with the stream framer (codec_stream.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/codec_internal.h"

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
	e |= mf_codec__pack_vsn(pk, s->vsn, s->has_vsn);
	return e;
}

int mf_codec_encode_push_pull(msgpack_sbuffer *out, bool join,
			      const struct mf_msg_push_node_state *states, size_t n,
			      const uint8_t *user_state, size_t user_len)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_MSG_PUSH_PULL);

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
	return mf_codec__done(e);
}

static int decode_node_state(const msgpack_object *m, struct mf_msg_push_node_state *s)
{
	uint64_t v;
	int rc;

	memset(s, 0, sizeof(*s));
	if (m->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	if ((rc = mf_codec__get_bytes(m, "Name", true, MF_NAME_MAX, &s->name)) ||
	    (rc = mf_codec__get_addr(m, "Addr", false, &s->addr)) ||
	    (rc = mf_codec__get_uint(m, "Port", false, UINT16_MAX, &v)))
		return rc;
	s->port = (uint16_t)v;
	if ((rc = mf_codec__get_bytes(m, "Meta", false, MF_META_MAX, &s->meta)) ||
	    (rc = mf_codec__get_uint(m, "Incarnation", false, UINT32_MAX, &v)))
		return rc;
	s->incarnation = (uint32_t)v;
	if ((rc = mf_codec__get_uint(m, "State", false, UINT8_MAX, &v)))
		return rc;
	s->state = (uint8_t)v;
	return mf_codec__get_vsn(m, s->vsn, &s->has_vsn);
}

int mf_codec__decode_pp_header(const uint8_t *body, size_t len,
			       struct mf_msg_push_pull_header *h, size_t *used)
{
	struct mf_mp mp;
	int rc;

	memset(h, 0, sizeof(*h));
	TRY(mf_codec__open_map(body, len, &mp, used));
	TRY(mf_codec__get_int(mp.root, "Nodes", false, &h->nodes));
	TRY(mf_codec__get_int(mp.root, "UserStateLen", false, &h->user_state_len));
	TRY(mf_codec__get_bool(mp.root, "Join", &h->join));
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
	rc = mf_codec__decode_pp_header(body, len, &pp->header, &used);
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
	int e = mf_mp_put_type(out, MF_MSG_USER);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "UserMsgLen");
	e |= msgpack_pack_uint64(&pk, len);
	if (len)
		e |= msgpack_sbuffer_write(out, (const char *)msg, len);
	return mf_codec__done(e);
}

int mf_codec__decode_user_header(const uint8_t *body, size_t len, int64_t *n, size_t *used)
{
	struct mf_mp mp;
	int rc;

	TRY(mf_codec__open_map(body, len, &mp, used));
	TRY(mf_codec__get_int(mp.root, "UserMsgLen", false, n));
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
	int rc = mf_codec__decode_user_header(body, len, &n, &used);

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

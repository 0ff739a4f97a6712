/*
 * gossip/codec_pushpull.c — the two stream messages with a raw tail:
 * push-pull (the full state exchange) and a user message sent on a stream.
 * Their header decoders are shared with the stream framer (codec_stream.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/codec_internal.h"
#include "gossip/mp_read.h"

/* ---- push-pull ----------------------------------------------------------
 * net.go sendLocalState / readRemoteState:
 *   [6] {Join, Nodes, UserStateLen}
 *       {Addr, Incarnation, Meta, Name, Port, State, Vsn} * Nodes
 *       user state: UserStateLen raw bytes (serf: its messagePushPull)   */

/* Node states are written straight into the buffer (mp.h's direct
 * writers), not through msgpack_pack_*: every member goes into every
 * push-pull, and msgpack-c's 20 writes a state cost ~2,000 instructions a
 * member, about a third of a push-pull exchange at 512 (issue 12). */
#define PUT_KEY(o, k) (memcpy((o), (k), sizeof(k) - 1), (o) + sizeof(k) - 1)

/* The most bytes write_node_state takes for s (exact but for the three
 * unsigned values, counted at their longest). */
static size_t node_state_len(const struct mf_msg_push_node_state *s)
{
	/* map, keys, Incarnation and Port and State at their longest, Vsn */
	size_t n = 1 + 42 + 5 + 3 + 2 + 1 + (s->has_vsn ? MF_VSN_LEN : 0);
	return n + mf_mp_bytes_len(s->addr) + mf_mp_bytes_len(s->meta) +
	       mf_mp_raw_head_len(s->name.len) + s->name.len;
}

/* {Addr, Incarnation, Meta, Name, Port, State, Vsn}, keys sorted as Go's
 * codec writes a struct; returns the end. */
static uint8_t *write_node_state(uint8_t *o, const struct mf_msg_push_node_state *s)
{
	*o++ = 0x87; /* fixmap, 7 */
	o = PUT_KEY(o, "\xa4" "Addr");
	o = mf_mp_put_bytes(o, s->addr);
	o = PUT_KEY(o, "\xab" "Incarnation");
	o = mf_mp_put_uint(o, s->incarnation);
	o = PUT_KEY(o, "\xa4" "Meta");
	o = mf_mp_put_bytes(o, s->meta);
	o = PUT_KEY(o, "\xa4" "Name");
	o = mf_mp_put_raw(o, s->name.p, s->name.len);
	o = PUT_KEY(o, "\xa4" "Port");
	o = mf_mp_put_uint(o, s->port);
	o = PUT_KEY(o, "\xa5" "State");
	o = mf_mp_put_uint(o, s->state);
	o = PUT_KEY(o, "\xa3" "Vsn");
	if (!s->has_vsn) {
		*o++ = 0xc0;
		return o;
	}
	return mf_mp_put_raw(o, s->vsn, MF_VSN_LEN);
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
	if (e)
		return mf_codec__done(e);
	/* Room for the states and the user state at once: one allocation, not
	 * the sbuffer doubling through a large pool's hundreds of KB. */
	size_t need = user_len;
	for (size_t i = 0; i < n; i++)
		need += node_state_len(&states[i]);
	uint8_t *o = mf_mp_reserve(out, need);
	if (o == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < n; i++)
		o = write_node_state(o, &states[i]);
	if (user_len)
		memcpy(o, user_state, user_len);
	out->size = (size_t)(o - (uint8_t *)out->data) + user_len;
	return 0;
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

int mf_codec__decode_node_state_general(const uint8_t *body, size_t len,
					struct mf_msg_push_node_state *s, size_t *used)
{
	struct mf_mp mp;
	int rc = mf_mp_unpack(body, len, &mp, used);
	if (rc == 0)
		rc = decode_node_state(mp.root, s);
	mf_mp_done(&mp);
	return rc;
}

/* The states are read in place when laid out as write_node_state writes
 * them (memberlist writes the same bytes: test_codec_streams' captured
 * join), as the alive message is (codec_alive.c, whose rules these are,
 * with State, and Name for Node): a fixmap of 7,
 *
 *   87 a4"Addr" (c0 | a4 +4 | b0 +16)  ab"Incarnation" uint32
 *      a4"Meta" (c0 | raw 1..MF_META_MAX)  a4"Name" raw 1..MF_NAME_MAX
 *      a4"Port" uint16  a5"State" uint8  a3"Vsn" (c0 | a6 +6)
 *
 * Anything else goes to the general decoder, which alone decides errors.
 * msgpack-c's object tree in a malloc'd zone, and a key search per field,
 * cost ~3,400 instructions a state: two thirds of answering a push-pull
 * of 512 known members (issue 12). */
int mf_codec__decode_node_state_canonical(const uint8_t *body, size_t len,
					  struct mf_msg_push_node_state *s, size_t *used)
{
	struct mf_mp_rd r = {body, body + len};
	struct mf_bytes vsn;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (len < 1 || body[0] != 0x87)
		return 1;
	r.p++;
	if (!mf_mp_rd_key(&r, "Addr", 4) || !mf_mp_rd_raw(&r, true, 16, &s->addr) ||
	    (s->addr.len != 0 && s->addr.len != 4 && s->addr.len != 16))
		return 1;
	if (!mf_mp_rd_key(&r, "Incarnation", 11) || !mf_mp_rd_uint(&r, UINT32_MAX, &v))
		return 1;
	s->incarnation = (uint32_t)v;
	if (!mf_mp_rd_key(&r, "Meta", 4) || !mf_mp_rd_raw(&r, true, MF_META_MAX, &s->meta))
		return 1;
	if (!mf_mp_rd_key(&r, "Name", 4) || !mf_mp_rd_raw(&r, false, MF_NAME_MAX, &s->name))
		return 1;
	if (!mf_mp_rd_key(&r, "Port", 4) || !mf_mp_rd_uint(&r, UINT16_MAX, &v))
		return 1;
	s->port = (uint16_t)v;
	if (!mf_mp_rd_key(&r, "State", 5) || !mf_mp_rd_uint(&r, UINT8_MAX, &v))
		return 1;
	s->state = (uint8_t)v;
	if (!mf_mp_rd_key(&r, "Vsn", 3) || !mf_mp_rd_raw(&r, true, MF_VSN_LEN, &vsn) ||
	    (vsn.len != 0 && vsn.len != MF_VSN_LEN))
		return 1;
	if (vsn.len == MF_VSN_LEN) {
		memcpy(s->vsn, vsn.p, MF_VSN_LEN);
		s->has_vsn = true;
	}
	*used = (size_t)(r.p - body);
	return 0;
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
		/* each state is cleared by the decoder that reads it */
		pp->states = malloc((size_t)pp->header.nodes * sizeof(*pp->states));
		if (!pp->states)
			return MF_ENOMEM;
	}
	for (int64_t i = 0; i < pp->header.nodes; i++) {
		struct mf_msg_push_node_state *s = &pp->states[i];
		if (mf_codec__decode_node_state_canonical(body + off, len - off, s, &used) != 0 &&
		    (rc = mf_codec__decode_node_state_general(body + off, len - off, s, &used)) != 0)
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

#include "gossip/wire.h"

#include <string.h>

#include "gossip/codec.h"
#include "gossip/crypto.h"
#include "gossip/err.h"
#include "gossip/mp.h"

void mf_wire_scratch_init(struct mf_wire_scratch *s)
{
	msgpack_sbuffer_init(&s->plain);
	msgpack_sbuffer_init(&s->inflate);
	msgpack_sbuffer_init(&s->inflate2);
}

void mf_wire_scratch_destroy(struct mf_wire_scratch *s)
{
	msgpack_sbuffer_destroy(&s->plain);
	msgpack_sbuffer_destroy(&s->inflate);
	msgpack_sbuffer_destroy(&s->inflate2);
}

static void trim_one(msgpack_sbuffer *sb, size_t keep)
{
	if (sb->alloc > keep) {
		msgpack_sbuffer_destroy(sb);
		msgpack_sbuffer_init(sb);
	}
}

void mf_wire_scratch_trim(struct mf_wire_scratch *s, size_t keep)
{
	trim_one(&s->plain, keep);
	trim_one(&s->inflate, keep);
	trim_one(&s->inflate2, keep);
}

static bool keyed(const struct mf_keyring *kr)
{
	return kr && kr->n > 0;
}

/* Do we seal what we send? (memberlist: EncryptionEnabled() &&
 * GossipVerifyOutgoing) */
static bool seal_out(const struct mf_keyring *kr)
{
	return keyed(kr) && !kr->send_plain;
}

/* ---- receive ---- */

struct walk {
	struct mf_wire_scratch *s;
	struct mf_wire_msg *msgs;
	size_t n;
	int inflates;
	size_t inflate_budget; /* bytes all inflates of this packet may produce */
	int err; /* first problem */
};

static void note(struct walk *w, int rc)
{
	if (rc && !w->err)
		w->err = rc;
}

/* net.go handleCommand: containers recurse, leaves are collected. */
static void handle(struct walk *w, const uint8_t *buf, size_t len, int depth)
{
	if (len == 0) {
		note(w, MF_ETRUNC);
		return;
	}
	switch (buf[0]) {
	case MF_MSG_COMPOUND: {
		struct mf_bytes parts[UINT8_MAX];
		size_t n = 0;
		if (depth >= MF_WIRE_MAX_DEPTH) {
			note(w, MF_EMALFORMED);
			return;
		}
		/* truncated tail: keep the complete parts, as memberlist does */
		note(w, mf_codec_split_compound(buf + 1, len - 1, parts, UINT8_MAX, &n));
		for (size_t i = 0; i < n; i++)
			handle(w, parts[i].p, parts[i].len, depth + 1);
		return;
	}
	case MF_MSG_COMPRESS: {
		msgpack_sbuffer *sb = w->inflates == 0 ? &w->s->inflate
				    : w->inflates == 1 ? &w->s->inflate2 : NULL;
		int rc;
		if (depth >= MF_WIRE_MAX_DEPTH || !sb) {
			note(w, MF_EMALFORMED);
			return;
		}
		w->inflates++;
		rc = mf_codec_decode_compress(buf + 1, len - 1, sb, w->inflate_budget);
		if (rc) {
			note(w, rc);
			return;
		}
		w->inflate_budget -= sb->size;
		handle(w, (const uint8_t *)sb->data, sb->size, depth + 1);
		return;
	}
	case MF_MSG_PING: case MF_MSG_INDIRECT_PING: case MF_MSG_ACK:
	case MF_MSG_SUSPECT: case MF_MSG_ALIVE: case MF_MSG_DEAD:
	case MF_MSG_USER: case MF_MSG_NACK:
		if (w->n >= MF_WIRE_MAX_MSGS) {
			note(w, MF_ETOOBIG);
			return;
		}
		w->msgs[w->n].type = buf[0];
		w->msgs[w->n].body.p = buf + 1;
		w->msgs[w->n].body.len = len - 1;
		w->n++;
		return;
	default:
		/* push-pull, encrypt, nested has-CRC, err, unknown: memberlist
		 * logs "msg type not supported" */
		note(w, MF_EUNKNOWN);
	}
}

/* Does a packet that no key opens look like a plaintext message? Version
 * bytes 0 and 1 are also the ping and indirect-ping types, so for those the
 * rest must parse as one msgpack map (random nonce bytes rarely do). */
static bool looks_plain(const uint8_t *pkt, size_t len)
{
	size_t n;

	if (pkt[0] > MF_MSG_ERR)
		return false;
	if (pkt[0] > 1)
		return true;
	if (len < 2 || !((pkt[1] >= 0x80 && pkt[1] <= 0x8f) || pkt[1] == 0xde || pkt[1] == 0xdf))
		return false;
	return mf_mp_measure(pkt + 1, len - 1, &n) == 1 && n == len - 1;
}

int mf_wire_open_packet(const struct mf_keyring *kr, const uint8_t *pkt, size_t len,
			struct mf_wire_scratch *s, struct mf_wire_msg *msgs, size_t *n)
{
	struct walk w = {.s = s, .msgs = msgs};
	const uint8_t *buf = pkt;

	w.inflate_budget = len < MF_WIRE_INFLATE_MAX / MF_WIRE_INFLATE_FACTOR
				   ? len * MF_WIRE_INFLATE_FACTOR
				   : MF_WIRE_INFLATE_MAX;
	size_t blen = len;
	int rc;

	*n = 0;
	if (len == 0)
		return MF_ETRUNC;
	if (keyed(kr)) {
		rc = mf_crypto_open_packet(kr, pkt, len, &s->plain);
		if (rc == MF_EDECRYPT && kr->accept_plain) {
			rc = 0; /* net.go ingestPacket: !GossipVerifyIncoming -> plaintext */
		} else if (rc == MF_EDECRYPT && looks_plain(pkt, len)) {
			return MF_EPLAIN; /* GossipVerifyIncoming */
		} else if (rc) {
			return rc;
		} else {
			buf = (const uint8_t *)s->plain.data;
			blen = s->plain.size;
			if (blen == 0)
				return MF_ETRUNC;
		}
	}
	/* net.go ingestPacket: only the outermost message may carry a CRC */
	if (buf[0] == MF_MSG_HAS_CRC) {
		struct mf_bytes inner;
		rc = mf_codec_check_crc(buf + 1, blen - 1, &inner);
		if (rc)
			return rc;
		buf = inner.p;
		blen = inner.len;
	}
	handle(&w, buf, blen, 0);
	*n = w.n;
	return w.err;
}

/* ---- send ---- */

int mf_wire_seal_packet(const struct mf_keyring *kr, const struct mf_bytes *msgs, size_t n,
			const struct mf_wire_send_opts *o, msgpack_sbuffer *out)
{
	msgpack_sbuffer a, b, c;
	const uint8_t *cur;
	size_t clen;
	int rc = 0;

	if (n == 0)
		return MF_EINVAL;
	msgpack_sbuffer_init(&a);
	msgpack_sbuffer_init(&b);
	msgpack_sbuffer_init(&c);
	cur = msgs[0].p;
	clen = msgs[0].len;
	if (n > 1) {
		if ((rc = mf_codec_encode_compound(&a, msgs, n)))
			goto out;
		cur = (const uint8_t *)a.data;
		clen = a.size;
	}
	/* net.go rawSendMsgPacket: compress only when smaller, then CRC,
	 * then encrypt. */
	if (o && o->compress) {
		if ((rc = mf_codec_encode_compress(&b, cur, clen)))
			goto out;
		if (b.size < clen) {
			cur = (const uint8_t *)b.data;
			clen = b.size;
		}
	}
	if (o && o->crc) {
		if ((rc = mf_codec_encode_crc(&c, cur, clen)))
			goto out;
		cur = (const uint8_t *)c.data;
		clen = c.size;
	}
	if (seal_out(kr))
		rc = mf_crypto_seal_packet(kr, cur, clen, out);
	else if (clen && msgpack_sbuffer_write(out, (const char *)cur, clen))
		rc = MF_ENOMEM;
out:
	msgpack_sbuffer_destroy(&a);
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&c);
	return rc;
}

/* ---- streams ---- */

int mf_wire_stream_complete(const uint8_t *buf, size_t len, size_t *frame_len)
{
	return mf_codec_stream_complete(buf, len, frame_len);
}

int mf_wire_open_stream(const struct mf_keyring *kr, const uint8_t *frame, size_t len,
			struct mf_wire_scratch *s, struct mf_wire_msg *msg)
{
	const uint8_t *buf = frame;
	size_t blen = len;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if (len == 0)
		return MF_ETRUNC;
	/* net.go readStream */
	if (frame[0] == MF_MSG_ENCRYPT) {
		if (!keyed(kr))
			return MF_EDECRYPT; /* encrypted, encryption not configured */
		if ((rc = mf_crypto_open_stream(kr, frame, len, &s->plain)))
			return rc;
		buf = (const uint8_t *)s->plain.data;
		blen = s->plain.size;
	} else if (keyed(kr) && !kr->accept_plain) {
		return MF_EPLAIN; /* net.go readStream: GossipVerifyIncoming */
	}
	if (blen == 0)
		return MF_ETRUNC;
	if (buf[0] == MF_MSG_COMPRESS) {
		rc = mf_codec_decode_compress(buf + 1, blen - 1, &s->inflate, MF_STREAM_MAX);
		if (rc)
			return rc;
		buf = (const uint8_t *)s->inflate.data;
		blen = s->inflate.size;
		if (blen == 0)
			return MF_ETRUNC;
	}
	switch (buf[0]) {
	case MF_MSG_COMPOUND: case MF_MSG_COMPRESS: case MF_MSG_ENCRYPT: case MF_MSG_HAS_CRC:
		return MF_EUNKNOWN;
	default:
		if (buf[0] > MF_MSG_ERR)
			return MF_EUNKNOWN;
	}
	msg->type = buf[0];
	msg->body.p = buf + 1;
	msg->body.len = blen - 1;
	return 0;
}

int mf_wire_seal_stream(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			const struct mf_wire_send_opts *o, msgpack_sbuffer *out)
{
	msgpack_sbuffer z;
	const uint8_t *cur = msg;
	size_t clen = len;
	int rc = 0;

	msgpack_sbuffer_init(&z);
	if (o && o->compress) {
		if ((rc = mf_codec_encode_compress(&z, msg, len)))
			goto out;
		cur = (const uint8_t *)z.data;
		clen = z.size;
	}
	if (seal_out(kr))
		rc = mf_crypto_seal_stream(kr, cur, clen, out);
	else if (clen && msgpack_sbuffer_write(out, (const char *)cur, clen))
		rc = MF_ENOMEM;
out:
	msgpack_sbuffer_destroy(&z);
	return rc;
}

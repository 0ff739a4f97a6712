/*
 * gossip/codec_stream.c — where one message on a TCP stream ends
 * (mf_codec_stream_feed, gossip/codec.h), without decoding it.
 */
#include <string.h>

#include "gossip/codec_internal.h"

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
		if ((rc = mf_codec__decode_pp_header(o, n, &h, &used)))
			return rc;
		if ((uint64_t)h.nodes > MF_STREAM_MAX || (uint64_t)h.user_state_len > MF_STREAM_MAX)
			return MF_ETOOBIG;
		f->nodes_left = (uint64_t)h.nodes;
		f->tail = (size_t)h.user_state_len;
		break;
	}
	case FR_WHAT_USER_HEADER: {
		int64_t ulen = 0;
		if ((rc = mf_codec__decode_user_header(o, n, &ulen, &used)))
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

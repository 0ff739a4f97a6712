/*
 * tests/fuzz/msgs.h — decodes one memberlist message of any type, and
 * checks that whatever decodes re-encodes into bytes that decode to the
 * same thing (so the encoder and decoder agree on every accepted input).
 */
#ifndef MF_TESTS_FUZZ_MSGS_H
#define MF_TESTS_FUZZ_MSGS_H
#include "gossip/codec.h"
#include "gossip/err.h"
#include "gossip/msg.h"
#include "tests/fuzz/fuzz.h"

#define MF_WIRE_MAX_MSGS_FUZZ 256

static inline int mf_fuzz_bytes_eq(struct mf_bytes a, struct mf_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Encodes m with enc, decodes the result's body with dec into m2. */
#define MF_FUZZ_ROUNDTRIP(enc, dec, m, m2)                                          \
	do {                                                                        \
		msgpack_sbuffer sb_;                                                \
		msgpack_sbuffer_init(&sb_);                                         \
		MF_FUZZ_CHECK(enc(&sb_, &(m)) == 0);                                \
		MF_FUZZ_CHECK(sb_.size >= 1);                                       \
		int r_ = dec((const uint8_t *)sb_.data + 1, sb_.size - 1, &(m2));   \
		MF_FUZZ_CHECK(r_ == 0);                                             \
		msgpack_sbuffer_destroy(&sb_);                                      \
	} while (0)

/* Decoded views point into the re-encoded buffer, which the macro frees:
 * compare only scalars after it. */
static inline void mf_fuzz_decode_msg(uint8_t type, const uint8_t *body, size_t len)
{
	switch (type) {
	case MF_MSG_PING: {
		struct mf_msg_ping m, m2;
		if (mf_codec_decode_ping(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_ping, mf_codec_decode_ping, m, m2);
			MF_FUZZ_CHECK(m.seq_no == m2.seq_no);
		}
		break;
	}
	case MF_MSG_INDIRECT_PING: {
		struct mf_msg_indirect_ping m, m2;
		if (mf_codec_decode_indirect_ping(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_indirect_ping,
					  mf_codec_decode_indirect_ping, m, m2);
			MF_FUZZ_CHECK(m.seq_no == m2.seq_no);
		}
		break;
	}
	case MF_MSG_ACK: {
		struct mf_msg_ack m, m2;
		if (mf_codec_decode_ack(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_ack, mf_codec_decode_ack, m, m2);
			MF_FUZZ_CHECK(m.seq_no == m2.seq_no);
		}
		break;
	}
	case MF_MSG_NACK: {
		struct mf_msg_nack m, m2;
		if (mf_codec_decode_nack(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_nack, mf_codec_decode_nack, m, m2);
			MF_FUZZ_CHECK(m.seq_no == m2.seq_no);
		}
		break;
	}
	case MF_MSG_ERR: {
		struct mf_msg_err m, m2;
		if (mf_codec_decode_err(body, len, &m) == 0)
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_err, mf_codec_decode_err, m, m2);
		break;
	}
	case MF_MSG_SUSPECT: {
		struct mf_msg_suspect m, m2;
		if (mf_codec_decode_suspect(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_suspect, mf_codec_decode_suspect, m, m2);
			MF_FUZZ_CHECK(m.incarnation == m2.incarnation);
		}
		break;
	}
	case MF_MSG_ALIVE: {
		struct mf_msg_alive m, m2;
		if (mf_codec_decode_alive(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_alive, mf_codec_decode_alive, m, m2);
			MF_FUZZ_CHECK(m.incarnation == m2.incarnation);
		}
		break;
	}
	case MF_MSG_DEAD: {
		struct mf_msg_dead m, m2;
		if (mf_codec_decode_dead(body, len, &m) == 0) {
			MF_FUZZ_ROUNDTRIP(mf_codec_encode_dead, mf_codec_decode_dead, m, m2);
			MF_FUZZ_CHECK(m.incarnation == m2.incarnation);
		}
		break;
	}
	case MF_MSG_PUSH_PULL: {
		struct mf_push_pull pp;
		if (mf_codec_decode_push_pull(body, len, &pp) == 0) {
			/* What was decoded is no more than the input could hold. */
			MF_FUZZ_CHECK(pp.n_states <= len);
			MF_FUZZ_CHECK(pp.user_state.len <= len);
			mf_codec_push_pull_free(&pp);
		}
		break;
	}
	case MF_MSG_USER: {
		struct mf_bytes b;
		if (mf_codec_decode_user_stream(body, len, &b) == 0)
			MF_FUZZ_CHECK(b.len <= len);
		break;
	}
	case MF_MSG_COMPOUND: {
		struct mf_bytes parts[MF_WIRE_MAX_MSGS_FUZZ];
		size_t n = 0;
		(void)mf_codec_split_compound(body, len, parts, MF_WIRE_MAX_MSGS_FUZZ, &n);
		MF_FUZZ_CHECK(n <= MF_WIRE_MAX_MSGS_FUZZ);
		break;
	}
	case MF_MSG_HAS_CRC: {
		struct mf_bytes inner;
		if (mf_codec_check_crc(body, len, &inner) == 0)
			MF_FUZZ_CHECK(inner.len + 4 == len);
		break;
	}
	case MF_MSG_COMPRESS: {
		msgpack_sbuffer out;
		msgpack_sbuffer_init(&out);
		/* A UDP packet's bound (gossip/wire.h). */
		if (mf_codec_decode_compress(body, len, &out, 1u << 20) == 0)
			MF_FUZZ_CHECK(out.size <= (1u << 20));
		msgpack_sbuffer_destroy(&out);
		break;
	}
	default:
		break;
	}
}
#endif

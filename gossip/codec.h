/*
 * gossip/codec.h — memberlist messages <-> bytes, with msgpack-c.
 *
 * Contract: pure functions, no I/O, no clock, no globals.
 *  - Encoders append ONE message to `out`: the type byte, then the msgpack
 *    body exactly as go-msgpack (memberlist 0.2.2) writes it: a map keyed by
 *    the Go field names, byte slices and strings as msgpack str (fixstr, then
 *    str16 from 32 bytes: go-msgpack never writes str8), omitempty
 *    fields left out when empty/zero. Byte-for-byte equality with captured
 *    serf packets is tested (tests/gossip_codec/). A byte field {NULL, 0} is
 *    written as msgpack nil (a Go nil slice: ack Payload of a TCP ping,
 *    alive Meta), {p, 0} as an empty str.
 *  - Decoders take the body (the bytes AFTER the type byte) and fill a struct
 *    whose views point into `body`; they accept fields in any order, str or
 *    bin for byte fields, any integer width, and ignore unknown keys (as
 *    go-msgpack does). A missing required field or a wrong type is
 *    MF_EMALFORMED, a short buffer MF_ETRUNC. They never read past `len`.
 *    Required: SeqNo (ping, indirect ping, ack, nack), Target (indirect
 *    ping), Incarnation and Node (alive, suspect, dead), Error (err), Name
 *    (node state), Buf (compress). Limits: names over MF_NAME_MAX and meta
 *    over MF_META_MAX are MF_ETOOBIG; an address field must be 4 or 16 bytes
 *    (only Target is required; the others may be absent/empty), else
 *    MF_EMALFORMED.
 *    Bodies are unpacked with msgpack-c after an allocation-free size check
 *    (gossip/mp.h), so a declared count the input cannot hold costs nothing.
 *  - Every function returns 0 or a negative enum mf_err.
 */
#ifndef MF_GOSSIP_CODEC_H
#define MF_GOSSIP_CODEC_H

#include <msgpack.h>

#include "gossip/msg.h"

#define MF_STREAM_MAX (20u * 1024 * 1024)

/* --- single messages ---------------------------------------------------- */
int mf_codec_encode_ping(msgpack_sbuffer *out, const struct mf_msg_ping *m);
int mf_codec_encode_indirect_ping(msgpack_sbuffer *out, const struct mf_msg_indirect_ping *m);
int mf_codec_encode_ack(msgpack_sbuffer *out, const struct mf_msg_ack *m);
int mf_codec_encode_nack(msgpack_sbuffer *out, const struct mf_msg_nack *m);
int mf_codec_encode_err(msgpack_sbuffer *out, const struct mf_msg_err *m);
int mf_codec_encode_suspect(msgpack_sbuffer *out, const struct mf_msg_suspect *m);
int mf_codec_encode_alive(msgpack_sbuffer *out, const struct mf_msg_alive *m);
int mf_codec_encode_dead(msgpack_sbuffer *out, const struct mf_msg_dead *m);
/* A user message: type byte 8 then `len` raw bytes (no msgpack). */
int mf_codec_encode_user(msgpack_sbuffer *out, const uint8_t *msg, size_t len);

int mf_codec_decode_ping(const uint8_t *body, size_t len, struct mf_msg_ping *m);
int mf_codec_decode_indirect_ping(const uint8_t *body, size_t len, struct mf_msg_indirect_ping *m);
int mf_codec_decode_ack(const uint8_t *body, size_t len, struct mf_msg_ack *m);
int mf_codec_decode_nack(const uint8_t *body, size_t len, struct mf_msg_nack *m);
int mf_codec_decode_err(const uint8_t *body, size_t len, struct mf_msg_err *m);
int mf_codec_decode_suspect(const uint8_t *body, size_t len, struct mf_msg_suspect *m);
int mf_codec_decode_alive(const uint8_t *body, size_t len, struct mf_msg_alive *m);
int mf_codec_decode_dead(const uint8_t *body, size_t len, struct mf_msg_dead *m);

/* --- push-pull (TCP stream) ----------------------------------------------
 *   [6][header map][node state map]*Nodes[user state: UserStateLen raw bytes]
 * Encode appends the whole message including the type byte. */
int mf_codec_encode_push_pull(msgpack_sbuffer *out, bool join,
			      const struct mf_msg_push_node_state *states, size_t n,
			      const uint8_t *user_state, size_t user_len);

/* Decoded push-pull. `states` is malloc'd by the decoder (free with
 * mf_codec_push_pull_free); views point into the body. */
struct mf_push_pull {
	struct mf_msg_push_pull_header header;
	struct mf_msg_push_node_state *states;
	size_t n_states;
	struct mf_bytes user_state;
};
int mf_codec_decode_push_pull(const uint8_t *body, size_t len, struct mf_push_pull *pp);
void mf_codec_push_pull_free(struct mf_push_pull *pp);

/* User message on a stream: [8][{UserMsgLen}][raw bytes]. */
int mf_codec_encode_user_stream(msgpack_sbuffer *out, const uint8_t *msg, size_t len);
int mf_codec_decode_user_stream(const uint8_t *body, size_t len, struct mf_bytes *msg);

/* --- containers ----------------------------------------------------------
 * compound: [7][count u8][len u16 BE]*count[msg]*count
 * has-CRC:  [12][crc32 IEEE BE of msg][msg]
 * compress: [9][{Algo: 0, Buf: <LZW of msg>}]                              */
int mf_codec_encode_compound(msgpack_sbuffer *out, const struct mf_bytes *msgs, size_t n);
/* Splits a compound body into at most `max` parts (views into body).
 * memberlist keeps the parts that fit and drops a truncated tail: we return
 * MF_ETRUNC for any truncation so the caller can count it, with *n set to the
 * parts that were complete. */
int mf_codec_split_compound(const uint8_t *body, size_t len, struct mf_bytes *parts,
			    size_t max, size_t *n);
int mf_codec_encode_crc(msgpack_sbuffer *out, const uint8_t *msg, size_t len);
/* Checks the CRC of a has-CRC body; on success *inner is the wrapped message. */
int mf_codec_check_crc(const uint8_t *body, size_t len, struct mf_bytes *inner);
int mf_codec_encode_compress(msgpack_sbuffer *out, const uint8_t *msg, size_t len);
/* Decompresses a compress body into `out` (reset first), at most `max_out` bytes. */
int mf_codec_decode_compress(const uint8_t *body, size_t len, msgpack_sbuffer *out,
			     size_t max_out);

/* --- streams --------------------------------------------------------------
 * MF_STREAM_MAX bounds a stream frame, as memberlist's maxPushStateBytes
 * bounds an encrypted one (net.go): longer declarations are MF_ETOOBIG.
 * A TCP stream carries one message. Returns 1 and sets *msg_len when `buf`
 * holds a complete message (plain: any type above, compress or encrypt
 * frame), 0 when more bytes are needed, negative when it can never parse.
 * Used by the I/O shell to know when to hand a stream to the pool.
 *
 * mf_codec_stream_feed() is the incremental form: the caller keeps one
 * framer per stream and passes the WHOLE buffer read so far (same start,
 * growing `len`) on every call; the framer resumes where it stopped, so the
 * total cost is O(bytes received) however the bytes are split. Declared
 * lengths are only compared, never used to size anything.
 * mf_codec_stream_complete() is the one-shot form (a fresh framer). */
struct mf_stream_framer {
	int phase, what;     /* internal */
	size_t off;          /* bytes parsed so far */
	size_t obj;          /* where the object being skipped starts */
	uint64_t pending;    /* objects still owed by that object */
	uint64_t nodes_left; /* push-pull node states still to come */
	size_t tail;         /* raw bytes after the objects */
};
void mf_stream_framer_init(struct mf_stream_framer *f);
int mf_codec_stream_feed(struct mf_stream_framer *f, const uint8_t *buf, size_t len,
			 size_t *msg_len);
int mf_codec_stream_complete(const uint8_t *buf, size_t len, size_t *msg_len);

#endif

/*
 * gossip/wire.h — the layers between a socket's bytes and single messages.
 *
 * Receive (memberlist net.go ingestPacket/handleCommand/readStream):
 *   packet -> [decrypt when a keyring is set] -> has-CRC? check -> compress?
 *   inflate -> compound? split (recursively, depth-limited) -> messages.
 * Send: messages -> compound when more than one -> [compress when smaller,
 *   optional] -> [has-CRC when the peer speaks protocol >= 5, optional] ->
 *   [encrypt when a keyring is set].
 *
 * Contract: pure (randombytes for nonces aside). When a keyring with keys is
 * given, plaintext input is refused (MF_EPLAIN), as memberlist does with
 * GossipVerifyIncoming. Every failure is a negative enum mf_err that names
 * the cause, so the caller can count drops by cause.
 */
#ifndef MF_GOSSIP_WIRE_H
#define MF_GOSSIP_WIRE_H

#include <msgpack.h>

#include "gossip/keyring.h"
#include "gossip/msg.h"

#define MF_WIRE_MAX_MSGS 256 /* a compound holds at most 255 */
/*
 * Decompression bound of one UDP packet: MF_WIRE_INFLATE_FACTOR times the
 * datagram, at most MF_WIRE_INFLATE_MAX, shared by every compressed part in
 * it. A real packet was built uncompressed within the sender's UDP buffer
 * (memberlist UDPBufferSize, 1400 by default, 65,507 at most) and is sent
 * compressed only when that is smaller; LZW gains under 4x on msgpack
 * gossip, so 16x leaves room while a 1.9 KB packet can no longer expand to
 * 1 MB (at most 30 KB). The decoder stops at the bound (MF_ETOOBIG, counted
 * in bad_by_cause "over a size limit"), so CPU per packet is linear in its
 * size. Streams are bounded by the stream limit (MF_STREAM_MAX).
 */
#define MF_WIRE_INFLATE_FACTOR 16u
#define MF_WIRE_INFLATE_MAX 65507u
#define MF_WIRE_MAX_DEPTH 4 /* compound/compress nesting accepted in a packet */

/* One message found in a packet: its type and the body after the type byte. */
struct mf_wire_msg {
	uint8_t type;
	struct mf_bytes body;
};

/* Scratch owned by the caller; views returned by mf_wire_open_packet point
 * into the packet or into these buffers, valid until the next call. */
struct mf_wire_scratch {
	msgpack_sbuffer plain;   /* decrypted packet */
	msgpack_sbuffer inflate; /* decompressed payloads (one level) */
	msgpack_sbuffer inflate2;
};
void mf_wire_scratch_init(struct mf_wire_scratch *s);
void mf_wire_scratch_destroy(struct mf_wire_scratch *s);
/* Frees each buffer that grew past keep bytes (issue 12: a stream's
 * push-pull state is about 150 bytes a member, so a pool of 1,000 kept
 * 150-450 KB of decrypted and inflated copies between push-pulls). */
void mf_wire_scratch_trim(struct mf_wire_scratch *s, size_t keep);

/* Splits a received UDP packet into messages (at most MF_WIRE_MAX_MSGS).
 * Like memberlist, a bad part does not spoil its siblings: on a negative
 * return (the first problem found), msgs[0..*n) still holds the intact
 * messages, which the caller may process. Leaf types returned: ping,
 * indirect ping, ack, suspect, alive, dead, user, nack; anything else inside
 * a packet is MF_EUNKNOWN. With a keyring, an undecryptable packet that
 * parses as a plaintext message is MF_EPLAIN, otherwise MF_EDECRYPT. */
int mf_wire_open_packet(const struct mf_keyring *kr, const uint8_t *pkt, size_t len,
			struct mf_wire_scratch *s, struct mf_wire_msg *msgs, size_t *n);

struct mf_wire_send_opts {
	bool crc;      /* wrap in has-CRC (peer protocol >= 5) */
	bool compress; /* compress when that makes it smaller */
};
/* Packs already-encoded messages (each with its type byte) into one packet,
 * appended to out. o may be NULL (no CRC, no compression). */
int mf_wire_seal_packet(const struct mf_keyring *kr, const struct mf_bytes *msgs, size_t n,
			const struct mf_wire_send_opts *o, msgpack_sbuffer *out);

/* Streams. complete: 1 and *frame_len when buf holds a whole frame, 0 when
 * more is needed, negative when it never will. open: decrypts/inflates one
 * frame into a single message (msg->body views the frame or the scratch);
 * an encrypted frame without a keyring is MF_EDECRYPT, a plain one with a
 * keyring MF_EPLAIN. seal: appends the message to out, compressed when
 * o->compress (always, as memberlist rawSendMsgStream does, not only when
 * smaller) and encrypted when the keyring has keys. */
int mf_wire_stream_complete(const uint8_t *buf, size_t len, size_t *frame_len);
int mf_wire_open_stream(const struct mf_keyring *kr, const uint8_t *frame, size_t len,
			struct mf_wire_scratch *s, struct mf_wire_msg *msg);
int mf_wire_seal_stream(const struct mf_keyring *kr, const uint8_t *msg, size_t len,
			const struct mf_wire_send_opts *o, msgpack_sbuffer *out);

#endif

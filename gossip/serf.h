/*
 * gossip/serf.h — serf's conventions on top of memberlist, as pure codecs
 * (serf 0.9.4: serf/serf.go encodeTags/decodeTags, serf/messages.go,
 * serf/delegate.go).
 *
 * Contract: pure functions, no I/O, no globals; 0 or a negative enum mf_err.
 * Decoders take the bytes AFTER serf's type byte and return views into them
 * (like gossip/codec.h); encoders append the type byte and the msgpack body,
 * written as go-msgpack does (keys sorted, strings as msgpack str).
 *
 * Node meta (serf.go encodeTags, protocol >= 3):
 *   [255][msgpack map tag name -> tag value]       no tags: ff 80
 * Meta not starting with 255 is serf's legacy form: the whole meta is the
 * value of the tag "role" (an empty meta is role="", as serf decodes it).
 * serf writes a Go map, so tag order on the wire is random; we keep ours.
 *
 * serf user messages (the payload of a memberlist user message; messages.go
 * encodeMessage): [serf type u8][msgpack of the struct]. LamportTime is a
 * uint64 and encodes as the smallest msgpack unsigned integer.
 *   join:      [1] {LTime, Node}
 *   leave:     [0] {LTime, Node, Prune}
 *   push-pull: [2] {EventLTime, Events, LTime, LeftMembers, QueryLTime,
 *                   StatusLTimes}   (the memberlist push-pull's user state)
 *
 * Unknown types: serf's delegate.go NotifyMsg logs "[WARN] serf: Received
 * message of unknown type: %d" and drops the message without rebroadcasting
 * it, so a serf agent ignores meshfed's own messages. meshfed's types use
 * MF_SERF_MSG_MESHFED, well above serf 0.9.4's last (messageRelayType = 9);
 * callers pass types they do not know through untouched.
 */
#ifndef MF_GOSSIP_SERF_H
#define MF_GOSSIP_SERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "gossip/msg.h"

#define MF_SERF_TAG_MAGIC 255
#define MF_TAG_KEY_MAX 64    /* includes the NUL */
#define MF_TAG_VALUE_MAX 256 /* includes the NUL */

/* serf/messages.go messageType (iota order). */
enum mf_serf_msg_type {
	MF_SERF_MSG_LEAVE = 0,
	MF_SERF_MSG_JOIN = 1,
	MF_SERF_MSG_PUSH_PULL = 2,
	MF_SERF_MSG_USER_EVENT = 3,
	MF_SERF_MSG_QUERY = 4,
	MF_SERF_MSG_QUERY_RESPONSE = 5,
	MF_SERF_MSG_CONFLICT_RESPONSE = 6,
	MF_SERF_MSG_KEY_REQUEST = 7,
	MF_SERF_MSG_KEY_RESPONSE = 8,
	MF_SERF_MSG_RELAY = 9,
	/* meshfed's own messages (routing advertisements, ...): one type byte
	 * serf does not use; what follows it is meshfed's to define. */
	MF_SERF_MSG_MESHFED = 200,
};

/* A tag: NUL-terminated key and value. */
struct mf_tag {
	char key[MF_TAG_KEY_MAX];
	char value[MF_TAG_VALUE_MAX];
};

/* Writes the meta for tags into buf (*len bytes). MF_ETOOBIG when the result
 * exceeds MF_META_MAX or cap, MF_EINVAL for an unterminated key/value. */
int mf_serf_encode_tags(const struct mf_tag *t, size_t n, uint8_t *buf, size_t cap, size_t *len);
/* Decodes meta into at most max tags (MF_ETOOBIG beyond, or for a key or
 * value too long for struct mf_tag); MF_EMALFORMED when not a str->str map. */
int mf_serf_decode_tags(const uint8_t *meta, size_t len, struct mf_tag *t, size_t max, size_t *n);

/* Whether meta's tag "role" is role (legacy meta: the whole meta is the
 * role); false for a meta that does not decode. Allocation-free but for
 * msgpack's zone: cheap enough per packet sent, not per member per tick. */
bool mf_serf_meta_role_is(const uint8_t *meta, size_t len, const char *role);

/* The serf type of a user message payload (>= 0), MF_ETRUNC when empty. */
int mf_serf_msg_type(const uint8_t *msg, size_t len);

struct mf_serf_join {
	uint64_t ltime;
	struct mf_bytes node;
};
struct mf_serf_leave {
	uint64_t ltime;
	struct mf_bytes node;
	bool prune;
};
int mf_serf_encode_join(msgpack_sbuffer *out, const struct mf_serf_join *m);
int mf_serf_decode_join(const uint8_t *body, size_t len, struct mf_serf_join *m);
int mf_serf_encode_leave(msgpack_sbuffer *out, const struct mf_serf_leave *m);
int mf_serf_decode_leave(const uint8_t *body, size_t len, struct mf_serf_leave *m);

/* messagePushPull. We encode Events as an empty list (serf sends its event
 * buffer, 512 slots mostly nil; an empty one merges as "no events"). */
struct mf_serf_status_ltime {
	struct mf_bytes node;
	uint64_t ltime;
};
struct mf_serf_push_pull {
	uint64_t ltime;
	uint64_t event_ltime;
	uint64_t query_ltime;
	struct mf_serf_status_ltime *status; /* decoded: malloc'd */
	size_t n_status;
	struct mf_bytes *left;               /* decoded: malloc'd */
	size_t n_left;
};
int mf_serf_encode_push_pull(msgpack_sbuffer *out, const struct mf_serf_push_pull *pp);
/* Reads LTime, StatusLTimes, LeftMembers, EventLTime, QueryLTime; Events are
 * skipped. Free with mf_serf_push_pull_free. */
int mf_serf_decode_push_pull(const uint8_t *body, size_t len, struct mf_serf_push_pull *pp);
void mf_serf_push_pull_free(struct mf_serf_push_pull *pp);

#endif

/*
 * gossip/serf_query.h — serf's query messages as pure codecs (serf 0.9.4
 * serf/messages.go, serf/query.go, serf/internal_query.go,
 * serf/keymanager.go).
 *
 * Contract: pure functions, no I/O, no globals; 0 or a negative enum mf_err.
 * Decoders take the bytes AFTER serf's type byte and return views into them
 * (valid while the caller's buffer lives); encoders append the type byte
 * and the msgpack body as go-msgpack writes a struct: a map, keys sorted by
 * field name, strings and []byte as raw strings, a nil slice as nil,
 * integers (also time.Duration) as the smallest unsigned form.
 *
 *   query      [4] {Addr, Filters, Flags, ID, LTime, Name, Payload, Port,
 *                   RelayFactor, SourceNode, Timeout}
 *                   Addr: the querier's IP (4 or 16 bytes), Port its UDP
 *                   port, for the direct reply; Timeout in ns.
 *   response   [5] {Flags, From, ID, LTime, Payload}    Flags 1 = ack
 *   relay      [9] {DestAddr: {IP, Port, Zone}, DestName} [inner message]
 *                   the relayer sends the inner message (type byte and
 *                   all) to DestAddr as a user packet.
 *   filters    [0] [node names...]  |  [1] {Expr, Tag}   (query.go)
 *   user event [3] {CC, LTime, Name, Payload}            (messageUserEvent)
 *   key request   [7] {Key: 32 raw bytes}                (keymanager.go)
 *   key response  [8] {Keys, Message, PrimaryKey, Result} (nodeKeyResponse)
 *
 * Captured from serf 0.9.4 (tests/gossip_codec/test_serf_query.c holds the
 * bytes and where they came from).
 */
#ifndef MF_GOSSIP_SERF_QUERY_H
#define MF_GOSSIP_SERF_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "gossip/msg.h"
#include "gossip/pool.h"

/* serf/messages.go queryFlagAck, queryFlagNoBroadcast */
#define MF_SERF_QUERY_FLAG_ACK 1u
#define MF_SERF_QUERY_FLAG_NO_BROADCAST 2u
/* serf/messages.go filterType */
#define MF_SERF_FILTER_NODE 0
#define MF_SERF_FILTER_TAG 1
/* Filters we read from one query (serf writes one node filter plus one per
 * tag; memberlist's meta holds at most a few dozen tags). */
#define MF_SERF_QUERY_MAX_FILTERS 64
/* Keys read from one key response: serf truncates a list-keys answer to
 * QueryResponseSizeLimit / minEncodedKeyLength = 1024 / 25 = 40 keys. */
#define MF_SERF_KEY_RESPONSE_MAX_KEYS 40
/* serf config.go defaults; UserEventSizeLimit is serf's default (and sane) limit. */
#define MF_SERF_USER_EVENT_SIZE_LIMIT 512
#define MF_SERF_EVENT_BUFFER 512
#define MF_SERF_QUERY_SIZE_LIMIT 1024
#define MF_SERF_QUERY_RESPONSE_SIZE_LIMIT 1024
#define MF_SERF_QUERY_TIMEOUT_MULT 16
/* The prefix of serf's internal queries (internal_query.go). */
#define MF_SERF_INTERNAL_PREFIX "_serf_"

struct mf_serf_query {
	uint64_t ltime;
	uint32_t id;
	struct mf_bytes addr;        /* 4 or 16 bytes */
	uint16_t port;
	struct mf_bytes source_node;
	struct mf_bytes filters[MF_SERF_QUERY_MAX_FILTERS]; /* each [type][msgpack] */
	size_t n_filters;
	uint32_t flags;
	uint8_t relay_factor;
	int64_t timeout;             /* ns (Go time.Duration) */
	struct mf_bytes name;
	struct mf_bytes payload;     /* {NULL, 0}: nil */
};

struct mf_serf_query_response {
	uint64_t ltime;
	uint32_t id;
	struct mf_bytes from;
	uint32_t flags;
	struct mf_bytes payload;
};

struct mf_serf_relay {
	struct mf_addr dest;
	struct mf_bytes dest_name;
	struct mf_bytes inner;       /* the message to forward, type byte first */
};

struct mf_serf_key_response {
	bool result;
	struct mf_bytes message;
	struct mf_bytes keys[MF_SERF_KEY_RESPONSE_MAX_KEYS]; /* base64 */
	size_t n_keys;
	bool keys_nil;               /* Keys was nil (no list), not [] */
	struct mf_bytes primary;     /* base64, "" when none */
};

int mf_serf_encode_query(msgpack_sbuffer *out, const struct mf_serf_query *q);
int mf_serf_decode_query(const uint8_t *body, size_t len, struct mf_serf_query *q);
int mf_serf_encode_query_response(msgpack_sbuffer *out, const struct mf_serf_query_response *r);
int mf_serf_decode_query_response(const uint8_t *body, size_t len,
				  struct mf_serf_query_response *r);
/* [9][header][inner]: inner is copied after the header. */
int mf_serf_encode_relay(msgpack_sbuffer *out, const struct mf_addr *dest,
			 struct mf_bytes dest_name, const uint8_t *inner, size_t inner_len);
int mf_serf_decode_relay(const uint8_t *body, size_t len, struct mf_serf_relay *r);

/* Filters: encode appends [type][msgpack] to out (one filter). */
int mf_serf_encode_node_filter(msgpack_sbuffer *out, const char *const *nodes, size_t n);
int mf_serf_encode_tag_filter(msgpack_sbuffer *out, const char *tag, const char *expr);

struct mf_serf_user_event {
	uint64_t ltime;
	struct mf_bytes name;
	struct mf_bytes payload;
	bool cc;                     /* may coalesce */
};
int mf_serf_encode_user_event(msgpack_sbuffer *out, const struct mf_serf_user_event *e);
int mf_serf_decode_user_event(const uint8_t *body, size_t len, struct mf_serf_user_event *e);

int mf_serf_encode_key_request(msgpack_sbuffer *out, const uint8_t *key, size_t len);
/* MF_EKEYSIZE never: the key's length is the caller's to judge (serf's
 * keyring answers "key size must be 16, 24 or 32 bytes"). */
int mf_serf_decode_key_request(const uint8_t *body, size_t len, struct mf_bytes *key);
int mf_serf_encode_key_response(msgpack_sbuffer *out, const struct mf_serf_key_response *r);
/* More keys than MF_SERF_KEY_RESPONSE_MAX_KEYS: MF_ETOOBIG. */
int mf_serf_decode_key_response(const uint8_t *body, size_t len, struct mf_serf_key_response *r);

/* serf.go DefaultQueryTimeout: GossipInterval * QueryTimeoutMult *
 * ceil(log10(members + 1)), members counting alive and suspect ones, us
 * included (memberlist NumMembers). */
mf_time_t mf_serf_query_default_timeout(mf_time_t gossip_interval, size_t members);

#endif

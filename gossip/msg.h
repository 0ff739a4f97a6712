/*
 * gossip/msg.h — memberlist's messages as C values.
 *
 * Contract: plain data, no behaviour. Every struct mirrors one Go struct of
 * memberlist 0.2.2 (net.go, state.go) field for field; the codec
 * (gossip/codec.h) turns them into the exact bytes go-msgpack writes and back.
 * Byte-slice fields point into a buffer owned by whoever decoded or built the
 * message (the codec never allocates for them); strings are the same, with an
 * explicit length, and are NOT NUL-terminated.
 */
#ifndef MF_GOSSIP_MSG_H
#define MF_GOSSIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Message type byte, memberlist net.go `messageType` (iota order). */
enum mf_msg_type {
	MF_MSG_PING = 0,
	MF_MSG_INDIRECT_PING = 1,
	MF_MSG_ACK = 2,
	MF_MSG_SUSPECT = 3,
	MF_MSG_ALIVE = 4,
	MF_MSG_DEAD = 5,
	MF_MSG_PUSH_PULL = 6,
	MF_MSG_COMPOUND = 7,
	MF_MSG_USER = 8,
	MF_MSG_COMPRESS = 9,
	MF_MSG_ENCRYPT = 10,
	MF_MSG_NACK = 11,
	MF_MSG_HAS_CRC = 12,
	MF_MSG_ERR = 13,
};

/* memberlist nodeStateType (state.go): the wire values of pushNodeState.State. */
enum mf_node_state {
	MF_STATE_ALIVE = 0,
	MF_STATE_SUSPECT = 1,
	MF_STATE_DEAD = 2,
	MF_STATE_LEFT = 3,
};

/* Protocol and delegate versions: alive.Vsn, pushNodeState.Vsn. */
#define MF_VSN_LEN 6
/* What serf 0.9.4 sends: protocol min 1, max 5, cur 2; delegate (serf) 2, 5, 5.
 * Seen in ../shared/data/serf-captures; serf refuses members whose delegate
 * range does not overlap its own. */
#define MF_VSN_SERF_INIT { 1, 5, 2, 2, 5, 5 }

#define MF_NAME_MAX 255     /* node names: memberlist has no limit, we do */
#define MF_META_MAX 512     /* memberlist MetaMaxSize */

/* A byte or string view into someone else's buffer. */
struct mf_bytes {
	const uint8_t *p;
	size_t len;
};

/* ping (net.go `ping`). Source* are omitempty: len 0 / port 0 = absent. */
struct mf_msg_ping {
	uint32_t seq_no;
	struct mf_bytes node;
	struct mf_bytes source_addr; /* 4 or 16 raw bytes */
	uint16_t source_port;
	struct mf_bytes source_node;
};

/* indirectPingReq */
struct mf_msg_indirect_ping {
	uint32_t seq_no;
	struct mf_bytes target; /* 4 or 16 raw bytes */
	uint16_t port;
	struct mf_bytes node;
	bool nack;
	struct mf_bytes source_addr;
	uint16_t source_port;
	struct mf_bytes source_node;
};

/* ackResp: serf puts its coordinate in payload (coord/ decodes it). */
struct mf_msg_ack {
	uint32_t seq_no;
	struct mf_bytes payload;
};

/* nackResp */
struct mf_msg_nack {
	uint32_t seq_no;
};

/* errResp */
struct mf_msg_err {
	struct mf_bytes error;
};

/* suspect and dead share a shape. A dead whose node == from is a leave. */
struct mf_msg_suspect {
	uint32_t incarnation;
	struct mf_bytes node;
	struct mf_bytes from;
};
struct mf_msg_dead {
	uint32_t incarnation;
	struct mf_bytes node;
	struct mf_bytes from;
};

/* alive: also how a node announces its meta (serf tags) and versions. */
struct mf_msg_alive {
	uint32_t incarnation;
	struct mf_bytes node;
	struct mf_bytes addr; /* 4 or 16 raw bytes */
	uint16_t port;
	struct mf_bytes meta;
	uint8_t vsn[MF_VSN_LEN];
	bool has_vsn; /* Vsn absent or not 6 bytes long -> false */
};

/* pushPullHeader */
struct mf_msg_push_pull_header {
	int64_t nodes;
	int64_t user_state_len;
	bool join;
};

/* pushNodeState */
struct mf_msg_push_node_state {
	struct mf_bytes name;
	struct mf_bytes addr;
	uint16_t port;
	struct mf_bytes meta;
	uint32_t incarnation;
	uint8_t state; /* enum mf_node_state */
	uint8_t vsn[MF_VSN_LEN];
	bool has_vsn;
};

/* compress: algo 0 = LZW (Go compress/lzw, LSB, litWidth 8). */
struct mf_msg_compress {
	uint8_t algo;
	struct mf_bytes buf;
};

/* userMsgHeader: precedes a user message body on a TCP stream. */
struct mf_msg_user_header {
	int64_t user_msg_len;
};

#endif

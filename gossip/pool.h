/*
 * gossip/pool.h — one SWIM gossip pool: the pure protocol core.
 *
 * A pool is a value: an agent may hold several (the WAN pool, one pool per
 * network area), the simulator holds hundreds in one process.
 *
 * Contract
 *  - Pure. The pool never reads a clock, never touches a socket, never
 *    sleeps. Time comes in as `now` (nanoseconds on any monotonic scale) on
 *    every call; packets and stream messages come in as bytes; everything it
 *    wants done comes out through mf_pool_next_output(): datagrams to send,
 *    streams to open or answer, and membership events. Randomness comes from
 *    a PRNG seeded by the config (so a simulation replays exactly); only
 *    nonces for encryption use libsodium's randombytes.
 *  - Semantics are memberlist 0.2.2's (state.go, net.go, suspicion.go,
 *    awareness.go, queue.go) plus serf's reconnect and reap of failed/left
 *    members. Departures are documented in gossip/pool.c's opening essay.
 *  - The I/O shell (gossip/transport.h) calls mf_pool_tick() no later than
 *    mf_pool_next_wake(), and drains outputs after every call.
 *  - Errors are negative enum mf_err values; bad input is counted and
 *    dropped, never fatal.
 */
#ifndef MF_GOSSIP_POOL_H
#define MF_GOSSIP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"
#include "gossip/intern.h"
#include "gossip/keyring.h"
#include "gossip/msg.h"

typedef int64_t mf_time_t; /* nanoseconds */

/* How far one message may move a member's incarnation ahead of what we
 * know (modulo 2^32); see gossip/pool.c "Incarnations". */
#define MF_POOL_INC_WINDOW 65536u
#define MF_MS ((mf_time_t)1000000)
#define MF_SEC ((mf_time_t)1000000000)

/* An IPv4 or IPv6 address and port. */
struct mf_addr {
	uint8_t ip[16];
	uint8_t ip_len; /* 4 or 16 */
	uint16_t port;
};

enum mf_profile { MF_PROFILE_WAN = 0, MF_PROFILE_LAN, MF_PROFILE_LOCAL };

/* Every timing of memberlist's Config plus serf's reconnect/reap. */
struct mf_pool_timing {
	mf_time_t probe_interval;
	mf_time_t probe_timeout;
	mf_time_t gossip_interval;
	mf_time_t push_pull_interval;
	mf_time_t tcp_timeout;
	mf_time_t gossip_to_the_dead;
	mf_time_t reconnect_interval; /* serf: 30 s */
	mf_time_t reconnect_timeout;  /* serf: 24 h; failed members reaped after */
	mf_time_t tombstone_timeout;  /* serf: 24 h; left members reaped after */
	int indirect_checks;
	int retransmit_mult;
	int suspicion_mult;
	int suspicion_max_timeout_mult;
	int gossip_nodes;
	int awareness_max_multiplier;
	int udp_buffer_size;          /* 1400 */
	int max_members;              /* records held, self and failed/left
				       * included; names beyond are refused
				       * (stats.members_refused). <= 0:
				       * MF_POOL_MAX_MEMBERS */
};

/* User state budget in a push-pull: first MF_POOL_USER_STATE_FIRST bytes;
 * a delegate that needs more gets twice its need (room for what others
 * append) up to MF_POOL_USER_STATE_MAX, well inside a stream frame
 * (MF_STREAM_MAX, memberlist's maxPushStateBytes). */
#define MF_POOL_USER_STATE_FIRST ((size_t)64 * 1024)
#define MF_POOL_USER_STATE_MAX ((size_t)4 * 1024 * 1024)

/* The largest pool we claim to support (issue 11: a flood of fake names
 * must not grow the table without bound). */
#define MF_POOL_MAX_MEMBERS 10000

/* Fills t with memberlist's DefaultWANConfig / DefaultLANConfig /
 * DefaultLocalConfig values and serf's reconnect/reap defaults. */
void mf_pool_timing_profile(struct mf_pool_timing *t, enum mf_profile p);
/* "wan", "lan", "local" -> profile; MF_EINVAL otherwise. */
int mf_profile_parse(const char *s, enum mf_profile *p);

/* Hooks the layer above (serf compatibility, coordinates, routing) plugs in.
 * All are optional (NULL), all are called synchronously from within a pool
 * call, and none may call back into the pool. */
struct mf_pool_delegate {
	void *ctx;
	/* Bytes to put in the payload of every ack we send (serf: coordinate).
	 * Return the length written (<= cap) or 0. */
	size_t (*ack_payload)(void *ctx, uint8_t *buf, size_t cap);
	/* A direct probe we sent was acked: the ack's payload and the RTT. */
	void (*on_ack)(void *ctx, const char *node, const uint8_t *payload, size_t len,
		       mf_time_t rtt);
	/* A user message arrived (gossip or stream). */
	void (*on_user_msg)(void *ctx, const uint8_t *msg, size_t len);
	/* Our user state for a push-pull; return the length written (<= cap),
	 * 0 for none, or, when it does not fit, the length it needs (> cap):
	 * the pool then calls once more with a larger buffer, up to
	 * MF_POOL_USER_STATE_MAX; past that nothing is sent. */
	size_t (*local_state)(void *ctx, bool join, uint8_t *buf, size_t cap);
	/* A peer's push-pull user state. */
	void (*merge_remote_state)(void *ctx, const uint8_t *buf, size_t len, bool join);
};

struct mf_pool_config {
	char name[MF_NAME_MAX + 1];
	struct mf_addr advertise;      /* what we tell peers (alive.Addr/Port) */
	struct mf_pool_timing timing;
	uint8_t vsn[MF_VSN_LEN];       /* default MF_VSN_SERF_INIT */
	uint8_t meta[MF_META_MAX];     /* serf tags (gossip/serf.h) */
	size_t meta_len;
	const struct mf_keyring *keyring; /* NULL or empty: plaintext */
	uint64_t seed;                 /* PRNG seed */
	struct mf_pool_delegate delegate;
	/* Where member identities (name, address, versions, meta: one blob
	 * each) and queued broadcasts are interned: pools of one process
	 * (an agent's LAN and WAN pools, a simulator's N pools) may share one
	 * and hold each string once. It must outlive them; NULL: the pool's own. */
	struct mf_intern *intern;
	/* Non-empty: user messages of type MF_SERF_MSG_MESHFED (gossip/serf.h)
	 * are piggybacked only on packets to members whose serf tag role is
	 * this ("meshfed"): a serf agent logs a warning for every message of a
	 * type it does not know, and drops it. They go in a queue of their
	 * own, after serf's. Empty (the default): to every member. */
	char private_role[32];
};
/* Defaults: profile timings, serf vsn, no meta, no key. */
void mf_pool_config_init(struct mf_pool_config *c, enum mf_profile p);

/* Member status as serf and `meshfed members` report it. */
enum mf_member_status {
	MF_MEMBER_ALIVE = 0,
	MF_MEMBER_SUSPECT,
	MF_MEMBER_FAILED, /* dead, not by its own leave */
	MF_MEMBER_LEFT,   /* dead by its own leave (dead.From == dead.Node) */
};
const char *mf_member_status_str(enum mf_member_status s);
int mf_member_status_parse(const char *s, enum mf_member_status *out);

/* A read-only view of one member; pointers valid until the next pool call. */
struct mf_member {
	const char *name;
	struct mf_addr addr;
	const uint8_t *meta;
	size_t meta_len;
	uint32_t incarnation;
	enum mf_member_status status;
	mf_time_t status_since; /* `now` of the last status change */
	uint8_t vsn[MF_VSN_LEN];
	/* This agent's last probes of it in a row (saturating at 255) answered
	 * only through indirect probes, or not at all: 0 after one it acked
	 * directly (UDP from its own address, or the TCP fallback). A member
	 * alive through others while our own path to it is cut has it > 0
	 * (routing/node.c: such a link is not usable). */
	uint8_t direct_misses;
};

/* What the pool wants done, in order. Data pointers stay valid until the
 * next call into the pool. */
enum mf_out_kind {
	MF_OUT_UDP,          /* send `data` as one datagram to `to` */
	MF_OUT_STREAM_OPEN,  /* connect to `to`, write `data`; if expect_reply,
			      * read one frame (mf_wire_stream_complete) and give
			      * it to mf_pool_stream_reply(), else close. Give up
			      * after `timeout` with mf_pool_stream_failed(). */
	MF_OUT_STREAM_REPLY, /* write `data` on inbound stream `stream_id`, close */
	MF_OUT_STREAM_CLOSE, /* close inbound stream `stream_id` without reply */
	MF_OUT_EVENT,        /* a membership event, see `event` */
};

enum mf_event_kind {
	MF_EV_JOIN,      /* a member became alive (first time or again) */
	MF_EV_UPDATE,    /* an alive member changed its meta or address */
	MF_EV_SUSPECT,   /* a member became suspect */
	MF_EV_FAILED,    /* a member was declared dead */
	MF_EV_LEFT,      /* a member left gracefully */
	MF_EV_REAPED,    /* a failed/left member was forgotten */
	MF_EV_JOIN_DONE, /* a mf_pool_join() stream finished: `ok` says how */
};

struct mf_pool_event {
	enum mf_event_kind kind;
	const char *name;  /* member name (not for JOIN_DONE) */
	uint64_t join_id;  /* JOIN_DONE: the id mf_pool_join returned */
	bool ok;           /* JOIN_DONE: push-pull completed */
};

struct mf_pool_out {
	enum mf_out_kind kind;
	struct mf_addr to;
	uint64_t stream_id;
	bool expect_reply;
	mf_time_t timeout;
	const uint8_t *data;
	size_t len;
	struct mf_pool_event event;
};

/* Counters for `meshfed info`. */
struct mf_pool_stats {
	uint64_t udp_in, udp_out, bytes_in, bytes_out;
	uint64_t stream_in, stream_out;
	uint64_t msgs_in, msgs_out;
	uint64_t bad_packets;                 /* total dropped input */
	uint64_t bad_by_cause[MF_ERR_COUNT_]; /* index: -enum mf_err */
	uint64_t probes, probe_failures, indirect_probes, tcp_fallback_probes;
	uint64_t nacks_sent, nacks_received, acks_missed_nack;
	/* Probe stages (indirect probes, verdict) we reached more than a
	 * quarter of the probe timeout after their deadline: we were not
	 * running (Lifeguard: +1 health each, pool_probe.c) */
	uint64_t late_probe_stages;
	uint64_t suspicions, refutations, deaths, leaves;
	uint64_t push_pulls, reconnect_attempts;
	int health_score; /* Lifeguard awareness score, 0 = healthy */
	uint64_t addr_conflicts; /* alive for a known name from another address */
	uint64_t inc_out_of_window; /* alive/suspect/dead more than
				     * MF_POOL_INC_WINDOW from what we know */
	uint64_t members_refused;  /* new names refused: pool at max_members */
	uint64_t out_errors;       /* a message, event or timer the pool could not
				    * queue or arm (out of memory), its state kept
				    * consistent: the protocol retries */
};

typedef struct mf_pool mf_pool_t;

/* Creates a pool containing only itself (alive, incarnation 0 + what is
 * needed). Copies the config. */
int mf_pool_new(const struct mf_pool_config *cfg, mf_time_t now, mf_pool_t **out);
void mf_pool_free(mf_pool_t *p);

/* --- inputs --------------------------------------------------------------*/
/* A datagram arrived from `from`. Returns 0, or the negative cause when the
 * packet was dropped (already counted). */
int mf_pool_udp_in(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
		   const uint8_t *pkt, size_t len);
/* A complete inbound stream frame (as delimited by mf_wire_stream_complete)
 * arrived on inbound stream `stream_id` (chosen by the shell). The pool
 * answers with MF_OUT_STREAM_REPLY or MF_OUT_STREAM_CLOSE. */
int mf_pool_stream_in(mf_pool_t *p, mf_time_t now, uint64_t stream_id,
		      const struct mf_addr *from, const uint8_t *frame, size_t len);
/* The reply to an MF_OUT_STREAM_OPEN we asked for. */
int mf_pool_stream_reply(mf_pool_t *p, mf_time_t now, uint64_t stream_id,
			 const uint8_t *frame, size_t len);
/* An MF_OUT_STREAM_OPEN failed (connect, write, read or timeout). */
void mf_pool_stream_failed(mf_pool_t *p, mf_time_t now, uint64_t stream_id);
/* Runs every timer due at `now`: probes, gossip, push-pull, suspicion,
 * reconnect, reap. */
void mf_pool_tick(mf_pool_t *p, mf_time_t now);
/* When the next timer is due. */
mf_time_t mf_pool_next_deadline(const mf_pool_t *p);
/* When the shell must next call mf_pool_tick(): mf_pool_next_deadline()
 * without the gossip tick while nothing is queued to gossip (memberlist's
 * gossip() returns at once then; an idle agent woke 5 times a second for
 * nothing, issue 12), else the next tick of the gossip grid at or after
 * `now`. Anything queued outside a pool call (mf_pool_broadcast_user*)
 * must be followed by a re-read of it. */
mf_time_t mf_pool_next_wake(const mf_pool_t *p, mf_time_t now);

/* --- outputs -------------------------------------------------------------*/
/* Pops the next output into *out: 1 if there was one, 0 if none. */
int mf_pool_next_output(mf_pool_t *p, struct mf_pool_out *out);

/* --- operations ----------------------------------------------------------*/
/* Starts a push-pull join with `addr`; the result comes as MF_EV_JOIN_DONE
 * with *join_id. */
int mf_pool_join(mf_pool_t *p, mf_time_t now, const struct mf_addr *addr, uint64_t *join_id);
/* Broadcasts our own dead (From = us): peers mark us left. The shell keeps
 * running until mf_pool_leave_done() or a timeout, then stops. */
int mf_pool_leave(mf_pool_t *p, mf_time_t now);
bool mf_pool_leave_done(const mf_pool_t *p);
/* Forces a failed member to left (serf force-leave); MF_ENOTFOUND, or
 * MF_ESTATE when it is alive. */
int mf_pool_force_leave(mf_pool_t *p, mf_time_t now, const char *name);
/* Changes our meta (tags): refutes with a new incarnation. */
int mf_pool_set_meta(mf_pool_t *p, mf_time_t now, const uint8_t *meta, size_t len);
/* Queues a user message for piggybacked gossip (transmit-limited, like
 * memberlist's delegate broadcasts). `key`, when not NULL, invalidates an
 * older queued message with the same key. Copies msg. */
int mf_pool_broadcast_user(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len);
/* The same, transmitted at most max_transmits times (gossip/broadcast.h
 * mf_bcast_push_capped; 0 = the pool's retransmit limit): for messages a
 * fixed number of members is enough for, so their per-member cost does not
 * grow with the pool. */
int mf_pool_broadcast_user_capped(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len,
				  int max_transmits);
/* mf_pool_broadcast_user(p, key, msg, len) for a message about one member
 * (a serf intent), with the shortcuts of gossip/broadcast.h
 * mf_bcast_push_hinted: name_id is the member's name id in `ids` (the
 * caller's table; the memo is used only when it is the pool's,
 * mf_pool_config.intern); fresh: the caller knows nothing under key is
 * queued. key must not be NULL. */
int mf_pool_broadcast_user_about(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len,
				 const struct mf_intern *ids, uint32_t name_id, bool fresh);
/* How many times the user message queued under key has gone out, -1 when
 * none is (gossip/broadcast.h mf_bcast_transmits). */
int mf_pool_user_transmits(const mf_pool_t *p, const char *key);
/* Drops queued user messages whose key starts with prefix past the
 * max_retain of them, the most transmitted first (memberlist Prune, as
 * serf's checkQueueDepth does to its intent queue). Returns how many. */
size_t mf_pool_prune_user(mf_pool_t *p, const char *prefix, size_t max_retain);
/* Sends a user message to an address in one datagram (memberlist
 * SendToAddress: serf's query acks, responses and relays). */
int mf_pool_send_user_to(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len);
/* Messages waiting in the broadcast queues: membership (alive, suspect,
 * dead) and user messages (serf intents, adverts, coordinates). */
void mf_pool_broadcast_depth(const mf_pool_t *p, size_t *membership, size_t *user);
/* Sends a user message to one member over a stream (reliable). */
int mf_pool_send_user_stream(mf_pool_t *p, mf_time_t now, const char *node,
			     const uint8_t *msg, size_t len);

/* --- queries -------------------------------------------------------------*/
size_t mf_pool_member_count(const mf_pool_t *p);       /* incl. failed/left */
size_t mf_pool_alive_count(const mf_pool_t *p);        /* alive + suspect */
/* Fills *m with member i (0 <= i < mf_pool_member_count), in name order. */
int mf_pool_member_at(const mf_pool_t *p, size_t i, struct mf_member *m);
int mf_pool_member_find(const mf_pool_t *p, const char *name, struct mf_member *m);
/* Moves whenever a member is added or changes status or meta (every member
 * event, even one the output queue could not hold): a reader that caches
 * derived state rebuilds it only when this moved. */
uint64_t mf_pool_members_version(const mf_pool_t *p);
/* Moves only when a member is added or removed (reaped) or its meta or
 * address changes: while it stands still, mf_pool_member_at(i) is the same
 * member with the same meta as before, and only statuses may have moved
 * (a reader refreshes them in place instead of rebuilding, issue 12). */
uint64_t mf_pool_members_ident_version(const mf_pool_t *p);
/* The pool's change journal (gossip/members.h): the number of member
 * changes so far (the first call turns the journal on), and the name of
 * change k, NULL when it is no longer held (more than MF_MEMBERS_JOURNAL
 * newer ones): a reader that cached derived state at change count c looks
 * again at the members named by changes c .. now - 1, and re-reads the
 * whole pool only when one of them is NULL. Every change that moves
 * mf_pool_members_version is in it. */
uint64_t mf_pool_member_changes(const mf_pool_t *p);
const char *mf_pool_member_change(const mf_pool_t *p, uint64_t k);
const char *mf_pool_name(const mf_pool_t *p);
void mf_pool_get_stats(const mf_pool_t *p, struct mf_pool_stats *s);
const struct mf_pool_config *mf_pool_config(const mf_pool_t *p);

/* Address helpers shared by shell and CLI. "1.2.3.4:7946", "[::1]:7946";
 * a missing port gets default_port. */
int mf_addr_parse(const char *s, uint16_t default_port, struct mf_addr *a);
/* "1.2.3.4:7946" into buf; returns buf. */
const char *mf_addr_format(const struct mf_addr *a, char *buf, size_t cap);
bool mf_addr_equal(const struct mf_addr *a, const struct mf_addr *b);

#endif

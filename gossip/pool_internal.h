/*
 * gossip/pool_internal.h — what the files of the pool core share: the pool
 * value itself, its queued outputs, pending streams, relays and the probe in
 * progress, and the functions one part calls in another. Not a public
 * header: only gossip/pool*.c include it (gossip/pool.h is the contract).
 *
 * The parts, each a file (all pure: `now` comes in, outputs queue up):
 *   pool.c          design essay, inbound dispatch, lifecycle, inputs, timers
 *   pool_api.c      the public operations and queries
 *   pool_out.c      the output queue, sealing, streams we opened
 *   pool_state.c    state transitions and suspicion (memberlist state.go)
 *   pool_pushpull.c full-state exchange, join, reconnect
 *   pool_probe.c    the probe state machine and relayed indirect pings
 * Internal functions shared between the parts are named mf_pool__<what>
 * (libuv's uv__ convention); everything else stays static in its file.
 */
#ifndef MF_GOSSIP_POOL_INTERNAL_H
#define MF_GOSSIP_POOL_INTERNAL_H

#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/codec.h"
#include "gossip/crypto.h"
#include "gossip/grow.h"
#include "gossip/health.h"
#include "gossip/members.h"
#include "gossip/suspects.h"
#include "gossip/pool.h"
#include "gossip/rng.h"
#include "gossip/wire.h"

#define COMPOUND_HEADER_OVERHEAD 2 /* memberlist net.go compoundHeaderOverhead */
#define COMPOUND_OVERHEAD 2        /* per part: its u16 length */
#define REAP_INTERVAL (15 * MF_SEC) /* serf DefaultConfig ReapInterval */
#define PUSH_PULL_SCALE_THRESHOLD 32 /* memberlist util.go */
#define ACK_PAYLOAD_MAX 1024
#define UDP_MAX 65507
#define MF_POOL_OUTS_KEEP 256 /* output slots a drained pool keeps */
/* Bytes of a push-pull buffer (encoded, decrypted, inflated) kept after
 * use: a state is about 150 bytes a member, so anything larger is one of
 * a pool of 100 or more, sent or read once a push-pull interval; an agent
 * of 1,000 kept 150-450 KB of them (issue 12, RSS per agent). */
#define MF_POOL_SCRATCH_KEEP 16384
/* 1/MF_POOL_USER_SHARE of a packet's piggyback space is kept for user
 * (serf) broadcasts while membership messages are queued too. */
#define MF_POOL_USER_SHARE 4
/* A probe stage (indirect probes, verdict) whose deadline is reached waits
 * this long once more, so the transport reads what arrived by then first
 * (pool_probe.c, defer_stage). */
#define MF_POOL_PROBE_GRACE MF_MS

/* One queued output and the bytes it owns. */
struct out_item {
	struct mf_pool_out out;
	void *owned;
	/* An event's member identity (interned, held): the event's name points
	 * into it, so no copy of the name per event (every pool of a
	 * simulator has an event per member). */
	const char *ident;
};

/* An indirect ping we relay for someone (memberlist handleIndirectPing). */
struct relay {
	uint32_t local_seq;   /* our ping to the target */
	uint32_t origin_seq;  /* the origin's probe */
	struct mf_addr origin;
	bool want_nack;
	mf_time_t expires;    /* probe_timeout after the request: nack, forget */
};

enum stream_kind { ST_JOIN, ST_PUSH_PULL, ST_RECONNECT, ST_PING };

/* A stream we opened and await a reply (or failure) for. */
struct pending_stream {
	uint64_t id;
	enum stream_kind kind;
	uint32_t seq;        /* ST_PING: the probe's seq */
	mf_time_t expires;   /* dropped at the first tick after (shell forgot) */
	bool answered;       /* ST_JOIN: done, only its MF_EV_JOIN_DONE is owed
			      * (the queue was full); retried every tick */
	bool ok;             /* answered: the outcome to report */
};

/* The probe in progress (memberlist probeNode as a state machine). */
struct probe {
	bool active;
	char target[MF_NAME_MAX + 1];
	struct mf_addr target_addr;
	uint32_t target_inc;  /* incarnation when the probe began */
	uint32_t seq;
	mf_time_t sent;
	mf_time_t timeout_at; /* probe_timeout: go indirect */
	mf_time_t end_at;     /* health-scaled interval: verdict */
	bool indirect_sent;
	bool indirect_deferred; /* its deadline passed once: I/O read first */
	bool verdict_deferred;
	bool late;              /* a stage came late: health +1 (once a probe) */
	bool acked;
	bool tcp_ok;
	int expected_nacks, nacks;
};

struct mf_pool {
	struct mf_pool_config cfg;
	struct mf_rng rng;
	struct mf_health health;
	struct mf_members members;
	struct mf_intern own_strs; /* names and metas, when cfg.intern is NULL */
	struct mf_member_record *self;
	size_t n_known;  /* records memberlist would still hold (not forgotten) */
	/* Records in state DEAD and LEFT (forgotten and doomed ones included),
	 * kept by mf_pool__set_state: the alive count, reap and reconnect read
	 * them instead of scanning every record on a timer (a simulator's N
	 * pools would scan N^2 records every 15 s). */
	size_t n_dead, n_left;
	bool left;

	struct mf_bcast_queue member_msgs; /* alive/suspect/dead to piggyback */
	struct mf_bcast_queue user_msgs;   /* mf_pool_broadcast_user's messages */
	struct mf_bcast_queue private_msgs; /* those for cfg.private_role only */
	uint64_t leave_notify_base;
	bool leave_started;

	uint32_t seq_no;
	uint64_t stream_seq;

	struct probe probe;
	size_t probe_index;
	mf_time_t probe_tick;     /* next probe-interval tick */
	bool probe_pending;       /* a tick came while a probe ran */
	mf_time_t probe_ended_at;
	mf_time_t gossip_tick, push_pull_at, reconnect_at, reap_at;

	struct relay *relays;
	size_t n_relays, cap_relays;
	struct pending_stream *streams;
	size_t n_streams, cap_streams;
	struct mf_suspects suspects; /* records with a live suspicion timer */
	uint64_t members_version;    /* moves with every member event (and add) */
	uint64_t members_ident_version; /* moves when a member is added or removed
					 * or its meta or address changes */

	struct out_item *outs;
	size_t n_outs, out_head, cap_outs;

	struct mf_wire_scratch scratch;
	msgpack_sbuffer msg_buf;   /* one encoded message */
	msgpack_sbuffer extra_buf; /* a second one built while msg_buf is in use
				    * (buddy suspect, relayed ping, push-pull state) */
	size_t user_state_cap;     /* the user state budget the last push-pull
				    * needed: past 64 KB the delegate would
				    * otherwise encode its state twice a time */
	uint8_t *bc_buf;       /* piggybacked broadcasts, udp_buffer_size */
	struct mf_pool_stats stats;
};

/* --- small helpers -------------------------------------------------------*/

/* Where an error stops being returned (a timer, a best-effort message):
 * counted, so nothing is dropped unseen. Returns rc. */
static inline int count_err(mf_pool_t *p, int rc)
{
	if (rc < 0)
		p->stats.out_errors++;
	return rc;
}

static inline int count_bad(mf_pool_t *p, int err)
{
	if (err < 0 && -err < MF_ERR_COUNT_) {
		p->stats.bad_packets++;
		p->stats.bad_by_cause[-err]++;
	}
	return err;
}

/* Moves m to state s, keeping the pool's per-state counts. Every state
 * change of a record goes through here (a new record starts ALIVE). */
static inline void mf_pool__set_state(mf_pool_t *p, struct mf_member_record *m,
				      enum mf_node_state s)
{
	p->n_dead -= m->state == MF_STATE_DEAD;
	p->n_left -= m->state == MF_STATE_LEFT;
	p->n_dead += s == MF_STATE_DEAD;
	p->n_left += s == MF_STATE_LEFT;
	m->state = (uint8_t)s;
}

/* m is about to be freed (removed or swept): it leaves the counts. */
static inline void mf_pool__uncount(mf_pool_t *p, const struct mf_member_record *m)
{
	p->n_dead -= m->state == MF_STATE_DEAD;
	p->n_left -= m->state == MF_STATE_LEFT;
}

static inline bool bytes_eq(struct mf_bytes b, const char *s, size_t len)
{
	return b.len == len && memcmp(b.p, s, len) == 0;
}

static inline bool is_self_name(const mf_pool_t *p, struct mf_bytes name)
{
	return bytes_eq(name, p->self->ident->name, p->self->ident->name_len);
}

static inline struct mf_bytes str_bytes(const char *s, size_t len)
{
	struct mf_bytes b = { (const uint8_t *)s, len };
	return b;
}

static inline void addr_from_bytes(struct mf_addr *a, struct mf_bytes ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (ip.len == 4 || ip.len == 16) {
		memcpy(a->ip, ip.p, ip.len);
		a->ip_len = (uint8_t)ip.len;
	}
	a->port = port;
}

static inline bool encryption_on(const mf_pool_t *p)
{
	return p->cfg.keyring != NULL && p->cfg.keyring->n > 0;
}

static inline mf_time_t tmin(mf_time_t a, mf_time_t b)
{
	return a < b ? a : b;
}

static inline bool dead_or_left(const struct mf_member_record *m)
{
	return m->state == MF_STATE_DEAD || m->state == MF_STATE_LEFT;
}

/* memberlist kRandomNodes over the whole table. `skip` filters. */
typedef bool (*skip_fn)(const mf_pool_t *p, const struct mf_member_record *m, mf_time_t now,
			const void *arg);

/* pool_out.c: outputs and the streams we opened. */
void mf_pool__out_reset_if_drained(mf_pool_t *p);
/* An event about member `who` (NULL: none, JOIN_DONE). */
int mf_pool__emit_event(mf_pool_t *p, enum mf_event_kind kind,
			const struct mf_member_ident *who, uint64_t join_id, bool ok);
int mf_pool__send_packet(mf_pool_t *p, const struct mf_addr *to, const struct mf_bytes *msgs,
			 size_t n, bool crc);
/* Queued broadcasts of every kind. */
static inline size_t mf_pool__bcast_total(const mf_pool_t *p)
{
	return mf_bcast_len(&p->member_msgs) + mf_bcast_len(&p->user_msgs) +
	       mf_bcast_len(&p->private_msgs);
}
/* to: the packet's recipient, or NULL when unknown (it then gets no
 * private message: cfg.private_role). */
size_t mf_pool__get_broadcasts(mf_pool_t *p, size_t limit, const struct mf_member_ident *to,
			       struct mf_bytes *out, size_t max);
/* memberlist sendMsg: the message encoded in `sb` plus whatever
 * broadcasts fit, as one datagram. peer: the member at `to` when known
 * (NULL: it gets no private message). */
int mf_pool__send_buf(mf_pool_t *p, const struct mf_addr *to, const struct mf_member_ident *peer,
		      const msgpack_sbuffer *sb);
int mf_pool__open_stream(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len,
			 bool expect_reply, mf_time_t timeout, uint64_t *id);
int mf_pool__reply_stream(mf_pool_t *p, uint64_t stream_id, const uint8_t *msg, size_t len);
int mf_pool__close_stream(mf_pool_t *p, uint64_t stream_id);
/* Makes room for one more pending stream, so the next add_pending cannot
 * fail: reserve before opening, and a stream is never opened untracked. */
int mf_pool__reserve_pending(mf_pool_t *p);
int mf_pool__add_pending(mf_pool_t *p, uint64_t id, enum stream_kind kind, uint32_t seq,
			 mf_time_t expires);
bool mf_pool__take_pending(mf_pool_t *p, uint64_t id, struct pending_stream *out);

/* pool_state.c: state transitions. */
/* Queues msg under name in q (a queue of p's) with gossip/broadcast.h
 * mf_bcast_push_hinted's shortcuts: the blob last queued about name id
 * `name_id` of kind `kind` is taken from its memo in p's table (none when
 * the id is not of p's table: ids != p->members.strs), and the blob queued
 * becomes that memo's. */
int mf_pool__push_memoed(mf_pool_t *p, struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, const struct mf_intern *ids, uint32_t name_id,
			 enum mf_intern_memo_kind kind, bool fresh);
int mf_pool__broadcast_alive(mf_pool_t *p, const struct mf_member_record *m);
void mf_pool__clear_suspicion(mf_pool_t *p, struct mf_member_record *m);
void mf_pool__forget(mf_pool_t *p, struct mf_member_record *m);
/* The transitions return 0 or the error that kept part of one from
 * happening (MF_ENOMEM): what did happen leaves the table consistent. */
int mf_pool__alive_node(mf_pool_t *p, mf_time_t now, const struct mf_msg_alive *a,
			bool bootstrap);
int mf_pool__suspect_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
			  struct mf_bytes from);
int mf_pool__dead_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
		       struct mf_bytes from);
int mf_pool__merge_state(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp);

/* pool_pushpull.c: full-state exchange. */
int mf_pool__encode_local_state(mf_pool_t *p, bool join);
void mf_pool__extra_buf_trim(mf_pool_t *p);
int mf_pool__push_pull_to(mf_pool_t *p, mf_time_t now, const struct mf_addr *to, bool join,
			  enum stream_kind kind, uint64_t *id);
int mf_pool__merge_remote(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp);
mf_time_t mf_pool__push_pull_interval(const mf_pool_t *p);
void mf_pool__periodic_push_pull(mf_pool_t *p, mf_time_t now);
void mf_pool__reconnect(mf_pool_t *p, mf_time_t now);

/* pool_probe.c: probing and relays. Timer-driven: what they cannot send is
 * counted (count_err) and the probe stays consistent. */
size_t mf_pool__k_random(mf_pool_t *p, size_t k, skip_fn skip, mf_time_t now, const void *arg,
			 struct mf_member_record **out);
bool mf_pool__skip_not_alive_peer(const mf_pool_t *p, const struct mf_member_record *m, mf_time_t now,
				  const void *arg);
void mf_pool__start_probe(mf_pool_t *p, mf_time_t now);
void mf_pool__probe_indirect(mf_pool_t *p, mf_time_t now);
void mf_pool__probe_verdict(mf_pool_t *p, mf_time_t now);
void mf_pool__probe_ack(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
			const struct mf_msg_ack *ack);
void mf_pool__reply_addr(const mf_pool_t *p, const struct mf_addr *from, struct mf_bytes ip,
			 uint16_t port, struct mf_bytes node, struct mf_addr *to);
/* The identity of the member named `node` when it is at `at`, else NULL:
 * who a reply or a relayed ping goes to, for mf_pool__send_buf's peer. */
const struct mf_member_ident *mf_pool__ident_at(const mf_pool_t *p, struct mf_bytes node,
						const struct mf_addr *at);
int mf_pool__handle_indirect_ping(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
				  const struct mf_msg_indirect_ping *ind);
bool mf_pool__relay_ack(mf_pool_t *p, uint32_t seq);
void mf_pool__relays_expire(mf_pool_t *p, mf_time_t now);

#endif

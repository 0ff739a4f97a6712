/*
 * gossip/pool.c — the SWIM + Lifeguard state machine of one gossip pool.
 *
 * What the protocol is
 * --------------------
 * SWIM (Das, Gupta, Motivala, DSN 2002) separates failure detection from
 * dissemination. Every protocol period a member pings one other member,
 * chosen round-robin over a list reshuffled each full pass (so every member
 * is probed within a bounded time). No ack within the probe timeout: it asks
 * k other members to ping the target on its behalf (indirect probes), which
 * tells a lossy path apart from a dead host. Still nothing by the end of the
 * period: the target is *suspected*, not declared dead; the suspicion is
 * gossiped, and the target, hearing it, refutes by gossiping `alive` with a
 * higher incarnation number. A suspicion nobody refutes within the suspicion
 * timeout becomes `dead`. Membership changes travel piggybacked on the probe
 * traffic and on periodic gossip packets, each message retransmitted
 * λ·log(n) times: infection-style dissemination.
 *
 * memberlist (HashiCorp, 0.2.2 — the implementation serf runs and we must
 * interoperate with) adds: a TCP fallback ping in parallel with the indirect
 * probes (a host whose UDP is broken but which is alive is not flapped);
 * periodic full-state push-pull over TCP (anti-entropy, also how a node
 * joins); a dead message sent by a node about itself meaning "left"; and the
 * Lifeguard extensions (Dadgar, Phillips, Currey, DSN 2018):
 *  - local health awareness: a member that misses nacks from its indirect
 *    helpers, fails probes or has to refute suspicions about itself is likely
 *    the slow one; it stretches its own probe interval (score+1 times) rather
 *    than accuse healthy peers (gossip/health.c);
 *  - dynamic suspicion: a suspicion starts long and shrinks with every
 *    independent confirmation (gossip/suspicion.c), so a real failure seen
 *    by many is declared fast while a lone, possibly confused, accuser waits;
 *  - buddy system: a probe of a suspect member carries the suspect message,
 *    so the member can refute at once;
 *  - nacks: an indirect helper tells the origin when the target did not
 *    answer it either, so the origin can tell "target down" from "I am slow".
 * serf adds on top: failed members are kept and periodically re-joined
 * (reconnect, which heals partitions) and forgotten after 24 h (reap).
 *
 * Where we depart, and why
 * ------------------------
 *  - One pure value, no threads: time comes in as `now`, I/O goes out as a
 *    queue of outputs. memberlist's blocking probeNode becomes a small
 *    per-probe state machine (sent -> indirect at probe_timeout -> verdict
 *    at the end of the health-scaled interval), its Go timers become
 *    deadlines that mf_pool_next_deadline() reports. Consequence: identical
 *    semantics, and a simulator can run hundreds of pools in one process.
 *  - Health scales both the probe interval (which is also the wait for
 *    indirect acks and the TCP fallback) and the direct probe timeout, as
 *    the Lifeguard paper's LHA-Probe does. memberlist 0.2.2 scales only the
 *    interval; but a member that is slow to process its own socket is
 *    exactly the one whose direct acks arrive late, and the longer wait
 *    keeps it from sending needless indirect probes while it is unhealthy.
 *  - One table for memberlist's nodes and serf's members. memberlist forgets
 *    a dead node gossip_to_the_dead after its death (at the next probe-list
 *    reshuffle); serf keeps it as failed. We keep the record, flag it
 *    `forgotten`, and from then on treat it exactly as memberlist treats an
 *    unknown node: not probed, not gossiped to, not pushed, and any alive
 *    message for it is a fresh join. That is what lets a partition heal
 *    through reconnect (the two sides' `alive` at equal incarnations would
 *    otherwise be ignored) and a restarted node rejoin with incarnation 1.
 *  - Address conflicts (an alive for a known, not-left name from another
 *    address) are counted and ignored as memberlist does, unless the alive
 *    carries a higher incarnation: then the node itself moved (new address
 *    after a restart) and we accept it instead of refusing it forever.
 *  - Reconnect follows serf: every reconnect_interval, with probability
 *    failed/alive, one random failed (not left) member gets a push-pull.
 *  - We never compress outgoing packets (peers decode compressed ones; the
 *    wire layer does). memberlist's verifyProtocol on push-pull is not done:
 *    every speaker here is protocol 2..5 as serf is.
 *  - force-leave only changes our own view (serf does it with its own
 *    leave intent, which is the layer above's business).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/codec.h"
#include "gossip/crypto.h"
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

/* One queued output and the bytes it owns. */
struct out_item {
	struct mf_pool_out out;
	void *owned;
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
	bool acked;
	bool tcp_ok;
	int expected_nacks, nacks;
};

struct mf_pool {
	struct mf_pool_config cfg;
	struct mf_rng rng;
	struct mf_health health;
	struct mf_members members;
	struct mf_intern own_strs;  /* names and metas, when cfg.intern is NULL */
	struct mf_mrec *self;
	size_t n_known;  /* records memberlist would still hold (not forgotten) */
	bool left;

	struct mf_bcast_queue bq;   /* membership messages */
	struct mf_bcast_queue uq;   /* user messages */
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

	struct out_item *outs;
	size_t n_outs, out_head, cap_outs;

	struct mf_wire_scratch scratch;
	msgpack_sbuffer enc;   /* one encoded message */
	msgpack_sbuffer enc2;
	uint8_t *bc_buf;       /* piggybacked broadcasts, udp_buffer_size */
	struct mf_pool_stats stats;
};

/* --- small helpers -------------------------------------------------------*/

static int count_bad(mf_pool_t *p, int err)
{
	if (err < 0 && -err < MF_ERR_COUNT_) {
		p->stats.bad_packets++;
		p->stats.bad_by_cause[-err]++;
	}
	return err;
}

static bool bytes_eq(struct mf_bytes b, const char *s, size_t len)
{
	return b.len == len && memcmp(b.p, s, len) == 0;
}

static bool is_self_name(const mf_pool_t *p, struct mf_bytes name)
{
	return bytes_eq(name, p->self->name, p->self->name_len);
}

static struct mf_bytes str_bytes(const char *s, size_t len)
{
	struct mf_bytes b = { (const uint8_t *)s, len };
	return b;
}

static void addr_from_bytes(struct mf_addr *a, struct mf_bytes ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (ip.len == 4 || ip.len == 16) {
		memcpy(a->ip, ip.p, ip.len);
		a->ip_len = (uint8_t)ip.len;
	}
	a->port = port;
}

static bool encryption_on(const mf_pool_t *p)
{
	return p->cfg.keyring != NULL && p->cfg.keyring->n > 0;
}

static mf_time_t tmin(mf_time_t a, mf_time_t b)
{
	return a < b ? a : b;
}

static bool dead_or_left(const struct mf_mrec *m)
{
	return m->state == MF_STATE_DEAD || m->state == MF_STATE_LEFT;
}

/* --- outputs -------------------------------------------------------------*/

static struct out_item *out_push(mf_pool_t *p, enum mf_out_kind kind)
{
	if (p->n_outs == p->cap_outs) {
		size_t cap = p->cap_outs ? p->cap_outs * 2 : 32;
		struct out_item *o = realloc(p->outs, cap * sizeof(*o));
		if (o == NULL)
			return NULL;
		p->outs = o;
		p->cap_outs = cap;
	}
	struct out_item *it = &p->outs[p->n_outs++];
	memset(it, 0, sizeof(*it));
	it->out.kind = kind;
	return it;
}

/* Frees the outputs once the shell has drained them all. */
static void out_reset_if_drained(mf_pool_t *p)
{
	if (p->out_head < p->n_outs)
		return;
	for (size_t i = 0; i < p->n_outs; i++)
		free(p->outs[i].owned);
	p->n_outs = 0;
	p->out_head = 0;
}

/* Hands the sealed bytes in `sb` to a new output. */
static int out_take(mf_pool_t *p, enum mf_out_kind kind, const struct mf_addr *to,
		    msgpack_sbuffer *sb, struct out_item **res)
{
	struct out_item *it = out_push(p, kind);
	if (it == NULL)
		return MF_ENOMEM;
	it->out.len = sb->size;
	it->owned = msgpack_sbuffer_release(sb);
	it->out.data = it->owned;
	if (to != NULL)
		it->out.to = *to;
	if (res != NULL)
		*res = it;
	return 0;
}

static void emit_event(mf_pool_t *p, enum mf_event_kind kind, const char *name, uint64_t join_id,
		       bool ok)
{
	if (name != NULL)
		p->members_version++; /* even if the event itself is lost */
	struct out_item *it = out_push(p, MF_OUT_EVENT);
	if (it == NULL)
		return;
	it->out.event.kind = kind;
	it->out.event.join_id = join_id;
	it->out.event.ok = ok;
	if (name != NULL) {
		it->owned = strdup(name);
		it->out.event.name = it->owned;
	}
}

/* Seals messages into one datagram for `to`. */
static int send_packet(mf_pool_t *p, const struct mf_addr *to, const struct mf_bytes *msgs,
		       size_t n, bool crc)
{
	struct mf_wire_send_opts o = { .crc = crc, .compress = false };
	msgpack_sbuffer sb;
	struct out_item *it;
	int rc;

	msgpack_sbuffer_init(&sb);
	rc = mf_wire_seal_packet(p->cfg.keyring, msgs, n, &o, &sb);
	if (rc == 0)
		rc = out_take(p, MF_OUT_UDP, to, &sb, &it);
	msgpack_sbuffer_destroy(&sb);
	if (rc == 0) {
		p->stats.udp_out++;
		p->stats.msgs_out += n;
		p->stats.bytes_out += it->out.len;
	}
	return rc;
}

/* memberlist getBroadcasts: membership first, then user messages. */
static size_t get_broadcasts(mf_pool_t *p, size_t limit, struct mf_bytes *out, size_t max)
{
	size_t n = 0, n2 = 0, used = 0;
	size_t cap = (size_t)p->cfg.timing.udp_buffer_size;

	if (limit > cap)
		limit = cap;
	mf_bcast_get(&p->bq, COMPOUND_OVERHEAD, limit, p->n_known, p->bc_buf, cap, out, max, &n);
	for (size_t i = 0; i < n; i++)
		used += out[i].len + COMPOUND_OVERHEAD;
	if (used < limit && limit - used > COMPOUND_OVERHEAD + 1 && n < max)
		mf_bcast_get(&p->uq, COMPOUND_OVERHEAD, limit - used, p->n_known, p->bc_buf + used,
			     cap - used, out + n, max - n, &n2);
	return n + n2;
}

/* memberlist sendMsg: one message plus whatever broadcasts fit. */
static int send_msg(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len)
{
	struct mf_bytes msgs[MF_WIRE_MAX_MSGS];
	long avail = (long)p->cfg.timing.udp_buffer_size - (long)len - COMPOUND_HEADER_OVERHEAD;
	size_t n = 0;

	if (encryption_on(p))
		avail -= MF_CRYPTO_OVERHEAD;
	msgs[0].p = msg;
	msgs[0].len = len;
	if (avail > 0)
		n = get_broadcasts(p, (size_t)avail, msgs + 1, MF_WIRE_MAX_MSGS - 2);
	/* No CRC: memberlist only knows the peer's version (and so only adds
	 * it) on gossip and buddy-system packets. */
	return send_packet(p, to, msgs, 1 + n, false);
}

static int open_stream(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len,
		       bool expect_reply, mf_time_t timeout, uint64_t *id)
{
	struct mf_wire_send_opts o = { .crc = false, .compress = false };
	msgpack_sbuffer sb;
	struct out_item *it;
	int rc;

	msgpack_sbuffer_init(&sb);
	rc = mf_wire_seal_stream(p->cfg.keyring, msg, len, &o, &sb);
	if (rc == 0)
		rc = out_take(p, MF_OUT_STREAM_OPEN, to, &sb, &it);
	msgpack_sbuffer_destroy(&sb);
	if (rc != 0)
		return rc;
	it->out.stream_id = ++p->stream_seq;
	it->out.expect_reply = expect_reply;
	it->out.timeout = timeout;
	p->stats.stream_out++;
	p->stats.bytes_out += it->out.len;
	if (id != NULL)
		*id = it->out.stream_id;
	return 0;
}

static int reply_stream(mf_pool_t *p, uint64_t stream_id, const uint8_t *msg, size_t len)
{
	struct mf_wire_send_opts o = { .crc = false, .compress = false };
	msgpack_sbuffer sb;
	struct out_item *it;
	int rc;

	msgpack_sbuffer_init(&sb);
	rc = mf_wire_seal_stream(p->cfg.keyring, msg, len, &o, &sb);
	if (rc == 0)
		rc = out_take(p, MF_OUT_STREAM_REPLY, NULL, &sb, &it);
	msgpack_sbuffer_destroy(&sb);
	if (rc == 0) {
		it->out.stream_id = stream_id;
		p->stats.bytes_out += it->out.len;
	}
	return rc;
}

static void close_stream(mf_pool_t *p, uint64_t stream_id)
{
	struct out_item *it = out_push(p, MF_OUT_STREAM_CLOSE);
	if (it != NULL)
		it->out.stream_id = stream_id;
}

static int add_pending(mf_pool_t *p, uint64_t id, enum stream_kind kind, uint32_t seq,
		       mf_time_t expires)
{
	if (p->n_streams == p->cap_streams) {
		size_t cap = p->cap_streams ? p->cap_streams * 2 : 8;
		struct pending_stream *s = realloc(p->streams, cap * sizeof(*s));
		if (s == NULL)
			return MF_ENOMEM;
		p->streams = s;
		p->cap_streams = cap;
	}
	struct pending_stream *s = &p->streams[p->n_streams++];
	s->id = id;
	s->kind = kind;
	s->seq = seq;
	s->expires = expires;
	return 0;
}

/* Removes pending stream `id` into *out; false when unknown. */
static bool take_pending(mf_pool_t *p, uint64_t id, struct pending_stream *out)
{
	for (size_t i = 0; i < p->n_streams; i++) {
		if (p->streams[i].id == id) {
			*out = p->streams[i];
			p->streams[i] = p->streams[--p->n_streams];
			return true;
		}
	}
	return false;
}

/* --- membership broadcasts -------------------------------------------------*/

static void queue_membership(mf_pool_t *p, const struct mf_mrec *about, msgpack_sbuffer *sb,
			     bool notify)
{
	mf_bcast_push(&p->bq, about->name, about->name_len, (const uint8_t *)sb->data, sb->size,
		      notify);
}

static void alive_msg_of(const struct mf_mrec *m, struct mf_msg_alive *a)
{
	memset(a, 0, sizeof(*a));
	a->incarnation = m->incarnation;
	a->node = str_bytes(m->name, m->name_len);
	a->addr.p = m->addr.ip;
	a->addr.len = m->addr.ip_len;
	a->port = m->addr.port;
	a->meta.p = m->meta;
	a->meta.len = m->meta_len;
	memcpy(a->vsn, m->vsn, MF_VSN_LEN);
	a->has_vsn = true;
}

static void broadcast_alive(mf_pool_t *p, const struct mf_mrec *m)
{
	struct mf_msg_alive a;
	alive_msg_of(m, &a);
	msgpack_sbuffer_clear(&p->enc);
	if (mf_codec_encode_alive(&p->enc, &a) == 0)
		queue_membership(p, m, &p->enc, false);
}

static void broadcast_suspect(mf_pool_t *p, const struct mf_mrec *m, uint32_t inc,
			      struct mf_bytes from)
{
	struct mf_msg_suspect s = { inc, str_bytes(m->name, m->name_len), from };
	msgpack_sbuffer_clear(&p->enc);
	if (mf_codec_encode_suspect(&p->enc, &s) == 0)
		queue_membership(p, m, &p->enc, false);
}

static void broadcast_dead(mf_pool_t *p, const struct mf_mrec *m, uint32_t inc,
			   struct mf_bytes from, bool notify)
{
	struct mf_msg_dead d = { inc, str_bytes(m->name, m->name_len), from };
	msgpack_sbuffer_clear(&p->enc);
	if (mf_codec_encode_dead(&p->enc, &d) == 0)
		queue_membership(p, m, &p->enc, notify);
}

/* --- suspicion bookkeeping -----------------------------------------------*/

static void clear_suspicion(mf_pool_t *p, struct mf_mrec *m)
{
	if (!m->suspecting)
		return;
	mf_suspicion_free(m->susp);
	m->suspecting = false;
	mf_suspects_remove(&p->suspects, m);
}

/* --- state transitions (memberlist state.go) -------------------------------*/

/*
 * Incarnations (issue 11). memberlist compares them as plain uint32: one
 * `dead` or `alive` at 4294967295 for a live node is accepted, the node's
 * refutation wraps to 0 and loses, and it stays failed (left records are
 * never dropped by memberlist 0.2.2, so even a restart at 1 loses). Here:
 *  - An update is newer when it is ahead of what we know by 1..
 *    MF_POOL_INC_WINDOW, counting modulo 2^32 (RFC 1982 serial numbers).
 *    Honest incarnations move by one per refutation or meta change, so no
 *    honest message jumps 65,536 at once; anything further ahead or behind
 *    is stale or forged and dropped (counted when more than the window away
 *    either side). So one message cannot push a member to the top, and a
 *    member that reaches it honestly (or through 65,536 accepted steps)
 *    wraps to 1 and is still newer: 1 - 4294967295 = 2 modulo 2^32.
 *  - Equal incarnations keep memberlist's meaning (suspect/dead at the
 *    current one are accusations; alive at it is an echo).
 *  - A name we do not hold (new or forgotten) is a fresh join at any
 *    incarnation but 0, as in memberlist.
 *  - Our refutation beats the accusation (accused + 1) and skips 0, which
 *    memberlist peers read as "never heard of". Accusations reach refute()
 *    only from within the window, so it never jumps further than a peer
 *    accepts.
 * Wire format unchanged. memberlist/serf peers still compare plainly: they
 * accept the forged top value and ignore a wrapped refutation (see
 * docs/security.md).
 */
static bool inc_newer(uint32_t inc, uint32_t known)
{
	uint32_t d = inc - known;
	return d != 0 && d <= MF_POOL_INC_WINDOW;
}

/* The current incarnation or a newer one. */
static bool inc_current(uint32_t inc, uint32_t known)
{
	return inc == known || inc_newer(inc, known);
}

/* Neither within the window ahead nor within it behind: forged. */
static bool inc_out_of_window(mf_pool_t *p, uint32_t inc, uint32_t known)
{
	uint32_t d = inc - known;
	if (d <= MF_POOL_INC_WINDOW || d >= 0u - MF_POOL_INC_WINDOW)
		return false;
	p->stats.inc_out_of_window++;
	return true;
}

/* memberlist refute: beat `accused`, lose a health point, gossip alive. */
static void refute(mf_pool_t *p, uint32_t accused)
{
	uint32_t inc = p->self->incarnation + 1;
	if (inc_current(accused, inc))
		inc = accused + 1;
	if (inc == 0)
		inc = 1;
	p->self->incarnation = inc;
	mf_health_apply(&p->health, 1);
	p->stats.refutations++;
	broadcast_alive(p, p->self);
}

static void forget(mf_pool_t *p, struct mf_mrec *m)
{
	if (!m->forgotten) {
		m->forgotten = true;
		p->n_known--;
	}
}

static void alive_node(mf_pool_t *p, mf_time_t now, const struct mf_msg_alive *a, bool bootstrap)
{
	struct mf_mrec *m;
	bool is_new = false, updates_node = false;
	uint32_t known;

	if (a->node.len == 0 || a->node.len > MF_NAME_MAX || a->meta.len > MF_META_MAX)
		return;
	if (p->left && is_self_name(p, a->node))
		return;
	if (a->has_vsn && (a->vsn[0] == 0 || a->vsn[1] == 0 || a->vsn[0] > a->vsn[1]))
		return;

	m = mf_members_find(&p->members, (const char *)a->node.p, a->node.len);
	if (m == NULL) {
		/* memberlist would keep an unknown node at incarnation 0 as a
		 * dead placeholder; it cannot pass the check below anyway. */
		if (a->incarnation == 0)
			return;
		/* A flood of fake names stops here: cost and memory per name are
		 * bounded by max_members, and the refusal is counted. */
		size_t max = p->cfg.timing.max_members > 0 ? (size_t)p->cfg.timing.max_members
							   : MF_POOL_MAX_MEMBERS;
		if (p->members.n >= max) {
			p->stats.members_refused++;
			return;
		}
		size_t pos = mf_rng_below(&p->rng, (uint32_t)p->members.n_probe + 1);
		if (mf_members_add(&p->members, (const char *)a->node.p, a->node.len, pos, &m) != 0)
			return;
		p->members_version++;
		m->state = MF_STATE_DEAD;
		m->state_change = now;
		addr_from_bytes(&m->addr, a->addr, a->port);
		p->n_known++;
		is_new = true;
	}
	known = m->forgotten ? 0 : m->incarnation;
	if (!is_new && !m->forgotten) {
		struct mf_addr na;
		addr_from_bytes(&na, a->addr, a->port);
		if (!mf_addr_equal(&na, &m->addr)) {
			if (m->state == MF_STATE_LEFT) {
				updates_node = true;
			} else if (m != p->self && inc_newer(a->incarnation, known)) {
				p->stats.addr_conflicts++; /* moved: accepted, see essay */
			} else {
				p->stats.addr_conflicts++;
				return;
			}
		}
	}

	bool is_local = m == p->self;
	bool fresh = is_new || m->forgotten;
	if (!fresh && !is_local && !updates_node && !inc_newer(a->incarnation, known)) {
		(void)inc_out_of_window(p, a->incarnation, known);
		return;
	}
	if (is_local && !inc_current(a->incarnation, known)) {
		(void)inc_out_of_window(p, a->incarnation, known);
		return;
	}

	clear_suspicion(p, m);
	enum mf_node_state old_state = m->forgotten ? MF_STATE_DEAD : m->state;
	bool meta_changed = a->meta.len != m->meta_len ||
			    (m->meta_len > 0 && memcmp(a->meta.p, m->meta, m->meta_len) != 0);
	struct mf_addr na;
	addr_from_bytes(&na, a->addr, a->port);
	bool addr_changed = !mf_addr_equal(&na, &m->addr);

	if (!bootstrap && is_local) {
		/* Same incarnation, same meta and versions: an echo of ours. */
		if (a->incarnation == known && !meta_changed &&
		    (!a->has_vsn || memcmp(a->vsn, m->vsn, MF_VSN_LEN) == 0))
			return;
		refute(p, a->incarnation);
		return;
	}

	if (mf_members_set_meta(&p->members, m, a->meta.p, a->meta.len) != 0)
		return; /* out of memory: as if never heard, a later alive retries */
	msgpack_sbuffer_clear(&p->enc);
	if (mf_codec_encode_alive(&p->enc, a) == 0)
		queue_membership(p, m, &p->enc, false);
	if (a->has_vsn)
		memcpy(m->vsn, a->vsn, MF_VSN_LEN);
	m->incarnation = a->incarnation;
	m->addr = na;
	if (m->forgotten) {
		m->forgotten = false;
		p->n_known++;
	}
	if (m->state != MF_STATE_ALIVE) {
		m->state = MF_STATE_ALIVE;
		m->state_change = now;
	}
	if (old_state == MF_STATE_DEAD || old_state == MF_STATE_LEFT)
		emit_event(p, MF_EV_JOIN, m->name, 0, false);
	else if (meta_changed || addr_changed)
		emit_event(p, MF_EV_UPDATE, m->name, 0, false);
}

static void suspect_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
			 struct mf_bytes from)
{
	struct mf_mrec *m = mf_members_find(&p->members, (const char *)node.p, node.len);

	if (m == NULL || m->forgotten || !inc_current(inc, m->incarnation)) {
		if (m != NULL && !m->forgotten)
			(void)inc_out_of_window(p, inc, m->incarnation);
		return;
	}
	if (m->suspecting) {
		/* New confirmations are re-gossiped so they keep flowing. */
		bool fresh = mf_suspicion_confirm(m->susp, (const char *)from.p, from.len, now);
		mf_suspects_moved(&p->suspects, m); /* the deadline may have come closer */
		if (fresh)
			broadcast_suspect(p, m, inc, from);
		return;
	}
	if (m->state != MF_STATE_ALIVE)
		return;
	if (m == p->self) {
		refute(p, inc);
		return;
	}
	broadcast_suspect(p, m, inc, from);
	p->stats.suspicions++;
	m->incarnation = inc;
	m->state = MF_STATE_SUSPECT;
	m->state_change = now;

	/* memberlist: aim to hit the nominal timeout two probe intervals short
	 * of the multiplier; no confirmations expected in a tiny pool. */
	const struct mf_pool_timing *t = &p->cfg.timing;
	int k = t->suspicion_mult - 2;
	size_t n = p->n_known;
	if ((long)n - 2 < k)
		k = 0;
	int64_t min = mf_suspicion_min_timeout(t->suspicion_mult, n, t->probe_interval);
	int64_t max = (int64_t)t->suspicion_max_timeout_mult * min;
	if (mf_members_susp_alloc(m) == 0 &&
	    mf_suspicion_start(m->susp, (const char *)from.p, from.len, k, min, max, now) == 0) {
		if (mf_suspects_add(&p->suspects, m) == 0)
			m->suspecting = true;
		else
			mf_suspicion_free(m->susp); /* no timer: stays suspect until news */
	}
	emit_event(p, MF_EV_SUSPECT, m->name, 0, false);
}

static void dead_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
		      struct mf_bytes from)
{
	struct mf_mrec *m = mf_members_find(&p->members, (const char *)node.p, node.len);
	bool notify = false;

	if (m == NULL || m->forgotten || !inc_current(inc, m->incarnation)) {
		if (m != NULL && !m->forgotten)
			(void)inc_out_of_window(p, inc, m->incarnation);
		return;
	}
	clear_suspicion(p, m);
	if (dead_or_left(m))
		return;
	if (m == p->self) {
		if (!p->left) {
			refute(p, inc);
			return;
		}
		notify = true; /* our leave: mf_pool_leave_done waits for it */
	}
	broadcast_dead(p, m, inc, from, notify);
	m->incarnation = inc;
	m->state_change = now;
	if (bytes_eq(node, (const char *)from.p, from.len)) {
		m->state = MF_STATE_LEFT;
		p->stats.leaves++;
		emit_event(p, MF_EV_LEFT, m->name, 0, false);
	} else {
		m->state = MF_STATE_DEAD;
		p->stats.deaths++;
		emit_event(p, MF_EV_FAILED, m->name, 0, false);
	}
}

/* memberlist mergeState. */
static void merge_state(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp)
{
	struct mf_bytes me = str_bytes(p->self->name, p->self->name_len);

	for (size_t i = 0; i < pp->n_states; i++) {
		const struct mf_msg_push_node_state *r = &pp->states[i];
		switch (r->state) {
		case MF_STATE_ALIVE: {
			struct mf_msg_alive a = { 0 };
			a.incarnation = r->incarnation;
			a.node = r->name;
			a.addr = r->addr;
			a.port = r->port;
			a.meta = r->meta;
			memcpy(a.vsn, r->vsn, MF_VSN_LEN);
			a.has_vsn = r->has_vsn;
			alive_node(p, now, &a, false);
			break;
		}
		case MF_STATE_LEFT:
			dead_node(p, now, r->incarnation, r->name, r->name);
			break;
		case MF_STATE_DEAD: /* prefer suspecting to declaring dead at once */
		case MF_STATE_SUSPECT:
			suspect_node(p, now, r->incarnation, r->name, me);
			break;
		}
	}
}

/* --- push-pull -----------------------------------------------------------*/

/* Encodes [6][header][states][user state] into p->enc2. */
static int encode_local_state(mf_pool_t *p, bool join)
{
	struct mf_msg_push_node_state *st = calloc(p->members.n + 1, sizeof(*st));
	size_t n = 0, ulen = 0;
	uint8_t *ubuf = NULL;
	int rc;

	if (st == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_mrec *m = p->members.probe[i];
		if (m->forgotten)
			continue;
		st[n].name = str_bytes(m->name, m->name_len);
		st[n].addr.p = m->addr.ip;
		st[n].addr.len = m->addr.ip_len;
		st[n].port = m->addr.port;
		st[n].meta.p = m->meta;
		st[n].meta.len = m->meta_len;
		st[n].incarnation = m->incarnation;
		st[n].state = (uint8_t)m->state;
		memcpy(st[n].vsn, m->vsn, MF_VSN_LEN);
		st[n].has_vsn = true;
		n++;
	}
	for (size_t cap = MF_POOL_USER_STATE_FIRST; p->cfg.delegate.local_state != NULL;) {
		free(ubuf);
		if ((ubuf = malloc(cap)) == NULL)
			break;
		ulen = p->cfg.delegate.local_state(p->cfg.delegate.ctx, join, ubuf, cap);
		if (ulen <= cap)
			break;
		size_t want = ulen > MF_POOL_USER_STATE_MAX / 2 ? MF_POOL_USER_STATE_MAX : 2 * ulen;
		ulen = 0;
		if (cap >= want)
			break; /* the delegate counts and reports what it could not send */
		cap = want;
	}
	msgpack_sbuffer_clear(&p->enc2);
	rc = mf_codec_encode_push_pull(&p->enc2, join, st, n, ubuf, ulen);
	free(ubuf);
	free(st);
	return rc;
}

/* A large pool's state is hundreds of KB, sent once a push-pull interval
 * and copied out at once: not held between them (a simulator has N pools). */
static void enc2_trim(mf_pool_t *p)
{
	if (p->enc2.alloc > 65536) {
		msgpack_sbuffer_destroy(&p->enc2);
		msgpack_sbuffer_init(&p->enc2);
	}
}

static int push_pull_to(mf_pool_t *p, mf_time_t now, const struct mf_addr *to, bool join,
			enum stream_kind kind, uint64_t *id)
{
	uint64_t sid;
	int rc = encode_local_state(p, join);
	if (rc == 0)
		rc = open_stream(p, to, (const uint8_t *)p->enc2.data, p->enc2.size, true,
				 p->cfg.timing.tcp_timeout, &sid);
	enc2_trim(p);
	if (rc == 0)
		rc = add_pending(p, sid, kind, 0, now + p->cfg.timing.tcp_timeout + MF_SEC);
	if (rc == 0) {
		p->stats.push_pulls++;
		if (id != NULL)
			*id = sid;
	}
	return rc;
}

static void merge_remote(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp)
{
	merge_state(p, now, pp);
	if (pp->user_state.len > 0 && p->cfg.delegate.merge_remote_state != NULL)
		p->cfg.delegate.merge_remote_state(p->cfg.delegate.ctx, pp->user_state.p,
						   pp->user_state.len, pp->header.join);
}

/* --- probing (memberlist probe/probeNode) ----------------------------------*/

/* memberlist kRandomNodes over the whole table. `skip` filters. */
typedef bool (*skip_fn)(const mf_pool_t *p, const struct mf_mrec *m, mf_time_t now,
			const void *arg);

static size_t k_random(mf_pool_t *p, size_t k, skip_fn skip, mf_time_t now, const void *arg,
		       struct mf_mrec **out)
{
	size_t n = p->members.n, got = 0;
	for (size_t i = 0; i < 3 * n && got < k; i++) {
		struct mf_mrec *m = p->members.probe[mf_rng_below(&p->rng, (uint32_t)n)];
		if (skip(p, m, now, arg))
			continue;
		bool dup = false;
		for (size_t j = 0; j < got; j++)
			dup |= out[j] == m;
		if (!dup)
			out[got++] = m;
	}
	return got;
}

static bool skip_not_alive_peer(const mf_pool_t *p, const struct mf_mrec *m, mf_time_t now,
				const void *arg)
{
	const char *exclude = arg;
	return m == p->self || m->forgotten || m->state != MF_STATE_ALIVE ||
	       (exclude != NULL && strcmp(m->name, exclude) == 0);
}

static bool skip_gossip(const mf_pool_t *p, const struct mf_mrec *m, mf_time_t now,
			const void *arg)
{
	if (m == p->self || m->forgotten)
		return true;
	switch (m->state) {
	case MF_STATE_ALIVE:
	case MF_STATE_SUSPECT:
		return false;
	case MF_STATE_DEAD:
		return now - m->state_change > p->cfg.timing.gossip_to_the_dead;
	default:
		return true;
	}
}

/* memberlist resetNodes: forget long-dead nodes, reshuffle. */
static void reset_probe_list(mf_pool_t *p, mf_time_t now)
{
	struct mf_members *t = &p->members;
	for (size_t i = 0; i < t->n_probe; i++) {
		struct mf_mrec *m = t->probe[i];
		if (m->state == MF_STATE_DEAD && !m->forgotten &&
		    now - m->state_change > p->cfg.timing.gossip_to_the_dead)
			forget(p, m);
	}
	mf_members_shuffle(t, &p->rng);
}

static struct mf_mrec *next_probe_target(mf_pool_t *p, mf_time_t now)
{
	size_t checked = 0;
	while (checked < p->members.n_probe) {
		if (p->probe_index >= p->members.n_probe) {
			reset_probe_list(p, now);
			p->probe_index = 0;
			checked++;
			continue;
		}
		struct mf_mrec *m = p->members.probe[p->probe_index++];
		if (m == p->self || m->forgotten || dead_or_left(m)) {
			checked++;
			continue;
		}
		return m;
	}
	return NULL;
}

static int encode_ping(mf_pool_t *p, msgpack_sbuffer *sb, uint32_t seq, const char *node,
		       size_t node_len)
{
	struct mf_msg_ping ping = { 0 };
	ping.seq_no = seq;
	ping.node = str_bytes(node, node_len);
	ping.source_addr.p = p->self->addr.ip;
	ping.source_addr.len = p->self->addr.ip_len;
	ping.source_port = p->self->addr.port;
	ping.source_node = str_bytes(p->self->name, p->self->name_len);
	msgpack_sbuffer_clear(sb);
	return mf_codec_encode_ping(sb, &ping);
}

static void start_probe(mf_pool_t *p, mf_time_t now)
{
	struct mf_mrec *m = next_probe_target(p, now);
	struct probe *pr = &p->probe;

	if (m == NULL)
		return;
	memset(pr, 0, sizeof(*pr));
	pr->active = true;
	memcpy(pr->target, m->name, m->name_len + 1);
	pr->target_addr = m->addr;
	pr->target_inc = m->incarnation;
	pr->seq = ++p->seq_no;
	pr->sent = now;
	pr->timeout_at = now + mf_health_scale(&p->health, p->cfg.timing.probe_timeout);
	pr->end_at = now + mf_health_scale(&p->health, p->cfg.timing.probe_interval);
	p->stats.probes++;

	if (encode_ping(p, &p->enc, pr->seq, m->name, m->name_len) != 0) {
		pr->active = false;
		return;
	}
	if (m->state == MF_STATE_ALIVE) {
		send_msg(p, &m->addr, (const uint8_t *)p->enc.data, p->enc.size);
	} else {
		/* Lifeguard buddy system: tell the suspect, so it can refute. */
		struct mf_msg_suspect s = { m->incarnation, str_bytes(m->name, m->name_len),
					    str_bytes(p->self->name, p->self->name_len) };
		struct mf_bytes msgs[2];
		msgpack_sbuffer_clear(&p->enc2);
		if (mf_codec_encode_suspect(&p->enc2, &s) != 0)
			return;
		msgs[0].p = (const uint8_t *)p->enc.data;
		msgs[0].len = p->enc.size;
		msgs[1].p = (const uint8_t *)p->enc2.data;
		msgs[1].len = p->enc2.size;
		send_packet(p, &m->addr, msgs, 2, m->vsn[1] >= 5);
	}
}

static void probe_indirect(mf_pool_t *p, mf_time_t now)
{
	struct probe *pr = &p->probe;
	struct mf_mrec *peers[64];
	struct mf_mrec *target = mf_members_find(&p->members, pr->target, strlen(pr->target));
	size_t k = (size_t)p->cfg.timing.indirect_checks;

	pr->indirect_sent = true;
	if (k > 64)
		k = 64;
	k = k_random(p, k, skip_not_alive_peer, now, pr->target, peers);
	for (size_t i = 0; i < k; i++) {
		struct mf_msg_indirect_ping ind = { 0 };
		ind.seq_no = pr->seq;
		ind.target.p = pr->target_addr.ip;
		ind.target.len = pr->target_addr.ip_len;
		ind.port = pr->target_addr.port;
		ind.node = str_bytes(pr->target, strlen(pr->target));
		/* Only protocol >= 4 peers know to nack. */
		ind.nack = peers[i]->vsn[1] >= 4;
		if (ind.nack)
			pr->expected_nacks++;
		ind.source_addr.p = p->self->addr.ip;
		ind.source_addr.len = p->self->addr.ip_len;
		ind.source_port = p->self->addr.port;
		ind.source_node = str_bytes(p->self->name, p->self->name_len);
		msgpack_sbuffer_clear(&p->enc);
		if (mf_codec_encode_indirect_ping(&p->enc, &ind) == 0) {
			send_msg(p, &peers[i]->addr, (const uint8_t *)p->enc.data, p->enc.size);
			p->stats.indirect_probes++;
		}
	}
	/* TCP fallback to anyone speaking protocol >= 3, in parallel. */
	if (target != NULL && target->vsn[1] >= 3 && pr->end_at > now &&
	    encode_ping(p, &p->enc, pr->seq, pr->target, strlen(pr->target)) == 0) {
		uint64_t sid;
		if (open_stream(p, &pr->target_addr, (const uint8_t *)p->enc.data, p->enc.size, true,
				pr->end_at - now, &sid) == 0) {
			add_pending(p, sid, ST_PING, pr->seq, pr->end_at + MF_SEC);
			p->stats.tcp_fallback_probes++;
		}
	}
}

/* Records whether our probe of its target was answered directly. */
static void direct_outcome(mf_pool_t *p, bool direct)
{
	const char *t = p->probe.target;
	struct mf_mrec *m = mf_members_find(&p->members, t, strlen(t));
	if (m == NULL)
		return;
	if (direct)
		m->direct_misses = 0;
	else if (m->direct_misses < UINT8_MAX)
		m->direct_misses++;
}

static void probe_finish(mf_pool_t *p, mf_time_t now, int health_delta)
{
	p->probe.active = false;
	p->probe_ended_at = now;
	mf_health_apply(&p->health, health_delta);
}

/* The verdict at the end of the (health-scaled) probe interval. */
static void probe_verdict(mf_pool_t *p, mf_time_t now)
{
	struct probe *pr = &p->probe;
	int delta = 0;

	direct_outcome(p, pr->tcp_ok);
	if (pr->tcp_ok) { /* reachable only over TCP: network misconfigured */
		probe_finish(p, now, -1);
		return;
	}
	/* With nack-capable helpers, only missing nacks count against us: the
	 * helpers are assumed healthy, so their silence means we are slow. */
	if (pr->expected_nacks > 0) {
		if (pr->nacks < pr->expected_nacks) {
			delta += pr->expected_nacks - pr->nacks;
			p->stats.acks_missed_nack += (uint64_t)(pr->expected_nacks - pr->nacks);
		}
	} else {
		delta += 1;
	}
	p->stats.probe_failures++;
	probe_finish(p, now, delta);
	suspect_node(p, now, pr->target_inc, str_bytes(pr->target, strlen(pr->target)),
		     str_bytes(p->self->name, p->self->name_len));
}

static void probe_ack(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
		      const struct mf_msg_ack *ack)
{
	struct probe *pr = &p->probe;

	if (!pr->active || ack->seq_no != pr->seq)
		return;
	/* Relayed acks come from the helper, carry no payload and say nothing
	 * about our RTT to the target: only a direct ack feeds the delegate. */
	bool direct = from != NULL && mf_addr_equal(from, &pr->target_addr);
	if (direct && p->cfg.delegate.on_ack != NULL)
		p->cfg.delegate.on_ack(p->cfg.delegate.ctx, pr->target, ack->payload.p,
				       ack->payload.len, now - pr->sent);
	direct_outcome(p, direct || pr->tcp_ok);
	pr->acked = true;
	probe_finish(p, now, -1);
}

/* --- relays for indirect pings ------------------------------------------*/

static void relay_remove(mf_pool_t *p, size_t i)
{
	p->relays[i] = p->relays[--p->n_relays];
}

/*
 * Where the reply to a ping or an indirect-ping request goes (issue 11).
 * memberlist answers at the SourceAddr:SourcePort the message claims, so a
 * 15.9 KB packet of 255 pings sent 292 KB of acks to any address the sender
 * chose. Rule: the claimed address is used only when it is the packet's own
 * source or a pool member vouches for it (a member we hold, not forgotten,
 * other than us, is at that address; SourceNode, when given, is looked up
 * first). Otherwise the reply goes back where the packet came from.
 * memberlist and serf set SourceAddr to the sender's own advertised address
 * (an indirect helper puts its own, the origin is a member), so direct and
 * indirect probes with serf peers work unchanged. In a plaintext pool a
 * forged alive can still make a member out of any address (trust model,
 * docs/security.md); the reply is then one ack per ping, no amplification
 * by relaying.
 */
static bool vouched(const mf_pool_t *p, const struct mf_addr *a, struct mf_bytes node)
{
	const struct mf_mrec *m = NULL;
	if (node.len > 0)
		m = mf_members_find(&p->members, (const char *)node.p, node.len);
	if (m != NULL && m != p->self && !m->forgotten && mf_addr_equal(&m->addr, a))
		return true;
	for (size_t i = 0; i < p->members.n; i++) {
		m = p->members.probe[i];
		if (m != p->self && !m->forgotten && mf_addr_equal(&m->addr, a))
			return true;
	}
	return false;
}

static void reply_addr(const mf_pool_t *p, const struct mf_addr *from, struct mf_bytes ip,
		       uint16_t port, struct mf_bytes node, struct mf_addr *to)
{
	struct mf_addr claimed;
	*to = *from;
	if ((ip.len != 4 && ip.len != 16) || port == 0)
		return;
	addr_from_bytes(&claimed, ip, port);
	if (mf_addr_equal(&claimed, from) || vouched(p, &claimed, node))
		*to = claimed;
}

static void handle_indirect_ping(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
				 const struct mf_msg_indirect_ping *ind)
{
	struct mf_addr target, origin;
	struct relay *r;

	if (p->n_relays == p->cap_relays) {
		size_t cap = p->cap_relays ? p->cap_relays * 2 : 8;
		struct relay *rs = realloc(p->relays, cap * sizeof(*rs));
		if (rs == NULL)
			return;
		p->relays = rs;
		p->cap_relays = cap;
	}
	addr_from_bytes(&target, ind->target, ind->port ? ind->port : p->self->addr.port);
	reply_addr(p, from, ind->source_addr, ind->source_port, ind->source_node, &origin);
	r = &p->relays[p->n_relays++];
	r->local_seq = ++p->seq_no;
	r->origin_seq = ind->seq_no;
	r->origin = origin;
	r->want_nack = ind->nack;
	r->expires = now + p->cfg.timing.probe_timeout;
	if (ind->node.len <= MF_NAME_MAX &&
	    encode_ping(p, &p->enc2, r->local_seq, (const char *)ind->node.p, ind->node.len) == 0)
		send_msg(p, &target, (const uint8_t *)p->enc2.data, p->enc2.size);
}

static bool relay_ack(mf_pool_t *p, uint32_t seq)
{
	for (size_t i = 0; i < p->n_relays; i++) {
		if (p->relays[i].local_seq != seq)
			continue;
		struct mf_msg_ack fwd = { p->relays[i].origin_seq, { NULL, 0 } };
		struct mf_addr origin = p->relays[i].origin;
		relay_remove(p, i);
		msgpack_sbuffer_clear(&p->enc);
		if (mf_codec_encode_ack(&p->enc, &fwd) == 0)
			send_msg(p, &origin, (const uint8_t *)p->enc.data, p->enc.size);
		return true;
	}
	return false;
}

static void relays_expire(mf_pool_t *p, mf_time_t now)
{
	for (size_t i = 0; i < p->n_relays;) {
		struct relay *r = &p->relays[i];
		if (r->expires > now) {
			i++;
			continue;
		}
		if (r->want_nack) {
			struct mf_msg_nack nack = { r->origin_seq };
			struct mf_addr origin = r->origin;
			msgpack_sbuffer_clear(&p->enc);
			if (mf_codec_encode_nack(&p->enc, &nack) == 0) {
				send_msg(p, &origin, (const uint8_t *)p->enc.data, p->enc.size);
				p->stats.nacks_sent++;
			}
		}
		relay_remove(p, i);
	}
}

/* --- inbound messages ------------------------------------------------------*/

static int handle_ping(mf_pool_t *p, const struct mf_addr *from, const struct mf_msg_ping *ping)
{
	uint8_t payload[ACK_PAYLOAD_MAX];
	struct mf_msg_ack ack = { ping->seq_no, { NULL, 0 } };
	struct mf_addr to;

	if (ping->node.len > 0 && !is_self_name(p, ping->node))
		return count_bad(p, MF_ENAME);
	if (p->cfg.delegate.ack_payload != NULL) {
		size_t n = p->cfg.delegate.ack_payload(p->cfg.delegate.ctx, payload, sizeof(payload));
		if (n > 0 && n <= sizeof(payload)) {
			ack.payload.p = payload;
			ack.payload.len = n;
		}
	}
	reply_addr(p, from, ping->source_addr, ping->source_port, ping->source_node, &to);
	msgpack_sbuffer_clear(&p->enc);
	if (mf_codec_encode_ack(&p->enc, &ack) == 0)
		send_msg(p, &to, (const uint8_t *)p->enc.data, p->enc.size);
	return 0;
}

static int handle_msg(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
		      const struct mf_wire_msg *w)
{
	const uint8_t *b = w->body.p;
	size_t len = w->body.len;
	int rc;

	p->stats.msgs_in++;
	switch (w->type) {
	case MF_MSG_PING: {
		struct mf_msg_ping m;
		if ((rc = mf_codec_decode_ping(b, len, &m)) != 0)
			return count_bad(p, rc);
		return handle_ping(p, from, &m);
	}
	case MF_MSG_INDIRECT_PING: {
		struct mf_msg_indirect_ping m;
		if ((rc = mf_codec_decode_indirect_ping(b, len, &m)) != 0)
			return count_bad(p, rc);
		handle_indirect_ping(p, now, from, &m);
		return 0;
	}
	case MF_MSG_ACK: {
		struct mf_msg_ack m;
		if ((rc = mf_codec_decode_ack(b, len, &m)) != 0)
			return count_bad(p, rc);
		if (!relay_ack(p, m.seq_no))
			probe_ack(p, now, from, &m);
		return 0;
	}
	case MF_MSG_NACK: {
		struct mf_msg_nack m;
		if ((rc = mf_codec_decode_nack(b, len, &m)) != 0)
			return count_bad(p, rc);
		p->stats.nacks_received++;
		if (p->probe.active && m.seq_no == p->probe.seq)
			p->probe.nacks++;
		return 0;
	}
	case MF_MSG_SUSPECT: {
		struct mf_msg_suspect m;
		if ((rc = mf_codec_decode_suspect(b, len, &m)) != 0)
			return count_bad(p, rc);
		suspect_node(p, now, m.incarnation, m.node, m.from);
		return 0;
	}
	case MF_MSG_ALIVE: {
		struct mf_msg_alive m;
		if ((rc = mf_codec_decode_alive(b, len, &m)) != 0)
			return count_bad(p, rc);
		if (m.port == 0)
			m.port = p->self->addr.port;
		alive_node(p, now, &m, false);
		return 0;
	}
	case MF_MSG_DEAD: {
		struct mf_msg_dead m;
		if ((rc = mf_codec_decode_dead(b, len, &m)) != 0)
			return count_bad(p, rc);
		dead_node(p, now, m.incarnation, m.node, m.from);
		return 0;
	}
	case MF_MSG_USER:
		if (p->cfg.delegate.on_user_msg != NULL)
			p->cfg.delegate.on_user_msg(p->cfg.delegate.ctx, b, len);
		return 0;
	case MF_MSG_ERR:
		return 0;
	default:
		return count_bad(p, MF_EUNKNOWN);
	}
}

/* --- lifecycle -------------------------------------------------------------*/

int mf_pool_new(const struct mf_pool_config *cfg, mf_time_t now, mf_pool_t **out)
{
	mf_pool_t *p;
	size_t name_len;
	int rc;

	if (cfg == NULL || out == NULL)
		return MF_EINVAL;
	name_len = strnlen(cfg->name, sizeof(cfg->name));
	if (name_len == 0 || name_len > MF_NAME_MAX || cfg->meta_len > MF_META_MAX ||
	    cfg->timing.probe_interval <= 0 || cfg->timing.gossip_interval <= 0 ||
	    cfg->timing.udp_buffer_size <= 64 || cfg->timing.udp_buffer_size > UDP_MAX)
		return MF_EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return MF_ENOMEM;
	p->cfg = *cfg;
	p->cfg.name[name_len] = '\0';
	mf_rng_seed(&p->rng, cfg->seed);
	mf_health_init(&p->health, cfg->timing.awareness_max_multiplier);
	mf_intern_init(&p->own_strs);
	mf_members_init(&p->members, cfg->intern ? cfg->intern : &p->own_strs);
	mf_bcast_init(&p->bq, cfg->timing.retransmit_mult);
	mf_bcast_init(&p->uq, cfg->timing.retransmit_mult);
	(void)mf_bcast_share(&p->bq, p->members.strs); /* empty: cannot fail */
	(void)mf_bcast_share(&p->uq, p->members.strs);
	mf_wire_scratch_init(&p->scratch);
	msgpack_sbuffer_init(&p->enc);
	msgpack_sbuffer_init(&p->enc2);
	p->bc_buf = malloc((size_t)cfg->timing.udp_buffer_size);
	if (p->bc_buf == NULL) {
		mf_pool_free(p);
		return MF_ENOMEM;
	}
	if ((rc = mf_members_add(&p->members, p->cfg.name, name_len, 0, &p->self)) != 0) {
		mf_pool_free(p);
		return rc;
	}
	p->n_known = 1;
	/* memberlist setAlive: incarnation starts at nextIncarnation() = 1, and
	 * our own alive is queued for when there is someone to tell. */
	struct mf_msg_alive a = { 0 };
	a.incarnation = 1;
	a.node = str_bytes(p->cfg.name, name_len);
	a.addr.p = cfg->advertise.ip;
	a.addr.len = cfg->advertise.ip_len;
	a.port = cfg->advertise.port;
	a.meta.p = cfg->meta;
	a.meta.len = cfg->meta_len;
	memcpy(a.vsn, cfg->vsn, MF_VSN_LEN);
	a.has_vsn = true;
	memcpy(p->self->vsn, cfg->vsn, MF_VSN_LEN);
	p->self->addr = cfg->advertise;
	alive_node(p, now, &a, true);
	/* Our own JOIN is not news to the layer above. */
	out_reset_if_drained(p);
	p->out_head = p->n_outs;
	out_reset_if_drained(p);

	/* Random stagger so pools started together do not tick in lockstep. */
	const struct mf_pool_timing *t = &cfg->timing;
	p->probe_tick = now + (mf_time_t)(mf_rng_unit(&p->rng) * (double)t->probe_interval);
	p->gossip_tick = now + (mf_time_t)(mf_rng_unit(&p->rng) * (double)t->gossip_interval);
	p->push_pull_at = t->push_pull_interval > 0
		? now + (mf_time_t)(mf_rng_unit(&p->rng) * (double)t->push_pull_interval)
		: INT64_MAX;
	p->reconnect_at = t->reconnect_interval > 0 ? now + t->reconnect_interval : INT64_MAX;
	p->reap_at = now + REAP_INTERVAL;
	*out = p;
	return 0;
}

void mf_pool_free(mf_pool_t *p)
{
	if (p == NULL)
		return;
	p->out_head = p->n_outs;
	out_reset_if_drained(p);
	free(p->outs);
	mf_members_free(&p->members);
	mf_bcast_free(&p->bq);
	mf_bcast_free(&p->uq);
	mf_intern_free(&p->own_strs); /* after everything that holds its strings */
	mf_wire_scratch_destroy(&p->scratch);
	msgpack_sbuffer_destroy(&p->enc);
	msgpack_sbuffer_destroy(&p->enc2);
	free(p->bc_buf);
	free(p->relays);
	free(p->streams);
	mf_suspects_free(&p->suspects);
	free(p);
}

/* --- inputs ----------------------------------------------------------------*/

int mf_pool_udp_in(mf_pool_t *p, mf_time_t now, const struct mf_addr *from, const uint8_t *pkt,
		   size_t len)
{
	struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
	size_t n = 0;
	int rc, first = 0;

	out_reset_if_drained(p);
	p->stats.udp_in++;
	p->stats.bytes_in += len;
	rc = mf_wire_open_packet(p->cfg.keyring, pkt, len, &p->scratch, msgs, &n);
	if (rc != 0) {
		count_bad(p, rc);
		if (n == 0 || rc != MF_ETRUNC)
			return rc;
		first = rc; /* a truncated compound: keep the complete parts */
	}
	for (size_t i = 0; i < n; i++) {
		rc = handle_msg(p, now, from, &msgs[i]);
		if (rc != 0 && first == 0)
			first = rc;
	}
	return first;
}

int mf_pool_stream_in(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const struct mf_addr *from,
		      const uint8_t *frame, size_t len)
{
	struct mf_wire_msg w;
	int rc;

	out_reset_if_drained(p);
	p->stats.stream_in++;
	p->stats.bytes_in += len;
	rc = mf_wire_open_stream(p->cfg.keyring, frame, len, &p->scratch, &w);
	if (rc != 0) {
		close_stream(p, stream_id);
		return count_bad(p, rc);
	}
	p->stats.msgs_in++;
	switch (w.type) {
	case MF_MSG_PING: {
		struct mf_msg_ping ping;
		rc = mf_codec_decode_ping(w.body.p, w.body.len, &ping);
		if (rc == 0 && ping.node.len > 0 && !is_self_name(p, ping.node))
			rc = MF_ENAME;
		if (rc != 0) {
			close_stream(p, stream_id);
			return count_bad(p, rc);
		}
		struct mf_msg_ack ack = { ping.seq_no, { NULL, 0 } };
		msgpack_sbuffer_clear(&p->enc);
		if ((rc = mf_codec_encode_ack(&p->enc, &ack)) == 0)
			rc = reply_stream(p, stream_id, (const uint8_t *)p->enc.data, p->enc.size);
		return rc;
	}
	case MF_MSG_PUSH_PULL: {
		struct mf_push_pull pp;
		if ((rc = mf_codec_decode_push_pull(w.body.p, w.body.len, &pp)) != 0) {
			close_stream(p, stream_id);
			return count_bad(p, rc);
		}
		/* memberlist answers with its state before merging the peer's. */
		rc = encode_local_state(p, pp.header.join);
		if (rc == 0)
			rc = reply_stream(p, stream_id, (const uint8_t *)p->enc2.data, p->enc2.size);
		else
			close_stream(p, stream_id);
		enc2_trim(p);
		merge_remote(p, now, &pp);
		mf_codec_push_pull_free(&pp);
		return rc;
	}
	case MF_MSG_USER: {
		struct mf_bytes msg;
		close_stream(p, stream_id);
		if ((rc = mf_codec_decode_user_stream(w.body.p, w.body.len, &msg)) != 0)
			return count_bad(p, rc);
		if (msg.len > 0 && p->cfg.delegate.on_user_msg != NULL)
			p->cfg.delegate.on_user_msg(p->cfg.delegate.ctx, msg.p, msg.len);
		return 0;
	}
	default:
		close_stream(p, stream_id);
		return count_bad(p, MF_EUNKNOWN);
	}
}

static void stream_done(mf_pool_t *p, const struct pending_stream *s, bool ok)
{
	if (s->kind == ST_JOIN)
		emit_event(p, MF_EV_JOIN_DONE, NULL, s->id, ok);
}

int mf_pool_stream_reply(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const uint8_t *frame,
			 size_t len)
{
	struct pending_stream s;
	struct mf_wire_msg w;
	int rc;

	out_reset_if_drained(p);
	if (!take_pending(p, stream_id, &s))
		return MF_ENOTFOUND;
	p->stats.bytes_in += len;
	rc = mf_wire_open_stream(p->cfg.keyring, frame, len, &p->scratch, &w);
	if (rc != 0) {
		stream_done(p, &s, false);
		return count_bad(p, rc);
	}
	p->stats.msgs_in++;
	if (s.kind == ST_PING) {
		struct mf_msg_ack ack;
		if (w.type != MF_MSG_ACK) {
			return count_bad(p, MF_EUNKNOWN);
		}
		if ((rc = mf_codec_decode_ack(w.body.p, w.body.len, &ack)) != 0)
			return count_bad(p, rc);
		if (p->probe.active && ack.seq_no == s.seq && ack.seq_no == p->probe.seq)
			p->probe.tcp_ok = true;
		return 0;
	}
	if (w.type != MF_MSG_PUSH_PULL) {
		stream_done(p, &s, false);
		return w.type == MF_MSG_ERR ? MF_EIO : count_bad(p, MF_EUNKNOWN);
	}
	struct mf_push_pull pp;
	if ((rc = mf_codec_decode_push_pull(w.body.p, w.body.len, &pp)) != 0) {
		stream_done(p, &s, false);
		return count_bad(p, rc);
	}
	merge_remote(p, now, &pp);
	mf_codec_push_pull_free(&pp);
	stream_done(p, &s, true);
	return 0;
}

void mf_pool_stream_failed(mf_pool_t *p, mf_time_t now, uint64_t stream_id)
{
	struct pending_stream s;

	out_reset_if_drained(p);
	if (take_pending(p, stream_id, &s))
		stream_done(p, &s, false);
}

/* --- timers ----------------------------------------------------------------*/

static void gossip(mf_pool_t *p, mf_time_t now)
{
	struct mf_mrec *targets[64];
	struct mf_bytes msgs[MF_WIRE_MAX_MSGS];
	size_t k = (size_t)p->cfg.timing.gossip_nodes;
	long avail = (long)p->cfg.timing.udp_buffer_size - COMPOUND_HEADER_OVERHEAD;

	if (k > 64)
		k = 64;
	if (encryption_on(p))
		avail -= MF_CRYPTO_OVERHEAD;
	if (mf_bcast_len(&p->bq) + mf_bcast_len(&p->uq) == 0 || avail <= 0)
		return;
	k = k_random(p, k, skip_gossip, now, NULL, targets);
	for (size_t i = 0; i < k; i++) {
		size_t n = get_broadcasts(p, (size_t)avail, msgs, MF_WIRE_MAX_MSGS - 1);
		if (n == 0)
			return;
		send_packet(p, &targets[i]->addr, msgs, n, targets[i]->vsn[1] >= 5);
	}
}

/* memberlist pushPullScale: slower past 32 members, log2-wise. */
static mf_time_t push_pull_interval(const mf_pool_t *p)
{
	mf_time_t iv = p->cfg.timing.push_pull_interval;
	size_t n = p->n_known;
	if (n <= PUSH_PULL_SCALE_THRESHOLD)
		return iv;
	double mult = ceil(log2((double)n) - log2((double)PUSH_PULL_SCALE_THRESHOLD)) + 1.0;
	return (mf_time_t)mult * iv;
}

static void periodic_push_pull(mf_pool_t *p, mf_time_t now)
{
	struct mf_mrec *peer;
	if (k_random(p, 1, skip_not_alive_peer, now, NULL, &peer) == 1)
		push_pull_to(p, now, &peer->addr, false, ST_PUSH_PULL, NULL);
}

/* serf reconnect: on average each failed member gets one attempt per
 * interval across the whole pool. */
static void reconnect(mf_pool_t *p, mf_time_t now)
{
	size_t failed = 0, left = 0;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_mrec *m = p->members.probe[i];
		failed += m->state == MF_STATE_DEAD;
		left += m->state == MF_STATE_LEFT;
	}
	if (failed == 0)
		return;
	double alive = (double)(p->members.n - failed - left);
	if (alive <= 0)
		alive = 1;
	if (mf_rng_unit(&p->rng) > (double)failed / alive)
		return;
	size_t pick = mf_rng_below(&p->rng, (uint32_t)failed);
	for (size_t i = 0; i < p->members.n; i++) {
		struct mf_mrec *m = p->members.probe[i];
		if (m->state != MF_STATE_DEAD || pick-- > 0)
			continue;
		p->stats.reconnect_attempts++;
		push_pull_to(p, now, &m->addr, true, ST_RECONNECT, NULL);
		return;
	}
}

/* serf reap: failed members after reconnect_timeout, left ones after
 * tombstone_timeout. */
static void reap(mf_pool_t *p, mf_time_t now)
{
	size_t n_doomed = 0;
	for (size_t i = 0; i < p->members.n; i++) {
		struct mf_mrec *m = p->members.probe[i];
		mf_time_t age = now - m->state_change;
		bool old = (m->state == MF_STATE_DEAD && age > p->cfg.timing.reconnect_timeout) ||
			   (m->state == MF_STATE_LEFT && age > p->cfg.timing.tombstone_timeout);
		if (m == p->self || !old)
			continue;
		emit_event(p, MF_EV_REAPED, m->name, 0, false);
		if (!m->forgotten)
			p->n_known--;
		clear_suspicion(p, m);
		m->doomed = true;
		n_doomed++;
	}
	/* One pass for all: a mass reap is O(n), not O(n) per member. */
	if (n_doomed > 0)
		p->probe_index = mf_members_sweep(&p->members, p->probe_index);
}

static void streams_expire(mf_pool_t *p, mf_time_t now)
{
	for (size_t i = 0; i < p->n_streams;) {
		if (p->streams[i].expires > now) {
			i++;
			continue;
		}
		struct pending_stream s = p->streams[i];
		p->streams[i] = p->streams[--p->n_streams];
		stream_done(p, &s, false);
	}
}

void mf_pool_tick(mf_pool_t *p, mf_time_t now)
{
	const struct mf_pool_timing *t = &p->cfg.timing;

	out_reset_if_drained(p);
	relays_expire(p, now);
	streams_expire(p, now);

	/* Suspicion timers: a suspect nobody refuted in time is dead. */
	struct mf_mrec *m;
	while ((m = mf_suspects_first(&p->suspects)) != NULL && m->susp->deadline <= now) {
		clear_suspicion(p, m);
		if (m->state == MF_STATE_SUSPECT)
			dead_node(p, now, m->incarnation, str_bytes(m->name, m->name_len),
				  str_bytes(p->self->name, p->self->name_len));
	}

	/* Probe state machine. */
	if (now >= p->probe_tick) {
		p->probe_pending = true;
		while (p->probe_tick <= now)
			p->probe_tick += t->probe_interval;
	}
	if (p->probe.active) {
		if (!p->probe.indirect_sent && now >= p->probe.timeout_at)
			probe_indirect(p, now);
		if (now >= p->probe.end_at)
			probe_verdict(p, now);
	}
	if (!p->probe.active && p->probe_pending) {
		p->probe_pending = false;
		start_probe(p, now);
	}

	if (now >= p->gossip_tick) {
		gossip(p, now);
		while (p->gossip_tick <= now)
			p->gossip_tick += t->gossip_interval;
	}
	if (now >= p->push_pull_at) {
		periodic_push_pull(p, now);
		p->push_pull_at = now + push_pull_interval(p);
	}
	if (now >= p->reconnect_at) {
		reconnect(p, now);
		p->reconnect_at = now + t->reconnect_interval;
	}
	if (now >= p->reap_at) {
		reap(p, now);
		p->reap_at = now + REAP_INTERVAL;
	}
}

mf_time_t mf_pool_next_deadline(const mf_pool_t *p)
{
	mf_time_t d = tmin(p->gossip_tick, tmin(p->push_pull_at, tmin(p->reconnect_at, p->reap_at)));

	if (p->probe.active)
		d = tmin(d, p->probe.indirect_sent ? p->probe.end_at : p->probe.timeout_at);
	else if (p->probe_pending)
		d = tmin(d, p->probe_ended_at);
	d = tmin(d, p->probe_tick);
	const struct mf_mrec *first = mf_suspects_first(&p->suspects);
	if (first != NULL)
		d = tmin(d, first->susp->deadline);
	for (size_t i = 0; i < p->n_relays; i++)
		d = tmin(d, p->relays[i].expires);
	return d;
}

int mf_pool_next_output(mf_pool_t *p, struct mf_pool_out *out)
{
	if (p->out_head >= p->n_outs)
		return 0;
	*out = p->outs[p->out_head++].out;
	return 1;
}

/* --- operations ------------------------------------------------------------*/

int mf_pool_join(mf_pool_t *p, mf_time_t now, const struct mf_addr *addr, uint64_t *join_id)
{
	uint64_t id = 0;
	int rc;

	out_reset_if_drained(p);
	if (addr == NULL)
		return MF_EINVAL;
	rc = push_pull_to(p, now, addr, true, ST_JOIN, &id);
	if (join_id != NULL)
		*join_id = id;
	return rc;
}

int mf_pool_leave(mf_pool_t *p, mf_time_t now)
{
	out_reset_if_drained(p);
	if (p->left)
		return MF_ESTATE;
	p->left = true;
	p->leave_started = true;
	p->leave_notify_base = p->bq.finished_notify;
	dead_node(p, now, p->self->incarnation, str_bytes(p->self->name, p->self->name_len),
		  str_bytes(p->self->name, p->self->name_len));
	return 0;
}

bool mf_pool_leave_done(const mf_pool_t *p)
{
	if (!p->leave_started)
		return false;
	if (p->bq.finished_notify > p->leave_notify_base)
		return true;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_mrec *m = p->members.probe[i];
		if (m != p->self && !m->forgotten &&
		    (m->state == MF_STATE_ALIVE || m->state == MF_STATE_SUSPECT))
			return false;
	}
	return true;
}

int mf_pool_force_leave(mf_pool_t *p, mf_time_t now, const char *name)
{
	struct mf_mrec *m;

	out_reset_if_drained(p);
	m = name ? mf_members_find(&p->members, name, strlen(name)) : NULL;
	if (m == NULL)
		return MF_ENOTFOUND;
	if (m->state != MF_STATE_DEAD)
		return m->state == MF_STATE_LEFT ? 0 : MF_ESTATE;
	m->state = MF_STATE_LEFT;
	m->state_change = now;
	p->stats.leaves++;
	emit_event(p, MF_EV_LEFT, m->name, 0, false);
	return 0;
}

int mf_pool_set_meta(mf_pool_t *p, mf_time_t now, const uint8_t *meta, size_t len)
{
	out_reset_if_drained(p);
	if (len > MF_META_MAX || (len > 0 && meta == NULL))
		return MF_EINVAL;
	int rc = mf_members_set_meta(&p->members, p->self, meta, len);
	if (rc != 0)
		return rc;
	if (len > 0)
		memcpy(p->cfg.meta, meta, len);
	p->cfg.meta_len = len;
	if (++p->self->incarnation == 0)
		p->self->incarnation = 1; /* see "Incarnations": 0 is skipped */
	broadcast_alive(p, p->self);
	emit_event(p, MF_EV_UPDATE, p->self->name, 0, false);
	return 0;
}

int mf_pool_broadcast_user(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len)
{
	int rc;

	if (msg == NULL && len > 0)
		return MF_EINVAL;
	if (len + 1 + COMPOUND_OVERHEAD + COMPOUND_HEADER_OVERHEAD > (size_t)p->cfg.timing.udp_buffer_size)
		return MF_ETOOBIG;
	msgpack_sbuffer_clear(&p->enc);
	if ((rc = mf_codec_encode_user(&p->enc, msg, len)) != 0)
		return rc;
	return mf_bcast_push(&p->uq, key, key ? strlen(key) : 0, (const uint8_t *)p->enc.data,
			     p->enc.size, false);
}

int mf_pool_send_user_stream(mf_pool_t *p, mf_time_t now, const char *node, const uint8_t *msg,
			     size_t len)
{
	struct mf_mrec *m;
	int rc;

	out_reset_if_drained(p);
	m = node ? mf_members_find(&p->members, node, strlen(node)) : NULL;
	if (m == NULL)
		return MF_ENOTFOUND;
	msgpack_sbuffer_clear(&p->enc);
	if ((rc = mf_codec_encode_user_stream(&p->enc, msg, len)) != 0)
		return rc;
	return open_stream(p, &m->addr, (const uint8_t *)p->enc.data, p->enc.size, false,
			   p->cfg.timing.tcp_timeout, NULL);
}

int mf_pool_send_user_to(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len)
{
	int rc;

	out_reset_if_drained(p);
	msgpack_sbuffer_clear(&p->enc);
	if ((rc = mf_codec_encode_user(&p->enc, msg, len)) != 0)
		return rc;
	struct mf_bytes m = {(const uint8_t *)p->enc.data, p->enc.size};
	return send_packet(p, to, &m, 1, false);
}

/* --- queries -----------------------------------------------------------------*/

size_t mf_pool_member_count(const mf_pool_t *p)
{
	return p->members.n;
}

size_t mf_pool_alive_count(const mf_pool_t *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_mrec *m = p->members.probe[i];
		n += m->state == MF_STATE_ALIVE || m->state == MF_STATE_SUSPECT;
	}
	return n;
}

static void fill_member(const struct mf_mrec *m, struct mf_member *out)
{
	static const enum mf_member_status map[] = {
		[MF_STATE_ALIVE] = MF_MEMBER_ALIVE,
		[MF_STATE_SUSPECT] = MF_MEMBER_SUSPECT,
		[MF_STATE_DEAD] = MF_MEMBER_FAILED,
		[MF_STATE_LEFT] = MF_MEMBER_LEFT,
	};
	out->name = m->name;
	out->addr = m->addr;
	out->meta = m->meta;
	out->meta_len = m->meta_len;
	out->incarnation = m->incarnation;
	out->status = map[m->state];
	out->status_since = m->state_change;
	out->direct_misses = m->direct_misses;
	memcpy(out->vsn, m->vsn, MF_VSN_LEN);
}

int mf_pool_member_at(const mf_pool_t *p, size_t i, struct mf_member *m)
{
	if (i >= p->members.n)
		return MF_ENOTFOUND;
	const struct mf_mrec *r = mf_members_at(&p->members, i);
	if (r == NULL)
		return MF_ENOMEM;
	fill_member(r, m);
	return 0;
}

uint64_t mf_pool_members_version(const mf_pool_t *p)
{
	return p->members_version;
}

int mf_pool_member_find(const mf_pool_t *p, const char *name, struct mf_member *m)
{
	const struct mf_mrec *r = name ? mf_members_find(&p->members, name, strlen(name)) : NULL;
	if (r == NULL)
		return MF_ENOTFOUND;
	fill_member(r, m);
	return 0;
}

const char *mf_pool_name(const mf_pool_t *p)
{
	return p->self->name;
}

void mf_pool_get_stats(const mf_pool_t *p, struct mf_pool_stats *s)
{
	*s = p->stats;
	s->health_score = p->health.score;
}

const struct mf_pool_config *mf_pool_config(const mf_pool_t *p)
{
	return &p->cfg;
}

/*
 * gossip/pool.c — the SWIM + Lifeguard state machine of one gossip pool:
 * inbound dispatch, lifecycle, inputs and timers of gossip/pool.h. The other
 * parts live beside it (gossip/pool_internal.h lists them).
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
#include <stdlib.h>
#include <string.h>

#include "gossip/pool_internal.h"

/* --- inbound messages ------------------------------------------------------*/

static int handle_ping(mf_pool_t *p, const struct mf_addr *from, const struct mf_msg_ping *ping)
{
	uint8_t payload[ACK_PAYLOAD_MAX];
	struct mf_msg_ack ack = { ping->seq_no, { NULL, 0 } };
	struct mf_addr to;
	int rc;

	if (ping->node.len > 0 && !is_self_name(p, ping->node))
		return count_bad(p, MF_ENAME);
	if (p->cfg.delegate.ack_payload != NULL) {
		size_t n = p->cfg.delegate.ack_payload(p->cfg.delegate.ctx, payload,
						       sizeof(payload));
		if (n > 0 && n <= sizeof(payload)) {
			ack.payload.p = payload;
			ack.payload.len = n;
		}
	}
	mf_pool__reply_addr(p, from, ping->source_addr, ping->source_port, ping->source_node, &to);
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_ack(&p->msg_buf, &ack)) == 0)
		rc = mf_pool__send_buf(p, &to, mf_pool__ident_at(p, ping->source_node, &to),
				       &p->msg_buf);
	return count_err(p, rc);
}

/* An alive message decoded ahead (udp_in's prefetch pass): rc is the
 * decoder's. */
struct alive_pre {
	struct mf_msg_alive m;
	uint64_t h; /* the node name's hash */
	int rc;
};

/* Third step of udp_in's prefetch pass: the identity of the record the
 * name's id points at (shared by the pools that know the member alike);
 * a repeated alive compares its address with it, its first touch. A
 * guessed id may be another name's: it is only a hint. */
static void prefetch_ident(const struct mf_members *t, uint64_t h)
{
	uint32_t nid = mf_name_ids_guess(&t->strs->ids, h);
	if (nid < t->n_by_id && t->by_id[nid] != 0)
		__builtin_prefetch(mf_members_rec(t, t->by_id[nid] - 1)->ident);
}

/* pre: w's decoded alive, or NULL to decode it here. */
static int handle_msg(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
		      const struct mf_wire_msg *w, const struct alive_pre *pre)
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
		return count_err(p, mf_pool__handle_indirect_ping(p, now, from, &m));
	}
	case MF_MSG_ACK: {
		struct mf_msg_ack m;
		if ((rc = mf_codec_decode_ack(b, len, &m)) != 0)
			return count_bad(p, rc);
		if (!mf_pool__relay_ack(p, m.seq_no))
			mf_pool__probe_ack(p, now, from, &m);
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
		return count_err(p, mf_pool__suspect_node(p, now, m.incarnation, m.node, m.from));
	}
	case MF_MSG_ALIVE: {
		struct mf_msg_alive m;
		if (pre != NULL) {
			m = pre->m;
			rc = pre->rc;
		} else {
			rc = mf_codec_decode_alive(b, len, &m);
		}
		if (rc != 0)
			return count_bad(p, rc);
		if (m.port == 0)
			m.port = p->self->ident->addr.port;
		return count_err(p, mf_pool__alive_node(p, now, &m, false));
	}
	case MF_MSG_DEAD: {
		struct mf_msg_dead m;
		if ((rc = mf_codec_decode_dead(b, len, &m)) != 0)
			return count_bad(p, rc);
		return count_err(p, mf_pool__dead_node(p, now, m.incarnation, m.node, m.from));
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
	    cfg->timing.udp_buffer_size <= 64 || cfg->timing.udp_buffer_size > UDP_MAX ||
	    memchr(cfg->private_role, '\0', sizeof(cfg->private_role)) == NULL)
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
	mf_bcast_init(&p->member_msgs, cfg->timing.retransmit_mult);
	mf_bcast_init(&p->user_msgs, cfg->timing.retransmit_mult);
	mf_bcast_init(&p->private_msgs, cfg->timing.retransmit_mult);
	(void)mf_bcast_share(&p->member_msgs, p->members.strs); /* empty: cannot fail */
	(void)mf_bcast_share(&p->user_msgs, p->members.strs);
	(void)mf_bcast_share(&p->private_msgs, p->members.strs);
	mf_wire_scratch_init(&p->scratch);
	msgpack_sbuffer_init(&p->msg_buf);
	msgpack_sbuffer_init(&p->extra_buf);
	p->bc_buf = malloc((size_t)cfg->timing.udp_buffer_size);
	if (p->bc_buf == NULL) {
		mf_pool_free(p);
		return MF_ENOMEM;
	}
	struct mf_ident_in self_in = { .addr = cfg->advertise, .meta = cfg->meta,
				       .meta_len = cfg->meta_len };
	memcpy(self_in.vsn, cfg->vsn, MF_VSN_LEN);
	if ((rc = mf_members_add(&p->members, p->cfg.name, name_len, &self_in, 0, &p->self)) != 0) {
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
	if ((rc = mf_pool__alive_node(p, now, &a, true)) != 0) {
		mf_pool_free(p);
		return rc;
	}
	/* Our own JOIN is not news to the layer above. */
	mf_pool__out_reset_if_drained(p);
	p->out_head = p->n_outs;
	mf_pool__out_reset_if_drained(p);

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
	mf_pool__out_reset_if_drained(p);
	free(p->outs);
	mf_members_free(&p->members);
	mf_bcast_free(&p->member_msgs);
	mf_bcast_free(&p->user_msgs);
	mf_bcast_free(&p->private_msgs);
	mf_intern_free(&p->own_strs); /* after everything that holds its strings */
	mf_wire_scratch_destroy(&p->scratch);
	msgpack_sbuffer_destroy(&p->msg_buf);
	msgpack_sbuffer_destroy(&p->extra_buf);
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

	mf_pool__out_reset_if_drained(p);
	p->stats.udp_in++;
	p->stats.bytes_in += len;
	rc = mf_wire_open_packet(p->cfg.keyring, pkt, len, &p->scratch, msgs, &n);
	if (rc != 0) {
		count_bad(p, rc);
		if (n == 0 || rc != MF_ETRUNC)
			return rc;
		first = rc; /* a truncated compound: keep the complete parts */
	}
	/* A compound's alive messages (a join storm's gossip: up to ~20 a
	 * packet) are decoded first and their members' index slots, then
	 * records, fetched ahead: each lookup is a cache miss or two in a
	 * table as large as the pool, and this way they overlap. The
	 * messages are then handled in order, as before. */
	struct alive_pre pre[MF_WIRE_MAX_MSGS];
	size_t n_alive = 0;
	for (size_t i = 0; n > 1 && i < n; i++) {
		if (msgs[i].type != MF_MSG_ALIVE)
			continue;
		struct alive_pre *a = &pre[i];
		a->rc = mf_codec_decode_alive(msgs[i].body.p, msgs[i].body.len, &a->m);
		if (a->rc == 0) {
			a->h = mf_name_hash((const char *)a->m.node.p, a->m.node.len);
			mf_members_prefetch_slot(&p->members, a->h);
		}
		n_alive++;
	}
	for (size_t i = 0; n_alive > 1 && i < n; i++)
		if (msgs[i].type == MF_MSG_ALIVE && pre[i].rc == 0)
			mf_members_prefetch_rec(&p->members, pre[i].h);
	for (size_t i = 0; n_alive > 1 && i < n; i++)
		if (msgs[i].type == MF_MSG_ALIVE && pre[i].rc == 0)
			prefetch_ident(&p->members, pre[i].h);
	for (size_t i = 0; i < n; i++) {
		bool decoded = n > 1 && msgs[i].type == MF_MSG_ALIVE;
		rc = handle_msg(p, now, from, &msgs[i], decoded ? &pre[i] : NULL);
		if (rc != 0 && first == 0)
			first = rc;
	}
	return first;
}

/* Replies on an inbound stream with what `sb` holds when rc is 0; closes
 * it otherwise (or when the reply cannot be queued), so the shell never
 * waits for an answer that will not come. */
static int answer_stream(mf_pool_t *p, uint64_t stream_id, int rc, const msgpack_sbuffer *sb)
{
	if (rc == 0)
		rc = mf_pool__reply_stream(p, stream_id, (const uint8_t *)sb->data, sb->size);
	if (rc != 0)
		count_err(p, mf_pool__close_stream(p, stream_id));
	return count_err(p, rc);
}

static int stream_in(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const struct mf_addr *from,
		     const uint8_t *frame, size_t len)
{
	struct mf_wire_msg w;
	int rc;

	mf_pool__out_reset_if_drained(p);
	p->stats.stream_in++;
	p->stats.bytes_in += len;
	rc = mf_wire_open_stream(p->cfg.keyring, frame, len, &p->scratch, &w);
	if (rc != 0) {
		count_err(p, mf_pool__close_stream(p, stream_id));
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
			count_err(p, mf_pool__close_stream(p, stream_id));
			return count_bad(p, rc);
		}
		struct mf_msg_ack ack = { ping.seq_no, { NULL, 0 } };
		msgpack_sbuffer_clear(&p->msg_buf);
		rc = mf_codec_encode_ack(&p->msg_buf, &ack);
		return answer_stream(p, stream_id, rc, &p->msg_buf);
	}
	case MF_MSG_PUSH_PULL: {
		struct mf_push_pull pp;
		if ((rc = mf_codec_decode_push_pull(w.body.p, w.body.len, &pp)) != 0) {
			count_err(p, mf_pool__close_stream(p, stream_id));
			return count_bad(p, rc);
		}
		/* memberlist answers with its state before merging the peer's. */
		rc = mf_pool__encode_local_state(p, pp.header.join);
		rc = answer_stream(p, stream_id, rc, &p->extra_buf);
		mf_pool__extra_buf_trim(p);
		int merged = count_err(p, mf_pool__merge_remote(p, now, &pp));
		mf_codec_push_pull_free(&pp);
		return rc != 0 ? rc : merged;
	}
	case MF_MSG_USER: {
		struct mf_bytes msg;
		count_err(p, mf_pool__close_stream(p, stream_id));
		if ((rc = mf_codec_decode_user_stream(w.body.p, w.body.len, &msg)) != 0)
			return count_bad(p, rc);
		if (msg.len > 0 && p->cfg.delegate.on_user_msg != NULL)
			p->cfg.delegate.on_user_msg(p->cfg.delegate.ctx, msg.p, msg.len);
		return 0;
	}
	default:
		count_err(p, mf_pool__close_stream(p, stream_id));
		return count_bad(p, MF_EUNKNOWN);
	}
}

/* A stream we opened is over: a join reports how. */
static void stream_done(mf_pool_t *p, mf_time_t now, const struct pending_stream *s, bool ok)
{
	if (s->kind != ST_JOIN)
		return;
	if (s->answered)
		ok = s->ok;
	if (count_err(p, mf_pool__emit_event(p, MF_EV_JOIN_DONE, NULL, s->id, ok)) == 0)
		return;
	/* A waiting join must hear, so the event is owed and retried at the
	 * next tick. `s` was just taken from p->streams: its slot is still
	 * allocated and add_pending cannot fail. */
	if (mf_pool__add_pending(p, s->id, ST_JOIN, 0, now + 1) == 0) {
		p->streams[p->n_streams - 1].answered = true;
		p->streams[p->n_streams - 1].ok = ok;
	}
}

static int stream_reply(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const uint8_t *frame,
			size_t len)
{
	struct pending_stream s;
	struct mf_wire_msg w;
	int rc;

	mf_pool__out_reset_if_drained(p);
	if (!mf_pool__take_pending(p, stream_id, &s))
		return MF_ENOTFOUND;
	p->stats.bytes_in += len;
	rc = mf_wire_open_stream(p->cfg.keyring, frame, len, &p->scratch, &w);
	if (rc != 0) {
		stream_done(p, now, &s, false);
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
		stream_done(p, now, &s, false);
		return w.type == MF_MSG_ERR ? MF_EIO : count_bad(p, MF_EUNKNOWN);
	}
	struct mf_push_pull pp;
	if ((rc = mf_codec_decode_push_pull(w.body.p, w.body.len, &pp)) != 0) {
		stream_done(p, now, &s, false);
		return count_bad(p, rc);
	}
	rc = count_err(p, mf_pool__merge_remote(p, now, &pp));
	mf_codec_push_pull_free(&pp);
	stream_done(p, now, &s, true);
	return rc;
}

/* Streams are push-pulls (whole states) and rare: their scratch is freed
 * after each, while a datagram's (under 64 KB) stays for the next. */
int mf_pool_stream_in(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const struct mf_addr *from,
		      const uint8_t *frame, size_t len)
{
	int rc = stream_in(p, now, stream_id, from, frame, len);
	mf_wire_scratch_trim(&p->scratch, MF_POOL_SCRATCH_KEEP);
	return rc;
}

int mf_pool_stream_reply(mf_pool_t *p, mf_time_t now, uint64_t stream_id, const uint8_t *frame,
			 size_t len)
{
	int rc = stream_reply(p, now, stream_id, frame, len);
	mf_wire_scratch_trim(&p->scratch, MF_POOL_SCRATCH_KEEP);
	return rc;
}

void mf_pool_stream_failed(mf_pool_t *p, mf_time_t now, uint64_t stream_id)
{
	struct pending_stream s;

	mf_pool__out_reset_if_drained(p);
	if (mf_pool__take_pending(p, stream_id, &s))
		stream_done(p, now, &s, false);
}

/* --- timers ----------------------------------------------------------------*/

static bool skip_gossip(const mf_pool_t *p, const struct mf_member_record *m, mf_time_t now,
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

static void gossip(mf_pool_t *p, mf_time_t now)
{
	struct mf_member_record *targets[64];
	struct mf_bytes msgs[MF_WIRE_MAX_MSGS];
	size_t k = (size_t)p->cfg.timing.gossip_nodes;
	long avail = (long)p->cfg.timing.udp_buffer_size - COMPOUND_HEADER_OVERHEAD;

	if (k > 64)
		k = 64;
	if (encryption_on(p))
		avail -= MF_CRYPTO_OVERHEAD;
	if (mf_pool__bcast_total(p) == 0 || avail <= 0)
		return;
	k = mf_pool__k_random(p, k, skip_gossip, now, NULL, targets);
	for (size_t i = 0; i < k; i++) {
		size_t n = mf_pool__get_broadcasts(p, (size_t)avail, targets[i]->ident, msgs,
						   MF_WIRE_MAX_MSGS - 1);
		if (n == 0)
			return;
		count_err(p, mf_pool__send_packet(p, &targets[i]->ident->addr, msgs, n,
						  targets[i]->ident->vsn[1] >= 5));
	}
}

/* serf reap: failed members after reconnect_timeout, left ones after
 * tombstone_timeout. */
static void reap(mf_pool_t *p, mf_time_t now)
{
	size_t n_doomed = 0;
	if (p->n_dead + p->n_left == 0)
		return; /* nothing to reap: no scan (the common case) */
	for (size_t i = 0; i < p->members.n; i++) {
		struct mf_member_record *m = mf_members_probe_at(&p->members, i);
		mf_time_t age = now - m->state_change;
		bool old = (m->state == MF_STATE_DEAD && age > p->cfg.timing.reconnect_timeout) ||
			   (m->state == MF_STATE_LEFT && age > p->cfg.timing.tombstone_timeout);
		if (m == p->self || !old)
			continue;
		count_err(p, mf_pool__emit_event(p, MF_EV_REAPED, m->ident, 0, false));
		if (!m->forgotten)
			p->n_known--;
		mf_pool__clear_suspicion(p, m);
		mf_pool__uncount(p, m);
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
		stream_done(p, now, &s, false);
	}
}

void mf_pool_tick(mf_pool_t *p, mf_time_t now)
{
	const struct mf_pool_timing *t = &p->cfg.timing;

	mf_pool__out_reset_if_drained(p);
	mf_pool__relays_expire(p, now);
	streams_expire(p, now);

	/* Suspicion timers: a suspect nobody refuted in time is dead. */
	struct mf_bytes me = str_bytes(p->self->ident->name, p->self->ident->name_len);
	struct mf_member_record *m;
	const struct mf_suspicion *first;
	while ((first = mf_suspects_first(&p->suspects)) != NULL && first->deadline <= now) {
		m = first->rec;
		mf_pool__clear_suspicion(p, m);
		if (m->state == MF_STATE_SUSPECT)
			count_err(p, mf_pool__dead_node(p, now, m->incarnation,
							str_bytes(m->ident->name, m->ident->name_len), me));
	}

	/* Probe state machine. */
	if (now >= p->probe_tick) {
		p->probe_pending = true;
		while (p->probe_tick <= now)
			p->probe_tick += t->probe_interval;
	}
	if (p->probe.active) {
		if (!p->probe.indirect_sent && now >= p->probe.timeout_at)
			mf_pool__probe_indirect(p, now);
		if (now >= p->probe.end_at)
			mf_pool__probe_verdict(p, now);
	}
	if (!p->probe.active && p->probe_pending) {
		p->probe_pending = false;
		mf_pool__start_probe(p, now);
	}

	if (now >= p->gossip_tick) {
		gossip(p, now);
		while (p->gossip_tick <= now)
			p->gossip_tick += t->gossip_interval;
	}
	if (now >= p->push_pull_at) {
		mf_pool__periodic_push_pull(p, now);
		p->push_pull_at = now + mf_pool__push_pull_interval(p);
	}
	if (now >= p->reconnect_at) {
		mf_pool__reconnect(p, now);
		p->reconnect_at = now + t->reconnect_interval;
	}
	if (now >= p->reap_at) {
		reap(p, now);
		p->reap_at = now + REAP_INTERVAL;
	}
}

/* Every deadline but the gossip tick's. */
static mf_time_t next_deadline_but_gossip(const mf_pool_t *p)
{
	mf_time_t d = tmin(p->push_pull_at, tmin(p->reconnect_at, p->reap_at));

	if (p->probe.active)
		d = tmin(d, p->probe.indirect_sent ? p->probe.end_at : p->probe.timeout_at);
	else if (p->probe_pending)
		d = tmin(d, p->probe_ended_at);
	d = tmin(d, p->probe_tick);
	const struct mf_suspicion *first = mf_suspects_first(&p->suspects);
	if (first != NULL)
		d = tmin(d, first->deadline);
	for (size_t i = 0; i < p->n_relays; i++)
		d = tmin(d, p->relays[i].expires);
	return d;
}

mf_time_t mf_pool_next_deadline(const mf_pool_t *p)
{
	return tmin(p->gossip_tick, next_deadline_but_gossip(p));
}

mf_time_t mf_pool_next_wake(const mf_pool_t *p, mf_time_t now)
{
	mf_time_t d = next_deadline_but_gossip(p);
	if (mf_pool__bcast_total(p) == 0)
		return d; /* gossip() would return at once */
	mf_time_t g = p->gossip_tick, iv = p->cfg.timing.gossip_interval;
	if (g < now && iv > 0) /* skipped while idle: the next tick of the grid */
		g += ((now - g + iv - 1) / iv) * iv;
	return tmin(d, g);
}

int mf_pool_next_output(mf_pool_t *p, struct mf_pool_out *out)
{
	if (p->out_head >= p->n_outs)
		return 0;
	*out = p->outs[p->out_head++].out;
	return 1;
}

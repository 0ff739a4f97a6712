/*
 * gossip/pool_probe.c — failure detection (memberlist probe/probeNode as a
 * state machine): choosing the next target, the direct ping (with the
 * buddy-system suspect for a suspect target), indirect pings and the TCP
 * fallback at the probe timeout, the verdict at the end of the
 * health-scaled interval, each stage judged only after one more I/O round
 * (defer_stage: a late stage is Lifeguard evidence against our own
 * health); and the other side: relaying indirect pings for
 * others, forwarding their acks, nacking them when the target stays silent,
 * and choosing where a reply may go.
 *
 * Contract: owns p->probe and p->relays; the verdict goes to pool_state.c
 * as a suspicion; health changes go to gossip/health.c. Never reads the
 * clock: pool.c's tick calls in with `now`.
 */
#include <string.h>

#include "gossip/pool_internal.h"

/* --- probing (memberlist probe/probeNode) ----------------------------------*/

size_t mf_pool__k_random(mf_pool_t *p, size_t k, skip_fn skip, mf_time_t now, const void *arg,
			 struct mf_member_record **out)
{
	size_t n = p->members.n, got = 0;
	for (size_t i = 0; i < 3 * n && got < k; i++) {
		struct mf_member_record *m = mf_members_probe_at(&p->members, mf_rng_below(&p->rng, (uint32_t)n));
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

bool mf_pool__skip_not_alive_peer(const mf_pool_t *p, const struct mf_member_record *m, mf_time_t now,
				  const void *arg)
{
	const char *exclude = arg;
	return m == p->self || m->forgotten || m->state != MF_STATE_ALIVE ||
	       (exclude != NULL && strcmp(m->ident->name, exclude) == 0);
}

/* memberlist resetNodes: forget long-dead nodes, reshuffle. */
static void reset_probe_list(mf_pool_t *p, mf_time_t now)
{
	struct mf_members *t = &p->members;
	for (size_t i = 0; i < t->n_probe; i++) {
		struct mf_member_record *m = mf_members_probe_at(t, i);
		if (m->state == MF_STATE_DEAD && !m->forgotten &&
		    now - m->state_change > p->cfg.timing.gossip_to_the_dead)
			mf_pool__forget(p, m);
	}
	mf_members_shuffle(t, &p->rng);
}

static struct mf_member_record *next_probe_target(mf_pool_t *p, mf_time_t now)
{
	size_t checked = 0;
	while (checked < p->members.n_probe) {
		if (p->probe_index >= p->members.n_probe) {
			reset_probe_list(p, now);
			p->probe_index = 0;
			checked++;
			continue;
		}
		struct mf_member_record *m = mf_members_probe_at(&p->members, p->probe_index++);
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
	ping.source_addr.p = p->self->ident->addr.ip;
	ping.source_addr.len = p->self->ident->addr.ip_len;
	ping.source_port = p->self->ident->addr.port;
	ping.source_node = str_bytes(p->self->ident->name, p->self->ident->name_len);
	msgpack_sbuffer_clear(sb);
	return mf_codec_encode_ping(sb, &ping);
}

void mf_pool__start_probe(mf_pool_t *p, mf_time_t now)
{
	struct mf_member_record *m = next_probe_target(p, now);
	struct probe *pr = &p->probe;
	int rc;

	if (m == NULL)
		return;
	memset(pr, 0, sizeof(*pr));
	pr->active = true;
	memcpy(pr->target, m->ident->name, m->ident->name_len + 1);
	pr->target_addr = m->ident->addr;
	pr->target_inc = m->incarnation;
	pr->seq = ++p->seq_no;
	pr->sent = now;
	pr->timeout_at = now + mf_health_scale(&p->health, p->cfg.timing.probe_timeout);
	pr->end_at = now + mf_health_scale(&p->health, p->cfg.timing.probe_interval);
	p->stats.probes++;

	if (count_err(p, encode_ping(p, &p->msg_buf, pr->seq, m->ident->name, m->ident->name_len)) != 0) {
		pr->active = false;
		return;
	}
	if (m->state == MF_STATE_ALIVE) {
		rc = mf_pool__send_buf(p, &m->ident->addr, m->ident, &p->msg_buf);
	} else {
		/* Lifeguard buddy system: tell the suspect, so it can refute. */
		struct mf_msg_suspect s = { m->incarnation, str_bytes(m->ident->name, m->ident->name_len),
					    str_bytes(p->self->ident->name, p->self->ident->name_len) };
		struct mf_bytes msgs[2];
		msgpack_sbuffer_clear(&p->extra_buf);
		if ((rc = mf_codec_encode_suspect(&p->extra_buf, &s)) == 0) {
			msgs[0].p = (const uint8_t *)p->msg_buf.data;
			msgs[0].len = p->msg_buf.size;
			msgs[1].p = (const uint8_t *)p->extra_buf.data;
			msgs[1].len = p->extra_buf.size;
			rc = mf_pool__send_packet(p, &m->ident->addr, msgs, 2, m->ident->vsn[1] >= 5);
		}
	}
	/* A ping we could not send must not end in a suspicion of its target. */
	if (count_err(p, rc) != 0)
		pr->active = false;
}

/*
 * Judge only after reading what arrived (issue 12). The first time a probe
 * stage's deadline is reached, the stage waits MF_POOL_PROBE_GRACE more:
 * libuv runs due timers before it polls the sockets, so an agent that was
 * not running at the deadline (starved of CPU: 1,000 agents on 2 cores, or
 * a long callback) would otherwise send indirect probes and suspect the
 * target with its ack unread in the socket buffer. A stage reached more
 * than a quarter of the probe timeout late is Lifeguard's evidence that we
 * are the slow one, like a missed nack: health +1 (once a probe), which
 * stretches our next probe intervals and timeouts; and when the indirect
 * stage is that late, the verdict moves by as much, so the helpers still
 * get their window. memberlist has the same race (its probe goroutine's
 * select sees the timer and an ack the packet goroutine has not yet
 * read) and no such signal. Returns true when the stage is deferred.
 */
static bool defer_stage(mf_pool_t *p, mf_time_t now, mf_time_t *deadline, bool *deferred)
{
	struct probe *pr = &p->probe;
	if (*deferred)
		return false;
	*deferred = true;
	mf_time_t late = now - *deadline;
	if (late > p->cfg.timing.probe_timeout / 4) {
		p->stats.late_probe_stages++;
		if (!pr->late) {
			pr->late = true;
			mf_health_apply(&p->health, 1);
		}
		if (deadline == &pr->timeout_at)
			pr->end_at += late;
	}
	*deadline = now + MF_POOL_PROBE_GRACE;
	return true;
}

void mf_pool__probe_indirect(mf_pool_t *p, mf_time_t now)
{
	struct probe *pr = &p->probe;
	struct mf_member_record *peers[64];
	size_t k = (size_t)p->cfg.timing.indirect_checks;
	int rc;

	if (defer_stage(p, now, &pr->timeout_at, &pr->indirect_deferred))
		return;
	struct mf_member_record *target = mf_members_find(&p->members, pr->target, strlen(pr->target));
	pr->indirect_sent = true;
	if (k > 64)
		k = 64;
	k = mf_pool__k_random(p, k, mf_pool__skip_not_alive_peer, now, pr->target, peers);
	for (size_t i = 0; i < k; i++) {
		struct mf_msg_indirect_ping ind = { 0 };
		ind.seq_no = pr->seq;
		ind.target.p = pr->target_addr.ip;
		ind.target.len = pr->target_addr.ip_len;
		ind.port = pr->target_addr.port;
		ind.node = str_bytes(pr->target, strlen(pr->target));
		/* Only protocol >= 4 peers know to nack. */
		ind.nack = peers[i]->ident->vsn[1] >= 4;
		ind.source_addr.p = p->self->ident->addr.ip;
		ind.source_addr.len = p->self->ident->addr.ip_len;
		ind.source_port = p->self->ident->addr.port;
		ind.source_node = str_bytes(p->self->ident->name, p->self->ident->name_len);
		msgpack_sbuffer_clear(&p->msg_buf);
		rc = mf_codec_encode_indirect_ping(&p->msg_buf, &ind);
		if (rc == 0)
			rc = mf_pool__send_buf(p, &peers[i]->ident->addr, peers[i]->ident, &p->msg_buf);
		if (count_err(p, rc) != 0)
			continue; /* a helper we never asked owes us no nack */
		if (ind.nack)
			pr->expected_nacks++;
		p->stats.indirect_probes++;
	}
	/* TCP fallback to anyone speaking protocol >= 3, in parallel. */
	if (target == NULL || target->ident->vsn[1] < 3 || pr->end_at <= now)
		return;
	uint64_t sid;
	rc = encode_ping(p, &p->msg_buf, pr->seq, pr->target, strlen(pr->target));
	if (rc == 0)
		rc = mf_pool__reserve_pending(p);
	if (rc == 0)
		rc = mf_pool__open_stream(p, &pr->target_addr, (const uint8_t *)p->msg_buf.data,
					  p->msg_buf.size, true, pr->end_at - now, &sid);
	if (rc == 0)
		rc = mf_pool__add_pending(p, sid, ST_PING, pr->seq, pr->end_at + MF_SEC);
	if (count_err(p, rc) == 0)
		p->stats.tcp_fallback_probes++;
}

/* Records whether our probe of its target was answered directly. */
static void direct_outcome(mf_pool_t *p, bool direct)
{
	const char *t = p->probe.target;
	struct mf_member_record *m = mf_members_find(&p->members, t, strlen(t));
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
void mf_pool__probe_verdict(mf_pool_t *p, mf_time_t now)
{
	struct probe *pr = &p->probe;
	int delta = 0;

	if (!pr->tcp_ok && defer_stage(p, now, &pr->end_at, &pr->verdict_deferred))
		return;
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
	/* Without memory to arm its timer the target stays alive: the next
	 * failed probe of it suspects it again. */
	count_err(p, mf_pool__suspect_node(p, now, pr->target_inc,
					   str_bytes(pr->target, strlen(pr->target)),
					   str_bytes(p->self->ident->name, p->self->ident->name_len)));
}

void mf_pool__probe_ack(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
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
	const struct mf_member_record *m = NULL;
	if (node.len > 0)
		m = mf_members_find(&p->members, (const char *)node.p, node.len);
	if (m != NULL && m != p->self && !m->forgotten && mf_addr_equal(&m->ident->addr, a))
		return true;
	for (size_t i = 0; i < p->members.n; i++) {
		m = mf_members_probe_at(&p->members, i);
		if (m != p->self && !m->forgotten && mf_addr_equal(&m->ident->addr, a))
			return true;
	}
	return false;
}

const struct mf_member_ident *mf_pool__ident_at(const mf_pool_t *p, struct mf_bytes node,
						const struct mf_addr *at)
{
	const struct mf_member_record *m = NULL;
	if (node.len > 0)
		m = mf_members_find(&p->members, (const char *)node.p, node.len);
	if (m == NULL || m->forgotten || !mf_addr_equal(&m->ident->addr, at))
		return NULL;
	return m->ident;
}

void mf_pool__reply_addr(const mf_pool_t *p, const struct mf_addr *from, struct mf_bytes ip,
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

int mf_pool__handle_indirect_ping(mf_pool_t *p, mf_time_t now, const struct mf_addr *from,
				  const struct mf_msg_indirect_ping *ind)
{
	struct mf_addr target, origin;
	struct relay *r;
	int rc;

	if ((rc = mf_grow(&p->relays, &p->cap_relays, p->n_relays + 1, 8)) != 0)
		return rc;
	addr_from_bytes(&target, ind->target, ind->port ? ind->port : p->self->ident->addr.port);
	mf_pool__reply_addr(p, from, ind->source_addr, ind->source_port, ind->source_node, &origin);
	r = &p->relays[p->n_relays++];
	r->local_seq = ++p->seq_no;
	r->origin_seq = ind->seq_no;
	r->origin = origin;
	r->want_nack = ind->nack;
	r->expires = now + p->cfg.timing.probe_timeout;
	if (ind->node.len > MF_NAME_MAX)
		return 0; /* no ping: the origin gets its nack */
	rc = encode_ping(p, &p->extra_buf, r->local_seq, (const char *)ind->node.p, ind->node.len);
	if (rc == 0)
		rc = mf_pool__send_buf(p, &target, mf_pool__ident_at(p, ind->node, &target),
				       &p->extra_buf);
	if (rc != 0)
		p->n_relays--; /* never asked: no nack on our behalf */
	return rc;
}

bool mf_pool__relay_ack(mf_pool_t *p, uint32_t seq)
{
	for (size_t i = 0; i < p->n_relays; i++) {
		if (p->relays[i].local_seq != seq)
			continue;
		struct mf_msg_ack fwd = { p->relays[i].origin_seq, { NULL, 0 } };
		struct mf_addr origin = p->relays[i].origin;
		relay_remove(p, i);
		int rc;
		msgpack_sbuffer_clear(&p->msg_buf);
		if ((rc = mf_codec_encode_ack(&p->msg_buf, &fwd)) == 0)
			rc = mf_pool__send_buf(p, &origin, NULL, &p->msg_buf);
		count_err(p, rc); /* lost like a dropped datagram */
		return true;
	}
	return false;
}

void mf_pool__relays_expire(mf_pool_t *p, mf_time_t now)
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
			int rc;
			msgpack_sbuffer_clear(&p->msg_buf);
			if ((rc = mf_codec_encode_nack(&p->msg_buf, &nack)) == 0)
				rc = mf_pool__send_buf(p, &origin, NULL, &p->msg_buf);
			if (count_err(p, rc) == 0)
				p->stats.nacks_sent++;
		}
		relay_remove(p, i);
	}
}

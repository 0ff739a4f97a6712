/*
 * gossip/pool_state.c — state transitions of members (memberlist state.go):
 * alive, suspect and dead messages applied to the table, refutation of
 * accusations against us, suspicion timers started and cleared, a remote
 * state merged, and the membership broadcasts each transition gossips.
 *
 * Contract: the only file that changes a member's state or incarnation
 * (mf_pool_force_leave aside); emits member events through pool_out.c.
 * Never sends a packet itself: transitions queue broadcasts, which ride on
 * probes and gossip.
 */
#include <string.h>

#include "gossip/pool_internal.h"

/* --- membership broadcasts -------------------------------------------------*/

static int queue_membership(mf_pool_t *p, const struct mf_member_record *about, msgpack_sbuffer *sb,
			    bool notify)
{
	return mf_bcast_push(&p->member_msgs, about->ident->name, about->ident->name_len,
			     (const uint8_t *)sb->data, sb->size, notify);
}

/* An alive heard about m, re-gossiped (memberlist aliveNode). A join
 * storm has each of N pools queue the same alive of each member: the
 * shortcuts of mf_bcast_push_hinted take it the second time from the
 * name's memo in the shared table, and skip the name lookup when m is
 * new to a pool that never dropped a member (nothing about its name can
 * be queued then). */
static int queue_alive(mf_pool_t *p, const struct mf_member_record *m, msgpack_sbuffer *sb, bool is_new)
{
	return mf_pool__push_memoed(p, &p->member_msgs, m->ident->name, m->ident->name_len,
				    (const uint8_t *)sb->data, sb->size, p->members.strs, m->name_id,
				    MF_MEMO_ALIVE, is_new && p->members.n_removed == 0);
}

int mf_pool__push_memoed(mf_pool_t *p, struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, const struct mf_intern *ids, uint32_t name_id,
			 enum mf_intern_memo_kind kind, bool fresh)
{
	struct mf_intern *strs = p->members.strs;
	struct mf_intern_memo *memo = ids == strs ? mf_intern_memo(strs, name_id) : NULL;
	const char *last = memo != NULL ? memo->last[kind] : NULL;
	int rc = mf_bcast_push_hinted(q, name, name_len, msg, len, fresh, &last);
	if (rc == 0 && memo != NULL)
		mf_intern_memo_last(strs, memo, kind, last);
	return rc;
}

static void alive_msg_of(const struct mf_member_record *m, struct mf_msg_alive *a)
{
	memset(a, 0, sizeof(*a));
	a->incarnation = m->incarnation;
	a->node = str_bytes(m->ident->name, m->ident->name_len);
	a->addr.p = m->ident->addr.ip;
	a->addr.len = m->ident->addr.ip_len;
	a->port = m->ident->addr.port;
	a->meta.p = mf_member_meta(m);
	a->meta.len = m->ident->meta_len;
	memcpy(a->vsn, m->ident->vsn, MF_VSN_LEN);
	a->has_vsn = true;
}

int mf_pool__broadcast_alive(mf_pool_t *p, const struct mf_member_record *m)
{
	struct mf_msg_alive a;
	int rc;

	alive_msg_of(m, &a);
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_alive(&p->msg_buf, &a)) == 0)
		rc = queue_membership(p, m, &p->msg_buf, false);
	return rc;
}

static int broadcast_suspect(mf_pool_t *p, const struct mf_member_record *m, uint32_t inc,
			     struct mf_bytes from)
{
	struct mf_msg_suspect s = { inc, str_bytes(m->ident->name, m->ident->name_len), from };
	int rc;

	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_suspect(&p->msg_buf, &s)) == 0)
		rc = queue_membership(p, m, &p->msg_buf, false);
	return rc;
}

static int broadcast_dead(mf_pool_t *p, const struct mf_member_record *m, uint32_t inc,
			  struct mf_bytes from, bool notify)
{
	struct mf_msg_dead d = { inc, str_bytes(m->ident->name, m->ident->name_len), from };
	int rc;

	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_dead(&p->msg_buf, &d)) == 0)
		rc = queue_membership(p, m, &p->msg_buf, notify);
	return rc;
}

/* --- suspicion bookkeeping -----------------------------------------------*/

void mf_pool__clear_suspicion(mf_pool_t *p, struct mf_member_record *m)
{
	if (!m->suspecting)
		return;
	struct mf_suspicion *x = mf_members_susp(&p->members, m);
	mf_suspicion_free(x);
	m->suspecting = false;
	mf_suspects_remove(&p->suspects, x);
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
	/* Unsent, the next accusation or push-pull refutes again. */
	count_err(p, mf_pool__broadcast_alive(p, p->self));
}

void mf_pool__forget(mf_pool_t *p, struct mf_member_record *m)
{
	if (!m->forgotten) {
		m->forgotten = true;
		p->n_known--;
	}
}

int mf_pool__alive_node(mf_pool_t *p, mf_time_t now, const struct mf_msg_alive *a, bool bootstrap)
{
	struct mf_member_record *m;
	bool is_new = false, updates_node = false;
	uint32_t known;
	int rc;

	if (a->node.len == 0 || a->node.len > MF_NAME_MAX || a->meta.len > MF_META_MAX)
		return 0;
	if (p->left && is_self_name(p, a->node))
		return 0;
	if (a->has_vsn && (a->vsn[0] == 0 || a->vsn[1] == 0 || a->vsn[0] > a->vsn[1]))
		return 0;

	/* the identity this alive gives the member (the versions kept when
	 * it has none) */
	struct mf_ident_in in = { .meta = a->meta.p, .meta_len = a->meta.len };
	addr_from_bytes(&in.addr, a->addr, a->port);
	if (a->has_vsn)
		memcpy(in.vsn, a->vsn, MF_VSN_LEN);

	m = mf_members_find(&p->members, (const char *)a->node.p, a->node.len);
	if (m == NULL) {
		/* memberlist would keep an unknown node at incarnation 0 as a
		 * dead placeholder; it cannot pass the check below anyway. */
		if (a->incarnation == 0)
			return 0;
		/* A flood of fake names stops here: cost and memory per name are
		 * bounded by max_members, and the refusal is counted. */
		size_t max = p->cfg.timing.max_members > 0 ? (size_t)p->cfg.timing.max_members
							   : MF_POOL_MAX_MEMBERS;
		if (p->members.n >= max) {
			p->stats.members_refused++;
			return 0;
		}
		size_t pos = mf_rng_below(&p->rng, (uint32_t)p->members.n_probe + 1);
		if ((rc = mf_members_add(&p->members, (const char *)a->node.p, a->node.len, &in,
					 pos, &m)) != 0)
			return rc; /* as if never heard: a later alive retries */
		p->members_version++;
		p->members_ident_version++;
		mf_pool__set_state(p, m, MF_STATE_DEAD);
		m->state_change = now;
		p->n_known++;
		is_new = true;
	}
	known = m->forgotten ? 0 : m->incarnation;
	if (!is_new && !m->forgotten) {
		struct mf_addr na;
		addr_from_bytes(&na, a->addr, a->port);
		if (!mf_addr_equal(&na, &m->ident->addr)) {
			if (m->state == MF_STATE_LEFT) {
				updates_node = true;
			} else if (m != p->self && inc_newer(a->incarnation, known)) {
				p->stats.addr_conflicts++; /* moved: accepted, see essay */
			} else {
				p->stats.addr_conflicts++;
				return 0;
			}
		}
	}

	bool is_local = m == p->self;
	bool fresh = is_new || m->forgotten;
	if (!fresh && !is_local && !updates_node && !inc_newer(a->incarnation, known)) {
		(void)inc_out_of_window(p, a->incarnation, known);
		return 0;
	}
	if (is_local && !inc_current(a->incarnation, known)) {
		(void)inc_out_of_window(p, a->incarnation, known);
		return 0;
	}

	enum mf_node_state old_state = m->forgotten ? MF_STATE_DEAD : m->state;
	bool meta_changed = a->meta.len != m->ident->meta_len ||
			    (m->ident->meta_len > 0 && memcmp(a->meta.p, mf_member_meta(m), m->ident->meta_len) != 0);
	struct mf_addr na;
	addr_from_bytes(&na, a->addr, a->port);
	bool addr_changed = !mf_addr_equal(&na, &m->ident->addr);

	if (!bootstrap && is_local) {
		/* Same incarnation, same meta and versions: an echo of ours. */
		if (a->incarnation == known && !meta_changed &&
		    (!a->has_vsn || memcmp(a->vsn, m->ident->vsn, MF_VSN_LEN) == 0))
			return 0;
		refute(p, a->incarnation);
		return 0;
	}

	if (!a->has_vsn)
		memcpy(in.vsn, m->ident->vsn, MF_VSN_LEN);
	if ((rc = mf_members_set_ident(&p->members, m, &in)) != 0) {
		/* Out of memory: as if never heard, a later alive retries. */
		if (is_new) {
			mf_pool__uncount(p, m);
			mf_members_remove(&p->members, m);
			p->n_known--;
			p->members_ident_version++;
		}
		return rc;
	}
	if (meta_changed || addr_changed)
		p->members_ident_version++;
	mf_pool__clear_suspicion(p, m);
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_alive(&p->msg_buf, a)) == 0)
		rc = queue_alive(p, m, &p->msg_buf, is_new);
	count_err(p, rc); /* ungossiped: push-pull carries it */
	m->incarnation = a->incarnation;
	if (m->forgotten) {
		m->forgotten = false;
		p->n_known++;
	}
	if (m->state != MF_STATE_ALIVE) {
		mf_pool__set_state(p, m, MF_STATE_ALIVE);
		m->state_change = now;
	}
	if (old_state == MF_STATE_DEAD || old_state == MF_STATE_LEFT)
		count_err(p, mf_pool__emit_event(p, MF_EV_JOIN, m->ident, 0, false));
	else if (meta_changed || addr_changed)
		count_err(p, mf_pool__emit_event(p, MF_EV_UPDATE, m->ident, 0, false));
	return 0;
}

int mf_pool__suspect_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
			  struct mf_bytes from)
{
	struct mf_member_record *m = mf_members_find(&p->members, (const char *)node.p, node.len);
	int rc;

	if (m == NULL || m->forgotten || !inc_current(inc, m->incarnation)) {
		if (m != NULL && !m->forgotten)
			(void)inc_out_of_window(p, inc, m->incarnation);
		return 0;
	}
	if (m->suspecting) {
		/* New confirmations are re-gossiped so they keep flowing. */
		struct mf_suspicion *x = mf_members_susp(&p->members, m);
		int fresh = count_err(p, mf_suspicion_confirm(x, (const char *)from.p,
							      from.len, now));
		mf_suspects_moved(&p->suspects, x); /* the deadline may have come closer */
		if (fresh > 0)
			count_err(p, broadcast_suspect(p, m, inc, from));
		return 0;
	}
	if (m->state != MF_STATE_ALIVE)
		return 0;
	if (m == p->self) {
		refute(p, inc);
		return 0;
	}

	/* memberlist: aim to hit the nominal timeout two probe intervals short
	 * of the multiplier; no confirmations expected in a tiny pool. The
	 * timer is armed before anything changes: a suspect without one would
	 * never be declared dead, so without memory the member stays alive
	 * and the next failed probe suspects it again. */
	const struct mf_pool_timing *t = &p->cfg.timing;
	int k = t->suspicion_mult - 2;
	size_t n = p->n_known;
	if ((long)n - 2 < k)
		k = 0;
	int64_t min = mf_suspicion_min_timeout(t->suspicion_mult, n, t->probe_interval);
	int64_t max = (int64_t)t->suspicion_max_timeout_mult * min;
	struct mf_suspicion *x;
	if ((rc = mf_members_susp_alloc(&p->members, m, &x)) != 0)
		return rc;
	if ((rc = mf_suspicion_start(x, (const char *)from.p, from.len, k, min, max, now)) != 0) {
		mf_suspicion_free(x);
		return rc;
	}
	if ((rc = mf_suspects_add(&p->suspects, x)) != 0) {
		mf_suspicion_free(x);
		return rc;
	}
	m->suspecting = true;
	count_err(p, broadcast_suspect(p, m, inc, from));
	p->stats.suspicions++;
	m->incarnation = inc;
	mf_pool__set_state(p, m, MF_STATE_SUSPECT);
	m->state_change = now;
	count_err(p, mf_pool__emit_event(p, MF_EV_SUSPECT, m->ident, 0, false));
	return 0;
}

int mf_pool__dead_node(mf_pool_t *p, mf_time_t now, uint32_t inc, struct mf_bytes node,
		       struct mf_bytes from)
{
	struct mf_member_record *m = mf_members_find(&p->members, (const char *)node.p, node.len);
	bool notify = false;
	int rc;

	if (m == NULL || m->forgotten || !inc_current(inc, m->incarnation)) {
		if (m != NULL && !m->forgotten)
			(void)inc_out_of_window(p, inc, m->incarnation);
		return 0;
	}
	mf_pool__clear_suspicion(p, m);
	if (dead_or_left(m))
		return 0;
	if (m == p->self) {
		if (!p->left) {
			refute(p, inc);
			return 0;
		}
		notify = true; /* our leave: mf_pool_leave_done waits for it */
	}
	rc = broadcast_dead(p, m, inc, from, notify);
	if (rc != 0 && notify)
		return rc; /* our leave waits for this message: not left yet */
	count_err(p, rc); /* ungossiped: push-pull and probes spread it */
	m->incarnation = inc;
	m->state_change = now;
	if (bytes_eq(node, (const char *)from.p, from.len)) {
		mf_pool__set_state(p, m, MF_STATE_LEFT);
		p->stats.leaves++;
		count_err(p, mf_pool__emit_event(p, MF_EV_LEFT, m->ident, 0, false));
	} else {
		mf_pool__set_state(p, m, MF_STATE_DEAD);
		p->stats.deaths++;
		count_err(p, mf_pool__emit_event(p, MF_EV_FAILED, m->ident, 0, false));
	}
	return 0;
}

uint64_t mf_pool_members_ident_version(const mf_pool_t *p)
{
	return p->members_ident_version;
}

/* memberlist mergeState. */
int mf_pool__merge_state(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp)
{
	struct mf_bytes me = str_bytes(p->self->ident->name, p->self->ident->name_len);
	int rc, first = 0;

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
			rc = mf_pool__alive_node(p, now, &a, false);
			break;
		}
		case MF_STATE_LEFT:
			rc = mf_pool__dead_node(p, now, r->incarnation, r->name, r->name);
			break;
		case MF_STATE_DEAD: /* prefer suspecting to declaring dead at once */
		case MF_STATE_SUSPECT:
			rc = mf_pool__suspect_node(p, now, r->incarnation, r->name, me);
			break;
		default:
			rc = 0;
			break;
		}
		if (rc != 0 && first == 0)
			first = rc; /* the rest still merges: each state stands alone */
	}
	return first;
}

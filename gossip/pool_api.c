/*
 * gossip/pool_api.c — the caller's side of gossip/pool.h: the operations
 * (join, leave, force-leave, meta, user messages) and the read-only queries
 * (members, stats, the config in use).
 *
 * Contract: entry points only. A state change goes through pool_state.c
 * (mf_pool_force_leave and our own meta aside), a packet or stream through
 * pool_out.c; queries never change the pool.
 */
#include <string.h>

#include "gossip/pool_internal.h"
#include "gossip/serf.h"

/* --- operations ------------------------------------------------------------*/

int mf_pool_join(mf_pool_t *p, mf_time_t now, const struct mf_addr *addr, uint64_t *join_id)
{
	uint64_t id = 0;
	int rc;

	mf_pool__out_reset_if_drained(p);
	if (addr == NULL)
		return MF_EINVAL;
	rc = mf_pool__push_pull_to(p, now, addr, true, ST_JOIN, &id);
	if (join_id != NULL)
		*join_id = id;
	return rc;
}

int mf_pool_leave(mf_pool_t *p, mf_time_t now)
{
	mf_pool__out_reset_if_drained(p);
	if (p->left)
		return MF_ESTATE;
	p->left = true;
	p->leave_started = true;
	p->leave_notify_base = p->member_msgs.finished_notify;
	int rc = mf_pool__dead_node(p, now, p->self->incarnation,
				    str_bytes(p->self->ident->name, p->self->ident->name_len),
				    str_bytes(p->self->ident->name, p->self->ident->name_len));
	if (rc != 0) { /* our dead was not queued: still a member, the caller may retry */
		p->left = false;
		p->leave_started = false;
	}
	return rc;
}

bool mf_pool_leave_done(const mf_pool_t *p)
{
	if (!p->leave_started)
		return false;
	if (p->member_msgs.finished_notify > p->leave_notify_base)
		return true;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_member_record *m = mf_members_probe_at(&p->members, i);
		if (m != p->self && !m->forgotten &&
		    (m->state == MF_STATE_ALIVE || m->state == MF_STATE_SUSPECT))
			return false;
	}
	return true;
}

int mf_pool_force_leave(mf_pool_t *p, mf_time_t now, const char *name)
{
	struct mf_member_record *m;

	mf_pool__out_reset_if_drained(p);
	m = name ? mf_members_find(&p->members, name, strlen(name)) : NULL;
	if (m == NULL)
		return MF_ENOTFOUND;
	if (m->state != MF_STATE_DEAD)
		return m->state == MF_STATE_LEFT ? 0 : MF_ESTATE;
	mf_pool__set_state(p, m, MF_STATE_LEFT);
	m->state_change = now;
	p->stats.leaves++;
	count_err(p, mf_pool__emit_event(p, MF_EV_LEFT, m->ident, 0, false));
	return 0;
}

int mf_pool_set_meta(mf_pool_t *p, mf_time_t now, const uint8_t *meta, size_t len)
{
	mf_pool__out_reset_if_drained(p);
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
	/* The meta is ours now either way: ungossiped, push-pull carries it. */
	count_err(p, mf_pool__broadcast_alive(p, p->self));
	count_err(p, mf_pool__emit_event(p, MF_EV_UPDATE, p->self->ident, 0, false));
	return 0;
}

int mf_pool_broadcast_user(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len)
{
	return mf_pool_broadcast_user_capped(p, key, msg, len, 0);
}

/* Encodes a user message into p->msg_buf (MF_ETOOBIG past a datagram)
 * and names the queue it goes to. */
static int user_msg(mf_pool_t *p, const uint8_t *msg, size_t len, struct mf_bcast_queue **q)
{
	int rc;

	if (msg == NULL && len > 0)
		return MF_EINVAL;
	if (len + 1 + COMPOUND_OVERHEAD + COMPOUND_HEADER_OVERHEAD >
	    (size_t)p->cfg.timing.udp_buffer_size)
		return MF_ETOOBIG;
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_user(&p->msg_buf, msg, len)) != 0)
		return rc;
	/* Ours (MF_SERF_MSG_MESHFED) only to members of cfg.private_role. */
	*q = p->cfg.private_role[0] != '\0' && len > 0 && msg[0] == MF_SERF_MSG_MESHFED ?
		     &p->private_msgs :
		     &p->user_msgs;
	return 0;
}

int mf_pool_broadcast_user_capped(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len,
				  int max_transmits)
{
	struct mf_bcast_queue *q;
	int rc = user_msg(p, msg, len, &q);
	if (rc != 0)
		return rc;
	return mf_bcast_push_capped(q, key, key ? strlen(key) : 0,
				    (const uint8_t *)p->msg_buf.data, p->msg_buf.size, false,
				    max_transmits);
}

int mf_pool_broadcast_user_about(mf_pool_t *p, const char *key, const uint8_t *msg, size_t len,
				 const struct mf_intern *ids, uint32_t name_id, bool fresh)
{
	struct mf_bcast_queue *q;
	if (key == NULL)
		return MF_EINVAL;
	int rc = user_msg(p, msg, len, &q);
	if (rc != 0)
		return rc;
	return mf_pool__push_memoed(p, q, key, strlen(key), (const uint8_t *)p->msg_buf.data,
				    p->msg_buf.size, ids, name_id, MF_MEMO_INTENT, fresh);
}

size_t mf_pool_prune_user(mf_pool_t *p, const char *prefix, size_t max_retain)
{
	return mf_bcast_prune_named(&p->user_msgs, prefix, strlen(prefix), max_retain);
}

int mf_pool_send_user_stream(mf_pool_t *p, mf_time_t now, const char *node, const uint8_t *msg,
			     size_t len)
{
	struct mf_member_record *m;
	int rc;

	mf_pool__out_reset_if_drained(p);
	m = node ? mf_members_find(&p->members, node, strlen(node)) : NULL;
	if (m == NULL)
		return MF_ENOTFOUND;
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_user_stream(&p->msg_buf, msg, len)) != 0)
		return rc;
	return mf_pool__open_stream(p, &m->ident->addr, (const uint8_t *)p->msg_buf.data,
				    p->msg_buf.size, false, p->cfg.timing.tcp_timeout, NULL);
}

int mf_pool_send_user_to(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len)
{
	int rc;

	mf_pool__out_reset_if_drained(p);
	msgpack_sbuffer_clear(&p->msg_buf);
	if ((rc = mf_codec_encode_user(&p->msg_buf, msg, len)) != 0)
		return rc;
	struct mf_bytes m = {(const uint8_t *)p->msg_buf.data, p->msg_buf.size};
	return mf_pool__send_packet(p, to, &m, 1, false);
}

/* --- queries -----------------------------------------------------------------*/

size_t mf_pool_member_count(const mf_pool_t *p)
{
	return p->members.n;
}

size_t mf_pool_alive_count(const mf_pool_t *p)
{
	return p->members.n - p->n_dead - p->n_left; /* kept per state change */
}

static void fill_member(const struct mf_member_record *m, struct mf_member *out)
{
	static const enum mf_member_status map[] = {
		[MF_STATE_ALIVE] = MF_MEMBER_ALIVE,
		[MF_STATE_SUSPECT] = MF_MEMBER_SUSPECT,
		[MF_STATE_DEAD] = MF_MEMBER_FAILED,
		[MF_STATE_LEFT] = MF_MEMBER_LEFT,
	};
	out->name = m->ident->name;
	out->addr = m->ident->addr;
	out->meta = mf_member_meta(m);
	out->meta_len = m->ident->meta_len;
	out->incarnation = m->incarnation;
	out->status = map[m->state];
	out->status_since = m->state_change;
	out->direct_misses = m->direct_misses;
	memcpy(out->vsn, m->ident->vsn, MF_VSN_LEN);
}

int mf_pool_member_at(const mf_pool_t *p, size_t i, struct mf_member *m)
{
	if (i >= p->members.n)
		return MF_ENOTFOUND;
	const struct mf_member_record *r = mf_members_at(&p->members, i);
	if (r == NULL)
		return MF_ENOMEM;
	fill_member(r, m);
	return 0;
}

uint64_t mf_pool_member_changes(const mf_pool_t *p)
{
	return mf_members_journal_seq(&p->members);
}

const char *mf_pool_member_change(const mf_pool_t *p, uint64_t k)
{
	return mf_members_journal_name(&p->members, k);
}

uint64_t mf_pool_members_version(const mf_pool_t *p)
{
	return p->members_version;
}

int mf_pool_member_find(const mf_pool_t *p, const char *name, struct mf_member *m)
{
	const struct mf_member_record *r = name ? mf_members_find(&p->members, name, strlen(name)) : NULL;
	if (r == NULL)
		return MF_ENOTFOUND;
	fill_member(r, m);
	return 0;
}

const char *mf_pool_name(const mf_pool_t *p)
{
	return p->self->ident->name;
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

int mf_pool_user_transmits(const mf_pool_t *p, const char *key)
{
	if (key == NULL)
		return -1;
	/* A key lives in one queue: ours go to private_msgs when a role is set. */
	int t = mf_bcast_transmits(&p->user_msgs, key, strlen(key));
	return t >= 0 ? t : mf_bcast_transmits(&p->private_msgs, key, strlen(key));
}

void mf_pool_broadcast_depth(const mf_pool_t *p, size_t *membership, size_t *user)
{
	*membership = mf_bcast_len(&p->member_msgs);
	*user = mf_bcast_len(&p->user_msgs) + mf_bcast_len(&p->private_msgs);
}

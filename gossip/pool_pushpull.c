/*
 * gossip/pool_pushpull.c — full-state exchange over a stream (memberlist
 * pushPull): encoding our state with the delegate's user state, opening a
 * push-pull for a join, the periodic anti-entropy round, serf's reconnect of
 * failed members, and merging what a peer sent.
 *
 * Contract: decides when and to whom to push-pull; the merge itself goes
 * through pool_state.c, the stream through pool_out.c. Answering an inbound
 * push-pull is dispatch's job (pool.c) with mf_pool__encode_local_state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/pool_internal.h"

/* --- push-pull -----------------------------------------------------------*/

/* Encodes [6][header][states][user state] into p->extra_buf. */
int mf_pool__encode_local_state(mf_pool_t *p, bool join)
{
	/* every field of each state is set below: no zeroing (a third of the
	 * encoding's cost once the states are written directly) */
	struct mf_msg_push_node_state *st = malloc((p->members.n + 1) * sizeof(*st));
	size_t n = 0, ulen = 0;
	uint8_t *ubuf = NULL;
	int rc;

	if (st == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_member_record *m = mf_members_probe_at(&p->members, i);
		if (m->forgotten)
			continue;
		st[n].name = str_bytes(m->ident->name, m->ident->name_len);
		st[n].addr.p = m->ident->addr.ip;
		st[n].addr.len = m->ident->addr.ip_len;
		st[n].port = m->ident->addr.port;
		st[n].meta.p = mf_member_meta(m);
		st[n].meta.len = m->ident->meta_len;
		st[n].incarnation = m->incarnation;
		st[n].state = (uint8_t)m->state;
		memcpy(st[n].vsn, m->ident->vsn, MF_VSN_LEN);
		st[n].has_vsn = true;
		n++;
	}
	size_t cap0 = p->user_state_cap > MF_POOL_USER_STATE_FIRST ? p->user_state_cap
								    : MF_POOL_USER_STATE_FIRST;
	for (size_t cap = cap0; p->cfg.delegate.local_state != NULL;) {
		free(ubuf);
		if ((ubuf = malloc(cap)) == NULL) {
			free(st); /* not a state without the user state: the caller retries */
			return MF_ENOMEM;
		}
		ulen = p->cfg.delegate.local_state(p->cfg.delegate.ctx, join, ubuf, cap);
		if (ulen <= cap)
			break;
		size_t want = ulen > MF_POOL_USER_STATE_MAX / 2 ? MF_POOL_USER_STATE_MAX : 2 * ulen;
		ulen = 0;
		if (cap >= want)
			break; /* the delegate counts and reports what it could not send */
		cap = want;
		p->user_state_cap = want; /* start there next time */
	}
	msgpack_sbuffer_clear(&p->extra_buf);
	/* (the encoder sizes the buffer for it all at once) */
	rc = mf_codec_encode_push_pull(&p->extra_buf, join, st, n, ubuf, ulen);
	free(ubuf);
	free(st);
	return rc;
}

/* A large pool's state is hundreds of KB, sent once a push-pull interval
 * and copied out at once: not held between them (a simulator has N pools). */
void mf_pool__extra_buf_trim(mf_pool_t *p)
{
	if (p->extra_buf.alloc > MF_POOL_SCRATCH_KEEP) {
		msgpack_sbuffer_destroy(&p->extra_buf);
		msgpack_sbuffer_init(&p->extra_buf);
	}
}

int mf_pool__push_pull_to(mf_pool_t *p, mf_time_t now, const struct mf_addr *to, bool join,
			  enum stream_kind kind, uint64_t *id)
{
	uint64_t sid;
	int rc = mf_pool__encode_local_state(p, join);
	if (rc == 0)
		rc = mf_pool__reserve_pending(p);
	if (rc == 0)
		rc = mf_pool__open_stream(p, to, (const uint8_t *)p->extra_buf.data,
					  p->extra_buf.size, true, p->cfg.timing.tcp_timeout, &sid);
	mf_pool__extra_buf_trim(p);
	if (rc == 0)
		rc = mf_pool__add_pending(p, sid, kind, 0,
					  now + p->cfg.timing.tcp_timeout + MF_SEC);
	if (rc == 0) {
		p->stats.push_pulls++;
		if (id != NULL)
			*id = sid;
	}
	return rc;
}

int mf_pool__merge_remote(mf_pool_t *p, mf_time_t now, const struct mf_push_pull *pp)
{
	int rc = mf_pool__merge_state(p, now, pp);
	if (pp->user_state.len > 0 && p->cfg.delegate.merge_remote_state != NULL)
		p->cfg.delegate.merge_remote_state(p->cfg.delegate.ctx, pp->user_state.p,
						   pp->user_state.len, pp->header.join);
	return rc;
}

/* memberlist pushPullScale: slower past 32 members, log2-wise. */
mf_time_t mf_pool__push_pull_interval(const mf_pool_t *p)
{
	mf_time_t iv = p->cfg.timing.push_pull_interval;
	size_t n = p->n_known;
	if (n <= PUSH_PULL_SCALE_THRESHOLD)
		return iv;
	double mult = ceil(log2((double)n) - log2((double)PUSH_PULL_SCALE_THRESHOLD)) + 1.0;
	return (mf_time_t)mult * iv;
}

void mf_pool__periodic_push_pull(mf_pool_t *p, mf_time_t now)
{
	struct mf_member_record *peer;
	if (mf_pool__k_random(p, 1, mf_pool__skip_not_alive_peer, now, NULL, &peer) == 1)
		count_err(p, mf_pool__push_pull_to(p, now, &peer->ident->addr, false, ST_PUSH_PULL, NULL));
}

/* serf reconnect: on average each failed member gets one attempt per
 * interval across the whole pool. */
void mf_pool__reconnect(mf_pool_t *p, mf_time_t now)
{
	size_t failed = p->n_dead, left = p->n_left; /* no scan while none failed */
	if (failed == 0)
		return;
	double alive = (double)(p->members.n - failed - left);
	if (alive <= 0)
		alive = 1;
	if (mf_rng_unit(&p->rng) > (double)failed / alive)
		return;
	size_t pick = mf_rng_below(&p->rng, (uint32_t)failed);
	for (size_t i = 0; i < p->members.n; i++) {
		struct mf_member_record *m = mf_members_probe_at(&p->members, i);
		if (m->state != MF_STATE_DEAD || pick-- > 0)
			continue;
		p->stats.reconnect_attempts++;
		count_err(p, mf_pool__push_pull_to(p, now, &m->ident->addr, true, ST_RECONNECT, NULL));
		return;
	}
}

/*
 * gossip/pool_out.c — the pool's output queue: events for the layer above,
 * datagrams sealed with whatever broadcasts fit (memberlist sendMsg), and
 * the streams we open, answer or close, with the table of streams we await
 * a reply on.
 *
 * Contract: owns p->outs and p->streams. Seals through gossip/wire.c; never
 * decides what to send (the callers do) and never touches a socket: the
 * shell drains the queue with mf_pool_next_output().
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/pool_internal.h"
#include "gossip/serf.h"

/* --- outputs -------------------------------------------------------------*/

static struct out_item *out_push(mf_pool_t *p, enum mf_out_kind kind)
{
	if (mf_grow(&p->outs, &p->cap_outs, p->n_outs + 1, 32) != 0)
		return NULL;
	struct out_item *it = &p->outs[p->n_outs++];
	memset(it, 0, sizeof(*it));
	it->out.kind = kind;
	return it;
}

/* Frees the outputs once the shell has drained them all. */
void mf_pool__out_reset_if_drained(mf_pool_t *p)
{
	if (p->out_head < p->n_outs)
		return;
	for (size_t i = 0; i < p->n_outs; i++) {
		free(p->outs[i].owned);
		mf_intern_put(p->members.strs, p->outs[i].ident);
	}
	p->n_outs = 0;
	p->out_head = 0;
	/* A push-pull merge of N members queues N events at once; a pool
	 * keeps a small array, not its largest burst (N pools of a simulator
	 * would each hold N slots). */
	if (p->cap_outs > MF_POOL_OUTS_KEEP) {
		free(p->outs);
		p->outs = NULL;
		p->cap_outs = 0;
	}
}

/* Hands the sealed bytes in `sb` to a new output. */
static int out_take(mf_pool_t *p, enum mf_out_kind kind, const struct mf_addr *to,
		    msgpack_sbuffer *sb, struct out_item **res)
{
	struct out_item *it = out_push(p, kind);
	if (it == NULL)
		return MF_ENOMEM;
	size_t had = sb->alloc; /* release zeroes it */
	it->out.len = sb->size;
	it->owned = msgpack_sbuffer_release(sb);
	/* msgpack's buffer starts at 8 KiB and doubles: a datagram or a
	 * push-pull state in flight keeps only its bytes (a join storm puts
	 * hundreds of states of N members on the simulator's wires). */
	if (it->out.len > 0 && it->out.len < had) {
		char *fit = realloc(it->owned, it->out.len);
		if (fit != NULL)
			it->owned = fit;
	}
	it->out.data = it->owned;
	if (to != NULL)
		it->out.to = *to;
	if (res != NULL)
		*res = it;
	return 0;
}

int mf_pool__emit_event(mf_pool_t *p, enum mf_event_kind kind,
			const struct mf_member_ident *who, uint64_t join_id, bool ok)
{
	if (who != NULL) {
		p->members_version++; /* even if the event itself is lost */
		mf_members_note(&p->members, who->name); /* readers' journal (members.h) */
	}
	if (kind == MF_EV_UPDATE || kind == MF_EV_REAPED) /* meta, or removed next */
		p->members_ident_version++;
	struct out_item *it = out_push(p, MF_OUT_EVENT);
	if (it == NULL)
		return MF_ENOMEM;
	it->out.event.kind = kind;
	it->out.event.join_id = join_id;
	it->out.event.ok = ok;
	if (who != NULL) {
		/* held until drained: a reap may free the record meanwhile */
		if (mf_intern_ref((const char *)who) != 0) {
			p->n_outs--; /* no event without its name */
			return MF_ENOMEM;
		}
		it->ident = (const char *)who;
		it->out.event.name = who->name;
	}
	return 0;
}

/* Seals messages into one datagram for `to`. */
int mf_pool__send_packet(mf_pool_t *p, const struct mf_addr *to, const struct mf_bytes *msgs,
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

/* Whether `to` may be sent our private user messages (cfg.private_role). */
static bool private_ok(const mf_pool_t *p, const struct mf_member_ident *to)
{
	if (to == NULL || mf_bcast_len(&p->private_msgs) == 0)
		return false;
	return mf_serf_meta_role_is(mf_ident_meta(to), to->meta_len, p->cfg.private_role);
}

/* Takes from q what fits in limit - *used, after the out[0..*n) taken. */
static void take(mf_pool_t *p, struct mf_bcast_queue *q, size_t limit, struct mf_bytes *out,
		 size_t max, size_t *n, size_t *used)
{
	size_t cap = (size_t)p->cfg.timing.udp_buffer_size, got = 0;

	if (*used >= limit || limit - *used <= COMPOUND_OVERHEAD + 1 || *n >= max ||
	    mf_bcast_len(q) == 0)
		return;
	mf_bcast_get(q, COMPOUND_OVERHEAD, limit - *used, p->n_known, p->bc_buf + *used,
		     cap - *used, out + *n, max - *n, &got);
	for (size_t i = 0; i < got; i++)
		*used += out[*n + i].len + COMPOUND_OVERHEAD;
	*n += got;
}

/* memberlist getBroadcasts: membership first, then user messages (serf's,
 * then our private ones when `to` takes them). */
size_t mf_pool__get_broadcasts(mf_pool_t *p, size_t limit, const struct mf_member_ident *to,
			       struct mf_bytes *out, size_t max)
{
	size_t n = 0, used = 0;
	size_t cap = (size_t)p->cfg.timing.udp_buffer_size;
	bool priv = private_ok(p, to);
	size_t user_n = mf_bcast_len(&p->user_msgs) + (priv ? mf_bcast_len(&p->private_msgs) : 0);
	size_t user_bytes =
		mf_bcast_bytes(&p->user_msgs) + (priv ? mf_bcast_bytes(&p->private_msgs) : 0);

	if (limit > cap)
		limit = cap;
	/* memberlist (getBroadcasts) and serf (delegate GetBroadcasts) give
	 * user messages only what the membership messages leave; in a join
	 * storm that is nothing for N x 10 ms and serf's intents starve. While
	 * both queues hold messages, a share of the packet is kept for the
	 * user queue (no more than it could fill), the rest as memberlist. */
	size_t reserve = 0;
	if (user_n > 0 && mf_bcast_len(&p->member_msgs) > 0) {
		size_t want = user_bytes + user_n * COMPOUND_OVERHEAD;
		reserve = limit / MF_POOL_USER_SHARE;
		if (want < reserve)
			reserve = want;
	}
	take(p, &p->member_msgs, limit - reserve, out, max, &n, &used);
	take(p, &p->user_msgs, limit, out, max, &n, &used);
	if (priv)
		take(p, &p->private_msgs, limit, out, max, &n, &used);
	return n;
}

/* memberlist sendMsg: one message plus whatever broadcasts fit. */
static int send_msg(mf_pool_t *p, const struct mf_addr *to, const struct mf_member_ident *peer,
		    const uint8_t *msg, size_t len)
{
	struct mf_bytes msgs[MF_WIRE_MAX_MSGS];
	long avail = (long)p->cfg.timing.udp_buffer_size - (long)len - COMPOUND_HEADER_OVERHEAD;
	size_t n = 0;

	if (encryption_on(p))
		avail -= MF_CRYPTO_OVERHEAD;
	msgs[0].p = msg;
	msgs[0].len = len;
	if (avail > 0)
		n = mf_pool__get_broadcasts(p, (size_t)avail, peer, msgs + 1, MF_WIRE_MAX_MSGS - 2);
	/* No CRC: memberlist only knows the peer's version (and so only adds
	 * it) on gossip and buddy-system packets. */
	return mf_pool__send_packet(p, to, msgs, 1 + n, false);
}

int mf_pool__send_buf(mf_pool_t *p, const struct mf_addr *to, const struct mf_member_ident *peer,
		      const msgpack_sbuffer *sb)
{
	return send_msg(p, to, peer, (const uint8_t *)sb->data, sb->size);
}

/* Seals one stream message into a new output of `kind`. */
static int stream_out(mf_pool_t *p, enum mf_out_kind kind, const struct mf_addr *to,
		      const uint8_t *msg, size_t len, struct out_item **it)
{
	struct mf_wire_send_opts o = { .crc = false, .compress = false };
	msgpack_sbuffer sb;
	int rc;

	msgpack_sbuffer_init(&sb);
	rc = mf_wire_seal_stream(p->cfg.keyring, msg, len, &o, &sb);
	if (rc == 0)
		rc = out_take(p, kind, to, &sb, it);
	msgpack_sbuffer_destroy(&sb);
	if (rc == 0)
		p->stats.bytes_out += (*it)->out.len;
	return rc;
}

int mf_pool__open_stream(mf_pool_t *p, const struct mf_addr *to, const uint8_t *msg, size_t len,
			 bool expect_reply, mf_time_t timeout, uint64_t *id)
{
	struct out_item *it;
	int rc = stream_out(p, MF_OUT_STREAM_OPEN, to, msg, len, &it);

	if (rc != 0)
		return rc;
	it->out.stream_id = ++p->stream_seq;
	it->out.expect_reply = expect_reply;
	it->out.timeout = timeout;
	p->stats.stream_out++;
	if (id != NULL)
		*id = it->out.stream_id;
	return 0;
}

int mf_pool__reply_stream(mf_pool_t *p, uint64_t stream_id, const uint8_t *msg, size_t len)
{
	struct out_item *it;
	int rc = stream_out(p, MF_OUT_STREAM_REPLY, NULL, msg, len, &it);

	if (rc == 0)
		it->out.stream_id = stream_id;
	return rc;
}

int mf_pool__close_stream(mf_pool_t *p, uint64_t stream_id)
{
	struct out_item *it = out_push(p, MF_OUT_STREAM_CLOSE);
	if (it == NULL)
		return MF_ENOMEM; /* the shell's stream deadline closes it */
	it->out.stream_id = stream_id;
	return 0;
}

int mf_pool__reserve_pending(mf_pool_t *p)
{
	return mf_grow(&p->streams, &p->cap_streams, p->n_streams + 1, 8);
}

int mf_pool__add_pending(mf_pool_t *p, uint64_t id, enum stream_kind kind, uint32_t seq,
			 mf_time_t expires)
{
	int rc = mf_pool__reserve_pending(p);
	if (rc != 0)
		return rc;
	struct pending_stream *s = &p->streams[p->n_streams++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->kind = kind;
	s->seq = seq;
	s->expires = expires;
	return 0;
}

/* Removes pending stream `id` into *out; false when unknown. */
bool mf_pool__take_pending(mf_pool_t *p, uint64_t id, struct pending_stream *out)
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

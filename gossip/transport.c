/*
 * gossip/transport.c — sockets, the pool's timer and the output drain.
 *
 * Every entry into the pool goes through the same three steps: read the clock
 * (uv_hrtime), call the pool, mf_transport_drain(). The drain executes what
 * the pool asked for and re-arms the single timer to the pool's next
 * deadline, so the pool is ticked no later than it wants and never spun.
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/transport_internal.h"

#define MF_UDP_RECV_BUFFER_SIZE (2 * 1024 * 1024) /* memberlist udpRecvBufSize */
#define MF_TIMER_MAX_MS 3600000ull /* re-check at least hourly */


static void maybe_done(mf_transport_t *t);

/* --- UDP ------------------------------------------------------------------*/

struct udp_send {
	uv_udp_send_t req;
	mf_transport_t *t;
	size_t len;
	uint8_t data[];
};

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	struct udp_send *s = (struct udp_send *)req;
	s->t->udp_queued--;
	if (status < 0)
		s->t->stats.udp_send_errors++;
	free(s);
}

static void udp_send(mf_transport_t *t, const struct mf_addr *to, const uint8_t *data, size_t len)
{
	struct sockaddr_storage ss;
	if (mf_transport_addr_to_sockaddr(to, &ss) < 0) {
		t->stats.udp_send_errors++;
		return;
	}
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int r = uv_udp_try_send(&t->udp, &b, 1, (const struct sockaddr *)&ss);
	if (r >= 0)
		return;
	if (r != UV_EAGAIN || t->udp_queued >= MF_TRANSPORT_MAX_UDP_QUEUE) {
		t->stats.udp_send_errors++;
		return;
	}
	/* The socket buffer is full: queue a copy, bounded, rather than block. */
	struct udp_send *s = malloc(sizeof(*s) + len);
	if (!s) {
		t->stats.udp_send_errors++;
		return;
	}
	s->t = t;
	s->len = len;
	memcpy(s->data, data, len);
	b = uv_buf_init((char *)s->data, (unsigned)len);
	if (uv_udp_send(&s->req, &t->udp, &b, 1, (const struct sockaddr *)&ss, on_udp_sent) < 0) {
		t->stats.udp_send_errors++;
		free(s);
		return;
	}
	t->udp_queued++;
}

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	mf_transport_t *t = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)t->udp_buf, sizeof(t->udp_buf));
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned flags)
{
	mf_transport_t *t = h->data;
	if (nread < 0) {
		t->stats.udp_recv_errors++;
		return;
	}
	if (nread == 0 || !from || t->closing)
		return;
	if (flags & UV_UDP_PARTIAL) { /* larger than any memberlist packet */
		t->stats.udp_recv_errors++;
		return;
	}
	struct mf_addr a;
	if (mf_transport_addr_from_sockaddr(from, &a) < 0)
		return;
	/* Drops are counted by the pool, by cause. */
	(void)mf_pool_udp_in(t->pool, mf_transport_now(t), &a, (const uint8_t *)buf->base, (size_t)nread);
	mf_transport_drain(t);
}

/* --- timer and drain --------------------------------------------------------*/

static void on_timer(uv_timer_t *h)
{
	mf_transport_t *t = h->data;
	if (t->closing)
		return;
	mf_pool_tick(t->pool, mf_transport_now(t));
	mf_transport_drain(t);
}

static void rearm(mf_transport_t *t)
{
	mf_time_t now = mf_transport_now(t);
	mf_time_t delta = mf_pool_next_wake(t->pool, now) - now;
	/* Round up (a timer that fires early would only re-arm), and wait at
	 * least 1 ms so a deadline stuck in the past cannot spin the loop. */
	uint64_t ms = 1;
	if (delta > 0) {
		ms = ((uint64_t)delta + (uint64_t)MF_MS - 1) / (uint64_t)MF_MS;
		if (ms > MF_TIMER_MAX_MS)
			ms = MF_TIMER_MAX_MS;
	}
	uv_timer_start(&t->timer, on_timer, ms, 0);
}

void mf_transport_drain(mf_transport_t *t)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(t->pool, &o) == 1) {
		if (t->closing)
			continue; /* discard: nothing may start while closing */
		switch (o.kind) {
		case MF_OUT_UDP:
			udp_send(t, &o.to, o.data, o.len);
			break;
		case MF_OUT_STREAM_OPEN:
			mf_tstream_open(t, &o);
			break;
		case MF_OUT_STREAM_REPLY:
			mf_tstream_reply(t, o.stream_id, o.data, o.len);
			break;
		case MF_OUT_STREAM_CLOSE:
			mf_tstream_close_inbound(t, o.stream_id);
			break;
		case MF_OUT_EVENT:
			if (t->cfg.cb.on_event)
				t->cfg.cb.on_event(t->cfg.cb.ctx, &o.event);
			break;
		}
	}
	if (t->closing)
		return;
	rearm(t);
	if (t->cfg.cb.after_drain && !t->in_after_drain) {
		t->in_after_drain = true;
		t->cfg.cb.after_drain(t->cfg.cb.ctx);
		t->in_after_drain = false;
	}
}

/* --- lifecycle --------------------------------------------------------------*/

static int bind_both(mf_transport_t *t, struct mf_addr *a, int *uv_err)
{
	struct sockaddr_storage ss;
	int r;
	if (mf_transport_addr_to_sockaddr(a, &ss) < 0)
		return MF_EINVAL;
	if ((r = uv_tcp_bind(&t->listener, (const struct sockaddr *)&ss, 0)) < 0)
		goto fail;
	if ((r = uv_listen((uv_stream_t *)&t->listener, 128, mf_tstream_on_connection)) < 0)
		goto fail;
	if (a->port == 0) { /* take the kernel's TCP port for UDP as well */
		struct sockaddr_storage got;
		int n = sizeof(got);
		if ((r = uv_tcp_getsockname(&t->listener, (struct sockaddr *)&got, &n)) < 0)
			goto fail;
		struct mf_addr b;
		if (mf_transport_addr_from_sockaddr((struct sockaddr *)&got, &b) < 0)
			return MF_EIO;
		a->port = b.port;
		mf_transport_addr_to_sockaddr(a, &ss);
	}
	if ((r = uv_udp_bind(&t->udp, (const struct sockaddr *)&ss, 0)) < 0)
		goto fail;
	int sz = MF_UDP_RECV_BUFFER_SIZE;
	(void)uv_recv_buffer_size((uv_handle_t *)&t->udp, &sz); /* best effort */
	return 0;
fail:
	if (uv_err)
		*uv_err = r;
	return MF_EIO;
}

static void on_handle_closed(uv_handle_t *h)
{
	mf_transport_t *t = h->data;
	t->open_handles--;
	maybe_done(t);
}

/* Frees the transport once its own handles and every stream are closed. */
static void maybe_done(mf_transport_t *t)
{
	if (!t->closing || t->open_handles > 0 || t->inbound.n > 0 || t->outbound.n > 0 ||
	    t->udp_queued > 0)
		return;
	void (*done)(void *) = t->done;
	void *ctx = t->done_ctx;
	free(t);
	if (done)
		done(ctx);
}

int mf_transport_new(uv_loop_t *loop, mf_pool_t *pool, const struct mf_transport_config *cfg,
		     mf_transport_t **out, int *uv_err)
{
	if (!loop || !pool || !cfg || !out)
		return MF_EINVAL;
	mf_transport_t *t = calloc(1, sizeof(*t));
	if (!t)
		return MF_ENOMEM;
	t->loop = loop;
	t->pool = pool;
	t->cfg = *cfg;
	if (!t->cfg.max_inbound)
		t->cfg.max_inbound = MF_TRANSPORT_MAX_INBOUND;
	if (!t->cfg.max_outbound)
		t->cfg.max_outbound = MF_TRANSPORT_MAX_OUTBOUND;
	if (!t->cfg.max_stream_bytes)
		t->cfg.max_stream_bytes = MF_TRANSPORT_MAX_STREAM_BYTES;
	if (!t->cfg.max_inbound_bytes)
		t->cfg.max_inbound_bytes = MF_TRANSPORT_MAX_INBOUND_BYTES;
	if (!t->cfg.max_inbound_per_addr)
		t->cfg.max_inbound_per_addr = MF_TRANSPORT_MAX_INBOUND_PER_ADDR;
	if (t->cfg.inbound_timeout <= 0)
		t->cfg.inbound_timeout = mf_pool_config(pool)->timing.tcp_timeout;
	if (t->cfg.inbound_timeout <= 0)
		t->cfg.inbound_timeout = 10 * MF_SEC;
	t->bound = cfg->bind;
	t->drain = mf_transport_drain;
	t->maybe_done = maybe_done;

	uv_udp_init(loop, &t->udp);
	uv_tcp_init(loop, &t->listener);
	uv_timer_init(loop, &t->timer);
	t->udp.data = t->listener.data = t->timer.data = t;
	t->open_handles = 3;

	int r = bind_both(t, &t->bound, uv_err);
	if (r == 0) {
		int u = uv_udp_recv_start(&t->udp, on_udp_alloc, on_udp_recv);
		if (u < 0) {
			if (uv_err)
				*uv_err = u;
			r = MF_EIO;
		}
	}
	if (r < 0) {
		/* Handles must still be closed through the loop before freeing. */
		mf_transport_close(t, NULL, NULL);
		return r;
	}
	*out = t;
	mf_transport_drain(t); /* arms the timer */
	return 0;
}

void mf_transport_close(mf_transport_t *t, void (*done)(void *ctx), void *ctx)
{
	if (t->closing)
		return;
	t->closing = true;
	t->done = done;
	t->done_ctx = ctx;
	mf_tstream_close_all(t);
	uv_close((uv_handle_t *)&t->udp, on_handle_closed);
	uv_close((uv_handle_t *)&t->listener, on_handle_closed);
	uv_close((uv_handle_t *)&t->timer, on_handle_closed);
}

mf_pool_t *mf_transport_pool(const mf_transport_t *t)
{
	return t->pool;
}

void mf_transport_get_stats(const mf_transport_t *t, struct mf_transport_stats *s)
{
	*s = t->stats;
	s->inbound_now = t->inbound.n;
	s->outbound_now = t->outbound.n;
	s->inbound_bytes = t->inbound_bytes;
}

void mf_transport_bound(const mf_transport_t *t, struct mf_addr *a)
{
	*a = t->bound;
}

/* --- pool operations ------------------------------------------------------*/

int mf_transport_join(mf_transport_t *t, const struct mf_addr *addr, uint64_t *join_id)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_join(t->pool, mf_transport_now(t), addr, join_id);
	mf_transport_drain(t);
	return r;
}

int mf_transport_leave(mf_transport_t *t)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_leave(t->pool, mf_transport_now(t));
	mf_transport_drain(t);
	return r;
}

int mf_transport_force_leave(mf_transport_t *t, const char *name)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_force_leave(t->pool, mf_transport_now(t), name);
	mf_transport_drain(t);
	return r;
}

int mf_transport_set_meta(mf_transport_t *t, const uint8_t *meta, size_t len)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_set_meta(t->pool, mf_transport_now(t), meta, len);
	mf_transport_drain(t);
	return r;
}

int mf_transport_broadcast_user(mf_transport_t *t, const char *key, const uint8_t *msg,
				size_t len)
{
	if (t->closing)
		return MF_ESTATE;
	/* Queues only; the next gossip round carries it: re-arm, as an idle
	 * pool's timer skips the gossip ticks (mf_pool_next_wake). */
	int r = mf_pool_broadcast_user(t->pool, key, msg, len);
	rearm(t);
	return r;
}

int mf_transport_send_user_stream(mf_transport_t *t, const char *node, const uint8_t *msg,
				  size_t len)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_send_user_stream(t->pool, mf_transport_now(t), node, msg, len);
	mf_transport_drain(t);
	return r;
}

int mf_transport_send_user_to(mf_transport_t *t, const struct mf_addr *to, const uint8_t *msg,
			      size_t len)
{
	if (t->closing)
		return MF_ESTATE;
	int r = mf_pool_send_user_to(t->pool, to, msg, len);
	mf_transport_drain(t);
	return r;
}

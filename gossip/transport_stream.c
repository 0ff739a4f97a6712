/*
 * gossip/transport_stream.c — TCP streams for one pool.
 *
 * memberlist opens a fresh TCP connection per exchange and carries ONE
 * message each way (net.go handleConn / sendAndReceiveState), so a stream
 * here is: inbound — read one frame (mf_codec_stream_feed), hand it to
 * the pool, write its reply if any, close; outbound — connect, write the
 * pool's bytes, read one frame back if a reply is expected, close.
 *
 * Every stream carries its own deadline timer and a byte limit, so a peer
 * that is slow, silent or hostile costs one file descriptor for at most one
 * tcp_timeout and never blocks the loop. Before a frame is whole nothing is
 * authenticated, so inbound streams are also bounded together: at most
 * max_inbound_per_addr per source IP (one address cannot take every slot)
 * and max_inbound_bytes of read buffers in all; when that budget is reached
 * the stream holding the most is dropped (an attacker's, unless the
 * requester is itself the largest). Buffers grow with the bytes received
 * (doubling), and framing resumes where it stopped (mf_codec_stream_feed). Outcomes of outbound streams are
 * told to the pool from callbacks (never during a drain); a stream that
 * fails synchronously is closed first and reported from its close callback.
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/transport_internal.h"
#include "gossip/wire.h"

#define MF_READ_CHUNK 65536 /* most asked of the kernel per read */
#define MF_READ_FIRST 4096  /* first buffer: a stream that sends little holds little */

static void list_add(struct mf_tstream_list *l, struct mf_tstream *s)
{
	s->prev = NULL;
	s->next = l->head;
	if (l->head)
		l->head->prev = s;
	l->head = s;
	l->n++;
}

static void list_del(struct mf_tstream_list *l, struct mf_tstream *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	l->n--;
}

static struct mf_tstream *find_inbound(mf_transport_t *t, uint64_t id)
{
	for (struct mf_tstream *s = t->inbound.head; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void release_rbuf(struct mf_tstream *s)
{
	if (!s->outbound)
		s->t->inbound_bytes -= s->rcap;
	free(s->rbuf);
	s->rbuf = NULL;
	s->rlen = s->rcap = 0;
}

static void on_stream_handle_closed(uv_handle_t *h)
{
	struct mf_tstream *s = h->data;
	if (--s->open_handles > 0)
		return;
	mf_transport_t *t = s->t;
	list_del(s->outbound ? &t->outbound : &t->inbound, s);
	bool report = s->outbound && s->report_failed && !t->closing;
	uint64_t id = s->id;
	release_rbuf(s);
	free(s->wbuf);
	free(s);
	if (report) {
		t->stats.streams_failed++;
		mf_pool_stream_failed(t->pool, mf_transport_now(t), id);
		t->drain(t);
	}
	t->maybe_done(t);
}

static void stream_close(struct mf_tstream *s)
{
	if (s->state == MF_TS_CLOSING)
		return;
	s->state = MF_TS_CLOSING;
	if (s->counted) {
		s->counted = false;
		s->t->inbound_active--;
	}
	uv_close((uv_handle_t *)&s->tcp, on_stream_handle_closed);
	uv_close((uv_handle_t *)&s->timer, on_stream_handle_closed);
}

static void on_deadline(uv_timer_t *h)
{
	struct mf_tstream *s = h->data;
	s->t->stats.streams_timed_out++;
	stream_close(s);
}

static struct mf_tstream *stream_new(mf_transport_t *t, bool outbound)
{
	struct mf_tstream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->t = t;
	s->outbound = outbound;
	uv_tcp_init(t->loop, &s->tcp);
	uv_timer_init(t->loop, &s->timer);
	s->tcp.data = s->timer.data = s->connect_req.data = s->write_req.data = s;
	s->open_handles = 2;
	mf_stream_framer_init(&s->fr);
	list_add(outbound ? &t->outbound : &t->inbound, s);
	return s;
}

/* The largest inbound buffer still being read, other than `not`. */
static struct mf_tstream *largest_reading(mf_transport_t *t, const struct mf_tstream *not)
{
	struct mf_tstream *best = NULL;
	for (struct mf_tstream *v = t->inbound.head; v; v = v->next)
		if (v != not && v->state == MF_TS_READING && (!best || v->rcap > best->rcap))
			best = v;
	return best;
}

/* Makes room for an inbound buffer to grow by `more` bytes: 0, or -1 when
 * the requester must go. Victims are closed and their buffers freed now. */
static int inbound_budget(struct mf_tstream *s, size_t more)
{
	mf_transport_t *t = s->t;
	while (t->inbound_bytes + more > t->cfg.max_inbound_bytes) {
		struct mf_tstream *v = largest_reading(t, s);
		t->stats.streams_over_budget++;
		if (!v || v->rcap <= s->rcap + more)
			return -1;
		release_rbuf(v);
		stream_close(v);
	}
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mf_tstream *s = h->data;
	size_t max = s->t->cfg.max_stream_bytes;
	(void)suggested;
	/* Ask the kernel for about as much as already came (4 KB to 64 KB),
	 * so the buffer at most doubles what the peer actually sent. One byte
	 * of slack past the limit so an oversize stream is detected. */
	size_t want = s->rlen < MF_READ_FIRST ? MF_READ_FIRST : s->rlen;
	if (want > MF_READ_CHUNK)
		want = MF_READ_CHUNK;
	if (s->rlen + want > max + 1)
		want = max + 1 - s->rlen;
	if (s->rcap - s->rlen < want) {
		size_t cap = s->rcap ? s->rcap : MF_READ_FIRST;
		while (cap - s->rlen < want)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		if (!s->outbound && inbound_budget(s, cap - s->rcap) < 0) {
			*buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
			return;
		}
		uint8_t *p = realloc(s->rbuf, cap);
		if (!p) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		if (!s->outbound)
			s->t->inbound_bytes += cap - s->rcap;
		s->rbuf = p;
		s->rcap = cap;
	}
	*buf = uv_buf_init((char *)s->rbuf + s->rlen, (unsigned)want);
}

/* Appends what was read; returns the frame length when one is complete,
 * 0 when more is needed, -1 when the stream must be dropped. */
static long long read_frame(struct mf_tstream *s, ssize_t nread)
{
	mf_transport_t *t = s->t;
	if (nread < 0)
		return -1; /* EOF or error before a whole frame */
	s->rlen += (size_t)nread;
	size_t frame_len = 0;
	int r = mf_codec_stream_feed(&s->fr, s->rbuf, s->rlen, &frame_len);
	if (r < 0) {
		t->stats.streams_bad++;
		return -1;
	}
	if (r == 1)
		return (long long)frame_len;
	if (s->rlen > t->cfg.max_stream_bytes) {
		t->stats.streams_oversize++;
		return -1;
	}
	return 0;
}

/* What a read callback does first, inbound or outbound: the frame length
 * once a frame is complete (reading then stopped), else 0: more is needed,
 * nothing came, the stream is not reading, or it had to be dropped (then
 * closed here). */
static long long take_read(struct mf_tstream *s, ssize_t nread)
{
	long long n = nread == 0 || s->state != MF_TS_READING ? 0 : read_frame(s, nread);
	if (n < 0) {
		stream_close(s);
		return 0;
	}
	if (n > 0)
		uv_read_stop((uv_stream_t *)&s->tcp);
	return n;
}

/* --- inbound ----------------------------------------------------------------*/

static void on_inbound_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
	struct mf_tstream *s = h->data;
	mf_transport_t *t = s->t;
	(void)buf;
	long long n = take_read(s, nread);
	if (n == 0)
		return;
	s->state = MF_TS_AWAIT_POOL;
	/* The pool answers through the drain: REPLY or CLOSE for this id. */
	(void)mf_pool_stream_in(t->pool, mf_transport_now(t), s->id, &s->peer, s->rbuf,
				(size_t)n);
	release_rbuf(s); /* the pool has taken what it needs */
	t->drain(t);
}

/* Inbound streams from the same IP as `s`, not closing, other than `s`. */
static size_t streams_from(mf_transport_t *t, const struct mf_tstream *s)
{
	size_t n = 0;
	for (struct mf_tstream *v = t->inbound.head; v; v = v->next)
		if (v != s && v->state != MF_TS_CLOSING && v->peer.ip_len == s->peer.ip_len &&
		    memcmp(v->peer.ip, s->peer.ip, s->peer.ip_len) == 0)
			n++;
	return n;
}

void mf_tstream_on_connection(uv_stream_t *server, int status)
{
	mf_transport_t *t = server->data;
	if (status < 0 || t->closing)
		return;
	struct mf_tstream *s = stream_new(t, false);
	if (!s) {
		t->stats.streams_rejected++;
		return; /* the kernel keeps it in the backlog; retried next event */
	}
	s->state = MF_TS_READING;
	if (uv_accept(server, (uv_stream_t *)&s->tcp) < 0) {
		stream_close(s);
		return;
	}
	/* Over a limit: accept and close at once, so the backlog drains.
	 * Streams already closing do not count: a burst of refusals must not
	 * refuse the honest connection that follows it. */
	if (t->inbound_active >= t->cfg.max_inbound) {
		t->stats.streams_rejected++;
		stream_close(s);
		return;
	}
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) < 0 ||
	    mf_transport_addr_from_sockaddr((struct sockaddr *)&ss, &s->peer) < 0) {
		stream_close(s);
		return;
	}
	if (streams_from(t, s) >= t->cfg.max_inbound_per_addr) {
		t->stats.streams_rejected_addr++;
		stream_close(s);
		return;
	}
	s->counted = true;
	t->inbound_active++;
	t->stats.streams_accepted++;
	s->id = ++t->next_inbound_id;
	uv_timer_start(&s->timer, on_deadline, (uint64_t)(t->cfg.inbound_timeout / MF_MS), 0);
	if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_inbound_read) < 0)
		stream_close(s);
}

/* s's one message, copied (the pool's bytes last only until its next
 * call); false when out of memory, the stream then closed. */
static bool keep_message(struct mf_tstream *s, const uint8_t *data, size_t len)
{
	s->wbuf = malloc(len ? len : 1);
	if (!s->wbuf) {
		stream_close(s);
		return false;
	}
	memcpy(s->wbuf, data, len);
	s->wlen = len;
	return true;
}

/* Writes the kept message; cb when written; closes s when libuv refuses. */
static void write_message(struct mf_tstream *s, uv_write_cb cb)
{
	s->state = MF_TS_WRITING;
	uv_buf_t b = uv_buf_init((char *)s->wbuf, (unsigned)s->wlen);
	if (uv_write(&s->write_req, (uv_stream_t *)&s->tcp, &b, 1, cb) < 0)
		stream_close(s);
}

static void on_reply_written(uv_write_t *req, int status)
{
	struct mf_tstream *s = req->data;
	(void)status;
	stream_close(s); /* one message per stream, as memberlist */
}

void mf_tstream_reply(mf_transport_t *t, uint64_t id, const uint8_t *data, size_t len)
{
	struct mf_tstream *s = find_inbound(t, id);
	if (!s || s->state == MF_TS_CLOSING || s->state == MF_TS_WRITING)
		return; /* timed out meanwhile, or a duplicate answer */
	uv_read_stop((uv_stream_t *)&s->tcp);
	if (keep_message(s, data, len))
		write_message(s, on_reply_written);
}

void mf_tstream_close_inbound(mf_transport_t *t, uint64_t id)
{
	struct mf_tstream *s = find_inbound(t, id);
	if (s && s->state != MF_TS_WRITING)
		stream_close(s);
}

/* --- outbound ---------------------------------------------------------------*/

static void on_outbound_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
	struct mf_tstream *s = h->data;
	mf_transport_t *t = s->t;
	(void)buf;
	long long n = take_read(s, nread); /* a stream dropped there is reported as failed */
	if (n == 0)
		return;
	s->report_failed = false;
	(void)mf_pool_stream_reply(t->pool, mf_transport_now(t), s->id, s->rbuf, (size_t)n);
	stream_close(s);
	t->drain(t);
}

/* Whether an outbound step's callback should go on: not when the stream
 * is closing already, nor (closing it) when the step failed. */
static bool step_ok(struct mf_tstream *s, int status)
{
	if (s->state == MF_TS_CLOSING)
		return false;
	if (status < 0) {
		stream_close(s);
		return false;
	}
	return true;
}

static void on_request_written(uv_write_t *req, int status)
{
	struct mf_tstream *s = req->data;
	if (!step_ok(s, status))
		return;
	if (!s->expect_reply) {
		s->report_failed = false; /* delivered to the kernel: done */
		stream_close(s);
		return;
	}
	s->state = MF_TS_READING;
	if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_outbound_read) < 0)
		stream_close(s);
}

static void on_connected(uv_connect_t *req, int status)
{
	struct mf_tstream *s = req->data;
	if (step_ok(s, status))
		write_message(s, on_request_written);
}

void mf_tstream_open(mf_transport_t *t, const struct mf_pool_out *o)
{
	struct mf_tstream *s = stream_new(t, true);
	if (!s) {
		/* No memory for even the stream: the pool's own timeouts recover. */
		t->stats.streams_failed++;
		return;
	}
	s->id = o->stream_id;
	s->peer = o->to;
	s->expect_reply = o->expect_reply;
	s->report_failed = true;
	s->state = MF_TS_CONNECTING;
	t->stats.streams_opened++;
	if (t->outbound.n > t->cfg.max_outbound) {
		stream_close(s);
		return;
	}
	if (!keep_message(s, o->data, o->len))
		return;
	mf_time_t timeout = o->timeout > 0 ? o->timeout : t->cfg.inbound_timeout;
	uv_timer_start(&s->timer, on_deadline, (uint64_t)(timeout / MF_MS), 0);
	struct sockaddr_storage ss;
	if (mf_transport_addr_to_sockaddr(&o->to, &ss) < 0 ||
	    uv_tcp_connect(&s->connect_req, &s->tcp, (const struct sockaddr *)&ss, on_connected) < 0)
		stream_close(s);
}

void mf_tstream_close_all(mf_transport_t *t)
{
	for (struct mf_tstream *s = t->inbound.head; s; s = s->next)
		stream_close(s);
	for (struct mf_tstream *s = t->outbound.head; s; s = s->next)
		stream_close(s);
}

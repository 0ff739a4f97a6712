/*
 * cmd/gateway/relay.c — both directions of a connection, opaque bytes.
 *
 * Reads land in the gateway's one read buffer (one loop: one read at a
 * time; MF_GWD_READ_BUF, 256 KiB, so a busy stream moves up to 256 KiB
 * per read/write pair), are offered to the kernel at once with
 * uv_try_write, and only a remainder the kernel did not take is copied
 * into a write request. So an idle relay holds no buffer at all, and a
 * busy one holds only what its slower side has not taken: the buffer is
 * the loop's, so it needs no per-connection growing and shrinking.
 * Backpressure: while any bytes wait for one side (a remainder the kernel
 * did not take), the other side is not read; it is read again once they
 * are all written. A read is at most -max-unwritten bytes, so that is the
 * most one side ever waits on. The bytes stay in the kernel's socket
 * buffers meanwhile instead of being read and copied (measured: about 20%
 * less CPU per GB than reading on up to a bound, docs/bench.md).
 * Half-close: EOF from one side becomes a shutdown (FIN) of the other once
 * its queued bytes are written; the connection closes when both
 * directions are shut, on any error, or after -idle-timeout without a byte
 * either way.
 * Profiled under bulk transfer (perf, docs/bench.md): the kernel's TCP
 * work is about 95% of the gateway's CPU, the two copies to and from user
 * space about 13%, the copies of queued remainders and their mallocs
 * 0.1%. splice(2) would save only the former copies, and would have to
 * read the socket behind libuv's stream (which cannot be told to leave
 * an fd it watches to a uv_poll_t); not used.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/daemon/write_copy.h"
#include "cmd/gateway/gwd.h"
#include "gateway/proxy_v2.h"

static struct mf_gwd_conn *conn_of(uv_handle_t *h)
{
	return h->data;
}

static void maybe_finish(struct mf_gwd_conn *c)
{
	if (c->dir[0].shut && c->dir[1].shut)
		mf_gwd_conn_close(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void on_relay_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mf_gwd *g = conn_of(h)->g;
	size_t n = g->opt.max_unwritten < MF_GWD_READ_BUF ? g->opt.max_unwritten : MF_GWD_READ_BUF;
	*buf = uv_buf_init((char *)g->readbuf, (unsigned)n);
}

static void on_written(uv_write_t *req, int status)
{
	size_t len;
	struct mf_gwd_conn *c = conn_of((uv_handle_t *)req->handle);
	struct mf_gwd_dir *d = mf_write_copy_done(req, &len);
	d->unwritten -= len;
	if (c->state != MF_GWD_C_RELAY)
		return;
	if (status < 0) {
		mf_log_debug(&c->g->log, "relay %s <-> %s: write: %s", c->peer, c->target,
			     uv_strerror(status));
		mf_gwd_conn_close(c);
		return;
	}
	c->last_io = mf_gwd_now(c->g); /* bytes moved: not idle */
	if (d->paused && !d->eof && d->unwritten == 0) {
		d->paused = false;
		if (uv_read_start((uv_stream_t *)d->from, on_relay_alloc, on_read) < 0)
			mf_gwd_conn_close(c);
	}
}

/* Queues p[0..n) on d->to after what is already queued. */
static int queue(struct mf_gwd_conn *c, struct mf_gwd_dir *d, const uv_buf_t *bufs,
		 unsigned nbufs)
{
	size_t n = 0;
	for (unsigned i = 0; i < nbufs; i++)
		n += bufs[i].len;
	int r = mf_write_copy((uv_stream_t *)d->to, bufs, nbufs, d, on_written);
	if (r < 0)
		return r;
	d->unwritten += n;
	if (!d->paused && !d->eof) {
		d->paused = true;
		uv_read_stop((uv_stream_t *)d->from);
	}
	return 0;
}

/* Writes what the kernel takes now, queues the rest. */
static int send_bytes(struct mf_gwd_conn *c, struct mf_gwd_dir *d, uv_buf_t *bufs,
		      unsigned nbufs)
{
	int r = d->unwritten ? UV_EAGAIN : uv_try_write((uv_stream_t *)d->to, bufs, nbufs);
	if (r == UV_EAGAIN)
		r = 0;
	if (r < 0)
		return MF_EIO;
	size_t done = (size_t)r;
	while (nbufs && done >= bufs[0].len) {
		done -= bufs[0].len;
		bufs++;
		nbufs--;
	}
	if (!nbufs)
		return 0;
	bufs[0].base += done;
	bufs[0].len -= done;
	return queue(c, d, bufs, nbufs);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct mf_gwd_dir *d = req->data;
	struct mf_gwd_conn *c = conn_of((uv_handle_t *)req->handle);
	if (c->state != MF_GWD_C_RELAY)
		return;
	if (status < 0) {
		mf_gwd_conn_close(c);
		return;
	}
	d->shut = true;
	maybe_finish(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct mf_gwd_conn *c = conn_of((uv_handle_t *)st);
	if (c->state != MF_GWD_C_RELAY)
		return;
	struct mf_gwd_dir *d = &c->dir[st == (uv_stream_t *)&c->down ? 0 : 1];
	if (nread > 0) {
		c->last_io = mf_gwd_now(c->g);
		*d->bytes += (uint64_t)nread;
		uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
		if (send_bytes(c, d, &b, 1) < 0)
			mf_gwd_conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	if (nread != UV_EOF) {
		mf_log_debug(&c->g->log, "relay %s <-> %s: read: %s", c->peer, c->target,
			     uv_strerror((int)nread));
		mf_gwd_conn_close(c);
		return;
	}
	d->eof = true;
	uv_read_stop(st);
	d->sreq.data = d;
	if (uv_shutdown(&d->sreq, (uv_stream_t *)d->to, on_shutdown) < 0)
		mf_gwd_conn_close(c);
}

static void on_idle_timer(uv_timer_t *t)
{
	struct mf_gwd_conn *c = t->data;
	if (c->state != MF_GWD_C_RELAY)
		return;
	mf_time_t now = mf_gwd_now(c->g), idle = c->g->opt.idle_timeout;
	if (now - c->last_io >= idle) {
		c->g->st.idle_closed++;
		mf_log_debug(&c->g->log, "relay %s <-> %s: idle for %.0fs, closed", c->peer,
			     c->target, (double)idle / MF_SEC);
		mf_gwd_conn_close(c);
		return;
	}
	uv_timer_start(t, on_idle_timer, (uint64_t)((c->last_io + idle - now) / MF_MS) + 1, 0);
}

int mf_gwd_relay_start(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	c->state = MF_GWD_C_RELAY;
	g->st.relaying++;
	c->dir[0] = (struct mf_gwd_dir){.from = &c->down, .to = &c->up, .bytes = &g->st.bytes_up};
	c->dir[1] = (struct mf_gwd_dir){.from = &c->up, .to = &c->down, .bytes = &g->st.bytes_down};
	c->last_io = mf_gwd_now(g);

	/* What was read while deciding, behind our PROXY header when the next
	 * hop is a gateway. */
	uint8_t pp2[MF_PP2_MAX_LEN];
	uv_buf_t bufs[2];
	unsigned n = 0;
	if (c->remote) {
		struct mf_pp2_header h = {.command = MF_PP2_PROXY, .has_hops = true,
					  .hops = c->hops_out};
		/* The original client and the address it dialed, carried on from
		 * hop to hop as HAProxy's send-proxy-v2 does. */
		h.src = c->client_addr;
		h.dst = c->client_dst;
		if (h.dst.ip_len != h.src.ip_len || h.src.ip_len == 0)
			h.command = MF_PP2_LOCAL; /* no addresses: only the hop count */
		int len = mf_pp2_encode(&h, pp2, sizeof(pp2));
		if (len < 0)
			return len;
		bufs[n++] = uv_buf_init((char *)pp2, (unsigned)len);
	}
	size_t head = c->len - c->pp2_len;
	if (head)
		bufs[n++] = uv_buf_init((char *)c->buf + c->pp2_len, (unsigned)head);
	g->st.bytes_up += head;
	int r = n ? send_bytes(c, &c->dir[0], bufs, n) : 0;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	mf_ch_free(&c->ch);
	if (r < 0)
		return r;
	if (uv_read_start((uv_stream_t *)&c->down, on_relay_alloc, on_read) < 0 ||
	    uv_read_start((uv_stream_t *)&c->up, on_relay_alloc, on_read) < 0)
		return MF_EIO;
	if (c->dir[0].paused)
		uv_read_stop((uv_stream_t *)&c->down);
	uv_timer_start(&c->timer, on_idle_timer, (uint64_t)(g->opt.idle_timeout / MF_MS) + 1, 0);
	return 0;
}

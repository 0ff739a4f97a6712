/* cmd/daemon/control.c — see cmd/daemon/control.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/daemon/control.h"
#include "cmd/daemon/unix_listen.h"
#include "cmd/daemon/write_copy.h"

struct client {
	struct client *prev, *next;
	struct mf_control *srv;
	uv_pipe_t pipe;
	uv_timer_t idle;
	uv_timer_t resume;     /* next batch of pipelined requests */
	bool yielded;          /* a batch is done: the rest after other work */
	uint64_t id;
	uint64_t last_active;  /* uv_now() of its last request or answer */
	char *line;            /* bytes of the request being read */
	size_t len;
	bool busy;             /* a deferred request is outstanding */
	bool closing;
	bool close_after_write;
	bool paused;           /* reading stopped: too many unread responses */
	bool streaming;        /* its deferred request streams lines (monitor) */
	int open_handles;
	size_t pending_bytes;  /* written but not yet flushed to the peer */
	size_t pending_writes;
};

struct mf_control {
	uv_loop_t *loop;
	uv_pipe_t listener;
	struct mf_control_handler h;
	char path[108];
	struct client *clients;
	size_t n_clients;      /* including those whose handles are closing */
	size_t n_live;         /* not closing: what MF_CONTROL_MAX_CLIENTS bounds */
	uint64_t evicted;      /* idle clients dropped to make room */
	uint64_t next_id;
	int open_handles;
	bool closing;
	void (*done)(void *ctx);
	void *done_ctx;
};

static void maybe_done(struct mf_control *s)
{
	if (!s->closing || s->open_handles > 0 || s->n_clients > 0)
		return;
	void (*done)(void *) = s->done;
	void *ctx = s->done_ctx;
	free(s);
	if (done)
		done(ctx);
}

static void on_client_handle_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct mf_control *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_clients--;
	free(c->line);
	free(c);
	maybe_done(s);
}

static void client_close(struct client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->srv->n_live--;
	if (c->streaming && c->srv->h.on_stream_closed && !c->srv->closing)
		c->srv->h.on_stream_closed(c->srv->h.ctx, c->id);
	uv_close((uv_handle_t *)&c->pipe, on_client_handle_closed);
	uv_close((uv_handle_t *)&c->idle, on_client_handle_closed);
	uv_close((uv_handle_t *)&c->resume, on_client_handle_closed);
}

static void on_idle(uv_timer_t *t)
{
	client_close(t->data);
}

static void process_lines(struct client *c);
static void maybe_read(struct client *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
	size_t len;
	struct client *c = mf_write_copy_done(req, &len);
	c->pending_bytes -= len;
	c->pending_writes--;
	if (status < 0 || (c->close_after_write && c->pending_writes == 0)) {
		client_close(c);
		return;
	}
	if (c->paused && !c->closing && c->pending_bytes <= MF_CONTROL_PAUSE_PENDING / 2) {
		c->paused = false;
		process_lines(c);
		maybe_read(c);
	}
}

/* Queues len bytes of data (a newline added when nl); false when the
 * client was dropped. touch: counts as activity for the idle timer. */
static bool client_write(struct client *c, const char *data, size_t len, bool nl, bool touch)
{
	size_t total = len + (nl ? 1 : 0);
	uv_buf_t b[2] = {uv_buf_init((char *)data, (unsigned)len), uv_buf_init("\n", 1)};
	/* Past the bound the client does not read its answers: drop it, not
	 * the agent. */
	if (c->pending_bytes + total > MF_CONTROL_MAX_PENDING ||
	    mf_write_copy((uv_stream_t *)&c->pipe, b, nl ? 2 : 1, c, on_written) < 0) {
		client_close(c);
		return false;
	}
	c->pending_bytes += total;
	c->pending_writes++;
	if (touch) {
		c->last_active = uv_now(c->srv->loop);
		uv_timer_again(&c->idle);
	}
	return true;
}

static void client_send(struct client *c, json_t *resp)
{
	char *s = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (c->closing) {
		free(s);
		return;
	}
	if (!s) {
		client_close(c);
		return;
	}
	(void)client_write(c, s, strlen(s), true, true);
	free(s);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;
	(void)suggested;
	/* One byte of slack to detect an over-long line. */
	*buf = uv_buf_init(c->line + c->len, (unsigned)(MF_CONTROL_MAX_LINE + 1 - c->len));
}

static void on_resume(uv_timer_t *t);

/* Handles the complete lines in the buffer until a request is deferred, at
 * most MF_CONTROL_BATCH of them: a client pipelining thousands of requests
 * gets the rest after the loop has run everything else once. */
static void process_lines(struct client *c)
{
	int done = 0;
	while (!c->busy && !c->closing) {
		if (done == MF_CONTROL_BATCH && memchr(c->line, '\n', c->len)) {
			c->yielded = true;
			uv_read_stop((uv_stream_t *)&c->pipe);
			uv_timer_start(&c->resume, on_resume, 0, 0);
			break;
		}
		if (c->pending_bytes > MF_CONTROL_PAUSE_PENDING) {
			/* Answers pile up unread: stop reading (and working) for
			 * this client until they drain (on_written resumes). */
			c->paused = true;
			uv_read_stop((uv_stream_t *)&c->pipe);
			break;
		}
		json_t *req, *resp;
		if (mf_control_line_take(c->line, &c->len, &req, &resp) == 0)
			break;
		if (!req && !resp) {
			client_close(c); /* out of memory for the error answer */
			break;
		}
		if (req)
			resp = c->srv->h.on_request(c->srv->h.ctx, c->id, req);
		json_decref(req);
		done++;
		if (resp) {
			client_send(c, resp);
		} else {
			c->busy = true;
			if (!c->streaming) /* a stream is read to see its hang-up */
				uv_read_stop((uv_stream_t *)&c->pipe);
			uv_timer_stop(&c->idle); /* a join may legitimately take long */
		}
	}
	if (!c->busy && !c->closing && c->len > MF_CONTROL_MAX_LINE) {
		client_send(c, mf_control_error("request line longer than %d bytes",
						MF_CONTROL_MAX_LINE));
		c->close_after_write = true;
		uv_read_stop((uv_stream_t *)&c->pipe);
	}
}

/* Reading resumes once nothing holds it back. */
static void maybe_read(struct client *c)
{
	if (!c->busy && !c->closing && !c->paused && !c->yielded && !c->close_after_write)
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_resume(uv_timer_t *t)
{
	struct client *c = t->data;
	if (c->closing)
		return;
	c->yielded = false;
	process_lines(c);
	maybe_read(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = st->data;
	(void)buf;
	if (c->streaming) { /* read only to see the hang-up; input ignored */
		if (nread < 0)
			client_close(c);
		return;
	}
	if (nread < 0) {
		/* EOF: finish answering what was asked, then close. */
		if (c->pending_writes == 0 && !c->busy)
			client_close(c);
		else
			c->close_after_write = true;
		uv_read_stop(st);
		return;
	}
	c->len += (size_t)nread;
	c->last_active = uv_now(c->srv->loop);
	uv_timer_again(&c->idle);
	process_lines(c);
}

void mf_control_respond(struct mf_control *s, uint64_t client_id, json_t *resp)
{
	struct client *c;
	for (c = s->clients; c; c = c->next)
		if (c->id == client_id)
			break;
	if (!c || c->closing || !c->busy) {
		json_decref(resp);
		return;
	}
	c->busy = false;
	client_send(c, resp);
	if (c->closing)
		return;
	if (c->close_after_write) {
		if (c->pending_writes == 0)
			client_close(c);
		return;
	}
	process_lines(c);
	maybe_read(c);
}

int mf_control_stream(struct mf_control *s, uint64_t client_id, const char *line, size_t len,
		      size_t max_pending)
{
	struct client *c;
	for (c = s->clients; c; c = c->next)
		if (c->id == client_id)
			break;
	if (!c || c->closing)
		return MF_ENOTFOUND;
	if (!c->streaming) {
		c->streaming = true;
		int r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
		if (r < 0 && r != UV_EALREADY) { /* inside on_request it is reading */
			client_close(c);
			return MF_ENOTFOUND;
		}
	}
	if (len == 0)
		return 0;
	if (c->pending_bytes + len > max_pending)
		return MF_ETOOBIG;
	/* Not activity: the idle timer stays stopped, as for any deferred request. */
	return client_write(c, line, len, false, false) ? 0 : MF_ENOTFOUND;
}

/* Full: the client idle longest (no request in progress, nothing unsent)
 * makes room, so a flood of idle connections cannot lock the CLI out; only
 * clients with work outstanding are never dropped. */
static bool evict_idle(struct mf_control *s, const struct client *newcomer)
{
	struct client *old = NULL;
	for (struct client *c = s->clients; c; c = c->next)
		if (c != newcomer && !c->closing && !c->busy && c->pending_writes == 0 &&
		    (!old || c->last_active <= old->last_active))
			old = c;
	if (!old)
		return false;
	s->evicted++;
	client_close(old);
	return true;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct mf_control *s = server->data;
	if (status < 0 || s->closing)
		return;
	struct client *c = calloc(1, sizeof(*c));
	char *line = malloc(MF_CONTROL_MAX_LINE + 1);
	if (!c || !line) {
		free(c);
		free(line);
		return;
	}
	c->srv = s;
	c->line = line;
	c->id = ++s->next_id;
	c->last_active = uv_now(s->loop);
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->idle);
	uv_timer_init(s->loop, &c->resume);
	c->pipe.data = c->idle.data = c->resume.data = c;
	c->open_handles = 3;
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	s->n_live++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    (s->n_live > MF_CONTROL_MAX_CLIENTS && !evict_idle(s, c))) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, MF_CONTROL_IDLE_MS, MF_CONTROL_IDLE_MS);
	if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_close(c);
}

void mf_control_get_stats(const struct mf_control *s, struct mf_control_stats *st)
{
	st->clients = s->n_live;
	st->evicted = s->evicted;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct mf_control *s = h->data;
	s->open_handles--;
	maybe_done(s);
}

int mf_control_new(uv_loop_t *loop, const char *path, const struct mf_control_handler *h,
		   struct mf_control **out, char *err, size_t errcap)
{
	struct mf_control *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	s->loop = loop;
	s->h = *h;
	snprintf(s->path, sizeof(s->path), "%s", path);
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	s->open_handles = 1;
	if (mf_unix_listen(&s->listener, path, 0600, (gid_t)-1, 64, on_connection,
			   "control socket", err, errcap) < 0) {
		s->closing = true;
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
		return -1;
	}
	*out = s;
	return 0;
}

void mf_control_close(struct mf_control *s, void (*done)(void *ctx), void *ctx)
{
	if (s->closing)
		return;
	s->closing = true;
	s->done = done;
	s->done_ctx = ctx;
	unlink(s->path);
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->pending_writes == 0 || c->closing) {
			client_close(c);
			continue;
		}
		/* Let a last answer (to `leave`) reach its reader, briefly. */
		c->close_after_write = true;
		uv_read_stop((uv_stream_t *)&c->pipe);
		uv_timer_start(&c->idle, on_idle, 1000, 0);
	}
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

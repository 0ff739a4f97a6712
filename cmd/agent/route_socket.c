/* cmd/agent/route_socket.c — see cmd/agent/route_socket.h. */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/agent/route_socket.h"
#include "cmd/daemon/unix_listen.h"
#include "cmd/daemon/write_copy.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "routing/route_proto.h"
#include "routing/route_pub.h"

#define MF_RS_READ_MIN 4096 /* first read buffer; doubled up to the line bound */

struct client {
	struct mf_route_socket *rs;
	uv_pipe_t pipe;
	uint64_t id;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char *buf;              /* bytes of the line being read */
	size_t len, cap;
	size_t pending_bytes;   /* written but not yet flushed to the peer */
	size_t pending_writes;
	bool in_pub;            /* the core knows it */
	bool closing;           /* uv_close called */
	bool draining;          /* dropped: closes once flushed or at drain_until */
	mf_time_t drain_until;
};

struct mf_route_socket {
	uv_loop_t *loop;
	uv_pipe_t listener;
	uv_timer_t timer;
	struct mf_route_pub *pub;
	const struct mf_log *log;
	char path[108];
	gid_t gid;
	struct client **by_id;     /* every client, by increasing id (= age) */
	size_t n_clients, cap_by_id;
	uint64_t next_id;
	uint64_t refused;       /* connections over MF_ROUTE_SOCKET_MAX_CLIENTS */
	uint64_t closed_unflushed;
	int open_handles;
	bool closing;
	void (*gateways)(void *ctx, const struct mf_gateway *g, size_t n);
	void *ctx;
};

static mf_time_t now_ns(void)
{
	return (mf_time_t)uv_hrtime();
}

static void maybe_free(struct mf_route_socket *rs)
{
	if (!rs->closing || rs->open_handles > 0 || rs->n_clients > 0)
		return;
	mf_route_pub_free(rs->pub);
	free(rs->by_id);
	free(rs);
}

/* Index in by_id of the first client with an id >= id. */
static size_t lower_bound(const struct mf_route_socket *rs, uint64_t id)
{
	size_t lo = 0, hi = rs->n_clients;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rs->by_id[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct client *find_client(const struct mf_route_socket *rs, uint64_t id)
{
	size_t i = lower_bound(rs, id);
	return i < rs->n_clients && rs->by_id[i]->id == id ? rs->by_id[i] : NULL;
}

static void on_client_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	struct mf_route_socket *rs = c->rs;
	size_t i = lower_bound(rs, c->id);
	memmove(&rs->by_id[i], &rs->by_id[i + 1], (rs->n_clients - i - 1) * sizeof(*rs->by_id));
	rs->n_clients--;
	free(c->buf);
	free(c);
	maybe_free(rs);
}

static void client_close(struct client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->in_pub) {
		c->in_pub = false;
		(void)mf_route_pub_disconnect(c->rs->pub, c->id, now_ns());
	}
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

/* The core dropped c: stop reading, let what was sent drain, then close. */
static void client_drain(struct client *c)
{
	c->in_pub = false;
	if (c->closing || c->draining)
		return;
	c->draining = true;
	c->drain_until = now_ns() + (mf_time_t)MF_ROUTE_SOCKET_LINGER_MS * MF_MS;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (c->pending_writes == 0)
		client_close(c);
}

/* --- core hooks -------------------------------------------------------------*/

static void on_written(uv_write_t *req, int status)
{
	size_t len;
	struct client *c = mf_write_copy_done(req, &len);
	c->pending_bytes -= len;
	c->pending_writes--;
	if (status < 0 && !c->closing) {
		mf_log_debug(c->rs->log, "route socket: subscriber %llu: write: %s",
			     (unsigned long long)c->id, uv_strerror(status));
		client_close(c);
	} else if (c->draining && c->pending_writes == 0) {
		client_close(c);
	}
}

static int hook_send(void *ctx, uint64_t id, const char *line, size_t len)
{
	struct mf_route_socket *rs = ctx;
	struct client *c = find_client(rs, id);
	if (!c || c->closing)
		return MF_ESTATE;
	uv_buf_t b = uv_buf_init((char *)line, (unsigned)len);
	size_t done = 0;
	if (c->pending_writes == 0) {
		/* The kernel usually takes it all: no copy, no queue. */
		int n = uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
		if (n >= 0)
			done = (size_t)n;
		else if (n != UV_EAGAIN)
			return MF_EIO;
		if (done == len)
			return 0;
	}
	if (c->pending_bytes + (len - done) > MF_ROUTE_SOCKET_MAX_PENDING) {
		rs->closed_unflushed++;
		mf_log_warn(rs->log,
			    "route socket: closing subscriber %llu (pid %ld): %zu bytes unflushed, "
			    "it does not read",
			    (unsigned long long)c->id, (long)c->pid, c->pending_bytes + len - done);
		return MF_ETOOBIG;
	}
	b = uv_buf_init((char *)line + done, (unsigned)(len - done));
	int r = mf_write_copy((uv_stream_t *)&c->pipe, &b, 1, c, on_written);
	if (r < 0)
		return r;
	c->pending_bytes += len - done;
	c->pending_writes++;
	return 0;
}

static void hook_close(void *ctx, uint64_t id, const char *reason)
{
	struct mf_route_socket *rs = ctx;
	struct client *c = find_client(rs, id);
	if (!c)
		return;
	mf_log_warn(rs->log, "route socket: closing subscriber %llu (pid %ld, uid %lu): %s",
		    (unsigned long long)id, (long)c->pid, (unsigned long)c->uid, reason);
	client_drain(c);
}

static void hook_gateways(void *ctx, const struct mf_gateway *g, size_t n)
{
	struct mf_route_socket *rs = ctx;
	char list[512] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 g[i].name);
	mf_log_info(rs->log, "route socket: healthy registered gateways: %s",
		    n ? list : "(none)");
	if (rs->gateways)
		rs->gateways(rs->ctx, g, n);
}

/* --- reading ----------------------------------------------------------------*/

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;
	(void)suggested;
	size_t max = MF_RP_MAX_LINE + 1; /* one byte of slack detects an over-long line */
	if (c->cap - c->len < MF_RS_READ_MIN && c->cap < max) {
		size_t cap = c->cap ? 2 * c->cap : MF_RS_READ_MIN;
		if (cap > max)
			cap = max;
		char *b = realloc(c->buf, cap);
		if (b) {
			c->buf = b;
			c->cap = cap;
		}
	}
	*buf = uv_buf_init(c->buf ? c->buf + c->len : NULL, (unsigned)(c->cap - c->len));
}

static void process_lines(struct client *c)
{
	struct mf_route_socket *rs = c->rs;
	size_t start = 0;
	while (c->in_pub) {
		char *nl = memchr(c->buf + start, '\n', c->len - start);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (c->buf + start));
		int r = mf_route_pub_line(rs->pub, c->id, c->buf + start, n, now_ns());
		if (r < 0 && r != MF_ENOTFOUND)
			mf_log_warn(rs->log, "route socket: subscriber %llu: %s",
				    (unsigned long long)c->id, mf_strerror(r));
		start += n + 1;
	}
	if (start > 0) {
		memmove(c->buf, c->buf + start, c->len - start);
		c->len -= start;
	}
	if (c->in_pub && c->len > MF_RP_MAX_LINE) {
		(void)mf_route_pub_oversize(rs->pub, c->id, now_ns());
	} else if (c->cap > MF_RS_READ_MIN && c->len < MF_RS_READ_MIN / 2) {
		/* One long line must not pin 64 KiB per subscriber for good. */
		char *b = realloc(c->buf, MF_RS_READ_MIN);
		if (b) {
			c->buf = b;
			c->cap = MF_RS_READ_MIN;
		}
	}
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = st->data;
	(void)buf;
	if (nread == UV_ENOBUFS)
		return; /* out of memory growing the buffer: try on the next read */
	if (nread < 0) {
		mf_log_info(c->rs->log, "route socket: subscriber %llu (pid %ld) disconnected",
			    (unsigned long long)c->id, (long)c->pid);
		client_close(c);
		return;
	}
	c->len += (size_t)nread;
	process_lines(c);
}

/* --- accept and tick --------------------------------------------------------*/

static void on_tick(uv_timer_t *t);

static void on_connection(uv_stream_t *server, int status)
{
	struct mf_route_socket *rs = server->data;
	if (status < 0 || rs->closing)
		return;
	if (mf_grow(&rs->by_id, &rs->cap_by_id, rs->n_clients + 1, 64) < 0)
		return;
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->rs = rs;
	c->id = ++rs->next_id;
	c->pid = -1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	uv_pipe_init(rs->loop, &c->pipe, 0);
	c->pipe.data = c;
	rs->by_id[rs->n_clients++] = c; /* ids grow: stays sorted */
	if (!uv_is_active((uv_handle_t *)&rs->timer))
		uv_timer_start(&rs->timer, on_tick, MF_ROUTE_SOCKET_TICK_MS, MF_ROUTE_SOCKET_TICK_MS);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		client_close(c);
		return;
	}
	if (rs->n_clients > MF_ROUTE_SOCKET_MAX_CLIENTS) {
		rs->refused++;
		mf_log_warn(rs->log, "route socket: more than %d subscribers, refusing one",
			    MF_ROUTE_SOCKET_MAX_CLIENTS);
		client_close(c);
		return;
	}
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
	}
	mf_log_info(rs->log, "route socket: subscriber %llu connected: pid %ld, uid %lu, gid %lu",
		    (unsigned long long)c->id, (long)c->pid, (unsigned long)c->uid,
		    (unsigned long)c->gid);
	c->in_pub = true;
	int r = mf_route_pub_connect(rs->pub, c->id, c->pid, c->uid, c->gid, now_ns());
	if (r < 0) {
		mf_log_warn(rs->log, "route socket: subscriber %llu: %s", (unsigned long long)c->id,
			    mf_strerror(r));
		client_close(c);
		return;
	}
	if (c->in_pub && uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_close(c);
}

static void on_tick(uv_timer_t *t)
{
	struct mf_route_socket *rs = t->data;
	mf_time_t now = now_ns();
	int r = mf_route_pub_tick(rs->pub, now);
	if (r < 0)
		mf_log_warn(rs->log, "route socket: %s", mf_strerror(r));
	/* Dropped subscribers whose last lines did not drain in time (closed
	 * clients leave by_id in their close callback, not here). */
	for (size_t i = 0; i < rs->n_clients; i++)
		if (rs->by_id[i]->draining && now >= rs->by_id[i]->drain_until)
			client_close(rs->by_id[i]);
	/* Heartbeats and timeouts are the subscribers': with none, an idle
	 * agent need not wake for them (issue 12). The tick after the last one
	 * left has reported the gateways it took with it. */
	if (rs->n_clients == 0)
		uv_timer_stop(&rs->timer);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct mf_route_socket *rs = h->data;
	rs->open_handles--;
	maybe_free(rs);
}

int mf_route_socket_new(uv_loop_t *loop, const struct mf_route_socket_config *c,
			struct mf_route_socket **out, char *err, size_t errcap)
{
	struct mf_route_socket *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	rs->loop = loop;
	rs->log = c->log;
	rs->gid = c->gid;
	rs->gateways = c->gateways;
	rs->ctx = c->ctx;
	snprintf(rs->path, sizeof(rs->path), "%s", c->path);
	struct mf_route_pub_config pc = {
		c->datacenter, c->node, c->epoch, {rs, hook_send, hook_close, hook_gateways}};
	int r = mf_route_pub_new(&pc, &rs->pub);
	if (r < 0) {
		snprintf(err, errcap, "route socket: %s", mf_strerror(r));
		free(rs);
		return -1;
	}
	uv_pipe_init(loop, &rs->listener, 0);
	uv_timer_init(loop, &rs->timer);
	rs->listener.data = rs->timer.data = rs;
	rs->open_handles = 2;
	if (mf_unix_listen(&rs->listener, c->path, 0660, c->gid, MF_ROUTE_SOCKET_BACKLOG,
			   on_connection, "route socket", err, errcap) < 0) {
		rs->closing = true;
		uv_close((uv_handle_t *)&rs->listener, on_handle_closed);
		uv_close((uv_handle_t *)&rs->timer, on_handle_closed);
		return -1;
	}
	*out = rs; /* the timer starts with the first subscriber */
	return 0;
}

int mf_route_socket_publish(struct mf_route_socket *rs, struct mf_table *t)
{
	if (rs->closing) {
		mf_table_free(t);
		return MF_ESTATE;
	}
	return mf_route_pub_publish(rs->pub, t, now_ns());
}

void mf_route_socket_close(struct mf_route_socket *rs)
{
	if (rs->closing)
		return;
	rs->closing = true;
	unlink(rs->path);
	for (size_t i = 0; i < rs->n_clients; i++)
		client_close(rs->by_id[i]);
	uv_close((uv_handle_t *)&rs->listener, on_handle_closed);
	uv_close((uv_handle_t *)&rs->timer, on_handle_closed);
}

/* --- info -------------------------------------------------------------------*/

static json_t *sub_json(const struct mf_route_socket *rs, const struct mf_route_pub_sub_info *s)
{
	const struct client *c = find_client(rs, s->id);
	size_t unflushed = c ? c->pending_bytes : 0;
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:b,s:I,s:I}", "id", (json_int_t)s->id, "pid",
			      (json_int_t)s->pid, "uid", (json_int_t)s->uid, "gid",
			      (json_int_t)s->gid, "deltas", s->deltas, "malformed",
			      (json_int_t)s->malformed, "unflushed_bytes", (json_int_t)unflushed);
	if (!o)
		return NULL;
	json_object_set_new(o, "applied",
			    s->has_applied ? json_integer((json_int_t)s->applied) : json_null());
	json_object_set_new(o, "in_flight",
			    s->has_inflight ? json_integer((json_int_t)s->inflight) : json_null());
	json_object_set_new(o, "gateway", s->gateway ? json_string(s->gateway) : json_null());
	json_object_set_new(o, "healthy", json_boolean(s->healthy));
	return o;
}

const struct mf_route_pub *mf_route_socket_pub(const struct mf_route_socket *rs)
{
	return rs->pub;
}

json_t *mf_route_socket_info_json(const struct mf_route_socket *rs)
{
	const struct mf_route_pub_stats *s = mf_route_pub_stats(rs->pub);
	uint64_t slow_id = 0;
	uint64_t lag = mf_route_pub_max_lag(rs->pub, &slow_id);
	json_t *subs = json_array();
	size_t n = mf_route_pub_count(rs->pub);
	for (size_t i = 0; i < n; i++) {
		struct mf_route_pub_sub_info si;
		if (mf_route_pub_sub_at(rs->pub, i, &si) == 0)
			json_array_append_new(subs, sub_json(rs, &si));
	}
	json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:o}", "path", rs->path, "epoch",
			      (json_int_t)mf_route_pub_epoch(rs->pub), "version",
			      (json_int_t)mf_route_pub_version(rs->pub), "n_subscribers",
			      (json_int_t)n, "subscribers", subs);
	if (!o)
		return json_null();
	json_object_set_new(o, "slowest",
			    n ? json_pack("{s:I,s:I}", "id", (json_int_t)slow_id, "lag",
					  (json_int_t)lag)
			      : json_null());
#define U(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
	U("connects", s->connects);
	U("updates", s->updates);
	U("snapshots", s->snapshots);
	U("deltas", s->deltas);
	U("heartbeats", s->heartbeats);
	U("bytes", s->bytes);
	U("acks", s->acks);
	U("nacks", s->nacks);
	U("resumes", s->resumes);
	U("malformed_lines", s->malformed);
	U("oversized_lines", s->oversize);
	U("closed_slow", s->closed_slow);
	U("closed_garbage", s->closed_garbage);
	U("closed_unflushed", rs->closed_unflushed);
	U("registrations", s->registrations);
	U("refused", rs->refused);
#undef U
	return o;
}

int mf_route_socket_parse_group(const char *s, gid_t *gid)
{
	*gid = (gid_t)-1;
	if (!*s)
		return 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*end && !errno && v < (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	FILE *f = fopen("/etc/group", "re");
	if (!f)
		return MF_ENOTFOUND;
	int r = MF_ENOTFOUND;
	struct group *g;
	while ((g = fgetgrent(f)) != NULL) {
		if (strcmp(g->gr_name, s) == 0) {
			*gid = g->gr_gid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

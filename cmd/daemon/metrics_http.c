/*
 * cmd/daemon/metrics_http.c — the GET-only /metrics responder (cmd/daemon/metrics_http.h).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/daemon/metrics_http.h"
#include "cmd/daemon/metrics_http_head.h"
#include "gossip/err.h"

struct client {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	struct mf_metrics_http *h;
	struct client *next;
	int open_handles;
	bool answered;
	char *reply;
	size_t head_len;
	char head[MF_METRICS_HTTP_MAX_HEAD];
};

struct mf_metrics_http {
	uv_tcp_t listener;
	bool listener_open, closing;
	mf_metrics_http_render_fn render;
	void *ctx;
	struct client *clients;
	size_t n_clients;
};

static void maybe_free(struct mf_metrics_http *h)
{
	if (h->closing && !h->listener_open && !h->clients)
		free(h);
}

static void on_client_closed(uv_handle_t *hd)
{
	struct client *c = hd->data;
	if (--c->open_handles > 0)
		return;
	struct mf_metrics_http *h = c->h;
	for (struct client **pp = &h->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	h->n_clients--;
	free(c->reply);
	free(c);
	maybe_free(h);
}

static void drop(struct client *c)
{
	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	uv_close((uv_handle_t *)&c->tcp, on_client_closed);
	uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	drop(w->data);
}

static void reply(struct client *c, int code, const char *reason, const char *body,
		  size_t body_len, bool with_body)
{
	static const char ctype[] = "text/plain; version=0.0.4; charset=utf-8";
	char head[256];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Connection: close\r\n\r\n",
			  code, reason, ctype, body_len);
	size_t n = (size_t)hl + (with_body ? body_len : 0);
	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reply = malloc(n);
	if (!c->reply) {
		drop(c);
		return;
	}
	memcpy(c->reply, head, (size_t)hl);
	if (with_body)
		memcpy(c->reply + hl, body, body_len);
	uv_buf_t b = uv_buf_init(c->reply, (unsigned)n);
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
		drop(c);
}

static void error_reply(struct client *c, int code, const char *reason)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);
	reply(c, code, reason, body, (size_t)n, true);
}

/* A complete head: its request line decides (cmd/daemon/metrics_http_head.h). */
static void answer(struct client *c)
{
	bool head_only;
	int code = mf_metrics_http_route(c->head, &head_only);
	if (code != 200) {
		error_reply(c, code,
			    code == 400   ? "Bad Request"
			    : code == 405 ? "Method Not Allowed"
					  : "Not Found");
		return;
	}
	char *body = NULL;
	size_t len = 0;
	if (c->h->render(c->h->ctx, &body, &len) < 0) {
		error_reply(c, 500, "Internal Server Error");
		return;
	}
	reply(c, 200, "OK", body, len, !head_only);
	free(body);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *b)
{
	(void)suggested;
	struct client *c = hd->data;
	*b = uv_buf_init(c->head + c->head_len,
			 (unsigned)(sizeof(c->head) - 1 - c->head_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct client *c = s->data;
	if (n < 0) {
		drop(c);
		return;
	}
	if (c->answered)
		return;
	c->head_len += (size_t)n;
	c->head[c->head_len] = '\0';
	if (mf_metrics_http_head_complete(c->head))
		answer(c);
	else if (c->head_len >= sizeof(c->head) - 1)
		error_reply(c, 431, "Request Header Fields Too Large");
}

static void on_timeout(uv_timer_t *t)
{
	drop(t->data);
}

static void on_connection(uv_stream_t *srv, int status)
{
	struct mf_metrics_http *h = srv->data;
	if (status < 0)
		return;
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return; /* the pending connection waits; retried on the next one */
	c->h = h;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = h->clients;
	h->clients = c;
	h->n_clients++;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) < 0 ||
	    h->n_clients > MF_METRICS_HTTP_MAX_CLIENTS) {
		drop(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, MF_METRICS_HTTP_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		drop(c);
}

static void on_listener_closed(uv_handle_t *hd)
{
	struct mf_metrics_http *h = hd->data;
	h->listener_open = false;
	maybe_free(h);
}

int mf_metrics_http_new(uv_loop_t *loop, const struct mf_addr *addr,
			mf_metrics_http_render_fn render, void *ctx, struct mf_metrics_http **out,
			char *err, size_t errcap)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (addr->ip_len == 16) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr->ip, 16);
		s6->sin6_port = htons(addr->port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr->ip, 4);
		s4->sin_port = htons(addr->port);
	}
	char where[80];
	mf_addr_format(addr, where, sizeof(where));
	struct mf_metrics_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errcap, "out of memory");
		return MF_ENOMEM;
	}
	h->render = render;
	h->ctx = ctx;
	uv_tcp_init(loop, &h->listener);
	h->listener.data = h;
	h->listener_open = true;
	int r = uv_tcp_bind(&h->listener, (const struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&h->listener, 64, on_connection);
	if (r < 0) {
		snprintf(err, errcap, "metrics address %s: %s", where, uv_strerror(r));
		h->closing = true;
		uv_close((uv_handle_t *)&h->listener, on_listener_closed);
		return MF_EIO;
	}
	*out = h;
	return 0;
}

void mf_metrics_http_close(struct mf_metrics_http *h)
{
	if (!h || h->closing)
		return;
	h->closing = true;
	for (struct client *c = h->clients; c; c = c->next)
		drop(c);
	uv_close((uv_handle_t *)&h->listener, on_listener_closed);
}

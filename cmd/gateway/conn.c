/*
 * cmd/gateway/conn.c — one connection from accept until it relays.
 *
 * HELLO: read into c->buf (grown as needed, at most a PROXY header plus
 * -hello-max bytes, within -hello-timeout). The first bytes tell a PROXY
 * v2 header (accepted only from an address that is a gateway in the table
 * in force: it carries the hop count, which a client must not be able to
 * forge) from TLS; the ClientHello reader (gateway/clienthello.h) then
 * finds the SNI without terminating TLS.
 * Decision: the SNI's DC is ours -> a -service endpoint, round robin, the
 * next on failure; another DC -> a plan over the route's gateways and its
 * alternates (gateway/choose.h), one candidate per attempt, each attempt
 * bounded by -connect-timeout.
 * CONNECTING: a failed or timed-out attempt closes the upstream handle and
 * the next candidate is dialed from its close callback (a libuv handle
 * cannot be reused before it is closed).
 * Every refusal is counted and logged (rate-limited) with its cause; the
 * bytes read are never logged. A connection is allocated, closed and freed
 * by conn_life.c; once connected, relay.c takes over its bytes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/gateway/gwd.h"
#include "gateway/proxy_v2.h"
#include "gateway/sni.h"
#include "gossip/transport_internal.h"

#define HELLO_FIRST_ALLOC 4096

/* The SNI as sent, safe for a log line. */
static void printable_sni(const struct mf_gwd_conn *c, char *out, size_t cap)
{
	size_t n = c->ch.sni_len < cap - 1 ? c->ch.sni_len : cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = isprint((unsigned char)c->ch.sni[i]) ? c->ch.sni[i] : '?';
	out[n] = '\0';
}

#define refuse(c, o, ...)                                                    \
	do {                                                                 \
		mf_gwd_refuse_log((c)->g, (o), (c)->peer, __VA_ARGS__);      \
		mf_gwd_conn_close(c);                                        \
	} while (0)

/* --- upstream: connect with timeout and failover ----------------------------*/

static void try_next(struct mf_gwd_conn *c);

static void on_up_closed_retry(uv_handle_t *h)
{
	struct mf_gwd_conn *c = h->data;
	if (mf_gwd_conn_handle_closed(c, h))
		return;
	if (c->state == MF_GWD_C_CONNECTING)
		try_next(c);
}

static void attempt_failed(struct mf_gwd_conn *c, const char *why)
{
	struct mf_gwd *g = c->g;
	c->attempt_over = true;
	g->st.connect_failures++;
	if (c->ep_state == 1)
		(void)mf_gw_ep_failed(&g->eps, c->target, mf_gwd_now(g));
	c->ep_state = 0;
	mf_log_debug(&g->log, "connection from %s: %s %s at %s: %s; trying the next", c->peer,
		     c->remote ? "gateway of DC" : "service", c->target_name, c->target, why);
	uv_timer_stop(&c->timer);
	if (c->up_open)
		uv_close((uv_handle_t *)&c->up, on_up_closed_retry);
	else
		try_next(c);
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct mf_gwd_conn *c = t->data;
	if (c->state == MF_GWD_C_CONNECTING && !c->attempt_over)
		attempt_failed(c, "connect timed out");
}

static void on_connect(uv_connect_t *req, int status)
{
	struct mf_gwd_conn *c = req->handle->data;
	if (c->state != MF_GWD_C_CONNECTING || c->attempt_over)
		return; /* cancelled: timed out, or the connection is closing */
	if (status < 0) {
		attempt_failed(c, uv_strerror(status));
		return;
	}
	struct mf_gwd *g = c->g;
	c->attempt_over = true;
	uv_timer_stop(&c->timer);
	if (c->ep_state == 1) {
		(void)mf_gw_ep_connected(&g->eps, c->target, mf_gwd_now(g));
		c->ep_state = 2;
	}
	if (c->attempts > 1)
		g->st.failovers++;
	g->st.outcomes[c->remote ? MF_GWD_FORWARDED : MF_GWD_LOCAL]++;
	(void)uv_tcp_nodelay(&c->up, 1);
	if (c->has_plan) {
		mf_gw_plan_free(&c->plan);
		c->has_plan = false;
	}
	int r = mf_gwd_relay_start(c);
	if (r < 0) {
		mf_log_warn(&g->log, "connection from %s: cannot start the relay: %s", c->peer,
			    mf_strerror(r));
		mf_gwd_conn_close(c);
	}
}

/* Dials c->target (already set); failures go through attempt_failed(). */
static void dial(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	struct mf_addr a;
	struct sockaddr_storage ss;
	c->attempt_over = false;
	c->attempts++;
	g->st.connect_attempts++;
	if (mf_addr_parse(c->target, 0, &a) < 0 || a.port == 0 ||
	    mf_transport_addr_to_sockaddr(&a, &ss) < 0) {
		attempt_failed(c, "not an IP:PORT address");
		return;
	}
	int r = uv_tcp_init(&g->loop, &c->up);
	if (r < 0) {
		attempt_failed(c, uv_strerror(r));
		return;
	}
	c->up.data = c;
	c->up_open = true;
	c->handles_open++;
	/* Remote gateways accept our PROXY header only from an address their
	 * table holds: leave from the -advertise IP when it is ours. */
	if (c->remote && g->has_dial_from && g->dial_from.ss_family == ss.ss_family &&
	    (r = uv_tcp_bind(&c->up, (const struct sockaddr *)&g->dial_from, 0)) < 0)
		mf_log_debug(&g->log, "cannot dial from the advertise address: %s",
			     uv_strerror(r));
	r = uv_tcp_connect(&c->creq, &c->up, (const struct sockaddr *)&ss, on_connect);
	if (r < 0) {
		attempt_failed(c, uv_strerror(r));
		return;
	}
	uv_timer_start(&c->timer, on_connect_timeout,
		       (uint64_t)(g->opt.connect_timeout / MF_MS) + 1, 0);
}

static void try_next(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	if (!c->remote) {
		const struct mf_gw_service *s = &g->opt.services[c->svc_index];
		if (c->svc_tries == s->n_addrs) {
			refuse(c, MF_GWD_UPSTREAM_FAILED, "every endpoint of service %s failed",
			       c->target_name);
			return;
		}
		size_t i = (c->svc_start + c->svc_tries++) % s->n_addrs;
		mf_addr_format(&s->addrs[i], c->target, sizeof(c->target));
		dial(c);
		return;
	}
	const struct mf_gw_cand *cand;
	if (mf_gw_plan_next(&c->plan, mf_gwd_now(g), &cand) == 1) {
		snprintf(c->target, sizeof(c->target), "%s", cand->addr);
		snprintf(c->target_name, sizeof(c->target_name), "%s", cand->dc);
		if (mf_gw_ep_attempt(&g->eps, c->target, mf_gwd_now(g)) == 0)
			c->ep_state = 1;
		dial(c);
		return;
	}
	switch (c->plan.why) {
	case MF_GW_PLAN_UNREACHABLE:
		refuse(c, MF_GWD_NO_ROUTE, "DC %s is unreachable", c->target_name);
		break;
	case MF_GW_PLAN_NO_GATEWAY:
		refuse(c, MF_GWD_NO_GATEWAY, "no gateway for DC %s in the route or its alternates",
		       c->target_name);
		break;
	case MF_GW_PLAN_ALL_EJECTED:
		refuse(c, MF_GWD_UPSTREAM_FAILED, "every gateway toward DC %s is ejected",
		       c->target_name);
		break;
	default:
		refuse(c, MF_GWD_UPSTREAM_FAILED, "%zu gateway(s) toward DC %s failed (%s)",
		       c->attempts, c->target_name, mf_gw_plan_why_name(c->plan.why));
		break;
	}
}

/* --- the decision -------------------------------------------------------------*/

static const struct mf_table_route *find_route(const struct mf_table *t, const char *dc)
{
	size_t lo = 0, hi = t->n_routes; /* sorted by target (routing/table.h) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(t->routes[mid].target, dc);
		if (cmp == 0)
			return &t->routes[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void decide(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	char sni[MF_CH_HOST_MAX + 1];
	printable_sni(c, sni, sizeof(sni));
	if (!c->ch.has_sni) {
		refuse(c, MF_GWD_BAD_HELLO, "ClientHello without SNI");
		return;
	}
	struct mf_sni_name n;
	int r = mf_sni_parse(c->ch.sni, c->ch.sni_len, g->opt.trust_domain, &n);
	if (r == MF_ENOTFOUND) {
		refuse(c, MF_GWD_UNKNOWN_TRUST_DOMAIN, "SNI %s is not under trust domain %s", sni,
		       g->opt.trust_domain);
		return;
	}
	if (r < 0) {
		refuse(c, MF_GWD_BAD_HELLO, "SNI %s is not [subset.]service.ns.dc.internal.%s",
		       sni, g->opt.trust_domain);
		return;
	}
	snprintf(c->target_name, sizeof(c->target_name), "%s", n.dc);
	if (!g->dc[0]) {
		refuse(c, MF_GWD_NO_ROUTE, "SNI %s: this gateway's DC is not known yet (no -dc, "
					   "agent not reached)", sni);
		return;
	}
	c->state = MF_GWD_C_CONNECTING;
	if (strcmp(n.dc, g->dc) == 0) {
		const struct mf_gw_service *s =
			mf_gw_options_service(&g->opt, n.subset, n.service, n.ns);
		if (!s) {
			refuse(c, MF_GWD_UNKNOWN_SERVICE, "SNI %s: no such service in DC %s", sni,
			       g->dc);
			return;
		}
		c->remote = false;
		c->svc_index = (size_t)(s - g->opt.services);
		c->svc_start = g->svc_next[c->svc_index]++;
		snprintf(c->target_name, sizeof(c->target_name), "%s%s%s.%s", n.subset,
			 n.subset[0] ? "." : "", n.service, n.ns);
		try_next(c);
		return;
	}
	const struct mf_table *t = mf_gwd_sub_table(&g->sub);
	const struct mf_table_route *route = t ? find_route(t, n.dc) : NULL;
	if (!route) {
		refuse(c, MF_GWD_NO_ROUTE, "SNI %s: no route to DC %s%s", sni, n.dc,
		       t ? "" : " (no table from the agent yet)");
		return;
	}
	if (mf_pp2_next_hops(c->hops_in, &c->hops_out) < 0) {
		refuse(c, MF_GWD_HOP_LIMIT, "SNI %s: arrived after %u gateway hops (limit %d)", sni,
		       c->hops_in, MF_GW_HOP_LIMIT);
		return;
	}
	c->remote = true;
	r = mf_gw_plan_init_route(&c->plan, &g->eps, &g->rng, route);
	if (r < 0) {
		refuse(c, MF_GWD_UPSTREAM_FAILED, "SNI %s: no plan (%s)", sni, mf_strerror(r));
		return;
	}
	c->has_plan = true;
	if (c->plan.why == MF_GW_PLAN_LOCAL) {
		refuse(c, MF_GWD_NO_ROUTE, "SNI %s: the table says DC %s is local, we are %s", sni,
		       n.dc, g->dc);
		return;
	}
	try_next(c);
}

/* --- hello ---------------------------------------------------------------------*/

static void on_hello_timeout(uv_timer_t *t)
{
	struct mf_gwd_conn *c = t->data;
	if (c->state == MF_GWD_C_HELLO)
		refuse(c, MF_GWD_BAD_HELLO, "no complete ClientHello within %.1fs (%zu bytes)",
		       (double)c->g->opt.hello_timeout / MF_SEC, c->len);
}

static void on_hello_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mf_gwd_conn *c = h->data;
	size_t max = MF_PP2_MAX_LEN + c->g->opt.hello_max;
	/* Doubling capped at max (not mf_grow, which would double past it):
	 * the buffer never offers more than a hello may hold. */
	if (c->len == c->cap && c->cap < max) {
		size_t ncap = c->cap ? c->cap * 2 : HELLO_FIRST_ALLOC;
		if (ncap > max)
			ncap = max;
		uint8_t *nb = realloc(c->buf, ncap);
		if (nb) {
			c->buf = nb;
			c->cap = ncap;
		}
	}
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

/* 1: the ClientHello is complete; 0: more bytes needed; -1: refused. */
static int hello_progress(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	if (!c->pp2_done) {
		enum mf_ch_kind k = mf_ch_sniff(c->buf, c->len);
		if (k == MF_CH_KIND_NEED_MORE)
			return 0;
		if (k == MF_CH_KIND_PROXY_V2) {
			if (!mf_gwd_sub_is_gateway(&g->sub, &c->peer_addr)) {
				refuse(c, MF_GWD_UNTRUSTED_PROXY,
				       "PROXY header from an address that is no gateway in the "
				       "table");
				return -1;
			}
			struct mf_pp2_header h;
			int r = mf_pp2_decode(c->buf, c->len, &h);
			if (r == 0)
				return 0;
			if (r < 0) {
				refuse(c, MF_GWD_UNTRUSTED_PROXY, "bad PROXY v2 header: %s",
				       mf_strerror(r));
				return -1;
			}
			c->pp2_len = (size_t)r;
			/* A gateway that sends no hop TLV (a plain PROXY sender) has
			 * made one hop at least. */
			c->hops_in = h.has_hops ? h.hops : 1;
			if (h.command == MF_PP2_PROXY) {
				c->client_addr = h.src;
				c->client_dst = h.dst;
			}
		}
		c->pp2_done = true;
	}
	size_t have = c->len - c->pp2_len;
	if (have == c->ch_fed)
		return 0;
	int r = mf_ch_feed(&c->ch, c->buf + c->pp2_len + c->ch_fed, have - c->ch_fed, NULL);
	c->ch_fed = have;
	if (r == MF_CH_DONE)
		return 1;
	if (r < 0) {
		refuse(c, MF_GWD_BAD_HELLO, "%s after %zu bytes", mf_ch_error_name(c->ch.error),
		       c->len);
		return -1;
	}
	return 0;
}

static void on_hello_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct mf_gwd_conn *c = st->data;
	if (c->state != MF_GWD_C_HELLO)
		return;
	if (nread < 0) {
		refuse(c, MF_GWD_BAD_HELLO, "%s before the ClientHello ended (%zu bytes)",
		       nread == UV_EOF ? "closed" : uv_strerror((int)nread), c->len);
		return;
	}
	c->len += (size_t)nread;
	if (nread == 0)
		return;
	/* Bounded without a check here: the reader refuses past -hello-max and
	 * the PROXY decoder past MF_PP2_MAX_LEN, the buffer holds both. */
	if (hello_progress(c) <= 0)
		return;
	uv_read_stop((uv_stream_t *)&c->down);
	uv_timer_stop(&c->timer);
	decide(c);
}

/* --- accept ---------------------------------------------------------------------*/

void mf_gwd_on_accept(uv_stream_t *listener, int status)
{
	struct mf_gwd *g = listener->data;
	if (status < 0) {
		mf_log_warn(&g->log, "accept: %s", uv_strerror(status));
		return;
	}
	struct mf_gwd_conn *c;
	int r = mf_gwd_conn_new(g, &c);
	if (r == MF_ENOMEM)
		mf_log_error(&g->log, "accept: out of memory");
	if (r < 0)
		return;
	snprintf(c->peer, sizeof(c->peer), "?");
	if (uv_accept(listener, (uv_stream_t *)&c->down) < 0) {
		mf_gwd_conn_close(c);
		return;
	}
	g->st.accepted++;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	if (uv_tcp_getpeername(&c->down, (struct sockaddr *)&ss, &sl) == 0 &&
	    mf_transport_addr_from_sockaddr((struct sockaddr *)&ss, &c->peer_addr) == 0)
		mf_addr_format(&c->peer_addr, c->peer, sizeof(c->peer));
	c->client_addr = c->peer_addr;
	sl = sizeof(ss);
	if (uv_tcp_getsockname(&c->down, (struct sockaddr *)&ss, &sl) < 0 ||
	    mf_transport_addr_from_sockaddr((struct sockaddr *)&ss, &c->client_dst) < 0)
		c->client_dst.ip_len = 0;
	if (g->st.active > g->opt.max_conns || g->stopping) {
		refuse(c, MF_GWD_OVER_LIMIT, "%zu connections open (-max-conns)",
		       g->opt.max_conns);
		return;
	}
	(void)uv_tcp_nodelay(&c->down, 1);
	uv_timer_start(&c->timer, on_hello_timeout, (uint64_t)(g->opt.hello_timeout / MF_MS) + 1,
		       0);
	if (uv_read_start((uv_stream_t *)&c->down, on_hello_alloc, on_hello_read) < 0)
		mf_gwd_conn_close(c);
}

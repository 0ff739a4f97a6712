/*
 * cmd/gateway/subscriber.c — the gateway's side of the route socket
 * (docs/route-socket.md): connect to the co-located agent, subscribe (or
 * resume the table held), register this gateway, report health every
 * MF_GWD_HEALTH_MS, and apply snapshots and deltas with
 * routing/route_proto.h's client, acknowledging each.
 *
 * When the agent goes away the table applied last stays in force (new
 * connections keep being routed on it) and the socket is retried with
 * backoff, MF_GWD_BACKOFF_MIN_MS doubling up to MF_GWD_BACKOFF_MAX_MS; a
 * hello from the agent resets the backoff. The addresses of the table's
 * gateways are kept sorted for conn.c's "is this peer a gateway" check,
 * the only gate in front of a PROXY header's hop count.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/daemon/write_copy.h"
#include "cmd/gateway/gwd.h"
#include "gossip/grow.h"

#define IPLEN 16

static void schedule_retry(struct mf_gwd_sub *s);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* --- the table's gateway addresses ----------------------------------------*/

static int ip_cmp(const void *a, const void *b)
{
	return memcmp(a, b, IPLEN);
}

/* IPv4 as v4-mapped IPv6, so both families sort in one array. */
static void ip16(const struct mf_addr *a, uint8_t out[IPLEN])
{
	if (a->ip_len == 16) {
		memcpy(out, a->ip, IPLEN);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a->ip, 4);
}

static size_t add_endpoints(uint8_t *ips, size_t n, const struct mf_table_endpoint *eps,
			    size_t n_eps)
{
	for (size_t i = 0; i < n_eps; i++) {
		struct mf_addr a;
		if (eps[i].addr && mf_addr_parse(eps[i].addr, 0, &a) == 0)
			ip16(&a, ips + IPLEN * n++);
	}
	return n;
}

static void rebuild_gateway_ips(struct mf_gwd_sub *s)
{
	const struct mf_table *t = &s->rp.table;
	size_t total = 0;
	for (size_t i = 0; i < t->n_routes; i++) {
		total += t->routes[i].n_endpoints;
		for (size_t k = 0; k < t->routes[i].n_alternates; k++)
			total += t->routes[i].alternates[k].n_endpoints;
	}
	uint8_t *ips = malloc(total ? total * IPLEN : 1);
	if (!ips) {
		/* Keep the old set: a PROXY sender that left the table may pass
		 * a little longer, one that joined is refused until memory allows. */
		mf_log_warn(&s->g->log, "route socket: out of memory for the gateway set");
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < t->n_routes; i++) {
		const struct mf_table_route *r = &t->routes[i];
		n = add_endpoints(ips, n, r->endpoints, r->n_endpoints);
		for (size_t k = 0; k < r->n_alternates; k++)
			n = add_endpoints(ips, n, r->alternates[k].endpoints,
					  r->alternates[k].n_endpoints);
	}
	qsort(ips, n, IPLEN, ip_cmp);
	free(s->gw_ips);
	s->gw_ips = ips;
	s->n_gw_ips = n;
}

bool mf_gwd_sub_is_gateway(const struct mf_gwd_sub *s, const struct mf_addr *ip)
{
	uint8_t key[IPLEN];
	ip16(ip, key);
	return s->n_gw_ips && bsearch(key, s->gw_ips, s->n_gw_ips, IPLEN, ip_cmp) != NULL;
}

const struct mf_table *mf_gwd_sub_table(const struct mf_gwd_sub *s)
{
	return s->rp.have_table ? &s->rp.table : NULL;
}

/* --- writing ----------------------------------------------------------------*/

static void on_written(uv_write_t *req, int status)
{
	(void)status; /* a broken pipe shows as a read error, which reconnects */
	(void)mf_write_copy_done(req, NULL);
}

static void drop(struct mf_gwd_sub *s, const char *why);

/* Sends line (malloc'd, consumed; NULL: out of memory, nothing sent). A
 * line that cannot be queued drops the connection: the reconnect sends
 * hello, registration and health again. */
static void send_line(struct mf_gwd_sub *s, char *line, size_t len)
{
	uv_buf_t b = uv_buf_init(line, (unsigned)len);
	int r = line && s->connected ? mf_write_copy((uv_stream_t *)&s->pipe, &b, 1, NULL,
						     on_written)
				     : 0;
	free(line);
	if (r < 0)
		drop(s, mf_strerror(r));
}

static bool healthy(const struct mf_gwd *g)
{
	return !g->stopping && g->st.active < g->opt.max_conns;
}

static void send_health(struct mf_gwd_sub *s)
{
	char *line = NULL;
	size_t len = 0;
	if (mf_rp_encode_health(healthy(s->g), &line, &len) == 0)
		send_line(s, line, len);
}

static void send_register(struct mf_gwd_sub *s)
{
	const struct mf_gw_options *o = &s->g->opt;
	char wan[64], lan[64];
	struct mf_gateway_tag tags[MF_GW_MAX_TAGGED];
	char tag_addrs[MF_GW_MAX_TAGGED][64];
	for (size_t i = 0; i < o->n_tagged; i++) {
		tags[i].key = (char *)o->tag_keys[i];
		tags[i].addr = (char *)mf_addr_format(&o->tag_addrs[i], tag_addrs[i], 64);
	}
	struct mf_gateway gw = {
		.name = (char *)o->name,
		.wan = (char *)mf_addr_format(&o->advertise, wan, sizeof(wan)),
		.lan = (char *)mf_addr_format(&o->lan, lan, sizeof(lan)),
		.n_tags = o->n_tagged,
		.tags = tags,
	};
	char *line = NULL;
	size_t len = 0;
	if (mf_rp_encode_register(&gw, &line, &len) == 0)
		send_line(s, line, len);
}

/* --- connection lifecycle ----------------------------------------------------*/

static void on_handle_closed(uv_handle_t *h)
{
	struct mf_gwd_sub *s = h->data;
	s->handles_open--;
	if (h == (uv_handle_t *)&s->pipe) {
		s->pipe_open = false;
		if (!s->stopping)
			schedule_retry(s);
	}
}

static void drop(struct mf_gwd_sub *s, const char *why)
{
	if (!s->pipe_open || uv_is_closing((uv_handle_t *)&s->pipe))
		return;
	if (s->connected) {
		const struct mf_table *t = mf_gwd_sub_table(s);
		mf_log_warn(&s->g->log, "route socket %s: %s; forwarding on %s%llu meanwhile",
			    s->path, why, t ? "table version " : "no table, version ",
			    (unsigned long long)(t ? t->version : 0));
	} else if (!s->warned) {
		mf_log_warn(&s->g->log, "route socket %s: %s; retrying with backoff", s->path, why);
		s->warned = true;
	}
	s->connected = false;
	s->len = 0;
	uv_close((uv_handle_t *)&s->pipe, on_handle_closed);
}

static void on_health_timer(uv_timer_t *t)
{
	struct mf_gwd_sub *s = t->data;
	if (s->connected)
		send_health(s);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct mf_gwd_sub *s = req->data;
	if (s->stopping)
		return;
	if (status < 0) {
		drop(s, uv_strerror(status));
		return;
	}
	s->connected = true;
	s->connects++;
	mf_log_info(&s->g->log, "route socket %s: connected%s", s->path,
		    s->rp.have_table ? ", resuming" : "");
	char *line = NULL;
	size_t len = 0;
	if (mf_rp_client_hello_line(&s->rp, true, &line, &len) == 0)
		send_line(s, line, len);
	send_register(s);
	send_health(s);
	int r = uv_read_start((uv_stream_t *)&s->pipe, on_alloc, on_read);
	if (r < 0)
		drop(s, uv_strerror(r));
}

static void try_connect(struct mf_gwd_sub *s)
{
	int r = uv_pipe_init(&s->g->loop, &s->pipe, 0);
	if (r < 0) {
		mf_log_error(&s->g->log, "route socket: %s", uv_strerror(r));
		schedule_retry(s);
		return;
	}
	s->pipe.data = s;
	s->pipe_open = true;
	s->handles_open++;
	s->creq.data = s;
	uv_pipe_connect(&s->creq, &s->pipe, s->path, on_connect);
}

static void on_retry(uv_timer_t *t)
{
	struct mf_gwd_sub *s = t->data;
	if (!s->stopping && !s->pipe_open)
		try_connect(s);
}

static void schedule_retry(struct mf_gwd_sub *s)
{
	uv_timer_start(&s->retry, on_retry, s->backoff_ms, 0);
	s->backoff_ms *= 2;
	if (s->backoff_ms > MF_GWD_BACKOFF_MAX_MS)
		s->backoff_ms = MF_GWD_BACKOFF_MAX_MS;
}

/* --- reading ------------------------------------------------------------------*/

static void on_hello(struct mf_gwd_sub *s)
{
	struct mf_gwd *g = s->g;
	const char *dc = s->rp.datacenter ? s->rp.datacenter : "";
	s->backoff_ms = MF_GWD_BACKOFF_MIN_MS;
	s->warned = false;
	if (g->opt.dc[0] && strcmp(g->opt.dc, dc) != 0) {
		mf_log_error(&g->log, "route socket %s: the agent is in DC %s, this gateway is "
				      "-dc %s: not using its table", s->path, dc, g->opt.dc);
		s->backoff_ms = MF_GWD_BACKOFF_MAX_MS;
		drop(s, "datacenter mismatch");
		return;
	}
	if (strcmp(g->dc, dc) != 0) {
		if (g->dc[0])
			mf_log_warn(&g->log, "route socket: the agent's DC is now %s (was %s)", dc,
				    g->dc);
		snprintf(g->dc, sizeof(g->dc), "%s", dc);
	}
	mf_log_info(&g->log, "route socket: agent %s of DC %s (epoch %llu)",
		    s->rp.node ? s->rp.node : "?", dc, (unsigned long long)s->rp.epoch);
}

static void handle_line(struct mf_gwd_sub *s, const char *line, size_t len)
{
	struct mf_gwd *g = s->g;
	enum mf_rp_event ev = 0;
	char *reply = NULL, *detail = NULL;
	size_t reply_len = 0;
	uint64_t before = s->rp.have_table ? s->rp.table.version : 0;
	int r = mf_rp_client_apply(&s->rp, line, len, &ev, &reply, &reply_len, &detail);
	if (r == MF_EUNKNOWN) {
		/* a newer agent's message: ignore */
	} else if (r < 0) {
		s->errors++;
		mf_log_warn(&g->log, "route socket: %s from the agent: %s",
			    r == MF_ENOMEM ? "out of memory on a line" : "not a protocol line",
			    detail ? detail : mf_strerror(r));
	}
	switch (r < 0 ? 0 : ev) {
	case MF_RP_EV_HELLO:
		on_hello(s);
		break;
	case MF_RP_EV_SNAPSHOT:
	case MF_RP_EV_DELTA:
		s->updates++;
		rebuild_gateway_ips(s);
		mf_gw_eps_prune(&g->eps, mf_gwd_now(g));
		mf_log_debug(&g->log, "route socket: %s applied, table version %llu -> %llu",
			     ev == MF_RP_EV_SNAPSHOT ? "snapshot" : "delta",
			     (unsigned long long)before, (unsigned long long)s->rp.table.version);
		break;
	case MF_RP_EV_REGISTERED:
		mf_log_info(&g->log, "route socket: registered as gateway %s", g->opt.name);
		break;
	case MF_RP_EV_ERROR:
		s->errors++;
		mf_log_warn(&g->log, "route socket: the agent says: %s", detail ? detail : "?");
		break;
	case MF_RP_EV_REJECTED:
		s->rejected++;
		mf_log_warn(&g->log, "route socket: update rejected (a snapshot follows): %s",
			    detail ? detail : "?");
		break;
	default:
		break;
	}
	free(detail);
	if (reply && s->connected)
		send_line(s, reply, reply_len);
	else
		free(reply);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mf_gwd_sub *s = h->data;
	if (s->cap - s->len < MF_GWD_SUB_READ / 2 && s->cap < MF_GWD_SUB_MAX_LINE) {
		/* Out of memory: the read goes into what is left. */
		(void)mf_grow(&s->line, &s->cap, s->cap + 1, MF_GWD_SUB_READ);
	}
	*buf = uv_buf_init(s->line + s->len, (unsigned)(s->cap - s->len));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct mf_gwd_sub *s = st->data;
	if (nread < 0) {
		drop(s, nread == UV_EOF ? "the agent closed it" : uv_strerror((int)nread));
		return;
	}
	size_t scan = s->len;
	s->len += (size_t)nread;
	size_t start = 0;
	for (size_t i = scan; i < s->len && s->connected; i++) {
		if (s->line[i] != '\n')
			continue;
		handle_line(s, s->line + start, i - start);
		start = i + 1;
	}
	if (!s->connected)
		return; /* dropped while handling (and s->len reset) */
	memmove(s->line, s->line + start, s->len - start);
	s->len -= start;
	if (s->len == s->cap && s->cap >= MF_GWD_SUB_MAX_LINE)
		drop(s, "a line over the size bound");
}

/* --- start, stop, info ------------------------------------------------------------*/

int mf_gwd_sub_start(struct mf_gwd *g, char *err, size_t errcap)
{
	struct mf_gwd_sub *s = &g->sub;
	s->g = g;
	mf_rp_client_init(&s->rp);
	if (g->opt.route_socket[0])
		snprintf(s->path, sizeof(s->path), "%s", g->opt.route_socket);
	else
		mf_config_default_route_socket(s->path, sizeof(s->path));
	s->backoff_ms = MF_GWD_BACKOFF_MIN_MS;
	uv_timer_init(&g->loop, &s->retry);
	uv_timer_init(&g->loop, &s->health);
	s->retry.data = s->health.data = s;
	s->handles_open = 2;
	uv_timer_start(&s->health, on_health_timer, MF_GWD_HEALTH_MS, MF_GWD_HEALTH_MS);
	try_connect(s);
	return 0;
}

void mf_gwd_sub_stop(struct mf_gwd_sub *s)
{
	if (s->stopping || !s->g)
		return;
	s->stopping = true;
	if (s->connected)
		send_health(s); /* not ok: withdraw us at once (uv_write tries
				 * the socket at once; the close may cancel it) */
	s->connected = false;
	if (s->pipe_open && !uv_is_closing((uv_handle_t *)&s->pipe))
		uv_close((uv_handle_t *)&s->pipe, on_handle_closed);
	uv_close((uv_handle_t *)&s->retry, on_handle_closed);
	uv_close((uv_handle_t *)&s->health, on_handle_closed);
}

void mf_gwd_sub_free(struct mf_gwd_sub *s)
{
	mf_rp_client_free(&s->rp);
	free(s->line);
	free(s->gw_ips);
}

json_t *mf_gwd_sub_json(const struct mf_gwd_sub *s)
{
	const struct mf_table *t = mf_gwd_sub_table(s);
	return json_pack("{s:s,s:b,s:s?,s:I,s:I,s:I,s:I,s:I,s:I}", "path", s->path, "connected",
			 s->connected, "agent", s->rp.node, "table_version",
			 (json_int_t)(t ? t->version : 0), "routes",
			 (json_int_t)(t ? t->n_routes : 0), "connects", (json_int_t)s->connects,
			 "updates", (json_int_t)s->updates, "rejected", (json_int_t)s->rejected,
			 "errors", (json_int_t)s->errors);
}

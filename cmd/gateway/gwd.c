/*
 * cmd/gateway/gwd.c — `meshfed gateway`'s lifecycle: one libuv loop with
 * the listeners, the route-socket subscriber, the control socket (answers
 * "info" with the counters) and SIGINT/SIGTERM, which stop accepting,
 * tell the agent we are not healthy, close every connection and exit 0.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/gateway/gwd.h"
#include "gossip/transport_internal.h"

static void on_closed(uv_handle_t *h)
{
	struct mf_gwd *g = h->data;
	g->handles_open--;
}

static void stop(struct mf_gwd *g)
{
	if (g->stopping)
		return;
	g->stopping = true;
	for (size_t i = 0; i < g->n_listeners; i++)
		uv_close((uv_handle_t *)&g->listeners[i], on_closed);
	g->n_listeners = 0;
	mf_gwd_sub_stop(&g->sub);
	if (g->ctl) {
		mf_control_close(g->ctl, NULL, NULL);
		g->ctl = NULL;
	}
	mf_metrics_http_close(g->metrics);
	g->metrics = NULL;
	mf_gwd_conns_close_all(g);
	if (g->signals_open) {
		uv_close((uv_handle_t *)&g->sigint, on_closed);
		uv_close((uv_handle_t *)&g->sigterm, on_closed);
		g->signals_open = false;
	}
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mf_gwd *g = s->data;
	mf_log_info(&g->log, "caught %s: closing %llu connection(s) and exiting",
		    strsignal(signum), (unsigned long long)g->st.active);
	stop(g);
}

static json_t *on_request(void *ctx, uint64_t client_id, const json_t *req)
{
	struct mf_gwd *g = ctx;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	if (cmd && strcmp(cmd, "info") == 0)
		return json_pack("{s:b,s:o}", "ok", 1, "info", mf_gwd_info_json(g));
	return mf_control_error("unknown command \"%s\" (a gateway answers only info)",
				cmd ? cmd : "");
}

static int listen_all(struct mf_gwd *g, char *err, size_t errcap)
{
	for (size_t i = 0; i < g->opt.n_listen; i++) {
		char b[64];
		struct sockaddr_storage ss;
		uv_tcp_t *l = &g->listeners[i];
		mf_addr_format(&g->opt.listen[i], b, sizeof(b));
		if (mf_transport_addr_to_sockaddr(&g->opt.listen[i], &ss) < 0) {
			snprintf(err, errcap, "cannot listen on %s: bad address", b);
			return -1;
		}
		uv_tcp_init(&g->loop, l);
		l->data = g;
		g->n_listeners++;
		g->handles_open++;
		int r = uv_tcp_bind(l, (const struct sockaddr *)&ss, 0);
		if (r == 0)
			r = uv_listen((uv_stream_t *)l, 1024, mf_gwd_on_accept);
		if (r < 0) {
			snprintf(err, errcap, "cannot listen on %s: %s", b, uv_strerror(r));
			return -1;
		}
	}
	return 0;
}

/* Remote gateways trust our PROXY header only from an address in their
 * table: dial them from the -advertise IP when it is one of ours. */
static void pick_dial_from(struct mf_gwd *g)
{
	struct mf_addr a = g->opt.advertise;
	a.port = 0;
	if (mf_transport_addr_to_sockaddr(&a, &g->dial_from) < 0)
		return;
	int fd = socket(g->dial_from.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return;
	socklen_t sl = g->dial_from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in);
	g->has_dial_from = bind(fd, (struct sockaddr *)&g->dial_from, sl) == 0;
	close(fd);
}

static int metrics_render(void *ctx, char **out, size_t *len)
{
	return mf_gwd_metrics_text(ctx, out, len);
}

static int start(struct mf_gwd *g, char *err, size_t errcap)
{
	if (listen_all(g, err, errcap) < 0)
		return -1;
	if (g->opt.control[0]) {
		struct mf_control_handler h = {g, on_request, NULL};
		if (mf_control_new(&g->loop, g->opt.control, &h, &g->ctl, err, errcap) < 0)
			return -1;
	}
	if (g->opt.has_metrics_addr &&
	    mf_metrics_http_new(&g->loop, &g->opt.metrics_addr, metrics_render, g, &g->metrics,
				err, errcap) < 0)
		return -1;
	pick_dial_from(g);
	if (mf_gwd_sub_start(g, err, errcap) < 0)
		return -1;
	uv_signal_init(&g->loop, &g->sigint);
	uv_signal_init(&g->loop, &g->sigterm);
	g->sigint.data = g->sigterm.data = g;
	g->signals_open = true;
	g->handles_open += 2;
	uv_signal_start(&g->sigint, on_signal, SIGINT);
	uv_signal_start(&g->sigterm, on_signal, SIGTERM);

	char listen[256] = "", b[64];
	for (size_t i = 0; i < g->opt.n_listen; i++) {
		size_t n = strlen(listen);
		snprintf(listen + n, sizeof(listen) - n, "%s%s", i ? "," : "",
			 mf_addr_format(&g->opt.listen[i], b, sizeof(b)));
	}
	mf_log_info(&g->log,
		    "meshfed gateway started: name %s, dc %s, listen %s, advertise %s, trust "
		    "domain %s, %zu service(s), route socket %s%s%s",
		    g->opt.name, g->dc[0] ? g->dc : "(the agent's)", listen,
		    mf_addr_format(&g->opt.advertise, b, sizeof(b)), g->opt.trust_domain,
		    g->opt.n_services, g->sub.path, g->opt.control[0] ? ", control " : "",
		    g->opt.control);
	return 0;
}

int mf_gwd_run(struct mf_gw_options *opt, char *err, size_t errcap)
{
	struct mf_gwd *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errcap, "out of memory");
		return 1;
	}
	g->opt = *opt; /* takes the services array */
	opt->services = NULL;
	snprintf(g->dc, sizeof(g->dc), "%s", g->opt.dc);
	mf_log_init(&g->log, stderr, g->opt.log_level);
	g->readbuf = malloc(MF_GWD_READ_BUF);
	g->svc_next = calloc(g->opt.n_services + 1, sizeof(*g->svc_next));
	if (!g->readbuf || !g->svc_next) {
		free(g->readbuf);
		free(g->svc_next);
		mf_gw_options_free(&g->opt);
		free(g);
		snprintf(err, errcap, "out of memory");
		return 1;
	}
	uint64_t seed;
	randombytes_buf(&seed, sizeof(seed));
	mf_rng_seed(&g->rng, seed);
	mf_gw_eps_init(&g->eps, NULL);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&g->loop);
	g->started = mf_gwd_now(g);
	err[0] = '\0';
	int code = 0;
	if (start(g, err, errcap) < 0) {
		code = 1;
		stop(g);
	}
	uv_run(&g->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&g->loop) != 0)
		mf_log_warn(&g->log, "event loop closed with handles still open");
	mf_gwd_sub_free(&g->sub);
	mf_gw_eps_free(&g->eps);
	mf_gw_options_free(&g->opt);
	free(g->readbuf);
	free(g->svc_next);
	free(g);
	return code;
}

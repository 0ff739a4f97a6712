/* cmd/agent/agent.c — see cmd/agent/agent.h. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/agent/agent_memory.h"
#include "cmd/agent/sd_notify.h"
#include "gossip/crypto.h"
#include "gossip/serf.h"

#define MF_LEAVE_POLL_MS 20
#define MF_LEAVE_LINGER (1 * MF_SEC) /* serf LeavePropagateDelay */

static mf_time_t now_ns(void)
{
	return (mf_time_t)uv_hrtime();
}

static uint64_t to_ms(mf_time_t t)
{
	return t <= 0 ? 0 : (uint64_t)((t + MF_MS - 1) / MF_MS);
}

/* --- shutdown ---------------------------------------------------------------*/

static void free_batch(struct mf_join_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->addrs[i]);
	free(b->addrs);
	free(b->ids);
	free(b);
}

static void shutdown_agent(struct mf_agent *a, int exit_code)
{
	if (a->state == MF_AGENT_STOPPING)
		return;
	a->state = MF_AGENT_STOPPING;
	a->exit_code = exit_code;
	if (mf_sd_notify("STOPPING=1") < 0)
		mf_log_warn(&a->log, "cannot notify $NOTIFY_SOCKET: %s", strerror(errno));
	/* Anyone still waiting gets an answer before the socket closes. */
	while (a->batches) {
		struct mf_join_batch *b = a->batches;
		a->batches = b->next;
		if (b->client_id && a->ctl)
			mf_control_respond(a->ctl, b->client_id,
					   mf_control_error("agent is shutting down"));
		free_batch(b);
	}
	for (size_t i = 0; i < a->n_leave_clients; i++)
		mf_control_respond(a->ctl, a->leave_clients[i],
				   exit_code == 0 ? json_pack("{s:b}", "ok", 1)
						  : mf_control_error("leave interrupted"));
	a->n_leave_clients = 0;
	if (a->handles_open) {
		uv_close((uv_handle_t *)&a->sigint, NULL);
		uv_close((uv_handle_t *)&a->sigterm, NULL);
		uv_close((uv_handle_t *)&a->sighup, NULL);
		uv_close((uv_handle_t *)&a->retry_timer, NULL);
		uv_close((uv_handle_t *)&a->leave_timer, NULL);
		uv_close((uv_handle_t *)&a->housekeeping_timer, NULL);
		a->handles_open = false;
	}
	a->n_monitors = 0;
	a->log.sink = NULL;
	if (a->ctl) {
		mf_control_close(a->ctl, NULL, NULL);
		a->ctl = NULL;
	}
	mf_agent_route_socket_close(a);
	mf_agent_snapshot_close(a);
	mf_metrics_http_close(a->metrics);
	a->metrics = NULL;
	for (size_t i = 0; i < a->n_pools; i++)
		mf_agent_pool_close(a->pools[i]);
	mf_agent_routing_close(a);
}

/* One timer for what the agent does now and then, not a wakeup each; it
 * ticks at the shorter period, each job keeps its own. */
static void on_housekeeping(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	uint64_t now = uv_now(&a->loop);
	if (now - a->trimmed_at >= MF_AGENT_TRIM_MS) {
		a->trimmed_at = now;
		mf_agent_memory_trim();
	}
	if (now - a->reported_at >= a->report_ms) {
		a->reported_at = now;
		for (size_t i = 0; i < a->n_pools; i++)
			mf_agent_pool_report_drops(a->pools[i], false);
	}
}

/* --- joins ------------------------------------------------------------------*/

static void on_retry_timer(uv_timer_t *t);

static bool pool_has_peers(struct mf_agent_pool *ap)
{
	return mf_pool_alive_count(ap->pool) > 1;
}

static void on_give_up(uv_timer_t *t)
{
	shutdown_agent(t->data, 1);
}

static void batch_finished(struct mf_agent *a, struct mf_join_batch *b)
{
	for (struct mf_join_batch **pp = &a->batches; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	if (b->ok > 0)
		mf_serf_glue_join_intent(&b->ap->glue); /* serf Join: broadcastJoin */
	char list[512] = "";
	for (size_t i = 0; i < b->n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 b->addrs[i] ? b->addrs[i] : "?");
	if (b->rejoin) {
		if (b->ok > 0)
			mf_log_info(&a->log, "rejoined the %s pool through %zu of %zu members of the "
				    "snapshot", b->ap->name, b->ok, b->n);
		else
			mf_log_warn(&a->log, "could not rejoin any of the %zu members of the %s "
				    "pool's snapshot", b->n, b->ap->name);
	} else if (b->client_id) {
		json_t *resp = b->ok > 0 ? json_pack("{s:b,s:I}", "ok", 1, "joined", (json_int_t)b->ok)
					 : mf_control_error("failed to join any of: %s", list);
		mf_control_respond(a->ctl, b->client_id, resp);
		mf_log_info(&a->log, "join %s: %zu of %zu joined", list, b->ok, b->n);
	} else if (b->ok > 0) {
		mf_log_info(&a->log, "joined the %s pool through %zu of: %s", b->ap->name, b->ok, list);
	} else if (a->state == MF_AGENT_RUNNING) {
		a->retry_attempts++;
		if (a->cfg->retry_max > 0 && a->retry_attempts >= a->cfg->retry_max) {
			mf_log_error(&a->log, "could not join any of %s after %d attempts, exiting",
				     list, a->retry_attempts);
			free_batch(b);
			/* Not from here: we may be inside a pool call or a join loop. */
			uv_timer_start(&a->retry_timer, on_give_up, 0, 0);
			return;
		}
		mf_log_warn(&a->log, "could not join any of %s; retrying in %.1fs", list,
			    (double)a->retry_delay / MF_SEC);
		uv_timer_start(&a->retry_timer, on_retry_timer, to_ms(a->retry_delay), 0);
		a->retry_delay *= 2;
		if (a->retry_delay > a->cfg->retry_max_interval)
			a->retry_delay = a->cfg->retry_max_interval;
	}
	free_batch(b);
}

static void join_done(struct mf_agent *a, uint64_t id, bool ok)
{
	for (struct mf_join_batch *b = a->batches; b && id; b = b->next) {
		for (size_t i = 0; i < b->n; i++) {
			if (b->ids[i] != id)
				continue;
			b->ids[i] = 0;
			b->waiting--;
			b->ok += ok;
			/* The batch being started is finished by its starter. */
			if (b->waiting == 0 && b != a->issuing)
				batch_finished(a, b);
			return;
		}
	}
	/* Not known yet: completed inside mf_pool_join() itself. */
	if (a->issuing) {
		a->issuing->waiting--;
		a->issuing->ok += ok;
		a->issuing->ids[a->issuing->n] = UINT64_MAX; /* see start_joins */
	}
}

static void start_batch(struct mf_agent *a, struct mf_agent_pool *ap, uint64_t client_id,
			const char *const *addrs, size_t n, bool rejoin)
{
	struct mf_join_batch *b = calloc(1, sizeof(*b));
	if (b) {
		b->ids = calloc(n + 1, sizeof(*b->ids)); /* +1: "done during start" slot */
		b->addrs = calloc(n ? n : 1, sizeof(*b->addrs));
	}
	if (!b || !b->ids || !b->addrs) {
		if (b)
			free_batch(b);
		if (client_id)
			mf_control_respond(a->ctl, client_id, mf_control_error("out of memory"));
		return;
	}
	b->client_id = client_id;
	b->rejoin = rejoin;
	b->ap = ap;
	b->n = n;
	b->waiting = n;
	b->next = a->batches;
	a->batches = b;
	for (size_t i = 0; i < n; i++) {
		b->addrs[i] = strdup(addrs[i]);
		struct mf_addr to;
		uint64_t id = 0;
		int r = mf_addr_parse(addrs[i], MF_DEFAULT_PORT, &to);
		if (r == 0 && !ap->tr)
			r = MF_ESTATE; /* shut down meanwhile */
		if (r == 0) {
			b->ids[n] = 0;
			a->issuing = b;
			r = mf_transport_join(ap->tr, &to, &id);
			a->issuing = NULL;
			if (b->ids[n] == UINT64_MAX)
				continue; /* finished inside the call, counted by join_done */
		}
		if (r < 0) {
			mf_log_warn(&a->log, "join %s: %s", addrs[i], mf_strerror(r));
			b->waiting--;
		} else {
			b->ids[i] = id;
		}
	}
	if (b->waiting == 0)
		batch_finished(a, b);
	mf_agent_pool_flush(ap);
}

static void start_joins(struct mf_agent *a, struct mf_agent_pool *ap, uint64_t client_id,
			const char *const *addrs, size_t n)
{
	start_batch(a, ap, client_id, addrs, n, false);
}

/* serf -rejoin: the members the snapshot knew alive, once, at start. */
static void start_rejoins(struct mf_agent *a)
{
	for (size_t p = 0; p < a->n_pools; p++) {
		const char *addrs[MF_CONFIG_MAX_JOIN];
		size_t n = mf_agent_snapshot_rejoin_addrs(a->pools[p], addrs, MF_CONFIG_MAX_JOIN);
		if (n)
			start_batch(a, a->pools[p], 0, addrs, n, true);
	}
}

/* The configured joins of every pool, each pool's as one batch; the
 * retry timer re-runs them all when a batch found nobody. */
static void start_pool_joins(struct mf_agent *a)
{
	for (size_t p = 0; p < a->n_pools; p++) {
		struct mf_agent_pool *ap = a->pools[p];
		const char *addrs[MF_CONFIG_MAX_JOIN];
		size_t n = 0;
		if (ap->area) {
			for (; n < ap->area->n_join; n++)
				addrs[n] = ap->area->join[n];
		} else {
			for (; n < a->cfg->n_join; n++)
				addrs[n] = a->cfg->join[n];
		}
		if (n && !pool_has_peers(ap))
			start_joins(a, ap, 0, addrs, n);
	}
}

static void on_retry_timer(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	if (a->state != MF_AGENT_RUNNING)
		return;
	start_pool_joins(a);
}

/* --- graceful leave ---------------------------------------------------------*/

static void on_leave_timer(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	mf_time_t now = now_ns();
	switch (a->state) {
	case MF_AGENT_LEAVE_INTENT:
		a->state = MF_AGENT_LEAVING;
		mf_log_info(&a->log, "leaving: broadcasting our departure");
		for (size_t i = 0; i < a->n_pools; i++)
			if (a->pools[i]->tr && mf_transport_leave(a->pools[i]->tr) < 0)
				mf_log_warn(&a->log, "pool %s: leave failed; exiting anyway",
					    a->pools[i]->name);
		uv_timer_start(&a->leave_timer, on_leave_timer, MF_LEAVE_POLL_MS, MF_LEAVE_POLL_MS);
		break;
	case MF_AGENT_LEAVING: {
		bool done = true;
		for (size_t i = 0; i < a->n_pools; i++)
			done = done && mf_pool_leave_done(a->pools[i]->pool);
		if (!done && now < a->leave_deadline)
			break;
		if (!done)
			mf_log_warn(&a->log, "leave not confirmed within the leave timeout");
		a->state = MF_AGENT_LINGER;
		mf_time_t linger = MF_LEAVE_LINGER;
		if (linger > a->leave_deadline - now)
			linger = a->leave_deadline - now;
		if (!a->others_alive_at_leave)
			linger = 0; /* nobody to answer */
		uv_timer_stop(&a->leave_timer);
		uv_timer_start(&a->leave_timer, on_leave_timer, to_ms(linger), 0);
		break;
	}
	case MF_AGENT_LINGER:
		mf_log_info(&a->log, "left the pool, exiting");
		shutdown_agent(a, 0);
		break;
	default:
		break;
	}
}

static void begin_leave(struct mf_agent *a)
{
	if (a->state != MF_AGENT_RUNNING)
		return;
	a->state = MF_AGENT_LEAVE_INTENT;
	uv_timer_stop(&a->retry_timer);
	mf_time_t now = now_ns();
	a->leave_deadline = now + a->cfg->leave_timeout;
	mf_time_t wait = 0;
	a->others_alive_at_leave = false;
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		size_t alive = mf_pool_alive_count(ap->pool);
		if (alive <= 1)
			continue;
		a->others_alive_at_leave = true;
		/* serf Leave: gossip the intent first, so serf peers record us as
		 * leaving and turn our dead into `left` rather than `failed`. We
		 * cannot see the broadcast drain, so wait its retransmit budget:
		 * retransmit_mult * ceil(log10(n+1)) gossip rounds. */
		const struct mf_pool_timing *tm = &mf_pool_config(ap->pool)->timing;
		double rounds = tm->retransmit_mult * ceil(log10((double)alive + 1));
		mf_time_t w = (mf_time_t)(rounds * (double)tm->gossip_interval);
		wait = w > wait ? w : wait;
		mf_serf_glue_leave_intent(&ap->glue);
		mf_agent_pool_flush(ap);
	}
	for (size_t i = 0; i < a->n_pools; i++)
		mf_agent_snapshot_leave(a->pools[i]);
	if (wait > a->cfg->leave_timeout / 2)
		wait = a->cfg->leave_timeout / 2;
	if (a->others_alive_at_leave)
		mf_log_info(&a->log, "leaving: gossiping leave intent for %.2fs",
			    (double)wait / MF_SEC);
	uv_timer_start(&a->leave_timer, on_leave_timer, to_ms(wait), 0);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mf_agent *a = s->data;
	if (a->state == MF_AGENT_RUNNING) {
		mf_log_info(&a->log, "caught %s: leaving gracefully", strsignal(signum));
		begin_leave(a);
	} else if (a->state != MF_AGENT_STOPPING) {
		mf_log_warn(&a->log, "caught %s again: exiting without finishing the leave",
			    strsignal(signum));
		shutdown_agent(a, 1);
	}
}

static void on_sighup(uv_signal_t *s, int signum)
{
	struct mf_agent *a = s->data;
	(void)signum;
	mf_log_info(&a->log, "caught SIGHUP: reloading the configuration");
	json_decref(mf_agent_reload(a));
}

/* --- start ------------------------------------------------------------------*/

/* Every route socket subscriber is a descriptor, and 1,000 of them must
 * fit: the soft limit (often 1024) goes up to the hard one. */
static void raise_fd_limit(struct mf_agent *a)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		mf_log_warn(&a->log, "cannot raise the open-file limit from %llu: %s",
			    (unsigned long long)old, strerror(errno));
}

static int metrics_render(void *ctx, char **out, size_t *len)
{
	return mf_agent_metrics_text(ctx, out, len);
}

static int start(struct mf_agent *a, char *err, size_t errcap)
{
	const struct mf_agent_config *c = a->cfg;
	if (sodium_init() < 0) {
		snprintf(err, errcap, "libsodium failed to initialise");
		return -1;
	}
	int crypto = mf_crypto_init();
	if (!a->cfg->node[0] && gethostname(a->cfg->node, sizeof(a->cfg->node)) < 0) {
		snprintf(err, errcap, "no -node given and the host name is unavailable");
		return -1;
	}
	a->cfg->node[sizeof(a->cfg->node) - 1] = '\0';
	if (mf_config_check(c, err, errcap) < 0)
		return -1;
	for (size_t i = 0; i < 1 + c->n_areas; i++) {
		if (i == 0 && !c->wan)
			continue;
		const struct mf_area_config *area = i ? &c->areas[i - 1] : NULL;
		struct mf_agent_pool *ap = NULL;
		int r = mf_agent_pool_start(a, area, join_done, &ap, err, errcap);
		if (ap)
			a->pools[a->n_pools++] = ap;
		if (r < 0)
			return -1;
		if (ap->keyring.n && crypto < 0) {
			snprintf(err, errcap, "encryption unavailable: %s", mf_strerror(crypto));
			return -1;
		}
		if (mf_agent_snapshot_open(ap, err, errcap) < 0)
			return -1;
	}
	if (mf_agent_routing_start(a, err, errcap) < 0)
		return -1;

	char path[MF_CONFIG_SOCK_MAX + 1];
	if (c->control[0])
		snprintf(path, sizeof(path), "%s", c->control);
	else
		mf_config_default_control(path, sizeof(path));
	a->start_joins = start_joins;
	a->begin_leave = begin_leave;
	struct mf_control_handler h = {a, mf_agent_on_request, mf_agent_monitor_closed};
	if (mf_control_new(&a->loop, path, &h, &a->ctl, err, errcap) < 0)
		return -1;
	if (mf_agent_route_socket_start(a, err, errcap) < 0)
		return -1;
	if (c->has_metrics_addr &&
	    mf_metrics_http_new(&a->loop, &c->metrics_addr, metrics_render, a, &a->metrics, err,
				errcap) < 0)
		return -1;

	uv_signal_init(&a->loop, &a->sigint);
	uv_signal_init(&a->loop, &a->sigterm);
	uv_signal_init(&a->loop, &a->sighup);
	uv_timer_init(&a->loop, &a->retry_timer);
	uv_timer_init(&a->loop, &a->leave_timer);
	uv_timer_init(&a->loop, &a->housekeeping_timer);
	a->sigint.data = a->sigterm.data = a->sighup.data = a;
	a->retry_timer.data = a->leave_timer.data = a->housekeeping_timer.data = a;
	a->handles_open = true;
	a->report_ms = (uint64_t)(c->drop_report_interval / MF_MS);
	if (a->report_ms == 0)
		a->report_ms = 1;
	uint64_t tick = a->report_ms < MF_AGENT_TRIM_MS ? a->report_ms : MF_AGENT_TRIM_MS;
	a->trimmed_at = a->reported_at = uv_now(&a->loop);
	uv_timer_start(&a->housekeeping_timer, on_housekeeping, tick, tick);
	uv_signal_start(&a->sigint, on_signal, SIGINT);
	uv_signal_start(&a->sigterm, on_signal, SIGTERM);
	uv_signal_start(&a->sighup, on_sighup, SIGHUP);

	static const char *profiles[] = {"wan", "lan", "local"};
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		enum mf_profile prof =
			ap->area && ap->area->has_profile ? ap->area->profile : c->profile;
		if (i == 0)
			mf_log_info(&a->log,
				    "meshfed agent started: node %s, dc %s, bind %s, advertise %s, "
				    "profile %s, encryption %s, control %s, route socket %s%s%s",
				    c->node, c->dc, ap->bind_str, ap->advertise_str, profiles[prof],
				    ap->keyring.n ? "on" : "off", path, a->rsock_path,
				    ap->area ? ", area " : "",
				    ap->area ? ap->name : "");
		else
			mf_log_info(&a->log, "area %s: bind %s, advertise %s, profile %s, "
				    "encryption %s", ap->name, ap->bind_str, ap->advertise_str,
				    profiles[prof], ap->keyring.n ? "on" : "off");
	}
	a->retry_delay = c->retry_interval;
	start_rejoins(a);
	start_pool_joins(a);
	return 0;
}

int mf_agent_run(struct mf_agent_config *cfg, int argc, char **argv, char *err, size_t errcap)
{
	mf_agent_memory_tune(); /* before the agent's first block */
	struct mf_agent *a = calloc(1, sizeof(*a));
	if (!a) {
		mf_agent_config_free(cfg);
		snprintf(err, errcap, "out of memory");
		return 1;
	}
	a->cfg = cfg;
	a->argc = argc;
	a->argv = argv;
	mf_intern_init(&a->strs);
	a->started = now_ns();
	mf_log_init(&a->log, stderr, cfg->log_level);
	a->log.json = cfg->log_json;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit(a);
	uv_loop_init(&a->loop);
	int code = 0;
	err[0] = '\0';
	if (start(a, err, errcap) < 0) {
		shutdown_agent(a, 1);
		code = -1;
	} else if (mf_sd_notify("READY=1\nSTATUS=gossip port bound, control socket open") < 0) {
		/* Gossip ports are bound and the control socket exists: ready. */
		mf_log_warn(&a->log, "cannot notify $NOTIFY_SOCKET: %s", strerror(errno));
	}
	uv_run(&a->loop, UV_RUN_DEFAULT);
	code = code == -1 ? 1 : a->exit_code;
	if (uv_loop_close(&a->loop) != 0)
		mf_log_warn(&a->log, "event loop closed with handles still open");
	for (size_t i = 0; i < a->n_pools; i++)
		mf_agent_pool_free(a->pools[i]);
	mf_agent_routing_free(a);
	mf_intern_free(&a->strs); /* after the pools: they hold its strings */
	free(a->leave_clients);
	free(a->reload_cfg);
	mf_agent_config_free(a->cfg);
	free(a);
	return code;
}

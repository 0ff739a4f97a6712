/* cmd/agent.c — see cmd/agent.h. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/agent_internal.h"
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
		uv_close((uv_handle_t *)&a->retry_timer, NULL);
		uv_close((uv_handle_t *)&a->leave_timer, NULL);
		a->handles_open = false;
	}
	if (a->ctl) {
		mf_control_close(a->ctl, NULL, NULL);
		a->ctl = NULL;
	}
	if (a->tr) {
		mf_transport_close(a->tr, NULL, NULL);
		a->tr = NULL;
	}
}

/* --- joins ------------------------------------------------------------------*/

static void on_retry_timer(uv_timer_t *t);

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
		mf_serf_glue_join_intent(&a->glue); /* serf Join: broadcastJoin */
	char list[512] = "";
	for (size_t i = 0; i < b->n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 b->addrs[i] ? b->addrs[i] : "?");
	if (b->client_id) {
		json_t *resp = b->ok > 0 ? json_pack("{s:b,s:I}", "ok", 1, "joined", (json_int_t)b->ok)
					 : mf_control_error("failed to join any of: %s", list);
		mf_control_respond(a->ctl, b->client_id, resp);
		mf_log_info(&a->log, "join %s: %zu of %zu joined", list, b->ok, b->n);
	} else if (b->ok > 0) {
		mf_log_info(&a->log, "joined the pool through %zu of: %s", b->ok, list);
	} else if (a->state == MF_AGENT_RUNNING) {
		a->retry_attempts++;
		if (a->cfg.retry_max > 0 && a->retry_attempts >= a->cfg.retry_max) {
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
		if (a->retry_delay > a->cfg.retry_max_interval)
			a->retry_delay = a->cfg.retry_max_interval;
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

void mf_agent_start_joins(struct mf_agent *a, uint64_t client_id, const char *const *addrs,
			  size_t n)
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
	b->n = n;
	b->waiting = n;
	b->next = a->batches;
	a->batches = b;
	for (size_t i = 0; i < n; i++) {
		b->addrs[i] = strdup(addrs[i]);
		struct mf_addr to;
		uint64_t id = 0;
		int r = mf_addr_parse(addrs[i], MF_DEFAULT_PORT, &to);
		if (r == 0 && !a->tr)
			r = MF_ESTATE; /* shut down meanwhile */
		if (r == 0) {
			b->ids[n] = 0;
			a->issuing = b;
			r = mf_transport_join(a->tr, &to, &id);
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
	if (a->tr)
		mf_serf_glue_flush(&a->glue, a->tr);
}

static void on_retry_timer(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	if (a->state != MF_AGENT_RUNNING)
		return;
	const char *addrs[MF_CONFIG_MAX_JOIN];
	for (size_t i = 0; i < a->cfg.n_join; i++)
		addrs[i] = a->cfg.join[i];
	mf_agent_start_joins(a, 0, addrs, a->cfg.n_join);
}

/* --- pool events ------------------------------------------------------------*/

static void on_event(void *ctx, const struct mf_pool_event *ev)
{
	struct mf_agent *a = ctx;
	if (ev->kind == MF_EV_JOIN_DONE) {
		mf_log_debug(&a->log, "join #%llu %s", (unsigned long long)ev->join_id,
			     ev->ok ? "completed" : "failed");
		join_done(a, ev->join_id, ev->ok);
		return;
	}
	char name[MF_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", ev->name ? ev->name : "?");
	mf_serf_glue_on_event(&a->glue, ev);
	struct mf_member m;
	char addr[80] = "";
	if (mf_pool_member_find(a->pool, name, &m) == 0)
		mf_addr_format(&m.addr, addr, sizeof(addr));
	switch (ev->kind) {
	case MF_EV_JOIN:
		mf_log_info(&a->log, "member joined: %s %s", name, addr);
		break;
	case MF_EV_UPDATE:
		mf_log_info(&a->log, "member updated: %s %s", name, addr);
		break;
	case MF_EV_SUSPECT:
		mf_log_info(&a->log, "member suspect: %s %s", name, addr);
		break;
	case MF_EV_FAILED:
		mf_log_info(&a->log, "member failed: %s %s", name, addr);
		break;
	case MF_EV_LEFT:
		mf_log_info(&a->log, "member left: %s %s", name, addr);
		break;
	case MF_EV_REAPED:
		mf_log_info(&a->log, "member reaped: %s", name);
		break;
	default:
		break;
	}
}

static void after_drain(void *ctx)
{
	struct mf_agent *a = ctx;
	if (a->tr && (a->glue.n_queue || a->glue.n_force))
		mf_serf_glue_flush(&a->glue, a->tr);
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
		if (mf_transport_leave(a->tr) < 0)
			mf_log_warn(&a->log, "pool leave failed; exiting anyway");
		uv_timer_start(&a->leave_timer, on_leave_timer, MF_LEAVE_POLL_MS, MF_LEAVE_POLL_MS);
		break;
	case MF_AGENT_LEAVING: {
		bool done = mf_pool_leave_done(a->pool);
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

void mf_agent_begin_leave(struct mf_agent *a)
{
	if (a->state != MF_AGENT_RUNNING)
		return;
	a->state = MF_AGENT_LEAVE_INTENT;
	uv_timer_stop(&a->retry_timer);
	mf_time_t now = now_ns();
	a->leave_deadline = now + a->cfg.leave_timeout;
	mf_time_t wait = 0;
	size_t alive = mf_pool_alive_count(a->pool);
	a->others_alive_at_leave = alive > 1;
	if (alive > 1) {
		/* serf Leave: gossip the intent first, so serf peers record us as
		 * leaving and turn our dead into `left` rather than `failed`. We
		 * cannot see the broadcast drain, so wait its retransmit budget:
		 * retransmit_mult * ceil(log10(n+1)) gossip rounds. */
		const struct mf_pool_timing *tm = &mf_pool_config(a->pool)->timing;
		double rounds = tm->retransmit_mult * ceil(log10((double)alive + 1));
		wait = (mf_time_t)(rounds * (double)tm->gossip_interval);
		if (wait > a->cfg.leave_timeout / 2)
			wait = a->cfg.leave_timeout / 2;
		mf_serf_glue_leave_intent(&a->glue);
		mf_serf_glue_flush(&a->glue, a->tr);
		mf_log_info(&a->log, "leaving: gossiping leave intent for %.2fs",
			    (double)wait / MF_SEC);
	}
	uv_timer_start(&a->leave_timer, on_leave_timer, to_ms(wait), 0);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct mf_agent *a = s->data;
	if (a->state == MF_AGENT_RUNNING) {
		mf_log_info(&a->log, "caught %s: leaving gracefully", strsignal(signum));
		mf_agent_begin_leave(a);
	} else if (a->state != MF_AGENT_STOPPING) {
		mf_log_warn(&a->log, "caught %s again: exiting without finishing the leave",
			    strsignal(signum));
		shutdown_agent(a, 1);
	}
}

/* --- start ------------------------------------------------------------------*/

static int pick_advertise(struct mf_agent *a, struct mf_addr *adv, char *err, size_t errcap)
{
	static const uint8_t zero[16] = {0};
	*adv = a->cfg.has_advertise ? a->cfg.advertise : a->cfg.bind;
	if (a->cfg.has_advertise || memcmp(adv->ip, zero, adv->ip_len) != 0)
		return 0;
	/* Bound to every address: advertise the first non-loopback IPv4. */
	uv_interface_address_t *ifs;
	int n;
	if (uv_interface_addresses(&ifs, &n) == 0) {
		for (int i = 0; i < n; i++) {
			if (ifs[i].is_internal || ifs[i].address.address4.sin_family != AF_INET)
				continue;
			adv->ip_len = 4;
			memcpy(adv->ip, &ifs[i].address.address4.sin_addr, 4);
			uv_free_interface_addresses(ifs, n);
			return 0;
		}
		uv_free_interface_addresses(ifs, n);
	}
	snprintf(err, errcap, "no non-loopback IPv4 address to advertise; set -advertise");
	return -1;
}

static int build_meta(struct mf_agent *a, struct mf_pool_config *pc, char *err, size_t errcap)
{
	struct mf_tag tags[MF_CONFIG_MAX_TAGS + 2];
	size_t n = 0;
	memset(tags, 0, sizeof(tags));
	snprintf(tags[n].key, sizeof(tags[n].key), "dc");
	snprintf(tags[n++].value, sizeof(tags[0].value), "%s", a->cfg.dc);
	snprintf(tags[n].key, sizeof(tags[n].key), "role");
	snprintf(tags[n++].value, sizeof(tags[0].value), "meshfed");
	for (size_t i = 0; i < a->cfg.n_tags; i++, n++) {
		snprintf(tags[n].key, sizeof(tags[n].key), "%s", a->cfg.tags[i].key);
		snprintf(tags[n].value, sizeof(tags[n].value), "%s", a->cfg.tags[i].value);
	}
	int r = mf_serf_encode_tags(tags, n, pc->meta, sizeof(pc->meta), &pc->meta_len);
	if (r < 0) {
		snprintf(err, errcap, "tags: %s (memberlist allows %d bytes of encoded tags)",
			 mf_strerror(r), MF_META_MAX);
		return -1;
	}
	return 0;
}

static int start(struct mf_agent *a, char *err, size_t errcap)
{
	const struct mf_agent_config *c = &a->cfg;
	if (sodium_init() < 0) {
		snprintf(err, errcap, "libsodium failed to initialise");
		return -1;
	}
	int crypto = mf_crypto_init();
	if (mf_config_read_keyring(c, &a->keyring, err, errcap) < 0)
		return -1;
	if (crypto < 0 && a->keyring.n > 0) {
		snprintf(err, errcap, "encryption unavailable: %s", mf_strerror(crypto));
		return -1;
	}
	if (!a->cfg.node[0] && gethostname(a->cfg.node, sizeof(a->cfg.node)) < 0) {
		snprintf(err, errcap, "no -node given and the host name is unavailable");
		return -1;
	}
	a->cfg.node[sizeof(a->cfg.node) - 1] = '\0';

	struct mf_pool_config pc;
	mf_pool_config_init(&pc, c->profile);
	snprintf(pc.name, sizeof(pc.name), "%s", c->node);
	if (pick_advertise(a, &pc.advertise, err, errcap) < 0)
		return -1;
	mf_config_timing(c, &pc.timing);
	if (build_meta(a, &pc, err, errcap) < 0)
		return -1;
	pc.keyring = a->keyring.n ? &a->keyring : NULL;
	randombytes_buf(&pc.seed, sizeof(pc.seed));
	mf_serf_glue_init(&a->glue, c->node);
	mf_serf_glue_delegate(&a->glue, &pc.delegate);
	mf_addr_format(&pc.advertise, a->advertise_str, sizeof(a->advertise_str));

	int r = mf_pool_new(&pc, now_ns(), &a->pool);
	if (r < 0) {
		snprintf(err, errcap, "cannot create the pool: %s", mf_strerror(r));
		return -1;
	}
	struct mf_transport_config tc = {.bind = c->bind};
	tc.cb.ctx = a;
	tc.cb.on_event = on_event;
	tc.cb.after_drain = after_drain;
	int uverr = 0;
	char bind_str[80];
	mf_addr_format(&c->bind, bind_str, sizeof(bind_str));
	if ((r = mf_transport_new(&a->loop, a->pool, &tc, &a->tr, &uverr)) < 0) {
		snprintf(err, errcap, "cannot bind %s: %s", bind_str,
			 uverr ? uv_strerror(uverr) : mf_strerror(r));
		return -1;
	}

	char path[MF_CONFIG_SOCK_MAX + 1];
	if (c->control[0])
		snprintf(path, sizeof(path), "%s", c->control);
	else
		mf_config_default_control(path, sizeof(path));
	struct mf_control_handler h = {a, mf_agent_on_request};
	if (mf_control_new(&a->loop, path, &h, &a->ctl, err, errcap) < 0)
		return -1;

	uv_signal_init(&a->loop, &a->sigint);
	uv_signal_init(&a->loop, &a->sigterm);
	uv_timer_init(&a->loop, &a->retry_timer);
	uv_timer_init(&a->loop, &a->leave_timer);
	a->sigint.data = a->sigterm.data = a->retry_timer.data = a->leave_timer.data = a;
	a->handles_open = true;
	uv_signal_start(&a->sigint, on_signal, SIGINT);
	uv_signal_start(&a->sigterm, on_signal, SIGTERM);

	static const char *profiles[] = {"wan", "lan", "local"};
	mf_log_info(&a->log,
		    "meshfed agent started: node %s, dc %s, bind %s, advertise %s, profile %s, "
		    "encryption %s, control %s",
		    c->node, c->dc, bind_str, a->advertise_str, profiles[c->profile],
		    a->keyring.n ? "on" : "off", path);
	a->retry_delay = c->retry_interval;
	if (c->n_join) {
		const char *addrs[MF_CONFIG_MAX_JOIN];
		for (size_t i = 0; i < c->n_join; i++)
			addrs[i] = c->join[i];
		mf_agent_start_joins(a, 0, addrs, c->n_join);
	}
	return 0;
}

int mf_agent_run(const struct mf_agent_config *cfg, char *err, size_t errcap)
{
	struct mf_agent *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errcap, "out of memory");
		return 1;
	}
	a->cfg = *cfg;
	a->started = now_ns();
	mf_log_init(&a->log, stderr, cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&a->loop);
	int code = 0;
	err[0] = '\0';
	if (start(a, err, errcap) < 0) {
		shutdown_agent(a, 1);
		code = -1;
	}
	uv_run(&a->loop, UV_RUN_DEFAULT);
	code = code == -1 ? 1 : a->exit_code;
	if (uv_loop_close(&a->loop) != 0)
		mf_log_warn(&a->log, "event loop closed with handles still open");
	if (a->pool)
		mf_pool_free(a->pool);
	if (a->glue.self[0])
		mf_serf_glue_free(&a->glue);
	mf_keyring_wipe(&a->keyring);
	free(a->leave_clients);
	free(a);
	return code;
}

/*
 * cmd/agent/agent_routing.c — the agent's routing: one routing/node.h node (the
 * engine fed by every pool, adverts gossiped back into them; the rules are
 * documented there and in docs/cli.md "Routing"), driven by a uv timer
 * every MF_ROUTING_NODE_TICK_MS, slower while nothing happens
 * (agent_internal.h, struct mf_agent_routing), plus its control answers; and the route
 * socket (cmd/agent/route_socket.h): each new table version goes to it after the
 * tick that made it, and its healthy registered gateways, with the
 * configured ones, become this server's advertised gateways.
 *
 * The node queues its advert fragments with mf_pool_broadcast_user straight
 * into the pools; they leave with the pools' next gossip round, which the
 * transports drive, so nothing needs draining here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "routing/table_format.h"

static void on_withdrawn(void *ctx, const char *dc)
{
	struct mf_agent *a = ctx;
	mf_log_info(&a->log, "routing: no alive server of %s left, withdrawing its routes", dc);
}

static void on_advert_error(void *ctx, int err)
{
	struct mf_agent *a = ctx;
	mf_log_warn(&a->log, "routing: cannot encode our advertisement: %s", mf_strerror(err));
}

/* Hands the table to the route socket when its version grew. */
static void publish(struct mf_agent *a)
{
	if (!a->rsock || !a->rt.node ||
	    mf_routing_version(mf_routing_node_engine(a->rt.node)) <= a->rt.published)
		return;
	struct mf_table t;
	int r = mf_routing_node_table(a->rt.node, &t);
	if (r == 0) {
		uint64_t v = a->rt.published = t.version, t0 = uv_hrtime();
		r = mf_route_socket_publish(a->rsock, &t);
		mf_log_debug(&a->log, "route socket: version %llu published in %.2f ms",
			     (unsigned long long)v, (double)(uv_hrtime() - t0) / 1e6);
	}
	if (r < 0)
		mf_log_warn(&a->log, "route socket: cannot publish the table: %s", mf_strerror(r));
}

static void on_tick(uv_timer_t *t);

static void set_period(struct mf_agent *a, bool idle)
{
	a->rt.idle = idle;
	uint64_t ms = idle ? MF_AGENT_ROUTING_IDLE_TICK_MS : MF_ROUTING_NODE_TICK_MS;
	uv_timer_start(&a->rt.timer, on_tick, ms, ms);
}

void mf_agent_routing_poke(struct mf_agent *a)
{
	a->rt.quiet = 0;
	if (a->rt.timer_open && a->rt.idle)
		set_period(a, false);
}

static void on_tick(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	if (a->state != MF_AGENT_RUNNING || !a->rt.node)
		return;
	const struct mf_routing_node_stats *st = mf_routing_node_stats(a->rt.node);
	uint64_t sent = st->broadcasts + st->relayed;
	bool changed = false;
	int r = mf_routing_node_tick(a->rt.node, (mf_time_t)uv_hrtime(), &changed);
	if (r < 0 && !a->rt.tick_failing) /* once, not every tick, until one succeeds */
		mf_log_warn(&a->log, "routing: tick failed: %s; the table is not recomputed",
			    mf_strerror(r));
	a->rt.tick_failing = r < 0;
	if (changed || st->broadcasts + st->relayed != sent)
		a->rt.quiet = 0;
	else if (a->rt.quiet < MF_AGENT_ROUTING_QUIET_TICKS)
		a->rt.quiet++;
	if (!a->rt.idle && a->rt.quiet >= MF_AGENT_ROUTING_QUIET_TICKS)
		set_period(a, true);
	else if (a->rt.idle && a->rt.quiet == 0)
		set_period(a, false);
	mf_agent_coords_embed(a);
	/* The tick's beat messages are direct datagrams the pools queued; its
	 * adverts and the embedding's announcement are broadcasts, which an
	 * idle pool's timer would otherwise carry only at its next probe
	 * (mf_pool_next_wake). */
	for (size_t i = 0; i < a->n_pools; i++)
		if (a->pools[i]->tr && a->pools[i]->pool)
			mf_transport_drain(a->pools[i]->tr);
	publish(a);
}

/* The configured gateways as the node wants them; strings point into cfg,
 * tags into the caller's array. */
static size_t configured_gateways(struct mf_agent_config *c, struct mf_gateway *gw,
				  struct mf_gateway_tag (*tags)[MF_CONFIG_MAX_GW_TAGS])
{
	for (size_t i = 0; i < c->n_gateways; i++) {
		struct mf_gateway_config *g = &c->gateways[i];
		for (size_t k = 0; k < g->n_tags; k++)
			tags[i][k] = (struct mf_gateway_tag){g->tag_keys[k], g->tag_addrs[k]};
		gw[i] = (struct mf_gateway){g->name, g->lan, g->wan, g->n_tags, tags[i]};
	}
	return c->n_gateways;
}

/* The route socket's healthy registered gateways changed: advertise them
 * with the configured ones (a configured name wins over a registered one),
 * at most MF_ADVERT_GATEWAYS_MAX. */
static void advertise_gateways(struct mf_agent *a, const struct mf_gateway *reg, size_t n_reg)
{
	if (!a->rt.node || a->state == MF_AGENT_STOPPING)
		return;
	struct mf_gateway_tag tags[MF_CONFIG_MAX_GATEWAYS][MF_CONFIG_MAX_GW_TAGS];
	struct mf_gateway gw[MF_ADVERT_GATEWAYS_MAX];
	size_t n = configured_gateways(a->cfg, gw, tags), n_cfg = n;
	for (size_t i = 0; i < n_reg; i++) {
		bool dup = false;
		for (size_t k = 0; k < n_cfg; k++)
			dup = dup || strcmp(gw[k].name, reg[i].name) == 0;
		if (dup)
			continue;
		if (n == MF_ADVERT_GATEWAYS_MAX) {
			mf_log_warn(&a->log, "route socket: more than %d gateways, %s and later "
				    "not advertised", MF_ADVERT_GATEWAYS_MAX, reg[i].name);
			break;
		}
		gw[n] = reg[i];
		if (!gw[n].lan) /* as a configured gateway's: lan defaults to wan */
			gw[n].lan = gw[n].wan;
		n++;
	}
	int r = mf_routing_node_set_gateways(a->rt.node, gw, n);
	if (r < 0)
		mf_log_warn(&a->log, "routing: cannot set our gateways: %s", mf_strerror(r));
}

static void free_registered(struct mf_agent *a)
{
	for (size_t i = 0; i < a->n_registered; i++)
		mf_gateway_free(&a->registered[i]);
	free(a->registered);
	a->registered = NULL;
	a->n_registered = 0;
}

/* Kept so a reload can merge the new configured gateways with them. */
static void on_registered_gateways(void *ctx, const struct mf_gateway *reg, size_t n_reg)
{
	struct mf_agent *a = ctx;
	free_registered(a);
	struct mf_gateway *copy = NULL;
	if (n_reg && mf_gateways_copy(reg, n_reg, &copy) == 0) {
		a->registered = copy;
		a->n_registered = n_reg;
	} else if (n_reg) {
		mf_log_warn(&a->log, "route socket: out of memory keeping the registered gateways");
	}
	advertise_gateways(a, reg, n_reg);
	mf_agent_routing_poke(a);
}

int mf_agent_routing_reload(struct mf_agent *a, bool policy, bool gateways, char *err,
			    size_t errcap)
{
	if (!a->rt.node)
		return 0;
	mf_agent_routing_poke(a);
	if (gateways)
		advertise_gateways(a, a->registered, a->n_registered);
	if (!policy)
		return 0;
	const struct mf_routing_agent_config *rc = &a->cfg->routing;
	struct mf_routing_node_target targets[MF_CONFIG_MAX_TARGETS];
	for (size_t i = 0; i < rc->n_targets; i++)
		targets[i] = (struct mf_routing_node_target){rc->targets[i].dc,
							     (enum mf_route_mode)rc->targets[i].mode};
	return mf_routing_node_set_policy(a->rt.node, (enum mf_route_mode)rc->default_mode, targets,
					  rc->n_targets, rc->transit, err, errcap);
}

int mf_agent_routing_start(struct mf_agent *a, char *err, size_t errcap)
{
	struct mf_agent_routing *rt = &a->rt;
	const struct mf_routing_agent_config *rc = &a->cfg->routing;
	struct mf_routing_node_config cfg;
	mf_routing_node_config_default(&cfg);
	cfg.datacenter = a->cfg->dc;
	cfg.node = a->cfg->node;
	cfg.default_mode = (enum mf_route_mode)rc->default_mode;
	cfg.transit = rc->transit;
	cfg.hysteresis_pct = rc->hysteresis_pct;
	cfg.hysteresis_ms = rc->hysteresis_ms;
	uv_timeval64_t tv;
	if (uv_gettimeofday(&tv) == 0) /* a restarted server outranks its former self */
		cfg.initial_seq = (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
	struct mf_routing_node_target targets[MF_CONFIG_MAX_TARGETS];
	for (size_t i = 0; i < rc->n_targets; i++)
		targets[i] = (struct mf_routing_node_target){rc->targets[i].dc,
							     (enum mf_route_mode)rc->targets[i].mode};
	cfg.targets = targets;
	cfg.n_targets = rc->n_targets;
	cfg.require_gateways = rc->require_gateways;
	struct mf_gateway gw[MF_CONFIG_MAX_GATEWAYS];
	struct mf_gateway_tag tags[MF_CONFIG_MAX_GATEWAYS][MF_CONFIG_MAX_GW_TAGS];
	cfg.gateways = gw;
	cfg.n_gateways = configured_gateways(a->cfg, gw, tags);
	cfg.hooks = (struct mf_routing_node_hooks){a, on_withdrawn, on_advert_error};
	cfg.names = &a->strs.ids; /* the pools' name ids: freed after the node */
	char msg[200];
	if (mf_routing_node_new(&cfg, &rt->node, msg, sizeof(msg)) < 0) {
		snprintf(err, errcap, "routing: %s", msg);
		return -1;
	}
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		const char *peers[MF_CONFIG_MAX_PEERS];
		size_t n = ap->area ? ap->area->n_peers : 0;
		for (size_t k = 0; k < n; k++)
			peers[k] = ap->area->peers[k];
		int r = mf_routing_node_add_pool(rt->node, ap->pool, &ap->tracker, peers, n,
						 &ap->slot);
		if (r < 0) {
			snprintf(err, errcap, "routing: pool %s: %s", ap->name, mf_strerror(r));
			return -1;
		}
	}
	/* A first tick now, so the table always holds at least our own DC: the
	 * engine's table of an engine never recomputed is empty, and
	 * routing/engine.c then hands qsort a NULL array (UBSan aborts). */
	int r = mf_routing_node_tick(rt->node, (mf_time_t)uv_hrtime(), NULL);
	if (r < 0) {
		snprintf(err, errcap, "routing: first tick: %s", mf_strerror(r));
		return -1;
	}
	uv_timer_init(&a->loop, &rt->timer);
	rt->timer.data = a;
	rt->timer_open = true;
	rt->quiet = 0;
	set_period(a, false);
	return 0;
}

int mf_agent_route_socket_start(struct mf_agent *a, char *err, size_t errcap)
{
	const struct mf_agent_config *c = a->cfg;
	if (c->route_socket[0])
		snprintf(a->rsock_path, sizeof(a->rsock_path), "%s", c->route_socket);
	else
		mf_config_default_route_socket(a->rsock_path, sizeof(a->rsock_path));
	gid_t gid;
	if (mf_route_socket_parse_group(c->route_socket_group, &gid) < 0) {
		snprintf(err, errcap, "route_socket_group: no group named \"%s\" in /etc/group",
			 c->route_socket_group);
		return -1;
	}
	uint64_t epoch = 0;
	while (epoch == 0) { /* random per start; JSON integers stop at 2^63 - 1 */
		randombytes_buf(&epoch, sizeof(epoch));
		epoch &= (uint64_t)INT64_MAX;
	}
	struct mf_route_socket_config rc = {a->rsock_path, gid, c->dc, c->node, epoch, &a->log,
					    on_registered_gateways, a};
	if (mf_route_socket_new(&a->loop, &rc, &a->rsock, err, errcap) < 0)
		return -1;
	a->rt.published = 0;
	publish(a);
	return 0;
}

void mf_agent_route_socket_close(struct mf_agent *a)
{
	if (a->rsock)
		mf_route_socket_close(a->rsock);
	a->rsock = NULL;
}

void mf_agent_routing_close(struct mf_agent *a)
{
	if (a->rt.timer_open) {
		uv_close((uv_handle_t *)&a->rt.timer, NULL);
		a->rt.timer_open = false;
	}
	for (size_t i = 0; i < a->n_pools; i++)
		if (a->pools[i]->slot)
			mf_routing_node_set_pool(a->pools[i]->slot, NULL, NULL);
}

void mf_agent_routing_free(struct mf_agent *a)
{
	free_registered(a);
	mf_agent_coords_embed_free(a);
	if (a->rt.node)
		mf_routing_node_free(a->rt.node);
	a->rt.node = NULL;
}

json_t *mf_agent_routes_json(struct mf_agent *a)
{
	struct mf_table t;
	char *s = NULL;
	if (!a->rt.node)
		return mf_control_error("routing is not running");
	int r = mf_routing_node_table(a->rt.node, &t);
	if (r == 0) {
		r = mf_table_format(&t, MF_TABLE_JSON, &s);
		mf_table_free(&t);
	}
	json_t *o = r == 0 ? json_loads(s, 0, NULL) : NULL;
	free(s);
	if (!o)
		return mf_control_error("cannot render the table: %s", mf_strerror(r));
	return json_pack("{s:b,s:o}", "ok", 1, "table", o);
}

json_t *mf_agent_routing_info_json(struct mf_agent *a)
{
	if (!a->rt.node)
		return json_null();
	const struct mf_routing *e = mf_routing_node_engine(a->rt.node);
	const struct mf_routing_node_stats *s = mf_routing_node_stats(a->rt.node);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			 "s:I,s:I,s:I,s:I,s:I}",
			 "version",
			 (json_int_t)mf_routing_version(e), "advert_seq",
			 (json_int_t)mf_routing_advert_seq(e), "adverts_known",
			 (json_int_t)mf_routing_node_n_stored(a->rt.node), "fragments_in",
			 (json_int_t)s->fragments_in, "bad_fragments", (json_int_t)s->bad_fragments,
			 "adverts_stored", (json_int_t)s->adverts_stored, "adverts_stale",
			 (json_int_t)s->adverts_stale, "full_states_in",
			 (json_int_t)s->full_states_in, "adverts_foreign",
			 (json_int_t)s->adverts_foreign, "bad_full_states",
			 (json_int_t)s->bad_full_states, "broadcasts", (json_int_t)s->broadcasts,
			 "relayed", (json_int_t)s->relayed, "withdrawals", (json_int_t)s->withdrawals,
			 "recomputes", (json_int_t)s->recomputes, "adverts_too_many_dcs",
			 (json_int_t)s->adverts_too_many_dcs, "adverts_seq_jump",
			 (json_int_t)s->adverts_seq_jump, "adverts_bad_path",
			 (json_int_t)s->adverts_bad_path, "adverts_own_dc_foreign",
			 (json_int_t)s->adverts_own_dc_foreign, "local_errors",
			 (json_int_t)s->local_errors, "digests_in", (json_int_t)s->digests_in,
			 "bad_digests", (json_int_t)s->bad_digests, "pulls_out",
			 (json_int_t)s->pulls_out, "pulls_in", (json_int_t)s->pulls_in);
}

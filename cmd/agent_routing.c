/*
 * cmd/agent_routing.c — the agent's routing: one routing/node.h node (the
 * engine fed by every pool, adverts gossiped back into them; the rules are
 * documented there and in docs/cli.md "Routing"), driven by a uv timer
 * every MF_ROUTING_NODE_TICK_MS, plus its control answers.
 *
 * The node queues its advert fragments with mf_pool_broadcast_user straight
 * into the pools; they leave with the pools' next gossip round, which the
 * transports drive, so nothing needs draining here.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/agent_internal.h"
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

static void on_tick(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	if (a->state == MF_AGENT_RUNNING && a->rt.node)
		(void)mf_routing_node_tick(a->rt.node, (mf_time_t)uv_hrtime(), NULL);
}

int mf_agent_routing_start(struct mf_agent *a, char *err, size_t errcap)
{
	struct mf_agent_routing *rt = &a->rt;
	const struct mf_routing_agent_config *rc = &a->cfg.routing;
	struct mf_routing_node_config cfg;
	mf_routing_node_config_default(&cfg);
	cfg.datacenter = a->cfg.dc;
	cfg.node = a->cfg.node;
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
	struct mf_gateway gw[MF_CONFIG_MAX_GATEWAYS];
	struct mf_gateway_tag tags[MF_CONFIG_MAX_GATEWAYS][MF_CONFIG_MAX_GW_TAGS];
	for (size_t i = 0; i < a->cfg.n_gateways; i++) {
		struct mf_gateway_config *g = &a->cfg.gateways[i];
		for (size_t k = 0; k < g->n_tags; k++)
			tags[i][k] = (struct mf_gateway_tag){g->tag_keys[k], g->tag_addrs[k]};
		gw[i] = (struct mf_gateway){g->name, g->lan, g->wan, g->n_tags, tags[i]};
	}
	cfg.gateways = gw;
	cfg.n_gateways = a->cfg.n_gateways;
	cfg.hooks = (struct mf_routing_node_hooks){a, on_withdrawn, on_advert_error};
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
	(void)mf_routing_node_tick(rt->node, (mf_time_t)uv_hrtime(), NULL);
	uv_timer_init(&a->loop, &rt->timer);
	rt->timer.data = a;
	rt->timer_open = true;
	uv_timer_start(&rt->timer, on_tick, MF_ROUTING_NODE_TICK_MS, MF_ROUTING_NODE_TICK_MS);
	return 0;
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
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "version",
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
			 "recomputes", (json_int_t)s->recomputes);
}

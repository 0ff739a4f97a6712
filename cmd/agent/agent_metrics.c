/*
 * cmd/agent/agent_metrics.c — the agent's stats as Prometheus text: a snapshot of
 * the same structs `meshfed info` reads, handed to cmd/daemon/metrics.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/daemon/metrics.h"

int mf_agent_metrics_text(struct mf_agent *a, char **out, size_t *len)
{
	struct mf_metrics_pool pools[MF_AGENT_MAX_POOLS];
	memset(pools, 0, sizeof(pools));
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		struct mf_metrics_pool *p = &pools[i];
		p->name = ap->name;
		size_t n = mf_pool_member_count(ap->pool);
		for (size_t k = 0; k < n; k++) {
			struct mf_member mb;
			if (mf_pool_member_at(ap->pool, k, &mb) == 0 && mb.status <= MF_MEMBER_LEFT)
				p->members[mb.status]++;
		}
		mf_pool_get_stats(ap->pool, &p->pool);
		p->coords = *mf_coord_tracker_stats(&ap->tracker);
		p->coords_known = mf_coord_tracker_count(&ap->tracker);
		struct mf_coord c;
		mf_coord_client_get(&ap->tracker.client, &c);
		p->coord_error = c.error;
		size_t qm = 0, qu = 0;
		mf_pool_broadcast_depth(ap->pool, &qm, &qu);
		p->queue_membership = qm;
		p->queue_user = qu;
		p->intents_pruned = ap->glue.stats.intents_pruned;
	}
	struct mf_metrics_routing rt;
	struct mf_metrics_route_socket rs;
	struct mf_metrics_agent ag = {a->reloads, a->reload_errors, a->n_monitors,
				      a->monitor_dropped};
	struct mf_metrics m = {pools, a->n_pools, NULL, NULL, &ag,
			       (double)(uv_hrtime() - (uint64_t)a->started) / 1e9};
	if (a->rt.node) {
		rt.version = mf_routing_version(mf_routing_node_engine(a->rt.node));
		rt.adverts_known = mf_routing_node_n_stored(a->rt.node);
		rt.node = *mf_routing_node_stats(a->rt.node);
		memset(rt.routes, 0, sizeof(rt.routes));
		struct mf_table t;
		if (mf_routing_node_table(a->rt.node, &t) == 0) {
			for (size_t i = 0; i < t.n_routes; i++)
				if (t.routes[i].status <= MF_ROUTE_NO_GATEWAY)
					rt.routes[t.routes[i].status]++;
			mf_table_free(&t);
		}
		m.routing = &rt;
	}
	if (a->rsock) {
		const struct mf_route_pub *pub = mf_route_socket_pub(a->rsock);
		rs.version = mf_route_pub_version(pub);
		rs.subscribers = mf_route_pub_count(pub);
		rs.slowest_lag = mf_route_pub_max_lag(pub, NULL);
		rs.pub = *mf_route_pub_stats(pub);
		m.route_socket = &rs;
	}
	return mf_metrics_render(&m, out, len);
}

/*
 * cmd/gateway/metrics.c — `meshfed gateway -metrics-addr`: the gateway's
 * counters (the ones `meshfed info -control` shows) as Prometheus text,
 * on its own endpoint (docs/metrics.md "The gateway").
 */
#include <stdio.h>

#include "cmd/gateway/gwd.h"
#include "cmd/daemon/metrics.h"

int mf_gwd_metrics_text(struct mf_gwd *g, char **out, size_t *len)
{
	const struct mf_gwd_stats *s = &g->st;
	FILE *f = mf_metrics_open(out, len);
	if (!f)
		return MF_ENOMEM;
	mf_metrics_family(f, "meshfed_gateway_info", "gauge",
			  "Always 1; the gateway's name, datacenter and trust domain.");
	fputs("meshfed_gateway_info{name=\"", f);
	mf_metrics_label(f, g->opt.name);
	fputs("\",dc=\"", f);
	mf_metrics_label(f, g->dc);
	fputs("\",trust_domain=\"", f);
	mf_metrics_label(f, g->opt.trust_domain);
	fputs("\"} 1\n", f);
	mf_metrics_family(f, "meshfed_gateway_uptime_seconds", "gauge",
			  "Seconds since the gateway started.");
	fprintf(f, "meshfed_gateway_uptime_seconds %.3f\n",
		(double)(mf_gwd_now(g) - g->started) / MF_SEC);
	mf_metrics_one(f, "meshfed_gateway_connections_accepted_total", "counter", "Connections accepted.",
	    s->accepted);
	mf_metrics_one(f, "meshfed_gateway_connections_active", "gauge", "Open connections, any state.",
	    s->active);
	mf_metrics_one(f, "meshfed_gateway_connections_relaying", "gauge", "Open connections relaying.",
	    s->relaying);
	mf_metrics_family(f, "meshfed_gateway_connections_total", "counter",
			  "Connections by outcome (local, forwarded, or why refused).");
	for (int i = 0; i < MF_GWD_OUTCOME_COUNT_; i++)
		mf_metrics_sample(f, "meshfed_gateway_connections_total", "outcome",
				  mf_gwd_outcome_name((enum mf_gwd_outcome)i), NULL, NULL,
				  s->outcomes[i]);
	mf_metrics_family(f, "meshfed_gateway_relayed_bytes_total", "counter",
			  "Bytes relayed, by direction.");
	mf_metrics_sample(f, "meshfed_gateway_relayed_bytes_total", "direction",
			  "client_to_upstream", NULL, NULL, s->bytes_up);
	mf_metrics_sample(f, "meshfed_gateway_relayed_bytes_total", "direction",
			  "upstream_to_client", NULL, NULL, s->bytes_down);
	mf_metrics_one(f, "meshfed_gateway_upstream_connect_attempts_total", "counter",
		       "Upstream connect attempts.", s->connect_attempts);
	mf_metrics_one(f, "meshfed_gateway_upstream_connect_failures_total", "counter",
		       "Upstream connects refused, unreachable or timed out.", s->connect_failures);
	mf_metrics_one(f, "meshfed_gateway_failovers_total", "counter",
		       "Connections that succeeded past their first candidate.", s->failovers);
	mf_metrics_one(f, "meshfed_gateway_idle_closed_total", "counter",
		       "Relays closed for want of traffic.", s->idle_closed);
	mf_metrics_one(f, "meshfed_gateway_refusals_not_logged_total", "counter",
		       "Refusals counted but not logged (rate limit).", s->refusals_not_logged);
	mf_metrics_one(f, "meshfed_gateway_route_table_version", "gauge",
		       "Version of the route table applied from the agent.",
	    g->sub.rp.have_table ? g->sub.rp.table.version : 0);
	mf_metrics_one(f, "meshfed_gateway_route_updates_total", "counter",
		       "Route table updates applied from the route socket.", g->sub.updates);
	mf_metrics_one(f, "meshfed_gateway_route_socket_connected", "gauge",
		       "1 while subscribed to the agent's route socket.", g->sub.connected);
	return mf_metrics_close(f, out);
}

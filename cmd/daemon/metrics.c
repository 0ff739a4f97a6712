/*
 * cmd/daemon/metrics.c — the Prometheus text renderer (cmd/daemon/metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/daemon/metrics.h"
#include "gossip/err.h"

void mf_metrics_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

void mf_metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void mf_metrics_sample(FILE *f, const char *name, const char *k1, const char *v1, const char *k2,
		       const char *v2, uint64_t v)
{
	fprintf(f, "%s{%s=\"", name, k1);
	mf_metrics_label(f, v1);
	if (k2) {
		fprintf(f, "\",%s=\"", k2);
		mf_metrics_label(f, v2);
	}
	fprintf(f, "\"} %llu\n", (unsigned long long)v);
}

/* One sample per pool of a uint64 field of struct mf_metrics_pool. */
#define POOL_FAMILY(f, m, nm, type, help, expr)                                        \
	do {                                                                             \
		mf_metrics_family(f, nm, type, help);                                    \
		for (size_t i_ = 0; i_ < (m)->n_pools; i_++) {                           \
			const struct mf_metrics_pool *p = &(m)->pools[i_];               \
			mf_metrics_sample(f, nm, "pool", p->name, NULL, NULL, (expr));   \
		}                                                                        \
	} while (0)

void mf_metrics_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	mf_metrics_family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

FILE *mf_metrics_open(char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	return open_memstream(out, len);
}

int mf_metrics_close(FILE *f, char **out)
{
	if (fclose(f) != 0 || !*out) {
		free(*out);
		*out = NULL;
		return MF_ENOMEM;
	}
	return 0;
}

static void render_pools(FILE *f, const struct mf_metrics *m)
{
	mf_metrics_family(f, "meshfed_members", "gauge", "Members of the pool by status.");
	for (size_t i = 0; i < m->n_pools; i++)
		for (int s = MF_MEMBER_ALIVE; s <= MF_MEMBER_LEFT; s++)
			mf_metrics_sample(f, "meshfed_members", "pool", m->pools[i].name, "status",
					  mf_member_status_str((enum mf_member_status)s),
					  m->pools[i].members[s]);
	POOL_FAMILY(f, m, "meshfed_probes_total", "counter", "Direct probes sent.",
		    p->pool.probes);
	POOL_FAMILY(f, m, "meshfed_probe_failures_total", "counter",
		    "Probes that got no ack, direct or indirect.", p->pool.probe_failures);
	POOL_FAMILY(f, m, "meshfed_indirect_probes_total", "counter",
		    "Indirect probe requests sent.", p->pool.indirect_probes);
	POOL_FAMILY(f, m, "meshfed_suspicions_total", "counter",
		    "Members marked suspect.", p->pool.suspicions);
	POOL_FAMILY(f, m, "meshfed_refutations_total", "counter",
		    "Suspicions of this node refuted.", p->pool.refutations);
	POOL_FAMILY(f, m, "meshfed_deaths_total", "counter", "Members marked failed.",
		    p->pool.deaths);
	POOL_FAMILY(f, m, "meshfed_health_score", "gauge",
		    "Lifeguard awareness score, 0 is healthy.", p->pool.health_score);
	POOL_FAMILY(f, m, "meshfed_udp_packets_received_total", "counter",
		    "UDP packets received.", p->pool.udp_in);
	POOL_FAMILY(f, m, "meshfed_udp_packets_sent_total", "counter", "UDP packets sent.",
		    p->pool.udp_out);
	POOL_FAMILY(f, m, "meshfed_received_bytes_total", "counter",
		    "Gossip bytes received (UDP and streams).", p->pool.bytes_in);
	POOL_FAMILY(f, m, "meshfed_sent_bytes_total", "counter",
		    "Gossip bytes sent (UDP and streams).", p->pool.bytes_out);
	mf_metrics_family(f, "meshfed_bad_packets_total", "counter", "Input dropped, by cause.");
	for (size_t i = 0; i < m->n_pools; i++)
		for (int c = 1; c < MF_ERR_COUNT_; c++) {
			if (m->pools[i].pool.bad_by_cause[c])
				mf_metrics_sample(f, "meshfed_bad_packets_total", "pool",
						  m->pools[i].name, "cause", mf_strerror(-c),
						  m->pools[i].pool.bad_by_cause[c]);
		}
	POOL_FAMILY(f, m, "meshfed_push_pulls_total", "counter",
		    "Push-pull state exchanges.", p->pool.push_pulls);
	POOL_FAMILY(f, m, "meshfed_serf_intents_pruned_total", "counter",
		    "Queued serf intents dropped past serf's queue depth (4,096).",
		    p->intents_pruned);
	POOL_FAMILY(f, m, "meshfed_coordinates_known", "gauge",
		    "Members whose coordinate is held.", p->coords_known);
	POOL_FAMILY(f, m, "meshfed_coordinate_updates_total", "counter",
		    "RTT samples that updated our coordinate.", p->coords.updates);
	POOL_FAMILY(f, m, "meshfed_coordinate_rejected_samples_total", "counter",
		    "RTT samples refused or undecodable.",
		    p->coords.rejected + p->coords.bad_payload);
	mf_metrics_family(f, "meshfed_broadcast_queue_depth", "gauge",
	       "Messages waiting to be gossiped: membership or user (intents, adverts).");
	for (size_t i = 0; i < m->n_pools; i++) {
		const struct mf_metrics_pool *p = &m->pools[i];
		mf_metrics_sample(f, "meshfed_broadcast_queue_depth", "pool", p->name, "kind",
				  "membership", p->queue_membership);
		mf_metrics_sample(f, "meshfed_broadcast_queue_depth", "pool", p->name, "kind",
				  "user", p->queue_user);
	}
	mf_metrics_family(f, "meshfed_coordinate_error", "gauge", "Our own Vivaldi error estimate.");
	for (size_t i = 0; i < m->n_pools; i++) {
		fputs("meshfed_coordinate_error{pool=\"", f);
		mf_metrics_label(f, m->pools[i].name);
		fprintf(f, "\"} %.6g\n", m->pools[i].coord_error);
	}
}

int mf_metrics_render(const struct mf_metrics *m, char **out, size_t *len)
{
	FILE *f = mf_metrics_open(out, len);
	if (!f)
		return MF_ENOMEM;
	mf_metrics_family(f, "meshfed_uptime_seconds", "gauge", "Seconds since the agent started.");
	fprintf(f, "meshfed_uptime_seconds %.3f\n", m->uptime_s);
	render_pools(f, m);
	const struct mf_metrics_routing *r = m->routing;
	if (r) {
		mf_metrics_one(f, "meshfed_routing_table_version", "gauge", "Version of the route table.",
		    r->version);
		mf_metrics_one(f, "meshfed_routing_adverts_known", "gauge",
			       "Adverts of other datacenters stored.", r->adverts_known);
		mf_metrics_one(f, "meshfed_routing_recomputes_total", "counter", "Route table recomputes.",
		    r->node.recomputes);
		mf_metrics_one(f, "meshfed_routing_fragments_received_total", "counter",
			       "Advert fragments received.", r->node.fragments_in);
		mf_metrics_one(f, "meshfed_routing_bad_fragments_total", "counter",
			       "Advert fragments dropped as malformed.", r->node.bad_fragments);
		mf_metrics_one(f, "meshfed_routing_local_errors_total", "counter",
			       "Routing exchange steps dropped on our own error (out of memory).",
			       r->node.local_errors);
		mf_metrics_one(f, "meshfed_routing_adverts_sent_total", "counter",
			       "Own adverts broadcast.", r->node.broadcasts);
		mf_metrics_one(f, "meshfed_routing_fragments_relayed_total", "counter",
			       "Fragments of others queued for re-gossip.", r->node.relayed);
		mf_metrics_one(f, "meshfed_routing_advert_received_bytes_total", "counter",
			       "Advert bytes received (fragments and push-pull state).", r->node.bytes_in);
		mf_metrics_one(f, "meshfed_routing_advert_sent_bytes_total", "counter",
			       "Advert bytes queued for gossip or added to push-pulls.", r->node.bytes_out);
		mf_metrics_family(f, "meshfed_routing_routes", "gauge", "Routes of the table by status.");
		for (int st = MF_ROUTE_LOCAL; st <= MF_ROUTE_NO_GATEWAY; st++)
			mf_metrics_sample(f, "meshfed_routing_routes", "status",
					  mf_route_status_name((enum mf_route_status)st), NULL, NULL,
					  r->routes[st]);
	}
	const struct mf_metrics_route_socket *s = m->route_socket;
	if (s) {
		mf_metrics_one(f, "meshfed_route_socket_version", "gauge",
			       "Table version last published on the route socket.", s->version);
		mf_metrics_one(f, "meshfed_route_socket_subscribers", "gauge",
			       "Route socket subscribers connected.", s->subscribers);
		mf_metrics_one(f, "meshfed_route_socket_slowest_lag", "gauge",
			       "Table versions the slowest subscriber is behind.", s->slowest_lag);
		mf_metrics_one(f, "meshfed_route_socket_updates_total", "counter",
			       "Table updates sent (snapshots and deltas).", s->pub.updates);
		mf_metrics_one(f, "meshfed_route_socket_sent_bytes_total", "counter",
			       "Bytes sent on the route socket.", s->pub.bytes);
		mf_metrics_one(f, "meshfed_route_socket_closed_slow_total", "counter",
			       "Subscribers dropped for not keeping up.", s->pub.closed_slow);
	}
	const struct mf_metrics_agent *ag = m->agent;
	if (ag) {
		mf_metrics_family(f, "meshfed_config_reloads_total", "counter",
		       "Config reloads (SIGHUP, meshfed reload) by result.");
		mf_metrics_sample(f, "meshfed_config_reloads_total", "result", "ok", NULL, NULL,
				  ag->reloads - ag->reload_errors);
		mf_metrics_sample(f, "meshfed_config_reloads_total", "result", "error", NULL, NULL,
				  ag->reload_errors);
		mf_metrics_one(f, "meshfed_monitor_streams", "gauge", "meshfed monitor clients streaming.",
		    ag->monitors);
		mf_metrics_one(f, "meshfed_monitor_dropped_lines_total", "counter",
			       "Log lines not sent to a monitor too slow to read them.", ag->monitor_dropped);
	}
	return mf_metrics_close(f, out);
}

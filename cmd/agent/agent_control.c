/*
 * cmd/agent/agent_control.c — the agent's answers to control requests
 * (docs/control-protocol.md): members, info, join, leave, force-leave,
 * rtt, coords, routes, metrics.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/agent/agent_memory.h"
#include "cmd/agent/agent_query.h"
#include "gossip/grow.h"
#include "gossip/serf.h"

static json_t *tags_json(const struct mf_member *m)
{
	struct mf_tag tags[64];
	size_t n = 0;
	json_t *o = json_object();
	if (mf_serf_decode_tags(m->meta, m->meta_len, tags, 64, &n) < 0)
		return o; /* not serf's format: no tags */
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, tags[i].key, json_string(tags[i].value));
	return o;
}

static json_t *member_json(const struct mf_member *m)
{
	char ip[64] = "";
	inet_ntop(m->addr.ip_len == 16 ? AF_INET6 : AF_INET, m->addr.ip, ip, sizeof(ip));
	json_t *vsn = json_array();
	for (int i = 0; i < MF_VSN_LEN; i++)
		json_array_append_new(vsn, json_integer(m->vsn[i]));
	return json_pack("{s:s,s:s,s:i,s:s,s:o,s:I,s:o}", "name", m->name, "addr", ip, "port",
			 (int)m->addr.port, "status", mf_member_status_str(m->status), "tags",
			 tags_json(m), "incarnation", (json_int_t)m->incarnation, "vsn", vsn);
}

json_t *mf_agent_members_json(struct mf_agent_pool *ap)
{
	json_t *arr = json_array();
	size_t n = mf_pool_member_count(ap->pool);
	for (size_t i = 0; i < n; i++) {
		struct mf_member m;
		if (mf_pool_member_at(ap->pool, i, &m) == 0)
			json_array_append_new(arr, member_json(&m));
	}
	return arr;
}

static json_t *member_counts(struct mf_agent_pool *ap)
{
	size_t counts[4] = {0};
	size_t n = mf_pool_member_count(ap->pool);
	for (size_t i = 0; i < n; i++) {
		struct mf_member m;
		if (mf_pool_member_at(ap->pool, i, &m) == 0 && m.status <= MF_MEMBER_LEFT)
			counts[m.status]++;
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)n, "alive",
			 (json_int_t)counts[MF_MEMBER_ALIVE], "suspect",
			 (json_int_t)counts[MF_MEMBER_SUSPECT], "failed",
			 (json_int_t)counts[MF_MEMBER_FAILED], "left",
			 (json_int_t)counts[MF_MEMBER_LEFT]);
}

/* One line per pool for `meshfed info`: name, addresses, peers, members,
 * coordinates. */
static json_t *pools_json(struct mf_agent *a)
{
	static const char *profiles[] = {"wan", "lan", "local"};
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		enum mf_profile prof =
			ap->area && ap->area->has_profile ? ap->area->profile : a->cfg->profile;
		json_t *peers = json_array();
		for (size_t k = 0; ap->area && k < ap->area->n_peers; k++)
			json_array_append_new(peers, json_string(ap->area->peers[k]));
		const struct mf_coord_tracker_stats *cs = mf_coord_tracker_stats(&ap->tracker);
		json_array_append_new(
			arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I}}",
				       "name", ap->name, "kind", ap->area ? "area" : "wan", "bind",
				       ap->bind_str, "advertise", ap->advertise_str, "profile",
				       profiles[prof], "encrypted", ap->keyring.n > 0, "peers",
				       peers, "members", member_counts(ap), "snapshot",
				       mf_agent_snapshot_info(ap), "coordinates",
				       "known", (json_int_t)mf_coord_tracker_count(&ap->tracker),
				       "acks", (json_int_t)cs->acks, "updates",
				       (json_int_t)cs->updates, "rejected",
				       (json_int_t)(cs->rejected + cs->bad_payload),
				       "announces_too_far", (json_int_t)cs->announces_too_far,
				       "announces_implausible", (json_int_t)cs->announces_implausible));
		json_t *last = json_array_get(arr, json_array_size(arr) - 1);
		json_object_set_new(last, "queries", mf_agent_queries_info(ap->queries));
		json_object_set_new(last, "keys", json_integer((json_int_t)ap->keyring.n));
	}
	return arr;
}

json_t *mf_agent_info_json(struct mf_agent *a)
{
	static const char *profiles[] = {"wan", "lan", "local"};
	struct mf_agent_pool *ap = a->pools[0];
	struct mf_pool_stats s;
	struct mf_transport_stats ts;
	memset(&ts, 0, sizeof(ts));
	mf_pool_get_stats(ap->pool, &s);
	if (ap->tr)
		mf_transport_get_stats(ap->tr, &ts);
	size_t n = mf_pool_member_count(ap->pool);
	json_t *by_cause = json_object();
	for (int i = 1; i < MF_ERR_COUNT_; i++)
		if (s.bad_by_cause[i])
			json_object_set_new(by_cause, mf_strerror(-i),
					    json_integer((json_int_t)s.bad_by_cause[i]));

	const struct mf_serf_glue_stats *g = &ap->glue.stats;
	json_t *info = json_object();
#define U(k, v) json_object_set_new(info, k, json_integer((json_int_t)(v)))
	json_object_set_new(info, "node", json_string(a->cfg->node));
	json_object_set_new(info, "dc", json_string(a->cfg->dc));
	json_object_set_new(info, "pool", json_string(ap->name));
	json_object_set_new(info, "advertise", json_string(ap->advertise_str));
	json_object_set_new(info, "profile", json_string(profiles[a->cfg->profile]));
	json_object_set_new(info, "encrypted", json_boolean(ap->keyring.n > 0));
	U("uptime_s", (uv_hrtime() - (uint64_t)a->started) / 1000000000ull);
	(void)n;
	json_object_set_new(info, "members", member_counts(ap));
	U("health_score", s.health_score);
	U("udp_in", s.udp_in);
	U("udp_out", s.udp_out);
	U("bytes_in", s.bytes_in);
	U("bytes_out", s.bytes_out);
	U("stream_in", s.stream_in);
	U("stream_out", s.stream_out);
	U("msgs_in", s.msgs_in);
	U("msgs_out", s.msgs_out);
	U("bad_packets", s.bad_packets);
	json_object_set_new(info, "bad_by_cause", by_cause);
	U("probes", s.probes);
	U("probe_failures", s.probe_failures);
	U("indirect_probes", s.indirect_probes);
	U("tcp_fallback_probes", s.tcp_fallback_probes);
	U("nacks_sent", s.nacks_sent);
	U("nacks_received", s.nacks_received);
	U("acks_missed_nack", s.acks_missed_nack);
	U("late_probe_stages", s.late_probe_stages);
	U("suspicions", s.suspicions);
	U("refutations", s.refutations);
	U("deaths", s.deaths);
	U("leaves", s.leaves);
	U("push_pulls", s.push_pulls);
	U("reconnect_attempts", s.reconnect_attempts);
	U("addr_conflicts", s.addr_conflicts);
	U("inc_out_of_window", s.inc_out_of_window);
	U("members_refused", s.members_refused);
	U("out_errors", s.out_errors);
#undef U
	json_object_set_new(
		info, "transport",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			  "udp_send_errors",
			  (json_int_t)ts.udp_send_errors, "udp_recv_errors",
			  (json_int_t)ts.udp_recv_errors, "streams_accepted",
			  (json_int_t)ts.streams_accepted, "streams_rejected",
			  (json_int_t)ts.streams_rejected, "streams_rejected_addr",
			  (json_int_t)ts.streams_rejected_addr, "streams_over_budget",
			  (json_int_t)ts.streams_over_budget, "inbound_bytes",
			  (json_int_t)ts.inbound_bytes, "streams_oversize",
			  (json_int_t)ts.streams_oversize, "streams_timed_out",
			  (json_int_t)ts.streams_timed_out, "streams_bad",
			  (json_int_t)ts.streams_bad, "streams_opened",
			  (json_int_t)ts.streams_opened, "streams_failed",
			  (json_int_t)ts.streams_failed, "inbound_now",
			  (json_int_t)ts.inbound_now, "outbound_now",
			  (json_int_t)ts.outbound_now));
	json_object_set_new(
		info, "serf",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lamport_time",
			  (json_int_t)ap->glue.clock, "join_intents", (json_int_t)g->join_intents,
			  "leave_intents", (json_int_t)g->leave_intents, "rebroadcasts",
			  (json_int_t)g->rebroadcasts, "push_pulls_merged",
			  (json_int_t)g->push_pulls_merged, "push_pulls_sent",
			  (json_int_t)g->push_pulls_sent, "refutations",
			  (json_int_t)g->refutations, "unknown_msgs", (json_int_t)g->unknown_msgs,
			  "decode_errors", (json_int_t)g->decode_errors, "forced_left",
			  (json_int_t)g->forced_left, "push_pulls_too_big",
			  (json_int_t)g->push_pulls_too_big, "intents_pruned",
			  (json_int_t)g->intents_pruned));
	struct mf_control_stats cst = {0};
	if (a->ctl)
		mf_control_get_stats(a->ctl, &cst);
	json_object_set_new(info, "control",
			    json_pack("{s:I,s:I}", "clients", (json_int_t)cst.clients, "evicted",
				      (json_int_t)cst.evicted));
	json_object_set_new(info, "log",
			    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "level",
				      mf_log_level_name(a->log.level), "format",
				      a->log.json ? "json" : "text", "monitors",
				      (json_int_t)a->n_monitors, "monitor_dropped",
				      (json_int_t)a->monitor_dropped, "reloads",
				      (json_int_t)a->reloads, "reload_errors",
				      (json_int_t)a->reload_errors));
	struct mf_agent_heap heap;
	mf_agent_memory_heap(&heap);
	json_object_set_new(info, "memory",
			    json_pack("{s:I,s:I,s:I,s:I}", "heap_in_use", (json_int_t)heap.in_use,
				      "heap_free", (json_int_t)heap.free, "heap_held",
				      (json_int_t)heap.held, "mmapped", (json_int_t)heap.mmapped));
	json_object_set_new(info, "pools", pools_json(a));
	json_object_set_new(info, "routing", mf_agent_routing_info_json(a));
	json_object_set_new(info, "route_socket",
			    a->rsock ? mf_route_socket_info_json(a->rsock) : json_null());
	return info;
}

static json_t *do_join(struct mf_agent *a, uint64_t client_id, const json_t *req)
{
	const json_t *addrs = json_object_get(req, "addrs");
	size_t n = json_array_size(addrs);
	if (!json_is_array(addrs) || n == 0 || n > MF_CONFIG_MAX_JOIN)
		return mf_control_error("\"addrs\" must be an array of 1 to %d addresses",
					MF_CONFIG_MAX_JOIN);
	const char *list[MF_CONFIG_MAX_JOIN];
	for (size_t i = 0; i < n; i++) {
		struct mf_addr to;
		list[i] = json_string_value(json_array_get(addrs, i));
		if (!list[i] || mf_addr_parse(list[i], MF_DEFAULT_PORT, &to) < 0)
			return mf_control_error("\"%s\" is not an IP:PORT address",
						list[i] ? list[i] : "(not a string)");
	}
	const char *pool = json_string_value(json_object_get(req, "pool"));
	struct mf_agent_pool *ap = mf_agent_find_pool(a, pool);
	if (!ap)
		return mf_control_error("no pool named %s", pool);
	a->start_joins(a, ap, client_id, list, n);
	return NULL; /* answered when every join is done */
}

static json_t *do_leave(struct mf_agent *a, uint64_t client_id)
{
	if (mf_grow(&a->leave_clients, &a->cap_leave_clients, a->n_leave_clients + 1, 4) < 0)
		return mf_control_error("out of memory");
	a->leave_clients[a->n_leave_clients++] = client_id;
	a->begin_leave(a); /* no-op when already leaving */
	return NULL;             /* answered when the leave is done */
}

static json_t *do_force_leave(struct mf_agent *a, const json_t *req)
{
	const char *node = json_string_value(json_object_get(req, "node"));
	if (!node || !*node)
		return mf_control_error("\"node\" must be a node name");
	/* In every pool that knows it; errors of the first that does. */
	int r = MF_ENOTFOUND, done = 0;
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		int x = ap->tr ? mf_transport_force_leave(ap->tr, node) : MF_ESTATE;
		if (x == 0) {
			done++;
			/* serf forceLeave: tell every peer too, with a leave intent. */
			mf_serf_glue_force_leave_intent(&ap->glue, node);
			mf_agent_pool_flush(ap);
		} else if (r == MF_ENOTFOUND) {
			r = x;
		}
	}
	if (done)
		r = 0;
	if (r == MF_ENOTFOUND)
		return mf_control_error("no member named %s", node);
	if (r == MF_ESTATE)
		return mf_control_error("%s is not failed (only failed members can "
					"be forced to leave)", node);
	if (r < 0)
		return mf_control_error("%s", mf_strerror(r));
	mf_log_info(&a->log, "forced %s to leave", node);
	return json_pack("{s:b}", "ok", 1);
}

json_t *mf_agent_on_request(void *ctx, uint64_t client_id, const json_t *req)
{
	struct mf_agent *a = ctx;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd)
		return mf_control_error("request has no \"cmd\" string");
	if (strcmp(cmd, "members") == 0) {
		const char *pool = json_string_value(json_object_get(req, "pool"));
		struct mf_agent_pool *ap = mf_agent_find_pool(a, pool);
		if (!ap)
			return mf_control_error("no pool named %s", pool);
		return json_pack("{s:b,s:s,s:o}", "ok", 1, "pool", ap->name, "members",
				 mf_agent_members_json(ap));
	}
	if (strcmp(cmd, "rtt") == 0)
		return mf_agent_rtt(a, req);
	if (strcmp(cmd, "coords") == 0)
		return mf_agent_coords(a, req);
	if (strcmp(cmd, "routes") == 0)
		return mf_agent_routes_json(a);
	if (strcmp(cmd, "info") == 0)
		return json_pack("{s:b,s:o}", "ok", 1, "info", mf_agent_info_json(a));
	if (strcmp(cmd, "metrics") == 0) {
		char *text = NULL;
		size_t len = 0;
		int r = mf_agent_metrics_text(a, &text, &len);
		if (r < 0)
			return mf_control_error("cannot render metrics: %s", mf_strerror(r));
		json_t *o = json_pack("{s:b,s:s%}", "ok", 1, "text", text, len);
		free(text);
		return o ? o : mf_control_error("out of memory");
	}
	if (strcmp(cmd, "leave") == 0) {
		if (a->state == MF_AGENT_STOPPING)
			return mf_control_error("agent is shutting down");
		return do_leave(a, client_id);
	}
	if (strcmp(cmd, "monitor") == 0)
		return mf_agent_monitor_start(a, client_id, req);
	if (a->state != MF_AGENT_RUNNING)
		return mf_control_error("agent is leaving");
	if (strcmp(cmd, "reload") == 0)
		return mf_agent_reload(a);
	if (strcmp(cmd, "join") == 0)
		return do_join(a, client_id, req);
	if (strcmp(cmd, "force-leave") == 0)
		return do_force_leave(a, req);
	if (strcmp(cmd, "keys") == 0 || strcmp(cmd, "query") == 0 || strcmp(cmd, "event") == 0)
		return mf_agent_query_request(a, client_id, cmd, req);
	return mf_control_error("unknown command \"%s\"", cmd);
}

/*
 * cmd/gateway/counters.c — the gateway's counters as `meshfed info` shows
 * them, and the one log line per refused connection.
 *
 * Refusal lines are rate-limited by a token bucket (a burst of
 * MF_GWD_LOG_BURST, then MF_GWD_LOG_PER_S a second): a flood of garbage
 * must not turn into a flood of log lines. The next line written says how
 * many were left out; the counters count every refusal either way.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cmd/gateway/gwd.h"

static const char *outcome_names[MF_GWD_OUTCOME_COUNT_] = {
	"local", "forwarded", "no_route", "no_gateway", "bad_hello", "unknown_trust_domain",
	"unknown_service", "upstream_failed", "hop_limit", "untrusted_proxy", "over_limit",
};

const char *mf_gwd_outcome_name(enum mf_gwd_outcome o)
{
	return (unsigned)o < MF_GWD_OUTCOME_COUNT_ ? outcome_names[o] : "?";
}

bool mf_gwd_ratelog_take(struct mf_gwd_ratelog *r, mf_time_t now)
{
	if (r->last == 0) {
		r->tokens = MF_GWD_LOG_BURST;
		r->last = now;
	}
	if (now > r->last) {
		r->tokens += (double)(now - r->last) / MF_SEC * MF_GWD_LOG_PER_S;
		if (r->tokens > MF_GWD_LOG_BURST)
			r->tokens = MF_GWD_LOG_BURST;
		r->last = now;
	}
	if (r->tokens < 1) {
		r->suppressed++;
		return false;
	}
	r->tokens -= 1;
	return true;
}

void mf_gwd_refuse_log(struct mf_gwd *g, enum mf_gwd_outcome o, const char *peer,
		       const char *fmt, ...)
{
	g->st.outcomes[o]++;
	uint64_t before = g->rl.suppressed;
	if (!mf_gwd_ratelog_take(&g->rl, mf_gwd_now(g))) {
		g->st.refusals_not_logged++;
		return;
	}
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	char more[64] = "";
	if (before)
		snprintf(more, sizeof(more), " (%llu more refusals not logged)",
			 (unsigned long long)before);
	g->rl.suppressed = 0;
	mf_log_warn(&g->log, "refused connection from %s: %s: %s%s", peer,
		    mf_gwd_outcome_name(o), why, more);
}

static json_t *endpoints_json(const struct mf_gwd *g)
{
	json_t *o = json_object();
	mf_time_t now = mf_gwd_now(g);
	for (size_t i = 0; o && i < g->eps.n; i++) {
		const struct mf_gw_ep *e = &g->eps.v[i];
		json_object_set_new(o, e->addr,
				    json_pack("{s:I,s:I,s:b}", "active", (json_int_t)e->active,
					      "fails_in_a_row", (json_int_t)e->fails, "ejected",
					      e->ejected_until > now));
	}
	return o;
}

json_t *mf_gwd_info_json(struct mf_gwd *g)
{
	const struct mf_gwd_stats *s = &g->st;
	json_t *outcomes = json_object();
	for (int i = 0; i < MF_GWD_OUTCOME_COUNT_; i++)
		json_object_set_new(outcomes, outcome_names[i], json_integer((json_int_t)s->outcomes[i]));
	json_t *listen = json_array();
	for (size_t i = 0; i < g->opt.n_listen; i++) {
		char b[64];
		json_array_append_new(listen, json_string(mf_addr_format(&g->opt.listen[i], b,
									  sizeof(b))));
	}
	char adv[64];
	mf_addr_format(&g->opt.advertise, adv, sizeof(adv));
	/* Milliseconds are enough for an uptime; more digits are noise. */
	double uptime = (double)((mf_gwd_now(g) - g->started) / MF_MS) / 1000.0;
	json_t *gw = json_pack("{s:s,s:s,s:s,s:o,s:s,s:f}", "name", g->opt.name, "dc", g->dc,
			       "trust_domain", g->opt.trust_domain, "listen", listen, "advertise",
			       adv, "uptime_s", uptime);
	json_t *conns = json_pack("{s:I,s:I,s:I,s:I,s:I}", "active", (json_int_t)s->active,
				  "relaying", (json_int_t)s->relaying, "accepted",
				  (json_int_t)s->accepted, "max", (json_int_t)g->opt.max_conns,
				  "idle_closed", (json_int_t)s->idle_closed);
	json_t *bytes = json_pack("{s:I,s:I}", "client_to_upstream", (json_int_t)s->bytes_up,
				  "upstream_to_client", (json_int_t)s->bytes_down);
	json_t *up = json_pack("{s:I,s:I,s:I}", "connect_attempts",
			       (json_int_t)s->connect_attempts, "connect_failures",
			       (json_int_t)s->connect_failures, "failovers",
			       (json_int_t)s->failovers);
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o}", "gateway", gw, "connections",
			 conns, "outcomes", outcomes, "bytes", bytes, "upstream", up,
			 "refusals_not_logged", (json_int_t)s->refusals_not_logged,
			 "route_socket", mf_gwd_sub_json(&g->sub), "remote_gateways",
			 endpoints_json(g));
}

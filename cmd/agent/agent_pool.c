/*
 * cmd/agent/agent_pool.c — one gossip pool of the agent (the WAN pool or a
 * network area): its keyring, pool, transport, serf glue and coordinate
 * tracker, behind one multiplexing delegate (routing/pool_mux.h: the
 * tracker, the routing node, serf). Its serf side sends serf's queries, user
 * events and relays to agent_query.c and the rest to the glue; after each
 * ack the tracker may announce our coordinate; a routing message or state
 * pokes the routing timer.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/agent/agent_memory.h"
#include "cmd/agent/agent_query.h"
#include "gossip/serf.h"

/* Peers fitted per RTT sample, on average, in a LAN pool's coordinate
 * client (coord/config.h fit_budget): half its table. */
#define MF_AGENT_LAN_FIT_BUDGET 64

/* --- the pool's delegate: routing/pool_mux.h, with these hooks -------------*/

/* serf's side: queries, user events and relays to agent_query.c, the rest
 * (intents, push-pull) to the glue. */
static void serf_on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct mf_agent_pool *ap = ctx;
	if (len >= 1 && (msg[0] == MF_SERF_MSG_QUERY || msg[0] == MF_SERF_MSG_QUERY_RESPONSE ||
			 msg[0] == MF_SERF_MSG_RELAY || msg[0] == MF_SERF_MSG_USER_EVENT))
		mf_agent_query_on_msg(ap, msg, len);
	else
		ap->serf_hooks.on_user_msg(ap->serf_hooks.ctx, msg, len);
}

static size_t serf_local_state(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	struct mf_agent_pool *ap = ctx;
	uint64_t too_big = ap->glue.stats.push_pulls_too_big;
	size_t n = ap->serf_hooks.local_state(ap->serf_hooks.ctx, join, buf, cap);
	if (ap->glue.stats.push_pulls_too_big != too_big &&
	    (too_big == 0 || ap->glue.stats.push_pulls_too_big % 100 == 0))
		mf_log_warn(&ap->agent->log,
			    "pool %s: serf push-pull state of %zu bytes is over %zu: intents not "
			    "exchanged in anti-entropy (%llu times so far)",
			    ap->name, n, cap, (unsigned long long)ap->glue.stats.push_pulls_too_big);
	return n;
}

static void serf_merge(void *ctx, const uint8_t *buf, size_t len, bool join)
{
	struct mf_agent_pool *ap = ctx;
	ap->serf_hooks.merge_remote_state(ap->serf_hooks.ctx, buf, len, join);
}

/* After each ack: our coordinate announced when one is due. */
static void acked(void *ctx)
{
	struct mf_agent_pool *ap = ctx;
	/* A failure is counted and retried at the next ack (tracker.c). */
	(void)mf_coord_tracker_announce_to(&ap->tracker, ap->pool);
}

static void routed(void *ctx, const uint8_t *buf, size_t len, bool state)
{
	struct mf_agent_pool *ap = ctx;
	(void)buf, (void)len, (void)state;
	mf_agent_routing_poke(ap->agent);
}

/* --- events -----------------------------------------------------------------*/

static void on_event(void *ctx, const struct mf_pool_event *ev);

static void after_drain(void *ctx)
{
	struct mf_agent_pool *ap = ctx;
	if (ap->tr && mf_serf_glue_flush_due(&ap->glue, mf_transport_now(ap->tr)) &&
	    mf_serf_glue_flush(&ap->glue, ap->pool, mf_transport_now(ap->tr)) > 0)
		mf_transport_drain(ap->tr); /* the forced leaves' events and broadcasts */
	mf_agent_query_flush(ap);
}

void mf_agent_pool_flush(struct mf_agent_pool *ap)
{
	if (ap->tr && mf_serf_glue_flush(&ap->glue, ap->pool, mf_transport_now(ap->tr)) > 0)
		mf_transport_drain(ap->tr);
}


static void on_event(void *ctx, const struct mf_pool_event *ev)
{
	struct mf_agent_pool *ap = ctx;
	struct mf_agent *a = ap->agent;
	if (ev->kind == MF_EV_JOIN_DONE) {
		mf_log_debug(&a->log, "join #%llu %s", (unsigned long long)ev->join_id,
			     ev->ok ? "completed" : "failed");
		ap->join_done(a, ev->join_id, ev->ok);
		return;
	}
	char name[MF_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", ev->name ? ev->name : "?");
	mf_serf_glue_on_event(&ap->glue, ev);
	mf_coord_tracker_on_event(&ap->tracker, ev);
	mf_agent_routing_poke(a);
	struct mf_member m;
	char addr[80] = "", where[100] = "";
	bool found = mf_pool_member_find(ap->pool, name, &m) == 0;
	if (found)
		mf_addr_format(&m.addr, addr, sizeof(addr));
	mf_agent_snapshot_event(ap, ev, found ? &m : NULL);
	if (ap->area)
		snprintf(where, sizeof(where), " (area %s)", ap->name);
	static const char *what[] = {
		[MF_EV_JOIN] = "joined", [MF_EV_UPDATE] = "updated", [MF_EV_SUSPECT] = "suspect",
		[MF_EV_FAILED] = "failed", [MF_EV_LEFT] = "left",   [MF_EV_REAPED] = "reaped",
	};
	if (ev->kind <= MF_EV_REAPED)
		mf_log_info(&a->log, "member %s: %s%s%s%s", what[ev->kind], name,
			    ev->kind == MF_EV_REAPED ? "" : " ", ev->kind == MF_EV_REAPED ? "" : addr,
			    where);
}

/* --- start / stop -----------------------------------------------------------*/

static int pick_advertise(const struct mf_addr *bind, const struct mf_addr *given,
			  struct mf_addr *adv, char *err, size_t errcap)
{
	static const uint8_t zero[16] = {0};
	*adv = given ? *given : *bind;
	if (given || memcmp(adv->ip, zero, adv->ip_len) != 0)
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

int mf_agent_build_meta(const struct mf_agent_config *c, uint8_t *meta, size_t *len, char *err,
			size_t errcap)
{
	struct mf_tag *tags = calloc(MF_CONFIG_MAX_TAGS + 2, sizeof(*tags));
	size_t n = 0;
	if (!tags) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	snprintf(tags[n].key, sizeof(tags[n].key), "dc");
	snprintf(tags[n++].value, sizeof(tags[0].value), "%s", c->dc);
	snprintf(tags[n].key, sizeof(tags[n].key), "role");
	snprintf(tags[n++].value, sizeof(tags[0].value), "meshfed");
	for (size_t i = 0; i < c->n_tags; i++, n++) {
		snprintf(tags[n].key, sizeof(tags[n].key), "%s", c->tags[i].key);
		snprintf(tags[n].value, sizeof(tags[n].value), "%s", c->tags[i].value);
	}
	int r = mf_serf_encode_tags(tags, n, meta, MF_META_MAX, len);
	free(tags);
	if (r < 0) {
		snprintf(err, errcap, "tags: %s (memberlist allows %d bytes of encoded tags)",
			 mf_strerror(r), MF_META_MAX);
		return -1;
	}
	return 0;
}

int mf_agent_pool_start(struct mf_agent *a, const struct mf_area_config *area,
			mf_agent_join_done_fn join_done, struct mf_agent_pool **out, char *err,
			size_t errcap)
{
	const struct mf_agent_config *c = a->cfg;
	struct mf_agent_pool *ap = calloc(1, sizeof(*ap));
	if (!ap) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	*out = ap;
	ap->agent = a;
	ap->join_done = join_done;
	ap->area = area;
	snprintf(ap->name, sizeof(ap->name), "%s", area ? area->name : "wan");
	int r = mf_config_pool_keyring(c, area, &ap->keyring, err, errcap);
	if (r < 0)
		return -1;

	struct mf_agent_config tmp_profile;
	enum mf_profile prof = area && area->has_profile ? area->profile : c->profile;
	struct mf_pool_config pc;
	mf_pool_config_init(&pc, prof);
	snprintf(pc.name, sizeof(pc.name), "%s", c->node);
	const struct mf_addr *bind = area ? &area->bind : &c->bind;
	const struct mf_addr *given = area ? (area->has_advertise ? &area->advertise : NULL)
					   : (c->has_advertise ? &c->advertise : NULL);
	if (pick_advertise(bind, given, &pc.advertise, err, errcap) < 0)
		return -1;
	/* The timing overrides apply to every pool, on its own profile. */
	tmp_profile.profile = prof;
	memcpy(&tmp_profile.timing, &c->timing, sizeof(c->timing));
	tmp_profile.timing_set = c->timing_set;
	mf_config_timing(&tmp_profile, &pc.timing);
	if (mf_agent_build_meta(c, pc.meta, &pc.meta_len, err, errcap) < 0)
		return -1;
	pc.keyring = ap->keyring.n ? &ap->keyring : NULL;
	pc.intern = &ap->agent->strs;
	/* Our adverts and announcements only to agents tagged as ours (serf
	 * would log each as a message of unknown type). */
	snprintf(pc.private_role, sizeof(pc.private_role), "meshfed");
	randombytes_buf(&pc.seed, sizeof(pc.seed));

	mf_serf_glue_init(&ap->glue, c->node);
	(void)mf_serf_glue_share_names(&ap->glue, &ap->agent->strs); /* empty: cannot fail */
	ap->glue_ok = true;
	if ((r = mf_agent_queries_new(ap, &ap->queries)) < 0) {
		snprintf(err, errcap, "queries: %s", mf_strerror(r));
		return -1;
	}
	/* A LAN pool's fit on a budget (coord/config.h fit_budget): its
	 * table fills up in a large DC, and its coordinates place mates. */
	struct mf_coord_config ccfg;
	mf_coord_config_default(&ccfg);
	if (prof != MF_PROFILE_WAN)
		ccfg.fit_budget = MF_AGENT_LAN_FIT_BUDGET;
	if ((r = mf_coord_tracker_init(&ap->tracker, c->node, &ccfg)) < 0) {
		snprintf(err, errcap, "coordinates: %s", mf_strerror(r));
		return -1;
	}
	ap->tracker_ok = true;
	/* the coordinates' names in the agent's table: no second table sized
	 * for every member (empty: cannot fail) */
	(void)mf_coord_tracker_share_names(&ap->tracker, &ap->agent->strs);
	mf_serf_glue_delegate(&ap->glue, &ap->serf_hooks);
	mf_coord_tracker_delegate(&ap->tracker, &ap->mux.coord);
	ap->mux.serf = (struct mf_pool_delegate){
		.ctx = ap,
		.on_user_msg = serf_on_user_msg,
		.local_state = serf_local_state,
		.merge_remote_state = serf_merge,
	};
	ap->mux.slot = &ap->slot;
	ap->mux.ctx = ap;
	ap->mux.acked = acked;
	ap->mux.routed = routed;
	mf_pool_mux_delegate(&ap->mux, &pc.delegate);
	mf_addr_format(&pc.advertise, ap->advertise_str, sizeof(ap->advertise_str));
	mf_addr_format(bind, ap->bind_str, sizeof(ap->bind_str));

	if ((r = mf_pool_new(&pc, (mf_time_t)uv_hrtime(), &ap->pool)) < 0) {
		snprintf(err, errcap, "cannot create pool %s: %s", ap->name, mf_strerror(r));
		return -1;
	}
	struct mf_transport_config tc = {.bind = *bind};
	tc.cb.ctx = ap;
	tc.cb.on_event = on_event;
	tc.cb.after_drain = after_drain;
	int uverr = 0;
	if ((r = mf_transport_new(&a->loop, ap->pool, &tc, &ap->tr, &uverr)) < 0) {
		snprintf(err, errcap, "cannot bind %s%s%s: %s", ap->bind_str,
			 area ? " for area " : "", area ? area->name : "",
			 uverr ? uv_strerror(uverr) : mf_strerror(r));
		return -1;
	}
	return 0;
}

void mf_agent_pool_report_drops(struct mf_agent_pool *ap, bool at_exit)
{
	struct mf_pool_stats ps;
	struct mf_transport_stats ts;
	struct mf_drops now;
	static const struct mf_drops none;
	char line[768];
	if (!ap->pool)
		return;
	mf_pool_get_stats(ap->pool, &ps);
	if (ap->tr)
		mf_transport_get_stats(ap->tr, &ts);
	mf_drops_take(&now, &ps, ap->tr ? &ts : NULL, ap->glue_ok ? &ap->glue.stats : NULL);
	if (at_exit) {
		if (mf_drops_format(&none, &now, line, sizeof(line)) > 0)
			mf_log_info(&ap->agent->log, "pool %s: dropped while running: %s", ap->name,
				    line);
	} else if (mf_drops_format(&ap->drops_reported, &now, line, sizeof(line)) > 0) {
		mf_log_warn(&ap->agent->log, "pool %s: dropped in the last %g s: %s", ap->name,
			    (double)ap->agent->cfg->drop_report_interval / (double)MF_SEC, line);
	}
	ap->drops_reported = now;
}

void mf_agent_pool_close(struct mf_agent_pool *ap)
{
	mf_agent_pool_report_drops(ap, true);
	mf_agent_queries_close(ap->queries);
	if (ap->tr) {
		mf_transport_close(ap->tr, NULL, NULL);
		ap->tr = NULL;
	}
}

void mf_agent_pool_free(struct mf_agent_pool *ap)
{
	if (!ap)
		return;
	if (ap->pool)
		mf_pool_free(ap->pool);
	if (ap->glue_ok)
		mf_serf_glue_free(&ap->glue);
	if (ap->tracker_ok)
		mf_coord_tracker_free(&ap->tracker);
	mf_agent_queries_free(ap->queries);
	mf_keyring_wipe(&ap->keyring);
	mf_agent_snapshot_free(ap);
	free(ap);
}

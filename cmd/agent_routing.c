/*
 * cmd/agent_routing.c — the agent's one routing engine (routing/engine.h),
 * fed by every pool it is in (docs/routing.md, docs/cli.md "Routing").
 *
 * Every MF_AGENT_ROUTING_TICK_MS:
 *  - direct links: for each pool, the remote DCs it links us to (WAN pool:
 *    every DC tagged on a member; an area: its `peers`, or every DC seen
 *    when it lists none). configured = shares a pool; usable = one of its
 *    servers is alive in that pool AND the tracker has a DC estimate;
 *    distance = the smallest such estimate over pools (coordinates only,
 *    median over the DC's alive servers, as Consul);
 *  - expiry: an origin with no alive server in any of our pools is
 *    withdrawn (its adverts can only reach us through a pool it is in);
 *  - recompute; when our advertisement's seq moved, or every
 *    MF_AGENT_ADVERT_REFRESH, its fragments are broadcast in every pool as
 *    [MF_SERF_MSG_MESHFED][MF_AGENT_MSG_ADVERT][fragment], keyed per
 *    fragment so a newer one replaces an older one still queued.
 * Received fragments are reassembled and given to the engine; stored
 * adverts are kept encoded so push-pull carries every state we know (a new
 * member learns them all at join). Nothing is re-gossiped: every server of
 * a DC advertises it, and gossip reaches the whole pool.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agent_internal.h"
#include "gossip/serf.h"
#include "routing/table_format.h"

/* --- stored adverts ---------------------------------------------------------*/

static struct mf_agent_stored_advert *find_stored(struct mf_agent_routing *rt, const char *o)
{
	for (size_t i = 0; i < rt->n_stored; i++)
		if (strcmp(rt->stored[i].origin, o) == 0)
			return &rt->stored[i];
	return NULL;
}

static void drop_stored(struct mf_agent_routing *rt, struct mf_agent_stored_advert *s)
{
	free(s->origin);
	free(s->buf);
	*s = rt->stored[--rt->n_stored];
}

/* True when a server of DC dc is alive in ap's pool. */
static bool pool_has_dc(struct mf_agent_pool *ap, const char *dc)
{
	size_t n = mf_pool_member_count(ap->pool);
	char mdc[MF_CONFIG_DC_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		struct mf_member m;
		if (mf_pool_member_at(ap->pool, i, &m) == 0 &&
		    (m.status == MF_MEMBER_ALIVE || m.status == MF_MEMBER_SUSPECT) &&
		    mf_agent_member_dc(&m, mdc, sizeof(mdc)) && strcmp(mdc, dc) == 0)
			return true;
	}
	return false;
}

/* A complete advertisement (consumed) that arrived in pool ap: to the
 * engine, and kept if stored. Only origins with an alive server in that
 * pool count: a push-pull carries every advert the peer knows, including
 * those of DCs beyond it, which reach us (if at all) through the
 * neighbours' own adverts; storing them would make us withdraw them (and
 * advertise their death) when we see no server of theirs. */
static void take_advert(struct mf_agent_pool *ap, struct mf_advert *adv)
{
	struct mf_agent *a = ap->agent;
	struct mf_agent_routing *rt = &a->rt;
	if (!adv->origin || strcmp(adv->origin, a->cfg.dc) == 0 || !pool_has_dc(ap, adv->origin)) {
		int own = adv->origin && strcmp(adv->origin, a->cfg.dc) == 0;
		if (own)
			(void)mf_routing_set_advert(rt->engine, adv); /* raises our next seq */
		else
			rt->stats.adverts_foreign++;
		mf_advert_free(adv);
		return;
	}
	int r = mf_routing_set_advert(rt->engine, adv);
	if (r == 1) {
		rt->stats.adverts_stored++;
		msgpack_sbuffer_clear(&rt->scratch);
		struct mf_agent_stored_advert *s = find_stored(rt, adv->origin);
		uint8_t *copy = NULL;
		if (mf_advert_encode_full(&rt->scratch, adv) == 0 &&
		    (copy = malloc(rt->scratch.size))) {
			memcpy(copy, rt->scratch.data, rt->scratch.size);
			if (!s && rt->n_stored == rt->cap_stored) {
				size_t cap = rt->cap_stored ? rt->cap_stored * 2 : 8;
				struct mf_agent_stored_advert *p =
					realloc(rt->stored, cap * sizeof(*p));
				if (p) {
					rt->stored = p;
					rt->cap_stored = cap;
				}
			}
			if (s) {
				free(s->buf);
				s->buf = copy;
				s->len = rt->scratch.size;
			} else if (rt->n_stored < rt->cap_stored &&
				   (rt->stored[rt->n_stored].origin = strdup(adv->origin))) {
				rt->stored[rt->n_stored].buf = copy;
				rt->stored[rt->n_stored++].len = rt->scratch.size;
			} else {
				free(copy);
			}
		}
	} else if (r == 0) {
		rt->stats.adverts_stale++;
	} else {
		rt->stats.bad_full_states++;
	}
	mf_advert_free(adv);
}

void mf_agent_routing_on_msg(struct mf_agent_pool *ap, const uint8_t *msg, size_t len)
{
	struct mf_agent *a = ap->agent;
	struct mf_agent_routing *rt = &a->rt;
	if (!rt->engine)
		return;
	if (len < 2 || msg[1] != MF_AGENT_MSG_ADVERT) {
		rt->stats.bad_fragments++;
		return;
	}
	rt->stats.fragments_in++;
	struct mf_advert frag, full;
	memset(&frag, 0, sizeof(frag));
	memset(&full, 0, sizeof(full));
	if (mf_advert_decode(msg + 2, len - 2, &frag, NULL) < 0) {
		rt->stats.bad_fragments++;
		return;
	}
	int r = mf_advert_asm_add(&rt->asm_, &frag, &full);
	mf_advert_free(&frag);
	if (r == 1)
		take_advert(ap, &full);
	else if (r < 0)
		rt->stats.bad_fragments++;
}

int mf_agent_routing_state(struct mf_agent *a, msgpack_sbuffer *sb, size_t budget)
{
	struct mf_agent_routing *rt = &a->rt;
	msgpack_sbuffer all;
	msgpack_sbuffer_init(&all);
	struct mf_advert own;
	int r = mf_routing_advert(rt->engine, &own);
	if (r == 0) {
		r = mf_advert_encode_full(&all, &own);
		mf_advert_free(&own);
	}
	/* What does not fit the pool's user-state budget waits for gossip
	 * (every origin refreshes its advert every MF_AGENT_ADVERT_REFRESH). */
	budget = budget > 5 ? budget - 5 : 0; /* bin32 header */
	if (r == 0 && all.size > budget)
		r = MF_ETOOBIG;
	for (size_t i = 0; r == 0 && i < rt->n_stored; i++) {
		if (all.size + rt->stored[i].len > budget)
			continue;
		r = msgpack_sbuffer_write(&all, (const char *)rt->stored[i].buf, rt->stored[i].len)
			    ? MF_ENOMEM
			    : 0;
	}
	if (r == 0) {
		msgpack_packer pk;
		msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
		if (msgpack_pack_bin(&pk, all.size) || msgpack_pack_bin_body(&pk, all.data, all.size))
			r = MF_ENOMEM;
	}
	msgpack_sbuffer_destroy(&all);
	return r;
}

void mf_agent_routing_merge(struct mf_agent_pool *ap, const uint8_t *buf, size_t len)
{
	struct mf_agent_routing *rt = &ap->agent->rt;
	size_t off = 0;
	while (off < len) {
		struct mf_advert adv;
		size_t used = 0;
		memset(&adv, 0, sizeof(adv));
		if (mf_advert_decode(buf + off, len - off, &adv, &used) < 0 || used == 0) {
			rt->stats.bad_full_states++;
			return;
		}
		off += used;
		rt->stats.full_states_in++;
		take_advert(ap, &adv);
	}
}

/* --- links and expiry -------------------------------------------------------*/

struct link_acc {
	char dc[MF_CONFIG_DC_MAX + 1];
	bool configured, alive, usable;
	double ms;
	const struct mf_agent_pool *estimated_in; /* one estimate per pool */
};

struct accs {
	struct link_acc *v;
	size_t n, cap;
};

static struct link_acc *acc_get(struct accs *l, const char *dc)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dc, dc) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct link_acc *p = realloc(l->v, cap * sizeof(*p));
		if (!p)
			return NULL;
		l->v = p;
		l->cap = cap;
	}
	struct link_acc *e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->dc, sizeof(e->dc), "%s", dc);
	e->ms = INFINITY;
	return e;
}

static bool in_peers(const struct mf_area_config *area, const char *dc)
{
	if (!area || area->n_peers == 0)
		return true;
	for (size_t i = 0; i < area->n_peers; i++)
		if (strcmp(area->peers[i], dc) == 0)
			return true;
	return false;
}

static void gather_pool(struct mf_agent *a, struct mf_agent_pool *ap, struct accs *l)
{
	struct mf_coord_tracker_member *mem;
	char(*dcs)[MF_CONFIG_DC_MAX + 1];
	size_t n;
	if (!ap->pool || mf_agent_pool_dc_members(ap, &mem, &dcs, &n) < 0)
		return;
	for (size_t k = 0; ap->area && k < ap->area->n_peers; k++) {
		struct link_acc *e;
		if (strcmp(ap->area->peers[k], a->cfg.dc) != 0 && (e = acc_get(l, ap->area->peers[k])))
			e->configured = true;
	}
	/* DCs alive in this pool, each estimated once. */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(mem[i].dc, a->cfg.dc) == 0 || strcmp(mem[i].name, a->cfg.node) == 0)
			continue;
		bool alive = mem[i].status == MF_MEMBER_ALIVE || mem[i].status == MF_MEMBER_SUSPECT;
		struct link_acc *e = acc_get(l, mem[i].dc);
		if (!e)
			continue;
		if (in_peers(ap->area, mem[i].dc))
			e->configured = true;
		if (!alive)
			continue;
		e->alive = true; /* for expiry, whatever the peers list says */
		if (!in_peers(ap->area, mem[i].dc) || e->estimated_in == ap)
			continue;
		e->estimated_in = ap;
		double s;
		if (mf_coord_tracker_dc_rtt(&ap->tracker, mem, n, mem[i].dc, MF_COORD_TRACKER_COORDS,
					    &s) == 0 &&
		    isfinite(s) && s >= 0 && s * 1000.0 < e->ms) {
			e->ms = s * 1000.0;
			e->usable = true;
		}
	}
	free(mem);
	free(dcs);
}

static bool linked_has(struct mf_agent_routing *rt, const char *dc, size_t *at)
{
	for (size_t i = 0; i < rt->n_linked; i++) {
		if (strcmp(rt->linked[i], dc) == 0) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static void update_links(struct mf_agent *a)
{
	struct mf_agent_routing *rt = &a->rt;
	struct accs l = {0};
	for (size_t i = 0; i < a->n_pools; i++)
		gather_pool(a, a->pools[i], &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct link_acc *e = &l.v[i];
		if (!e->configured)
			continue;
		(void)mf_routing_set_link(rt->engine, e->dc, true, e->usable,
					  e->usable ? e->ms : 0);
		if (!linked_has(rt, e->dc, NULL) && rt->n_linked < 65536) {
			if (rt->n_linked == rt->cap_linked) {
				size_t cap = rt->cap_linked ? rt->cap_linked * 2 : 8;
				char **p = realloc(rt->linked, cap * sizeof(*p));
				if (!p)
					continue;
				rt->linked = p;
				rt->cap_linked = cap;
			}
			if ((rt->linked[rt->n_linked] = strdup(e->dc)))
				rt->n_linked++;
		}
	}
	/* Links that vanished (an area member reaped, a WAN DC forgotten). */
	for (size_t i = 0; i < rt->n_linked;) {
		struct link_acc *e = NULL;
		for (size_t k = 0; k < l.n && !e; k++)
			if (strcmp(l.v[k].dc, rt->linked[i]) == 0 && l.v[k].configured)
				e = &l.v[k];
		if (e) {
			i++;
			continue;
		}
		(void)mf_routing_set_link(rt->engine, rt->linked[i], false, false, 0);
		free(rt->linked[i]);
		rt->linked[i] = rt->linked[--rt->n_linked];
	}
	/* Expiry: origins with no alive server in any pool. */
	for (size_t i = 0; i < rt->n_stored;) {
		bool alive = false;
		for (size_t k = 0; k < l.n && !alive; k++)
			alive = l.v[k].alive && strcmp(l.v[k].dc, rt->stored[i].origin) == 0;
		if (alive) {
			i++;
			continue;
		}
		mf_log_info(&a->log, "routing: no alive server of %s left, withdrawing its routes",
			    rt->stored[i].origin);
		(void)mf_routing_withdraw_origin(rt->engine, rt->stored[i].origin);
		mf_advert_asm_forget(&rt->asm_, rt->stored[i].origin);
		rt->stats.withdrawals++;
		drop_stored(rt, &rt->stored[i]);
	}
	free(l.v);
}

/* --- advertising ------------------------------------------------------------*/

static void broadcast_advert(struct mf_agent *a)
{
	struct mf_agent_routing *rt = &a->rt;
	struct mf_advert adv;
	struct mf_advert_frags frags = {0};
	if (mf_routing_advert(rt->engine, &adv) < 0)
		return;
	int r = mf_advert_encode_frags(&adv, MF_AGENT_ADVERT_BYTES, &frags);
	mf_advert_free(&adv);
	if (r < 0) {
		mf_log_warn(&a->log, "routing: cannot encode our advertisement: %s", mf_strerror(r));
		return;
	}
	for (size_t f = 0; f < frags.n; f++) {
		size_t len = 2 + frags.bufs[f].size;
		uint8_t *msg = malloc(len);
		if (!msg)
			break;
		msg[0] = MF_SERF_MSG_MESHFED;
		msg[1] = MF_AGENT_MSG_ADVERT;
		memcpy(msg + 2, frags.bufs[f].data, frags.bufs[f].size);
		char key[MF_CONFIG_DC_MAX + 32];
		snprintf(key, sizeof(key), "mf-advert:%s:%zu", a->cfg.dc, f);
		for (size_t i = 0; i < a->n_pools; i++)
			if (a->pools[i]->tr)
				(void)mf_transport_broadcast_user(a->pools[i]->tr, key, msg, len);
		free(msg);
	}
	mf_advert_frags_free(&frags);
	rt->stats.broadcasts++;
}

static void on_tick(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	struct mf_agent_routing *rt = &a->rt;
	if (a->state != MF_AGENT_RUNNING)
		return;
	update_links(a);
	bool changed = false;
	if (mf_routing_recompute(rt->engine, &changed) < 0)
		return;
	rt->stats.recomputes++;
	mf_time_t now = (mf_time_t)uv_hrtime();
	uint64_t seq = mf_routing_advert_seq(rt->engine);
	if (seq != rt->sent_seq || now - rt->last_sent >= MF_AGENT_ADVERT_REFRESH) {
		broadcast_advert(a);
		rt->sent_seq = seq;
		rt->last_sent = now;
	}
}

/* --- lifecycle --------------------------------------------------------------*/

int mf_agent_routing_start(struct mf_agent *a, char *err, size_t errcap)
{
	struct mf_agent_routing *rt = &a->rt;
	const struct mf_routing_agent_config *rc = &a->cfg.routing;
	struct mf_routing_config cfg;
	mf_routing_config_default(&cfg);
	cfg.datacenter = a->cfg.dc;
	cfg.node = a->cfg.node;
	cfg.default_mode = (enum mf_route_mode)rc->default_mode;
	cfg.transit = rc->transit;
	if (rc->hysteresis_pct >= 0)
		cfg.hysteresis_pct = rc->hysteresis_pct;
	if (rc->hysteresis_ms >= 0)
		cfg.hysteresis_ms = rc->hysteresis_ms;
	uv_timeval64_t tv;
	if (uv_gettimeofday(&tv) == 0)
		cfg.initial_seq = (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
	msgpack_sbuffer_init(&rt->scratch);
	mf_advert_asm_init(&rt->asm_, 64);
	int r = mf_routing_new(&cfg, &rt->engine);
	if (r < 0) {
		snprintf(err, errcap, "routing: %s (is \"%s\" a valid DC name?)", mf_strerror(r),
			 a->cfg.dc);
		return -1;
	}
	for (size_t i = 0; i < rc->n_targets; i++)
		if ((r = mf_routing_set_mode(rt->engine, rc->targets[i].dc,
					     (enum mf_route_mode)rc->targets[i].mode)) < 0) {
			snprintf(err, errcap, "routing.targets.%s: %s", rc->targets[i].dc,
				 mf_strerror(r));
			return -1;
		}
	if (a->cfg.n_gateways) {
		struct mf_gateway gw[MF_CONFIG_MAX_GATEWAYS];
		struct mf_gateway_tag tags[MF_CONFIG_MAX_GATEWAYS][MF_CONFIG_MAX_GW_TAGS];
		for (size_t i = 0; i < a->cfg.n_gateways; i++) {
			struct mf_gateway_config *g = &a->cfg.gateways[i];
			for (size_t k = 0; k < g->n_tags; k++)
				tags[i][k] = (struct mf_gateway_tag){g->tag_keys[k], g->tag_addrs[k]};
			gw[i] = (struct mf_gateway){g->name, g->lan, g->wan, g->n_tags, tags[i]};
		}
		if ((r = mf_routing_set_gateways(rt->engine, gw, a->cfg.n_gateways)) < 0) {
			snprintf(err, errcap, "gateways: %s", mf_strerror(r));
			return -1;
		}
	}
	uv_timer_init(&a->loop, &rt->timer);
	rt->timer.data = a;
	rt->timer_open = true;
	uv_timer_start(&rt->timer, on_tick, MF_AGENT_ROUTING_TICK_MS, MF_AGENT_ROUTING_TICK_MS);
	return 0;
}

void mf_agent_routing_close(struct mf_agent *a)
{
	if (a->rt.timer_open) {
		uv_close((uv_handle_t *)&a->rt.timer, NULL);
		a->rt.timer_open = false;
	}
}

void mf_agent_routing_free(struct mf_agent *a)
{
	struct mf_agent_routing *rt = &a->rt;
	if (rt->engine)
		mf_routing_free(rt->engine);
	rt->engine = NULL;
	mf_advert_asm_free(&rt->asm_);
	while (rt->n_stored)
		drop_stored(rt, &rt->stored[rt->n_stored - 1]);
	free(rt->stored);
	for (size_t i = 0; i < rt->n_linked; i++)
		free(rt->linked[i]);
	free(rt->linked);
	msgpack_sbuffer_destroy(&rt->scratch);
}

/* --- control ----------------------------------------------------------------*/

json_t *mf_agent_routes_json(struct mf_agent *a)
{
	struct mf_table t;
	char *s = NULL;
	if (!a->rt.engine)
		return mf_control_error("routing is not running");
	int r = mf_routing_table(a->rt.engine, &t);
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
	const struct mf_agent_routing *rt = &a->rt;
	const struct mf_agent_routing_stats *s = &rt->stats;
	if (!rt->engine)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "version",
			 (json_int_t)mf_routing_version(rt->engine), "advert_seq",
			 (json_int_t)mf_routing_advert_seq(rt->engine), "adverts_known",
			 (json_int_t)rt->n_stored, "fragments_in", (json_int_t)s->fragments_in,
			 "bad_fragments", (json_int_t)s->bad_fragments, "adverts_stored",
			 (json_int_t)s->adverts_stored, "adverts_stale",
			 (json_int_t)s->adverts_stale, "full_states_in",
			 (json_int_t)s->full_states_in, "adverts_foreign",
			 (json_int_t)s->adverts_foreign, "bad_full_states",
			 (json_int_t)s->bad_full_states, "broadcasts", (json_int_t)s->broadcasts,
			 "withdrawals", (json_int_t)s->withdrawals, "recomputes",
			 (json_int_t)s->recomputes);
}

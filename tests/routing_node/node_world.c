/*
 * tests/routing_node/node_world.c — the fixture of test_node.c and
 * test_node_fed.c (node_world.h).
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/simnet.h"
#include "coord/tracker.h"
#include "gossip/serf.h"
#include "routing/blobs.h"
#include "routing/node.h"
#include "routing/pool_mux.h"
#include "tests/routing_node/node_world.h"

static void set_dc_meta(struct mf_pool_config *c, const char *dc)
{
	struct mf_tag t[2];
	memset(t, 0, sizeof(t));
	snprintf(t[0].key, sizeof(t[0].key), "dc");
	snprintf(t[0].value, sizeof(t[0].value), "%s", dc);
	snprintf(t[1].key, sizeof(t[1].key), "role");
	snprintf(t[1].value, sizeof(t[1].value), "meshfed");
	mf_serf_encode_tags(t, 2, c->meta, sizeof(c->meta), &c->meta_len);
}

static void configure(void *ctx, size_t i, struct mf_pool_config *c)
{
	struct world *w = ctx;
	struct wmember *m = &w->m[i];
	snprintf(c->name, sizeof(c->name), "%s", w->name[m->server]);
	set_dc_meta(c, w->dc[m->server]);
	if (!m->tracker_ok)
		m->tracker_ok = mf_coord_tracker_init(&m->tracker, c->name, NULL) == 0;
	/* the agent's delegate (routing/pool_mux.h) without serf */
	m->mux = (struct mf_pool_mux){.slot = &m->slot};
	if (m->tracker_ok)
		mf_coord_tracker_delegate(&m->tracker, &m->mux.coord);
	mf_pool_mux_delegate(&m->mux, &c->delegate);
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct world *w = ctx;
	mf_coord_tracker_on_event(&w->m[i].tracker, ev);
}

/* servers: DC of each; members: (server, pool) pairs; rtt_ms(dc a, dc b);
 * every node's config from tmpl (NULL: the defaults), DC and name set. */
void world_init(struct world *w, size_t n_servers, const char *const *dcs, size_t n,
		       const size_t *server, const size_t *pool,
		       double (*rtt)(const char *, const char *), const char *const *peers[],
		       const size_t *n_peers, const struct mf_routing_node_config *tmpl)
{
	memset(w, 0, sizeof(*w));
	w->n_servers = n_servers;
	for (size_t s = 0; s < n_servers; s++) {
		struct mf_routing_node_config c;
		char err[200];
		w->dc[s] = dcs[s];
		snprintf(w->name[s], sizeof(w->name[s]), "%s-s%zu", dcs[s], s);
		if (tmpl)
			c = *tmpl;
		else
			mf_routing_node_config_default(&c);
		c.datacenter = dcs[s];
		c.node = w->name[s];
		CU_ASSERT_EQUAL_FATAL(mf_routing_node_new(&c, &w->node[s], err, sizeof(err)), 0);
	}
	w->n = n;
	for (size_t i = 0; i < n; i++) {
		w->m[i].w = w;
		w->m[i].server = server[i];
		w->pool_of[i] = pool[i];
		CU_ASSERT_EQUAL_FATAL(mf_routing_node_add_pool(w->node[server[i]], NULL, NULL,
							       peers ? peers[pool[i]] : NULL,
							       n_peers ? n_peers[pool[i]] : 0,
							       &w->m[i].slot),
				      0);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			w->delay[i * n + j] = i == j ? 0
					      : pool[i] != pool[j]
						      ? -1
						      : rtt(dcs[server[i]], dcs[server[j]]) / 2;
	struct mf_simnet_config sc = {0};
	sc.n = n;
	sc.delay_ms = w->delay;
	sc.seed = 7;
	sc.profile = MF_PROFILE_LAN;
	sc.configure = configure;
	sc.on_event = on_event;
	sc.ctx = w;
	CU_ASSERT_EQUAL_FATAL(mf_simnet_new(&sc, &w->net), 0);
	/* each member joins the first member of its pool */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (pool[j] == pool[i]) {
				mf_simnet_join(w->net, i, j);
				break;
			}
}

/* Runs to virtual time `until`, ticking every node every 250 ms. */
void world_run(struct world *w, mf_time_t until)
{
	mf_time_t t = mf_simnet_now(w->net);
	const mf_time_t tick = MF_ROUTING_NODE_TICK_MS * MF_MS;
	for (t = (t / tick + 1) * tick; t <= until; t += tick) {
		mf_simnet_run_until(w->net, t);
		for (size_t i = 0; i < w->n; i++) {
			mf_pool_t *p = mf_simnet_pool(w->net, i);
			mf_routing_node_set_pool(w->m[i].slot, p, p ? &w->m[i].tracker : NULL);
		}
		for (size_t s = 0; s < w->n_servers; s++)
			if (!w->stopped[s])
				CU_ASSERT_EQUAL(mf_routing_node_tick(w->node[s], t, NULL), 0);
	}
}

void world_free(struct world *w)
{
	mf_simnet_free(w->net);
	for (size_t i = 0; i < w->n; i++)
		if (w->m[i].tracker_ok)
			mf_coord_tracker_free(&w->m[i].tracker);
	for (size_t s = 0; s < w->n_servers; s++)
		mf_routing_node_free(w->node[s]);
}

/* Route of node s to target into *st / next hop / distance; false if none. */
bool route_of(struct world *w, size_t s, const char *target, enum mf_route_status *st,
		     char *nh, size_t nhcap, double *dist)
{
	const struct mf_routing *e = mf_routing_node_engine(w->node[s]);
	size_t i;
	struct mf_route_view v;
	if (mf_routing_find(e, target, &i) < 0 || mf_routing_route_at(e, i, &v) < 0)
		return false;
	*st = v.status;
	snprintf(nh, nhcap, "%s", v.next_hop ? v.next_hop : "");
	*dist = v.distance_ms;
	return true;
}

/* Gateway names of node s's route to target, "a,b", into buf. */
const char *gateways_of(struct world *w, size_t s, const char *target, char *buf, size_t cap)
{
	struct mf_table t;
	size_t off = 0;
	buf[0] = '\0';
	if (mf_routing_node_table(w->node[s], &t) < 0)
		return "(error)";
	for (size_t i = 0; i < t.n_routes; i++)
		for (size_t k = 0; strcmp(t.routes[i].target, target) == 0 && k < t.routes[i].n_endpoints;
		     k++)
			off += (size_t)snprintf(buf + off, off < cap ? cap - off : 0, "%s%s", k ? "," : "",
						t.routes[i].endpoints[k].gateway);
	mf_table_free(&t);
	return buf;
}

/* Sets one gateway `name` on node s at run time. */
int set_gateway(struct world *w, size_t s, const char *name)
{
	struct mf_gateway g = {.name = (char *)name, .lan = "10.0.0.1:443", .wan = "192.0.2.1:443"};
	return mf_routing_node_set_gateways(w->node[s], name ? &g : NULL, name ? 1 : 0);
}

double rtt_line(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0.2;
	return 20.0;
}

/* A node of dc1 over one lone pool (no other member). */
void lone(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s)
{
	lone_role(n, p, s, "", -1);
}

static void lone_with(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s,
		      const char *role, int reach_back, int64_t beat_interval);

/* lone, the pool's private_role set to role (the agent's "meshfed"). */
void lone_role(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s, const char *role,
	       int reach_back)
{
	lone_with(n, p, s, role, reach_back, 0);
}

void lone_beat(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s,
	       int64_t beat_interval)
{
	lone_with(n, p, s, "", -1, beat_interval);
}

static void lone_with(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s,
		      const char *role, int reach_back, int64_t beat_interval)
{
	struct mf_pool_config pc;
	struct mf_routing_node_config c;
	char err[200];
	mf_pool_config_init(&pc, MF_PROFILE_LAN);
	snprintf(pc.name, sizeof(pc.name), "dc1-s1");
	snprintf(pc.private_role, sizeof(pc.private_role), "%s", role);
	set_dc_meta(&pc, "dc1");
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&pc, 0, p), 0);
	mf_routing_node_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.reach_back = reach_back;
	c.beat_interval = beat_interval;
	CU_ASSERT_EQUAL_FATAL(mf_routing_node_new(&c, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(mf_routing_node_add_pool(*n, *p, NULL, NULL, 0, s), 0);
}

/* The advert of server `node` of DC `dc` at seq initial_seq + 1, with
 * gateway `gw` when not NULL, as one user message. */
size_t advert_message_gw(const char *dc, const char *node, uint64_t initial_seq,
				const char *gw, uint8_t *buf, size_t cap)
{
	struct mf_routing_config c;
	struct mf_routing *e;
	struct mf_advert a;
	struct mf_advert_frags f = {0};
	mf_routing_config_default(&c);
	c.datacenter = dc;
	c.node = node;
	c.initial_seq = initial_seq;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &e), 0);
	struct mf_gateway g = {.name = (char *)gw, .lan = "", .wan = "192.0.2.9:443"};
	if (gw)
		CU_ASSERT_EQUAL_FATAL(mf_routing_set_gateways(e, &g, 1), 1);
	CU_ASSERT_EQUAL_FATAL(mf_routing_recompute(e, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(e, &a), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_frags(&a, MF_ROUTING_NODE_ADVERT_BYTES, &f), 0);
	CU_ASSERT_EQUAL_FATAL(f.n, 1);
	CU_ASSERT_FATAL(f.bufs[0].size + 2 <= cap);
	buf[0] = MF_SERF_MSG_MESHFED;
	buf[1] = MF_ROUTING_NODE_MSG_ADVERT;
	memcpy(buf + 2, f.bufs[0].data, f.bufs[0].size);
	size_t len = f.bufs[0].size + 2;
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
	mf_routing_free(e);
	return len;
}

size_t advert_message(const char *dc, const char *node, uint64_t initial_seq, uint8_t *buf,
			     size_t cap)
{
	return advert_message_gw(dc, node, initial_seq, NULL, buf, cap);
}

size_t dc9_message(uint8_t *buf, size_t cap)
{
	return advert_message("dc9", "dc9-s1", 0, buf, cap);
}

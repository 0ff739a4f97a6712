/*
 * tests/routing_node/test_node.c — routing/node.h: one server's routing
 * over its pools. Behaviours on real pools in virtual time (cmd/sim/simnet,
 * coord trackers plugged in as the agent plugs them: two DCs in one pool, a
 * line of two areas, expiry of a DC whose servers all died) and on
 * hand-fed messages (framing, foreign origins, broadcast pacing, push-pull
 * framing, config errors).
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
#include "routing/dc_matrix.h"
#include "routing/node.h"
#include "tests/cunit_main.h"

/* --- a small world: servers in DCs, pools of servers ------------------------*/

#define MAXN 16

struct world;

struct wmember { /* one simnet node: a server in one pool */
	struct world *w;
	size_t server;
	struct mf_coord_tracker tracker;
	bool tracker_ok;
	struct mf_routing_node_slot *slot;
};

struct world {
	size_t n_servers;
	const char *dc[MAXN];
	char name[MAXN][48]; /* dc name + "-s" + any size_t: no truncation */
	struct mf_routing_node *node[MAXN];
	bool stopped[MAXN]; /* killed: no longer ticked */
	size_t n;
	struct wmember m[MAXN];
	size_t pool_of[MAXN];
	double delay[MAXN * MAXN];
	struct mf_simnet *net;
};

static size_t mux_ack_payload(void *ctx, uint8_t *buf, size_t cap)
{
	struct wmember *m = ctx;
	return mf_coord_tracker_ack_payload(&m->tracker, buf, cap);
}

static void mux_on_ack(void *ctx, const char *node, const uint8_t *p, size_t len, mf_time_t rtt)
{
	struct wmember *m = ctx;
	mf_coord_tracker_on_ack(&m->tracker, node, p, len, rtt);
}

static void mux_user(void *ctx, const uint8_t *msg, size_t len)
{
	struct wmember *m = ctx;
	mf_routing_node_on_user_msg(m->slot, msg, len);
}

static size_t mux_local(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	struct wmember *m = ctx;
	return mf_routing_node_local_state(m->slot, join, buf, cap);
}

static void mux_merge(void *ctx, const uint8_t *buf, size_t len, bool join)
{
	struct wmember *m = ctx;
	mf_routing_node_merge_remote_state(m->slot, buf, len, join);
}

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
	c->delegate = (struct mf_pool_delegate){m, mux_ack_payload, mux_on_ack, mux_user,
						mux_local, mux_merge};
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct world *w = ctx;
	mf_coord_tracker_on_event(&w->m[i].tracker, ev);
}

/* servers: DC of each; members: (server, pool) pairs; rtt_ms(dc a, dc b);
 * every node's config from tmpl (NULL: the defaults), DC and name set. */
static void world_init(struct world *w, size_t n_servers, const char *const *dcs, size_t n,
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
static void world_run(struct world *w, mf_time_t until)
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

static void world_free(struct world *w)
{
	mf_simnet_free(w->net);
	for (size_t i = 0; i < w->n; i++)
		if (w->m[i].tracker_ok)
			mf_coord_tracker_free(&w->m[i].tracker);
	for (size_t s = 0; s < w->n_servers; s++)
		mf_routing_node_free(w->node[s]);
}

/* Route of node s to target into *st / next hop / distance; false if none. */
static bool route_of(struct world *w, size_t s, const char *target, enum mf_route_status *st,
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
static const char *gateways_of(struct world *w, size_t s, const char *target, char *buf, size_t cap)
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
static int set_gateway(struct world *w, size_t s, const char *name)
{
	struct mf_gateway g = {.name = (char *)name, .lan = "10.0.0.1:443", .wan = "192.0.2.1:443"};
	return mf_routing_node_set_gateways(w->node[s], name ? &g : NULL, name ? 1 : 0);
}

static double rtt_line(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0.2;
	return 20.0;
}

/* --- on pools ---------------------------------------------------------------*/

static size_t advert_message_gw(const char *dc, const char *node, uint64_t initial_seq,
				const char *gw, uint8_t *buf, size_t cap);

static void test_two_dcs_in_one_pool_route_directly_at_the_coordinate_distance(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2", "dc2"};
	static const size_t server[] = {0, 1, 2, 3}, pool[] = {0, 0, 0, 0};
	struct world w;
	world_init(&w, 4, dcs, 4, server, pool, rtt_line, NULL, NULL, NULL);
	world_run(&w, 30 * MF_SEC);
	for (size_t s = 0; s < 4; s++) {
		enum mf_route_status st;
		char nh[64];
		double d;
		const char *other = strcmp(dcs[s], "dc1") == 0 ? "dc2" : "dc1";
		CU_ASSERT_FATAL(route_of(&w, s, other, &st, nh, sizeof(nh), &d));
		CU_ASSERT_EQUAL(st, MF_ROUTE_DIRECT);
		CU_ASSERT_STRING_EQUAL(nh, other);
		CU_ASSERT(d > 10 && d < 30); /* 20 ms RTT, by coordinates */
		CU_ASSERT(mf_routing_node_stats(w.node[s])->fragments_in +
				  mf_routing_node_stats(w.node[s])->full_states_in >
			  0);
	}
	world_free(&w);
}

/* Servers given one store (the simulator's nodes) hold each other DC's
 * encoded state once between them: 4 servers of 2 DCs keep 2 states (one
 * per DC, the newest of its servers), not 4 (docs/simulator.md, "Larger
 * federations"). */
static void test_servers_given_one_store_hold_each_state_once(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2", "dc2"};
	static const size_t server[] = {0, 1, 2, 3}, pool[] = {0, 0, 0, 0};
	struct mf_routing_node_config c;
	struct mf_blobs *b;
	struct world w;
	CU_ASSERT_EQUAL_FATAL(mf_blobs_new(&b), 0);
	mf_routing_node_config_default(&c);
	c.blobs = b;
	world_init(&w, 4, dcs, 4, server, pool, rtt_line, NULL, NULL, &c);
	world_run(&w, 30 * MF_SEC);
	size_t held = 0;
	for (size_t s = 0; s < 4; s++)
		held += mf_routing_node_n_stored(w.node[s]);
	CU_ASSERT_EQUAL(held, 4); /* each server stores the other DC's */
	CU_ASSERT(mf_blobs_count(b) >= 1);
	CU_ASSERT(mf_blobs_count(b) <= 2);
	world_free(&w);
	CU_ASSERT_EQUAL(mf_blobs_count(b), 0); /* every node released its own */
	mf_blobs_free(b);
}

/* dc1 (server 0), dc2 (server 1, in both areas), dc3 (server 2). */
static void line_of_two_areas(struct world *w)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3"};
	static const size_t server[] = {0, 1, 1, 2}, pool[] = {0, 0, 1, 1};
	static const char *a12[] = {"dc1", "dc2"}, *a23[] = {"dc2", "dc3"};
	const char *const *peers[] = {a12, a23};
	static const size_t n_peers[] = {2, 2};
	world_init(w, 3, dcs, 4, server, pool, rtt_line, peers, n_peers, NULL);
}

static void test_line_of_two_areas_routes_through_the_middle_dc(void)
{
	struct world w;
	line_of_two_areas(&w);
	world_run(&w, 30 * MF_SEC);
	enum mf_route_status st;
	char nh[64];
	double d;
	CU_ASSERT_FATAL(route_of(&w, 0, "dc3", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_VIA);
	CU_ASSERT_STRING_EQUAL(nh, "dc2");
	CU_ASSERT(d > 20 && d < 60);
	CU_ASSERT_FATAL(route_of(&w, 2, "dc1", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_VIA);
	CU_ASSERT_STRING_EQUAL(nh, "dc2");
	world_free(&w);
}

/* Beats apart from full state (docs/routing.md): past MF_ROUTING_NODE_MAX_AGE
 * with no new full state, dc1's route to dc3 through dc2 stays fresh only
 * because dc3's epoch reaches dc1 in dc2's beat messages; meanwhile no
 * server sent a full state per beat (the code before: one every 15 s). */
static void test_beat_messages_keep_routes_through_others_fresh(void)
{
	struct world w;
	line_of_two_areas(&w);
	mf_time_t end = 3 * MF_ROUTING_NODE_MAX_AGE;
	CU_ASSERT(end < MF_ROUTING_NODE_FULL_REFRESH);
	world_run(&w, end);
	enum mf_route_status st;
	char nh[64];
	double d;
	CU_ASSERT_FATAL(route_of(&w, 0, "dc3", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_VIA);
	CU_ASSERT_STRING_EQUAL(nh, "dc2");
	const struct mf_routing_node_stats *s0 = mf_routing_node_stats(w.node[0]);
	CU_ASSERT(s0->beats_in >= (uint64_t)(end / MF_ROUTING_NODE_REFRESH - 1));
	CU_ASSERT(s0->beat_epochs > 0);
	CU_ASSERT_EQUAL(s0->bad_beats, 0);
	/* Reach probes: a ping round per MF_ROUTING_NODE_REACH_INTERVAL to the
	 * one linked DC, each ping answered (pongs in, and pings of dc2's
	 * servers in). */
	uint64_t rounds = (uint64_t)(end / MF_ROUTING_NODE_REACH_INTERVAL);
	CU_ASSERT(s0->reach_out >= rounds - 1 && s0->reach_out <= 3 * rounds);
	CU_ASSERT(s0->reach_in >= rounds);
	CU_ASSERT_EQUAL(s0->bad_reach, 0);
	for (size_t k = 0; k < 3; k++)
		CU_ASSERT(mf_routing_node_stats(w.node[k])->broadcasts < (uint64_t)(end / MF_ROUTING_NODE_REFRESH / 2));
	world_free(&w);
}

/* A DC of many servers in one pool: each beat goes to
 * MF_ROUTING_NODE_BEAT_DC_FANOUT mates at random, not to all of them, so a
 * server's beats per period do not grow with its DC (with every mate: 11
 * beats a period or more for each dc1 server here). */
static void test_beats_to_a_large_dc_go_to_a_few_mates(void)
{
	enum { N = 14 };
	static const char *dcs[N] = {"dc1", "dc1", "dc1", "dc1", "dc1", "dc1", "dc1",
				     "dc1", "dc1", "dc1", "dc1", "dc1", "dc2", "dc2"};
	size_t server[N], pool[N];
	for (size_t i = 0; i < N; i++) {
		server[i] = i;
		pool[i] = 0;
	}
	struct world w;
	world_init(&w, N, dcs, N, server, pool, rtt_line, NULL, NULL, NULL);
	world_run(&w, 30 * MF_SEC);
	uint64_t before = 0, after = 0;
	for (size_t s = 0; s < 12; s++)
		before += mf_routing_node_stats(w.node[s])->beats_in;
	const mf_time_t periods = 8;
	world_run(&w, 30 * MF_SEC + periods * MF_ROUTING_NODE_REFRESH);
	for (size_t s = 0; s < 12; s++)
		after += mf_routing_node_stats(w.node[s])->beats_in;
	double per_server_period = (double)(after - before) / 12.0 / (double)periods;
	CU_ASSERT(per_server_period > 2.0); /* beats still flow */
	CU_ASSERT(per_server_period < 9.0);
	world_free(&w);
}

static void test_dc_gateways_are_the_union_of_its_servers_and_a_dead_servers_go(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc2"};
	static const size_t server[] = {0, 1, 2}, pool[] = {0, 0, 0};
	struct world w;
	char buf[128];
	world_init(&w, 3, dcs, 3, server, pool, rtt_line, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 1);
	CU_ASSERT_EQUAL(set_gateway(&w, 2, "dc2-g2"), 1);
	world_run(&w, 20 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1,dc2-g2");
	mf_simnet_kill(w.net, 2);
	w.stopped[2] = true;
	world_run(&w, 50 * MF_SEC); /* failure detection, then the next tick */
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1");
	CU_ASSERT_EQUAL(mf_routing_node_stats(w.node[0])->gateways_expired, 1);
	enum mf_route_status st;
	char nh[64];
	double d;
	CU_ASSERT_FATAL(route_of(&w, 0, "dc2", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_DIRECT);
	world_free(&w);
}

static void test_runtime_gateways_are_advertised_at_the_next_tick_and_withdrawn(void)
{
	static const char *dcs[] = {"dc1", "dc2"};
	static const size_t server[] = {0, 1}, pool[] = {0, 0};
	struct world w;
	char buf[128];
	world_init(&w, 2, dcs, 2, server, pool, rtt_line, NULL, NULL, NULL);
	world_run(&w, 10 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "");
	uint64_t sent = mf_routing_node_stats(w.node[1])->broadcasts;
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 1);
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 0);
	CU_ASSERT_EQUAL(mf_routing_node_tick(w.node[1], mf_simnet_now(w.net), NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(w.node[1])->broadcasts, sent + 1);
	world_run(&w, 13 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1");
	CU_ASSERT_EQUAL(set_gateway(&w, 1, NULL), 1);
	world_run(&w, 16 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "");
	struct mf_gateway bad = {.name = "", .wan = "192.0.2.1:443"};
	CU_ASSERT_EQUAL(mf_routing_node_set_gateways(w.node[1], &bad, 1), MF_EINVAL);
	world_free(&w);
}

/* A server we share no pool with keeps its gateways while it is heard
 * from, and loses them MF_ROUTING_NODE_GW_EXPIRY after it fell silent. */
static void test_gateways_of_a_silent_server_in_no_pool_expire(void)
{
	static const char *dcs[] = {"dc1", "dc2"};
	static const size_t server[] = {0, 1}, pool[] = {0, 0};
	struct world w;
	char buf[128];
	uint8_t msg[2048];
	world_init(&w, 2, dcs, 2, server, pool, rtt_line, NULL, NULL, NULL);
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 1);
	world_run(&w, 10 * MF_SEC);
	size_t len = advert_message_gw("dc2", "dc2-far", 0, "dc2-gfar", msg, sizeof(msg));
	mf_routing_node_on_user_msg(w.m[0].slot, msg, len);
	mf_time_t t0 = mf_simnet_now(w.net);
	world_run(&w, t0 + 1 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1,dc2-gfar");
	world_run(&w, t0 + 30 * MF_SEC);
	mf_routing_node_on_user_msg(w.m[0].slot, msg, len); /* heard again: a refresh */
	world_run(&w, t0 + 70 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1,dc2-gfar");
	CU_ASSERT_EQUAL(mf_routing_node_stats(w.node[0])->gateways_expired, 0);
	world_run(&w, t0 + 30 * MF_SEC + MF_ROUTING_NODE_GW_EXPIRY + MF_SEC);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1");
	CU_ASSERT_EQUAL(mf_routing_node_stats(w.node[0])->gateways_expired, 1);
	world_free(&w);
}

/* require_gateways through the node's config, on a line of two areas:
 * dc2 in the middle has no gateway, so dc1 and dc3 do not route through it
 * and show it as no-gateway; once it has one, they do. */
static void test_required_gateways_keep_traffic_off_a_middle_dc_without_them(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3"};
	static const size_t server[] = {0, 1, 1, 2}, pool[] = {0, 0, 1, 1};
	static const char *a12[] = {"dc1", "dc2"}, *a23[] = {"dc2", "dc3"};
	const char *const *peers[] = {a12, a23};
	static const size_t n_peers[] = {2, 2};
	struct mf_routing_node_config c;
	struct world w;
	enum mf_route_status st;
	char nh[64];
	double d;
	mf_routing_node_config_default(&c);
	c.require_gateways = true;
	world_init(&w, 3, dcs, 4, server, pool, rtt_line, peers, n_peers, &c);
	CU_ASSERT_EQUAL(set_gateway(&w, 0, "dc1-g1"), 1);
	CU_ASSERT_EQUAL(set_gateway(&w, 2, "dc3-g1"), 1);
	world_run(&w, 30 * MF_SEC);
	CU_ASSERT_FATAL(route_of(&w, 0, "dc2", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_NO_GATEWAY);
	CU_ASSERT(!route_of(&w, 0, "dc3", &st, nh, sizeof(nh), &d) || st == MF_ROUTE_UNREACHABLE);
	CU_ASSERT_FATAL(route_of(&w, 1, "dc3", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_DIRECT); /* dc2 itself routes out */
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 1);
	world_run(&w, 40 * MF_SEC);
	CU_ASSERT_FATAL(route_of(&w, 0, "dc3", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_VIA);
	CU_ASSERT_STRING_EQUAL(nh, "dc2");
	world_free(&w);
}

static void test_dc_whose_servers_all_died_is_withdrawn(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2"};
	static const size_t server[] = {0, 1, 2}, pool[] = {0, 0, 0};
	struct world w;
	world_init(&w, 3, dcs, 3, server, pool, rtt_line, NULL, NULL, NULL);
	world_run(&w, 20 * MF_SEC);
	enum mf_route_status st;
	char nh[64];
	double d;
	CU_ASSERT_FATAL(route_of(&w, 0, "dc2", &st, nh, sizeof(nh), &d));
	CU_ASSERT_EQUAL(st, MF_ROUTE_DIRECT);
	mf_simnet_kill(w.net, 2);
	w.stopped[2] = true;
	world_run(&w, 60 * MF_SEC);
	CU_ASSERT(mf_routing_node_stats(w.node[0])->withdrawals >= 1);
	CU_ASSERT(!route_of(&w, 0, "dc2", &st, nh, sizeof(nh), &d) ||
		  st == MF_ROUTE_UNREACHABLE);
	world_free(&w);
}

/* --- hand-fed ---------------------------------------------------------------*/

/* A node of dc1 over one lone pool (no other member). */
static void lone(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s)
{
	struct mf_pool_config pc;
	struct mf_routing_node_config c;
	char err[200];
	mf_pool_config_init(&pc, MF_PROFILE_LAN);
	snprintf(pc.name, sizeof(pc.name), "dc1-s1");
	set_dc_meta(&pc, "dc1");
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&pc, 0, p), 0);
	mf_routing_node_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	CU_ASSERT_EQUAL_FATAL(mf_routing_node_new(&c, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(mf_routing_node_add_pool(*n, *p, NULL, NULL, 0, s), 0);
}

/* The advert of server `node` of DC `dc` at seq initial_seq + 1, with
 * gateway `gw` when not NULL, as one user message. */
static size_t advert_message_gw(const char *dc, const char *node, uint64_t initial_seq,
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

static size_t advert_message(const char *dc, const char *node, uint64_t initial_seq, uint8_t *buf,
			     size_t cap)
{
	return advert_message_gw(dc, node, initial_seq, NULL, buf, cap);
}

static size_t dc9_message(uint8_t *buf, size_t cap)
{
	return advert_message("dc9", "dc9-s1", 0, buf, cap);
}

/* dc1, dc3, dc4 in one WAN pool, 2 servers each; dc3-dc4 is the shortest
 * link (10 ms), the others 40 ms. */
static double rtt_tri(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0.2;
	if ((strcmp(a, "dc3") == 0 && strcmp(b, "dc4") == 0) || (strcmp(a, "dc4") == 0 && strcmp(b, "dc3") == 0))
		return 10.0;
	return 40.0;
}

/* Cuts dc4 -> dc3 (and dc3 -> dc4 when both), then checks that dc4 and dc3
 * route to each other through dc1 within the failover bound, while every
 * member stays alive in the pool (dc1's indirect probes keep them so). */
static void partial_cut(bool both_ways)
{
	static const char *dcs[] = {"dc1", "dc1", "dc3", "dc3", "dc4", "dc4"};
	static const size_t server[] = {0, 1, 2, 3, 4, 5}, pool[] = {0, 0, 0, 0, 0, 0};
	struct world w;
	world_init(&w, 6, dcs, 6, server, pool, rtt_tri, NULL, NULL, NULL);
	world_run(&w, 60 * MF_SEC);
	enum mf_route_status st;
	char nh[64];
	double d;
	for (size_t s = 2; s < 6; s++) {
		const char *other = s < 4 ? "dc4" : "dc3";
		CU_ASSERT_FATAL(route_of(&w, s, other, &st, nh, sizeof(nh), &d));
		CU_ASSERT_EQUAL(st, MF_ROUTE_DIRECT);
	}
	for (size_t i = 4; i < 6; i++)
		for (size_t j = 2; j < 4; j++) {
			CU_ASSERT(mf_simnet_set_delay(w.net, i, j, -1) == 0);
			if (both_ways)
				CU_ASSERT(mf_simnet_set_delay(w.net, j, i, -1) == 0);
		}
	/* The failover bound of docs/routing.md: 61 s. */
	mf_time_t cut_at = mf_simnet_now(w.net), done = 0;
	for (mf_time_t t = cut_at + MF_SEC; t <= cut_at + 61 * MF_SEC && !done; t += MF_SEC) {
		world_run(&w, t);
		bool all = true;
		for (size_t s = 2; s < 6; s++) {
			const char *other = s < 4 ? "dc4" : "dc3";
			all &= route_of(&w, s, other, &st, nh, sizeof(nh), &d) && st == MF_ROUTE_VIA &&
			       strcmp(nh, "dc1") == 0;
		}
		if (all)
			done = t;
	}
	printf("\n  %s cut: dc3 <-> dc4 via dc1 after %.0f s", both_ways ? "two-way" : "one-way",
	       done ? (double)(done - cut_at) / (double)MF_SEC : -1.0);
	CU_ASSERT(done != 0);
	world_run(&w, mf_simnet_now(w.net) + 10 * MF_SEC);
	for (size_t s = 2; s < 6; s++) {
		const char *other = s < 4 ? "dc4" : "dc3";
		CU_ASSERT(route_of(&w, s, other, &st, nh, sizeof(nh), &d) && st == MF_ROUTE_VIA &&
			  strcmp(nh, "dc1") == 0);
	}
	/* Nobody is failed: the pool sees every member alive (through dc1). */
	for (size_t i = 0; i < 6; i++) {
		mf_pool_t *p = mf_simnet_pool(w.net, i);
		CU_ASSERT_FATAL(p != NULL);
		for (size_t k = 0; k < mf_pool_member_count(p); k++) {
			struct mf_member m;
			CU_ASSERT(mf_pool_member_at(p, k, &m) == 0 && m.status != MF_MEMBER_FAILED &&
				  m.status != MF_MEMBER_LEFT);
		}
	}
	/* dc1 still routes to both directly. */
	CU_ASSERT(route_of(&w, 0, "dc3", &st, nh, sizeof(nh), &d) && st == MF_ROUTE_DIRECT);
	CU_ASSERT(route_of(&w, 0, "dc4", &st, nh, sizeof(nh), &d) && st == MF_ROUTE_DIRECT);
	/* Healed: the direct link is back. */
	for (size_t i = 4; i < 6; i++)
		for (size_t j = 2; j < 4; j++) {
			CU_ASSERT(mf_simnet_set_delay(w.net, i, j, 5) == 0);
			CU_ASSERT(mf_simnet_set_delay(w.net, j, i, 5) == 0);
		}
	world_run(&w, mf_simnet_now(w.net) + 60 * MF_SEC);
	for (size_t s = 2; s < 6; s++) {
		const char *other = s < 4 ? "dc4" : "dc3";
		CU_ASSERT(route_of(&w, s, other, &st, nh, sizeof(nh), &d) && st == MF_ROUTE_DIRECT);
	}
	world_free(&w);
}

static void test_one_way_cut_routes_around_without_failing_anyone(void)
{
	partial_cut(false);
}

static void test_two_way_cut_routes_around_without_failing_anyone(void)
{
	partial_cut(true);
}

/* hub-01 carries everyone's traffic (10 + 10 ms); other links are 40 ms.
 * Long DC names make a full state large enough to be dear. */
static double rtt_hub(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0.2;
	if (strstr(a, "hub-") || strstr(b, "hub-"))
		return 10.0;
	return 40.0;
}

/* A change of most of our routes still goes as a delta, while the delta
 * fits one message, when a new base would cost the pool more than
 * MF_ROUTING_NODE_REBASE_BUDGET: a base is the dearest message (every
 * member relays it at the pool's full transmit limit). Rebasing whenever a
 * delta listed half the routes sent one full state per server every 17 s
 * at 60 DCs under noise, more than the gossip could carry; bases were lost
 * and routes flapped (docs/routing.md, "Deltas"). Here 16 members x 8
 * transmits x a full state of 16 long names: an early base at most about
 * every 2 minutes, and the cut comes 30 s in. */
static void test_a_change_of_most_routes_goes_as_a_delta_not_a_new_base(void)
{
	static char names[16][44];
	const char *dcs[16];
	size_t server[16], pool[16];
	for (size_t i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%02zu.a-long-region-name.example.org",
			 i == 1 ? "hub" : "dc", i);
		dcs[i] = names[i];
		server[i] = i;
		pool[i] = 0;
	}
	struct world w;
	world_init(&w, 16, dcs, 16, server, pool, rtt_hub, NULL, NULL, NULL);
	world_run(&w, 30 * MF_SEC);
	enum mf_route_status st;
	char nh[64];
	double d;
	for (size_t t = 2; t < 16; t++) {
		CU_ASSERT_FATAL(route_of(&w, 0, dcs[t], &st, nh, sizeof(nh), &d));
		CU_ASSERT(st == MF_ROUTE_VIA && strcmp(nh, dcs[1]) == 0);
	}
	const struct mf_routing_node_stats *s1 = mf_routing_node_stats(w.node[0]);
	uint64_t full = s1->broadcasts, deltas = s1->deltas_out;
	CU_ASSERT(mf_simnet_set_delay(w.net, 0, 1, -1) == 0); /* dc-00 <-> hub-01 cut */
	CU_ASSERT(mf_simnet_set_delay(w.net, 1, 0, -1) == 0);
	world_run(&w, mf_simnet_now(w.net) + 70 * MF_SEC);
	for (size_t t = 2; t < 16; t++) /* 14 of dc-00's 15 routes moved */
		CU_ASSERT(route_of(&w, 0, dcs[t], &st, nh, sizeof(nh), &d) && st == MF_ROUTE_DIRECT);
	printf("\n  after the cut: %llu full states, %llu deltas",
	       (unsigned long long)(s1->broadcasts - full), (unsigned long long)(s1->deltas_out - deltas));
	CU_ASSERT_EQUAL(s1->broadcasts, full);
	CU_ASSERT(s1->deltas_out > deltas);
	world_free(&w);
}

/* Three DCs, RTTs not on the adverts' 0.1 ms grid. */
static double rtt_off_grid(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 0.2;
	if (strcmp(a, "dc3") != 0 && strcmp(b, "dc3") != 0)
		return 23.37; /* dc1-dc2 */
	return strcmp(a, "dc1") == 0 || strcmp(b, "dc1") == 0 ? 41.13 : 29.71;
}

/* Server s's DC matrix (routing/dc_matrix.h) entry from -> to, ms; NAN
 * when a DC is missing. */
static double matrix_ms(struct world *w, size_t s, const char *from, const char *to)
{
	const char *names[MF_COORD_DC_EMBED_MAX];
	double rtt[MF_COORD_DC_EMBED_MAX * MF_COORD_DC_EMBED_MAX];
	size_t k, i = SIZE_MAX, j = SIZE_MAX;
	if (mf_routing_dc_matrix(mf_routing_node_engine(w->node[s]), names, &k, rtt) < 0)
		return NAN;
	for (size_t x = 0; x < k; x++) {
		i = strcmp(names[x], from) == 0 ? x : i;
		j = strcmp(names[x], to) == 0 ? x : j;
	}
	return i < k && j < k ? rtt[i * k + j] * 1000.0 : NAN;
}

/* Every server's matrix holds every pair of the three DCs, bit for bit the
 * same as server 0's. */
static void assert_same_matrices(struct world *w)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3"};
	for (size_t a = 0; a < 3; a++)
		for (size_t b = 0; b < 3; b++) {
			double x = matrix_ms(w, 0, dcs[a], dcs[b]);
			CU_ASSERT(a == b ? x == 0 : x > 0);
			for (size_t s = 1; s < w->n_servers; s++) {
				double y = matrix_ms(w, s, dcs[a], dcs[b]);
				if (x != y)
					printf("\n  %s -> %s: %.4f ms on %s, %.4f on %s", dcs[a], dcs[b], x,
					       w->name[0], y, w->name[s]);
				CU_ASSERT(x == y);
			}
		}
}

/* Issue 16: the DC embedding is a function of the advertised matrix, so
 * every server must build the same one, its own DC's row included. What a
 * server advertised (mf_routing_advertised_link for its own DC) is what the
 * others hold for that seq: distances in 0.1 ms units, and after a delta
 * the base's distance for a route that moved less than the re-advertise
 * margin (mf_routing_set_sent). Its live values instead made it solve
 * another matrix than everyone else (the WAN-emulator run: 5 of 12 agents
 * off it, a pair read 13% wrong where they mixed). */
static void test_every_server_builds_the_same_dc_matrix_after_full_states_and_deltas(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2", "dc3"};
	static const size_t server[] = {0, 1, 2, 3}, pool[] = {0, 0, 0, 0};
	struct world w;
	world_init(&w, 4, dcs, 4, server, pool, rtt_off_grid, NULL, NULL, NULL);
	world_run(&w, 40 * MF_SEC);
	assert_same_matrices(&w);
	/* dc2's link to dc3 moves past the margin (a new state: a delta), its
	 * links to dc1 by 3%, under it: the delta keeps the base's distance. */
	const struct mf_routing_node_stats *st = mf_routing_node_stats(w.node[2]);
	uint64_t deltas = st->deltas_out;
	for (size_t i = 0; i < 2; i++) {
		CU_ASSERT(mf_simnet_set_delay(w.net, 2, i, 23.37 * 1.03 / 2) == 0);
		CU_ASSERT(mf_simnet_set_delay(w.net, i, 2, 23.37 * 1.03 / 2) == 0);
	}
	CU_ASSERT(mf_simnet_set_delay(w.net, 2, 3, 45.0 / 2) == 0);
	CU_ASSERT(mf_simnet_set_delay(w.net, 3, 2, 45.0 / 2) == 0);
	world_run(&w, mf_simnet_now(w.net) + 40 * MF_SEC);
	CU_ASSERT(st->deltas_out > deltas);
	CU_ASSERT(matrix_ms(&w, 0, "dc2", "dc3") > 40); /* the move arrived */
	assert_same_matrices(&w);
	world_free(&w);
}

static void test_advert_of_a_dc_absent_from_the_pool_is_not_stored(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t msg[2048];
	lone(&n, &p, &s);
	size_t len = dc9_message(msg, sizeof(msg));
	mf_routing_node_on_user_msg(s, msg, len);
	const struct mf_routing_node_stats *st = mf_routing_node_stats(n);
	CU_ASSERT_EQUAL(st->fragments_in, 1);
	CU_ASSERT_EQUAL(st->adverts_foreign, 1);
	CU_ASSERT_EQUAL(st->adverts_stored, 0);
	CU_ASSERT_EQUAL(mf_routing_node_n_stored(n), 0);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

static void test_user_messages_of_other_types_are_ignored_and_bad_ones_counted(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	lone(&n, &p, &s);
	const uint8_t serf_event[] = {MF_SERF_MSG_USER_EVENT, 0x80};
	const uint8_t unknown[] = {MF_SERF_MSG_MESHFED, 7, 0x80};
	const uint8_t garbage[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_ADVERT, 0xc1};
	mf_routing_node_on_user_msg(s, serf_event, sizeof(serf_event));
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_fragments, 0);
	mf_routing_node_on_user_msg(s, unknown, sizeof(unknown));
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_fragments, 1);
	mf_routing_node_on_user_msg(s, garbage, sizeof(garbage));
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_fragments, 2);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->fragments_in, 1);
	/* Reach probes (routing/node_reach.c): a short one, an unknown kind, a
	 * name length past the end are refused; a pong for a ping we never
	 * sent, or a ping from a member we do not know, changes nothing. */
	const uint8_t r_short[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_REACH, 0, 1, 2};
	const uint8_t r_kind[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_REACH, 9, 0, 0, 0, 1, 1, 'x'};
	const uint8_t r_len[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_REACH, 0, 0, 0, 0, 1, 9, 'x'};
	const uint8_t r_pong[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_REACH, 1, 0, 0, 0, 1, 3,
				  'd', 'c', '9'};
	const uint8_t r_ping[] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_REACH, 0, 0, 0, 0, 1, 3,
				  'd', 'c', '9'};
	mf_routing_node_on_user_msg(s, r_short, sizeof(r_short));
	mf_routing_node_on_user_msg(s, r_kind, sizeof(r_kind));
	mf_routing_node_on_user_msg(s, r_len, sizeof(r_len));
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_reach, 3);
	mf_routing_node_on_user_msg(s, r_pong, sizeof(r_pong));
	mf_routing_node_on_user_msg(s, r_ping, sizeof(r_ping));
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_reach, 3);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->reach_in, 2);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->reach_out, 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_fragments, 2);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

static void test_advert_is_broadcast_on_a_new_seq_and_every_full_refresh_only(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	lone(&n, &p, &s);
	mf_time_t t = 250 * MF_MS;
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, t, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	for (int k = 0; k < 10; k++)
		CU_ASSERT_EQUAL(mf_routing_node_tick(n, t += 250 * MF_MS, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	/* The beat raises our epoch but travels in its beat message
	 * (docs/routing.md, "Beats apart from full state"): no full state. */
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS + MF_ROUTING_NODE_REFRESH, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS + MF_ROUTING_NODE_FULL_REFRESH, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 2);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->recomputes, 13);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* One user message after another to a lone dc1 node: the advert of server
 * `node` of dc1 at seq + 1 with gateway gw (none when NULL; node NULL: an
 * advert of dc9, which has no server in the pool), and the relayed count
 * expected after it. */
struct relay_step {
	const char *node;
	uint64_t seq;
	const char *gw;
	uint64_t relayed;
};

static void relay_steps(const struct relay_step *st, size_t n_st)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t msg[2048];
	lone(&n, &p, &s);
	for (size_t i = 0; i < n_st; i++) {
		size_t len = st[i].node ? advert_message_gw("dc1", st[i].node, st[i].seq, st[i].gw, msg,
							    sizeof(msg))
					: dc9_message(msg, sizeof(msg));
		mf_routing_node_on_user_msg(s, msg, len);
		if (mf_routing_node_stats(n)->relayed != st[i].relayed)
			printf("\n  step %zu: relayed %llu, want %llu", i,
			       (unsigned long long)mf_routing_node_stats(n)->relayed,
			       (unsigned long long)st[i].relayed);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->relayed, st[i].relayed);
	}
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* Gossip is epidemic: a full state newer than any seen of its server is
 * queued once for our own retransmissions (also when another server of
 * its DC has a newer one: it is the base of its server's deltas);
 * repeats, older ones and our own are not. */
static void test_news_is_relayed_once_and_stale_or_own_adverts_never(void)
{
	static const struct relay_step st[] = {
		{"dc1-s2", 100, NULL, 1}, {"dc1-s2", 100, NULL, 1}, /* the same again */
		{"dc1-s2", 200, NULL, 2}, {"dc1-s2", 150, NULL, 2}, /* older */
		{"dc1-s3", 150, NULL, 3},  /* another server's newest, behind the DC's */
		{"dc1-s1", 300, NULL, 3},			     /* our own */
		{NULL, 0, NULL, 3},				     /* dc9 */
	};
	relay_steps(st, sizeof(st) / sizeof(st[0]));
}

/* A fragment with gateways behind the DC's newest advert is relayed once
 * (its server's newest: its gateways spread), never twice. */
static void test_gateway_changes_behind_the_newest_advert_are_relayed_once(void)
{
	static const struct relay_step st[] = {
		{"dc1-s2", 200, NULL, 1},
		{"dc1-s3", 150, "dc1-g3", 2}, /* older, with a new gateway */
		{"dc1-s3", 150, "dc1-g3", 2}, /* the same again */
		{"dc1-s3", 140, "dc1-g3", 2}, /* older than s3's last */
		{"dc1-s3", 160, "dc1-g4", 3}, /* s3 moves to another gateway */
		{"dc1-s4", 100, NULL, 4},     /* s4's newest */
		{"dc1-s4", 100, NULL, 4},     /* the same again */
		{"dc1-s3", 170, NULL, 5},     /* drops dc1-g4 */
	};
	relay_steps(st, sizeof(st) / sizeof(st[0]));
}

/* The delta of full-state message msg (len bytes) at seq `seq` against it,
 * with no route changed, as one user message. */
static size_t delta_message(const uint8_t *msg, size_t len, uint64_t base, uint64_t seq, uint8_t *buf,
			    size_t cap)
{
	struct mf_advert a;
	msgpack_sbuffer sb;
	CU_ASSERT_EQUAL_FATAL(mf_advert_decode(msg + 2, len - 2, &a, NULL), 0);
	a.base_seq = base;
	a.seq = seq;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &a), 0);
	CU_ASSERT_FATAL(sb.size + 2 <= cap);
	memcpy(buf, msg, 2);
	memcpy(buf + 2, sb.data, sb.size);
	size_t n = sb.size + 2;
	msgpack_sbuffer_destroy(&sb);
	mf_advert_free(&a);
	return n;
}

/* A delta counts only on top of its server's full state with its base seq
 * (here: another server of our DC, whose newest seq raises ours); one that
 * came before its base counts when the base comes; one whose base is older
 * than the one we hold is left for that server's next full state. */
static void test_a_delta_patches_its_servers_last_full_state(void)
{
	enum { OLD_BASE, BASED, BASE_AFTER };
	for (int k = OLD_BASE; k <= BASE_AFTER; k++) {
		struct mf_routing_node *n;
		mf_pool_t *p;
		struct mf_routing_node_slot *s;
		uint8_t full[2048], delta[2048];
		lone(&n, &p, &s);
		size_t lf = advert_message("dc1", "dc1-s2", 100, full, sizeof(full)); /* seq 101 */
		size_t ld = delta_message(full, lf, k == OLD_BASE ? 99 : 101, 301, delta, sizeof(delta));
		if (k != BASE_AFTER)
			mf_routing_node_on_user_msg(s, full, lf);
		mf_routing_node_on_user_msg(s, delta, ld);
		if (k == BASE_AFTER)
			mf_routing_node_on_user_msg(s, full, lf);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_in, 1);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_unbased, k == BASE_AFTER ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_stale, k == OLD_BASE ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_late, k == BASE_AFTER ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS, NULL), 0);
		CU_ASSERT_EQUAL(mf_routing_advert_seq(mf_routing_node_engine(n)), k == OLD_BASE ? 102 : 302);
		mf_routing_node_free(n);
		mf_pool_free(p);
	}
}

static void test_push_pull_state_is_a_serf_map_with_meshfed_routes(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t buf[4096];
	lone(&n, &p, &s);
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS, NULL), 0);
	size_t len = mf_routing_node_local_state(s, false, buf, sizeof(buf));
	CU_ASSERT_FATAL(len > 2 + 14);
	CU_ASSERT_EQUAL(buf[0], MF_SERF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL(buf[1], 0x81); /* the empty map grew by one key */
	CU_ASSERT_EQUAL(buf[2], 0xa0 | 13);
	CU_ASSERT(memcmp(buf + 3, MF_ROUTING_NODE_PP_KEY, 13) == 0);
	/* too small a buffer: the map is left as it was */
	uint8_t small[24];
	small[0] = MF_SERF_MSG_PUSH_PULL;
	small[1] = 0x80;
	CU_ASSERT_EQUAL(mf_routing_node_pp_append(n, small, 2, sizeof(small)), 2);
	CU_ASSERT_EQUAL(small[1], 0x80);
	/* our own state read back: counted, not stored (own DC) */
	mf_routing_node_merge_remote_state(s, buf, len, false);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->full_states_in, 1);
	CU_ASSERT_EQUAL(mf_routing_node_n_stored(n), 0);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* issue 11: a push-pull user state declaring a 2^31-element array made
 * msgpack-c reserve ~50 GB (ASan aborted). Refused before any allocation. */
static void test_push_pull_state_declaring_a_huge_array_is_refused_unallocated(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	lone(&n, &p, &s);
	const uint8_t huge[] = {0x02, 0xdd, 0x7f, 0xff, 0xff, 0xff};
	const uint8_t huge_map[] = {0x02, 0x81, 0xad, 'M', 'e', 's', 'h', 'f', 'e', 'd',
				    'R', 'o', 'u', 't', 'e', 's', 0xc6, 0x7f, 0xff, 0xff, 0xff};
	mf_routing_node_merge_remote_state(s, huge, sizeof(huge), false);
	mf_routing_node_merge_remote_state(s, huge_map, sizeof(huge_map), false);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->full_states_in, 0);
	CU_ASSERT_EQUAL(mf_routing_node_n_stored(n), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->bad_full_states, 2);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

static void test_invalid_target_fails_with_a_message_naming_it(void)
{
	struct mf_routing_node_config c;
	struct mf_routing_node *n = NULL;
	struct mf_routing_node_target tg = {"bad name!", MF_MODE_SINGLE_HOP};
	char err[200] = "";
	mf_routing_node_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	c.targets = &tg;
	c.n_targets = 1;
	CU_ASSERT(mf_routing_node_new(&c, &n, err, sizeof(err)) < 0);
	CU_ASSERT_PTR_NULL(n);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "routing.targets.bad name!"));
}

/* A fragment the engine would refuse is checked before it is relayed:
 * never passed on, counted by cause. */
static void test_refused_fragments_are_never_relayed(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t msg[2048];
	lone(&n, &p, &s);
	size_t len = advert_message("dc1", "dc1-s2", 100, msg, sizeof(msg));
	mf_routing_node_on_user_msg(s, msg, len);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->relayed, 1);
	/* a seq 2^41 ahead of the 101 we hold */
	len = advert_message("dc1", "dc1-s2", 100 + (1ull << 41), msg, sizeof(msg));
	mf_routing_node_on_user_msg(s, msg, len);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->relayed, 1);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->adverts_seq_jump, 1);
	CU_ASSERT(mf_routing_advert_seq(mf_routing_node_engine(n)) < 1000);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"servers given one store hold each state once",
		 test_servers_given_one_store_hold_each_state_once},
		{"two DCs in one pool route directly at the coordinate distance",
		 test_two_dcs_in_one_pool_route_directly_at_the_coordinate_distance},
		{"line of two areas routes through the middle DC",
		 test_line_of_two_areas_routes_through_the_middle_dc},
		{"beat messages keep routes through others fresh",
		 test_beat_messages_keep_routes_through_others_fresh},
		{"beats to a large DC go to a few mates", test_beats_to_a_large_dc_go_to_a_few_mates},
		{"DC whose servers all died is withdrawn", test_dc_whose_servers_all_died_is_withdrawn},
		{"one-way cut inside a WAN pool: around it, nobody failed",
		 test_one_way_cut_routes_around_without_failing_anyone},
		{"two-way cut inside a WAN pool: around it, nobody failed",
		 test_two_way_cut_routes_around_without_failing_anyone},
		{"required gateways keep traffic off a middle DC without them",
		 test_required_gateways_keep_traffic_off_a_middle_dc_without_them},
		{"DC gateways are the union of its servers, and a dead server's go",
		 test_dc_gateways_are_the_union_of_its_servers_and_a_dead_servers_go},
		{"runtime gateways are advertised at the next tick and withdrawn",
		 test_runtime_gateways_are_advertised_at_the_next_tick_and_withdrawn},
		{"gateways of a silent server in no pool expire",
		 test_gateways_of_a_silent_server_in_no_pool_expire},
		{"gateway changes behind the newest advert are relayed once",
		 test_gateway_changes_behind_the_newest_advert_are_relayed_once},
		{"advert of a DC absent from the pool is not stored",
		 test_advert_of_a_dc_absent_from_the_pool_is_not_stored},
		{"user messages of other types are ignored, bad ones counted",
		 test_user_messages_of_other_types_are_ignored_and_bad_ones_counted},
		{"refused fragments are never relayed", test_refused_fragments_are_never_relayed},
		{"advert is broadcast on a new seq and every full refresh only",
		 test_advert_is_broadcast_on_a_new_seq_and_every_full_refresh_only},
		{"a delta patches its server's last full state",
		 test_a_delta_patches_its_servers_last_full_state},
		{"a change of most routes goes as a delta, not a new base",
		 test_a_change_of_most_routes_goes_as_a_delta_not_a_new_base},
		{"every server builds the same DC matrix after full states and deltas",
		 test_every_server_builds_the_same_dc_matrix_after_full_states_and_deltas},
		{"news is relayed once, stale or own adverts never",
		 test_news_is_relayed_once_and_stale_or_own_adverts_never},
		{"push-pull state is a serf map with MeshfedRoutes",
		 test_push_pull_state_is_a_serf_map_with_meshfed_routes},
		{"push-pull state declaring a huge array is refused unallocated",
		 test_push_pull_state_declaring_a_huge_array_is_refused_unallocated},
		{"invalid target fails with a message naming it",
		 test_invalid_target_fails_with_a_message_naming_it},
	};
	return RUN_SUITE("routing_node", tests);
}

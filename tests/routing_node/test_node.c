/*
 * tests/routing_node/test_node.c — routing/node.h: one server's routing
 * over its pools. Behaviours on real pools in virtual time (cmd/sim/simnet,
 * coord trackers plugged in as the agent plugs them: two DCs in one pool, a
 * line of two areas, expiry of a DC whose servers all died) and on
 * hand-fed messages (test_node_fed.c: framing, foreign origins, broadcast
 * pacing, push-pull framing, config errors). The world and the message
 * builders both use are node_world.c's.
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
#include "routing/digest.h"
#include "routing/node.h"
#include "routing/node_internal.h" /* what receivers hold of a server, read back */
#include "tests/cunit_main.h"
#include "tests/routing_node/node_world.h"

/* --- on pools ---------------------------------------------------------------*/

/* world_init with n servers, one member each, all in one pool. */
static void world_one_pool(struct world *w, const char *const *dcs, size_t n,
			   double (*rtt)(const char *, const char *),
			   const struct mf_routing_node_config *tmpl)
{
	size_t server[MAXN], pool[MAXN] = {0};
	CU_ASSERT_FATAL(n <= MAXN);
	for (size_t i = 0; i < n; i++)
		server[i] = i;
	world_init(w, n, dcs, n, server, pool, rtt, NULL, NULL, tmpl);
}

static void test_two_dcs_in_one_pool_route_directly_at_the_coordinate_distance(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2", "dc2"};
	struct world w;
	world_one_pool(&w, dcs, 4, rtt_line, NULL);
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

/* Servers given one store (the simulator's nodes) hold each encoded state
 * once between them: 4 servers of 2 DCs keep at most the 4 servers'
 * states (stored per DC and as the bases of each server's deltas), not one
 * copy per holder (docs/simulator.md, "Larger federations"). */
static void test_servers_given_one_store_hold_each_state_once(void)
{
	static const char *dcs[] = {"dc1", "dc1", "dc2", "dc2"};
	struct mf_routing_node_config c;
	struct mf_blobs *b;
	struct world w;
	CU_ASSERT_EQUAL_FATAL(mf_blobs_new(&b), 0);
	mf_routing_node_config_default(&c);
	c.blobs = b;
	world_one_pool(&w, dcs, 4, rtt_line, &c);
	world_run(&w, 30 * MF_SEC);
	size_t held = 0;
	for (size_t s = 0; s < 4; s++)
		held += mf_routing_node_n_stored(w.node[s]);
	CU_ASSERT_EQUAL(held, 4); /* each server stores the other DC's */
	CU_ASSERT(mf_blobs_count(b) >= 1);
	CU_ASSERT(mf_blobs_count(b) <= 4); /* bases too: one per server's state */
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
 * server sent a full state per beat (the code before: one every 15 s, the
 * beat period then). */
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
		CU_ASSERT(mf_routing_node_stats(w.node[k])->broadcasts < (uint64_t)(end / (15 * MF_SEC) / 2));
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
	struct world w;
	world_one_pool(&w, dcs, N, rtt_line, NULL);
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
	struct world w;
	char buf[128];
	world_one_pool(&w, dcs, 3, rtt_line, NULL);
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

/* Anti-entropy by digest (docs/routing.md): dc1's server misses dc2's new
 * state (its UDP blocked while dc2 gossips it), then learns it from a
 * push-pull digest by a pull of that one state; in a quiet pool digests
 * that say nothing new fetch nothing. */
static void test_a_member_that_missed_a_state_pulls_it_and_stale_digests_fetch_nothing(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3"};
	struct world w;
	char buf[128];
	world_one_pool(&w, dcs, 3, rtt_line, NULL);
	world_run(&w, 60 * MF_SEC);
	const struct mf_routing_node_stats *st = mf_routing_node_stats(w.node[0]);
	/* quiet: push-pulls went on, nothing was asked for */
	uint64_t digests = st->digests_in, pulls = st->pulls_out;
	world_run(&w, 150 * MF_SEC);
	CU_ASSERT(st->digests_in >= digests + 2);
	CU_ASSERT_EQUAL(st->pulls_out, pulls);
	CU_ASSERT_EQUAL(mf_routing_node_stats(w.node[1])->pulls_in, 0);
	/* dc2's new gateway goes out while dc1 hears no datagram */
	mf_simnet_block_udp(w.net, 0, true);
	CU_ASSERT_EQUAL(set_gateway(&w, 1, "dc2-g1"), 1);
	world_run(&w, 153 * MF_SEC);
	mf_simnet_block_udp(w.net, 0, false);
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "");
	uint64_t in = st->bytes_in;
	world_run(&w, 240 * MF_SEC); /* a push-pull or two (30 s in a lan pool) */
	CU_ASSERT_STRING_EQUAL(gateways_of(&w, 0, "dc2", buf, sizeof(buf)), "dc2-g1");
	CU_ASSERT(st->pulls_out >= pulls + 1); /* dc2's state, asked once or twice */
	CU_ASSERT(st->pulls_out <= pulls + 2);
	CU_ASSERT(mf_routing_node_stats(w.node[1])->pulls_in >= 1);
	CU_ASSERT(st->bytes_in - in < 4000); /* digests and one small state */
	/* and then nothing more is asked for */
	pulls = st->pulls_out;
	world_run(&w, 360 * MF_SEC);
	CU_ASSERT_EQUAL(st->pulls_out, pulls);
	world_free(&w);
}

/* One pull in flight per server's state (node_internal.h, mf_rn__pull_once):
 * the same newer state named by three digests at once (three peers'
 * push-pulls, or a refresh heard through three pools) is asked for once;
 * after MF_ROUTING_NODE_PULL_WAIT with no answer it is asked again, and a
 * newer seq is asked at once. Each digest used to send its own pull: at
 * 500 x 3, every peer's push-pull naming ~100 states asked for all again. */
static void digest_from(struct world *w, size_t to, size_t from, size_t of, uint64_t seq)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	uint8_t head[2] = {MF_SERF_MSG_MESHFED, MF_ROUTING_NODE_MSG_DIGEST};
	CU_ASSERT_FATAL(msgpack_sbuffer_write(&sb, (const char *)head, 2) == 0);
	CU_ASSERT_FATAL(mf_digest_begin(&sb, MF_DIGEST_KIND_DIGEST, w->name[from], 1) == 0);
	CU_ASSERT_FATAL(mf_digest_put(&sb, w->dc[of], w->name[of], seq) == 0);
	mf_routing_node_on_user_msg(w->m[to].slot, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static void test_a_state_named_by_many_digests_at_once_is_pulled_once(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3", "dc4"};
	struct world w;
	world_one_pool(&w, dcs, 4, rtt_line, NULL);
	world_run(&w, 60 * MF_SEC);
	const struct mf_routing_node_stats *st = mf_routing_node_stats(w.node[0]);
	uint64_t seq = mf_routing_advert_seq(mf_routing_node_engine(w.node[1])) + 10;
	uint64_t pulls = st->pulls_out;
	digest_from(&w, 0, 2, 1, seq);
	digest_from(&w, 0, 3, 1, seq);
	digest_from(&w, 0, 2, 1, seq);
	CU_ASSERT_EQUAL(st->pulls_out, pulls + 1);
	world_run(&w, 62 * MF_SEC); /* still on its way */
	digest_from(&w, 0, 3, 1, seq);
	CU_ASSERT_EQUAL(st->pulls_out, pulls + 1);
	digest_from(&w, 0, 3, 1, seq + 1); /* a newer one */
	CU_ASSERT_EQUAL(st->pulls_out, pulls + 2);
	world_run(&w, 62 * MF_SEC + MF_ROUTING_NODE_PULL_WAIT + MF_SEC); /* lost: asked again */
	digest_from(&w, 0, 2, 1, seq + 1);
	CU_ASSERT_EQUAL(st->pulls_out, pulls + 3);
	world_free(&w);
}

static void test_runtime_gateways_are_advertised_at_the_next_tick_and_withdrawn(void)
{
	static const char *dcs[] = {"dc1", "dc2"};
	struct world w;
	char buf[128];
	world_one_pool(&w, dcs, 2, rtt_line, NULL);
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
	struct world w;
	char buf[128];
	uint8_t msg[2048];
	world_one_pool(&w, dcs, 2, rtt_line, NULL);
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
	struct world w;
	world_one_pool(&w, dcs, 3, rtt_line, NULL);
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
	struct world w;
	world_one_pool(&w, dcs, 6, rtt_tri, NULL);
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
	for (size_t i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-%02zu.a-long-region-name.example.org",
			 i == 1 ? "hub" : "dc", i);
		dcs[i] = names[i];
	}
	struct world w;
	world_one_pool(&w, dcs, 16, rtt_hub, NULL);
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

/* Deltas direct (node.h, docs/routing.md "Deltas direct, and the DC
 * agreement deadlock"): six DCs of one server in one pool; once they
 * settled, dc1 <-> dc2 grows from 20 to 120 ms RTT, and routes move. Each
 * delta then goes once to each other member (5 received per delta sent)
 * and nobody relays any: gossiped, every member relayed each (~3 copies
 * each). */
static void test_a_delta_goes_once_to_each_member_directly_and_is_never_relayed(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3", "dc4", "dc5", "dc6"};
	struct world w;
	uint64_t out0 = 0, direct0 = 0, in0 = 0, relayed0 = 0, out = 0, direct = 0, in = 0, relayed = 0;
	world_one_pool(&w, dcs, 6, rtt_line, NULL);
	world_run(&w, 40 * MF_SEC);
	for (size_t s = 0; s < 6; s++) {
		const struct mf_routing_node_stats *st = mf_routing_node_stats(w.node[s]);
		out0 += st->deltas_out, direct0 += st->deltas_direct;
		in0 += st->deltas_in, relayed0 += st->relayed;
	}
	CU_ASSERT(mf_simnet_set_delay(w.net, 0, 1, 60) == 0);
	CU_ASSERT(mf_simnet_set_delay(w.net, 1, 0, 60) == 0);
	world_run(&w, mf_simnet_now(w.net) + 60 * MF_SEC);
	for (size_t s = 0; s < 6; s++) {
		const struct mf_routing_node_stats *st = mf_routing_node_stats(w.node[s]);
		out += st->deltas_out, direct += st->deltas_direct;
		in += st->deltas_in, relayed += st->relayed;
	}
	printf("\n  after the change: %llu deltas sent, %llu received",
	       (unsigned long long)(out - out0), (unsigned long long)(in - in0));
	CU_ASSERT(direct - direct0 > 0);
	CU_ASSERT_EQUAL(out - out0, direct - direct0);
	CU_ASSERT_EQUAL(in - in0, 5 * (direct - direct0));
	CU_ASSERT_EQUAL(relayed, relayed0);
	world_free(&w);
}

/* Pacing (node.h, MF_ROUTING_NODE_DELTA_GAP): in the cold start of six
 * DCs, a server's direct deltas go at least 2 s apart, the states made
 * meanwhile wait (counted), and what waited goes with the next: once
 * quiet, every other server holds each server's newest state. */
static void test_direct_deltas_are_paced_and_what_waited_goes_with_the_next(void)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3", "dc4", "dc5", "dc6"};
	struct world w;
	uint64_t last[6] = {0}, paced = 0;
	mf_time_t at[6] = {0};
	world_one_pool(&w, dcs, 6, rtt_line, NULL);
	for (mf_time_t t = 250 * MF_MS; t <= 40 * MF_SEC; t += 250 * MF_MS) {
		world_run(&w, t);
		for (size_t s = 0; s < 6; s++) {
			uint64_t d = mf_routing_node_stats(w.node[s])->deltas_direct;
			if (d == last[s])
				continue;
			CU_ASSERT_EQUAL(d, last[s] + 1);
			CU_ASSERT(!at[s] || t - at[s] >= MF_ROUTING_NODE_DELTA_GAP);
			at[s] = t;
			last[s] = d;
		}
	}
	for (size_t s = 0; s < 6; s++) {
		paced += mf_routing_node_stats(w.node[s])->deltas_paced;
		uint64_t seq = mf_routing_advert_seq(mf_routing_node_engine(w.node[s]));
		CU_ASSERT(last[s] > 0);
		CU_ASSERT_EQUAL(mf_rn__own_seq(w.node[s]), seq);
		for (size_t o = 0; o < 6; o++)
			if (o != s)
				CU_ASSERT_EQUAL(mf_rn__base_seq(w.node[o], dcs[s], w.name[s]), seq);
	}
	printf("\n  states paced in the cold start: %llu", (unsigned long long)paced);
	CU_ASSERT(paced > 0);
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
	struct world w;
	world_one_pool(&w, dcs, 4, rtt_off_grid, NULL);
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
		{"a member that missed a state pulls it, and stale digests fetch nothing",
		 test_a_member_that_missed_a_state_pulls_it_and_stale_digests_fetch_nothing},
		{"a state named by many digests at once is pulled once",
		 test_a_state_named_by_many_digests_at_once_is_pulled_once},
		{"DC gateways are the union of its servers, and a dead server's go",
		 test_dc_gateways_are_the_union_of_its_servers_and_a_dead_servers_go},
		{"runtime gateways are advertised at the next tick and withdrawn",
		 test_runtime_gateways_are_advertised_at_the_next_tick_and_withdrawn},
		{"gateways of a silent server in no pool expire",
		 test_gateways_of_a_silent_server_in_no_pool_expire},
		{"a change of most routes goes as a delta, not a new base",
		 test_a_change_of_most_routes_goes_as_a_delta_not_a_new_base},
		{"a delta goes once to each member directly and is never relayed",
		 test_a_delta_goes_once_to_each_member_directly_and_is_never_relayed},
		{"direct deltas are paced, and what waited goes with the next",
		 test_direct_deltas_are_paced_and_what_waited_goes_with_the_next},
		{"every server builds the same DC matrix after full states and deltas",
		 test_every_server_builds_the_same_dc_matrix_after_full_states_and_deltas},
	};
	return RUN_SUITE("routing_node", tests);
}

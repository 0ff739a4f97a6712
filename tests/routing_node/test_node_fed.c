/*
 * tests/routing_node/test_node_fed.c — routing/node.h on hand-fed messages:
 * framing, foreign origins, broadcast pacing, relaying, deltas, push-pull
 * framing, config errors (on real pools: test_node.c; the lone node and the
 * message builders: node_world.c).
 */
#include <CUnit/Basic.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/simnet.h"
#include "coord/tracker.h"
#include "gossip/pool_internal.h" /* our queued delta, read back */
#include "gossip/serf.h"
#include "routing/advert_delta.h"
#include "routing/blobs.h"
#include "routing/node.h"
#include "routing/node_internal.h" /* mf_rn__send_since: a pull's answer, read back */
#include "tests/cunit_main.h"
#include "tests/routing_node/node_world.h"

/* --- hand-fed ---------------------------------------------------------------*/

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

/* A lone dc1 node after its first tick (at 250 ms, returned). */
static mf_time_t lone_ticked(struct mf_routing_node **n, mf_pool_t **p)
{
	struct mf_routing_node_slot *s;
	lone(n, p, &s);
	CU_ASSERT_EQUAL(mf_routing_node_tick(*n, 250 * MF_MS, NULL), 0);
	return 250 * MF_MS;
}

static void test_advert_is_broadcast_on_a_new_seq_only_and_the_refresh_is_a_digest(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	mf_time_t t = lone_ticked(&n, &p);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	for (int k = 0; k < 10; k++)
		CU_ASSERT_EQUAL(mf_routing_node_tick(n, t += 250 * MF_MS, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	/* The beat raises our epoch but travels in its beat message
	 * (docs/routing.md, "Beats apart from full state"): no full state. */
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS + MF_ROUTING_NODE_REFRESH, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	/* The refresh is our digest entry, not our state (docs/routing.md,
	 * "Anti-entropy by digest"): a few bytes, no new full state. */
	uint64_t out = mf_routing_node_stats(n)->bytes_out;
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS + MF_ROUTING_NODE_FULL_REFRESH, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->broadcasts, 1);
	CU_ASSERT(mf_routing_node_stats(n)->bytes_out > out);
	CU_ASSERT(mf_routing_node_stats(n)->bytes_out - out < 64);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->recomputes, 13);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* Our DC's epoch, as our beat's own entry carries it (epoch mod 2^16). */
static uint16_t own_epoch16(const struct mf_routing_node *n)
{
	struct mf_beat_entry e;
	CU_ASSERT_EQUAL_FATAL(mf_routing_beats(mf_routing_node_engine(n), &e, 1), 1);
	return e.epoch16;
}

/* Our epoch rises once per beat_interval (MF_ROUTING_NODE_REFRESH, 30 s,
 * by default; config beat_interval, docs/routing.md "Beats every 30 s made
 * safe"), a beat listing every DC goes once a minute whatever the period,
 * and a DC cut off without deaths is withdrawn MF_ROUTING_NODE_MAX_AGE,
 * 120 s, after its last rise whatever the period. Returns the rises in
 * the first 120 s. */
static unsigned rises_in_two_minutes(int64_t beat_interval, mf_time_t period)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	mf_time_t t = 250 * MF_MS;
	lone_beat(&n, &p, &s, beat_interval);
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, t, NULL), 0);
	uint16_t e0 = own_epoch16(n);
	uint64_t first = mf_routing_node_stats(n)->beat_listings;
	while (t < 120 * MF_SEC)
		CU_ASSERT_EQUAL_FATAL(mf_routing_node_tick(n, t += 250 * MF_MS, NULL), 0);
	const unsigned rises = (unsigned)((120 * MF_SEC - 250 * MF_MS) / period);
	unsigned got = (uint16_t)(own_epoch16(n) - e0);
	CU_ASSERT_EQUAL(got, rises);
	CU_ASSERT_EQUAL(first, 1);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->beat_listings, 1 + rises / (unsigned)(60 * MF_SEC / period));
	mf_routing_node_free(n);
	mf_pool_free(p);
	return got;
}

static void test_our_epoch_rises_every_beat_interval_and_a_listing_goes_every_minute(void)
{
	CU_ASSERT_EQUAL(MF_ROUTING_NODE_REFRESH, 30 * MF_SEC);
	CU_ASSERT_EQUAL(rises_in_two_minutes(0, MF_ROUTING_NODE_REFRESH), 3);
	CU_ASSERT_EQUAL(rises_in_two_minutes(15 * MF_SEC, 15 * MF_SEC), 7);
	CU_ASSERT_EQUAL(rises_in_two_minutes(24 * MF_SEC, 24 * MF_SEC), 4);
	CU_ASSERT_EQUAL(MF_ROUTING_NODE_MAX_AGE, 120 * MF_SEC);
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
 * with no route changed, as one user message; since: it says "since its
 * base" (routing/advert.h "s"). */
static size_t delta_message(const uint8_t *msg, size_t len, uint64_t base, uint64_t seq, bool since,
			    uint8_t *buf, size_t cap)
{
	struct mf_advert a;
	msgpack_sbuffer sb;
	CU_ASSERT_EQUAL_FATAL(mf_advert_decode(msg + 2, len - 2, &a, NULL), 0);
	a.base_seq = base;
	a.seq = seq;
	a.since_base = since;
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

/* A state of a DC with no alive server in the pool it came through (a
 * mate relayed it before we learnt that DC's members there) is not stored,
 * so it is not the base we hold of its server either, and a delta on top
 * of it waits for nothing: kept as a base, it made the copies that came
 * later through the right pool duplicates, and our pulls said we held it,
 * so their answers were empty; the engine went without the DC until that
 * server's next state and servers of one DC disagreed (docs/routing.md,
 * "Deltas direct, and the DC agreement deadlock"). */
static void test_a_state_not_stored_is_no_base_of_its_servers_deltas(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t full[2048], delta[2048];
	lone(&n, &p, &s);
	size_t lf = dc9_message(full, sizeof(full));
	struct mf_advert a;
	CU_ASSERT_EQUAL_FATAL(mf_advert_decode(full + 2, lf - 2, &a, NULL), 0);
	uint64_t seq = a.seq;
	mf_advert_free(&a);
	size_t ld = delta_message(full, lf, seq, seq + 1, false, delta, sizeof(delta));
	mf_routing_node_on_user_msg(s, full, lf);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->adverts_foreign, 1);
	CU_ASSERT_EQUAL(mf_rn__base_seq(n, "dc9", "dc9-s1"), 0);
	mf_routing_node_on_user_msg(s, delta, ld);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->adverts_foreign, 2);
	CU_ASSERT_EQUAL(mf_rn__base_seq(n, "dc9", "dc9-s1"), 0);
	CU_ASSERT_EQUAL(mf_routing_node_n_stored(n), 0);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* A delta counts on top of its server's state at its base seq (here:
 * another server of our DC, whose newest seq raises ours), or later when
 * it says it lists everything since its base (it reached back over one we
 * got); one whose base is older than the state we hold and that does not
 * say so (an agent before route21) waits, as a delta without its base, for
 * a pull or a full state; one that came before its base counts when the
 * base comes. */
static void test_a_delta_patches_its_servers_last_full_state(void)
{
	enum { OLD_BASE, OLD_BASE_PLAIN, BASED, BASE_AFTER };
	for (int k = OLD_BASE; k <= BASE_AFTER; k++) {
		struct mf_routing_node *n;
		mf_pool_t *p;
		struct mf_routing_node_slot *s;
		uint8_t full[2048], delta[2048];
		lone(&n, &p, &s);
		size_t lf = advert_message("dc1", "dc1-s2", 100, full, sizeof(full)); /* seq 101 */
		bool old = k == OLD_BASE || k == OLD_BASE_PLAIN;
		size_t ld = delta_message(full, lf, old ? 99 : 101, 301, k == OLD_BASE, delta, sizeof(delta));
		if (k != BASE_AFTER)
			mf_routing_node_on_user_msg(s, full, lf);
		mf_routing_node_on_user_msg(s, delta, ld);
		if (k == BASE_AFTER)
			mf_routing_node_on_user_msg(s, full, lf);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_in, 1);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_unbased,
				k == BASE_AFTER || k == OLD_BASE_PLAIN ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_stale, k == OLD_BASE ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_late, k == BASE_AFTER ? 1 : 0);
		CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS, NULL), 0);
		CU_ASSERT_EQUAL(mf_routing_advert_seq(mf_routing_node_engine(n)), k == OLD_BASE_PLAIN ? 102 : 302);
		mf_routing_node_free(n);
		mf_pool_free(p);
	}
}

/* The state of dc1-s2 (a mate: the lone pool has no other DC) at seq: 150
 * targets t001..t150 (two fragments and more), route i at 10 + i ms (plus
 * extra for target `moved`). */
static void big_state(struct mf_advert *a, uint64_t seq, size_t moved, double extra)
{
	enum { N = 150 };
	memset(a, 0, sizeof *a);
	a->origin = strdup("dc1");
	a->node = strdup("dc1-s2");
	a->seq = seq;
	a->transit = true;
	a->frag_count = 1;
	a->names = calloc(N + 1, sizeof *a->names);
	a->routes = calloc(N + 1, sizeof *a->routes);
	a->names[0] = strdup("dc1");
	a->routes[0] = (struct mf_advert_route){.target = 0, .distance_ms = 0, .epoch = 5};
	for (size_t i = 1; i <= N; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%03zu", i);
		a->names[i] = strdup(name);
		a->routes[i] = (struct mf_advert_route){
			.target = (uint32_t)i, .distance_ms = 10.0 + (double)i + (i == moved ? extra : 0),
			.epoch = 5};
	}
	a->n_names = a->n_routes = N + 1;
}

static void feed(struct mf_routing_node_slot *s, const msgpack_sbuffer *body)
{
	uint8_t msg[1200];
	CU_ASSERT_FATAL(body->size + 2 <= sizeof msg);
	msg[0] = MF_SERF_MSG_MESHFED;
	msg[1] = MF_ROUTING_NODE_MSG_ADVERT;
	memcpy(msg + 2, body->data, body->size);
	mf_routing_node_on_user_msg(s, msg, body->size + 2);
}

/* The delta queued in q (our "mf-delta:" message) decoded into *d: false
 * when none is queued. */
static bool queued_delta(struct mf_bcast_queue *q, struct mf_advert *d)
{
	uint8_t buf[65536];
	struct mf_bytes out[16];
	size_t n = 0;
	bool found = false;
	mf_bcast_get(q, 0, sizeof buf, 10, buf, sizeof buf, out, 16, &n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *m = out[i].p + 1; /* memberlist's user message type */
		size_t len = out[i].len - 1;
		if (!found && len > 2 && m[0] == MF_SERF_MSG_MESHFED && m[1] == MF_ROUTING_NODE_MSG_ADVERT &&
		    mf_advert_decode_msg(m + 2, len - 2, d) == 0) {
			if (d->base_seq)
				found = true;
			else
				mf_advert_free(d);
		}
	}
	return found;
}

/* Deltas that reach back (docs/routing.md): our delta replaces the one
 * still queued (same key) before it went out, so it must say everything
 * since that one's base; else every member holding that base finds itself
 * behind and pulls (at 100 x 2 while states spread, 3 of 4 deltas received
 * found no base). Here our seq rises twice (a mate's newer states) with no
 * gossip between. With the agent's pool config (private_role "meshfed")
 * our messages queue apart from serf's (gossip/pool.h), and the sender
 * must find its queued delta there too. */
static void reaches_back(const char *role, int reach_back)
{
	bool back = reach_back >= 0;
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	struct mf_advert d;
	lone_role(&n, &p, &s, role, reach_back);
	/* the link as a gather would set it (a lone pool has no members) */
	struct mf_routing *e = (struct mf_routing *)mf_routing_node_engine(n);
	mf_time_t t = 250 * MF_MS;
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, t, NULL), 0); /* whole */
	uint64_t s0 = mf_routing_advert_seq(e);
	/* two changes of our route to dc2, a tick apart, no gossip between */
	static const double ms[] = {10, 30};
	for (size_t k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(mf_routing_set_link(e, "dc2", true, true, ms[k]), 1);
		CU_ASSERT_EQUAL(mf_routing_node_tick(n, t += 250 * MF_MS, NULL), 0);
	}
	const struct mf_routing_node_stats *st = mf_routing_node_stats(n);
	CU_ASSERT_EQUAL(st->broadcasts, 1);
	CU_ASSERT_EQUAL(st->deltas_out, 2);
	CU_ASSERT_EQUAL(st->deltas_back, back ? 1 : 0);
	/* where it is queued, and that the pool finds it by key there */
	static const char key[] = "mf-delta:dc1";
	bool priv = role[0] != '\0';
	CU_ASSERT_EQUAL(mf_bcast_transmits(&p->user_msgs, key, strlen(key)) >= 0, !priv);
	CU_ASSERT_EQUAL(mf_bcast_transmits(&p->private_msgs, key, strlen(key)) >= 0, priv);
	CU_ASSERT(mf_pool_user_transmits(p, key) >= 0);
	CU_ASSERT_FATAL(queued_delta(priv ? &p->private_msgs : &p->user_msgs, &d));
	/* reaching back: since s0, flagged; off (the default): one step */
	CU_ASSERT_EQUAL(d.since_base, back);
	CU_ASSERT_EQUAL(d.base_seq == s0, back);
	CU_ASSERT_EQUAL(d.seq, mf_routing_advert_seq(e));
	CU_ASSERT(d.seq > s0 + 1);
	CU_ASSERT_EQUAL(d.n_routes, 1);
	CU_ASSERT(d.n_routes == 1 && fabs(d.routes[0].distance_ms - 30) < 0.1);
	mf_advert_free(&d);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

/* Mixed federations (docs/routing.md, "Riders and a shorter header"): our
 * gossiped deltas go as version 3, which an agent before route29 refuses;
 * it still reads digests and pulls, so the answer to a pull, a delta since
 * what the asker holds, goes as version 2, which it decodes. */
static void test_an_answer_to_a_pull_is_a_version_2_delta(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	struct mf_pool_out o;
	struct mf_addr to;
	lone_role(&n, &p, &s, "", -1);
	struct mf_routing *e = (struct mf_routing *)mf_routing_node_engine(n);
	mf_time_t t = 250 * MF_MS;
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, t, NULL), 0); /* whole */
	uint64_t s0 = mf_routing_advert_seq(e);
	CU_ASSERT_EQUAL(mf_routing_set_link(e, "dc2", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, t + 250 * MF_MS, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->deltas_out, 1);
	while (mf_pool_next_output(p, &o) == 1)
		;
	CU_ASSERT_EQUAL_FATAL(mf_addr_parse("127.214.0.9:7946", 7946, &to), 0);
	CU_ASSERT(mf_rn__send_since(s, &to, s0) > 0);
	bool found = false;
	while (mf_pool_next_output(p, &o) == 1)
		for (size_t i = 0; o.kind == MF_OUT_UDP && !found && i + 6 < o.len; i++) {
			struct mf_advert d;
			if (o.data[i] != MF_SERF_MSG_MESHFED || o.data[i + 1] != MF_ROUTING_NODE_MSG_STATE ||
			    mf_advert_decode_msg(o.data + i + 2, o.len - i - 2, &d) != 0)
				continue;
			found = true;
			CU_ASSERT_EQUAL(o.data[i + 2 + 3], MF_ADVERT_VERSION_DELTA); /* {"v":2 */
			CU_ASSERT_EQUAL(d.base_seq, s0);
			CU_ASSERT_EQUAL(d.seq, mf_routing_advert_seq(e));
			mf_advert_free(&d);
		}
	CU_ASSERT(found);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

static void test_a_delta_replacing_a_queued_one_reaches_back_to_its_base(void)
{
	reaches_back("", INT_MAX);
}

static void test_the_agents_private_queue_is_searched_for_our_queued_delta(void)
{
	reaches_back("meshfed", INT_MAX);
}

/* Off unless configured (routing/node.h reach_back): unbounded, it doubled
 * the advert bytes at 40-100 DCs. */
static void test_deltas_reach_back_only_when_configured(void)
{
	reaches_back("meshfed", -1);
}

/* Deltas at any size (docs/routing.md, "Anti-entropy by digest"): a state
 * of several fragments is the base of its server's next delta, and a
 * change of one route costs one route. Before, only states of one
 * fragment were kept as bases, so every change of a larger state went
 * whole (9.6 KB at 500 DCs). */
static void test_a_state_of_several_fragments_is_the_base_of_a_small_delta(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	struct mf_advert base, now, d;
	struct mf_advert_frags f = {0};
	lone(&n, &p, &s);
	big_state(&base, 1000, 0, 0);
	big_state(&now, 1001, 77, 30);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_frags(&base, MF_ROUTING_NODE_ADVERT_BYTES, &f), 0);
	CU_ASSERT_FATAL(f.n >= 2);
	for (size_t i = 0; i < f.n; i++)
		feed(s, &f.bufs[i]);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &d), 0);
	CU_ASSERT(sb.size < 100);
	feed(s, &sb);
	const struct mf_routing_node_stats *st = mf_routing_node_stats(n);
	CU_ASSERT_EQUAL(st->deltas_in, 1);
	CU_ASSERT_EQUAL(st->deltas_unbased, 0);
	CU_ASSERT_EQUAL(st->local_errors, 0);
	CU_ASSERT_EQUAL(st->bad_fragments, 0);
	msgpack_sbuffer_destroy(&sb);
	mf_advert_frags_free(&f);
	mf_advert_free(&d);
	mf_advert_free(&base);
	mf_advert_free(&now);
	mf_routing_node_free(n);
	mf_pool_free(p);
}

static void test_push_pull_state_is_a_serf_map_with_a_meshfed_digest(void)
{
	struct mf_routing_node *n;
	mf_pool_t *p;
	struct mf_routing_node_slot *s;
	uint8_t buf[4096];
	lone(&n, &p, &s);
	CU_ASSERT_EQUAL(mf_routing_node_tick(n, 250 * MF_MS, NULL), 0);
	size_t len = mf_routing_node_local_state(s, false, buf, sizeof(buf));
	CU_ASSERT_FATAL(len > 2 + 14);
	CU_ASSERT(len < 2 + 14 + 64); /* a digest of our one state, not the state */
	CU_ASSERT_EQUAL(buf[0], MF_SERF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL(buf[1], 0x81); /* the empty map grew by one key */
	CU_ASSERT_EQUAL(buf[2], 0xa0 | 13);
	CU_ASSERT(memcmp(buf + 3, MF_ROUTING_NODE_PP_DIGEST_KEY, 13) == 0);
	/* too small a buffer: the map is left as it was */
	uint8_t small[24];
	small[0] = MF_SERF_MSG_PUSH_PULL;
	small[1] = 0x80;
	CU_ASSERT_EQUAL(mf_routing_node_pp_append(n, small, 2, sizeof(small)), 2);
	CU_ASSERT_EQUAL(small[1], 0x80);
	/* our own digest read back: read, nothing to pull */
	mf_routing_node_merge_remote_state(s, buf, len, false);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->digests_in, 1);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->pulls_out, 0);
	CU_ASSERT_EQUAL(mf_routing_node_stats(n)->full_states_in, 0);
	/* an agent before digests sends full states under "MeshfedRoutes":
	 * still merged (our own: counted, not stored) */
	uint8_t adv[2048], old[2048];
	size_t alen = advert_message("dc1", "dc1-s1", 1000, adv, sizeof(adv));
	CU_ASSERT_FATAL(alen > 2 && alen - 2 + 32 < sizeof(old));
	size_t o = 0;
	old[o++] = MF_SERF_MSG_PUSH_PULL;
	old[o++] = 0x81;
	old[o++] = 0xa0 | 13;
	memcpy(old + o, MF_ROUTING_NODE_PP_KEY, 13);
	o += 13;
	old[o++] = 0xc5; /* bin16 */
	old[o++] = (uint8_t)((alen - 2) >> 8);
	old[o++] = (uint8_t)(alen - 2);
	memcpy(old + o, adv + 2, alen - 2);
	o += alen - 2;
	mf_routing_node_merge_remote_state(s, old, o, false);
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
		{"gateway changes behind the newest advert are relayed once",
		 test_gateway_changes_behind_the_newest_advert_are_relayed_once},
		{"advert of a DC absent from the pool is not stored",
		 test_advert_of_a_dc_absent_from_the_pool_is_not_stored},
		{"user messages of other types are ignored, bad ones counted",
		 test_user_messages_of_other_types_are_ignored_and_bad_ones_counted},
		{"refused fragments are never relayed", test_refused_fragments_are_never_relayed},
		{"advert is broadcast on a new seq only, and the refresh is a digest",
		 test_advert_is_broadcast_on_a_new_seq_only_and_the_refresh_is_a_digest},
		{"a state not stored is no base of its server's deltas",
		 test_a_state_not_stored_is_no_base_of_its_servers_deltas},
		{"our epoch rises every beat_interval, and a listing goes every minute",
		 test_our_epoch_rises_every_beat_interval_and_a_listing_goes_every_minute},
		{"a delta patches its server's last full state",
		 test_a_delta_patches_its_servers_last_full_state},
		{"a delta replacing a queued one reaches back to its base",
		 test_a_delta_replacing_a_queued_one_reaches_back_to_its_base},
		{"deltas reach back only when configured", test_deltas_reach_back_only_when_configured},
		{"the agent's private queue is searched for our queued delta",
		 test_the_agents_private_queue_is_searched_for_our_queued_delta},
		{"news is relayed once, stale or own adverts never",
		 test_news_is_relayed_once_and_stale_or_own_adverts_never},
		{"a state of several fragments is the base of a small delta",
		 test_a_state_of_several_fragments_is_the_base_of_a_small_delta},
		{"an answer to a pull is a version-2 delta", test_an_answer_to_a_pull_is_a_version_2_delta},
		{"push-pull state is a serf map with a MeshfedDigest",
		 test_push_pull_state_is_a_serf_map_with_a_meshfed_digest},
		{"push-pull state declaring a huge array is refused unallocated",
		 test_push_pull_state_declaring_a_huge_array_is_refused_unallocated},
		{"invalid target fails with a message naming it",
		 test_invalid_target_fails_with_a_message_naming_it},
	};
	return RUN_SUITE("routing_node_fed", tests);
}

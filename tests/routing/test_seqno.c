/* Unit tests of seqno requests and the DC's one feasibility distance
 * (routing/engine_request.c, engine_feasible.c; docs/routing.md "Seqno
 * requests"), on hand-built advertisements offered to one engine:
 *  - a target left without a feasible route asks once per gap, through
 *    the neighbour with the shortest infeasible route;
 *  - an infeasible route shorter by the hysteresis margin asks too, and
 *    one shorter by the settle margin once it stayed so for settle_time;
 *  - the target's servers take a new feasibility epoch on request (at
 *    most one a gap, their epoch raised by one at most whatever the
 *    request names) and advertise it;
 *  - a DC on the way passes the request to its next hop and, when the
 *    newer epoch reaches it, advertises it;
 *  - a mate's state counts in the feasibility distance;
 *  - with a window, a distance no recent state carried stops counting;
 *  - sticky distances: a new state keeps a distance that moved little;
 *  - loss_hold: a route in use turned infeasible is kept a while and
 *    its epoch asked for at once;
 *  - spread_age: a route through a DC is advertised at the longer of its
 *    servers' distances, so their states coming by turns keep it feasible;
 *  - a delta carries a route whose epoch alone moved, when epochs are
 *    part of the route;
 *  - epochs_on_request: a state carries a route's epoch no newer than the
 *    feasibility distance's, so a newer one heard keeps the routes at the
 *    older one feasible; a request for the newer one is answered by the
 *    first DC whose route has it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/advert_delta.h"
#include "tests/routing/fixture.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"

#define GAP 10

/* An engine for dc (node "<dc>-s1") with feasibility and requests, its
 * clock started at 1 (config feasibility_window, spread_age and loss_hold
 * as given). */
static struct mf_routing *feas_engine_cfg(const char *dc, uint64_t epoch, uint64_t window, uint64_t spread,
					  uint64_t loss_hold, bool epochs_on_request)
{
	struct mf_routing_config c;
	char node[80];
	snprintf(node, sizeof node, "%s-s1", dc);
	mf_routing_config_default(&c);
	c.datacenter = dc;
	c.node = node;
	c.epoch = epoch;
	c.feasibility_hold = 1000;
	c.request_gap = GAP;
	c.beats_apart = true; /* as the node: epochs alone make no new state */
	c.settle_time = 100;
	c.feasibility_window = window;
	c.spread_age = spread;
	c.loss_hold = loss_hold;
	c.epochs_on_request = epochs_on_request;
	struct mf_routing *r = NULL;
	CU_ASSERT_FATAL(mf_routing_new(&c, &r) == 0);
	mf_routing_set_now(r, 1);
	return r;
}

static struct mf_routing *feas_engine_wsl(const char *dc, uint64_t epoch, uint64_t window, uint64_t spread,
					  uint64_t loss_hold)
{
	return feas_engine_cfg(dc, epoch, window, spread, loss_hold, false);
}

static struct mf_routing *feas_engine_ws(const char *dc, uint64_t epoch, uint64_t window, uint64_t spread)
{
	return feas_engine_wsl(dc, epoch, window, spread, 0);
}

static struct mf_routing *feas_engine_w(const char *dc, uint64_t epoch, uint64_t window)
{
	return feas_engine_ws(dc, epoch, window, 0);
}

/* The same, every pair of an epoch counting in the feasibility distance. */
static struct mf_routing *feas_engine(const char *dc, uint64_t epoch)
{
	return feas_engine_w(dc, epoch, 0);
}

/* Offers origin's advertisement (node, seq, spec as h_advert's) with every
 * route at `epoch`, and recomputes at now. */
static void offer_at(struct mf_routing *r, const char *origin, const char *node, uint64_t seq,
		     uint64_t epoch, const char *spec, uint64_t now)
{
	struct mf_advert a;
	CU_ASSERT_FATAL(h_advert(&a, origin, node, seq, true, spec) == 0);
	for (size_t i = 0; i < a.n_routes; i++)
		a.routes[i].epoch = epoch;
	CU_ASSERT(mf_routing_set_advert(r, &a) >= 0);
	mf_advert_free(&a);
	mf_routing_set_now(r, now);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
}

/* Our advertisement's route to target: its epoch and distance (0 and
 * NAN when it has none). */
static void advertised(const struct mf_routing *r, const char *target, uint64_t *epoch, double *dist)
{
	struct mf_advert a;
	*epoch = 0;
	*dist = NAN;
	CU_ASSERT_FATAL(mf_routing_advert(r, &a) == 0);
	for (size_t i = 0; i < a.n_routes; i++)
		if (strcmp(a.names[a.routes[i].target], target) == 0) {
			*epoch = a.routes[i].epoch;
			*dist = a.routes[i].distance_ms;
		}
	mf_advert_free(&a);
}

static uint64_t advertised_epoch(const struct mf_routing *r, const char *target)
{
	uint64_t e;
	double d;
	advertised(r, target, &e, &d);
	return e;
}

static double advertised_distance(const struct mf_routing *r, const char *target)
{
	uint64_t e;
	double d;
	advertised(r, target, &e, &d);
	return d;
}

/* dc1 reaches dc9 through dc2 (link 10 + 30) or dc3 (link 1 + 45), every
 * route at epoch 5: it takes dc2's at 40, its feasibility distance
 * (config feasibility_window: window; loss_hold: hold). */
static struct mf_routing *two_ways_feasible_wl(uint64_t window, uint64_t hold)
{
	struct mf_routing *r = feas_engine_wsl("dc1", 100, window, 0, hold);
	mf_routing_set_link(r, "dc2", true, true, 10);
	mf_routing_set_link(r, "dc3", true, true, 1);
	offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 30", 1);
	offer_at(r, "dc3", "dc3-s1", 1, 5, "dc3 0;dc9 45", 1);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 40);
	return r;
}

static struct mf_routing *two_ways_feasible_w(uint64_t window)
{
	return two_ways_feasible_wl(window, 0);
}

static struct mf_routing *two_ways_feasible(void)
{
	return two_ways_feasible_w(0);
}

/* dc2's distance grows to 100 (same epoch): both routes (100 and 45) are
 * now longer than the 40 we advertised, so dc9 is withdrawn and one
 * request goes to dc3 (the shorter infeasible route, 46) for epoch 6;
 * none again within the gap, one more after it. */
static void test_starved_target_asks_once(void)
{
	struct mf_routing *r = two_ways_feasible();
	struct mf_routing_request q[4];
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 0);
	offer_at(r, "dc2", "dc2-s1", 2, 5, "dc2 0;dc9 100", 2);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	CU_ASSERT_EQUAL_FATAL(mf_routing_requests(r, q, 4), 1);
	CU_ASSERT_STRING_EQUAL(q[0].target, "dc9");
	CU_ASSERT_STRING_EQUAL(q[0].to, "dc3");
	CU_ASSERT_EQUAL(q[0].epoch, 6);
	CU_ASSERT_EQUAL(q[0].hops, MF_ROUTING_REQUEST_HOPS);
	mf_routing_set_link(r, "dc3", true, true, 2); /* a recompute within the gap */
	mf_routing_set_now(r, 3);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 0);
	mf_routing_set_now(r, 2 + GAP); /* the gap ends: asked again */
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 1);
	mf_routing_free(r);
}

/* dc3 offers dc9 at 5 but from an older epoch (4): 6 against 40 is past
 * the hysteresis margin, so dc1 keeps dc2's feasible route and asks dc3's
 * way for epoch 6. Without requests (request_gap 0) nothing is asked. */
static void test_shorter_infeasible_route_asks(void)
{
	struct mf_routing *r = two_ways_feasible();
	offer_at(r, "dc3", "dc3-s1", 2, 4, "dc3 0;dc9 5", 2);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
	struct mf_routing_request q[4];
	CU_ASSERT_EQUAL_FATAL(mf_routing_requests(r, q, 4), 1);
	CU_ASSERT_STRING_EQUAL(q[0].to, "dc3");
	CU_ASSERT_EQUAL(q[0].epoch, 6);
	/* Once dc3's route comes with a newer epoch it is feasible: taken. */
	offer_at(r, "dc3", "dc3-s1", 3, 7, "dc3 0;dc9 5", 3);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc3");
	mf_routing_free(r);
}

/* dc3 offers dc9 at 38 from an older epoch (4): 39 against 40 is within
 * the hysteresis margin but past the settle margin (2 % and 1 ms), so it
 * is asked for only once it has stayed so for settle_time, as settling
 * would have taken it. */
static void test_settled_infeasible_route_asks(void)
{
	struct mf_routing *r = two_ways_feasible();
	struct mf_routing_request q[4];
	offer_at(r, "dc3", "dc3-s1", 2, 4, "dc3 0;dc9 36", 2);
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 0);
	mf_routing_set_now(r, 2 + 50);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 0);
	mf_routing_set_now(r, 2 + 100); /* settle_time passed */
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT_EQUAL_FATAL(mf_routing_requests(r, q, 4), 1);
	CU_ASSERT_STRING_EQUAL(q[0].to, "dc3");
	mf_routing_free(r);
}

/* loss_hold 5: dc2's distance grows to 41 (same epoch), past the 40 we
 * advertised, so its route is infeasible (as dc3's). dc1 keeps it, at the
 * 40 it had (as Babel ignores the unfeasible update), and asks dc2 for
 * epoch 6 at once; when dc2's answer comes
 * (epoch 6) the route is feasible and stays. Unanswered, it is lost when
 * the hold ends. Without the rule dc9 is withdrawn at once. */
static void test_route_in_use_kept_on_loss(void)
{
	struct mf_routing_request q[4];
	for (int answered = 0; answered < 2; answered++) {
		struct mf_routing *r = two_ways_feasible_wl(0, 5);
		offer_at(r, "dc2", "dc2-s1", 2, 5, "dc2 0;dc9 41", 2);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
		CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 40);
		CU_ASSERT_EQUAL_FATAL(mf_routing_requests(r, q, 4), 1);
		CU_ASSERT_STRING_EQUAL(q[0].target, "dc9");
		CU_ASSERT_STRING_EQUAL(q[0].to, "dc2");
		CU_ASSERT_EQUAL(q[0].epoch, 6);
		if (answered)
			offer_at(r, "dc2", "dc2-s1", 3, 6, "dc2 0;dc9 41", 4);
		mf_routing_set_now(r, 2 + 5); /* the hold ends */
		CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
		if (answered) {
			CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
		} else {
			CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
		}
		mf_routing_free(r);
	}
}

/* dc9 (epoch 100), dc2 its neighbour. */
static struct mf_routing *origin_dc9(void)
{
	struct mf_routing *r = feas_engine("dc9", 100);
	mf_routing_set_link(r, "dc2", true, true, 10);
	offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 10", 1);
	CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), 100);
	return r;
}

/* A request for dc9 naming epoch, taken at now (it must be: 1), then a
 * recompute: the epoch our new state carries for dc9. */
static uint64_t ask_origin(struct mf_routing *r, uint64_t epoch, uint64_t now)
{
	uint64_t seq = mf_routing_advert_seq(r);
	mf_routing_set_now(r, now);
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", epoch, 10), 1);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT(mf_routing_advert_seq(r) > seq);
	return advertised_epoch(r, "dc9");
}

/* dc9's servers take a new feasibility epoch (their current epoch, or
 * one more when the request names a higher one) and advertise it in a
 * new state; a request the state already answers, or a second new epoch
 * within the gap, changes nothing. */
static void test_origin_raises_on_request(void)
{
	struct mf_routing *r = origin_dc9();
	CU_ASSERT_EQUAL(ask_origin(r, 101, 2), 101);
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 101, 10), 0); /* said already */
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 102, 10), 0); /* within the gap */
	CU_ASSERT_EQUAL(ask_origin(r, 102, 2 + GAP), 102);
	mf_routing_free(r);
}

/* A request for our own DC naming an epoch far ahead (a hostile peer's
 * 2^64 - 1) raises our epoch by one only, as Babel's origin raises its
 * seqno: our beats and states go on from there, and the next request
 * (after the gap) raises it by one again. */
static void test_origin_raises_by_one_only(void)
{
	struct mf_routing *r = origin_dc9();
	CU_ASSERT_EQUAL(ask_origin(r, UINT64_MAX, 2), 101);
	struct mf_beat_entry b[4];
	CU_ASSERT_FATAL(mf_routing_beats(r, b, 4) >= 1);
	CU_ASSERT_EQUAL(b[0].epoch16, 101); /* our epoch, not the one named */
	CU_ASSERT_EQUAL(ask_origin(r, 1000, 2 + GAP), 102);
	mf_routing_free(r);
}

/* dc2 routes to dc9 through dc5 (epoch 3). A request for epoch 4 goes on
 * to dc5 with one hop less (once per gap); when dc5's state brings epoch
 * 4 (same path, same distance), dc2 makes a new state carrying it. */
static void test_request_passed_on_and_answered(void)
{
	struct mf_routing *r = feas_engine("dc2", 100);
	mf_routing_set_link(r, "dc5", true, true, 10);
	offer_at(r, "dc5", "dc5-s1", 1, 3, "dc5 0;dc9 20", 1);
	CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc5");
	CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), 3);
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 4, 10), 2);
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 4, 10), 0); /* deduplicated */
	struct mf_routing_request q[4];
	CU_ASSERT_EQUAL_FATAL(mf_routing_requests(r, q, 4), 1);
	CU_ASSERT_STRING_EQUAL(q[0].target, "dc9");
	CU_ASSERT_STRING_EQUAL(q[0].to, "dc5");
	CU_ASSERT_EQUAL(q[0].epoch, 4);
	CU_ASSERT_EQUAL(q[0].hops, 9);
	uint64_t seq = mf_routing_advert_seq(r);
	offer_at(r, "dc5", "dc5-s1", 2, 4, "dc5 0;dc9 20", 2);
	CU_ASSERT(mf_routing_advert_seq(r) > seq);
	CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), 4);
	/* A request with no hop left stops here. */
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 9, 1), 0);
	mf_routing_free(r);
}

/* Another server of dc1 advertised dc9 at 20 (epoch 5): that is the DC's
 * feasibility distance too, so when dc2's route grows to 35 (45 through
 * it), it is infeasible for this server as well, though shorter than the
 * 40 this server advertised. Without the mates' states this server would
 * keep it. */
static void test_mates_share_feasibility_distance(void)
{
	struct mf_routing *r = two_ways_feasible();
	offer_at(r, "dc1", "dc1-s2", mf_routing_advert_seq(r) + 1, 5, "dc1 0;dc9 20 dc3", 2);
	offer_at(r, "dc2", "dc2-s1", 2, 5, "dc2 0;dc9 35", 3);
	CU_ASSERT_EQUAL(h_route(r, "dc9").status, MF_ROUTE_UNREACHABLE);
	mf_routing_free(r);
}

/* A feasibility distance over a window (config feasibility_window W):
 * dc1 reaches dc9 through dc2 at 40 and advertises it; its link to dc2
 * grows to 50, so it advertises 80. dc3's route (45, through a link of 1:
 * 46) is then shorter by the margin but infeasible against the 40 of the
 * epoch. The 40 still counts for at least W after the last state that
 * carried it (a neighbour may hold that state), and no longer once two
 * windows have turned: dc3's route is taken. Without a window the 40
 * counts until the epoch moves. */
#define WINDOW 200
static void test_window_forgets_old_distances(void)
{
	for (int w = 0; w < 2; w++) {
		struct mf_routing *r = two_ways_feasible_w(w ? WINDOW : 0);
		mf_routing_set_link(r, "dc2", true, true, 50);
		mf_routing_set_now(r, 2);
		CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
		CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 80);
		mf_routing_set_now(r, 2 + WINDOW); /* 40 was advertised until 2 */
		CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
		mf_routing_set_now(r, 2 + 2 * WINDOW); /* a window turned at 2 + W */
		CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, w ? "dc3" : "dc2");
		mf_routing_free(r);
	}
}

/* Sticky distances (config sticky_distances): dc1 advertises dc9 at 40
 * through dc2; dc2's distance falls by 1 ms (within the re-advertise
 * threshold: no new state), then a new target (dc7) makes a new state.
 * It carries dc9 at 40 still, not the newest 39, so the feasibility
 * distance does not follow small moves down; without the option, 39. */
static void test_sticky_distances(void)
{
	for (int sticky = 0; sticky < 2; sticky++) {
		struct mf_routing_config c;
		mf_routing_config_default(&c);
		c.datacenter = "dc1";
		c.node = "dc1-s1";
		c.feasibility_hold = 1000;
		c.beats_apart = true;
		c.sticky_distances = sticky;
		struct mf_routing *r = NULL;
		CU_ASSERT_FATAL(mf_routing_new(&c, &r) == 0);
		mf_routing_set_now(r, 1);
		mf_routing_set_link(r, "dc2", true, true, 10);
		offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 30", 1);
		CU_ASSERT_EQUAL(advertised_distance(r, "dc9"), 40);
		uint64_t seq = mf_routing_advert_seq(r);
		offer_at(r, "dc2", "dc2-s1", 2, 5, "dc2 0;dc9 29", 2);
		CU_ASSERT_EQUAL(mf_routing_advert_seq(r), seq);
		offer_at(r, "dc2", "dc2-s1", 3, 5, "dc2 0;dc9 29;dc7 20", 3);
		CU_ASSERT(mf_routing_advert_seq(r) > seq);
		CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 39);
		CU_ASSERT_EQUAL(advertised_distance(r, "dc9"), sticky ? 40 : 39);
		mf_routing_free(r);
	}
}

/* spread_age (docs/routing.md, "Rounds 41-80"): dc2's two servers
 * measure dc9 differently and their states come by turns, 30 from
 * dc2-s1, 38 from dc2-s2, 30 again; dc1 (link 10) advertises 10 + the
 * longer, 48, whichever it holds, so once two windows have turned its
 * feasibility distance is 48 and dc2-s2's next state (45) is feasible.
 * Without, dc1's state said 40 while it held dc2-s1's: 45 is then
 * infeasible and dc9 is withdrawn, as feasibility took a route in use at
 * 50 DCs of 2 servers whenever a neighbour's servers differed by more
 * than our link to it. */
static void test_next_hop_servers_longer_distance(void)
{
	for (int spread = 0; spread < 2; spread++) {
		struct mf_routing *r = feas_engine_ws("dc1", 100, WINDOW, spread ? 100 * WINDOW : 0);
		mf_routing_set_link(r, "dc2", true, true, 10);
		offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 30", 1);
		CU_ASSERT_EQUAL(advertised_distance(r, "dc9"), 40);
		offer_at(r, "dc2", "dc2-s2", 2, 5, "dc2 0;dc9 38", 2);
		CU_ASSERT_EQUAL(advertised_distance(r, "dc9"), 48);
		offer_at(r, "dc2", "dc2-s1", 3, 5, "dc2 0;dc9 30", 3);
		CU_ASSERT_EQUAL(h_route(r, "dc9").distance_ms, 40);
		CU_ASSERT_EQUAL(advertised_distance(r, "dc9"), spread ? 48 : 40);
		for (uint64_t now = 3 + WINDOW; now <= 3 + 2 * WINDOW; now += WINDOW) {
			mf_routing_set_now(r, now); /* two windows turn */
			CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
		}
		offer_at(r, "dc2", "dc2-s2", 4, 5, "dc2 0;dc9 45", 4 + 2 * WINDOW);
		struct mf_route_view v = h_route(r, "dc9");
		CU_ASSERT_EQUAL(v.status, spread ? MF_ROUTE_VIA : MF_ROUTE_UNREACHABLE);
		if (spread)
			CU_ASSERT_EQUAL(v.distance_ms, 55);
		mf_routing_free(r);
	}
}

/* dc1 reaches dc9 through dc2 (10 + 30, epoch 5; its feasibility
 * distance) and could through dc3 (1 + 38, within the hysteresis margin:
 * kept). dc2's next state carries dc9 at epoch 6 (a request's new epoch
 * passing by) and a new target, so dc1 makes a state. With
 * epochs_on_request it carries dc9 at 5, its feasibility distance's epoch:
 * when dc2's distance then grows to 60, dc3's route (epoch 5) is still
 * feasible and taken. Carrying 6, as before, made dc3's route infeasible
 * by epoch and dc2's by distance: dc9 withdrawn (a route in use lost, as
 * a mate's state with a newer epoch did to its DC at 100 DCs). */
static void test_newer_epoch_keeps_older_routes_feasible(void)
{
	for (int eor = 0; eor < 2; eor++) {
		struct mf_routing *r = feas_engine_cfg("dc1", 100, 0, 0, 0, eor);
		mf_routing_set_link(r, "dc2", true, true, 10);
		mf_routing_set_link(r, "dc3", true, true, 1);
		offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 30", 1);
		offer_at(r, "dc3", "dc3-s1", 1, 5, "dc3 0;dc9 38", 1);
		CU_ASSERT_STRING_EQUAL(h_route(r, "dc9").next_hop, "dc2");
		offer_at(r, "dc2", "dc2-s1", 2, 6, "dc2 0;dc9 30;dc7 20", 2);
		CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), eor ? 5 : 6);
		offer_at(r, "dc2", "dc2-s1", 3, 6, "dc2 0;dc9 60;dc7 20", 3);
		struct mf_route_view v = h_route(r, "dc9");
		CU_ASSERT_EQUAL(v.status, eor ? MF_ROUTE_VIA : MF_ROUTE_UNREACHABLE);
		if (eor && v.status == MF_ROUTE_VIA) {
			CU_ASSERT_STRING_EQUAL(v.next_hop, "dc3");
			CU_ASSERT_EQUAL(v.distance_ms, 39);
		}
		mf_routing_free(r);
	}
}

/* With epochs_on_request, dc1's route to dc9 reaches epoch 6 while its
 * state says 5. A request for 6 is answered here: the next state carries
 * 6 and nothing goes on towards dc9 (no new epoch minted there). */
static void test_request_answered_on_the_way(void)
{
	struct mf_routing *r = feas_engine_cfg("dc1", 100, 0, 0, 0, true);
	mf_routing_set_link(r, "dc2", true, true, 10);
	offer_at(r, "dc2", "dc2-s1", 1, 5, "dc2 0;dc9 30", 1);
	offer_at(r, "dc2", "dc2-s1", 2, 6, "dc2 0;dc9 30;dc7 20", 2);
	CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), 5);
	uint64_t seq = mf_routing_advert_seq(r);
	CU_ASSERT_EQUAL(mf_routing_take_request(r, "dc9", 6, 10), 1);
	mf_routing_set_now(r, 3);
	CU_ASSERT(mf_routing_recompute(r, NULL) == 0);
	CU_ASSERT(mf_routing_advert_seq(r) > seq);
	CU_ASSERT_EQUAL(advertised_epoch(r, "dc9"), 6);
	struct mf_routing_request q[4];
	CU_ASSERT_EQUAL(mf_routing_requests(r, q, 4), 0);
	mf_routing_free(r);
}

/* With epochs part of the route (feasibility), a delta lists a route
 * whose epoch alone moved; without, it does not (beats carry them). */
static void test_delta_carries_bound_epochs(void)
{
	struct mf_advert base, now, d;
	CU_ASSERT_FATAL(h_advert(&base, "dc1", "dc1-s1", 1, true, "dc1 0;dc9 20 dc3") == 0);
	CU_ASSERT_FATAL(h_advert(&now, "dc1", "dc1-s1", 2, true, "dc1 0;dc9 20 dc3") == 0);
	for (size_t i = 0; i < now.n_routes; i++)
		if (strcmp(now.names[now.routes[i].target], "dc9") == 0)
			now.routes[i].epoch = 2;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 0);
	mf_advert_free(&d);
	now.epochs_bound = true;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 1);
	mf_advert_free(&d);
	mf_advert_free(&base);
	mf_advert_free(&now);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "starved_target_asks_once", test_starved_target_asks_once },
		{ "shorter_infeasible_route_asks", test_shorter_infeasible_route_asks },
		{ "settled_infeasible_route_asks", test_settled_infeasible_route_asks },
		{ "route_in_use_kept_on_loss", test_route_in_use_kept_on_loss },
		{ "origin_raises_on_request", test_origin_raises_on_request },
		{ "origin_raises_by_one_only", test_origin_raises_by_one_only },
		{ "request_passed_on_and_answered", test_request_passed_on_and_answered },
		{ "mates_share_feasibility_distance", test_mates_share_feasibility_distance },
		{ "delta_carries_bound_epochs", test_delta_carries_bound_epochs },
		{ "window_forgets_old_distances", test_window_forgets_old_distances },
		{ "sticky_distances", test_sticky_distances },
		{ "next_hop_servers_longer_distance", test_next_hop_servers_longer_distance },
		{ "newer_epoch_keeps_older_routes_feasible", test_newer_epoch_keeps_older_routes_feasible },
		{ "request_answered_on_the_way", test_request_answered_on_the_way },
	};
	return RUN_SUITE("routing_seqno", tests);
}

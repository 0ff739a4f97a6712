/*
 * routing/node.h — one server's routing over the gossip pools it is in: the
 * engine (routing/engine.h) fed from pools (gossip/pool.h) and their
 * coordinate trackers (coord/tracker.h), and its advertisement gossiped back
 * into them. What the agent runs on real sockets and meshfed-sim runs in
 * virtual time, so both speak the same protocol by the same code.
 *
 * Contract: pure. It never reads the clock (mf_routing_node_tick takes
 * `now`), never touches a socket (it reads pools, queues user broadcasts
 * with mf_pool_broadcast_user, and is handed user messages and push-pull
 * state by the caller's pool delegate), never logs (optional hooks). It owns
 * the engine, the reassembly of fragments, the adverts it stored (encoded,
 * for push-pull) and the list of DCs it set links for; it does not own the
 * pools or trackers.
 *
 * Every tick (the caller calls it every MF_ROUTING_NODE_TICK_MS):
 *  - direct links: for each pool, the remote DCs it links us to (a pool
 *    without peers: every DC tagged on a member; an area with peers: those).
 *    configured = shares a pool; usable = one of its servers is alive in
 *    that pool, answers our own probes directly (mf_member.direct_misses
 *    below MF_ROUTING_NODE_DIRECT_MISSES: alive only through indirect
 *    probes means our path to it is cut) AND the tracker has a DC estimate; distance = the smallest
 *    such estimate over pools (coordinates only, median over the DC's alive
 *    servers, as Consul);
 *    A DC that answered our reach probes (routing/node_reach.c: a ping every
 *    MF_ROUTING_NODE_REACH_INTERVAL to one of its servers, answered straight
 *    back) is directly reached only while its last answer is recent, so a
 *    cut link goes unusable in bounded time whatever the pool sees;
 *  - expiry: an origin with no alive server in any of our pools is
 *    withdrawn (its adverts can only reach us through a pool it is in);
 *  - freshness: the engine gets `now`; our epoch beats every
 *    beat_interval (config; MF_ROUTING_NODE_REFRESH), a DC whose epoch has not risen for
 *    MF_ROUTING_NODE_MAX_AGE, counted from its own servers' rise (the
 *    beat's ages), is reachable only over a direct link (docs/routing.md,
 *    "Bounded withdrawal", "Origin ages"). Epochs travel apart from full
 *    state: every beat_interval our beat message (routing/beat.h:
 *    our epoch and the one each advertised route reaches, with its age, 8
 *    bytes a DC) goes
 *    as [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_BEAT][beat] by direct
 *    datagrams to every alive server of our DC (to
 *    MF_ROUTING_NODE_BEAT_DC_FANOUT of them at random in a DC of more) and
 *    to MF_ROUTING_NODE_BEAT_FANOUT other alive members drawn at random
 *    over our pools, each once; once a minute one lists
 *    every DC, the others our own entry and the rises heard, which are
 *    also relayed as heard (at most every MF_ROUTING_NODE_RELAY_GAP;
 *    docs/routing.md, "Thinner beats"), and a DC whose held epoch is
 *    MF_ROUTING_NODE_ASK_AGE old is asked for (listed every
 *    MF_ROUTING_NODE_ASK_GAP; a member holding a newer epoch answers);
 *  - recompute; when our advertisement's seq moved (a real change), a delta
 *    (routing/advert_delta.h: the routes that differ from what receivers
 *    hold of us), when it fits one message of MF_ROUTING_NODE_ADVERT_BYTES
 *    whatever the state's size, goes by one direct datagram to each alive
 *    meshfed member of our pools as
 *    [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_STATE][delta] (as a pull's
 *    answer: never relayed), at most one per MF_ROUTING_NODE_DELTA_GAP (the
 *    states made meanwhile go with the next); with config deltas_gossiped,
 *    or more than MF_ROUTING_NODE_DELTA_DIRECT_MAX such members, or none
 *    yet, it goes in every pool as
 *    [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_ADVERT][delta], keyed
 *    "mf-delta:<dc>". A delta too large goes as the whole state, its
 *    fragments keyed "mf-advert:<dc>:<fragment index>" (a newer one
 *    replaces an older one still queued). Received deltas are applied to
 *    the newest state of their server we hold (kept encoded per server,
 *    only for origins with an alive server in the pool they came through;
 *    a delta that comes before its base waits for it, and after
 *    MF_ROUTING_NODE_PULL_WAIT we pull what we lack), and gossiped ones are
 *    relayed like fragments (key "mf-relay:<origin>:d");
 *  - anti-entropy by digest (routing/digest.h; docs/routing.md): every
 *    MF_ROUTING_NODE_FULL_REFRESH our digest entry (DC, server, seq) is
 *    broadcast as [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_DIGEST][digest],
 *    and push-pull carries the digest of every state we hold. A member that
 *    holds an older state asks for it by a pull ([..][MF_ROUTING_NODE_MSG_DIGEST]
 *    [pull], a direct datagram to a meshfed member): the origin server
 *    answers with a delta since the seq the asker holds (or whole), another
 *    member with the state it stores; answers go as
 *    [..][MF_ROUTING_NODE_MSG_STATE][fragment or delta], direct, never
 *    relayed, at most MF_ROUTING_NODE_PULL_BYTES per pull. One pull per
 *    server's state is in flight: it is asked again only after
 *    MF_ROUTING_NODE_PULL_WAIT or for a newer seq.
 *  - seqno requests (only with feasibility, off in the agent:
 *    MF_ROUTING_NODE_FEASIBILITY_HOLD): the engine's go at the tick as
 *    [MF_SERF_MSG_MESHFED][MF_ROUTING_NODE_MSG_REQUEST][request] by a
 *    direct datagram to one alive meshfed server of the DC they name
 *    (routing/node_request.c); received ones from a DC with an alive
 *    server in that pool go to the engine.
 * Received beats count only for origins with an alive server in the pool
 * they came through (as adverts below) and are never relayed: every server
 * sends its own, which carries what it heard.
 * Received fragments are reassembled and given to the engine, but only for
 * origins with an alive server in the pool they came through (a push-pull
 * carries every advert the peer knows; storing those of DCs beyond it would
 * make us withdraw them, and advertise their death, when we see no server of
 * theirs). Stored adverts are kept encoded so push-pull carries every state
 * we know (a new member learns them all at join). Gossip is epidemic, as
 * memberlist's own: a fragment newer than any seen of its origin, or of its
 * server, is queued again, keyed "mf-relay:<origin>:<node>:<index>", in the
 * pool it came through
 * (the one transmit limit per member then reaches a whole large pool),
 * for adverts of at most MF_ROUTING_NODE_RELAY_FRAGS fragments.
 *
 * Gateways: every server of a DC may advertise its own, and the engine keeps
 * them per (DC, server), the DC's set being the union. A full state that
 * is its server's newest is relayed even when it is not its DC's newest
 * (it is also the base of that server's deltas), so every server's
 * gateways spread through a large pool. A server's gateways are forgotten (mf_routing_forget_gateways_of)
 * when it is failed or left in every pool we share with it, or, when it is
 * in none, after MF_ROUTING_NODE_GW_EXPIRY with no fragment from it or
 * digest entry naming it; while
 * it is alive in a pool they stay (its refreshes need not reach every
 * member of a large pool). Push-pull digests name one state per DC (the
 * newest), so a joining member learns the other servers' gateways from
 * their next change or digest refresh.
 * mf_routing_node_set_gateways replaces this server's own set at run time
 * (the agent: configured plus registered healthy gateways); the next tick
 * advertises it under a new seq.
 *
 * Push-pull: the routing value rides in serf's messagePushPull map under the
 * key "MeshfedDigest" (bin: our digest, routing/digest.h), which serf
 * ignores (go-msgpack skips unknown struct fields). A peer's "MeshfedRoutes"
 * (bin: concatenated full adverts, what agents before digests send) is
 * still merged.
 *
 * A member's DC is its serf tag "dc" (gossip/serf.h tags in its meta),
 * read through a per-pool index (routing/dc_index.h) that is rebuilt only
 * when the pool's membership changed: an idle tick costs O(DCs), and a
 * remote DC's estimate reads only that DC's members.
 *
 * How the agent (cmd/agent/agent_routing.c) drives it:
 *  start:  mf_routing_node_new (initial_seq = wall clock ms), then one
 *          mf_routing_node_add_pool per pool (WAN: no peers; area: its
 *          peers), mf_routing_node_set_pool when the pool is created, NULL
 *          when its transport closes;
 *  timer:  every MF_ROUTING_NODE_TICK_MS, while running,
 *          mf_routing_node_tick(node, uv_hrtime(), NULL);
 *  mux:    routing/pool_mux.h (the pool's delegate shared with the
 *          tracker and serf): on_user_msg of type MF_SERF_MSG_MESHFED ->
 *          mf_routing_node_on_user_msg(slot, ...); local_state ->
 *          n = serf glue's, then mf_routing_node_pp_append(node, buf, n, cap);
 *          merge_remote_state -> serf glue's, then
 *          mf_routing_node_merge_remote_state(slot, ...);
 *  control: mf_routing_node_table / _engine / _stats / _n_stored.
 */
#ifndef MF_ROUTING_NODE_H
#define MF_ROUTING_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "coord/tracker.h"
#include "gossip/pool.h"
#include "routing/advert_delta.h"
#include "routing/engine.h"

#define MF_ROUTING_NODE_MSG_ADVERT 1       /* [MF_SERF_MSG_MESHFED][1][fragment] */
#define MF_ROUTING_NODE_MSG_BEAT 3         /* [MF_SERF_MSG_MESHFED][3][beat, routing/beat.h]; 2 is
					    * coord/tracker.h's announcement */
#define MF_ROUTING_NODE_MSG_REACH 4        /* [MF_SERF_MSG_MESHFED][4][ping or pong,
					    * routing/node_reach.c] */
#define MF_ROUTING_NODE_MSG_DIGEST 5       /* [MF_SERF_MSG_MESHFED][5][digest or pull,
					    * routing/digest.h] */
#define MF_ROUTING_NODE_MSG_STATE 6        /* [MF_SERF_MSG_MESHFED][6][fragment or delta]:
					    * a pull's answer, direct, never relayed */
#define MF_ROUTING_NODE_MSG_REQUEST 8      /* [MF_SERF_MSG_MESHFED][8][seqno request,
					    * routing/node_request.c]; 7 is unused */
#define MF_ROUTING_NODE_ADVERT_BYTES 1000  /* fragment budget inside a gossip packet */
/* Feasibility (routing/engine.h feasibility_hold; docs/routing.md "Seqno
 * requests", "A feasibility distance over a window", "Rounds 41-80",
 * "Feasibility drift and answered requests"): 0, off. At 15 s with epochs
 * on request next hops under noise move 0.94x as often as off in rounds
 * 41-80 at 50 x 2 (seeds 1-8) and 1.05x at 100 x 2, but 1.3 % fewer
 * routes end near the shortest at 50 x 2 (spread_age's), and 100 x 2
 * after convergence is not measured.
 * A build may set it (-DMF_ROUTING_NODE_FEASIBILITY_HOLD=15000000000LL)
 * to measure it. When on: a pair we advertised counts in the feasibility
 * distance for one to two windows (long enough for every neighbour to
 * hold a newer state of ours), distances that moved less than the
 * re-advertise threshold stay as advertised, a route through a DC is
 * advertised at the longer of its servers' distances (one counting
 * MF_ROUTING_NODE_SPREAD_AGE after it was last the newest), seqno
 * requests go at most one per target per gap, a new feasibility epoch of
 * ours at most one per gap, and a state carries a route's epoch no newer
 * than our feasibility distance's but for one a request wants
 * (epochs_on_request: the new epoch goes only along the chain that asked;
 * docs/routing.md "Feasibility drift and answered requests"). */
#ifndef MF_ROUTING_NODE_FEASIBILITY_HOLD
#define MF_ROUTING_NODE_FEASIBILITY_HOLD 0
#endif
#define MF_ROUTING_NODE_FEASIBILITY_WINDOW (15 * MF_SEC)
#define MF_ROUTING_NODE_REQUEST_GAP (15 * MF_SEC)
#define MF_ROUTING_NODE_SPREAD_AGE (300 * MF_SEC) /* a next hop's other server's distance */
#define MF_ROUTING_NODE_TICK_MS 250        /* recompute period */
/* The beat: our epoch rises this often, and our beat message goes out:
 * 30 s by default (config beat_interval sets another period; 15 s before
 * route34). Every rise of every DC is relayed to every member (~3 copies
 * each, "Thinner beats"), so the relays, most of the beat bytes, grow as
 * DCs / period: 30 s instead of 15 saves a third of the beats, MAX_AGE
 * staying 120 s. At 30 s a live DC whose relays a member and its mate
 * missed three times went stale there (route32); asks (ASK_AGE below)
 * close that (docs/routing.md, "Beats at half the bytes", "Beats every 30
 * s made safe"). */
#define MF_ROUTING_NODE_REFRESH (30 * MF_SEC)
/* Our state (as a delta, or whole) is sent on a real change (a target, a
 * path, a gateway, a tombstone, a distance past the re-advertise
 * threshold); our digest entry, as anti-entropy beside push-pull, at least
 * this often (docs/routing.md, "Anti-entropy by digest"). */
#define MF_ROUTING_NODE_FULL_REFRESH (10 * 60 * MF_SEC)
/* A distance that moved less than the hysteresis margin (it cannot make a
 * neighbour switch at once) is re-advertised at most this long after our
 * last new state (routing/engine.h readvertise_interval): under noise,
 * such moves were most new states. */
#define MF_ROUTING_NODE_READVERTISE MF_ROUTING_NODE_FULL_REFRESH
/* Our beat message goes to every alive server of our DC (they share the
 * DC's epoch) and to this many other alive members drawn at random over
 * all our pools, by a direct datagram each, each recipient once however
 * many pools we share with it: every member then receives about this many
 * beats of its neighbours per beat period, whatever the pool's size or
 * the number of its pools (docs/routing.md, "Beats apart from full
 * state", "Thinner beats"). */
#define MF_ROUTING_NODE_BEAT_FANOUT 2
/* Servers of our own DC that get each beat when the DC has more than this
 * many besides us (at random; all of them otherwise): a DC with hundreds
 * of servers in one pool would otherwise cost each O(servers) datagrams a
 * beat period. */
#define MF_ROUTING_NODE_BEAT_DC_FANOUT 4
/* Hurried beats (docs/routing.md, "Hurried beats"): when our dating of a
 * DC's epoch moves back by HURRY_MIN or more (a beat dated it earlier than
 * the full state we first heard it in), we pass the moved entries on at
 * once, to the recipients of a beat, at most once per HURRY_GAP; and a
 * beat that dates an epoch HURRY_MIN or more later than we do gets our
 * entries straight back. An earlier dating then crosses a region at the
 * pace of datagrams, not one neighbour per beat period, and every DC
 * drops a cut-off DC about MAX_AGE after its last rise however wide the
 * federation. */
#define MF_ROUTING_NODE_HURRY_MIN MF_SEC
/* Thinner beats (docs/routing.md, "Thinner beats"): rises of other DCs'
 * epochs are relayed by hurried beats as they are heard, so our beat lists
 * every DC we know only every max(1, 60 s / beat_interval)-th time (once a
 * minute: the anti-entropy for a rise a member missed) and else our own
 * entry and the rises heard. */
/* Rises alone are relayed at most this often (datings moved back at the
 * HURRY_GAP): in batches, since a hurried beat's header (~50 bytes to each
 * recipient) outweighed the one or two entries a second of a small pool. */
#define MF_ROUTING_NODE_RELAY_GAP (5 * MF_SEC)
#define MF_ROUTING_NODE_HURRY_GAP MF_SEC
/* A DC whose epoch has not risen for MAX_AGE is reachable only over a
 * direct link: a DC cut off without deaths is withdrawn everywhere at most
 * MAX_AGE after the cut (its last rise, up to REFRESH before the cut, plus
 * MAX_AGE), plus a beat period for a late dating to be corrected. 120 s:
 * eight beats of 15 s (a beat reaches a member through others' beat
 * messages, gossip-style, so its rises arrive irregularly; at four beats
 * of 15 s wonder_16 flapped routes to DCs that went stale for a moment),
 * and 120 s whatever the beat_interval, so the withdrawal is as
 * fast in seconds. A late-tick allowance for datings from the last rise:
 * MF_ROUTING_NODE_RISE_LATE (routing/engine.h rise_late). */
#define MF_ROUTING_NODE_RISE_LATE ((15 * MF_SEC) / 32)
#define MF_ROUTING_NODE_MAX_AGE (120 * MF_SEC)
/* Asks (routing/engine.h ask_age; docs/routing.md, "Beats every 30 s made
 * safe"): a DC whose held epoch is ASK_AGE old (two 30 s periods, four of
 * 15 s; a relayed rise normally arrives within a period and a few
 * seconds) is listed in our hurried beat every ASK_GAP until a newer
 * epoch comes or MAX_AGE drops it, and any member holding a newer one
 * answers: a live DC no longer goes stale because a member and its mate
 * missed three relays. At least two periods with a longer beat_interval. */
#define MF_ROUTING_NODE_ASK_AGE (MF_ROUTING_NODE_MAX_AGE / 2)
#define MF_ROUTING_NODE_ASK_GAP (10 * MF_SEC)
/* A route hysteresis keeps gives way to one its measurements have shown
 * shorter by the settle margin for this long (routing/engine.h): longer
 * than a noisy measured RTT stands in a small pool (one probe of each
 * member per round-robin pass): with 30-60 s, +-10 % noise on RTT samples
 * moved routes 2-4x as often as the margin alone (docs/routing.md,
 * "Settling"). */
#define MF_ROUTING_NODE_SETTLE (300 * MF_SEC)
/* Next-hop hold (routing/engine.h nh_hold): off. Measured with 30 s and
 * moves past 30 % let through (docs/routing.md, "Holding a next hop"):
 * 60 % fewer next-hop moves over an 800 s run under noise and 45 % fewer
 * transient loops, nearly all in the cold start, but 2-10 % more moves
 * once routes have settled, which issue 13 point 3 does not allow; kept
 * for experiments (`meshfed-sim -nh-hold S`). */
#define MF_ROUTING_NODE_NH_HOLD 0
#define MF_ROUTING_NODE_NH_HOLD_PCT 30.0
/* A server seen in no pool keeps its gateways this long after its last
 * fragment or digest entry naming it (its digest entry goes out every
 * MF_ROUTING_NODE_FULL_REFRESH, and every push-pull names the states its
 * peer holds; beats come only from pool members), so one or two lost ones
 * do not flap them. */
#define MF_ROUTING_NODE_GW_EXPIRY (3 * MF_ROUTING_NODE_FULL_REFRESH)
/* A server whose last this many probes by us got no direct answer (alive
 * only through indirect probes: our path to it is cut) does not make its
 * DC's link usable; one lost packet does not flap the link. */
#define MF_ROUTING_NODE_DIRECT_MISSES 2
/* Reach probes (routing/node_reach.c): every this often we ping one server
 * of each DC we link to, and a DC that ever answered is directly reached
 * only while its last pong is at most 3 periods and 1 s old: a cut link
 * goes unusable within ~16 s whatever the pool's probes see. At most RATE
 * pings a second: past RATE x INTERVAL linked DCs (100), the period grows. */
#define MF_ROUTING_NODE_REACH_INTERVAL (5 * MF_SEC)
#define MF_ROUTING_NODE_REACH_RATE 20
#define MF_ROUTING_NODE_PP_KEY "MeshfedRoutes"
#define MF_ROUTING_NODE_MAX_POOLS 32
#define MF_ROUTING_NODE_DC_MAX 63          /* bytes of a member's dc tag */
#define MF_ROUTING_NODE_TAGS_MAX 66        /* tags decoded per member: the agent's
					    * dc, role and 64 user tags */
#define MF_ROUTING_NODE_ASM_PENDING 64     /* partial adverts held */
/* Adverts of at most this many fragments are relayed (epidemic). A larger
 * one is full state of many DCs (8 fragments, 9.6 KB at 500 DCs): every
 * member relaying it, transmit limit times, would cost each agent ~100 KB
 * per change of any DC; those rely on their origins' transmissions,
 * push-pull and the refresh. A change of such a state usually goes as a
 * delta of one fragment, which is relayed. */
#define MF_ROUTING_NODE_RELAY_FRAGS 1
/* Transmits of a relayed delta (the pool's retransmit limit for the rest,
 * 8 in a pool of 80): all members relay it, so the pool receives each
 * about this many times per member instead of 8; a member missed (about
 * e^-3, 5 %) has the next cumulative delta or the refresh. */
#define MF_ROUTING_NODE_DELTA_RELAY_TRANSMITS 3
/* Deltas direct (docs/routing.md, "Deltas direct, and the DC agreement
 * deadlock"): our delta goes by one datagram to each alive meshfed member
 * of our pools, framed as a pull's answer (never relayed), while they are
 * at most DIRECT_MAX (else it is gossiped as above: the gossip gave each
 * member about three copies); at most one such delta per DELTA_GAP, the
 * states made meanwhile going with the next against what receivers hold
 * (the gossip queue coalesced a server's quick successive states; sent
 * each at once they made a storm in the cold start at 100 x 2). */
#define MF_ROUTING_NODE_DELTA_DIRECT_MAX 128
#define MF_ROUTING_NODE_DELTA_GAP (2 * MF_SEC)
/* Anti-entropy by digest (docs/routing.md): a pull is answered with at most
 * this many bytes (the rest at the next digest); a delta that found us
 * behind waits this long for its base before we pull what we lack; our
 * held view remembers at most this many withdrawn targets (past it, a pull
 * from before gets the whole state). */
#define MF_ROUTING_NODE_PULL_BYTES (64 * 1024)
#define MF_ROUTING_NODE_PULL_WAIT (4 * MF_SEC)
#define MF_ROUTING_NODE_GONE_MAX 4096
#define MF_ROUTING_NODE_PP_DIGEST_KEY "MeshfedDigest"

struct mf_routing_node_target {
	const char *dc;
	enum mf_route_mode mode;
};

/* Optional notices (the agent logs them). */
struct mf_routing_node_hooks {
	void *ctx;
	/* No alive server of dc is left in any pool: its routes are withdrawn. */
	void (*withdrawn)(void *ctx, const char *dc);
	/* Our advertisement could not be encoded (err < 0). */
	void (*advert_error)(void *ctx, int err);
};

struct mf_routing_node_config {
	const char *datacenter;        /* this server's DC (copied) */
	const char *node;              /* this server's node name (copied) */
	enum mf_route_mode default_mode;
	const struct mf_routing_node_target *targets; /* per-DC mode overrides */
	size_t n_targets;
	bool transit;
	double hysteresis_pct;         /* < 0: the engine's default */
	double hysteresis_ms;          /* < 0: the engine's default */
	double settle_pct, settle_ms;  /* < 0: the engine's defaults */
	int64_t settle_time;           /* ns; < 0: MF_ROUTING_NODE_SETTLE, 0: never */
	int64_t nh_hold;               /* ns; < 0: MF_ROUTING_NODE_NH_HOLD (off), 0: off */
	uint64_t initial_seq;          /* the agent: its start time in ms */
	uint64_t epoch;                /* 0: the engine's default */
	/* How a link's distance is estimated: MF_COORD_TRACKER_ROUTE (the
	 * default: our own RTT to the remote DC's servers where we measured
	 * it, the lower median of the last coord route_filter_size samples,
	 * coordinates elsewhere), MF_COORD_TRACKER_BEST (the same over the
	 * coordinate's three-sample filter: a +-10 % noise then moves links
	 * past the re-advertise threshold several times an hour,
	 * docs/routing.md "A steadier link estimate") or
	 * MF_COORD_TRACKER_COORDS (coordinates only, as Consul). Measured
	 * RTTs win because a slow direct link between two DCs that are both
	 * close to a third breaks the triangle inequality, and no coordinate
	 * embedding can show it: with coordinates only, slow_link_4's 200 ms
	 * dc3-dc4 link looks like 31 ms and multi-hop never goes around it
	 * (docs/simulator.md). */
	enum mf_coord_tracker_kind link_estimate;
	const struct mf_gateway *gateways; /* this server's gateways (copied) */
	size_t n_gateways;
	/* A DC without gateways is no next hop and no transit (engine.h). */
	bool require_gateways;
	int max_alternates;            /* < 0: the engine's default */
	/* Deltas that reach back (docs/routing.md): a delta that replaces our
	 * own still queued after at most this many transmits in some pool says
	 * everything since that one's base. < 0 (the default): never; measured
	 * to double the advert bytes at 40-100 DCs unbounded, and +25 % at 2
	 * (40 x 2), for a quarter of the pulls; the simulator's -reach-back K. */
	int reach_back;
	/* Count our deltas by what they changed (stats.delta_split): a pass
	 * over each delta and its base, for the simulator's report (meshfed-sim
	 * -routes sets it); false (the default) in the agent. */
	bool split_deltas;
	/* Feasibility's hold (routing/engine.h feasibility_hold), ns: < 0 (the
	 * default) MF_ROUTING_NODE_FEASIBILITY_HOLD; 0 off. For experiments
	 * (meshfed-sim -feasibility S). */
	int64_t feasibility_hold;
	/* With feasibility on: a path change below an unchanged next hop waits
	 * like a distance move, at most this long (ns; routing/engine.h
	 * path_wait; docs/routing.md "Paths that wait"). 0 (the default): it
	 * goes at once, as any path change (meshfed-sim -path-wait S). */
	int64_t path_wait;
	/* With feasibility on: the route in use turned infeasible is kept this
	 * long while a seqno request for it goes (ns; routing/engine.h
	 * loss_hold). 0 (the default): lost at once (meshfed-sim -loss-hold S). */
	int64_t loss_hold;
	/* Every distance move past the re-advertise threshold rides on our
	 * next delta, as before route29. false (the default): one that no DC
	 * we link to could act on stays as receivers hold it
	 * (mf_routing_distance_news; docs/routing.md, "Riders and a shorter
	 * header"). */
	bool riders_all;
	/* Our deltas are gossiped (every member relays them), as before
	 * route31. false (the default): sent direct to each member of our
	 * pools, paced (MF_ROUTING_NODE_DELTA_DIRECT_MAX, _GAP; meshfed-sim
	 * -deltas-direct off). */
	bool deltas_gossiped;
	/* Our beat period (ns): our DC's epoch rises, and our beat goes out,
	 * this often; a listing of every DC goes once a minute (every
	 * max(1, 60 s / period)-th beat). <= 0 (the default):
	 * MF_ROUTING_NODE_REFRESH, 30 s. max_age stays
	 * MF_ROUTING_NODE_MAX_AGE whatever the period (meshfed-sim -beat S;
	 * docs/routing.md, "Beats every 30 s made safe"). */
	int64_t beat_interval;
	/* No asks for epochs near max_age (MF_ROUTING_NODE_ASK_AGE), as
	 * before route34: for comparison (meshfed-sim -asks off). */
	bool no_asks;
	struct mf_routing_node_hooks hooks;
	/* Where other DCs' encoded states are kept (routing/blobs.h): NULL,
	 * the agent, a store of the node's own; the simulator passes one
	 * store to all its nodes, which must outlive them. */
	struct mf_blobs *blobs;
	/* Name ids shared with the pools (gossip/name_ids.h: the agent's
	 * interner's), which must outlive the node; NULL: the node's own. Its
	 * records per server heard hold names there, so a member's name costs
	 * them no copy (issue 12). */
	struct mf_name_ids *names;
};

/* Multi-hop, transit on, engine hysteresis and alternates, no targets or
 * gateways, gateways not required. */
void mf_routing_node_config_default(struct mf_routing_node_config *c);

struct mf_routing_node_stats {
	uint64_t fragments_in, bad_fragments, adverts_stored, adverts_stale;
	uint64_t full_states_in, bad_full_states;
	uint64_t adverts_foreign; /* origin has no alive server in that pool */
	uint64_t broadcasts, withdrawals, recomputes;
	uint64_t relayed;         /* fragments of others queued for re-gossip */
	/* Advert bytes: in, fragments and push-pull full states received; out,
	 * fragments handed to the pools' broadcast queues (each then sent up
	 * to the retransmit limit) and appended to our push-pulls. */
	uint64_t bytes_in, bytes_out;
	uint64_t gateways_expired; /* servers whose gateways were forgotten */
	/* Beat messages (routing/beat.h): received, refused, and epochs they
	 * raised; their bytes count in bytes_in and bytes_out. */
	uint64_t beats_in, bad_beats, beat_epochs;
	/* Hurried beat messages sent (earlier datings passed on at once,
	 * MF_ROUTING_NODE_HURRY_GAP apart at most). */
	uint64_t beats_hurried;
	uint64_t beats_answered; /* answers to beats that held a dating late */
	/* Our beats that listed every DC we know (once a minute), sent or not (a node without recipients counts them too). */
	uint64_t beat_listings;
	/* Reach probes (pings and pongs): received, refused, sent; their bytes
	 * count in bytes_in and bytes_out. */
	uint64_t reach_in, bad_reach, reach_out;
	/* Refused before use and before relay (mf_routing_check_advert): */
	uint64_t adverts_too_many_dcs; /* naming more than max_datacenters */
	uint64_t adverts_seq_jump;     /* seq too far past what we hold */
	uint64_t adverts_bad_path;     /* a path that loops, a bad index, ... */
	uint64_t adverts_own_dc_foreign; /* our DC, sent by a member of another DC */
	/* Deltas (docs/routing.md, "Deltas"): ours sent; others' received, and
	 * of those, before or without the base they patch (the newest waits for
	 * it; else the next full state will do). */
	uint64_t deltas_out, deltas_in, deltas_unbased;
	uint64_t deltas_late;  /* applied when their base came after them */
	uint64_t deltas_stale; /* applied on a state past their base (they reached back) */
	uint64_t deltas_back;  /* ours sent reaching back over one still queued */
	uint64_t deltas_direct; /* ours sent direct to each member (config deltas_gossiped) */
	uint64_t deltas_paced;  /* states of ours held back by the gap, gone with the next */
	uint64_t riders_held;  /* distance moves left out of ours (config riders_all) */
	/* Ours sent, by what each route of them changed (routing/advert_delta.h;
	 * a delta that reached back counted as the one-step delta it replaced);
	 * only with config split_deltas. */
	struct mf_advert_split delta_split;
	/* Our own failures in the exchange (out of memory, a delta that does
	 * not patch its base): a fragment not checked, a base not kept, a
	 * delta not applied, an advert not kept for push-pull, a beat not
	 * sent. None leaves the node inconsistent: the sender's next full
	 * state, the server's next advert or our next beat stands in. */
	uint64_t local_errors;
	/* Anti-entropy by digest: digests read (push-pull and refresh) and
	 * refused; pull entries we sent and answered; pulls sent because a
	 * delta found us behind. */
	uint64_t digests_in, bad_digests, pulls_out, pulls_in, pulls_behind;
	/* Seqno requests (docs/routing.md, "Seqno requests"): sent (ours and
	 * passed on), received from another DC, refused. */
	uint64_t requests_out, requests_in, bad_requests;
};

struct mf_routing_node;
/* One pool of the node; the ctx of the delegate-compatible functions. */
struct mf_routing_node_slot;

/* On error returns it with a message in err (names the target or gateway
 * that failed, as the agent reports them). */
int mf_routing_node_new(const struct mf_routing_node_config *c, struct mf_routing_node **out,
			char *err, size_t errcap);
void mf_routing_node_free(struct mf_routing_node *n);

/* Adds a pool (may be NULL until it exists) with its tracker; peers: the
 * area's DC names (copied; n_peers 0 = every DC seen, the WAN pool).
 * MF_ETOOBIG beyond MF_ROUTING_NODE_MAX_POOLS. The slot lives as long as
 * the node. */
int mf_routing_node_add_pool(struct mf_routing_node *n, mf_pool_t *pool,
			     const struct mf_coord_tracker *tracker, const char *const *peers,
			     size_t n_peers, struct mf_routing_node_slot **out);
/* The slot's pool was (re)created or is gone (NULL: not read, not sent to). */
void mf_routing_node_set_pool(struct mf_routing_node_slot *s, mf_pool_t *pool,
			      const struct mf_coord_tracker *tracker);

/* Links, expiry, recompute and, when due, the broadcast. *changed (may be
 * NULL): a route changed. Returns 0 or the engine's error. */
int mf_routing_node_tick(struct mf_routing_node *n, mf_time_t now, bool *changed);

/* Replaces this server's advertised gateways (copied; the caller builds the
 * whole set, e.g. configured plus registered healthy ones). Takes effect at
 * the next tick, which advertises it under a new seq. Returns 1 when the
 * set changed, 0 when it is the same, MF_EINVAL for an invalid set
 * (mf_routing_set_gateways): then the previous set stays. */
int mf_routing_node_set_gateways(struct mf_routing_node *n, const struct mf_gateway *g, size_t n_g);

/* Reload: the default mode, the per-DC overrides (the whole new set;
 * overrides not named go back to the default) and transit; recomputed at
 * the next tick. On error returns it with a message in err naming the
 * target; the default and transit are applied by then. */
int mf_routing_node_set_policy(struct mf_routing_node *n, enum mf_route_mode default_mode,
			       const struct mf_routing_node_target *targets, size_t n_targets,
			       bool transit, char *err, size_t errcap);

/* --- pool delegate side (ctx = the slot the pool belongs to) -------------- */

/* struct mf_pool_delegate's on_user_msg: takes messages of type
 * MF_SERF_MSG_MESHFED, ignores every other. */
void mf_routing_node_on_user_msg(void *slot, const uint8_t *msg, size_t len);
/* Appends "MeshfedRoutes" to the serf push-pull of n bytes already in buf
 * ([MF_SERF_MSG_PUSH_PULL][map]) and returns the new length; n unchanged
 * when it does not fit or buf holds no such map. */
size_t mf_routing_node_pp_append(struct mf_routing_node *node, uint8_t *buf, size_t n,
				 size_t cap);
/* struct mf_pool_delegate's local_state for a pool without serf glue (the
 * simulator): an empty serf push-pull map plus "MeshfedRoutes". */
size_t mf_routing_node_local_state(void *slot, bool join, uint8_t *buf, size_t cap);
/* struct mf_pool_delegate's merge_remote_state: the "MeshfedRoutes" value
 * of a peer's serf push-pull, if any. */
void mf_routing_node_merge_remote_state(void *slot, const uint8_t *buf, size_t len, bool join);

/* --- reading ---------------------------------------------------------------*/

/* Snapshot of the table (free with mf_table_free). */
int mf_routing_node_table(const struct mf_routing_node *n, struct mf_table *out);
const struct mf_routing *mf_routing_node_engine(const struct mf_routing_node *n);
const struct mf_routing_node_stats *mf_routing_node_stats(const struct mf_routing_node *n);
/* Adverts of other DCs stored (adverts_known). */
size_t mf_routing_node_n_stored(const struct mf_routing_node *n);

#endif

/*
 * routing/engine.h — path-vector routing between datacenters, for one DC.
 *
 * Contract: a pure state machine. It owns the routing state of the local DC:
 * its configuration, the direct links the agent measured, the
 * advertisements received from neighbour DCs, the current next-hop table
 * and the advertisement this DC sends. It never reads the clock, never
 * touches a socket and never decides when to run: the agent feeds inputs,
 * calls mf_routing_recompute(), then reads the table and the advertisement.
 * Design notes (modes, transit, hysteresis, expiry, gateways, alternates):
 * docs/routing.md.
 *
 * Route computation, per target DC t (self excluded):
 *   candidates: the direct link to t when usable, and for every neighbour n
 *   (usable direct link, a stored advertisement with transit on, and
 *   gateways when require_gateways)
 *   dist(self, n) + n's advertised distance to t, over n's advertised path.
 *   A path that contains this DC is dropped (so no route ever loops, and a
 *   withdrawn route cannot count to infinity). Shortest wins; equal
 *   distances go to the next hop whose name sorts first.
 *   multi-hop: that candidate, subject to hysteresis (below).
 *   single-hop: the direct link whenever one is configured (a shared pool),
 *   even slow or down (status direct, down = true, distance infinite); only
 *   with no configured link, the best candidate as in multi-hop.
 * Hysteresis: a route in use (same next hop) is kept while it exists unless
 *   the best one is shorter by more than hysteresis_pct percent of it AND by
 *   more than hysteresis_ms, or (with a clock and settle_time) has been
 *   shorter by more than settle_pct AND settle_ms at every recompute for
 *   settle_time: a margin that stops noise from moving routes must not keep
 *   one that measurements have shown to be worse. Both hysteresis values 0
 *   disable hysteresis: the best candidate
 *   always wins and, with no ties broken by history, converged tables equal
 *   the next hops of Dijkstra on the same distances (tests rely on this).
 * Transit: a DC with transit off advertises only itself; a received
 *   advertisement with transit off contributes only its origin, so no route
 *   ever passes through such a DC.
 * Expiry: when the agent sees no alive server of a DC it calls
 *   mf_routing_withdraw_origin(); the engine then holds a tombstone for the
 *   incarnation (epoch) that DC last advertised and passes it on in its own
 *   advertisement, so every DC drops routes to that incarnation within
 *   about a network diameter of rounds instead of hunting through stale
 *   paths. A live DC that hears a tombstone about itself moves to a newer
 *   epoch and re-advertises (like a SWIM refutation).
 * Freshness (optional, config beat_interval/max_age): every DC's servers
 *   raise its epoch every beat_interval of the caller's clock; a route
 *   through others is a candidate only while the highest epoch heard for
 *   its target rose within max_age. A part of the federation cut off
 *   without deaths thus stops being reachable everywhere about max_age
 *   plus a diameter after the cut, instead of after path hunting. With
 *   beat ages (config beat_age_unit) a rise counts from when the origin
 *   made it, as the beat's age says, not from when it reached us: every
 *   DC then drops the cut-off part about max_age after its last rise,
 *   however far it sits from the cut. A DC that first heard an epoch in
 *   a full state (no ages) dates it late; with hurry_min, any beat dates
 *   any DC we know, datings moved back are listed for a hurried beat and
 *   a beat dating an epoch late is answered (mf_routing_hurried_beats,
 *   mf_routing_beat_answers), so the earliest dating reaches it within a
 *   beat period.
 * Feasibility (optional, config feasibility_hold, with a clock): Babel's
 *   condition on the epochs routes carry. Per target we keep the best
 *   (epoch, distance) our states advertised (with feasibility_window,
 *   those of the last one or two windows and of the DC's newest states;
 *   with sticky_distances, a distance that moved less than the
 *   re-advertise threshold is advertised as before; with spread_age, a
 *   route through a DC at the longer of its servers' distances); a
 *   neighbour's route is a
 *   candidate only when its (epoch, distance), as its state carried them,
 *   is newer or as new and shorter. No next-hop walk can then come back
 *   to a DC, at any instant. A target left without a feasible route is
 *   withdrawn, and feasibility_hold after our state said so its distance
 *   is forgotten. Our states then carry each route's epoch as it was when
 *   the state was made, not the newest heard (beats carry those); with
 *   beats apart our own route carries our DC's feasibility epoch, which
 *   moves only on a seqno request. The distance is the DC's: a state of
 *   another server of ours counts as ours. With path_wait, a path change
 *   below an unchanged next hop waits as a distance move does.
 * Seqno requests (optional, config request_gap, with feasibility): a
 *   target whose shortest candidate is infeasible and shorter by the
 *   hysteresis margin, or left without a feasible one, is asked for a
 *   newer epoch through the neighbour that advertised it
 *   (mf_routing_requests); DCs on the way pass it on along their next
 *   hops and advertise the newer epoch when it reaches them
 *   (mf_routing_take_request); the target takes a new feasibility epoch.
 *   With loss_hold, a route in use whose next hop's route turned
 *   infeasible is kept a while (at most a window), at the distance it
 *   had, and asked for at once.
 * Advertisement: the table's own routes (local/direct/via, not down); with
 *   transit off only the local entry. Its seq grows only when a target or a
 *   path changes, our gateways change, or a distance moves by more than
 *   readvertise_pct percent AND readvertise_ms, so coordinate noise does not
 *   flood the pools.
 * Gateways: every server of a DC may advertise its own; the engine keeps,
 *   per DC (neighbours, and our own from its other servers' adverts), the
 *   gateways of each sending server (the advert's node) from that server's
 *   newest advert, even one that is stale for routes, and the DC's set is
 *   their union (one per gateway name, the newest server's, sorted by
 *   name). A server's entry goes when the caller says it is gone
 *   (mf_routing_forget_gateways_of) or the DC is withdrawn.
 *   A route's endpoints, and each alternate's, are its next hop's set.
 * require_gateways: a neighbour DC whose set is empty is no next hop and no
 *   transit, and a route to it (when it is a neighbour, so its set is known)
 *   is MF_ROUTE_NO_GATEWAY. Only neighbours' sets are known, so the rule
 *   holds federation-wide when every DC sets it: routes through a
 *   gateway-less DC then die at its neighbours. Our own DC is exempt.
 * Alternates (loop-free alternates of IP fast reroute, RFC 5286): for a
 *   route with a next hop (direct or via, not down, not a single-hop
 *   direct link), every other neighbour n (usable link, stored advert with
 *   transit on, a route to t whose path avoids us, gateways when required)
 *   with dist(n,t) < dist(n,self) + dist(self,t), where dist(n,t) is n's
 *   advertised distance, dist(n,self) n's advertised distance to us (our
 *   link distance to n when it advertises none) and dist(self,t) our
 *   route's. Traffic handed to such an n never comes back through us,
 *   whatever the other DCs currently choose. The target itself, as a usable
 *   direct neighbour, is always one. Best first (link + advertised
 *   distance, ties by name), at most max_alternates; they are part of the
 *   route, so the version grows when they change.
 */
#ifndef MF_ROUTING_ENGINE_H
#define MF_ROUTING_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/advert.h"
#include "routing/beat.h"
#include "routing/table.h"

struct mf_routing_config {
	const char *datacenter;        /* this DC (copied) */
	const char *node;              /* this agent's node name, sent in adverts */
	enum mf_route_mode default_mode;
	bool transit;                  /* false: never relay between other DCs */
	double hysteresis_pct;         /* default 10 */
	double hysteresis_ms;          /* default 5 */
	double readvertise_pct;        /* default 5 (docs/bench.md) */
	double readvertise_ms;         /* default 2 */
	/* A kept route gives way to a candidate shorter by settle_pct AND
	 * settle_ms (defaults 2 and 1) at every recompute for settle_time
	 * (units of mf_routing_set_now; 0, the default: never). */
	double settle_pct, settle_ms;
	uint64_t settle_time;
	/* A target's next hop, once moved, is kept for nh_hold (units of
	 * mf_routing_set_now; 0, the default: off) while the route through it
	 * is still a candidate and the best is not shorter by more than
	 * nh_hold_pct (0: hold any): damping, as BGP's MRAI bounds
	 * re-announcement. A route that stops being a candidate goes at once,
	 * a first route starts no hold, and following the DC's shared choice
	 * is never held (docs/routing.md, "Holding a next hop"). */
	uint64_t nh_hold;
	double nh_hold_pct;
	/* First advertisement seq is initial_seq + 1. The agent seeds it with
	 * its start time in ms so a restarted server outranks its former self. */
	uint64_t initial_seq;
	/* This DC's incarnation (default 1); routes to it carry it, and a
	 * tombstone names the incarnations that died. The agent seeds it with
	 * its start time in seconds; a tombstone about a live DC makes it move
	 * to a newer one (refutation). */
	uint64_t epoch;
	/* A DC whose gateway set is empty is no next hop and no transit, and
	 * routes to it are MF_ROUTE_NO_GATEWAY (default false). */
	bool require_gateways;
	/* Alternates kept per route, best first (default
	 * MF_ROUTING_ALTERNATES_DEFAULT; 0: none; at most
	 * MF_ROUTING_ALTERNATES_MAX). */
	unsigned max_alternates;
	/* DCs the engine holds (names it knows, ours and configured ones
	 * included) and one advertisement may name (default
	 * MF_ROUTING_MAX_DATACENTERS): an advertisement naming more, or whose
	 * new names would pass it, is refused with MF_ETOOBIG. */
	size_t max_datacenters;
	/* Freshness (docs/routing.md, "Bounded withdrawal"), in the units of
	 * mf_routing_set_now() (the node: ns); all 0 (the default) disables it.
	 * beat_interval: our epoch grows by one this often (our servers' beat,
	 * advertised at once). max_age: a route through others is a candidate
	 * only while the highest epoch heard for its target rose within it.
	 * epoch_interval: other DCs' epoch changes alone make a new
	 * advertisement at most this often (0: at once). */
	uint64_t beat_interval;
	uint64_t max_age;
	uint64_t epoch_interval;
	/* Beats apart from full state (docs/routing.md, "Beats apart from full
	 * state"): epoch changes, ours and other DCs', never make a new
	 * advertisement by themselves; the caller sends mf_routing_beats() in
	 * a small message of its own and hands received ones to
	 * mf_routing_take_beats(). epoch_interval is then unused. */
	bool beats_apart;
	/* Beat ages (docs/routing.md, "Origin ages"): units of
	 * mf_routing_set_now per unit of a beat entry's age (the node: 100 ms
	 * in ns). Our beats then say how long ago each epoch was raised by its
	 * origin, and a received age dates the rise back by as much; of two
	 * datings of one epoch the earlier counts. 0 (the default): beats carry
	 * age 0 and a rise counts from when it reached us. */
	uint64_t beat_age_unit;
	/* Hurried beats (docs/routing.md, "Hurried beats"): a target whose
	 * dating moves back by at least this much (units of
	 * mf_routing_set_now) is listed by mf_routing_hurried_beats(), so the
	 * caller can pass the earlier dating on at once instead of at its next
	 * beat. 0 (the default): none is listed. */
	uint64_t hurry_min;
	/* A rise heard without age is dated at most one beat_interval plus
	 * this (a late tick) after the rise before it (units of
	 * mf_routing_set_now); 0 (the default): beat_interval / 32. The node
	 * sets 15 s / 32 whatever its interval: 1/32 of 30 s, 0.94 s, plus a
	 * datagram's transit passed hurry_min (1 s), and each such dating was
	 * answered (docs/routing.md, "Beats at half the bytes"). */
	uint64_t rise_late;
	/* With hurry_min: a rise of another DC's epoch (a newer epoch heard,
	 * not a first contact) is listed by mf_routing_hurried_beats() too, so
	 * the caller relays rises within a hurried-beat gap rather than at its
	 * next beat, and can send other DCs' entries in whole beats less often
	 * (docs/routing.md, "Thinner beats"). Default false. */
	bool relay_rises;
	/* Asks (docs/routing.md, "Beats every 30 s made safe"), with
	 * hurry_min and beat ages: a DC whose held epoch was raised ask_age or
	 * more ago, and is not stale yet, is listed by
	 * mf_routing_hurried_beats() (at most every ask_gap), and a beat entry
	 * that old of an epoch older than ours is answered by
	 * mf_routing_beat_answers() with ours. A member that missed a DC's
	 * relayed rises thus gets the newest epoch its neighbours hold before
	 * max_age drops a live DC; a cut-off DC's newest epoch is one its
	 * servers raised before the cut, so nothing lives longer. 0 (the
	 * default): no asks. */
	uint64_t ask_age, ask_gap;
	/* A distance that moved past the re-advertise threshold but not past
	 * the hysteresis margin (so it cannot make a neighbour switch at
	 * once) makes a new advertisement at most this long after the last
	 * one (units of mf_routing_set_now; 0, the default: at once). Larger
	 * moves, and every change of a target, path, gateway, tombstone or
	 * transit, go at once. */
	uint64_t readvertise_interval;
	/* Quiet riders (docs/routing.md, "Riders and a shorter header"): a
	 * distance move on an unchanged path that no DC we link to could act
	 * on (mf_routing_distance_news without its margin clause) makes a new
	 * advertisement only readvertise_interval after the last, even past
	 * the hysteresis margin, and the caller leaves such moves under the
	 * margin out of the deltas it sends. Default false: every move past
	 * the margin goes at once, as before. */
	bool quiet_riders;
	/* Feasibility (docs/routing.md, "Transient loops"), Babel's condition
	 * (RFC 8966, 3.5.1) on the epochs every advertised route carries: a
	 * neighbour's route to t is a candidate only when its (epoch, distance)
	 * as its state carried it is newer, or as new and shorter, than the
	 * least we have advertised for t (the feasibility distance); a target
	 * whose routes are all infeasible is withdrawn, and once our state has
	 * said so for feasibility_hold (units of mf_routing_set_now; long enough
	 * for every neighbour to hold that state) its feasibility distance is
	 * forgotten. Our states then carry each route's epoch as it was when
	 * the state was made. Only while the clock runs; 0 (the default): off. */
	uint64_t feasibility_hold;
	/* With feasibility: a pair our DC advertised counts in the
	 * feasibility distance for between feasibility_window and twice it
	 * after it was advertised (units of mf_routing_set_now), the DC's
	 * newest states' pairs always: long enough for every neighbour to
	 * hold a newer state, as feasibility_hold (docs/routing.md, "A
	 * feasibility distance over a window"). Under noise the least
	 * distance ever advertised at an epoch would make a route in use
	 * infeasible. 0 (the default): every pair of the epoch counts. */
	uint64_t feasibility_window;
	/* With feasibility: a new state carries a route's distance as our
	 * last state did while it moved less than the re-advertise threshold
	 * (docs/routing.md, "A feasibility distance over a window"), so a
	 * state made for one target does not fold every other route's newest
	 * noisy sample into the feasibility distance. Default false. */
	bool sticky_distances;
	/* With feasibility: a route through a DC is advertised at the longer
	 * of the distances its servers' states carried, a server's counting
	 * for spread_age after a state of another became the DC's newest
	 * (units of mf_routing_set_now; docs/routing.md, "Rounds 41-80"), so
	 * a neighbour's servers measuring one route differently do not make
	 * it infeasible by turns. 0 (the default): the newest state's. */
	uint64_t spread_age;
	/* Seqno requests (docs/routing.md, "Seqno requests"; RFC 8966, 3.8),
	 * with feasibility: a target whose shortest candidate is infeasible
	 * and shorter than the route chosen by the settle margin (or the only
	 * one) is asked for an epoch newer than our feasibility distance's,
	 * through the neighbour that advertised it (mf_routing_requests), at
	 * most once per request_gap per target (units of mf_routing_set_now);
	 * 0 (the default): never. Requests received are taken whatever it is. */
	uint64_t request_gap;
	/* With feasibility: a route whose path changed below an unchanged
	 * next hop (a DC downstream switched) makes a new advertisement only
	 * as a distance move would (at once past the hysteresis margin), else
	 * at most path_wait after our last one (units of mf_routing_set_now).
	 * Receivers use paths only to refuse routes through themselves, a
	 * check feasibility makes redundant for loops; sent at once, each
	 * such change made every DC upstream send in turn (docs/routing.md,
	 * "Paths that wait"). 0 (the default): at once, as any path change. */
	uint64_t path_wait;
	/* With feasibility and requests: when the route in use turns
	 * infeasible (its next hop's distance rose past our feasibility
	 * distance), a seqno request for the target goes to that next hop at
	 * once and the route is kept, at the distance it had, for loss_hold
	 * (units of mf_routing_set_now; at most feasibility_window, and
	 * under it by a state's travel time for the loop-free bound) while
	 * the pair we accepted from it still beats our feasibility distance:
	 * Babel's rule for an unfeasible update of the selected route (RFC
	 * 8966, 3.5.4, 3.8.2.2); docs/routing.md "Requests on loss". 0 (the
	 * default): the route is lost at once, as before. */
	uint64_t loss_hold;
	/* With feasibility: a new state carries a route's epoch no newer than
	 * our feasibility distance's, but for a target a seqno request wants
	 * (or one with no feasibility distance), so a new feasibility epoch
	 * travels only along the chain of DCs that asked for it, not to every
	 * DC whose route reaches it (docs/routing.md, "Feasibility drift and
	 * answered requests"): a DC whose state carried the newer epoch found
	 * every neighbour still at the older one infeasible, a mate's state
	 * did so for its DC. Advertising an older epoch than the route's is a
	 * worse pair, so no loop. false (the default): the route's epoch. */
	bool epochs_on_request;
};

/* The largest federation we claim to run (docs/scale.md): 1,000 DCs. */
#define MF_ROUTING_MAX_DATACENTERS 1000
/* How far one advertisement may move an origin's seq past the one we hold
 * (MF_ESTATE beyond). Seqs start at the origin's start time in ms and grow
 * by one per change, so an honest jump is the time a DC was unheard of:
 * 2^40 ms is 34 years. A forged seq near 2^64 would otherwise make every
 * later honest advert stale for good. A first advert (nothing held) may
 * carry at most MF_ROUTING_SEQ_MAX (2^48 ms: the year 10889). */
#define MF_ROUTING_SEQ_JUMP_MAX (1ull << 40)
#define MF_ROUTING_SEQ_MAX (1ull << 48)
#define MF_ROUTING_ALTERNATES_DEFAULT 3
#define MF_ROUTING_ALTERNATES_MAX 16
/* Servers of one DC whose gateways are kept (more are ignored). */
#define MF_ROUTING_GATEWAY_SOURCES_MAX 64

struct mf_routing;

/* Defaults above; datacenter and node left NULL. */
void mf_routing_config_default(struct mf_routing_config *c);

int mf_routing_new(const struct mf_routing_config *c, struct mf_routing **out);
void mf_routing_free(struct mf_routing *r);

/* Per-target mode override (the `default` is in the config). */
int mf_routing_set_mode(struct mf_routing *r, const char *target, enum mf_route_mode mode);
/* Reload: a new default mode and transit, every per-target override cleared
 * (set the new ones with mf_routing_set_mode). Takes effect at the next
 * recompute; a transit change is advertised under a new seq even when no
 * route changes. MF_EINVAL for a bad mode. */
int mf_routing_set_policy(struct mf_routing *r, enum mf_route_mode default_mode, bool transit);

/* The direct link to DC `dc`: configured = we share a gossip pool with its
 * servers; usable = at least one is alive and coordinates give a distance
 * (distance_ms, finite and >= 0, ignored when not usable). Returns 1 when
 * it changed, 0 when not. */
int mf_routing_set_link(struct mf_routing *r, const char *dc, bool configured, bool usable,
			double distance_ms);

/* The same by DC id (mf_routing_dc_id), without a name lookup: for a caller
 * that sets every link at every change (routing/node.h). MF_EINVAL for an
 * unknown id or our own. */
int mf_routing_set_link_id(struct mf_routing *r, uint32_t id, bool configured, bool usable,
			   double distance_ms);
/* DC `dc`'s id, interned when new (it then counts against max_datacenters:
 * MF_ETOOBIG past it, MF_EINVAL for an invalid name). Ids are small, dense
 * and never change for the engine's life. */
int mf_routing_dc_id(struct mf_routing *r, const char *dc, uint32_t *id);
/* The id of a DC the engine knows, or MF_ENOTFOUND; never interns. */
int mf_routing_find_id(const struct mf_routing *r, const char *dc, uint32_t *id);

/* This server's mesh gateways, sent in our advertisement (copied). A
 * different set makes a new advertisement seq at the next recompute, so the
 * change is gossiped at once. Returns 1 when the set changed, 0 when it is
 * the same (same gateways in the same order), MF_EINVAL for more than
 * MF_ADVERT_GATEWAYS_MAX, an invalid one (mf_gateway_valid) or a name
 * listed twice: then nothing changes. */
int mf_routing_set_gateways(struct mf_routing *r, const struct mf_gateway *g, size_t n);

/* A complete advertisement from another DC (one fragment with count 1, or
 * joined by mf_advert_asm). Kept when newer than the stored one of that
 * origin: higher seq, or equal seq and a node name that sorts after. Its
 * gateways replace those of its sending server when its seq is higher than
 * that server's last, even when it is stale for routes. An advertisement of
 * our own DC (another server) only raises the seq we will use next. Returns
 * 1 when stored, 0 when stale (its gateways may still have been taken) or
 * own, MF_EMALFORMED for an inconsistent one (a path that repeats a DC,
 * does not end at its target, a target listed twice, too many gateways),
 * MF_ETOOBIG for one naming more than max_datacenters or that would take
 * the engine past it, MF_ESTATE for a seq that jumps too far
 * (MF_ROUTING_SEQ_JUMP_MAX, MF_ROUTING_SEQ_MAX): then nothing changes
 * (names interned before an MF_ETOOBIG stay, within the limit). */
int mf_routing_set_advert(struct mf_routing *r, const struct mf_advert *a);

/* The checks mf_routing_set_advert() makes that need no stored state,
 * on an advertisement or on one fragment of it (self-contained): sizes
 * against max_datacenters (MF_ETOOBIG), the seq jump against what the
 * engine holds for its origin (MF_ESTATE), indexes, distances and paths
 * (MF_EMALFORMED: a path that names a DC twice, a route to the origin with
 * hops, a target listed twice), MF_ENOMEM. 0 when it may be used and relayed. Never
 * changes the engine. */
int mf_routing_check_advert(const struct mf_routing *r, const struct mf_advert *a);

/* Forgets the advertisement of DC `dc` (its last alive server is gone), so
 * every route through it is withdrawn at the next recompute, and every
 * gateway of it. Returns 1 when there was an advertisement, 0 when not. */
int mf_routing_withdraw_origin(struct mf_routing *r, const char *dc);

/* Forgets the gateways server `node` of DC `dc` advertised (it is gone or
 * silent; the caller decides, routing/node.h). Returns 1 when there were
 * some (the DC's set may have changed), 0 when not. */
int mf_routing_forget_gateways_of(struct mf_routing *r, const char *dc, const char *node);

/* The caller's clock for freshness (any monotonic unit, that of the
 * config's intervals). Beats when due and marks the engine for a
 * recompute when a target may have gone stale or batched epochs are due.
 * Until the first call no route ages. */
void mf_routing_set_now(struct mf_routing *r, uint64_t now);

/* Beats apart (config beats_apart): our epoch and, per DC our table
 * advertises a route to, the epoch that route reaches, ours first, into
 * out[0..cap); returns how many (at most 1 + DCs). Epochs travel mod 2^16
 * (routing/beat.h); each with its age (config beat_age_unit), the time
 * since its origin raised it as far as we know. */
size_t mf_routing_beats(const struct mf_routing *r, struct mf_beat_entry *out, size_t cap);
/* Hurried beats (config hurry_min): the entries mf_routing_beats() would
 * give for the DCs whose dating moved back by at least hurry_min since the
 * last call of this or of mf_routing_beats_sent(), which forgets them;
 * returns how many (at most cap; the rest wait for the next call). Our own
 * DC is never among them. */
size_t mf_routing_hurried_beats(struct mf_routing *r, struct mf_beat_entry *out, size_t cap);
/* Answers to a beat (config hurry_min): our entries for the DCs of
 * b[0..n) (any sender's) whose epoch we hold, or a newer one, dated at
 * least hurry_min earlier than the entry dates it: the sender heard it
 * late (in a full state) and our answer corrects it at once. Returns how
 * many (at most cap). Answers never answer each other: an answer carries
 * only datings earlier than the sender's. */
size_t mf_routing_beat_answers(struct mf_routing *r, const struct mf_beat_entry *b, size_t n,
				struct mf_beat_entry *out, size_t cap);
/* Our whole beat went out: it carried every dating, so none is hurried. */
void mf_routing_beats_sent(struct mf_routing *r);
/* Whether mf_routing_hurried_beats() has entries: any (a rise or a dating
 * moved back), or only datings moved back (moved_back). The caller relays
 * rises in batches and datings moved back at once. */
bool mf_routing_hurry_marked(const struct mf_routing *r, bool moved_back);
/* The beats a server of DC `origin` sent: each entry whose DC (by name
 * hash) the stored advertisement of origin routes to, and whose epoch,
 * widened against the one held (serial arithmetic: at most 2^15 - 1
 * ahead), is newer, raises that route's epoch, so the DC is heard alive
 * (freshness) as if a full advertisement had carried it, raised `age`
 * ago; an entry of the epoch held with an older age dates its rise back
 * (config beat_age_unit). Our own DC (a
 * server of ours): only its own entry, which raises our epoch (the
 * servers of a DC share the highest). Entries of DCs the advertisement
 * does not route to, or whose hash two of its DCs share, are ignored.
 * Returns how many epochs rose (0 when origin's advertisement is unknown). */
size_t mf_routing_take_beats(struct mf_routing *r, const char *origin,
			     const struct mf_beat_entry *b, size_t n);

/* Seqno requests (config request_gap; docs/routing.md, "Seqno
 * requests"): a request asks DC `target`'s servers for an epoch of at
 * least `epoch`, sent to a server of neighbour DC `to`, which passes it on
 * along its own next hops while hops last. */
struct mf_routing_request {
	const char *target;   /* into the engine, valid until it changes */
	const char *to;
	uint64_t epoch;
	unsigned hops;
};
/* At most this many DCs a request crosses (Babel's hop count: a request
 * chasing a route that keeps moving stops). */
#define MF_ROUTING_REQUEST_HOPS 64
/* The requests waiting to go (ours, and those passed on), at most cap,
 * into out; each goes once (the rest wait for the next call). */
size_t mf_routing_requests(struct mf_routing *r, struct mf_routing_request *out, size_t cap);
/* A request that reached us (with feasibility): when the state we
 * advertise already carries target's route at `epoch` or newer, 0; when
 * target is our DC (we raise our epoch by one when it is below `epoch`:
 * never further, whatever a request names) or our route to
 * it reaches `epoch`, our next recompute makes a new state carrying it, 1;
 * else, with hops > 1 and no such request passed on within request_gap, it
 * is queued for our next hop with one hop less and the state we make once
 * our route reaches that epoch carries it, 2; 0 otherwise (no route,
 * feasibility off, unknown target). */
int mf_routing_take_request(struct mf_routing *r, const char *target, uint64_t epoch, unsigned hops);

/* Whether a route that only follows the DC's shared choice waits like a
 * small distance move instead of making a new advertisement (default
 * false; docs/routing.md, "Deltas"). The node turns it on while its state
 * fits one relayed fragment: a larger state is not relayed, so the DC's
 * newest may not reach every member and a follower's own state is needed. */
void mf_routing_set_wait_followed(struct mf_routing *r, bool on);

/* Recomputes the table from the inputs; *changed (may be NULL) tells
 * whether any route changed, in which case the version grew by one.
 * Only the targets whose inputs moved since the last recompute are
 * recomputed (a neighbour's route to them, a link, a tombstone, their
 * freshness or settle timer); the table is exactly what a full pass gives. */
int mf_routing_recompute(struct mf_routing *r, bool *changed);

/* How mf_routing_recompute works: AUTO (the default) recomputes the
 * targets whose inputs moved, or every target in one streaming pass when
 * more than a quarter moved; FULL always every target (the reference the
 * tests compare with); INCREMENTAL per target whatever the count. Same
 * tables in every mode. */
enum mf_routing_recompute_mode {
	MF_RECOMPUTE_AUTO,
	MF_RECOMPUTE_FULL,
	MF_RECOMPUTE_INCREMENTAL,
};
void mf_routing_set_recompute_mode(struct mf_routing *r, enum mf_routing_recompute_mode m);

uint64_t mf_routing_version(const struct mf_routing *r);

/* Why next hops changed, counted per target at each recompute (what moves
 * routes under noise, docs/routing.md "Larger pools"), and new states. */
struct mf_routing_stats {
	uint64_t nh_new;      /* a target that had no next hop got one */
	uint64_t nh_lost;     /* the route in use stopped being a candidate */
	uint64_t nh_margin;   /* the best was shorter by the hysteresis margin */
	uint64_t nh_settled;  /* the best was shorter by the settle margin for settle_time */
	uint64_t nh_shared;   /* followed the DC's shared choice (another server's advert) */
	uint64_t nh_free;     /* no hysteresis (margins 0): the best */
	uint64_t nh_held;     /* a switch held back by nh_hold (each recompute that held one) */
	uint64_t new_states;  /* advertisement seqs made */
	uint64_t requests_sent;      /* seqno requests of ours (mf_routing_requests) */
	uint64_t requests_in;        /* requests taken (answered or passed on) */
	uint64_t requests_forwarded; /* requests passed on to our next hop */
	uint64_t asks;               /* DCs listed for a hurried beat near max_age (config ask_age) */
	uint64_t asks_answered;      /* beat entries answered as asks */
	uint64_t went_stale;         /* targets whose epoch went past max_age (freshness) */
};
const struct mf_routing_stats *mf_routing_stats(const struct mf_routing *r);

/* Targets whose next hop nh_hold keeps from a switch right now: the table
 * is not final while any is (the simulator's convergence test). */
size_t mf_routing_held(const struct mf_routing *r);

/* Seq of the advertisement mf_routing_advert() builds now. */
uint64_t mf_routing_advert_seq(const struct mf_routing *r);
/* The engine's re-advertise margin (config readvertise_pct, _ms): distance
 * moves under both are not news, in a new state or in a delta. */
void mf_routing_readvertise_margin(const struct mf_routing *r, double *pct, double *ms);
/* Whether moving our advertised distance to target, on the same path, from
 * held (what receivers hold) to now could change what some DC does with
 * it, so a state that goes for another reason must carry it (a rider).
 * True without config quiet_riders; when the move is past the hysteresis
 * margin (what receivers hold stays within it); when, with feasibility,
 * it is longer (receivers must not hold a pair below our feasibility
 * distance once its window turns); and when any DC we link to routes to
 * target through us, holds no route of its own to it (or no transit state
 * of its own), or could take ours: the shorter of held and now plus the
 * shorter of our link and its distance to us, taken the hysteresis margin
 * low, within that margin above its own distance; and for a direct route
 * while we know at most MF_COORD_DC_EMBED_MAX DCs (the advertised links
 * are then the DC matrix every agent solves, coord/dc_embed.h). Otherwise
 * no DC switches for it, at once or by settling, and none routes by it:
 * the move can wait for a state that goes for another reason
 * (docs/routing.md, "Riders and a shorter header"). Unknown target or
 * our own DC: true. */
bool mf_routing_distance_news(const struct mf_routing *r, const char *target, double held, double now);

/* Snapshot of the table (free with mf_table_free). */
int mf_routing_table(const struct mf_routing *r, struct mf_table *out);

/* Our advertisement, full state (free with mf_advert_free); encode it with
 * mf_advert_encode_frags() for user messages, mf_advert_encode_full() for
 * push-pull. */
int mf_routing_advert(const struct mf_routing *r, struct mf_advert *out);

/* Cheap read access for simulations and benches: routes by index over all
 * known DCs (unsorted); strings point into the engine and stay valid until
 * the next call that changes it. */
struct mf_route_view {
	const char *target;
	enum mf_route_status status;
	const char *next_hop;      /* NULL when local or unreachable */
	double distance_ms;
	bool down;
	enum mf_route_mode mode;
	size_t path_len;
	size_t n_alternates;
};
size_t mf_routing_n_targets(const struct mf_routing *r);
int mf_routing_route_at(const struct mf_routing *r, size_t i, struct mf_route_view *v);
/* k-th alternate of route i (0 is the best); MF_ENOTFOUND past the last. */
int mf_routing_alternate_at(const struct mf_routing *r, size_t i, size_t k, const char **next_hop,
			    double *distance_ms);
/* Gateways DC `dc` has now (the union over its servers), 0 when unknown. */
size_t mf_routing_n_gateways_of(const struct mf_routing *r, const char *dc);
/* k-th DC of route i's path (0 is this DC). */
const char *mf_routing_path_at(const struct mf_routing *r, size_t i, size_t k);
/* Index of target `dc` for mf_routing_route_at, or MF_ENOTFOUND. */
int mf_routing_find(const struct mf_routing *r, const char *dc, size_t *i);

/* The distance (ms) of DC from's direct route to DC to in the newest
 * advertisement of from that we hold, the value every DC holding that
 * advertisement reads: for another DC, its stored one; for ours, our own
 * last advertised snapshot, or another server's of our DC when newer (not
 * our live link, which differs between our servers and moves with every
 * probe). 0, or MF_ENOTFOUND (no such advertisement, or its route to to is
 * not direct). For coord/dc_embed.h's matrix (routing/dc_matrix.h). */
int mf_routing_advertised_link(const struct mf_routing *r, const char *from, const char *to,
			       double *distance_ms);

/* Our current advertisement as its receivers hold it, once it went out
 * (the node: decoded from what it sent, a delta patched onto its base):
 * our snapshot takes its distances, so the same seq says the same thing
 * in every later copy (push-pull, the refresh, the next delta's compare)
 * and in mf_routing_advertised_link, as in every other DC's store.
 * Ignored (0) unless it is our origin, node and current seq; 0,
 * MF_EINVAL, MF_EMALFORMED. */
int mf_routing_set_sent(struct mf_routing *r, const struct mf_advert *held);

#endif

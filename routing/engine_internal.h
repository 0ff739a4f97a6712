/*
 * routing/engine_internal.h — the routing engine's state, shared by its
 * files (private: only routing/engine*.c include it). Each file has one job:
 *   engine.c            lifecycle, per-DC-id arrays, configuration inputs, the clock
 *   engine_gateways.c   other DCs' gateways, per sending server, and their union
 *   engine_adverts.c    epochs, tombstones, storing received advertisements
 *   engine_recompute.c  candidates, hysteresis and settling, alternates, the
 *                       advertised snapshot
 *   engine_out.c        the table, read access, our advertisement and beats
 *   engine_sent.c       our advertisement as its receivers hold it
 *   engine_riders.c     which moves of our distances some DC could act on
 *   engine_incr.c       which targets an input change touches (incremental
 *                       recompute)
 *   engine_feasible.c   feasibility distances: what our DC's states advertised,
 *                       forgotten a hold after a withdrawal
 *   engine_request.c    seqno requests: asking a target for a newer epoch
 * The contract is routing/engine.h's; the design notes are engine.c's.
 */
#ifndef MF_ROUTING_ENGINE_INTERNAL_H
#define MF_ROUTING_ENGINE_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "routing/beat_names.h"
#include "routing/engine.h"
#include "routing/names.h"

#define NONE UINT32_MAX
#define DIRECT_ENTRY (UINT32_MAX - 1)
#define PATH_MAX_LEN (MF_ADVERT_HOPS_MAX + 2)
#define NO_SINCE UINT64_MAX

struct rt_link {
	bool configured, usable;
	double dist;
};

/* One route a neighbour advertised, with its path from the neighbour
 * (inclusive) to the target (inclusive). */
struct rt_entry {
	uint32_t target;
	uint32_t path_off;
	uint16_t path_len;
	bool loops;        /* the path contains this DC: never a candidate */
	/* The low 32 bits of the epoch as the state carried it (beats raise
	 * epoch in place, never this): feasibility, mf_rt__fepoch. In the
	 * padding, so a route stays 32 bytes (1M of them at 1,000 DCs). */
	uint32_t fepoch32;
	double dist;
	uint64_t epoch;    /* the target's incarnation this route reaches */
};

/* The gateways one server of a DC advertised, from its newest advert. */
struct rt_gwsrc {
	char *node;
	uint64_t seq;
	struct mf_gateway *gws;
	size_t n_gws;
	struct mf_routing_stats stats;
	bool wait_followed;      /* mf_routing_set_wait_followed */
};

/* One gateway of a DC's union, with the seq of the server entry it came
 * from (the newest wins a name two servers advertise). */
struct rt_ugw {
	const struct mf_gateway *g;
	uint64_t seq;
};

struct rt_origin {
	bool present, transit;
	uint64_t seq;
	uint64_t self_epoch;     /* the origin's incarnation, from its own entry */
	char *node;
	struct rt_entry *e;
	uint32_t n_e, cap_e;
	/* The hot part of e[] for relaxation, 12 bytes a route: a full mesh of
	 * 1,000 DCs holds 1M routes, and memory bandwidth is the limit. dst is
	 * INFINITY for routes that can never be candidates (through us, or to
	 * the origin itself, which the direct link covers). */
	uint32_t *tgt;
	double *dst;
	/* Paths as 16-bit ids (ids are < MF_RT_NAMES_MAX, 65535): each
	 * route's path from the origin to its target, the largest part of a
	 * stored advertisement (at 1,000 DCs ~10 hops a route). */
	uint16_t *path;
	uint32_t n_path, cap_path;
	double to_self;          /* its advertised distance to us, NAN if none */
	/* Gateways per sending server, and their union (pointers into src,
	 * rebuilt whenever src changes; cap_ugw >= all of src's gateways). */
	struct rt_gwsrc *src;
	uint32_t n_src;
	struct rt_ugw *ugw;
	uint32_t n_ugw, cap_ugw;
	/* Target id -> index in e[] (NONE: not advertised; ids >= n_pos
	 * neither), so one target's candidates are found without a walk. */
	uint32_t *pos;
	uint32_t n_pos;
	/* Ids of the previous advertisement's name table, by index: the next
	 * one from this origin almost always lists the same names in the same
	 * order, so a strcmp confirms the id without hashing. */
	uint32_t *hint;
	uint32_t n_hint;
	/* Indexes in e[] of its one-hop routes (path of 2, not to us), in
	 * order: the links mf_routing_table() lists of it, so take_links()
	 * reads a few per origin instead of walking every route. */
	uint32_t *hop1;
	uint32_t n_hop1, cap_hop1;
};

struct rt_route {
	uint8_t status;    /* enum mf_route_status */
	uint8_t mode;      /* enum mf_route_mode */
	bool down;
	bool tomb;         /* snapshot only: our tombstone refuses a shorter
			    * route, so the state carries it (engine_out.c) */
	uint32_t nh;       /* next-hop id or NONE */
	double dist;
	uint64_t epoch;    /* target incarnation the route reaches */
	uint64_t fepoch;   /* the epoch its next hop's state carried (ours for
			    * our own DC): what our state advertises with
			    * feasibility */
	uint32_t path_off, path_len;
	uint32_t alt_off, n_alt; /* alternates in the table's pool, best first */
};

/* A loop-free alternate next hop. */
struct rt_alt {
	uint32_t nh;
	double dist;
};

/* A table (or the advertised snapshot): one route per id, paths and
 * alternates in pools. */
/* One link of the published table (mf_routing_table), as of `version`. */
struct rt_link_out {
	uint32_t from, to;
	double dist;             /* NAN when not usable */
	bool usable;
};

struct rt_routes {
	struct rt_route *r;
	uint32_t n;        /* ids covered */
	uint32_t *path;
	uint32_t n_path, cap_path;
	struct rt_alt *alt;
	uint32_t n_alt, cap_alt;
};

struct mf_routing {
	struct mf_rt_names names;
	uint32_t self;
	char *node;
	/* The configuration as given (datacenter and node not kept; a
	 * max_datacenters of 0 made the default). Read from here: hysteresis,
	 * re-advertise and settle margins, settle_time (0: a kept route is
	 * never settled), require_gateways, max_alternates, freshness
	 * (max_age, beat_interval, epoch_interval), beats_apart,
	 * readvertise_interval. What changes at run time is apart below. */
	struct mf_routing_config cfg;
	enum mf_route_mode default_mode;
	bool transit;
	uint64_t next_settle;     /* earliest better_since + settle_time, or end of a hold */

	uint32_t cap;            /* per-id arrays below */
	uint8_t *mode_ovr;       /* 0: default, else 1 + mode */
	struct rt_link *link;
	struct rt_origin *orig;
	struct rt_routes cur, next, snap;

	/* recompute scratch, per target: the best distance, next hop and path
	 * entry; the same through the next hop in use (via_cur_*) and through
	 * the DC's shared choice (via_ref_*) */
	double *best_d, *via_cur_d, *via_ref_d;
	uint32_t *best_nh, *best_entry, *via_cur_entry, *via_ref_entry;
	uint32_t *cur_nh;        /* next hop in use per target, NONE if none */
	/* Per target, since when (caller's clock) a candidate has been shorter
	 * than the route hysteresis keeps by the settle margin, at every
	 * recompute; NO_SINCE when not. */
	uint64_t *better_since;
	/* Per target, when its next hop last changed (NO_SINCE: never), and
	 * whether nh_hold held a switch back at its last recompute. */
	uint64_t *nh_at;
	uint8_t *held;
	/* alternates scratch: max_alt slots per target, best first; per
	 * target, compact for the hot loop: the LFA limit, the primary next
	 * hop and the distance an offer must beat */
	uint32_t *alt_nh, *alt_cnt, *alt_primary;
	double *alt_d, *alt_lim, *alt_worst;

	/* The DC's shared choice: next hops of the newest advertisement of our
	 * DC sent by another server (NONE per target when it has no route, and
	 * all NONE while our own advertisement is the newest). Hysteresis
	 * prefers it to our own route in use, so servers of one DC that
	 * measure slightly differently converge on one table (docs/routing.md). */
	uint32_t *ref_nh;
	/* Per target, the distance of that advertisement's direct route to
	 * it, NAN when it has none (mf_routing_advertised_link). */
	double *ref_dist;
	bool ref_set;
	uint64_t ref_seq;
	char *ref_node;
	uint32_t *stamp;         /* path marks, valid when == gen */
	uint32_t gen;
	uint32_t *target_mark;        /* target marks, valid when == target_mark_gen */
	uint32_t target_mark_gen;
	uint32_t *rank;          /* id -> position in name order, for ties */
	uint32_t n_ranked;       /* ids the ranks cover */

	/* Incremental recompute (engine_incr.c): targets whose inputs moved
	 * since the last recompute (t_dirty, listed once in dirty_list), or all
	 * of them; per target the freshness it was last computed with and the
	 * entry its route goes through; the usable neighbours of a pass. */
	uint8_t *t_dirty, *was_stale;
	uint32_t *dirty_list, n_dirty;
	bool all_dirty;
	uint32_t *chosen_entry;
	uint32_t *nbr, n_nbr;
	uint8_t recompute_mode;  /* enum mf_routing_recompute_mode */
	bool links_dirty;        /* links_out must be taken again */
	uint32_t *hop1_tmp;      /* origin_replaced's scratch for a new hop1 */
	uint32_t cap_hop1_tmp;

	/* version names one table as mf_routing_table reads it: it grows at a
	 * recompute that changed a route or a link, and at once when the
	 * gateways of a DC a route in use goes through change, since those are
	 * read live (engine_gateways.c). version_computed: as the last
	 * recompute left it, for its `changed`. */
	uint64_t seq, seq_floor, version, version_computed;
	/* The table's links, taken at each recompute so that they always go
	 * with `version`: read live, an advert applied between two recomputes
	 * showed its links under the old version. */
	struct rt_link_out *links_out;
	size_t n_links_out, cap_links_out;
	uint64_t links_sig;      /* links_signature() of links_out */
	bool dirty;              /* an input changed since the last recompute */
	bool readvertise;        /* policy changed: next recompute re-advertises */
	uint64_t epoch;          /* this DC's incarnation */
	/* Tombstones: alive_from[id] is the lowest incarnation of DC id that
	 * may be alive, 1 + the highest known dead (0: none). Routes to it
	 * reaching an incarnation below that are never candidates, and we pass
	 * the tombstone on. */
	uint64_t *alive_from;
	uint64_t dead_gen, snap_dead_gen; /* tombstone changes, for re-advertising */
	/* The snapshot took a route out from under a tombstone: its epoch is
	 * the news, so its deltas carry epochs (mf_advert.epochs_bound; beats
	 * reach a server only at random, and a delta keeps the base's). */
	bool snap_epochs;
	/* Freshness (docs/routing.md, "Bounded withdrawal"): every DC's
	 * servers raise its epoch every cfg.beat_interval, and a route is a candidate
	 * only while its target's highest epoch heard (beat[id], from any
	 * stored route) rose within max_age (beat_at[id]: when it rose, now
	 * when heard, dated back by a beat's age, "Origin ages"). Time is
	 * the caller's (mf_routing_set_now); max_age 0 disables it. epoch_at:
	 * when our own epoch rose, for our beats' ages; age_unit: clock units
	 * per unit of a beat's age, 0 when beats carry none. */
	uint64_t *beat, *beat_at;
	/* Hurried beats: hurry[id] HURRY_BACK when DC id's dating moved back
	 * by at least cfg.hurry_min since our last beat, HURRY_RISE when its
	 * epoch only rose (cfg.relay_rises); n_hurry of them, n_hurry_back of
	 * the first kind. */
	uint8_t *hurry;
	uint32_t n_hurry, n_hurry_back;
	/* Names by beat hash, for beat entries about DCs the sender's stored
	 * advertisement does not route to. */
	struct mf_beat_names beat_names;
	uint64_t epoch_at;
	/* Asks (cfg.ask_age): when each DC's held epoch was last asked for
	 * (0: never), and when the next ask may be due. */
	uint64_t *ask_at, next_ask;
	uint64_t now, last_beat, snap_at, next_expiry;
	bool clocked, epochs_pending;
	bool dist_pending;       /* such a move waits for cfg.readvertise_interval */
	bool paths_pending;      /* a path below the next hop waits for cfg.path_wait */
	/* Feasibility (cfg.feasibility_hold, docs/routing.md "Transient
	 * loops"): per target the feasibility distance, the best (epoch,
	 * distance) our states advertised since it was last forgotten
	 * (fd_dist INFINITY and fd_epoch 0: none, everything is feasible);
	 * gone_at: since when our advertised state lacks the target (NO_SINCE
	 * while it has it); next_forget: the earliest gone_at + hold of a
	 * target whose distance is still held. */
	uint64_t *fd_epoch, *gone_at;
	double *fd_dist;
	uint64_t next_forget;
	/* With cfg.feasibility_window: fw_*, the best pair per target our DC
	 * advertised since the window last turned (fw_at; the feasibility
	 * distance then became the pairs of the window before it, fw_* those
	 * of the DC's newest states); mate_*, the pairs of the newest state of
	 * a mate (fd 0 / INFINITY: none). */
	uint64_t *fw_epoch, *mate_epoch;
	double *fw_dist, *mate_dist;
	uint64_t fw_at;
	bool fd_seeded;          /* seeded from the snapshot when the clock started */
	/* Seqno requests (cfg.request_gap, docs/routing.md "Seqno requests"),
	 * per target: want, an epoch a request asked of us (our next state
	 * carries the route's epoch once it reaches that; 0: none); req_epoch
	 * and req_at, the last request we sent or passed on for it and when
	 * (deduplication, rate limit); req_to and req_hops, one waiting to go
	 * (req_to NONE: none; n_req of them). unf_d, unf_nh: the shortest
	 * infeasible candidate of the last recompute (INFINITY: none). */
	uint64_t *want, *req_epoch, *req_at;
	uint64_t *unf_since;     /* since when unf_d beat the route by the settle margin */
	/* Our DC's feasibility epoch: the epoch our own route carries in our
	 * states with feasibility. It stays while beats raise r->epoch, and
	 * takes the current one only for a seqno request (or a refutation),
	 * as Babel's seqno moves only on request, so every DC's states carry
	 * the same epoch for a target and none locks another out by its age;
	 * the servers of a DC share the highest (their states). */
	uint64_t fe_self;
	uint64_t fe_self_at;     /* when a request last moved it (NO_SINCE: never) */
	uint32_t *req_to, *unf_nh;
	/* Per target, the route in use's next hop's distance as each of that
	 * DC's servers last advertised it (feasibility; engine_feasible.c,
	 * mf_rt__feasibility_chosen): the newest state's server (pair_node,
	 * a name hash, and pair_dst) and another's (other_dst, NAN: none; at
	 * other_at), with the next hop they are of (pair_nh). */
	uint64_t *pair_node, *other_at;
	double *pair_dst, *other_dst;
	uint32_t *pair_nh;
	uint8_t *req_hops;
	double *unf_d;
	/* cfg.loss_hold, per target: the pair (keep_e, keep_d) last accepted
	 * from the route in use's next hop keep_nh (NONE: none), and since
	 * when that next hop's route has been infeasible (lost_at, NO_SINCE:
	 * it is not); lost_ask, set when kept, cleared by the request. */
	uint64_t *keep_e, *lost_at;
	double *keep_d;
	uint32_t *keep_nh;
	uint8_t *lost_ask;
	uint32_t n_req;
	uint64_t next_request;   /* earliest req_at + gap of a request held back */
	struct mf_gateway *gws;
	size_t n_gws;
	struct mf_routing_stats stats;
	bool wait_followed;      /* mf_routing_set_wait_followed */
};

/* The epoch our own route carries: the feasibility epoch with
 * feasibility and beats apart (beats carry the epochs freshness needs),
 * else our epoch (with epochs in full state, our states must carry each
 * rise). */
static inline uint64_t mf_rt__self_fepoch(const struct mf_routing *r)
{
	return r->cfg.feasibility_hold && r->cfg.beats_apart ? r->fe_self : r->epoch;
}

/* Feasibility applies: configured and the clock runs (epochs rise). */
static inline bool mf_rt__feasibility(const struct mf_routing *r)
{
	return r->cfg.feasibility_hold && r->clocked;
}

/* Route e's epoch as its state carried it: at most epoch, and less than
 * 2^32 below it (beats raise an epoch by one a beat; a restart jumps it
 * by the seconds it was away). */
static inline uint64_t mf_rt__fepoch(const struct rt_entry *e)
{
	return e->epoch - (uint32_t)((uint32_t)e->epoch - e->fepoch32);
}

/* Small reads shared by the engine's files, inline so that no two of
 * them call each other (scripts/check-layering). */
static inline bool mf_rt__has_gateways(const struct mf_routing *r, uint32_t id)
{
	return r->orig[id].n_ugw > 0;
}

/* No route to DC id is a candidate (but a usable direct link): its
 * highest epoch heard has not risen within max_age, so its servers are
 * cut off from every DC that could tell us (a partition), however many
 * stale paths our neighbours still hold. */
static inline bool mf_rt__stale(const struct mf_routing *r, uint32_t id)
{
	return r->cfg.max_age && r->clocked && r->now - r->beat_at[id] > r->cfg.max_age;
}

/* Whether a distance moved from was to now past the re-advertise
 * threshold (any move when there is none). */
static inline bool mf_rt__dist_moved(const struct mf_routing *r, double was, double now)
{
	if (r->cfg.readvertise_pct == 0 && r->cfg.readvertise_ms == 0)
		return was != now;
	double d = fabs(now - was);
	return d > was * r->cfg.readvertise_pct / 100.0 && d > r->cfg.readvertise_ms;
}

/* A neighbour whose advertised routes are candidates: usable link, a
 * stored transit advertisement, gateways when they are required. */
static inline bool mf_rt__usable_neighbour(const struct mf_routing *r, uint32_t h)
{
	const struct rt_origin *o = &r->orig[h];
	return h != r->self && r->link[h].usable && o->present && o->transit &&
	       (!r->cfg.require_gateways || mf_rt__has_gateways(r, h));
}

/* Babel's feasibility condition (RFC 8966, 3.5.1) on neighbour h's route
 * i to t: its (epoch, distance) as h's state carried them is newer than
 * our feasibility distance for t, or as new and strictly shorter. Every
 * DC's feasibility distance is no worse than anything it advertised, so
 * along next hops it strictly improves and no walk can come back: no
 * loop at any instant, however stale the paths (docs/routing.md,
 * "Transient loops"). */
static inline bool mf_rt__feasible(const struct mf_routing *r, uint32_t h, uint32_t i, uint32_t t)
{
	uint64_t fe = mf_rt__fepoch(&r->orig[h].e[i]);
	return fe > r->fd_epoch[t] || (fe == r->fd_epoch[t] && r->orig[h].dst[i] < r->fd_dist[t]);
}

/* Whether entry i (of next hop h) chosen for t is an infeasible route
 * through a neighbour. */
static inline bool mf_rt__infeasible_pick(const struct mf_routing *r, uint32_t h, uint32_t i, uint32_t t)
{
	return i != NONE && i != DIRECT_ENTRY && h != NONE && !mf_rt__feasible(r, h, i, t);
}

/* cfg.loss_hold: whether target t's candidate through h, infeasible, is
 * the route in use kept a while longer; then *c is its distance
 * (engine_request.c). */
bool mf_rt__loss_keep(struct mf_routing *r, uint32_t h, uint32_t t, double *c);

/* Shared between the engine's files. */
/* engine.c */
int mf_rt__grow(void **p, size_t elem, size_t old_n, size_t new_n);
void mf_rt__route_init(struct rt_route *rt);
/* Whether our tombstone for t refuses a usable neighbour's route to t
 * shorter than dist (engine_adverts.c). */
bool mf_rt__tomb_refuses(const struct mf_routing *r, uint32_t t, double dist);
int mf_rt__intern(struct mf_routing *r, const char *name, uint32_t *id);
uint32_t mf_rt__next_mark(uint32_t *stamp, uint32_t *gen, uint32_t cap);
void mf_rt__origin_clear(struct rt_origin *o);
void mf_rt__gateways_free(struct mf_gateway *g, size_t n);
void mf_rt__gwsrc_free(struct rt_gwsrc *s);
/* engine_gateways.c */
int mf_rt__take_gateways(struct mf_routing *r, uint32_t o, const struct mf_advert *a);
void mf_rt__drop_gateways(struct mf_routing *r, uint32_t id);
/* engine_adverts.c */
void mf_rt__raise_dead(struct mf_routing *r, uint32_t id, uint64_t epoch);
void mf_rt__own_epoch(struct mf_routing *r, const struct mf_advert *a);
#define HURRY_BACK 1
#define HURRY_RISE 2
void mf_rt__heard_epoch(struct mf_routing *r, uint32_t id, uint64_t epoch, uint64_t age);
void mf_rt__own_epoch_at(struct mf_routing *r, uint64_t epoch, uint64_t age);
/* engine_beats_ask.c: asks for epochs near max_age (cfg.ask_age) */
void mf_rt__mark_asks(struct mf_routing *r);
bool mf_rt__asked(const struct mf_routing *r, uint32_t id, uint16_t epoch16, uint64_t age);
/* engine_recompute.c */
bool mf_rt__advertisable(const struct mf_routing *r, uint32_t t, const struct rt_route *rt);
/* engine_riders.c: whether some DC we link to could act on our route to t
 * moving from held to now (config quiet_riders; true without it) */
bool mf_rt__distance_heard(const struct mf_routing *r, uint32_t t, double held, double now);
/* engine_feasible.c: feasibility distances (docs/routing.md, "Transient loops") */
void mf_rt__feasibility_advertised(struct mf_routing *r, uint32_t n);
void mf_rt__feasibility_forget(struct mf_routing *r, uint32_t n);
void mf_rt__feasibility_next(struct mf_routing *r, uint32_t n);
void mf_rt__feasibility_mate(struct mf_routing *r, const struct mf_advert *a, bool newest);
void mf_rt__feasibility_chosen(struct mf_routing *r, uint32_t t, const struct rt_route *rt);
double mf_rt__feasibility_dist(const struct mf_routing *r, uint32_t t, const struct rt_route *c);
double mf_rt__state_dist(const struct mf_routing *r, uint32_t t, const struct rt_route *c, bool had, double was);
uint64_t mf_rt__state_fepoch(const struct mf_routing *r, uint32_t t, const struct rt_route *c);
/* engine_request.c: seqno requests (docs/routing.md, "Seqno requests") */
/* after target t's route was chosen: through nh (NONE: none), entry ei,
 * distance d */
void mf_rt__maybe_request(struct mf_routing *r, uint32_t t, uint32_t nh, uint32_t ei, double d);
bool mf_rt__wanted(const struct mf_routing *r, uint32_t t, const struct rt_route *c,
		   const struct rt_route *s);
/* engine_incr.c: what an input change makes the next recompute redo */
void mf_rt__mark(struct mf_routing *r, uint32_t t);
void mf_rt__mark_all(struct mf_routing *r);
void mf_rt__moved(struct mf_routing *r, uint32_t h, uint32_t t, double c);
void mf_rt__moved_all(struct mf_routing *r, uint32_t h);
double mf_rt__candidate(const struct mf_routing *r, uint32_t h, double dst);
void mf_rt__origin_replaced(struct mf_routing *r, uint32_t o, bool was_usable, double was_to_self,
			    const uint32_t *old_tgt, const double *old_dst, const struct rt_entry *old_e,
			    const uint16_t *old_path, uint32_t old_n, const uint32_t *old_pos,
			    uint32_t old_n_pos);
void mf_rt__timers(struct mf_routing *r, uint32_t n);

#endif

/*
 * coord/tracker.h — the glue between one gossip pool and one Vivaldi client:
 * what the agent and the simulator both plug into a pool's delegate.
 *
 * Contract: owns an mf_coord_client and the latest coordinate of every
 * member, as received in the payload of the acks to our direct probes
 * (serf's coordCache, serf/ping_delegate.go NotifyPingComplete). Pure: no
 * clock (RTTs come in measured), no I/O, no locking; knows nothing of the
 * pool's internals, only the two delegate hook signatures of
 * gossip/pool.h. Bad input (undecodable payload, a coordinate or an RTT the
 * client refuses) is counted and dropped, never fatal, and never changes
 * what we know.
 *
 * Plugging it in (ctx is the tracker):
 *  - alone: mf_coord_tracker_delegate(t, &cfg.delegate), and
 *    mf_coord_tracker_announce_to(t, pool) after each on_ack;
 *  - next to other hooks that need their own ctx (the agent's serf glue):
 *    a multiplexing delegate whose ack_payload / on_ack call
 *    mf_coord_tracker_ack_payload(t, ...) / mf_coord_tracker_on_ack(t, ...);
 *  - and on every MF_EV_REAPED pool event call mf_coord_tracker_on_event()
 *    (or mf_coord_tracker_forget()), as serf forgets a reaped member.
 *
 * Estimates (all in seconds):
 *  - mf_coord_tracker_rtt: between any two members, by coordinates only,
 *    as `serf rtt A B` computes it from the cache (either may be us);
 *  - mf_coord_tracker_estimate: from us, the best we have: our own filtered
 *    measurement blended with the coordinate distance where we measured
 *    (mf_coord_client_estimate), else coordinates;
 *  - mf_coord_tracker_route_estimate: the same over the routing filter's
 *    longer median (coord/config.h route_filter_size);
 *  - mf_coord_tracker_dc_rtt: from us to a datacenter, the median over its
 *    alive servers, as Consul ranks datacenters;
 *  - mf_coord_tracker_dc_pair_rtt: between two datacenters, the median
 *    over all server pairs of their coordinate distance (neither need be
 *    ours).
 * The DC functions take the member list from the caller (name, dc tag,
 * status), so the tracker never reads the pool.
 */
#ifndef MF_COORD_TRACKER_H
#define MF_COORD_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/client.h"
#include "coord/tracker_cache.h"
#include "coord/wire.h"
#include "gossip/pool.h"

/* Members whose coordinate we remember; a bound against a pool flooded
 * with names. Beyond it new members are counted (stats.full), not kept. */
#define MF_COORD_TRACKER_MAX 65536

/* Announcements (meshfed peers only; serf never sends them and ignores
 * them): a serf peer learns a coordinate only from the acks to its own
 * probes, so in a pool of n members it sees each one's coordinate every n
 * probe intervals, and fits against positions up to that old (a minute in
 * 13 members of `wan`). While coordinates settle that staleness, not the
 * samples, is what makes convergence slow. So a meshfed agent whose
 * coordinate moved by more than MF_COORD_TRACKER_ANNOUNCE_MOVE of its
 * median RTT since it last said so gossips it, transmit-limited, keyed
 * MF_COORD_TRACKER_ANNOUNCE_KEY (a newer one replaces one still queued),
 * and receivers take it as the member's latest coordinate: in the cache
 * and, when they hold RTT samples of it, for their next fit. A settled
 * coordinate still moves that much now and then: 222 members send 2.1x
 * the datagrams of a pool without announcements (docs/coordinates.md has
 * the trade-off against the threshold). A pinned coordinate
 * (mf_coord_tracker_pin) is announced on any move: it moves only when the
 * caller's DC embedding is solved anew, when every DC moves at once, and
 * caches that mix the old and the new solution read pairs wrong by far
 * more than the move (embeddings agree up to rotation only). Not re-gossiped: each reaches the
 * pool's transmit limit of members, at most MF_COORD_TRACKER_ANNOUNCE_TRANSMITS.
 *
 *   +------+------+--------------------+---------------------------------+
 *   | 0xc8 | 0x02 | node: msgpack str  | serf ack payload (coord/wire.h) |
 *   +------+------+--------------------+---------------------------------+
 *     MF_SERF_MSG_MESHFED, MF_COORD_TRACKER_MSG_ANNOUNCE
 */
#define MF_COORD_TRACKER_MSG_ANNOUNCE 2
#define MF_COORD_TRACKER_ANNOUNCE_KEY "mf-coord"
#define MF_COORD_TRACKER_ANNOUNCE_MOVE 0.02
/* ...and by at least this much (s): on a LAN or loopback, where the median
 * RTT is 0.1-0.3 ms, 2% of it is a few microseconds, which every sample
 * moves an unpinned coordinate by, so each agent announced on every ack
 * (issue 12: 3/4 of an idle pool's datagrams). Below 0.5 ms a coordinate
 * tells a router nothing; a WAN pool (median RTT 25 ms or more) keeps
 * its 2%. */
#define MF_COORD_TRACKER_ANNOUNCE_MOVE_MIN 0.0005
/* Transmits of one announcement, whatever the pool's size: the pool's
 * limit (4 x ceil(log10(N + 1))) until 99 members, then flat, so that the
 * announcements an idle agent receives do not grow with N (issue 12). */
#define MF_COORD_TRACKER_ANNOUNCE_TRANSMITS 8
#define MF_COORD_TRACKER_ANNOUNCE_MAX (2 + 5 + MF_NAME_MAX + MF_COORD_WIRE_MAX)
/* An announcement is a claim by whoever sent it, not a measurement, so
 * before it is used: (1) the RTT it implies from us may be at most
 * MF_COORD_TRACKER_RTT_MAX (round trips on Earth stay under 1 s; a
 * coordinate implying more is forged or broken), counted announces_too_far;
 * (2) when we probe the node ourselves, our measurement wins: the implied
 * RTT must lie within a factor MF_COORD_TRACKER_PLAUSIBLE_FACTOR of our
 * filtered RTT, give or take MF_COORD_TRACKER_PLAUSIBLE_SLACK, else it is
 * refused (announces_implausible) and the coordinate from the node's own
 * acks stays. Loose on purpose: the implied RTT is measured from OUR
 * coordinate, which is itself wrong while coordinates settle, and refusing
 * honest news then slows convergence (a factor 2 +- 20 ms did, in
 * tests/wanem_mesh); only wild claims are refused. */
#define MF_COORD_TRACKER_RTT_MAX 2.0
#define MF_COORD_TRACKER_PLAUSIBLE_FACTOR 5.0
#define MF_COORD_TRACKER_PLAUSIBLE_SLACK 0.100

struct mf_coord_tracker_stats {
	uint64_t acks;          /* on_ack calls */
	uint64_t empty;         /* ack without payload (a peer without coordinates) */
	uint64_t bad_payload;   /* payload that does not decode (version, shape) */
	uint64_t rejected;      /* decoded, refused by the client (NaN, range, RTT) */
	uint64_t updates;       /* samples the client accepted */
	uint64_t encode_errors; /* ack_payload given too small a buffer */
	uint64_t announce_errors; /* an announcement the pool could not queue */
	uint64_t full;          /* coordinates not kept: MF_COORD_TRACKER_MAX */
	uint64_t forgotten;     /* members forgotten (reaped) */
	uint64_t announced;     /* our coordinate gossiped (queued, or built
				 * by mf_coord_tracker_announce) */
	uint64_t announces_in;  /* announcements of others taken */
	uint64_t bad_announces; /* undecodable, about us, or refused */
	uint64_t announces_too_far;     /* implied RTT over MF_COORD_TRACKER_RTT_MAX */
	uint64_t announces_implausible; /* disagrees with our own measurement */
};

struct mf_coord_tracker {
	char self[MF_NAME_MAX + 1];
	struct mf_coord_client client;
	struct mf_coord_cache cache;     /* the latest coordinate of each member */
	struct mf_coord_tracker_stats stats;
	struct mf_coord announced; /* what we last announced */
	bool has_announced;
	struct mf_coord pin;       /* mf_coord_tracker_pin: where we are held */
	bool pinned;
};

/* One member as the caller sees it, for the DC estimates. */
struct mf_coord_tracker_member {
	const char *name;
	const char *dc;               /* its datacenter tag */
	enum mf_member_status status; /* alive and suspect count as alive */
};

/* Which estimate a DC distance is built from. */
enum mf_coord_tracker_kind {
	MF_COORD_TRACKER_COORDS = 0, /* coordinate distance only (Consul) */
	MF_COORD_TRACKER_BEST,       /* mf_coord_tracker_estimate */
	MF_COORD_TRACKER_ROUTE,      /* mf_coord_tracker_route_estimate */
};

/* Sets up t for node `self` with a client of config cfg (NULL: defaults).
 * MF_EINVAL for a bad name or config, MF_ENOMEM. */
int mf_coord_tracker_init(struct mf_coord_tracker *t, const char *self,
			  const struct mf_coord_config *cfg);
void mf_coord_tracker_free(struct mf_coord_tracker *t);
/* Interns the cached members' names in strs (which must outlive t)
 * instead of the tracker's own table: a simulator's trackers then share
 * each name. Right after init only (MF_ESTATE once a name is held). */
int mf_coord_tracker_share_names(struct mf_coord_tracker *t, struct mf_intern *strs);

/* struct mf_pool_delegate's ack_payload, ctx = the tracker: serf's ping
 * payload of our current coordinate (coord/wire.h). 0 (counted) if cap is
 * too small. */
size_t mf_coord_tracker_ack_payload(void *ctx, uint8_t *buf, size_t cap);

/* struct mf_pool_delegate's on_ack, ctx = the tracker: decodes the peer's
 * coordinate, updates our client with rtt (ns, converted to seconds) and,
 * if the client accepted the sample, remembers the coordinate (exactly
 * serf's order: a refused sample caches nothing). */
void mf_coord_tracker_on_ack(void *ctx, const char *node, const uint8_t *payload,
			     size_t len, mf_time_t rtt);

/* Sets d->ctx, d->ack_payload, d->on_ack and d->on_user_msg (announcements
 * only); leaves the other hooks. */
void mf_coord_tracker_delegate(struct mf_coord_tracker *t, struct mf_pool_delegate *d);

/* Our announcement into buf when one is due (meshfed's fit mode only: a
 * serf-mode client stays as quiet as serf), marked as sent; 0 when not due
 * or cap is too small. */
size_t mf_coord_tracker_announce(struct mf_coord_tracker *t, uint8_t *buf, size_t cap);
/* The same, queued in pool (after every on_ack: the agent's and the
 * simulator's delegates call it there), and marked only once queued. 0 or
 * the pool's error, counted in announce_errors and not in announced; the
 * next call then announces again. */
int mf_coord_tracker_announce_to(struct mf_coord_tracker *t, mf_pool_t *pool);
/* struct mf_pool_delegate's on_user_msg, ctx = the tracker: takes
 * announcements ([MF_SERF_MSG_MESHFED][MF_COORD_TRACKER_MSG_ANNOUNCE]...),
 * ignores every other message, and all of them in serf mode (as a serf
 * agent does). A bad one is counted and dropped. */
void mf_coord_tracker_on_user_msg(void *ctx, const uint8_t *msg, size_t len);

/* Holds our coordinate at pos (vector, height, adjustment; our error
 * stays the client's) from now on, re-applied after every sample, so
 * what we send and announce is pos: the caller's solved position of our
 * DC (coord/dc_embed.h). NULL releases it: the client's own fit goes on
 * from there. The client keeps its samples and filters either way (our
 * measured estimates are unchanged). Only in fit mode (a serf-mode client
 * stays serf's): MF_EINVAL there, and for an invalid or incompatible pos. */
int mf_coord_tracker_pin(struct mf_coord_tracker *t, const struct mf_coord *pos);

/* Forgets a member on MF_EV_REAPED; ignores every other event. */
void mf_coord_tracker_on_event(struct mf_coord_tracker *t, const struct mf_pool_event *ev);

/* Forgets what we know of node: its coordinate and the client's samples
 * (serf ForgetNode + coordCache delete). Unknown names are ignored. */
void mf_coord_tracker_forget(struct mf_coord_tracker *t, const char *node);

/* Our current coordinate. */
void mf_coord_tracker_self(const struct mf_coord_tracker *t, struct mf_coord *out);

/* node's latest coordinate (ours for our own name); MF_ENOTFOUND. */
int mf_coord_tracker_get(const struct mf_coord_tracker *t, const char *node,
			 struct mf_coord *out);

/* Members whose coordinate we hold, ourselves excluded. */
size_t mf_coord_tracker_count(const struct mf_coord_tracker *t);

/* Their names, sorted (strcmp), into a new array of
 * mf_coord_tracker_count(t) (free it; the names are the tracker's, valid
 * until it changes). MF_ENOMEM. */
int mf_coord_tracker_names(const struct mf_coord_tracker *t, const char ***out, size_t *n);

/* Coordinate distance between a and b (either may be us), serf rtt
 * semantics. MF_ENOTFOUND if either coordinate is unknown, MF_EINVAL if
 * they are incompatible. */
int mf_coord_tracker_rtt(const struct mf_coord_tracker *t, const char *a, const char *b,
			 double *out);

/* Best estimate from us to node: our measurement where we have one
 * (*measured = 1, see mf_coord_client_estimate), else the coordinate
 * distance (*measured = 0; measured may be NULL). 0 for ourselves.
 * MF_ENOTFOUND without either. */
int mf_coord_tracker_estimate(const struct mf_coord_tracker *t, const char *node,
			      double *out, int *measured);

/* As mf_coord_tracker_estimate, over the routing filter's samples
 * (mf_coord_client_route_estimate): what routing links are built from. */
int mf_coord_tracker_route_estimate(const struct mf_coord_tracker *t, const char *node,
				    double *out, int *measured);

/* From us to datacenter dc: the median (mean of the middle two for an even
 * count) over the alive members of members[0..n) tagged dc, ourselves
 * excluded, of the estimate of `kind`; members we have nothing on are
 * skipped. MF_ENOTFOUND if none is left (Consul's +Inf), MF_ENOMEM. */
int mf_coord_tracker_dc_rtt(const struct mf_coord_tracker *t,
			    const struct mf_coord_tracker_member *members, size_t n,
			    const char *dc, enum mf_coord_tracker_kind kind, double *out);

/* Between datacenters a and b (any two, ours or not, a == b allowed): the
 * median over all pairs of distinct alive members x in a, y in b of the
 * coordinate distance, as far as we know both coordinates (ours counts).
 * MF_ENOTFOUND if no pair is known, MF_ENOMEM. */
int mf_coord_tracker_dc_pair_rtt(const struct mf_coord_tracker *t,
				 const struct mf_coord_tracker_member *members, size_t n,
				 const char *dc_a, const char *dc_b, double *out);

const struct mf_coord_tracker_stats *mf_coord_tracker_stats(const struct mf_coord_tracker *t);

#endif

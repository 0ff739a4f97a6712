/*
 * routing/advert_delta.h — deltas between two full states of one server:
 * made by the sender, applied by receivers.
 *
 * Contract: pure functions over struct mf_advert (routing/advert.h), no I/O.
 * A delta is cumulative against a base, a full state the same server sent
 * before (same origin and node): it lists every route whose path differs
 * from the base's or whose distance moved past a threshold (below), and
 * every target the base
 * routes to and the new state does not. Epochs are not compared (they travel
 * in beats, routing/beat.h): a changed route carries its current epoch, an
 * unchanged one keeps the base's. Transit, gateways and tombstones are not
 * in a delta: when any of them changed, the state goes whole.
 *
 * Being cumulative, any delta applies to the base alone: a receiver that
 * missed earlier deltas loses nothing, one that missed the base waits for
 * the next full state (docs/routing.md, "Deltas"). Such a delta applies
 * on its base only: on a state between its base and its seq it would keep
 * a route that changed there and changed back. A delta made since a seq
 * from versions (mf_advert_since, below) lists every change after its
 * base and says so on the wire ("s", since_base): it applies on any state
 * of its server from its base up to its seq (mf_advert_delta_applies;
 * docs/routing.md, "Deltas that reach back").
 */
#ifndef MF_ROUTING_ADVERT_DELTA_H
#define MF_ROUTING_ADVERT_DELTA_H

#include "routing/advert.h"

/* The delta that turns base into now (same origin and node, base->seq <
 * now->seq) into *out (base_seq = base->seq, seq = now->seq). A route on the
 * same path whose distance moved from the base's by at most pct percent OR
 * at most ms (the engine's re-advertise threshold: a smaller move is no news,
 * routing/engine.h) is left out: receivers keep the base's distance, which
 * stays within that threshold, so noise does not grow a cumulative delta to
 * the whole state. 0 and 0: any move counts. Returns 0, or 1 when only a
 * full state can say it (transit, gateways or tombstones differ, or another
 * origin or node); *out is then left empty. */
int mf_advert_delta(const struct mf_advert *base, const struct mf_advert *now, double pct, double ms,
		    struct mf_advert *out);

/* Riders (docs/routing.md, "Riders and a shorter header"): what a
 * quiet delta asks of the sender; held: routes left out (set by the call). */
struct mf_advert_quiet {
	bool (*news)(void *ctx, const char *target, double held, double now);
	void *ctx;
	size_t held;
};

/* mf_advert_delta, in the same one walk leaving out each route on base's
 * path (and, with epochs_bound, its epoch) for which news(ctx, target,
 * base's distance, now's distance) is false: receivers keep base's
 * distance. A delta that would list nothing then lists them all (the state
 * goes for these moves, as the engine's re-advertise interval wants).
 * quiet NULL: mf_advert_delta. Returns as mf_advert_delta (MF_ENOMEM
 * included: *out left empty). */
int mf_advert_delta_quiet(const struct mf_advert *base, const struct mf_advert *now, double pct,
			  double ms, struct mf_advert_quiet *quiet, struct mf_advert *out);

/* Whether delta applies to a state of its server at seq held: its base
 * seq; with since_base, any seq from its base up to, not including, its
 * own. Such a delta lists every change after its base, so on any state
 * between base and seq it gives the same state: a delta that reaches back
 * over one that was replaced in a queue serves both those who got that one
 * and those who did not. Without the flag (mf_advert_delta's, and every
 * delta of an agent before route21) a route that changed and changed back
 * in between may be missing from it (docs/routing.md, "Deltas that reach
 * back"). */
bool mf_advert_delta_applies(const struct mf_advert *delta, uint64_t held);

/* The full state base + delta into *out (seq = delta->seq). MF_EINVAL when
 * delta is not a delta of base (origin or node differ, or
 * !mf_advert_delta_applies at base's seq). */
int mf_advert_patch(const struct mf_advert *base, const struct mf_advert *delta, struct mf_advert *out);

/* --- what a delta says (issue 13, point 2: what the advert bytes are) ----
 * Each route of a delta against the base it patches is one of: its next hop
 * changed; its path changed below an unchanged next hop (a downstream DC
 * switched); the same path, its distance moved; only its epoch moved (with
 * feasibility, epochs_bound); other (a target the base lacks, one
 * withdrawn). A state is counted by its first kind in that order, which is
 * what made it go at once unless the engine held it back (a followed
 * choice, a small distance move ride along). */
enum mf_advert_change {
	MF_CHANGE_NEXT_HOP,
	MF_CHANGE_PATH,
	MF_CHANGE_DISTANCE,
	MF_CHANGE_EPOCH,
	MF_CHANGE_OTHER,
	MF_CHANGE_N
};

struct mf_advert_split {
	uint64_t routes[MF_CHANGE_N]; /* entries (routes and withdrawn targets) */
	uint64_t bytes[MF_CHANGE_N];  /* their encoded bytes, names first used by them included */
	uint64_t states[MF_CHANGE_N]; /* deltas, by their first kind */
	uint64_t head_bytes;          /* the rest of the messages: map, keys, origin, seqs */
};

/* Adds delta (of base, as mf_advert_delta made it) to *s; total: its
 * message's bytes. Returns the delta's first kind (MF_CHANGE_OTHER when it
 * lists nothing), or MF_ENOMEM (*s unchanged). */
int mf_advert_delta_split(const struct mf_advert *base, const struct mf_advert *delta, size_t total,
			  struct mf_advert_split *s);

/* --- versions: a delta since any seq a receiver holds ---------------------
 * The sender keeps, beside the state its receivers hold (the held view),
 * the seq at which each route of it last changed, and the targets
 * withdrawn with the seq they went at. "Since h" is then every route that
 * changed after h and every target withdrawn after h: patched onto the
 * state of seq h (whatever came between), it gives the held view exactly
 * (docs/routing.md, "Anti-entropy by digest"). */

struct mf_advert_gone_at {
	char *name;
	uint64_t seq;
};

/* mf_advert_patch, and the versions of out's routes into *out_ver
 * (malloc'd, out->n_routes of them): a route the delta lists is at
 * delta->seq, any other keeps its version in base_ver (base's order). */
int mf_advert_patch_ver(const struct mf_advert *base, const uint64_t *base_ver,
			const struct mf_advert *delta, struct mf_advert *out, uint64_t **out_ver);

/* The delta from seq h to held (seq > h) into *out (base_seq = h,
 * since_base set): the routes of held whose version is past h, and the
 * names in gone[0..n_gone) withdrawn past h. */
int mf_advert_since(const struct mf_advert *held, const uint64_t *ver,
		    const struct mf_advert_gone_at *gone, size_t n_gone, uint64_t h,
		    struct mf_advert *out);

#endif

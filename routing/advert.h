/*
 * routing/advert.h — route advertisements <-> bytes, with msgpack-c.
 *
 * Contract: pure functions, no I/O, no clock, no globals. An advertisement is
 * what one DC tells the servers of its neighbour DCs: the DCs it can reach,
 * each with total distance and full DC path, plus its mesh gateways. The
 * design (fragments, expiry, ordering) is in docs/routing.md.
 *
 * Wire format, version 1: one msgpack map per message. Keys are one letter
 * so that a 500-DC state fits in about ten 1,200-byte fragments.
 *
 *   { "v": 1,                       format version; others are MF_EUNKNOWN
 *     "o": "dc1",                   origin DC
 *     "n": "dc1-s2",                sending server: orders two servers' adverts
 *                                   of one DC that carry the same seq
 *     "q": 1732627200123,           sequence number of the origin's state
 *     "x": true,                    transit: false = carries only itself
 *     "f": [1, 3],                  fragment index, fragment count
 *     "d": ["dc1", "dc2", "dc9"],   names used in THIS fragment; routes
 *                                   and hops refer to them by index
 *     "r": [[1, 412, 1732627100],   route: target index, distance in 0.1 ms,
 *           [2, 1530, 1732600000,   the target's epoch (incarnation), then
 *            1]],                   intermediate hops from origin to target,
 *                                   exclusive (path dc1 dc2 dc9)
 *     "k": [[3, 1732500000]],       tombstones (optional key): DC index and
 *                                   the epoch up to which it is dead
 *     "g": [["dc1-g1",              gateways (optional key): name,
 *            "10.1.0.5:8443",       LAN address,
 *            "203.0.113.5:8443",    WAN address,
 *            {"dc:dc2": "198.51.100.5:8443"}]] tagged addresses, key dc:<name>
 *   }
 *
 * A delta (version 2, routing/advert_delta.h) is the same map, one
 * fragment, with "v": 2 and two more keys; it lists only the routes that
 * differ from a full state the same server sent before:
 *     "b": 1732627200100,           seq of that full state (the base)
 *     "w": [4, 7],                  targets (indexes into "d") the base
 *                                   routes to and this state does not
 *     "s": true,                    optional, since route21: the delta lists
 *                                   every route changed and every target
 *                                   withdrawn after "b", so it also applies
 *                                   on any state of its server between "b"
 *                                   and "q" (routing/advert_delta.h); absent
 *                                   or false: on the state at "b" only
 * Version 3 (route29) is the same delta with a shorter header: "v": 3,
 * "c" in place of "b", and neither "x" nor "f" (a delta is one fragment,
 * and patching keeps its base's transit), "w" only when not empty:
 *     "c": 3,                       seq minus the base's seq (>= 1): the
 *                                   base is "q" - "c"
 * 11 bytes or more less a delta, and 6-8 more where seqs are milliseconds.
 * Gossiped deltas go as version 3; answers to pulls as version 2, so an
 * agent before version 3 still learns every change by pulling (the
 * digests name the newer seq). Decoders take both.
 * Only mf_advert_decode_msg accepts either; a version-1 decoder refuses
 * them as MF_EUNKNOWN, so a delta is never taken for a full state.
 *
 * Every fragment is self-contained (own name table), so a receiver can
 * decode each alone; the whole state is the union of fragments 0..count-1 of
 * one (origin, node, seq), joined by struct mf_advert_asm. Gateways and
 * tombstones are packed before routes, so they usually ride in fragment 0.
 * Full state for
 * push-pull is the same map with "f": [0, 1] and no size limit.
 *
 * Decoders are strict: wrong types, out-of-range indexes, invalid DC names,
 * over-long strings or lists are MF_EMALFORMED, short input MF_ETRUNC; a
 * container that claims more elements than bytes remain is refused before
 * msgpack-c would allocate for it. Unknown keys are ignored (forward
 * compatible). They never read past `len` and never crash on any input.
 */
#ifndef MF_ROUTING_ADVERT_H
#define MF_ROUTING_ADVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define MF_ADVERT_VERSION 1
#define MF_ADVERT_VERSION_DELTA 2
#define MF_ADVERT_VERSION_DELTA3 3  /* a delta's shorter header (route29) */
#define MF_ADVERT_MTU 1200          /* default fragment budget, bytes */
#define MF_ADVERT_FRAGS_MAX 256     /* fragments per state */
#define MF_ADVERT_HOPS_MAX 254      /* intermediate hops per route */
#define MF_ADVERT_GATEWAYS_MAX 64   /* gateways per DC */
#define MF_ADVERT_TAGS_MAX 64       /* tagged addresses per gateway */
#define MF_ADVERT_STR_MAX 255       /* node, gateway, address, tag bytes */

struct mf_gateway_tag {
	char *key;   /* "dc:<name>": the DC that must dial addr instead of wan */
	char *addr;
};

struct mf_gateway {
	char *name;
	char *lan;   /* host:port inside the DC */
	char *wan;   /* host:port for other DCs */
	size_t n_tags;
	struct mf_gateway_tag *tags;
};

struct mf_advert_route {
	uint32_t target;     /* index into names */
	double distance_ms;  /* finite, >= 0; 0.1 ms resolution on the wire */
	uint64_t epoch;      /* the target's incarnation this route reaches */
	uint32_t hops_off;   /* intermediate hops: hops[hops_off .. +n_hops) */
	uint32_t n_hops;
};

/* A tombstone: DC names[dc] is dead in every incarnation <= epoch. */
struct mf_advert_dead {
	uint32_t dc;         /* index into names */
	uint64_t epoch;
};

/* A decoded or to-be-encoded advertisement; every pointer is owned by it. */
struct mf_advert {
	char *origin;
	char *node;
	uint64_t seq;
	bool transit;
	uint32_t frag_index, frag_count;
	size_t n_names;
	char **names;
	char *names_block;   /* when set, names[] point into it (one allocation) */
	size_t n_routes;
	struct mf_advert_route *routes;
	size_t n_hops;
	uint32_t *hops;      /* indexes into names */
	size_t n_gateways;
	struct mf_gateway *gateways;
	size_t n_dead;
	struct mf_advert_dead *dead;
	/* A delta (version 2): the seq of the full state it patches, and the
	 * targets (indexes into names) withdrawn since; base_seq 0: full. */
	uint64_t base_seq;
	size_t n_gone;
	uint32_t *gone;
	bool since_base;     /* a delta's "s": it applies since its base */
	/* Not on the wire: encode a delta as version 2, which agents before
	 * version 3 decode (the node's answers to pulls). */
	bool delta_v2;
	/* Not on the wire: a route's epoch is part of the route (the engine's
	 * states with feasibility, routing/engine.h), so a delta carries a
	 * route whose epoch moved (routing/advert_delta.h). */
	bool epochs_bound;
	/* When set (the in-place reader, reassembly): origin, node, names and
	 * their strings, routes, hops, dead and gone all live in this one
	 * allocation; gateways are still owned one by one. */
	void *block;
};

void mf_advert_free(struct mf_advert *a);
void mf_gateway_free(struct mf_gateway *g);
/* Deep copy of n gateways into *out (malloc'd array, free each then it). */
int mf_gateways_copy(const struct mf_gateway *g, size_t n, struct mf_gateway **out);
/* True when g could travel in an advertisement as it is: a name of 1 to
 * MF_ADVERT_STR_MAX printable bytes, addresses of at most that (NULL counts
 * as empty), at most MF_ADVERT_TAGS_MAX tags of non-empty key and address. */
bool mf_gateway_valid(const struct mf_gateway *g);
/* Same gateways in the same order (NULL strings equal empty ones). */
bool mf_gateways_equal(const struct mf_gateway *a, size_t na, const struct mf_gateway *b, size_t nb);

/* Appends the whole advertisement as one map ("f": [0, 1]), any size. */
int mf_advert_encode_full(msgpack_sbuffer *out, const struct mf_advert *a);

/* Fragments: each buffer holds one map of at most max_bytes. */
struct mf_advert_frags {
	size_t n;
	msgpack_sbuffer *bufs;
};
/* Splits a into self-contained fragments of at most max_bytes each (routes
 * and gateways are never split). MF_ETOOBIG when one item alone does not
 * fit or more than MF_ADVERT_FRAGS_MAX fragments would be needed. */
int mf_advert_encode_frags(const struct mf_advert *a, size_t max_bytes, struct mf_advert_frags *out);
void mf_advert_frags_free(struct mf_advert_frags *f);

/* Decodes one map from buf. With used == NULL the map must fill buf
 * exactly; otherwise *used is the bytes it took (for push-pull state that
 * concatenates several). On failure *a is left empty. */
int mf_advert_decode(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used);
/* Decodes one gossiped message that fills buf: a fragment of full state,
 * or a delta (a->base_seq != 0). */
int mf_advert_decode_msg(const uint8_t *buf, size_t len, struct mf_advert *a);

#endif

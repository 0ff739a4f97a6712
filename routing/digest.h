/*
 * routing/digest.h — anti-entropy by digest: which routing states a member
 * holds, and which it asks a peer for (docs/routing.md, "Anti-entropy by
 * digest").
 *
 * Contract: pure encode/decode, no I/O, no clock, no globals. A digest
 * says "member `node` holds these states": one entry per state, (origin DC,
 * server, seq), a few bytes each where a full state lists a route to every
 * DC (18 KB at 1,000 DCs). A pull says "member `node` wants the states of
 * these servers newer than the seq it holds of each" (0: none held). The
 * same map carries both, told apart by "k":
 *
 *   { "v": 1, "k": 0 (digest) | 1 (pull), "n": "dc1-s2",
 *     "e": [origin, node, seq,  origin, node, seq, ...] }   <- 3 per entry
 *
 * Decoding is strict (mf_mp_unpack; "e" a flat array of whole entries,
 * valid DC names, node names 1..255 bytes, seqs unsigned); unknown keys are
 * ignored, another version is MF_EUNKNOWN.
 */
#ifndef MF_ROUTING_DIGEST_H
#define MF_ROUTING_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "routing/advert.h"

#define MF_DIGEST_VERSION 1
#define MF_DIGEST_KIND_DIGEST 0
#define MF_DIGEST_KIND_PULL 1

struct mf_digest_entry {
	char origin[MF_ADVERT_STR_MAX + 1];
	char node[MF_ADVERT_STR_MAX + 1];
	uint64_t seq;
};

/* Writes the map's head: kind, the sender's node, and n entries to follow
 * (each with mf_digest_put). */
int mf_digest_begin(msgpack_sbuffer *out, int kind, const char *node, size_t n);
int mf_digest_put(msgpack_sbuffer *out, const char *origin, const char *node, uint64_t seq);

/* Decodes a digest or pull at buf[0..len): *kind, the sender's node into
 * `node` (MF_ADVERT_STR_MAX + 1 bytes), and each entry to each(ctx, e)
 * in order (each returns 0 to go on, anything else stops the walk and is
 * returned). 0, MF_EMALFORMED, MF_ETRUNC or MF_EUNKNOWN. */
int mf_digest_decode(const uint8_t *buf, size_t len, int *kind, char *node,
		     int (*each)(void *ctx, const struct mf_digest_entry *e), void *ctx);

/* (seq, node) of a ordered against b: a DC's newest state is the one with
 * the highest seq, the node name breaking ties (routing/engine.h). */
int mf_digest_cmp(uint64_t seq_a, const char *node_a, uint64_t seq_b, const char *node_b);

#endif

/*
 * routing/beat.h — origin beats apart from full state: the small message
 * that carries the epochs (docs/routing.md, "Beats apart from full state").
 *
 * Contract: pure encode/decode, no I/O, no clock, no globals. A beat
 * message says "server `node` of DC `origin` holds these epochs": one entry
 * per DC it advertises a route to (its own first), each 6 bytes: the DC
 * name's 32-bit hash (FNV-1a, low half of gossip/name_hash.h's) and the low
 * 16 bits of the epoch. Receivers know the names (from full state) and the
 * epochs up to a few beats, so they widen the 16 bits against what they
 * hold (serial arithmetic, RFC 1982): at 1,000 DCs a beat is 8 KB, where
 * a full state is 18 KB.
 *
 * Each entry also has an age: how long ago, as the sender estimates it,
 * the DC's own servers raised that epoch (OSPF's LS age; docs/routing.md,
 * "Origin ages"), in units of MF_BEAT_AGE_MS, saturating at
 * MF_BEAT_AGE_MAX (an epoch the sender heard only in a full state, which
 * has no ages, is dated at its arrival). The ages travel in a key of their
 * own, so a beat of an agent that has none decodes with every age 0
 * ("raised now", the rule before ages), and an agent that knows no "a"
 * ignores it (unknown keys are ignored):
 *
 *   { "v": 1, "o": "dc1", "n": "dc1-s2",
 *     "b": bin(k x [u32 BE name hash][u16 BE epoch mod 2^16]),
 *     "a": bin(k x [u16 BE age]) }          <- optional, entry i's age
 *
 * One message per fragment of at most `budget` bytes, each self-contained.
 * Decoding is strict (mf_mp_unpack, valid DC name, node 1..255 bytes, "b"
 * a bin of whole entries, "a" when present a bin of one age per entry);
 * unknown keys are ignored.
 */
#ifndef MF_ROUTING_BEAT_H
#define MF_ROUTING_BEAT_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "routing/advert.h"
#include "routing/names.h"

#define MF_BEAT_VERSION 1
#define MF_BEAT_ENTRY_BYTES 6
#define MF_BEAT_AGE_BYTES 2
/* One unit of an entry's age: 100 ms, so 16 bits hold 109 minutes, far
 * past any max_age, and rounding adds at most 50 ms a hop. */
#define MF_BEAT_AGE_MS 100
#define MF_BEAT_AGE_MAX 0xffff     /* 109 minutes */

struct mf_beat_entry {
	uint32_t dc_hash;  /* mf_beat_dc_hash(name) */
	uint16_t epoch16;  /* epoch mod 2^16 */
	uint16_t age;      /* MF_BEAT_AGE_MS units since the origin raised it */
};

/* A decoded beat message; entries point into the decoded buffer. */
struct mf_beat {
	char origin[MF_RT_NAME_MAX + 1];
	char node[MF_ADVERT_STR_MAX + 1];
	const uint8_t *entries; /* n x MF_BEAT_ENTRY_BYTES */
	const uint8_t *ages;    /* n x MF_BEAT_AGE_BYTES, NULL when not sent */
	size_t n;
};

uint32_t mf_beat_dc_hash(const char *name);
struct mf_beat_entry mf_beat_entry_at(const struct mf_beat *b, size_t i);

/* Packs entries e[0..n) into messages of at most budget bytes each, calling
 * emit(ctx, bytes, len) per message. MF_EINVAL for a budget too small for
 * one entry or a bad origin/node, MF_ENOMEM, or emit's error. */
int mf_beat_encode(const char *origin, const char *node, const struct mf_beat_entry *e, size_t n,
		   size_t budget, int (*emit)(void *ctx, const uint8_t *msg, size_t len), void *ctx);
/* 0, MF_EUNKNOWN (another version), MF_ETRUNC or MF_EMALFORMED. */
int mf_beat_decode(const uint8_t *buf, size_t len, struct mf_beat *out);

#endif

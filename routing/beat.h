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
 * hold (serial arithmetic, RFC 1982): at 1,000 DCs a beat is 6 KB, where
 * a full state is 18 KB.
 *
 *   { "v": 1, "o": "dc1", "n": "dc1-s2",
 *     "b": bin(k x [u32 BE name hash][u16 BE epoch mod 2^16]) }
 *
 * One message per fragment of at most `budget` bytes, each self-contained.
 * Decoding is strict (mf_mp_unpack, valid DC name, node 1..255 bytes, "b"
 * a bin of whole entries); unknown keys are ignored.
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

struct mf_beat_entry {
	uint32_t dc_hash;  /* mf_beat_dc_hash(name) */
	uint16_t epoch16;  /* epoch mod 2^16 */
};

/* A decoded beat message; entries point into the decoded buffer. */
struct mf_beat {
	char origin[MF_RT_NAME_MAX + 1];
	char node[MF_ADVERT_STR_MAX + 1];
	const uint8_t *entries; /* n x MF_BEAT_ENTRY_BYTES */
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

/*
 * gossip/mp.h — msgpack helpers shared by the codecs (codec.c, serf.c).
 *
 * Contract: pure, no allocation except msgpack-c's zone while an object is
 * unpacked. Writing follows go-msgpack (hashicorp/go-msgpack codec,
 * MsgpackHandle without WriteExt): strings and byte slices are the old "raw"
 * family — fixstr up to 31 bytes, then str16 (da), then str32 (db); never
 * str8 (d9) and never bin. msgpack-c's msgpack_pack_v4raw writes exactly
 * that. Reading accepts str, bin and nil for byte fields.
 *
 * mf_mp_unpack is the one entry through which every byte from a peer
 * reaches msgpack-c (gossip codecs, serf glue, coordinates, coordinate
 * announcements, route adverts, push-pull user state); no other file calls
 * msgpack-c's unpacker (tests/gossip_codec/test_one_decoder.sh checks it).
 *
 * Why mf_mp_measure exists: msgpack-c allocates an array's or map's element
 * slots from the declared count before reading the elements, so a 5-byte
 * "dd ff ff ff ff" asks for ~100 GB. mf_mp_unpack first walks the object's
 * headers (no allocation) and refuses any count the remaining bytes cannot
 * hold, then lets msgpack-c unpack it. Strings unpacked by msgpack-c point
 * into the input buffer (its unpacker does not copy str/bin payloads), so
 * views taken from them stay valid while the caller's buffer lives.
 */
#ifndef MF_GOSSIP_MP_H
#define MF_GOSSIP_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "gossip/msg.h"

/* Length of the msgpack object at buf. Returns 1 and *obj_len when it is
 * complete, 0 when buf ends inside it (or declares more elements than the
 * bytes left could hold), MF_EMALFORMED for the never-used byte 0xc1.
 * Allocation-free and iterative, so any nesting depth is safe. */
int mf_mp_measure(const uint8_t *buf, size_t len, size_t *obj_len);

/* One unpacked object; root is valid until mf_mp_done. */
struct mf_mp {
	msgpack_unpacked u;
	const msgpack_object *root;
};
/* Unpacks the object at buf[0..len): *used = its length (bytes after it are
 * left to the caller). MF_ETRUNC when incomplete or when a declared count or
 * length cannot fit in the bytes left (each element takes at least one), so
 * msgpack-c's zone never holds more than ~24 bytes per input byte;
 * MF_EMALFORMED when it is not msgpack or nests deeper than msgpack-c's
 * parse stack. mf_mp_done must be called whatever the result. */
int mf_mp_unpack(const uint8_t *buf, size_t len, struct mf_mp *mp, size_t *used);
void mf_mp_done(struct mf_mp *mp);

/* Field access on a map unpacked by mf_mp_unpack. get returns NULL when the
 * key is absent. The typed getters return MF_EMALFORMED on a wrong type or an
 * out-of-range value. */
const msgpack_object *mf_mp_get(const msgpack_object *map, const char *key);
int mf_mp_uint(const msgpack_object *o, uint64_t max, uint64_t *v);
int mf_mp_int(const msgpack_object *o, int64_t *v);
int mf_mp_bool(const msgpack_object *o, bool *v);
/* str, bin or nil. An empty str or bin is a value, distinct from nil (and
 * from an absent field): {non-NULL, 0}; nil gives {NULL, 0}. So
 * mf_mp_pack_bytes writes each back as it came (nil as nil, "" as ""). */
int mf_mp_bytes(const msgpack_object *o, struct mf_bytes *b);
/* True when o is a str/bin equal to s (len n). */
bool mf_mp_eq(const msgpack_object *o, const char *s, size_t n);
/* A non-empty str copied into out (cap bytes, NUL-terminated): MF_EMALFORMED
 * when o is absent, not a str, empty or too long. */
int mf_mp_str_copy(const msgpack_object *o, char *out, size_t cap);
/* mf_mp_unpack of a map whose "v" is version: MF_EMALFORMED when it is no
 * map or has no small "v", MF_EUNKNOWN for another version. mf_mp_done
 * must be called whatever the result. */
int mf_mp_unpack_versioned(const uint8_t *buf, size_t len, uint64_t version, struct mf_mp *mp,
			   size_t *used);

/* go-msgpack-style writers; they return msgpack-c's status (0, or -1 when
 * the buffer could not grow). mf_mp_pack_bytes writes nil for {NULL, 0} (a
 * Go nil slice) and a raw string otherwise. */
int mf_mp_pack_raw(msgpack_packer *pk, const void *p, size_t len);
int mf_mp_pack_key(msgpack_packer *pk, const char *key);
int mf_mp_pack_bytes(msgpack_packer *pk, struct mf_bytes b);
/* The one-byte message type that precedes a msgpack body (memberlist's and
 * serf's framing): 0, or MF_ENOMEM when the buffer could not grow. */
int mf_mp_put_type(msgpack_sbuffer *out, uint8_t type);

/* Direct writers, for the encoders of one value per member (push-pull node
 * states, serf's StatusLTimes): the same bytes as the writers above, but
 * stored into room taken beforehand with mf_mp_reserve, not each a call
 * through the sbuffer's write callback with its capacity check (msgpack-c
 * packing cost ~2,000 instructions a member of a push-pull, issue 12).
 * Each returns the end of what it wrote. The choices are msgpack-c's
 * (pack_template.h); tests/gossip_codec/test_mp.c compares them on every
 * length and value edge. */
#define MF_MP_UINT_LEN_MAX 9
static inline size_t mf_mp_raw_head_len(size_t len)
{
	return len < 32 ? 1 : len < 65536 ? 3 : 5;
}

/* msgpack_pack_v4raw's header for `len` bytes. */
static inline uint8_t *mf_mp_put_raw_head(uint8_t *o, size_t len)
{
	if (len < 32) {
		*o++ = (uint8_t)(0xa0 | len);
	} else if (len < 65536) {
		*o++ = 0xda;
		*o++ = (uint8_t)(len >> 8);
		*o++ = (uint8_t)len;
	} else {
		*o++ = 0xdb;
		for (int sh = 24; sh >= 0; sh -= 8)
			*o++ = (uint8_t)(len >> sh);
	}
	return o;
}

/* mf_mp_pack_raw: header, then the bytes. */
static inline uint8_t *mf_mp_put_raw(uint8_t *o, const void *p, size_t len)
{
	o = mf_mp_put_raw_head(o, len);
	if (len > 0)
		memcpy(o, p, len);
	return o + len;
}

/* mf_mp_pack_bytes: nil for {NULL, 0}, else raw. */
static inline size_t mf_mp_bytes_len(struct mf_bytes b)
{
	return (!b.p && !b.len) ? 1 : mf_mp_raw_head_len(b.len) + b.len;
}
static inline uint8_t *mf_mp_put_bytes(uint8_t *o, struct mf_bytes b)
{
	if (!b.p && !b.len) {
		*o++ = 0xc0;
		return o;
	}
	return mf_mp_put_raw(o, b.p, b.len);
}

/* msgpack_pack_uint8/16/32/64: the shortest form that holds v. */
static inline uint8_t *mf_mp_put_uint(uint8_t *o, uint64_t v)
{
	int bytes;
	if (v < 128) {
		*o++ = (uint8_t)v;
		return o;
	} else if (v < 256) {
		*o++ = 0xcc;
		bytes = 1;
	} else if (v < 65536) {
		*o++ = 0xcd;
		bytes = 2;
	} else if (v < ((uint64_t)1 << 32)) {
		*o++ = 0xce;
		bytes = 4;
	} else {
		*o++ = 0xcf;
		bytes = 8;
	}
	for (int sh = 8 * (bytes - 1); sh >= 0; sh -= 8)
		*o++ = (uint8_t)(v >> sh);
	return o;
}

/* Room for `need` more bytes at the end of out, in one allocation: where
 * to write them (the caller then adds what it wrote to out->size), or NULL
 * when out could not grow. */
uint8_t *mf_mp_reserve(msgpack_sbuffer *out, size_t need);

#endif

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

#endif

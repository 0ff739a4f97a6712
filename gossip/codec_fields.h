/*
 * gossip/codec_fields.h — the msgpack field readers every codec of gossip/
 * shares: memberlist's (gossip/codec*.c) and serf's (gossip/serf.c,
 * gossip/serf_query.c). Typed fields of a decoded map, with go-msgpack's
 * leniency (nil reads as zero, any integer width, str or bin). Not a public
 * header; defined in gossip/codec_fields.c, which calls none of its users.
 */
#ifndef MF_GOSSIP_CODEC_FIELDS_H
#define MF_GOSSIP_CODEC_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"
#include "gossip/mp.h"

/* `rc = x`, and on failure to the function's `out:` label. */
#define TRY(x) do { if ((rc = (x)) != 0) goto out; } while (0)

/* 0, or MF_ENOMEM when any of the or'ed msgpack writes failed. */
int mf_codec__done(int e);

/* Unpacks body as one map; the caller reads fields, then mf_mp_done. */
int mf_codec__open_map(const uint8_t *body, size_t len, struct mf_mp *mp, size_t *used);

/* Fields of a decoded map, by key. A missing field is MF_EMALFORMED when
 * `req`, else zero/empty; nil reads as zero (go-msgpack). */
int mf_codec__get_uint(const msgpack_object *m, const char *k, bool req, uint64_t max,
		       uint64_t *v);
int mf_codec__get_int(const msgpack_object *m, const char *k, bool req, int64_t *v);
int mf_codec__get_bool(const msgpack_object *m, const char *k, bool *v);
/* Byte field, at most max bytes (MF_ETOOBIG beyond). */
int mf_codec__get_bytes(const msgpack_object *m, const char *k, bool req, size_t max,
			struct mf_bytes *b);
/* An IP address field: empty, 4 or 16 raw bytes. */
int mf_codec__get_addr(const msgpack_object *m, const char *k, bool req, struct mf_bytes *b);

#endif

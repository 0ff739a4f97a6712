#include "gossip/mp.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

enum hdr_kind { K_BYTES, K_EXT, K_ARRAY, K_MAP };

int mf_mp_measure(const uint8_t *buf, size_t len, size_t *obj_len)
{
	size_t off = 0;
	uint64_t pending = 1; /* objects still to read; a map counts 2 per pair */

	while (pending > 0) {
		/* Every object takes at least one byte: a count the rest of the
		 * buffer cannot hold is incomplete, never worth allocating for. */
		if (pending > len - off)
			return 0;
		uint8_t b = buf[off++];
		uint64_t skip = 0, items = 0;
		size_t hdr = 0;
		enum hdr_kind kind = K_BYTES;

		if (b <= 0x7f || b >= 0xe0) {
			/* fixint */
		} else if (b <= 0x8f) {
			items = 2u * (b & 0x0fu);
		} else if (b <= 0x9f) {
			items = b & 0x0fu;
		} else if (b <= 0xbf) {
			skip = b & 0x1fu;
		} else {
			switch (b) {
			case 0xc0: case 0xc2: case 0xc3: break;
			case 0xc1: return MF_EMALFORMED;
			case 0xc4: case 0xd9: hdr = 1; break;
			case 0xc5: case 0xda: hdr = 2; break;
			case 0xc6: case 0xdb: hdr = 4; break;
			case 0xc7: hdr = 1; kind = K_EXT; break;
			case 0xc8: hdr = 2; kind = K_EXT; break;
			case 0xc9: hdr = 4; kind = K_EXT; break;
			case 0xca: skip = 4; break;
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: hdr = 2; kind = K_ARRAY; break;
			case 0xdd: hdr = 4; kind = K_ARRAY; break;
			case 0xde: hdr = 2; kind = K_MAP; break;
			case 0xdf: hdr = 4; kind = K_MAP; break;
			}
		}
		if (hdr) {
			if (len - off < hdr)
				return 0;
			uint64_t v = be(buf + off, hdr);
			off += hdr;
			switch (kind) {
			case K_BYTES: skip = v; break;
			case K_EXT: skip = v + 1; break; /* the ext type byte */
			case K_ARRAY: items = v; break;
			case K_MAP: items = 2 * v; break;
			}
		}
		if (skip > len - off)
			return 0;
		off += (size_t)skip;
		pending = pending - 1 + items;
	}
	*obj_len = off;
	return 1;
}

int mf_mp_unpack(const uint8_t *buf, size_t len, struct mf_mp *mp, size_t *used)
{
	size_t n = 0, off = 0;
	int rc = mf_mp_measure(buf, len, &n);

	mp->root = NULL;
	msgpack_unpacked_init(&mp->u);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return MF_ETRUNC;
	switch (msgpack_unpack_next(&mp->u, (const char *)buf, n, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		return MF_ENOMEM;
	default: /* deeper nesting than msgpack-c's parse stack, ... */
		return MF_EMALFORMED;
	}
	mp->root = &mp->u.data;
	if (used)
		*used = off;
	return 0;
}

void mf_mp_done(struct mf_mp *mp)
{
	msgpack_unpacked_destroy(&mp->u);
	mp->root = NULL;
}

bool mf_mp_eq(const msgpack_object *o, const char *s, size_t n)
{
	struct mf_bytes b;
	if (o->type == MSGPACK_OBJECT_NIL || mf_mp_bytes(o, &b) < 0 || b.len != n)
		return false;
	return n == 0 || memcmp(b.p, s, n) == 0;
}

const msgpack_object *mf_mp_get(const msgpack_object *map, const char *key)
{
	size_t n = strlen(key);

	if (map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];
		if (mf_mp_eq(&kv->key, key, n))
			return &kv->val;
	}
	return NULL;
}

int mf_mp_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return MF_EMALFORMED;
	*v = o->via.u64;
	return 0;
}

int mf_mp_int(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
		*v = (int64_t)o->via.u64;
		return 0;
	}
	return MF_EMALFORMED;
}

int mf_mp_bool(const msgpack_object *o, bool *v)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return MF_EMALFORMED;
	*v = o->via.boolean;
	return 0;
}

/* An empty str/bin's pointer: msgpack-c leaves it NULL when the value is
 * the buffer's first of its kind, else pointing at an earlier value. */
static const uint8_t empty_bytes[1];

int mf_mp_bytes(const msgpack_object *o, struct mf_bytes *b)
{
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		b->len = o->via.str.size;
		b->p = b->len ? (const uint8_t *)o->via.str.ptr : empty_bytes;
		return 0;
	case MSGPACK_OBJECT_BIN:
		b->len = o->via.bin.size;
		b->p = b->len ? (const uint8_t *)o->via.bin.ptr : empty_bytes;
		return 0;
	case MSGPACK_OBJECT_NIL:
		b->p = NULL;
		b->len = 0;
		return 0;
	default:
		return MF_EMALFORMED;
	}
}

int mf_mp_pack_raw(msgpack_packer *pk, const void *p, size_t len)
{
	int e = msgpack_pack_v4raw(pk, len);
	if (len)
		e |= msgpack_pack_v4raw_body(pk, p, len);
	return e;
}

int mf_mp_pack_key(msgpack_packer *pk, const char *key)
{
	return mf_mp_pack_raw(pk, key, strlen(key));
}

uint8_t *mf_mp_reserve(msgpack_sbuffer *out, size_t need)
{
	if (out->alloc - out->size < need) {
		char *b = realloc(out->data, out->size + need);
		if (b == NULL)
			return NULL;
		out->data = b;
		out->alloc = out->size + need;
	}
	return (uint8_t *)out->data + out->size;
}

int mf_mp_put_type(msgpack_sbuffer *out, uint8_t type)
{
	return msgpack_sbuffer_write(out, (const char *)&type, 1) ? MF_ENOMEM : 0;
}

int mf_mp_pack_bytes(msgpack_packer *pk, struct mf_bytes b)
{
	if (!b.p && !b.len)
		return msgpack_pack_nil(pk);
	return mf_mp_pack_raw(pk, b.p, b.len);
}

int mf_mp_str_copy(const msgpack_object *o, char *out, size_t cap)
{
	struct mf_bytes b;
	if (!o || o->type != MSGPACK_OBJECT_STR || mf_mp_bytes(o, &b) < 0 || b.len == 0 ||
	    b.len >= cap)
		return MF_EMALFORMED;
	memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	return 0;
}

int mf_mp_unpack_versioned(const uint8_t *buf, size_t len, uint64_t version, struct mf_mp *mp,
			   size_t *used)
{
	uint64_t v = 0;
	int rc = mf_mp_unpack(buf, len, mp, used);
	if (rc == 0 && mp->root->type != MSGPACK_OBJECT_MAP)
		rc = MF_EMALFORMED;
	const msgpack_object *ver = rc == 0 ? mf_mp_get(mp->root, "v") : NULL;
	if (rc == 0 && (!ver || mf_mp_uint(ver, UINT8_MAX, &v) < 0))
		rc = MF_EMALFORMED;
	if (rc == 0 && v != version)
		rc = MF_EUNKNOWN;
	return rc;
}

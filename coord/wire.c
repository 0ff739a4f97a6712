/*
 * coord/wire.c — serf's ack payload with msgpack-c. See wire.h.
 */
#include "coord/wire.h"

#include <msgpack.h>
#include <string.h>

#include "gossip/err.h"

/* msgpack-c writes through a callback; this one fills a fixed buffer. */
struct fixed_buf {
	uint8_t *buf;
	size_t cap, len;
	int overflow;
};

static int fixed_write(void *data, const char *p, size_t n)
{
	struct fixed_buf *b = data;
	if (n > b->cap - b->len) {
		b->overflow = 1;
		return -1;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static void pack_key(msgpack_packer *pk, const char *k)
{
	size_t n = strlen(k);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, k, n);
}

int mf_coord_wire_encode(const struct mf_coord *c, uint8_t *buf, size_t cap,
			 size_t *len)
{
	struct fixed_buf b = {.buf = buf, .cap = cap};
	msgpack_packer pk;

	if (c->dim > MF_COORD_DIM_MAX)
		return MF_EINVAL;
	if (cap < 1)
		return MF_ETOOBIG;
	buf[b.len++] = MF_COORD_PING_VERSION;
	msgpack_packer_init(&pk, &b, fixed_write);
	/* go-msgpack's order for serf's Coordinate (see the captures). */
	msgpack_pack_map(&pk, 4);
	pack_key(&pk, "Adjustment");
	msgpack_pack_double(&pk, c->adjustment);
	pack_key(&pk, "Error");
	msgpack_pack_double(&pk, c->error);
	pack_key(&pk, "Height");
	msgpack_pack_double(&pk, c->height);
	pack_key(&pk, "Vec");
	msgpack_pack_array(&pk, c->dim);
	for (unsigned i = 0; i < c->dim; i++)
		msgpack_pack_double(&pk, c->vec[i]);
	if (b.overflow)
		return MF_ETOOBIG;
	*len = b.len;
	return MF_OK;
}

static int as_double(const msgpack_object *o, double *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT64:
	case MSGPACK_OBJECT_FLOAT32:
		*out = o->via.f64;
		return MF_OK;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return MF_OK;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return MF_OK;
	default:
		return MF_EMALFORMED;
	}
}

static int key_is(const msgpack_object *k, const char *name)
{
	size_t n = strlen(name);
	if (k->type == MSGPACK_OBJECT_STR)
		return k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0;
	if (k->type == MSGPACK_OBJECT_BIN)
		return k->via.bin.size == n && memcmp(k->via.bin.ptr, name, n) == 0;
	return 0;
}

static int decode_vec(const msgpack_object *v, struct mf_coord *out)
{
	if (v->type == MSGPACK_OBJECT_NIL) {
		out->dim = 0;
		return MF_OK;
	}
	if (v->type != MSGPACK_OBJECT_ARRAY)
		return MF_EMALFORMED;
	if (v->via.array.size > MF_COORD_DIM_MAX)
		return MF_ETOOBIG;
	out->dim = v->via.array.size;
	for (unsigned i = 0; i < out->dim; i++) {
		int rc = as_double(&v->via.array.ptr[i], &out->vec[i]);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

static int decode_map(const msgpack_object *o, struct mf_coord *out)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		const msgpack_object *v = &o->via.map.ptr[i].val;
		int rc = MF_OK;
		if (key_is(k, "Adjustment"))
			rc = as_double(v, &out->adjustment);
		else if (key_is(k, "Error"))
			rc = as_double(v, &out->error);
		else if (key_is(k, "Height"))
			rc = as_double(v, &out->height);
		else if (key_is(k, "Vec"))
			rc = decode_vec(v, out);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

static uint32_t be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * msgpack-c allocates an array's or map's slots from the declared count
 * before reading any element, so "dd ff ff ff ff" asks for ~100 GB. Walk
 * the headers first (no allocation) and refuse any count the bytes left
 * cannot hold: every element takes at least one byte. Same idea as
 * gossip/mp.h's mf_mp_measure, which mf_coord does not link.
 * Returns 0 if the object is complete, MF_ETRUNC or MF_EMALFORMED.
 */
static int precheck(const uint8_t *p, size_t len)
{
	size_t pending = 1, i = 0;
	while (pending > 0) {
		if (i >= len)
			return MF_ETRUNC;
		uint8_t t = p[i++];
		size_t skip = 0, count = 0, hdr = 0;
		pending--;
		if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
			/* fixint, nil, bool */
		} else if (t >= 0x80 && t <= 0x8f) {
			count = 2 * (size_t)(t & 0x0f);
		} else if (t >= 0x90 && t <= 0x9f) {
			count = t & 0x0f;
		} else if (t >= 0xa0 && t <= 0xbf) {
			skip = t & 0x1f;
		} else {
			switch (t) {
			case 0xc4: case 0xd9: hdr = 1; break;           /* bin8, str8 */
			case 0xc5: case 0xda: hdr = 2; break;           /* bin16, str16 */
			case 0xc6: case 0xdb: hdr = 4; break;           /* bin32, str32 */
			case 0xc7: hdr = 1; skip = 1; break;            /* ext8 (+type) */
			case 0xc8: hdr = 2; skip = 1; break;
			case 0xc9: hdr = 4; skip = 1; break;
			case 0xca: case 0xce: case 0xd2: skip = 4; break;
			case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xd4: skip = 2; break;                     /* fixext */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xde: hdr = 2; break;           /* array16, map16 */
			case 0xdd: case 0xdf: hdr = 4; break;           /* array32, map32 */
			default: return MF_EMALFORMED;                  /* 0xc1 */
			}
			if (hdr > 0) {
				if (len - i < hdr)
					return MF_ETRUNC;
				size_t n = be(p + i, (unsigned)hdr);
				i += hdr;
				if (t == 0xdc || t == 0xdd)
					count = n;
				else if (t == 0xde || t == 0xdf)
					count = 2 * n;
				else
					skip += n;
			}
		}
		if (len - i < skip)
			return MF_ETRUNC;
		i += skip;
		if (count > len - i)
			return MF_EMALFORMED; /* cannot fit: refuse before allocating */
		pending += count;
		if (pending > len - i)
			return MF_EMALFORMED;
	}
	return MF_OK;
}

int mf_coord_wire_decode(const uint8_t *buf, size_t len, struct mf_coord *out)
{
	msgpack_unpacked u;
	size_t off = 0;
	int rc;

	if (len < 1)
		return MF_ETRUNC;
	if (buf[0] != MF_COORD_PING_VERSION)
		return MF_EUNKNOWN;
	memset(out, 0, sizeof(*out));
	rc = precheck(buf + 1, len - 1);
	if (rc < 0)
		return rc;
	msgpack_unpacked_init(&u);
	switch (msgpack_unpack_next(&u, (const char *)buf + 1, len - 1, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
	case MSGPACK_UNPACK_EXTRA_BYTES:
		rc = decode_map(&u.data, out);
		break;
	case MSGPACK_UNPACK_CONTINUE:
		rc = MF_ETRUNC;
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		rc = MF_ENOMEM;
		break;
	default:
		rc = MF_EMALFORMED;
		break;
	}
	msgpack_unpacked_destroy(&u);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/*
 * coord/wire.c — serf's ack payload with msgpack-c. See wire.h.
 */
#include "coord/wire.h"

#include <msgpack.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"

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
	mf_mp_pack_key(&pk, "Adjustment");
	msgpack_pack_double(&pk, c->adjustment);
	mf_mp_pack_key(&pk, "Error");
	msgpack_pack_double(&pk, c->error);
	mf_mp_pack_key(&pk, "Height");
	msgpack_pack_double(&pk, c->height);
	mf_mp_pack_key(&pk, "Vec");
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

int mf_coord_wire_decode(const uint8_t *buf, size_t len, struct mf_coord *out)
{
	struct mf_mp mp;
	int rc;

	if (len < 1)
		return MF_ETRUNC;
	if (buf[0] != MF_COORD_PING_VERSION)
		return MF_EUNKNOWN;
	memset(out, 0, sizeof(*out));
	/* Peer bytes: only through the checked entry (gossip/mp.h). Bytes after
	 * the object are allowed, as go-msgpack's decoder allows them. */
	rc = mf_mp_unpack(buf + 1, len - 1, &mp, NULL);
	if (rc == 0)
		rc = decode_map(mp.root, out);
	mf_mp_done(&mp);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

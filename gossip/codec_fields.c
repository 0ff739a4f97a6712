/*
 * gossip/codec_fields.c — the field readers and writers every codec file
 * uses (gossip/codec_internal.h): typed fields of a decoded msgpack map with
 * go-msgpack's leniency (nil reads as zero, any integer width, str or bin),
 * and the type byte every message starts with.
 */
#include <string.h>

#include "gossip/codec_internal.h"

int mf_codec__done(int e)
{
	return e ? MF_ENOMEM : 0;
}

int mf_codec__get_uint(const msgpack_object *m, const char *k, bool req, uint64_t max,
		       uint64_t *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = 0;
	if (!o)
		return req ? MF_EMALFORMED : 0;
	if (o->type == MSGPACK_OBJECT_NIL) /* go-msgpack: nil decodes to zero */
		return req ? MF_EMALFORMED : 0;
	return mf_mp_uint(o, max, v);
}

int mf_codec__get_int(const msgpack_object *m, const char *k, bool req, int64_t *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = 0;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return req ? MF_EMALFORMED : 0;
	return mf_mp_int(o, v);
}

int mf_codec__get_bool(const msgpack_object *m, const char *k, bool *v)
{
	const msgpack_object *o = mf_mp_get(m, k);

	*v = false;
	if (!o || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	return mf_mp_bool(o, v);
}

int mf_codec__get_bytes(const msgpack_object *m, const char *k, bool req, size_t max,
			struct mf_bytes *b)
{
	const msgpack_object *o = mf_mp_get(m, k);

	b->p = NULL;
	b->len = 0;
	if (!o)
		return req ? MF_EMALFORMED : 0;
	int rc = mf_mp_bytes(o, b);
	if (rc)
		return rc;
	return b->len > max ? MF_ETOOBIG : 0;
}

int mf_codec__get_addr(const msgpack_object *m, const char *k, bool req, struct mf_bytes *b)
{
	int rc = mf_codec__get_bytes(m, k, req, 16, b);
	if (rc == MF_ETOOBIG)
		return MF_EMALFORMED;
	if (rc == 0 && b->len != 0 && b->len != 4 && b->len != 16)
		return MF_EMALFORMED;
	if (rc == 0 && req && b->len == 0)
		return MF_EMALFORMED;
	return rc;
}

int mf_codec__get_vsn(const msgpack_object *m, uint8_t vsn[MF_VSN_LEN], bool *has_vsn)
{
	struct mf_bytes b;
	int rc = mf_codec__get_bytes(m, "Vsn", false, SIZE_MAX, &b);

	*has_vsn = false;
	memset(vsn, 0, MF_VSN_LEN);
	if (rc)
		return rc;
	if (b.len == MF_VSN_LEN) {
		memcpy(vsn, b.p, MF_VSN_LEN);
		*has_vsn = true;
	}
	return 0;
}

int mf_codec__pack_vsn(msgpack_packer *pk, const uint8_t vsn[MF_VSN_LEN], bool has_vsn)
{
	if (!has_vsn)
		return msgpack_pack_nil(pk);
	return mf_mp_pack_raw(pk, vsn, MF_VSN_LEN);
}

int mf_codec__open_map(const uint8_t *body, size_t len, struct mf_mp *mp, size_t *used)
{
	int rc = mf_mp_unpack(body, len, mp, used);
	if (rc)
		return rc;
	if (mp->root->type != MSGPACK_OBJECT_MAP)
		return MF_EMALFORMED;
	return 0;
}

#include "gossip/serf.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/codec_fields.h"
#include "gossip/mp_read.h"

/* ---- tags ---- */

int mf_serf_encode_tags(const struct mf_tag *t, size_t n, uint8_t *buf, size_t cap, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t magic = MF_SERF_TAG_MAGIC;
	int e, rc = 0;

	*len = 0;
	for (size_t i = 0; i < n; i++)
		if (!memchr(t[i].key, '\0', MF_TAG_KEY_MAX) ||
		    !memchr(t[i].value, '\0', MF_TAG_VALUE_MAX))
			return MF_EINVAL;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	e = msgpack_sbuffer_write(&sb, (const char *)&magic, 1);
	e |= msgpack_pack_map(&pk, n);
	for (size_t i = 0; i < n; i++) {
		e |= mf_mp_pack_key(&pk, t[i].key);
		e |= mf_mp_pack_key(&pk, t[i].value);
	}
	if (e)
		rc = MF_ENOMEM;
	else if (sb.size > MF_META_MAX || sb.size > cap)
		rc = MF_ETOOBIG;
	else {
		memcpy(buf, sb.data, sb.size);
		*len = sb.size;
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static int copy_str(char *dst, size_t cap, struct mf_bytes b)
{
	if (b.len >= cap)
		return MF_ETOOBIG;
	if (b.len)
		memcpy(dst, b.p, b.len);
	dst[b.len] = '\0';
	return 0;
}

int mf_serf_decode_tags(const uint8_t *meta, size_t len, struct mf_tag *t, size_t max, size_t *n)
{
	struct mf_mp mp;
	int rc = 0;

	*n = 0;
	if (len == 0 || meta[0] != MF_SERF_TAG_MAGIC) {
		/* serf.go decodeTags: backwards compatible role-only meta */
		if (max < 1)
			return MF_ETOOBIG;
		strcpy(t[0].key, "role");
		rc = copy_str(t[0].value, MF_TAG_VALUE_MAX, (struct mf_bytes){meta, len});
		if (rc == 0)
			*n = 1;
		return rc;
	}
	rc = mf_mp_unpack(meta + 1, len - 1, &mp, NULL);
	if (rc) {
		mf_mp_done(&mp);
		return rc;
	}
	if (mp.root->type != MSGPACK_OBJECT_MAP) {
		rc = MF_EMALFORMED;
		goto out;
	}
	if (mp.root->via.map.size > max) {
		rc = MF_ETOOBIG;
		goto out;
	}
	for (uint32_t i = 0; i < mp.root->via.map.size; i++) {
		const msgpack_object_kv *kv = &mp.root->via.map.ptr[i];
		struct mf_bytes k, v;
		if (kv->key.type == MSGPACK_OBJECT_NIL || kv->val.type == MSGPACK_OBJECT_NIL ||
		    mf_mp_bytes(&kv->key, &k) || mf_mp_bytes(&kv->val, &v)) {
			rc = MF_EMALFORMED;
			goto out;
		}
		if ((rc = copy_str(t[i].key, MF_TAG_KEY_MAX, k)) ||
		    (rc = copy_str(t[i].value, MF_TAG_VALUE_MAX, v)))
			goto out;
		(*n)++;
	}
out:
	if (rc)
		*n = 0;
	mf_mp_done(&mp);
	return rc;
}

bool mf_serf_meta_role_is(const uint8_t *meta, size_t len, const char *role)
{
	size_t rlen = strlen(role);
	struct mf_mp mp;
	bool is = false;

	if (len == 0 || meta[0] != MF_SERF_TAG_MAGIC) /* serf.go decodeTags, legacy */
		return len == rlen && (len == 0 || memcmp(meta, role, len) == 0);
	if (mf_mp_unpack(meta + 1, len - 1, &mp, NULL) == 0 &&
	    mp.root->type == MSGPACK_OBJECT_MAP) {
		const msgpack_object *o = mf_mp_get(mp.root, "role");
		struct mf_bytes v;
		is = o != NULL && mf_mp_bytes(o, &v) == 0 && v.len == rlen &&
		     (rlen == 0 || memcmp(v.p, role, rlen) == 0);
	}
	mf_mp_done(&mp);
	return is;
}

int mf_serf_msg_type(const uint8_t *msg, size_t len)
{
	return len ? msg[0] : MF_ETRUNC;
}

/* ---- join / leave ---- */

/* messageJoin: [1] {LTime, Node}. Captured from serf:
 *   01 82 a5"LTime" 02 a4"Node" a2"u4" */
int mf_serf_encode_join(msgpack_sbuffer *out, const struct mf_serf_join *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_JOIN);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, m->ltime);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, m->node.p, m->node.len);
	return mf_codec__done(e);
}

/* messageLeave: [0] {LTime, Node, Prune} */
int mf_serf_encode_leave(msgpack_sbuffer *out, const struct mf_serf_leave *m)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_LEAVE);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 3);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, m->ltime);
	e |= mf_mp_pack_key(&pk, "Node");
	e |= mf_mp_pack_raw(&pk, m->node.p, m->node.len);
	e |= mf_mp_pack_key(&pk, "Prune");
	e |= m->prune ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	return mf_codec__done(e);
}

/* messageJoin laid out as mf_serf_encode_join (and serf) writes it,
 * 82 a5"LTime" uint a4"Node" raw(1..MF_NAME_MAX), read in place: every
 * member hears each join intent retransmit_mult x log10 N times. Any other
 * layout: false, for the general decoder. */
static bool join_in_place(const uint8_t *body, size_t len, struct mf_serf_join *m)
{
	struct mf_mp_rd r = { body, body + len };
	if (len < 1 || body[0] != 0x82)
		return false;
	r.p++;
	return mf_mp_rd_key(&r, "LTime", 5) && mf_mp_rd_uint(&r, UINT64_MAX, &m->ltime) &&
	       mf_mp_rd_key(&r, "Node", 4) && mf_mp_rd_raw(&r, false, MF_NAME_MAX, &m->node);
}

int mf_serf_decode_join(const uint8_t *body, size_t len, struct mf_serf_join *m)
{
	struct mf_mp mp;
	int rc;

	memset(m, 0, sizeof(*m));
	if (join_in_place(body, len, m))
		return 0;
	memset(m, 0, sizeof(*m));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_uint(mp.root, "LTime", true, UINT64_MAX, &m->ltime);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Node", true, MF_NAME_MAX, &m->node);
	mf_mp_done(&mp);
	return rc;
}

int mf_serf_decode_leave(const uint8_t *body, size_t len, struct mf_serf_leave *m)
{
	struct mf_mp mp;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_uint(mp.root, "LTime", true, UINT64_MAX, &m->ltime);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Node", true, MF_NAME_MAX, &m->node);
	if (rc == 0)
		rc = mf_codec__get_bool(mp.root, "Prune", &m->prune);
	mf_mp_done(&mp);
	return rc;
}

/* ---- push-pull ----
 * messagePushPull, keys sorted. Captured from serf (a join, one member):
 *   02 86 aa"EventLTime" 01 a6"Events" dc0200 c0*512 a5"LTime" 01
 *         ab"LeftMembers" 90 aa"QueryLTime" 01 ac"StatusLTimes" 81 a2"u3" 00 */
int mf_serf_encode_push_pull(msgpack_sbuffer *out, const struct mf_serf_push_pull *pp)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_PUSH_PULL);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 6);
	e |= mf_mp_pack_key(&pk, "EventLTime");
	e |= msgpack_pack_uint64(&pk, pp->event_ltime);
	e |= mf_mp_pack_key(&pk, "Events");
	e |= msgpack_pack_array(&pk, 0);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, pp->ltime);
	e |= mf_mp_pack_key(&pk, "LeftMembers");
	e |= msgpack_pack_array(&pk, pp->n_left);
	for (size_t i = 0; i < pp->n_left; i++)
		e |= mf_mp_pack_raw(&pk, pp->left[i].p, pp->left[i].len);
	e |= mf_mp_pack_key(&pk, "QueryLTime");
	e |= msgpack_pack_uint64(&pk, pp->query_ltime);
	e |= mf_mp_pack_key(&pk, "StatusLTimes");
	e |= msgpack_pack_map(&pk, pp->n_status);
	if (e)
		return mf_codec__done(e);
	/* One name and LTime a member: written straight into room taken at
	 * once (mp.h's direct writers), as the push-pull's node states are. */
	size_t need = 0;
	for (size_t i = 0; i < pp->n_status; i++)
		need += mf_mp_raw_head_len(pp->status[i].node.len) + pp->status[i].node.len +
			MF_MP_UINT_LEN_MAX;
	uint8_t *o = mf_mp_reserve(out, need);
	if (o == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < pp->n_status; i++) {
		o = mf_mp_put_raw(o, pp->status[i].node.p, pp->status[i].node.len);
		o = mf_mp_put_uint(o, pp->status[i].ltime);
	}
	out->size = (size_t)(o - (uint8_t *)out->data);
	return 0;
}

int mf_serf_decode_push_pull(const uint8_t *body, size_t len, struct mf_serf_push_pull *pp)
{
	struct mf_mp mp;
	const msgpack_object *o;
	int rc;

	memset(pp, 0, sizeof(*pp));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc)
		goto out;
	if ((rc = mf_codec__get_uint(mp.root, "LTime", false, UINT64_MAX, &pp->ltime)) ||
	    (rc = mf_codec__get_uint(mp.root, "EventLTime", false, UINT64_MAX, &pp->event_ltime)) ||
	    (rc = mf_codec__get_uint(mp.root, "QueryLTime", false, UINT64_MAX, &pp->query_ltime)))
		goto out;
	o = mf_mp_get(mp.root, "StatusLTimes");
	if (o && o->type == MSGPACK_OBJECT_MAP && o->via.map.size > 0) {
		pp->status = calloc(o->via.map.size, sizeof(*pp->status));
		if (!pp->status) {
			rc = MF_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			struct mf_serf_status_ltime *s = &pp->status[i];
			if ((rc = mf_mp_bytes(&kv->key, &s->node)) ||
			    (rc = mf_mp_uint(&kv->val, UINT64_MAX, &s->ltime)))
				goto out;
			pp->n_status++;
		}
	} else if (o && o->type != MSGPACK_OBJECT_NIL && o->type != MSGPACK_OBJECT_MAP) {
		rc = MF_EMALFORMED;
		goto out;
	}
	o = mf_mp_get(mp.root, "LeftMembers");
	if (o && o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size > 0) {
		pp->left = calloc(o->via.array.size, sizeof(*pp->left));
		if (!pp->left) {
			rc = MF_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if ((rc = mf_mp_bytes(&o->via.array.ptr[i], &pp->left[i])))
				goto out;
			pp->n_left++;
		}
	} else if (o && o->type != MSGPACK_OBJECT_NIL && o->type != MSGPACK_OBJECT_ARRAY) {
		rc = MF_EMALFORMED;
		goto out;
	}
out:
	mf_mp_done(&mp);
	if (rc)
		mf_serf_push_pull_free(pp);
	return rc;
}

void mf_serf_push_pull_free(struct mf_serf_push_pull *pp)
{
	free(pp->status);
	free(pp->left);
	pp->status = NULL;
	pp->left = NULL;
	pp->n_status = 0;
	pp->n_left = 0;
}

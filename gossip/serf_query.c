/* gossip/serf_query.c — see gossip/serf_query.h. */
#include "gossip/serf_query.h"

#include <math.h>
#include <string.h>

#include "gossip/codec_fields.h"
#include "gossip/serf.h"

/* ---- query ---- */

int mf_serf_encode_query(msgpack_sbuffer *out, const struct mf_serf_query *q)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_QUERY);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 11);
	e |= mf_mp_pack_key(&pk, "Addr");
	e |= mf_mp_pack_bytes(&pk, q->addr);
	e |= mf_mp_pack_key(&pk, "Filters");
	if (q->n_filters == 0) {
		e |= msgpack_pack_nil(&pk);
	} else {
		e |= msgpack_pack_array(&pk, q->n_filters);
		for (size_t i = 0; i < q->n_filters; i++)
			e |= mf_mp_pack_raw(&pk, q->filters[i].p, q->filters[i].len);
	}
	e |= mf_mp_pack_key(&pk, "Flags");
	e |= msgpack_pack_uint32(&pk, q->flags);
	e |= mf_mp_pack_key(&pk, "ID");
	e |= msgpack_pack_uint32(&pk, q->id);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, q->ltime);
	e |= mf_mp_pack_key(&pk, "Name");
	e |= mf_mp_pack_raw(&pk, q->name.p, q->name.len);
	e |= mf_mp_pack_key(&pk, "Payload");
	e |= mf_mp_pack_bytes(&pk, q->payload);
	e |= mf_mp_pack_key(&pk, "Port");
	e |= msgpack_pack_uint16(&pk, q->port);
	e |= mf_mp_pack_key(&pk, "RelayFactor");
	e |= msgpack_pack_uint8(&pk, q->relay_factor);
	e |= mf_mp_pack_key(&pk, "SourceNode");
	e |= mf_mp_pack_raw(&pk, q->source_node.p, q->source_node.len);
	e |= mf_mp_pack_key(&pk, "Timeout");
	/* go-msgpack writes a non-negative int64 as an unsigned integer */
	e |= q->timeout >= 0 ? msgpack_pack_uint64(&pk, (uint64_t)q->timeout)
			     : msgpack_pack_int64(&pk, q->timeout);
	return mf_codec__done(e);
}

int mf_serf_decode_query(const uint8_t *body, size_t len, struct mf_serf_query *q)
{
	struct mf_mp mp;
	const msgpack_object *o;
	uint64_t v;
	int rc;

	memset(q, 0, sizeof(*q));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_uint(mp.root, "LTime", false, UINT64_MAX, &q->ltime);
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "ID", false, UINT32_MAX, &v)) == 0)
		q->id = (uint32_t)v;
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Addr", false, SIZE_MAX, &q->addr);
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "Port", false, UINT16_MAX, &v)) == 0)
		q->port = (uint16_t)v;
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "SourceNode", false, SIZE_MAX, &q->source_node);
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "Flags", false, UINT32_MAX, &v)) == 0)
		q->flags = (uint32_t)v;
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "RelayFactor", false, UINT8_MAX, &v)) == 0)
		q->relay_factor = (uint8_t)v;
	if (rc == 0)
		rc = mf_codec__get_int(mp.root, "Timeout", false, &q->timeout);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Name", false, SIZE_MAX, &q->name);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Payload", false, SIZE_MAX, &q->payload);
	if (rc == 0 && (o = mf_mp_get(mp.root, "Filters")) && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_ARRAY)
			rc = MF_EMALFORMED;
		else if (o->via.array.size > MF_SERF_QUERY_MAX_FILTERS)
			rc = MF_ETOOBIG;
		for (uint32_t i = 0; rc == 0 && i < o->via.array.size; i++) {
			rc = mf_mp_bytes(&o->via.array.ptr[i], &q->filters[i]);
			if (rc == 0 && q->filters[i].len == 0)
				rc = MF_EMALFORMED; /* serf reads filter[0] */
			q->n_filters = i + 1;
		}
	}
	if (rc == 0 && (q->addr.len != 4 && q->addr.len != 16))
		rc = MF_EMALFORMED; /* nowhere to answer */
	if (rc == 0 && (q->source_node.len > MF_NAME_MAX || q->name.len == 0 ||
			(q->source_node.len && memchr(q->source_node.p, '\0', q->source_node.len))))
		rc = MF_EMALFORMED;
	mf_mp_done(&mp);
	if (rc)
		memset(q, 0, sizeof(*q));
	return rc;
}

/* ---- response ---- */

int mf_serf_encode_query_response(msgpack_sbuffer *out, const struct mf_serf_query_response *r)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_QUERY_RESPONSE);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 5);
	e |= mf_mp_pack_key(&pk, "Flags");
	e |= msgpack_pack_uint32(&pk, r->flags);
	e |= mf_mp_pack_key(&pk, "From");
	e |= mf_mp_pack_raw(&pk, r->from.p, r->from.len);
	e |= mf_mp_pack_key(&pk, "ID");
	e |= msgpack_pack_uint32(&pk, r->id);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, r->ltime);
	e |= mf_mp_pack_key(&pk, "Payload");
	e |= mf_mp_pack_bytes(&pk, r->payload);
	return mf_codec__done(e);
}

int mf_serf_decode_query_response(const uint8_t *body, size_t len,
				  struct mf_serf_query_response *r)
{
	struct mf_mp mp;
	uint64_t v;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_uint(mp.root, "LTime", false, UINT64_MAX, &r->ltime);
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "ID", false, UINT32_MAX, &v)) == 0)
		r->id = (uint32_t)v;
	if (rc == 0 && (rc = mf_codec__get_uint(mp.root, "Flags", false, UINT32_MAX, &v)) == 0)
		r->flags = (uint32_t)v;
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "From", false, SIZE_MAX, &r->from);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Payload", false, SIZE_MAX, &r->payload);
	if (rc == 0 && (r->from.len == 0 || r->from.len > MF_NAME_MAX ||
			memchr(r->from.p, '\0', r->from.len)))
		rc = MF_EMALFORMED; /* a node name: C strings downstream */
	mf_mp_done(&mp);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* ---- relay ---- */

int mf_serf_encode_relay(msgpack_sbuffer *out, const struct mf_addr *dest,
			 struct mf_bytes dest_name, const uint8_t *inner, size_t inner_len)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_RELAY);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "DestAddr");
	e |= msgpack_pack_map(&pk, 3); /* net.UDPAddr */
	e |= mf_mp_pack_key(&pk, "IP");
	e |= mf_mp_pack_raw(&pk, dest->ip, dest->ip_len);
	e |= mf_mp_pack_key(&pk, "Port");
	e |= msgpack_pack_uint16(&pk, dest->port);
	e |= mf_mp_pack_key(&pk, "Zone");
	e |= mf_mp_pack_raw(&pk, "", 0);
	e |= mf_mp_pack_key(&pk, "DestName");
	e |= mf_mp_pack_raw(&pk, dest_name.p, dest_name.len);
	if (inner_len)
		e |= msgpack_sbuffer_write(out, (const char *)inner, inner_len);
	return mf_codec__done(e);
}

/* A Go net.IP: 4 bytes, or 16 (an IPv4 one in its v4-in-v6 form). */
static int set_ip(struct mf_addr *a, struct mf_bytes ip)
{
	static const uint8_t v4in6[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (ip.len == 16 && memcmp(ip.p, v4in6, 12) == 0) {
		ip.p += 12;
		ip.len = 4;
	}
	if (ip.len != 4 && ip.len != 16)
		return MF_EMALFORMED;
	memcpy(a->ip, ip.p, ip.len);
	a->ip_len = (uint8_t)ip.len;
	return 0;
}

int mf_serf_decode_relay(const uint8_t *body, size_t len, struct mf_serf_relay *r)
{
	struct mf_mp mp;
	const msgpack_object *d;
	struct mf_bytes ip;
	uint64_t port;
	size_t used = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = mf_codec__open_map(body, len, &mp, &used);
	if (rc == 0 && (!(d = mf_mp_get(mp.root, "DestAddr")) || d->type != MSGPACK_OBJECT_MAP))
		rc = MF_EMALFORMED;
	if (rc == 0)
		rc = mf_codec__get_bytes(d, "IP", false, SIZE_MAX, &ip);
	if (rc == 0)
		rc = set_ip(&r->dest, ip);
	if (rc == 0 && (rc = mf_codec__get_uint(d, "Port", false, UINT16_MAX, &port)) == 0)
		r->dest.port = (uint16_t)port;
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "DestName", false, SIZE_MAX, &r->dest_name);
	if (rc == 0 && used >= len)
		rc = MF_ETRUNC; /* nothing to relay */
	if (rc == 0)
		r->inner = (struct mf_bytes){body + used, len - used};
	mf_mp_done(&mp);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* ---- filters ---- */

int mf_serf_encode_node_filter(msgpack_sbuffer *out, const char *const *nodes, size_t n)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_FILTER_NODE);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++)
		e |= mf_mp_pack_key(&pk, nodes[i]);
	return mf_codec__done(e);
}

int mf_serf_encode_tag_filter(msgpack_sbuffer *out, const char *tag, const char *expr)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_FILTER_TAG);

	/* filterTag{Tag, Expr}: go-msgpack sorts the keys, Expr first */
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "Expr");
	e |= mf_mp_pack_key(&pk, expr);
	e |= mf_mp_pack_key(&pk, "Tag");
	e |= mf_mp_pack_key(&pk, tag);
	return mf_codec__done(e);
}

/* ---- user events ---- */

int mf_serf_encode_user_event(msgpack_sbuffer *out, const struct mf_serf_user_event *ev)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_USER_EVENT);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 4);
	e |= mf_mp_pack_key(&pk, "CC");
	e |= ev->cc ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	e |= mf_mp_pack_key(&pk, "LTime");
	e |= msgpack_pack_uint64(&pk, ev->ltime);
	e |= mf_mp_pack_key(&pk, "Name");
	e |= mf_mp_pack_raw(&pk, ev->name.p, ev->name.len);
	e |= mf_mp_pack_key(&pk, "Payload");
	e |= mf_mp_pack_bytes(&pk, ev->payload);
	return mf_codec__done(e);
}

int mf_serf_decode_user_event(const uint8_t *body, size_t len, struct mf_serf_user_event *ev)
{
	struct mf_mp mp;
	int rc;

	memset(ev, 0, sizeof(*ev));
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_uint(mp.root, "LTime", false, UINT64_MAX, &ev->ltime);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Name", false, SIZE_MAX, &ev->name);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Payload", false, SIZE_MAX, &ev->payload);
	if (rc == 0)
		rc = mf_codec__get_bool(mp.root, "CC", &ev->cc);
	mf_mp_done(&mp);
	if (rc)
		memset(ev, 0, sizeof(*ev));
	return rc;
}

/* ---- key request / response ---- */

int mf_serf_encode_key_request(msgpack_sbuffer *out, const uint8_t *key, size_t len)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_KEY_REQUEST);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 1);
	e |= mf_mp_pack_key(&pk, "Key");
	e |= mf_mp_pack_bytes(&pk, (struct mf_bytes){key, len});
	return mf_codec__done(e);
}

int mf_serf_decode_key_request(const uint8_t *body, size_t len, struct mf_bytes *key)
{
	struct mf_mp mp;
	int rc = mf_codec__open_map(body, len, &mp, NULL);
	*key = (struct mf_bytes){0};
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Key", false, SIZE_MAX, key);
	mf_mp_done(&mp);
	return rc;
}

int mf_serf_encode_key_response(msgpack_sbuffer *out, const struct mf_serf_key_response *r)
{
	msgpack_packer pk;
	int e = mf_mp_put_type(out, MF_SERF_MSG_KEY_RESPONSE);

	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 4);
	e |= mf_mp_pack_key(&pk, "Keys");
	if (r->keys_nil) {
		e |= msgpack_pack_nil(&pk);
	} else {
		e |= msgpack_pack_array(&pk, r->n_keys);
		for (size_t i = 0; i < r->n_keys; i++)
			e |= mf_mp_pack_raw(&pk, r->keys[i].p, r->keys[i].len);
	}
	e |= mf_mp_pack_key(&pk, "Message");
	e |= mf_mp_pack_raw(&pk, r->message.p, r->message.len);
	e |= mf_mp_pack_key(&pk, "PrimaryKey");
	e |= mf_mp_pack_raw(&pk, r->primary.p, r->primary.len);
	e |= mf_mp_pack_key(&pk, "Result");
	e |= r->result ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	return mf_codec__done(e);
}

int mf_serf_decode_key_response(const uint8_t *body, size_t len, struct mf_serf_key_response *r)
{
	struct mf_mp mp;
	const msgpack_object *o;
	int rc;

	memset(r, 0, sizeof(*r));
	r->keys_nil = true;
	rc = mf_codec__open_map(body, len, &mp, NULL);
	if (rc == 0)
		rc = mf_codec__get_bool(mp.root, "Result", &r->result);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "Message", false, SIZE_MAX, &r->message);
	if (rc == 0)
		rc = mf_codec__get_bytes(mp.root, "PrimaryKey", false, SIZE_MAX, &r->primary);
	if (rc == 0 && (o = mf_mp_get(mp.root, "Keys")) && o->type != MSGPACK_OBJECT_NIL) {
		if (o->type != MSGPACK_OBJECT_ARRAY)
			rc = MF_EMALFORMED;
		else if (o->via.array.size > MF_SERF_KEY_RESPONSE_MAX_KEYS)
			rc = MF_ETOOBIG;
		r->keys_nil = false;
		for (uint32_t i = 0; rc == 0 && i < o->via.array.size; i++) {
			rc = mf_mp_bytes(&o->via.array.ptr[i], &r->keys[i]);
			r->n_keys = i + 1;
		}
	}
	mf_mp_done(&mp);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

mf_time_t mf_serf_query_default_timeout(mf_time_t gossip_interval, size_t members)
{
	double mult = ceil(log10((double)members + 1.0));
	return gossip_interval * MF_SERF_QUERY_TIMEOUT_MULT * (mf_time_t)mult;
}

/*
 * routing/beat.c — beat messages <-> bytes (contract in beat.h).
 */
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"
#include "gossip/name_hash.h"
#include "routing/beat.h"

uint32_t mf_beat_dc_hash(const char *name)
{
	return (uint32_t)mf_name_hash(name, strlen(name));
}

struct mf_beat_entry mf_beat_entry_at(const struct mf_beat *b, size_t i)
{
	const uint8_t *p = b->entries + i * MF_BEAT_ENTRY_BYTES;
	const uint8_t *a = b->ages ? b->ages + i * MF_BEAT_AGE_BYTES : NULL;
	return (struct mf_beat_entry){
		(uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3],
		(uint16_t)(p[4] << 8 | p[5]), a ? (uint16_t)(a[0] << 8 | a[1]) : 0};
}

/* The map up to the entries' bin header, into sb. */
static int pack_head(msgpack_sbuffer *sb, const char *origin, const char *node, size_t n)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	int e = msgpack_pack_map(&pk, 5);
	e |= mf_mp_pack_key(&pk, "v");
	e |= msgpack_pack_uint8(&pk, MF_BEAT_VERSION);
	e |= mf_mp_pack_key(&pk, "o");
	e |= mf_mp_pack_raw(&pk, origin, strlen(origin));
	e |= mf_mp_pack_key(&pk, "n");
	e |= mf_mp_pack_raw(&pk, node, strlen(node));
	e |= mf_mp_pack_key(&pk, "b");
	e |= msgpack_pack_bin(&pk, n * MF_BEAT_ENTRY_BYTES);
	return e ? MF_ENOMEM : 0;
}

/* The ages' key and bin header, after the entries. */
static int pack_ages_head(msgpack_sbuffer *sb, size_t n)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	int e = mf_mp_pack_key(&pk, "a");
	e |= msgpack_pack_bin(&pk, n * MF_BEAT_AGE_BYTES);
	return e ? MF_ENOMEM : 0;
}

int mf_beat_encode(const char *origin, const char *node, const struct mf_beat_entry *e, size_t n,
		   size_t budget, int (*emit)(void *ctx, const uint8_t *msg, size_t len), void *ctx)
{
	if (!origin || !node || !mf_rt_name_valid(origin, strlen(origin)) || !*node ||
	    strlen(node) > MF_ADVERT_STR_MAX)
		return MF_EINVAL;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	/* The heads with the largest bin headers (5 bytes) bound every one. */
	int rc = pack_head(&sb, origin, node, 1u << 16);
	if (rc == 0)
		rc = pack_ages_head(&sb, 1u << 16);
	size_t per = sb.size < budget ? (budget - sb.size) / (MF_BEAT_ENTRY_BYTES + MF_BEAT_AGE_BYTES) : 0;
	if (rc == 0 && per == 0)
		rc = MF_EINVAL;
	for (size_t first = 0; rc == 0 && first < n; first += per) {
		size_t k = n - first < per ? n - first : per;
		msgpack_sbuffer_clear(&sb);
		if ((rc = pack_head(&sb, origin, node, k)) < 0)
			break;
		for (size_t i = first; i < first + k && rc == 0; i++) {
			uint8_t p[MF_BEAT_ENTRY_BYTES] = {
				(uint8_t)(e[i].dc_hash >> 24), (uint8_t)(e[i].dc_hash >> 16),
				(uint8_t)(e[i].dc_hash >> 8), (uint8_t)e[i].dc_hash,
				(uint8_t)(e[i].epoch16 >> 8), (uint8_t)e[i].epoch16};
			rc = msgpack_sbuffer_write(&sb, (const char *)p, sizeof(p)) ? MF_ENOMEM : 0;
		}
		if (rc == 0)
			rc = pack_ages_head(&sb, k);
		for (size_t i = first; i < first + k && rc == 0; i++) {
			uint8_t a[MF_BEAT_AGE_BYTES] = {(uint8_t)(e[i].age >> 8), (uint8_t)e[i].age};
			rc = msgpack_sbuffer_write(&sb, (const char *)a, sizeof(a)) ? MF_ENOMEM : 0;
		}
		if (rc == 0)
			rc = emit(ctx, (const uint8_t *)sb.data, sb.size);
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* A str field of the map into out (cap bytes with the NUL). */
int mf_beat_decode(const uint8_t *buf, size_t len, struct mf_beat *out)
{
	struct mf_mp mp;
	size_t used = 0;
	memset(out, 0, sizeof(*out));
	int rc = mf_mp_unpack_versioned(buf, len, MF_BEAT_VERSION, &mp, &used);
	if (rc == 0)
		rc = mf_mp_str_copy(mf_mp_get(mp.root, "o"), out->origin, sizeof(out->origin));
	if (rc == 0 && !mf_rt_name_valid(out->origin, strlen(out->origin)))
		rc = MF_EMALFORMED;
	if (rc == 0)
		rc = mf_mp_str_copy(mf_mp_get(mp.root, "n"), out->node, sizeof(out->node));
	const msgpack_object *b = rc == 0 ? mf_mp_get(mp.root, "b") : NULL;
	if (rc == 0 && (!b || b->type != MSGPACK_OBJECT_BIN ||
			b->via.bin.size % MF_BEAT_ENTRY_BYTES != 0))
		rc = MF_EMALFORMED;
	if (rc == 0) {
		/* msgpack-c points bin bodies into the input buffer. */
		out->entries = (const uint8_t *)b->via.bin.ptr;
		out->n = b->via.bin.size / MF_BEAT_ENTRY_BYTES;
		if (out->entries < buf || out->entries + b->via.bin.size > buf + len)
			rc = MF_EMALFORMED;
	}
	/* Ages are optional (an agent before them sends none: all 0), but
	 * when present there is one per entry. */
	const msgpack_object *a = rc == 0 ? mf_mp_get(mp.root, "a") : NULL;
	if (a && (a->type != MSGPACK_OBJECT_BIN ||
		  a->via.bin.size != out->n * MF_BEAT_AGE_BYTES))
		rc = MF_EMALFORMED;
	if (rc == 0 && a && a->via.bin.size > 0) {
		out->ages = (const uint8_t *)a->via.bin.ptr;
		if (out->ages < buf || out->ages + a->via.bin.size > buf + len)
			rc = MF_EMALFORMED;
	}
	mf_mp_done(&mp);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

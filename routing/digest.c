/* routing/digest.c — see routing/digest.h. */
#include "routing/digest.h"

#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"
#include "routing/names.h"

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);
	return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, s, len) ? MF_ENOMEM : 0;
}

int mf_digest_begin(msgpack_sbuffer *out, int kind, const char *node, size_t n)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	if (msgpack_pack_map(&pk, 4) || pack_str(&pk, "v") ||
	    msgpack_pack_uint8(&pk, MF_DIGEST_VERSION) || pack_str(&pk, "k") ||
	    msgpack_pack_uint8(&pk, (uint8_t)kind) || pack_str(&pk, "n") || pack_str(&pk, node) ||
	    pack_str(&pk, "e") || msgpack_pack_array(&pk, 3 * n))
		return MF_ENOMEM;
	return 0;
}

int mf_digest_put(msgpack_sbuffer *out, const char *origin, const char *node, uint64_t seq)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	return pack_str(&pk, origin) || pack_str(&pk, node) || msgpack_pack_uint64(&pk, seq)
		       ? MF_ENOMEM
		       : 0;
}

/* A string object into out (cap bytes with the NUL), 1..cap-1 bytes. */
int mf_digest_decode(const uint8_t *buf, size_t len, int *kind, char *node,
		     int (*each)(void *ctx, const struct mf_digest_entry *e), void *ctx)
{
	struct mf_mp mp;
	uint64_t k = 0;
	int rc = mf_mp_unpack_versioned(buf, len, MF_DIGEST_VERSION, &mp, NULL);
	const msgpack_object *ko = rc == 0 ? mf_mp_get(mp.root, "k") : NULL;
	if (rc == 0 && (!ko || mf_mp_uint(ko, MF_DIGEST_KIND_PULL, &k) < 0))
		rc = MF_EMALFORMED;
	if (rc == 0)
		rc = mf_mp_str_copy(mf_mp_get(mp.root, "n"), node, MF_ADVERT_STR_MAX + 1);
	const msgpack_object *e = rc == 0 ? mf_mp_get(mp.root, "e") : NULL;
	if (rc == 0 && (!e || e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size % 3 != 0))
		rc = MF_EMALFORMED;
	if (rc == 0)
		*kind = (int)k;
	/* Every entry is checked before any is handed on: a bad digest does
	 * nothing at all. */
	struct mf_digest_entry de;
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (uint32_t i = 0; rc == 0 && i < e->via.array.size; i += 3) {
			const msgpack_object *x = &e->via.array.ptr[i];
			rc = mf_mp_str_copy(&x[0], de.origin, sizeof(de.origin));
			if (rc == 0 && !mf_rt_name_valid(de.origin, strlen(de.origin)))
				rc = MF_EMALFORMED;
			if (rc == 0)
				rc = mf_mp_str_copy(&x[1], de.node, sizeof(de.node));
			if (rc == 0)
				rc = mf_mp_uint(&x[2], UINT64_MAX, &de.seq);
			if (rc == 0 && pass == 1)
				rc = each(ctx, &de);
		}
	mf_mp_done(&mp);
	return rc;
}

int mf_digest_cmp(uint64_t seq_a, const char *node_a, uint64_t seq_b, const char *node_b)
{
	if (seq_a != seq_b)
		return seq_a > seq_b ? 1 : -1;
	int c = strcmp(node_a, node_b);
	return c > 0 ? 1 : c < 0 ? -1 : 0;
}

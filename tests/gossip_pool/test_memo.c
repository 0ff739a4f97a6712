/*
 * tests/gossip_pool/test_memo.c — the interner's memo (gossip/intern.h):
 * the shortcut the second and later tables take for a name's identity
 * must give exactly what building and interning it gives, on random
 * inputs, and never keep a string alive or dangle.
 */
#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gossip/intern.h"
#include "gossip/members.h"
#include "gossip/name_hash.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

enum { TABLES = 4, NAMES = 8 };

static const char *const metas[] = { "", "dc=a", "dc=b" };

/* A random identity from a small set, so tables meet the same ones often;
 * ip_len 17 is out of range (the identity keeps no address), and bytes
 * past ip_len are noise that must not split identities. */
static struct mf_ident_in random_in(struct mf_rng *rng)
{
	static const uint8_t lens[] = { 4, 16, 17 };
	struct mf_ident_in in;
	memset(&in, 0, sizeof(in));
	in.addr.ip_len = lens[mf_rng_below(rng, 3)];
	in.addr.ip[0] = 10;
	in.addr.ip[3] = (uint8_t)mf_rng_below(rng, 2);
	in.addr.ip[15] = (uint8_t)mf_rng_below(rng, 2);
	in.addr.ip[4 + mf_rng_below(rng, 11)] = 0xee; /* noise past 4 */
	in.addr.port = (uint16_t)(7946 + mf_rng_below(rng, 2));
	in.vsn[1] = (uint8_t)(4 + mf_rng_below(rng, 2));
	const char *meta = metas[mf_rng_below(rng, 3)];
	in.meta_len = strlen(meta);
	in.meta = in.meta_len ? (const uint8_t *)meta : NULL;
	return in;
}

/* What building the identity and interning it gives (gossip/members.c's
 * ident_get, written out): the interner's one copy of those bytes. */
static const char *canonical(struct mf_intern *strs, const char *name, const struct mf_ident_in *in)
{
	union {
		struct mf_member_ident d;
		uint8_t b[sizeof(struct mf_member_ident) + MF_NAME_MAX + 1];
	} u;
	size_t len = strlen(name), ip_len = in->addr.ip_len <= 16 ? in->addr.ip_len : 0;
	const char *s;
	memset(&u, 0, sizeof(u));
	memcpy(u.d.addr.ip, in->addr.ip, ip_len);
	u.d.addr.ip_len = (uint8_t)ip_len;
	u.d.addr.port = in->addr.port;
	memcpy(u.d.vsn, in->vsn, MF_VSN_LEN);
	u.d.meta_len = (uint16_t)in->meta_len;
	u.d.name_len = (uint8_t)len;
	memcpy(u.d.name, name, len + 1);
	if (mf_intern_get2(strs, u.b, offsetof(struct mf_member_ident, name) + len + 1, in->meta,
			   in->meta_len, &s) != 0)
		return NULL;
	mf_intern_put(strs, s); /* held by the record compared against, if any */
	return s;
}

/* 20,000 random adds, identity changes and removes over 4 tables sharing
 * one interner: after each, the record's identity is the interner's copy
 * of exactly the bytes its inputs make (a memo that took an identity
 * differing in any field, or one freed and reused, would fail here), and
 * the memo is used (most adds find the name's identity there). */
static void test_memo_identity_is_what_interning_gives(void)
{
	struct mf_intern strs;
	struct mf_members t[TABLES];
	struct mf_member_record *rec[TABLES][NAMES] = { { NULL } };
	struct mf_ident_in cur[NAMES];
	struct mf_rng rng;
	char name[16];
	size_t wrong = 0, memo_hits = 0, adds = 0;

	mf_intern_init(&strs);
	for (int k = 0; k < TABLES; k++)
		mf_members_init(&t[k], &strs);
	mf_rng_seed(&rng, 11);
	for (int i = 0; i < NAMES; i++)
		cur[i] = random_in(&rng);
	for (int step = 0; step < 20000; step++) {
		int k = (int)mf_rng_below(&rng, TABLES), i = (int)mf_rng_below(&rng, NAMES);
		/* a name's identity changes now and then, as a member moves or
		 * retags; the tables hear it in any order */
		if (mf_rng_below(&rng, 4) == 0)
			cur[i] = random_in(&rng);
		struct mf_ident_in in = mf_rng_below(&rng, 4) == 0 ? random_in(&rng) : cur[i];
		snprintf(name, sizeof(name), "node-%d", i);
		struct mf_member_record **m = &rec[k][i];
		if (*m == NULL) {
			uint32_t id = mf_name_ids_find(&strs.ids, name, strlen(name),
						       mf_name_hash(name, strlen(name)));
			const struct mf_intern_memo *memo =
				id != MF_NAME_ID_NONE && id < strs.n_memo ? &strs.memo[id] : NULL;
			bool hit = memo != NULL && memo->ident != NULL &&
				   memo->ident == canonical(&strs, name, &in);
			CU_ASSERT_EQUAL_FATAL(mf_members_add(&t[k], name, strlen(name), &in, 0, m), 0);
			memo_hits += hit;
			adds++;
		} else if (mf_rng_below(&rng, 4) == 0) {
			mf_members_remove(&t[k], *m);
			*m = NULL;
			continue;
		} else {
			CU_ASSERT_EQUAL_FATAL(mf_members_set_ident(&t[k], *m, &in), 0);
		}
		wrong += (const char *)(*m)->ident != canonical(&strs, name, &in);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(memo_hits > adds / 4);
	for (int k = 0; k < TABLES; k++)
		mf_members_free(&t[k]);
	CU_ASSERT_EQUAL(strs.n, 0); /* the memo held nothing */
	CU_ASSERT_EQUAL(strs.ids.n, 0);
	mf_intern_free(&strs);
}

/* The alive memo names a blob without holding it: the blob's last
 * release clears it, and a string one entry names is not named by a
 * second (so its release finds the one entry to clear). */
static void test_memo_alive_is_forgotten_with_its_blob(void)
{
	struct mf_intern strs;
	const char *blob, *again;
	mf_intern_init(&strs);
	struct mf_intern_memo *m = mf_intern_memo(&strs, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(mf_intern_get(&strs, "alive-1", 7, &blob), 0);
	mf_intern_memo_last(&strs, m, MF_MEMO_ALIVE, blob);
	CU_ASSERT_PTR_EQUAL(m->last[MF_MEMO_ALIVE], blob);
	struct mf_intern_memo *other = mf_intern_memo(&strs, 5);
	m = mf_intern_memo(&strs, 3); /* the table may have moved */
	mf_intern_memo_last(&strs, other, MF_MEMO_ALIVE, blob);
	CU_ASSERT_PTR_NULL(other->last[MF_MEMO_ALIVE]);
	mf_intern_memo_last(&strs, m, MF_MEMO_INTENT, blob); /* nor by a second kind */
	CU_ASSERT_PTR_NULL(m->last[MF_MEMO_INTENT]);
	CU_ASSERT_EQUAL_FATAL(mf_intern_get(&strs, "alive-1", 7, &again), 0);
	mf_intern_put(&strs, again);
	CU_ASSERT_PTR_EQUAL(m->last[MF_MEMO_ALIVE], blob); /* still held once */
	mf_intern_put(&strs, blob);
	CU_ASSERT_PTR_NULL(m->last[MF_MEMO_ALIVE]);
	CU_ASSERT_EQUAL(strs.n, 0);
	mf_intern_free(&strs);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_memo_identity_is_what_interning_gives),
		TEST(test_memo_alive_is_forgotten_with_its_blob),
	};
	return RUN_SUITE("gossip_pool_memo", tests);
}

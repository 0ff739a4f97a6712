/* The broadcast queue's per-level B+tree (gossip/broadcast_tree.h) against
 * a sorted-array model: 100,000 random inserts, picks and removals, with
 * the tree's invariants checked along the way; and the fill of its nodes
 * when keys keep coming in at one end, as a queue's newest messages do. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast_tree.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

struct key {
	uint16_t len;
	uint32_t id;
	uint32_t ref;
};

/* Send order: longer first, then newer (serial numbers). */
static bool before(const struct key *a, const struct key *b)
{
	if (a->len != b->len)
		return a->len > b->len;
	return (int32_t)(a->id - b->id) > 0;
}

struct model {
	struct key *k;
	size_t n;
};

static void model_insert(struct model *m, struct key k)
{
	size_t i = 0;
	while (i < m->n && before(&m->k[i], &k))
		i++;
	memmove(&m->k[i + 1], &m->k[i], (m->n - i) * sizeof(k));
	m->k[i] = k;
	m->n++;
}

static void model_drop(struct model *m, size_t i)
{
	memmove(&m->k[i], &m->k[i + 1], (m->n - i - 1) * sizeof(m->k[0]));
	m->n--;
}

static void check_tree(const struct mf_bt_store *s, uint32_t root, size_t want)
{
	size_t n;
	unsigned h;
	CU_ASSERT_EQUAL_FATAL(mf_bt_check(s, root, &n, &h), 0);
	CU_ASSERT_EQUAL(n, want);
	CU_ASSERT(h <= 6); /* 25 keys a node: 100,000 need 4 levels when full */
}

static void test_broadcast_tree_matches_sorted_model(void)
{
	enum { OPS = 100000, CAP = OPS + 1 };
	struct mf_bt_store s;
	struct model m = { calloc(CAP, sizeof(struct key)), 0 };
	struct key *out = calloc(CAP, sizeof(struct key)); /* taken, to go back in */
	size_t n_out = 0;
	struct mf_rng rng;
	uint32_t root = 0, id = UINT32_MAX - 30000; /* ids wrap midway */
	size_t peak = 0;

	CU_ASSERT_FATAL(m.k != NULL && out != NULL);
	mf_bt_store_init(&s);
	mf_rng_seed(&rng, 12);
	for (uint32_t op = 0; op < OPS; op++) {
		/* grow, churn, then shrink */
		uint32_t grow = op < OPS * 2 / 5 ? 75 : op < OPS * 4 / 5 ? 45 : 25;
		uint32_t what = mf_rng_below(&rng, 100);
		if (what < grow || m.n == 0) {
			struct key k;
			if (n_out > 0 && what % 3 == 0) { /* an older key moving in */
				size_t j = mf_rng_below(&rng, (uint32_t)n_out);
				k = out[j];
				out[j] = out[--n_out];
			} else { /* a new message: a few lengths, as alives and intents */
				k.len = (uint16_t)(60 + 4 * mf_rng_below(&rng, 4));
				if (mf_rng_below(&rng, 20) == 0)
					k.len = (uint16_t)(1 + mf_rng_below(&rng, 1400));
				k.id = ++id;
				k.ref = op + 1;
			}
			CU_ASSERT_EQUAL_FATAL(mf_bt_insert(&s, &root, k.len, k.id, k.ref), 0);
			model_insert(&m, k);
		} else if (what < grow + (100 - grow) * 3 / 4) { /* a pick: the first that fits */
			size_t max_len = 40 + mf_rng_below(&rng, 1400);
			uint16_t len = 0;
			uint32_t ref = mf_bt_take(&s, &root, max_len, &len);
			size_t i = 0;
			while (i < m.n && m.k[i].len > max_len)
				i++;
			if (i == m.n) {
				CU_ASSERT_EQUAL_FATAL(ref, 0);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(ref, m.k[i].ref);
			CU_ASSERT_EQUAL(len, m.k[i].len);
			out[n_out++] = m.k[i];
			model_drop(&m, i);
		} else { /* an invalidation, now and then of a key not there */
			size_t i = mf_rng_below(&rng, (uint32_t)m.n);
			struct key k = m.k[i];
			CU_ASSERT_TRUE_FATAL(mf_bt_remove(&s, &root, k.len, k.id));
			model_drop(&m, i);
			CU_ASSERT_FALSE(mf_bt_remove(&s, &root, k.len, k.id));
		}
		if (m.n > peak)
			peak = m.n;
		if (op % 997 == 0)
			check_tree(&s, root, m.n);
	}
	check_tree(&s, root, m.n);
	CU_ASSERT(peak > 5000); /* deep enough to split and merge inner nodes */
	/* Draining in send order empties the tree and gives every node back. */
	for (size_t i = 0; i < m.n; i++) {
		uint16_t len;
		CU_ASSERT_EQUAL_FATAL(mf_bt_take(&s, &root, UINT16_MAX, &len), m.k[i].ref);
	}
	CU_ASSERT_EQUAL(root, 0);
	CU_ASSERT_EQUAL(mf_bt_store_nodes(&s), 0);
	mf_bt_store_free(&s);
	free(m.k);
	free(out);
}

/* 100,000 keys each newer than the last (the front of the order, as a
 * queue's new messages) fill their nodes, not leave them half empty: at
 * most 1 node per 20 keys (a leaf holds 25). The same from the back. */
static void test_broadcast_tree_one_end_inserts_fill_nodes(void)
{
	enum { N = 100000 };
	for (int back = 0; back < 2; back++) {
		struct mf_bt_store s;
		uint32_t root = 0;
		mf_bt_store_init(&s);
		for (uint32_t i = 1; i <= N; i++)
			CU_ASSERT_EQUAL_FATAL(mf_bt_insert(&s, &root, 70, back ? N + 1 - i : i, i), 0);
		check_tree(&s, root, N);
		CU_ASSERT(mf_bt_store_nodes(&s) <= N / 20);
		size_t n = 0;
		uint16_t len;
		uint32_t want = back ? 1 : N; /* newest (highest id) first */
		for (uint32_t ref; (ref = mf_bt_take(&s, &root, 100, &len)) != 0; n++) {
			CU_ASSERT_EQUAL_FATAL(ref, want);
			want = back ? want + 1 : want - 1;
		}
		CU_ASSERT_EQUAL(n, N);
		CU_ASSERT_EQUAL(mf_bt_store_nodes(&s), 0);
		mf_bt_store_free(&s);
	}
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_broadcast_tree_matches_sorted_model),
		TEST(test_broadcast_tree_one_end_inserts_fill_nodes),
	};
	return RUN_SUITE("gossip_pool_broadcast_tree", tests);
}

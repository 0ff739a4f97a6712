/* Broadcast queue at scale: the same picks as a plain sorted-array model
 * (the reference semantics, memberlist queue.go) under random pushes,
 * invalidations and picks, and 100,000 queued messages in bounded time. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/broadcast.h"
#include "gossip/err.h"
#include "gossip/rng.h"
#include "tests/cost.h"
#include "tests/cunit_main.h"

/* --- reference model: a sorted array, linear scans ------------------------ */

struct ref_item {
	uint8_t msg[64];
	size_t len;
	char name[16]; /* "" = unnamed */
	int transmits;
	int64_t id;
	bool notify;
};

struct ref_queue {
	struct ref_item *items;
	size_t n;
	int64_t id_gen;
	int mult;
	uint64_t finished_notify;
};

static bool ref_before(const struct ref_item *a, const struct ref_item *b)
{
	if (a->transmits != b->transmits)
		return a->transmits < b->transmits;
	if (a->len != b->len)
		return a->len > b->len;
	return a->id > b->id;
}

static void ref_insert(struct ref_queue *q, const struct ref_item *it)
{
	size_t i = 0;
	while (i < q->n && ref_before(&q->items[i], it))
		i++;
	memmove(&q->items[i + 1], &q->items[i], (q->n - i) * sizeof(*it));
	q->items[i] = *it;
	q->n++;
}

static void ref_remove(struct ref_queue *q, size_t i)
{
	memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(q->items[0]));
	q->n--;
}

static void ref_push(struct ref_queue *q, const char *name, const uint8_t *msg, size_t len,
		     bool notify)
{
	struct ref_item it = { .len = len, .notify = notify };
	memcpy(it.msg, msg, len);
	if (name != NULL) {
		snprintf(it.name, sizeof(it.name), "%s", name);
		for (size_t i = 0; i < q->n; i++)
			if (strcmp(q->items[i].name, name) == 0) {
				q->finished_notify += q->items[i].notify;
				ref_remove(q, i);
				break;
			}
	}
	if (q->n == 0)
		q->id_gen = 0;
	it.id = ++q->id_gen;
	ref_insert(q, &it);
}

/* One pass in send order: take what fits, skip what does not. */
static size_t ref_get(struct ref_queue *q, size_t overhead, size_t limit, size_t n_members,
		      size_t max, uint8_t outs[][64], size_t *out_len)
{
	int tlimit = mf_bcast_retransmit_limit(q->mult, n_members);
	struct ref_item keep[MF_BCAST_MAX_PICK];
	size_t n_keep = 0, used = 0, picked = 0;
	for (size_t i = 0; i < q->n && picked < max;) {
		if (used + overhead >= limit)
			break;
		struct ref_item *it = &q->items[i];
		if (it->len > limit - used - overhead) {
			i++;
			continue;
		}
		memcpy(outs[picked], it->msg, it->len);
		out_len[picked++] = it->len;
		used += it->len + overhead;
		if (it->transmits + 1 >= tlimit) {
			q->finished_notify += it->notify;
		} else {
			keep[n_keep] = *it;
			keep[n_keep++].transmits++;
		}
		ref_remove(q, i);
	}
	for (size_t i = 0; i < n_keep; i++)
		ref_insert(q, &keep[i]);
	return picked;
}

/* --- tests ---------------------------------------------------------------- */

/* memberlist Prune over the names starting with prefix: their last in
 * send order (the btree's Max) go first. */
static size_t ref_prune(struct ref_queue *q, const char *prefix, size_t max_retain)
{
	size_t n = 0, dropped = 0, pl = strlen(prefix);
	for (size_t i = 0; i < q->n; i++)
		n += strncmp(q->items[i].name, prefix, pl) == 0;
	for (size_t i = q->n; i-- > 0 && n > max_retain;) {
		if (strncmp(q->items[i].name, prefix, pl) != 0)
			continue;
		q->finished_notify += q->items[i].notify;
		ref_remove(q, i);
		n--;
		dropped++;
	}
	return dropped;
}

/* Random pushes, invalidations and picks (and, every prune_every
 * operations when nonzero, a prune of the names starting "n1" to 20),
 * the queue against the model. */
static void picks_match_model(int prune_every)
{
	enum { OPS = 20000, NAMES = 300 };
	struct mf_bcast_queue q;
	struct ref_queue r = { .items = calloc(OPS + 1, sizeof(struct ref_item)), .mult = 3 };
	struct mf_rng rng;
	static uint8_t buf[2048], ref_out[MF_BCAST_MAX_PICK][64];
	struct mf_bytes out[MF_BCAST_MAX_PICK];
	size_t ref_len[MF_BCAST_MAX_PICK];
	size_t mismatches = 0, picks = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r.items);
	mf_bcast_init(&q, 3);
	mf_rng_seed(&rng, 7);
	size_t pruned = 0;
	for (int op = 0; op < OPS; op++) {
		if (prune_every > 0 && op % prune_every == prune_every - 1) {
			size_t got = mf_bcast_prune_named(&q, "n1", 2, 20);
			CU_ASSERT_EQUAL_FATAL(got, ref_prune(&r, "n1", 20));
			pruned += got;
		} else if (mf_rng_below(&rng, 4) != 0) {
			uint8_t msg[64];
			size_t len = 1 + mf_rng_below(&rng, 40);
			for (size_t i = 0; i < len; i++)
				msg[i] = (uint8_t)mf_rng_next(&rng);
			char name[16];
			bool named = mf_rng_below(&rng, 5) != 0;
			bool notify = mf_rng_below(&rng, 2) != 0;
			snprintf(name, sizeof(name), "n%u", mf_rng_below(&rng, NAMES));
			CU_ASSERT_EQUAL_FATAL(mf_bcast_push(&q, named ? name : NULL, strlen(name), msg,
							    len, notify), 0);
			ref_push(&r, named ? name : NULL, msg, len, notify);
		} else {
			size_t overhead = mf_rng_below(&rng, 4);
			size_t limit = mf_rng_below(&rng, 300);
			size_t members = 1 + mf_rng_below(&rng, 2000);
			size_t max = 1 + mf_rng_below(&rng, 40);
			size_t got = 0;
			mf_bcast_get(&q, overhead, limit, members, buf, sizeof(buf), out, max, &got);
			size_t want = ref_get(&r, overhead, limit, members, max, ref_out, ref_len);
			CU_ASSERT_EQUAL_FATAL(got, want);
			for (size_t i = 0; i < got; i++)
				mismatches += out[i].len != ref_len[i] ||
					      memcmp(out[i].p, ref_out[i], ref_len[i]) != 0;
			picks += got;
		}
		CU_ASSERT_EQUAL_FATAL(mf_bcast_len(&q), r.n);
	}
	CU_ASSERT(picks > 10000); /* the model was really exercised */
	CU_ASSERT(prune_every == 0 || pruned > 1000);
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(q.finished_notify, r.finished_notify);
	mf_bcast_reset(&q);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), 0);
	mf_bcast_free(&q);
	free(r.items);
}

static void test_broadcast_picks_match_sorted_array_model(void)
{
	picks_match_model(0);
}

/* serf's intent queue bound (memberlist Prune, gossip/serf_glue.c): the
 * prefixed names past the bound go in the model's order, others stay. */
static void test_broadcast_prune_named_matches_model(void)
{
	picks_match_model(50);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100,000 named messages, then each of the first half replaced: the queue
 * holds one per name, hands out the replacements and never the originals,
 * in send order, and the whole run is O(n log n) (a sorted array with
 * linear de-duplication takes minutes here). */
static void test_broadcast_hundred_thousand_with_replacements(void)
{
	enum { N = 100000 };
	struct mf_bcast_queue q;
	static uint8_t buf[65536];
	struct mf_bytes out[MF_BCAST_MAX_PICK];
	char name[32];
	uint8_t msg[32];
	double t0 = now_s();

	mf_bcast_init(&q, 4);
	/* message: 'o' or 'r' (original, replacement), then the 8-byte index,
	 * padded to a length that varies with the index */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < (pass == 0 ? N : N / 2); i++) {
			size_t len = 9 + i % 7;
			memset(msg, 0, sizeof(msg));
			msg[0] = pass == 0 ? 'o' : 'r';
			memcpy(msg + 1, &i, sizeof(i));
			snprintf(name, sizeof(name), "member-%u", i);
			CU_ASSERT_EQUAL_FATAL(mf_bcast_push(&q, name, strlen(name), msg, len, true), 0);
		}
	}
	CU_ASSERT_EQUAL_FATAL(mf_bcast_len(&q), N);
	CU_ASSERT_EQUAL(q.finished_notify, N / 2);

	/* All at zero transmits: drain one round, checking the order. */
	size_t seen = 0, originals = 0, order_errors = 0;
	size_t prev_len = SIZE_MAX;
	int64_t prev_rank = INT64_MAX;
	while (seen < N) {
		size_t got = 0;
		mf_bcast_get(&q, 2, sizeof(buf), 1000, buf, sizeof(buf), out, MF_BCAST_MAX_PICK,
			     &got);
		CU_ASSERT_FATAL(got > 0);
		for (size_t k = 0; k < got && seen < N; k++, seen++) {
			uint32_t i;
			memcpy(&i, out[k].p + 1, sizeof(i));
			originals += out[k].p[0] == 'o';
			CU_ASSERT_FATAL(out[k].p[0] != 'o' || i >= N / 2);
			/* newer first at equal length: replacements (pushed last)
			 * rank after their pass; index order within a pass */
			int64_t rank = (out[k].p[0] == 'r' ? 2 * (int64_t)N : 0) + i;
			if (out[k].len > prev_len || (out[k].len == prev_len && rank > prev_rank))
				order_errors++;
			prev_len = out[k].len;
			prev_rank = rank;
		}
	}
	CU_ASSERT_EQUAL(originals, N / 2);
	CU_ASSERT_EQUAL(order_errors, 0);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), N); /* each sent once: limit is 16 at n = 1000 */
	mf_bcast_free(&q);
	CU_ASSERT_EQUAL(q.finished_notify, N / 2 + N);
	double took = now_s() - t0;
	fprintf(stderr, "\n  100k broadcasts with replacements: %.2f s\n", took);
	CU_ASSERT(took < 60.0); /* sanitizers, a loaded machine */
}

/* CPU seconds per operation over n named pushes, n/2 replacements and the
 * picks that drain them all (transmit limit 1), best of three runs. */
static double bcast_cost_per_op(size_t n)
{
	static uint8_t buf[65536];
	struct mf_bytes out[MF_BCAST_MAX_PICK];
	double best = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		struct mf_bcast_queue q;
		char name[32];
		uint8_t msg[24] = {0};
		size_t ops = 0;
		double t0 = mf_test_cpu_s();
		mf_bcast_init(&q, 1);
		for (size_t i = 0; i < n + n / 2; i++) {
			uint32_t k = (uint32_t)(i < n ? i : i - n);
			memcpy(msg, &i, sizeof(i));
			snprintf(name, sizeof(name), "member-%u", k);
			CU_ASSERT_EQUAL_FATAL(mf_bcast_push(&q, name, strlen(name), msg,
							    10 + i % 13, false), 0);
			ops++;
		}
		CU_ASSERT_EQUAL_FATAL(mf_bcast_len(&q), n);
		while (mf_bcast_len(&q) > 0) {
			size_t got = 0;
			/* n_members 1: limit 1 * ceil(log10(2)) = 1 transmit */
			mf_bcast_get(&q, 2, 1400, 1, buf, sizeof(buf), out, MF_BCAST_MAX_PICK, &got);
			CU_ASSERT_FATAL(got > 0);
			ops += got;
		}
		mf_bcast_free(&q);
		double per = (mf_test_cpu_s() - t0) / (double)ops;
		best = per < best ? per : best;
	}
	return best;
}

/* O(log n) per push, invalidation and pick: the cost of one operation with
 * 100,000 queued is within a small factor of its cost with 10,000 (a scan
 * per operation makes it 10x; log n alone 1.25x, the rest is caches). */
static void test_broadcast_cost_per_operation_grows_sublinearly(void)
{
	mf_test_cost_within_5x("operation (queued)", bcast_cost_per_op, 10000, 100000);
}

/* Submission ids are 32 bits compared serially: across the wrap a newer
 * message of equal size still goes first. */
static void test_broadcast_newer_goes_first_across_id_wrap(void)
{
	struct mf_bcast_queue q;
	uint8_t buf[64];
	struct mf_bytes out[4];
	size_t n = 0;
	mf_bcast_init(&q, 4);
	q.id_gen = UINT32_MAX - 1;
	CU_ASSERT_EQUAL(mf_bcast_push(&q, NULL, 0, (const uint8_t *)"old", 3, false), 0);
	CU_ASSERT_EQUAL(mf_bcast_push(&q, NULL, 0, (const uint8_t *)"mid", 3, false), 0);
	CU_ASSERT_EQUAL(mf_bcast_push(&q, NULL, 0, (const uint8_t *)"new", 3, false), 0);
	CU_ASSERT_EQUAL(q.id_gen, 1); /* wrapped */
	mf_bcast_get(&q, 0, 3, 10, buf, sizeof(buf), out, 4, &n); /* room for one */
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(memcmp(out[0].p, "new", 3), 0);
	uint8_t big[UINT16_MAX + 1] = { 0 };
	CU_ASSERT_EQUAL(mf_bcast_push(&q, NULL, 0, big, sizeof(big), false), MF_EINVAL);
	mf_bcast_free(&q);
}

/* Past 131,072 named messages the name index has more buckets than the
 * 16 bits of hash a node keeps: replacing and sending each of 150,000
 * must still find it by name (its bucket then comes from the name). */
static void test_broadcast_name_index_past_16_bit_buckets(void)
{
	enum { N = 150000 };
	struct mf_bcast_queue q;
	static uint8_t buf[65536];
	struct mf_bytes out[MF_BCAST_MAX_PICK];
	char name[32];
	size_t n = 0, sent = 0;

	mf_bcast_init(&q, 1);
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "m%u", i);
			CU_ASSERT_EQUAL_FATAL(mf_bcast_push(&q, name, strlen(name),
							    (const uint8_t *)(pass ? "new" : "old!"),
							    pass ? 3 : 4, false), 0);
		}
	}
	CU_ASSERT_EQUAL_FATAL(mf_bcast_len(&q), N);
	CU_ASSERT_EQUAL(mf_bcast_bytes(&q), 3 * (size_t)N);
	/* one transmit each (mult 1, 2 members): every "new" once, no "old!" */
	while (mf_bcast_len(&q) > 0) {
		mf_bcast_get(&q, 0, sizeof(buf), 2, buf, sizeof(buf), out, MF_BCAST_MAX_PICK, &n);
		CU_ASSERT_FATAL(n > 0);
		for (size_t i = 0; i < n; i++)
			CU_ASSERT_FATAL(out[i].len == 3 && memcmp(out[i].p, "new", 3) == 0);
		sent += n;
	}
	CU_ASSERT_EQUAL(sent, N);
	CU_ASSERT_EQUAL(mf_bcast_bytes(&q), 0);
	mf_bcast_free(&q);
}

/* A capped message leaves after its own limit, an uncapped one after the
 * pool's (4 x ceil(log10(1001)) = 16 at 1,000 members). */
static void test_broadcast_capped_stops_at_its_own_limit(void)
{
	struct mf_bcast_queue q;
	uint8_t buf[64];
	struct mf_bytes out[4];
	size_t n = 0, sends_capped = 0, sends_plain = 0;
	mf_bcast_init(&q, 4);
	CU_ASSERT_EQUAL(mf_bcast_push_capped(&q, "c", 1, (const uint8_t *)"cap", 3, false, 3), 0);
	CU_ASSERT_EQUAL(mf_bcast_push(&q, "p", 1, (const uint8_t *)"all", 3, false), 0);
	for (int round = 0; round < 40 && mf_bcast_len(&q) > 0; round++) {
		mf_bcast_get(&q, 0, sizeof(buf), 1000, buf, sizeof(buf), out, 4, &n);
		for (size_t i = 0; i < n; i++) {
			sends_capped += memcmp(out[i].p, "cap", 3) == 0;
			sends_plain += memcmp(out[i].p, "all", 3) == 0;
		}
	}
	CU_ASSERT_EQUAL(sends_capped, 3);
	CU_ASSERT_EQUAL(sends_plain, (size_t)mf_bcast_retransmit_limit(4, 1000));
	/* Above the pool's limit the pool's limit holds. */
	CU_ASSERT_EQUAL(mf_bcast_push_capped(&q, NULL, 0, (const uint8_t *)"big", 3, false, 100), 0);
	size_t sends_big = 0;
	for (int round = 0; round < 200 && mf_bcast_len(&q) > 0; round++) {
		mf_bcast_get(&q, 0, sizeof(buf), 10, buf, sizeof(buf), out, 4, &n);
		sends_big += n;
	}
	CU_ASSERT_EQUAL(sends_big, (size_t)mf_bcast_retransmit_limit(4, 10));
	CU_ASSERT_EQUAL(mf_bcast_push_capped(&q, NULL, 0, (const uint8_t *)"x", 1, false,
					     MF_BCAST_CAP_MAX + 1), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_bcast_push_capped(&q, NULL, 0, (const uint8_t *)"x", 1, false, -1),
			MF_EINVAL);
	mf_bcast_free(&q);
}

/* Two queues sharing a table, as a simulator's pools: the second push of
 * the same alive takes the blob the first made (one string in the table),
 * and a different message makes a new one. */
static void test_broadcast_hinted_push_reuses_the_same_blob(void)
{
	struct mf_intern strs;
	struct mf_bcast_queue a, b;
	const char *last = NULL;
	mf_intern_init(&strs);
	mf_bcast_init(&a, 4);
	mf_bcast_init(&b, 4);
	CU_ASSERT_EQUAL(mf_bcast_share(&a, &strs), 0);
	CU_ASSERT_EQUAL(mf_bcast_share(&b, &strs), 0);
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&a, "n1", 2, (const uint8_t *)"alive-1", 7, true, &last), 0);
	const char *first = last;
	CU_ASSERT_PTR_NOT_NULL(first);
	size_t strings = strs.n;
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&b, "n1", 2, (const uint8_t *)"alive-1", 7, true, &last), 0);
	CU_ASSERT_PTR_EQUAL(last, first);
	CU_ASSERT_EQUAL(strs.n, strings);
	/* Another message under the same name: a new blob, not the hint. */
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&b, "n1", 2, (const uint8_t *)"alive-2", 7, false, &last), 0);
	CU_ASSERT_PTR_NOT_EQUAL(last, first);
	CU_ASSERT_EQUAL(strs.n, strings + 1);
	CU_ASSERT_EQUAL(mf_bcast_len(&b), 1); /* it replaced b's first */
	/* A hint of another name is not taken for this one. */
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&a, "n2", 2, (const uint8_t *)"alive-2", 7, true, &last), 0);
	CU_ASSERT_EQUAL(strs.n, strings + 2);
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&a, NULL, 0, (const uint8_t *)"x", 1, true, &last), MF_EINVAL);
	mf_bcast_free(&a);
	mf_bcast_free(&b);
	CU_ASSERT_EQUAL(strs.n, 0);
	mf_intern_free(&strs);
}

/* Not fresh, a hinted push replaces the queued message of its name as
 * mf_bcast_push does; fresh, it trusts the caller and leaves it. */
static void test_broadcast_hinted_push_replaces_unless_fresh(void)
{
	struct mf_bcast_queue q;
	const char *last = NULL;
	mf_bcast_init(&q, 4);
	CU_ASSERT_EQUAL(mf_bcast_push(&q, "n1", 2, (const uint8_t *)"old", 3, false), 0);
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&q, "n1", 2, (const uint8_t *)"new", 3, false, &last), 0);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), 1);
	CU_ASSERT_EQUAL(mf_bcast_push_hinted(&q, "n1", 2, (const uint8_t *)"newer", 5, true, &last), 0);
	CU_ASSERT_EQUAL(mf_bcast_len(&q), 2);
	mf_bcast_free(&q);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "broadcast_picks_match_sorted_array_model", test_broadcast_picks_match_sorted_array_model },
		TEST(test_broadcast_prune_named_matches_model),
		{ "broadcast_hundred_thousand_with_replacements", test_broadcast_hundred_thousand_with_replacements },
		{ "broadcast_cost_per_operation_grows_sublinearly", test_broadcast_cost_per_operation_grows_sublinearly },
		{ "broadcast_newer_goes_first_across_id_wrap", test_broadcast_newer_goes_first_across_id_wrap },
		{ "broadcast_capped_stops_at_its_own_limit", test_broadcast_capped_stops_at_its_own_limit },
		TEST(test_broadcast_name_index_past_16_bit_buckets),
		TEST(test_broadcast_hinted_push_reuses_the_same_blob),
		TEST(test_broadcast_hinted_push_replaces_unless_fresh),
	};
	return RUN_SUITE("gossip_pool_broadcast", tests);
}

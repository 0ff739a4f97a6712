/* gossip/serf_glue.c at scale: 200,000 intents about the most names it keeps
 * (MF_SERF_GLUE_MAX_ENTRIES) through the name index, a push-pull merge of
 * 100,000 statuses in bounded time, and removals that keep the index
 * consistent. Behaviour is observed through the delegate
 * hooks and the counters, as the agent sees it. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/serf_glue.h"
#include "gossip/serf.h"
#include "tests/cost.h"
#include "tests/cunit_main.h"

enum { N = 100000, M = MF_SERF_GLUE_MAX_ENTRIES };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void node_name(char *buf, size_t cap, unsigned i)
{
	snprintf(buf, cap, "node-%u", i);
}

/* Delivers a join intent for node i at ltime as a gossiped message. */
static void send_join(struct mf_pool_delegate *d, msgpack_sbuffer *sb, unsigned i, uint64_t ltime)
{
	char name[32];
	node_name(name, sizeof(name), i);
	struct mf_serf_join j = {ltime, {(const uint8_t *)name, strlen(name)}};
	msgpack_sbuffer_clear(sb);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_join(sb, &j), 0);
	d->on_user_msg(d->ctx, (const uint8_t *)sb->data, sb->size);
}

static void test_serf_glue_intents_for_the_most_names_and_removals(void)
{
	struct mf_serf_glue g;
	struct mf_pool_delegate d = {0};
	msgpack_sbuffer sb;
	double t0 = now_s();

	mf_serf_glue_init(&g, "self");
	mf_serf_glue_delegate(&g, &d);
	msgpack_sbuffer_init(&sb);
	for (unsigned i = 0; i < M; i++)
		send_join(&d, &sb, i, 10);
	CU_ASSERT_EQUAL(g.n_entries, M);
	CU_ASSERT_EQUAL(g.stats.rebroadcasts, M); /* each new */
	/* Past the bound a name is not remembered (nor rebroadcast). */
	send_join(&d, &sb, M, 10);
	CU_ASSERT_EQUAL(g.n_entries, M);
	CU_ASSERT_EQUAL(g.stats.rebroadcasts, M);
	/* The same intents again are old news: every one is found. */
	for (unsigned i = 0; i < M; i++)
		send_join(&d, &sb, i, 10);
	CU_ASSERT_EQUAL(g.stats.rebroadcasts, M);
	/* The pool reaps every other node: its entry goes, others stay found. */
	char name[32];
	for (unsigned i = 0; i < M; i += 2) {
		node_name(name, sizeof(name), i);
		struct mf_pool_event ev = {.kind = MF_EV_REAPED, .name = name};
		mf_serf_glue_on_event(&g, &ev);
	}
	CU_ASSERT_EQUAL(g.n_entries, M / 2);
	for (unsigned i = 0; i < M; i++)
		send_join(&d, &sb, i, 10);
	/* only the reaped half is new again */
	CU_ASSERT_EQUAL(g.stats.rebroadcasts, M + M / 2);
	CU_ASSERT_EQUAL(g.n_entries, M);
	msgpack_sbuffer_destroy(&sb);
	mf_serf_glue_free(&g);
	double took = now_s() - t0;
	fprintf(stderr, "\n  200k intents over 64k names, half reaped: %.2f s\n", took);
	/* a linear find takes minutes here; 60 s leaves room for sanitizers
	 * on a loaded machine */
	CU_ASSERT(took < 60.0);
}

/* The flush's shortcut (mf_pool_broadcast_user_about) may skip the queue's
 * name lookup only for an intent whose entry was made for it, and only
 * while the glue never dropped an entry (a dropped node's intent may still
 * be queued in the pool). */
static void test_serf_glue_queues_an_intent_fresh_only_for_a_name_never_seen(void)
{
	struct mf_serf_glue g;
	struct mf_pool_delegate d = {0};
	msgpack_sbuffer sb;
	char name[32];

	mf_serf_glue_init(&g, "self");
	mf_serf_glue_delegate(&g, &d);
	msgpack_sbuffer_init(&sb);
	send_join(&d, &sb, 1, 10);
	send_join(&d, &sb, 1, 11); /* newer: rebroadcast, the entry known */
	send_join(&d, &sb, 2, 10);
	CU_ASSERT_EQUAL_FATAL(g.n_queue, 3);
	CU_ASSERT_TRUE(g.queue[0].fresh);
	CU_ASSERT_FALSE(g.queue[1].fresh);
	CU_ASSERT_TRUE(g.queue[2].fresh);
	node_name(name, sizeof(name), 1);
	CU_ASSERT_EQUAL(g.queue[0].name_id, mf_serf_glue_find(&g, name)->name_id);
	struct mf_pool_event ev = {.kind = MF_EV_REAPED, .name = name};
	mf_serf_glue_on_event(&g, &ev);
	send_join(&d, &sb, 1, 12); /* new again, but its old intent may be queued */
	send_join(&d, &sb, 3, 10); /* never seen, but the glue has dropped one */
	CU_ASSERT_EQUAL_FATAL(g.n_queue, 5);
	CU_ASSERT_FALSE(g.queue[3].fresh);
	CU_ASSERT_FALSE(g.queue[4].fresh);
	msgpack_sbuffer_destroy(&sb);
	mf_serf_glue_free(&g);
}

static void test_serf_glue_merges_hundred_thousand_statuses_in_linear_time(void)
{
	struct mf_serf_glue g;
	struct mf_pool_delegate d = {0};
	msgpack_sbuffer sb;
	struct mf_serf_status_ltime *st = calloc(N, sizeof(*st));
	struct mf_bytes *left = calloc(N / 10, sizeof(*left));
	char (*names)[32] = calloc(N, 32);

	CU_ASSERT_FATAL(st && left && names);
	for (unsigned i = 0; i < N; i++) {
		node_name(names[i], 32, i);
		st[i] = (struct mf_serf_status_ltime){{(const uint8_t *)names[i], strlen(names[i])},
						      100 + i};
	}
	/* every tenth node left (LeftMembers names it, with its status LTime) */
	for (unsigned k = 0; k < N / 10; k++)
		left[k] = st[k * 10].node;
	struct mf_serf_push_pull pp = {.ltime = 500000, .event_ltime = 1, .query_ltime = 1,
				       .status = st, .n_status = N, .left = left,
				       .n_left = N / 10};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_push_pull(&sb, &pp), 0);

	mf_serf_glue_init(&g, "self");
	mf_serf_glue_delegate(&g, &d);
	double t0 = now_s();
	d.merge_remote_state(d.ctx, (const uint8_t *)sb.data, sb.size, false);
	double took = now_s() - t0;
	CU_ASSERT_EQUAL(g.stats.push_pulls_merged, 1);
	CU_ASSERT_EQUAL(g.stats.decode_errors, 0);
	/* leaves first, then joins up to the bound */
	CU_ASSERT_EQUAL(g.n_entries, M);
	CU_ASSERT_EQUAL(g.clock, 500000);
	/* Left nodes hold a leave intent one above their status LTime, the
	 * others the status LTime as a join. */
	size_t wrong = 0, leaves = 0;
	for (size_t e = 0; e < g.n_entries; e++) {
		unsigned i = (unsigned)strtoul(mf_serf_glue_entry_name(&g, &g.entries[e]) + 5, NULL, 10);
		bool is_left = i % 10 == 0;
		leaves += g.entries[e].leave_intent;
		wrong += g.entries[e].leave_intent != is_left ||
			 g.entries[e].ltime != 100 + i + (is_left ? 1 : 0);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(leaves, N / 10);
	fprintf(stderr, "\n  merge of 100k statuses, 10k left: %.2f s\n", took);
	CU_ASSERT(took < 60.0); /* the pairwise scan is 10^9 compares */
	mf_serf_glue_free(&g);
	msgpack_sbuffer_destroy(&sb);
	free(st);
	free(left);
	free(names);
}

/* fuzz_serf's finding (corpus/serf/ubsan-nil-left-member-350): a state
 * naming a node nil or "" (decoded as (NULL, 0)) merges without memcmp on
 * NULL (UBSan), and the other names are taken as usual. */
static void test_serf_glue_merges_state_naming_an_empty_node(void)
{
	struct mf_serf_glue g;
	struct mf_pool_delegate d = {0};
	msgpack_sbuffer sb;
	struct mf_serf_status_ltime st[2] = {{{NULL, 0}, 7}, {{(const uint8_t *)"n1", 2}, 8}};
	struct mf_bytes left[2] = {{NULL, 0}, {(const uint8_t *)"n1", 2}};
	struct mf_serf_push_pull pp = {.ltime = 9, .event_ltime = 1, .query_ltime = 1,
				       .status = st, .n_status = 2, .left = left, .n_left = 2};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_push_pull(&sb, &pp), 0);
	mf_serf_glue_init(&g, "self");
	mf_serf_glue_delegate(&g, &d);
	d.merge_remote_state(d.ctx, (const uint8_t *)sb.data, sb.size, false);
	CU_ASSERT_EQUAL(g.stats.push_pulls_merged, 1);
	size_t n1 = 0;
	for (size_t e = 0; e < g.n_entries; e++)
		if (strcmp(mf_serf_glue_entry_name(&g, &g.entries[e]), "n1") == 0) {
			n1++;
			CU_ASSERT_TRUE(g.entries[e].leave_intent);
			CU_ASSERT_EQUAL(g.entries[e].ltime, 9);
		}
	CU_ASSERT_EQUAL(n1, 1);
	mf_serf_glue_free(&g);
	msgpack_sbuffer_destroy(&sb);
}

/* A pool of 10,000: its serf state (some 200 KB) is over the first 64 KB
 * the pool offers, so the glue asks for more instead of sending nothing,
 * and a peer merging it learns every intent. */
static void test_serf_glue_state_of_ten_thousand_asks_for_room_and_merges_whole(void)
{
	enum { P = 10000 };
	struct mf_serf_glue a, b;
	struct mf_pool_delegate da = {0}, db = {0};
	msgpack_sbuffer sb;
	char name[32];

	mf_serf_glue_init(&a, "self");
	mf_serf_glue_init(&b, "other");
	mf_serf_glue_delegate(&a, &da);
	mf_serf_glue_delegate(&b, &db);
	msgpack_sbuffer_init(&sb);
	for (unsigned i = 0; i < P; i++) {
		send_join(&da, &sb, i, 100 + i);
		node_name(name, sizeof(name), i);
		struct mf_pool_event ev = {.kind = MF_EV_JOIN, .name = name};
		mf_serf_glue_on_event(&a, &ev);
	}
	uint8_t *buf = malloc(MF_POOL_USER_STATE_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	size_t need = da.local_state(da.ctx, false, buf, MF_POOL_USER_STATE_FIRST);
	CU_ASSERT(need > MF_POOL_USER_STATE_FIRST);
	CU_ASSERT_EQUAL(a.stats.push_pulls_sent, 0);
	CU_ASSERT_EQUAL(a.stats.push_pulls_too_big, 0); /* only asked for more */
	size_t len = da.local_state(da.ctx, false, buf, 2 * need);
	CU_ASSERT_EQUAL_FATAL(len, need);
	CU_ASSERT_EQUAL(a.stats.push_pulls_sent, 1);
	/* the encode buffer of a state this large is not kept (N pools) */
	CU_ASSERT(need > MF_SERF_GLUE_SCRATCH_KEEP);
	CU_ASSERT(a.scratch.alloc <= MF_SERF_GLUE_SCRATCH_KEEP);
	db.merge_remote_state(db.ctx, buf, len, false);
	CU_ASSERT_EQUAL(b.stats.decode_errors, 0);
	CU_ASSERT_EQUAL(b.n_entries, P);
	size_t wrong = 0;
	for (size_t e = 0; e < b.n_entries; e++) {
		unsigned i = (unsigned)strtoul(mf_serf_glue_entry_name(&b, &b.entries[e]) + 5, NULL, 10);
		wrong += b.entries[e].ltime != 100 + i || b.entries[e].leave_intent;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* Past the most the pool offers it is counted (and the agent logs it). */
	CU_ASSERT(da.local_state(da.ctx, false, buf, 1000) > 1000);
	CU_ASSERT_EQUAL(a.stats.push_pulls_too_big, 0);
	free(buf);
	msgpack_sbuffer_destroy(&sb);
	mf_serf_glue_free(&a);
	mf_serf_glue_free(&b);
}

/* Over MF_POOL_USER_STATE_MAX (20,000 names of 240 bytes: ~5 MB) the state
 * is not sent, and that is counted, not silent. */
static void test_serf_glue_state_over_the_most_is_counted(void)
{
	enum { P = 20000 };
	struct mf_serf_glue a;
	struct mf_pool_delegate d = {0};
	char name[241];
	mf_serf_glue_init(&a, "self");
	mf_serf_glue_delegate(&a, &d);
	for (unsigned i = 0; i < P; i++) {
		memset(name, 'x', 240);
		snprintf(name, 16, "n%u-", i);
		name[strlen(name)] = 'x';
		name[240] = '\0';
		struct mf_pool_event ev = {.kind = MF_EV_JOIN, .name = name};
		mf_serf_glue_on_event(&a, &ev);
	}
	CU_ASSERT_EQUAL_FATAL(a.n_entries, P);
	uint8_t *buf = malloc(MF_POOL_USER_STATE_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT(d.local_state(d.ctx, false, buf, MF_POOL_USER_STATE_MAX) >
		  MF_POOL_USER_STATE_MAX);
	CU_ASSERT_EQUAL(a.stats.push_pulls_too_big, 1);
	CU_ASSERT_EQUAL(a.stats.push_pulls_sent, 0);
	free(buf);
	mf_serf_glue_free(&a);
}

/* CPU seconds per intent: n gossiped intents about n / 2 names (a join,
 * then a newer leave for each), each looked up and recorded, best of 3. */
static double intent_cost(size_t n)
{
	double best = 1e9;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	for (int rep = 0; rep < 3; rep++) {
		struct mf_serf_glue g;
		struct mf_pool_delegate d = {0};
		mf_serf_glue_init(&g, "self");
		mf_serf_glue_delegate(&g, &d);
		double t0 = mf_test_cpu_s();
		for (unsigned i = 0; i < n / 2; i++)
			send_join(&d, &sb, i, 10);
		for (unsigned i = 0; i < n / 2; i++) {
			char name[32];
			node_name(name, sizeof(name), i);
			struct mf_serf_leave l = {11, {(const uint8_t *)name, strlen(name)}, false};
			msgpack_sbuffer_clear(&sb);
			CU_ASSERT_EQUAL_FATAL(mf_serf_encode_leave(&sb, &l), 0);
			d.on_user_msg(d.ctx, (const uint8_t *)sb.data, sb.size);
		}
		double per = (mf_test_cpu_s() - t0) / n;
		CU_ASSERT_EQUAL(g.n_entries, n / 2);
		CU_ASSERT_EQUAL(g.stats.join_intents + g.stats.leave_intents, n);
		const struct mf_serf_entry *e = mf_serf_glue_find(&g, "node-7");
		CU_ASSERT(e != NULL && e->leave_intent && e->ltime == 11);
		mf_serf_glue_free(&g);
		best = per < best ? per : best;
	}
	msgpack_sbuffer_destroy(&sb);
	return best;
}

/* O(1) expected per intent: the cost of one with 100,000 intents (50,000
 * names) is within a small factor of its cost with 10,000 (a scan of the
 * names per intent makes it 10x). */
static void test_serf_glue_cost_per_intent_does_not_grow_with_the_names(void)
{
	mf_test_cost_within_5x("intent (intents)", intent_cost, 10000, 100000);
}

/* serf's checkQueueDepth (serf.go): every QueueCheckInterval (30 s) the
 * intent queue is pruned to MaxQueueDepth (4,096). 5,000 new join intents
 * fill the pool's user queue beside one other user message; a flush
 * before the check keeps all, the one at 30 s leaves 4,096 intents and
 * the other message. */
static void test_serf_glue_prunes_queued_intents_as_serf_does(void)
{
	enum { Q = 5000 };
	struct mf_pool_config c;
	mf_pool_t *p;
	struct mf_serf_glue g;
	struct mf_pool_delegate d = {0};
	msgpack_sbuffer sb;
	size_t members, user;

	mf_pool_config_init(&c, MF_PROFILE_LAN);
	snprintf(c.name, sizeof(c.name), "self");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 127;
	c.advertise.ip[1] = 190;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&c, 0, &p), 0);
	mf_serf_glue_init(&g, "self");
	mf_serf_glue_delegate(&g, &d);
	msgpack_sbuffer_init(&sb);
	CU_ASSERT(mf_serf_glue_flush_due(&g, 0)); /* the first flush starts the clock */
	CU_ASSERT_EQUAL(mf_pool_broadcast_user(p, "other", (const uint8_t *)"x", 1), 0);
	for (unsigned i = 0; i < Q; i++) {
		send_join(&d, &sb, i, 10);
		if (g.n_queue == MF_SERF_GLUE_MAX_QUEUE)
			mf_serf_glue_flush(&g, p, 0);
	}
	mf_serf_glue_flush(&g, p, 0);
	mf_pool_broadcast_depth(p, &members, &user);
	CU_ASSERT_EQUAL(user, Q + 1);
	CU_ASSERT(!mf_serf_glue_flush_due(&g, 29 * MF_SEC));
	mf_serf_glue_flush(&g, p, 29 * MF_SEC);
	mf_pool_broadcast_depth(p, &members, &user);
	CU_ASSERT_EQUAL(user, Q + 1);
	CU_ASSERT(mf_serf_glue_flush_due(&g, 30 * MF_SEC));
	mf_serf_glue_flush(&g, p, 30 * MF_SEC);
	mf_pool_broadcast_depth(p, &members, &user);
	CU_ASSERT_EQUAL(user, MF_SERF_GLUE_MAX_QUEUE_DEPTH + 1);
	CU_ASSERT_EQUAL(g.stats.intents_pruned, Q - MF_SERF_GLUE_MAX_QUEUE_DEPTH);
	CU_ASSERT(!mf_serf_glue_flush_due(&g, 59 * MF_SEC)); /* 30 s after the check */
	CU_ASSERT(mf_serf_glue_flush_due(&g, 60 * MF_SEC));
	msgpack_sbuffer_destroy(&sb);
	mf_serf_glue_free(&g);
	mf_pool_free(p);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "serf_glue_intents_for_the_most_names_and_removals", test_serf_glue_intents_for_the_most_names_and_removals },
		{ "serf_glue_state_of_ten_thousand_asks_for_room_and_merges_whole", test_serf_glue_state_of_ten_thousand_asks_for_room_and_merges_whole },
		{ "serf_glue_state_over_the_most_is_counted", test_serf_glue_state_over_the_most_is_counted },
		TEST(test_serf_glue_prunes_queued_intents_as_serf_does),
		TEST(test_serf_glue_queues_an_intent_fresh_only_for_a_name_never_seen),
		{ "serf_glue_merges_hundred_thousand_statuses_in_linear_time", test_serf_glue_merges_hundred_thousand_statuses_in_linear_time },
		{ "serf_glue_merges_state_naming_an_empty_node", test_serf_glue_merges_state_naming_an_empty_node },
		{ "serf_glue_cost_per_intent_does_not_grow_with_the_names", test_serf_glue_cost_per_intent_does_not_grow_with_the_names },
	};
	return RUN_SUITE("serf_glue", tests);
}

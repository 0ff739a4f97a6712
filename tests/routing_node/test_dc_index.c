/*
 * tests/routing_node/test_dc_index.c — routing/dc_index.h: a pool's members
 * by DC, read again only when membership changed (join, failure, tag
 * change), so the routing node's idle tick does not touch every member.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/codec.h"
#include "gossip/serf.h"
#include "gossip/members.h"
#include "gossip/name_hash.h"
#include "routing/dc_index.h"
#include "tests/cunit_main.h"

static mf_pool_t *pool;
static struct mf_intern strs; /* the pool's, as an agent's pools share one */
static struct mf_addr from;

static void drain(void)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(pool, &o) == 1)
		;
}

static void dc_meta(const char *dc, uint8_t *meta, size_t *len)
{
	struct mf_tag t[1] = {0};
	snprintf(t[0].key, sizeof(t[0].key), "dc");
	snprintf(t[0].value, sizeof(t[0].value), "%s", dc);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_tags(t, 1, meta, MF_META_MAX, len), 0);
}

/* Member i at incarnation inc, tagged dc (memberlist alive over UDP). */
static void send_alive(unsigned i, uint32_t inc, const char *dc)
{
	char name[16];
	uint8_t meta[MF_META_MAX], ip[4] = {10, 1, (uint8_t)(i >> 8), (uint8_t)i};
	uint8_t vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;
	struct mf_msg_alive m = {0};
	msgpack_sbuffer sb;
	snprintf(name, sizeof(name), "m%04u", i);
	dc_meta(dc, meta, &m.meta.len);
	m.incarnation = inc;
	m.node = (struct mf_bytes){(const uint8_t *)name, strlen(name)};
	m.addr = (struct mf_bytes){ip, 4};
	m.port = 7946;
	m.meta.p = meta;
	memcpy(m.vsn, vsn, sizeof(vsn));
	m.has_vsn = true;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_codec_encode_alive(&sb, &m), 0);
	mf_pool_udp_in(pool, 0, &from, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	drain();
}

static void send_dead(unsigned i, uint32_t inc)
{
	char name[16];
	msgpack_sbuffer sb;
	snprintf(name, sizeof(name), "m%04u", i);
	struct mf_msg_dead d = {inc, {(const uint8_t *)name, strlen(name)},
				{(const uint8_t *)"other", 5}};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_codec_encode_dead(&sb, &d), 0);
	mf_pool_udp_in(pool, 0, &from, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	drain();
}

/* x is, field for field, what a fresh build of the pool reads. */
static void assert_same_as_fresh(const struct mf_dc_index *x, const char *self)
{
	struct mf_dc_index f;
	mf_dc_index_init(&f);
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&f, pool, self), 0);
	CU_ASSERT_EQUAL_FATAL(x->n_mem, f.n_mem);
	CU_ASSERT_EQUAL_FATAL(x->n_groups, f.n_groups);
	CU_ASSERT_EQUAL(x->self_at, f.self_at);
	for (size_t i = 0; i < x->n_mem; i++) {
		CU_ASSERT_STRING_EQUAL(x->mem[i].name, f.mem[i].name);
		CU_ASSERT_STRING_EQUAL(x->mem[i].dc, f.mem[i].dc);
		CU_ASSERT_EQUAL(x->mem[i].status, f.mem[i].status);
		CU_ASSERT_EQUAL(x->meshfed[i], f.meshfed[i]);
	}
	for (size_t g = 0; g < x->n_groups; g++) {
		CU_ASSERT_STRING_EQUAL(x->groups[g].dc, f.groups[g].dc);
		CU_ASSERT_EQUAL(x->groups[g].start, f.groups[g].start);
		CU_ASSERT_EQUAL(x->groups[g].n, f.groups[g].n);
		CU_ASSERT_EQUAL(x->groups[g].n_alive, f.groups[g].n_alive);
		CU_ASSERT_EQUAL(x->groups[g].n_others, f.groups[g].n_others);
		CU_ASSERT_EQUAL(x->groups[g].n_others_alive, f.groups[g].n_others_alive);
		CU_ASSERT_EQUAL(x->groups[g].first_other, f.groups[g].first_other);
		CU_ASSERT_EQUAL(x->order[g], f.order[g]);
	}
	mf_dc_index_free(&f);
}

static void setup(void)
{
	struct mf_pool_config c;
	mf_pool_config_init(&c, MF_PROFILE_LAN);
	strcpy(c.name, "me");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 10;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	dc_meta("dc1", c.meta, &c.meta_len);
	mf_intern_init(&strs);
	c.intern = &strs;
	if (mf_pool_new(&c, 0, &pool) != 0)
		abort();
	mf_addr_parse("10.0.0.2:7946", 7946, &from);
	drain();
}

static void teardown(void)
{
	mf_pool_free(pool);
	mf_intern_free(&strs);
}

enum { N = 3000 };

static const char *dc_of(unsigned i)
{
	static const char *dcs[] = {"dc1", "dc2", "dc3", "dc4", "dc5"};
	return dcs[i % 5];
}

static void test_dc_index_groups_members_by_dc_tag_in_pool_order(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	for (unsigned i = 0; i < N; i++)
		send_alive(i, 1, dc_of(i));
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.n_groups, 5);
	CU_ASSERT_EQUAL(x.n_mem, N + 1);
	const struct mf_dc_group *g1 = mf_dc_index_find(&x, "dc1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
	CU_ASSERT_EQUAL(g1->n, N / 5 + 1);        /* us too */
	CU_ASSERT_EQUAL(g1->n_alive, N / 5 + 1);
	CU_ASSERT_EQUAL(g1->n_others, N / 5);
	for (size_t k = 0; k < g1->n; k++)
		CU_ASSERT_STRING_EQUAL(x.mem[g1->start + k].dc, "dc1");
	CU_ASSERT_PTR_NULL(mf_dc_index_find(&x, "dc6"));
	/* pool (name) order of each DC's first member: m0000 dc1, m0001 dc2, ... */
	for (size_t k = 0; k < 5; k++)
		CU_ASSERT_STRING_EQUAL(x.groups[x.order[k]].dc, dc_of((unsigned)k));
	mf_dc_index_free(&x);
}

static void test_dc_index_idle_sync_reads_nothing_and_changes_rebuild(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	for (unsigned i = 0; i < N; i++)
		send_alive(i, 1, dc_of(i));
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 1);
	/* an idle minute of 250 ms ticks */
	for (int t = 0; t < 240; t++)
		CU_ASSERT_EQUAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 1);

	/* every dc5 member fails: dc5 has no alive server left; statuses
	 * only, re-read in place */
	for (unsigned i = 4; i < N; i += 5)
		send_dead(i, 1);
	CU_ASSERT_EQUAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 1);
	CU_ASSERT_EQUAL(x.refreshes, 1);
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc5")->n_alive, 0);
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc5")->n, N / 5);

	/* one dc2 member re-tags itself dc9: moved from the journal */
	send_alive(1, 2, "dc9");
	CU_ASSERT_EQUAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 1);
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc9")->n_alive, 1);
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc2")->n, N / 5 - 1);

	/* a new member joins: inserted, not rebuilt */
	send_alive(N, 1, "dc3");
	CU_ASSERT_EQUAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 1);
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc3")->n, N / 5 + 1);
	mf_dc_index_free(&x);
}

static void send_suspect(unsigned i, uint32_t inc)
{
	char name[16];
	msgpack_sbuffer sb;
	snprintf(name, sizeof(name), "m%04u", i);
	struct mf_msg_suspect m = {inc, {(const uint8_t *)name, strlen(name)},
				   {(const uint8_t *)"other", 5}};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_codec_encode_suspect(&sb, &m), 0);
	mf_pool_udp_in(pool, 0, &from, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	drain();
}

/* Issue 12: a suspicion storm (every member suspected, some failed, the
 * rest refuting) moves statuses only. Each sync reads the members the
 * journal names, never rebuilds, and the index is what a fresh build
 * reads. */
static void test_dc_index_status_storm_refreshes_without_rebuilding(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	for (unsigned i = 0; i < N; i++)
		send_alive(i, 1, dc_of(i));
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	for (unsigned i = 0; i < N; i++) {
		send_suspect(i, 1);
		if (i % 7 == 0)
			send_dead(i, 1);
		else if (i % 2 == 0)
			send_alive(i, 2, dc_of(i)); /* refuted */
		CU_ASSERT_EQUAL(mf_dc_index_sync(&x, pool, "me"), 0);
	}
	CU_ASSERT_EQUAL(x.rebuilds, 1);
	CU_ASSERT(x.updates >= N);
	CU_ASSERT_EQUAL(x.refreshes, 0);
	assert_same_as_fresh(&x, "me");
	CU_ASSERT_EQUAL(mf_dc_index_find(&x, "dc1")->n_others_alive,
			mf_dc_index_find(&x, "dc1")->n_alive - 1); /* us, alive */
	mf_dc_index_free(&x);
}

/* Issue 12: join batches (new members, new DCs, members re-tagged to
 * another DC or dropping the tag) are inserted from the pool's journal:
 * no sync rebuilds, and after each batch the index is field for field
 * what a fresh build reads (groups, their order, counts, self). */
static void test_dc_index_join_batches_insert_without_rebuilding(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	unsigned next = 0;
	for (unsigned batch = 0; batch < 25; batch++) {
		for (unsigned k = 0; k < 40; k++, next++) /* 40 joins a tick */
			send_alive((next * 37u) % 2000u, 1, dc_of(next * 3u + batch));
		send_alive((batch * 53u) % 2000u, 2, batch % 2 ? "dc-new" : "dc2"); /* re-tagged */
		if (batch % 5 == 4)
			send_dead((batch * 11u) % 2000u, 1);
		CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
		assert_same_as_fresh(&x, "me");
	}
	CU_ASSERT_EQUAL(x.rebuilds, 1); /* the first, empty pool */
	CU_ASSERT_EQUAL(x.refreshes, 0);
	CU_ASSERT_EQUAL(x.updates, 25);
	CU_ASSERT_EQUAL(x.n_mem, mf_pool_member_count(pool));
	mf_dc_index_free(&x);
}

/* Past what the journal holds between two syncs, the index reads the pool
 * again and is still right. */
static void test_dc_index_behind_the_journal_reads_the_pool_again(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	for (unsigned i = 0; i < 100; i++)
		send_alive(i, 1, dc_of(i));
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	for (unsigned i = 100; i < 100 + MF_MEMBERS_JOURNAL; i++) /* joins: two changes each */
		send_alive(i, 1, dc_of(i));
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 2);
	assert_same_as_fresh(&x, "me");
	for (unsigned i = 0; i < MF_MEMBERS_JOURNAL + 50; i++) /* statuses only */
		send_suspect(i, 1);
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.rebuilds, 2);
	CU_ASSERT_EQUAL(x.refreshes, 1);
	assert_same_as_fresh(&x, "me");
	mf_dc_index_free(&x);
}

/* Issue 12: with the pool's name ids shared, a member's name costs the
 * index no copy (it was a strdup each: 32 bytes of malloc a member, in
 * every server's index of its pool): every name the index holds is the
 * ids' own bytes, syncing adds no name to them, and freeing the index
 * leaves the pool's names held. */
static void test_dc_index_shared_names_cost_no_copy(void)
{
	struct mf_dc_index x;
	mf_dc_index_init(&x);
	CU_ASSERT_TRUE_FATAL(mf_dc_index_share_names(&x, &strs.ids));
	for (unsigned i = 0; i < 500; i++)
		send_alive(i, 1, dc_of(i));
	size_t held = strs.ids.n;
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.n_mem, 501);
	CU_ASSERT_EQUAL(strs.ids.n, held);
	CU_ASSERT_EQUAL(mf_name_ids_bound(&x.own_ids), 0);
	for (size_t i = 0; i < x.n_mem; i++) {
		const char *nm = x.mem[i].name;
		uint32_t id = mf_name_ids_find(&strs.ids, nm, strlen(nm), mf_name_hash(nm, strlen(nm)));
		CU_ASSERT_PTR_EQUAL(nm, mf_name_ids_name(&strs.ids, id));
	}
	send_alive(600, 1, "dc2"); /* one joins: inserted from the journal */
	CU_ASSERT_EQUAL_FATAL(mf_dc_index_sync(&x, pool, "me"), 0);
	CU_ASSERT_EQUAL(x.n_mem, 502);
	CU_ASSERT_EQUAL(strs.ids.n, held + 1);
	assert_same_as_fresh(&x, "me");
	CU_ASSERT_FALSE(mf_dc_index_share_names(&x, &strs.ids)); /* not empty */
	mf_dc_index_free(&x);
	CU_ASSERT_EQUAL(strs.ids.n, held + 1); /* the pool's holds stay */
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "dc_index_groups_members_by_dc_tag_in_pool_order", test_dc_index_groups_members_by_dc_tag_in_pool_order },
		{ "dc_index_idle_sync_reads_nothing_and_changes_rebuild", test_dc_index_idle_sync_reads_nothing_and_changes_rebuild },
		{ "dc_index_status_storm_refreshes_without_rebuilding", test_dc_index_status_storm_refreshes_without_rebuilding },
		{ "dc_index_join_batches_insert_without_rebuilding", test_dc_index_join_batches_insert_without_rebuilding },
		{ "dc_index_behind_the_journal_reads_the_pool_again", test_dc_index_behind_the_journal_reads_the_pool_again },
		{ "dc_index_shared_names_cost_no_copy", test_dc_index_shared_names_cost_no_copy },
	};
	return RUN_SUITE_WITH("dc_index", setup, teardown, tests);
}

/*
 * tests/dc_matrix/test_dc_matrix.c — the DC matrix the agents embed
 * (routing/dc_matrix.h): built from advertised distances only, so servers
 * of different DCs, and of one DC, that measure differently still build
 * the same matrix; DCs that do not advertise are left out; a pair no one
 * advertises directly is unmeasured.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gossip/err.h"
#include "routing/dc_matrix.h"
#include "tests/cunit_main.h"

#define MAX MF_COORD_DC_EMBED_MAX

/* An engine for server `node` of `dc`; its first advert's seq is seq0 + 1. */
static struct mf_routing *engine(const char *dc, const char *node, uint64_t seq0)
{
	struct mf_routing_config c;
	struct mf_routing *r = NULL;
	mf_routing_config_default(&c);
	c.datacenter = dc;
	c.node = node;
	c.initial_seq = seq0;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	return r;
}

static void set_link(struct mf_routing *r, const char *dc, double ms)
{
	CU_ASSERT_FATAL(mf_routing_set_link(r, dc, true, true, ms) >= 0);
}

static void recompute(struct mf_routing *r)
{
	CU_ASSERT_EQUAL_FATAL(mf_routing_recompute(r, NULL), 0);
}

/* from's advertisement, as gossip delivers it to `to`. */
static void deliver(struct mf_routing *from, struct mf_routing *to)
{
	struct mf_advert a;
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(from, &a), 0);
	CU_ASSERT_FATAL(mf_routing_set_advert(to, &a) >= 0);
	mf_advert_free(&a);
}

/* Every engine's advert to every other, then a recompute of each, until
 * no advert changes (a new route or a seq floor makes new adverts). */
static void gossip(struct mf_routing **e, size_t n)
{
	bool moved = true;
	for (size_t i = 0; i < n; i++)
		recompute(e[i]);
	for (int round = 0; moved && round < 10; round++) {
		uint64_t seq[8];
		for (size_t i = 0; i < n; i++)
			seq[i] = mf_routing_advert_seq(e[i]);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if (i != j)
					deliver(e[i], e[j]);
		moved = false;
		for (size_t i = 0; i < n; i++) {
			recompute(e[i]);
			moved |= mf_routing_advert_seq(e[i]) != seq[i];
		}
	}
	CU_ASSERT_FATAL(!moved);
}

struct matrix {
	const char *names[MAX];
	double rtt[MAX * MAX];
	size_t k;
};

static void build(const struct mf_routing *r, struct matrix *m)
{
	CU_ASSERT_EQUAL_FATAL(mf_routing_dc_matrix(r, m->names, &m->k, m->rtt), 0);
}

/* m's entry from -> to in ms (NAN when a DC is missing). */
static double ms(const struct matrix *m, const char *from, const char *to)
{
	size_t i = MAX, j = MAX;
	for (size_t x = 0; x < m->k; x++) {
		if (strcmp(m->names[x], from) == 0)
			i = x;
		if (strcmp(m->names[x], to) == 0)
			j = x;
	}
	return i < MAX && j < MAX ? m->rtt[i * m->k + j] * 1000.0 : NAN;
}

/* Same DCs and the same entries, bit for bit, whatever the order. */
static void assert_same(const struct matrix *a, const struct matrix *b)
{
	CU_ASSERT_EQUAL_FATAL(a->k, b->k);
	for (size_t i = 0; i < a->k; i++)
		for (size_t j = 0; j < a->k; j++) {
			double x = a->rtt[i * a->k + j] * 1000.0, y = ms(b, a->names[i], a->names[j]);
			if (x != y)
				printf("\n  %s -> %s: %.6f ms here, %.6f ms there\n", a->names[i],
				       a->names[j], x, y);
			CU_ASSERT(x == y);
		}
}

/* Every engine's matrix into m[], each the same as the first's. */
static void build_all_same(struct mf_routing *const *e, struct matrix *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		build(e[i], &m[i]);
	for (size_t i = 1; i < n; i++)
		assert_same(&m[0], &m[i]);
}

/* Three DCs whose servers' live estimates then move by less than the
 * re-advertise threshold (5%): each one's own links differ from what it
 * advertised, and from what the others measure of the same pair. */
static void test_agents_of_different_dcs_build_the_same_matrix(void)
{
	struct mf_routing *e[3] = {engine("dc1", "dc1-s1", 0), engine("dc2", "dc2-s1", 0),
				   engine("dc3", "dc3-s1", 0)};
	set_link(e[0], "dc2", 100);
	set_link(e[0], "dc3", 150);
	set_link(e[1], "dc1", 102);
	set_link(e[1], "dc3", 120);
	set_link(e[2], "dc1", 149);
	set_link(e[2], "dc2", 121);
	gossip(e, 3);
	set_link(e[0], "dc2", 103);
	set_link(e[1], "dc1", 99);
	set_link(e[2], "dc2", 118);
	for (size_t i = 0; i < 3; i++)
		recompute(e[i]);

	struct matrix m[3];
	build_all_same(e, m, 3);
	CU_ASSERT_EQUAL(m[0].k, 3);
	/* What each DC advertised, not its live estimate. */
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[0], "dc1", "dc2"), 100, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[1], "dc2", "dc1"), 102, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[2], "dc3", "dc2"), 121, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[0], "dc2", "dc1"), 102, 1e-9);
	for (size_t i = 0; i < 3; i++)
		mf_routing_free(e[i]);
}

/* Two servers of dc1 with different live estimates: each reads dc1's row
 * from the newest advert of dc1 (the other server's when it is newer),
 * as dc2 stores it. */
static void test_servers_of_one_dc_read_their_dcs_newest_advert(void)
{
	struct mf_routing *e[3] = {engine("dc1", "dc1-s1", 0), engine("dc1", "dc1-s2", 1000),
				   engine("dc2", "dc2-s1", 0)};
	set_link(e[0], "dc2", 100);
	set_link(e[1], "dc2", 96);
	set_link(e[2], "dc1", 98);
	gossip(e, 3);

	struct matrix m[3];
	build_all_same(e, m, 3);
	CU_ASSERT_EQUAL(m[0].k, 2);
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[0], "dc1", "dc2"), 96, 1e-9); /* dc1-s2's: newer */

	/* dc1-s1 advertises anew (a link moved past the thresholds): its
	 * advert is now dc1's newest, everywhere it arrived. */
	set_link(e[0], "dc2", 130);
	gossip(e, 3);
	build_all_same(e, m, 3);
	CU_ASSERT_DOUBLE_EQUAL(ms(&m[1], "dc1", "dc2"), 130, 1e-9);
	for (size_t i = 0; i < 3; i++)
		mf_routing_free(e[i]);
}

/* A link target that never advertises (a DC-less group of serf agents) is
 * no row or column; a pair both sides reach through a third DC is 0. */
static void test_non_advertisers_are_left_out_and_indirect_pairs_unmeasured(void)
{
	struct mf_routing *e[3] = {engine("dc1", "dc1-s1", 0), engine("dc2", "dc2-s1", 0),
				   engine("dc3", "dc3-s1", 0)};
	set_link(e[0], "serf", 5);
	set_link(e[0], "dc2", 10);
	set_link(e[0], "dc3", 10);
	set_link(e[1], "dc1", 10);
	set_link(e[1], "dc3", 100); /* via dc1: 20 */
	set_link(e[2], "dc1", 10);
	set_link(e[2], "dc2", 100);
	gossip(e, 3);

	struct matrix m;
	build(e[0], &m);
	CU_ASSERT_EQUAL(m.k, 3);
	CU_ASSERT(isnan(ms(&m, "dc1", "serf")));
	CU_ASSERT_DOUBLE_EQUAL(ms(&m, "dc1", "dc2"), 10, 1e-9);
	CU_ASSERT_EQUAL(ms(&m, "dc2", "dc3"), 0);
	CU_ASSERT_EQUAL(ms(&m, "dc3", "dc2"), 0);
	CU_ASSERT_EQUAL(ms(&m, "dc1", "dc1"), 0);
	for (size_t i = 0; i < 3; i++)
		mf_routing_free(e[i]);
}

/* More DCs known than a small federation has: refused without a scan. */
static void test_more_dcs_than_a_small_federation_is_too_big(void)
{
	struct mf_routing *r = engine("dc0", "dc0-s1", 0);
	struct matrix m;
	char name[16];
	for (int i = 1; i < MF_DC_MATRIX_KNOWN_MAX; i++) {
		snprintf(name, sizeof(name), "dc%d", i);
		set_link(r, name, 10 + i);
	}
	recompute(r);
	build(r, &m);
	CU_ASSERT_EQUAL(m.k, 1); /* only dc0 advertises */
	set_link(r, "one-more", 1);
	recompute(r);
	CU_ASSERT_EQUAL(mf_routing_dc_matrix(r, m.names, &m.k, m.rtt), MF_ETOOBIG);
	CU_ASSERT_EQUAL(m.k, 0);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_agents_of_different_dcs_build_the_same_matrix),
		TEST(test_servers_of_one_dc_read_their_dcs_newest_advert),
		TEST(test_non_advertisers_are_left_out_and_indirect_pairs_unmeasured),
		TEST(test_more_dcs_than_a_small_federation_is_too_big),
	};
	return RUN_SUITE("dc_matrix", tests);
}

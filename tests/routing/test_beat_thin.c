/* Thinner beats (routing/engine.h relay_rises; docs/routing.md "Thinner
 * beats"): the engine rules that let the node list other DCs in its beats
 * once a minute instead of every beat.
 *  - with relay_rises, a rise of another DC's epoch is listed by
 *    mf_routing_hurried_beats (relayed within a hurried-beat gap); without,
 *    only a dating moved back is;
 *  - an epoch heard without age (a full state) is dated one beat interval
 *    after the dating held of the epoch before, not at its arrival (each
 *    late dating was a hurried beat and answers);
 *  - the servers of a DC share one beat: taking a mate's newer epoch dates
 *    our next rise from the mate's, so the DC's epoch rises once per
 *    interval, not once per server. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "routing/beat.h"
#include "routing/engine.h"
#include "tests/cunit_main.h"
#include "tests/routing/helpers.h"

#define MAX_AGE 40
#define BEAT 10
#define HURRY 5

/* An engine of DC dc, server node, at epoch 100, its clock started at
 * `start`: beats apart, ages in clock units, hurried beats. */
static struct mf_routing *engine(const char *dc, const char *node, bool relay, uint64_t start)
{
	struct mf_routing_config c;
	h_aged_config(&c, dc, BEAT, MAX_AGE, 1, HURRY);
	c.node = node;
	c.relay_rises = relay;
	struct mf_routing *r = h_engine_at(&c, start);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}


/* from's whole beat at `now`, taken by `to` as from DC from_dc's. */
static size_t beat(struct mf_routing *from, const char *from_dc, struct mf_routing *to, uint64_t now)
{
	struct mf_beat_entry e[8];
	size_t n = h_beats_at(from, now, e, 8);
	mf_routing_set_now(to, now);
	return mf_routing_take_beats(to, from_dc, e, n);
}

/* r's beat entry about dc at `now` (false when none). */
static bool entry_of(struct mf_routing *r, const char *dc, uint64_t now, struct mf_beat_entry *out)
{
	struct mf_beat_entry e[8];
	size_t n = h_beats_at(r, now, e, 8);
	for (size_t i = 0; i < n; i++)
		if (e[i].dc_hash == mf_beat_dc_hash(dc)) {
			*out = e[i];
			return true;
		}
	return false;
}

/* dc2 hears dc1's rise at 1010 in a beat; how many entries its hurried
 * beat then lists. */
static size_t relayed_after_rise(bool relay)
{
	struct mf_routing *a = engine("dc1", "dc1", relay, 1000), *b = engine("dc2", "dc2", relay, 1000);
	struct mf_beat_entry out[8];
	CU_ASSERT_EQUAL(h_link_both(a, "dc1", b, "dc2"), 0);
	CU_ASSERT_EQUAL(h_pass_advert(a, b, 1000), 0);
	(void)mf_routing_hurried_beats(b, out, 8); /* nothing before the rise */
	CU_ASSERT_EQUAL(beat(a, "dc1", b, 1010), 1);
	size_t n = mf_routing_hurried_beats(b, out, 8);
	if (n == 1) /* dc1's new epoch, dated at its rise */
		CU_ASSERT(out[0].dc_hash == mf_beat_dc_hash("dc1") && out[0].epoch16 == 101 && out[0].age == 0);
	/* listed once */
	CU_ASSERT_EQUAL(mf_routing_hurried_beats(b, out, 8), 0);
	mf_routing_free(a);
	mf_routing_free(b);
	return n;
}

static void test_a_rise_is_relayed_at_once_with_relay_rises(void)
{
	CU_ASSERT_EQUAL(relayed_after_rise(true), 1);
	CU_ASSERT_EQUAL(relayed_after_rise(false), 0);
}

static void test_an_epoch_heard_in_a_full_state_is_dated_a_beat_after_the_last(void)
{
	struct mf_routing *a = engine("dc1", "dc1", true, 1000), *b = engine("dc2", "dc2", true, 1000);
	struct mf_beat_entry e;
	CU_ASSERT_EQUAL(h_link_both(a, "dc1", b, "dc2"), 0);
	CU_ASSERT_EQUAL(h_pass_advert(a, b, 1000), 0);
	CU_ASSERT_EQUAL(beat(a, "dc1", b, 1010), 1); /* epoch 101, raised at 1010 */
	/* dc1's next rise, 102, reaches dc2 only in dc1's full state at 1035:
	 * dated at 1020 (one interval after 101's), not at 1035 */
	CU_ASSERT_EQUAL(mf_routing_set_link(a, "dc9", true, true, 10), 1); /* a new state */
	CU_ASSERT_EQUAL(h_pass_advert(a, b, 1035), 0);
	CU_ASSERT_FATAL(entry_of(b, "dc1", 1035, &e));
	CU_ASSERT_EQUAL(e.epoch16, 102);
	CU_ASSERT_EQUAL(e.age, 15);
	/* never later than its arrival: a first contact is dated at it */
	struct mf_routing *c = engine("dc3", "dc3", true, 1000);
	CU_ASSERT_EQUAL(h_link_both(b, "dc2", c, "dc3"), 0);
	CU_ASSERT_EQUAL(h_pass_advert(b, c, 1036), 0);
	CU_ASSERT_FATAL(entry_of(c, "dc1", 1036, &e));
	CU_ASSERT_EQUAL(e.age, 0);
	mf_routing_free(a);
	mf_routing_free(b);
	mf_routing_free(c);
}

/* The late-tick allowance of a dating from the last rise (rise_late; by
 * default 1/32 of the interval): the node sets 15 s / 32 whatever its
 * interval, since 1/32 of 30 s (0.94 s) plus a datagram's transit passed
 * the hurry threshold (1 s) and each such dating was answered. Interval
 * 640: epoch 102, raised at 2280 and heard in a full state at 2900, is
 * dated 640 + rise_late after 101's rise at 1640. */
static uint64_t dated_from_the_last_rise(uint64_t rise_late)
{
	struct mf_routing_config c;
	struct mf_routing *a = NULL, *b = NULL;
	struct mf_beat_entry e = {0, 0, 0};
	h_aged_config(&c, "dc1", 640, 4 * 640, 1, HURRY);
	c.relay_rises = true;
	c.rise_late = rise_late;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &a), 0);
	c.datacenter = c.node = "dc2";
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &b), 0);
	mf_routing_set_now(a, 1000);
	mf_routing_set_now(b, 1000);
	CU_ASSERT_EQUAL(h_link_both(a, "dc1", b, "dc2"), 0);
	CU_ASSERT_EQUAL(h_pass_advert(a, b, 1000), 0);
	CU_ASSERT_EQUAL(beat(a, "dc1", b, 1640), 1); /* epoch 101, raised at 1640 */
	mf_routing_set_now(a, 2280);                 /* epoch 102 */
	CU_ASSERT_EQUAL(mf_routing_set_link(a, "dc9", true, true, 10), 1); /* a new state */
	CU_ASSERT_EQUAL(h_pass_advert(a, b, 2900), 0);
	CU_ASSERT(entry_of(b, "dc1", 2900, &e));
	CU_ASSERT_EQUAL(e.epoch16, 102);
	mf_routing_free(a);
	mf_routing_free(b);
	return 2900 - e.age;
}

static void test_a_dating_from_the_last_rise_allows_rise_late(void)
{
	CU_ASSERT_EQUAL(dated_from_the_last_rise(0), 1640 + 640 + 640 / 32);
	CU_ASSERT_EQUAL(dated_from_the_last_rise(10), 1640 + 640 + 10);
}

static void test_servers_of_a_dc_share_one_beat(void)
{
	/* s2's clock started 5 after s1's: out of phase by half a beat */
	struct mf_routing *s1 = engine("dc1", "dc1-s1", true, 1000), *s2 = engine("dc1", "dc1-s2", true, 1005);
	struct mf_beat_entry e;
	CU_ASSERT_EQUAL(beat(s1, "dc1", s2, 1010), 1); /* s1 raised 101 at 1010 */
	/* s2's own rise (due at 1015 by its clock) waits for 1020 */
	CU_ASSERT_FATAL(entry_of(s2, "dc1", 1015, &e));
	CU_ASSERT_EQUAL(e.epoch16, 101);
	CU_ASSERT_EQUAL(e.age, 5);
	CU_ASSERT_FATAL(entry_of(s2, "dc1", 1020, &e));
	CU_ASSERT_EQUAL(e.epoch16, 102);
	CU_ASSERT_EQUAL(e.age, 0);
	mf_routing_free(s1);
	mf_routing_free(s2);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"a rise is relayed at once with relay_rises", test_a_rise_is_relayed_at_once_with_relay_rises},
		{"an epoch heard in a full state is dated a beat after the last",
		 test_an_epoch_heard_in_a_full_state_is_dated_a_beat_after_the_last},
		{"servers of a DC share one beat", test_servers_of_a_dc_share_one_beat},
		{"a dating from the last rise allows rise_late", test_a_dating_from_the_last_rise_allows_rise_late},
	};
	return RUN_SUITE("routing_beat_thin", tests);
}

/* Origin ages (routing/beat.h "a", routing/engine.h beat_age_unit;
 * docs/routing.md "Origin ages"): every DC ages a target from its origin's
 * last epoch rise, not from when that rise reached it.
 *  - a beat without ages (an agent before them) decodes with every age 0,
 *    one whose ages are not one per entry is refused;
 *  - on a line dc1 - dc2 - dc3, dc3 hears dc1's rise through dc2's beat 20
 *    units late; cut off, dc1 is dropped by dc3 max_age after its own rise
 *    (without ages: max_age after the rise reached dc3);
 *  - the same epoch heard first without an age (a full state) is dated back
 *    by a later beat's age, and never forward again;
 *  - an epoch heard in a full state is dated at its arrival and passed
 *    on so; the earliest dating counts;
 *  - our own entry's age is the time since our epoch rose (or since the
 *    mate we took it from raised it). */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/beat.h"
#include "routing/engine.h"
#include "tests/cunit_main.h"
#include "tests/routing/helpers.h"

#define MAX_AGE 40
#define BEAT 10

struct one {
	uint8_t buf[256]; /* the decoded beat's entries point into it */
	struct mf_beat b;
};

static int keep_one(void *ctx, const uint8_t *msg, size_t len)
{
	struct one *o = ctx;
	if (len > sizeof(o->buf))
		return MF_ETOOBIG;
	memcpy(o->buf, msg, len);
	return mf_beat_decode(o->buf, len, &o->b);
}

static void test_ages_are_optional_on_the_wire_but_one_per_entry(void)
{
	/* {"v":1,"o":"dc1","n":"x","b":bin(6)}: a beat of an agent before ages */
	static const uint8_t old[] = {0x84, 0xa1, 'v', 0x01, 0xa1, 'o', 0xa3, 'd', 'c', '1', 0xa1,
				      'n',  0xa1, 'x', 0xa1, 'b', 0xc4, 0x06, 1,   2,   3,   4,
				      0x00, 0x07};
	struct mf_beat b;
	CU_ASSERT_EQUAL_FATAL(mf_beat_decode(old, sizeof(old), &b), 0);
	CU_ASSERT_EQUAL(b.n, 1);
	CU_ASSERT_PTR_NULL(b.ages);
	struct mf_beat_entry e = mf_beat_entry_at(&b, 0);
	CU_ASSERT_EQUAL(e.dc_hash, 0x01020304u);
	CU_ASSERT_EQUAL(e.epoch16, 7);
	CU_ASSERT_EQUAL(e.age, 0);
	/* the same with "a": bin(1), not one 2-byte age per entry */
	static const uint8_t odd[] = {0x85, 0xa1, 'v', 0x01, 0xa1, 'o', 0xa3, 'd', 'c', '1', 0xa1,
				      'n',  0xa1, 'x', 0xa1, 'b', 0xc4, 0x06, 1,   2,   3,   4,
				      0x00, 0x07, 0xa1, 'a', 0xc4, 0x01, 9};
	CU_ASSERT_EQUAL(mf_beat_decode(odd, sizeof(odd), &b), MF_EMALFORMED);
	/* and ours round-trips with the age */
	struct mf_beat_entry in = {0x0a0b0c0d, 65535, 1234};
	struct one got;
	CU_ASSERT_EQUAL_FATAL(mf_beat_encode("dc1", "dc1-s1", &in, 1, 200, keep_one, &got), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.b.ages);
	e = mf_beat_entry_at(&got.b, 0);
	CU_ASSERT(e.dc_hash == in.dc_hash && e.epoch16 == in.epoch16 && e.age == 1234);
}

static struct mf_routing *engine(const char *dc, uint64_t age_unit)
{
	struct mf_routing *r = h_aged_engine(dc, BEAT, MAX_AGE, age_unit, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

/* from's advertisement, as of `now`, stored by to. */
static void advert(struct mf_routing *from, struct mf_routing *to, uint64_t now)
{
	CU_ASSERT_EQUAL(h_pass_advert(from, to, now), 0);
}

/* from's beat message, as of `now`, taken by to; how many epochs rose. */
static size_t beat(struct mf_routing *from, const char *from_dc, struct mf_routing *to, uint64_t now)
{
	struct mf_beat_entry e[8];
	size_t n = h_beats_at(from, now, e, 8);
	mf_routing_set_now(to, now);
	return mf_routing_take_beats(to, from_dc, e, n);
}

/* Whether r, at `now`, still routes to dc. */
static bool reaches(struct mf_routing *r, const char *dc, uint64_t now)
{
	return h_reaches(r, dc, now);
}

/* dc1 - dc2 - dc3, links only between neighbours; everyone's state known
 * at 1000. dc1 raises its epoch at 1010 (its beat) and dc2 hears it then;
 * dc2's beat reaches dc3 only at 1030; then dc1 is cut off from dc2, and
 * dc3 keeps dc2's older state (as a stale path of path hunting: only
 * freshness drops it). Returns the first time (1040..1080) at which dc3
 * no longer routes to dc1. */
static uint64_t dc3_drops_dc1_at(uint64_t age_unit)
{
	struct mf_routing *a = engine("dc1", age_unit), *b = engine("dc2", age_unit),
			  *c = engine("dc3", age_unit);
	CU_ASSERT_EQUAL(mf_routing_set_link(a, "dc2", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc1", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc3", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(c, "dc2", true, true, 10), 1);
	advert(a, b, 1000);
	advert(b, c, 1000);
	CU_ASSERT(reaches(c, "dc1", 1000));
	CU_ASSERT_EQUAL(beat(a, "dc1", b, 1010), 1);    /* dc1's rise, heard by dc2 at once */
	CU_ASSERT(beat(b, "dc2", c, 1030) >= 1);        /* ... and by dc3 20 later */
	/* the cut: dc2's direct link to dc1 goes, nothing of dc1 passes */
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc1", true, false, 0), 1);
	uint64_t dropped = 0;
	for (uint64_t t = 1040; t <= 1080 && !dropped; t++) {
		if (t % BEAT == 0)
			(void)beat(b, "dc2", c, t); /* dc2 keeps beating, dc1's epoch stays */
		if (!reaches(c, "dc1", t))
			dropped = t;
	}
	mf_routing_free(a);
	mf_routing_free(b);
	mf_routing_free(c);
	return dropped;
}

static void test_a_cut_off_dc_is_dropped_max_age_after_its_own_rise(void)
{
	/* with ages: the rise at 1010 counts, so dc3 drops dc1 at 1010 +
	 * MAX_AGE + 1, however late dc2's beat carried it */
	CU_ASSERT_EQUAL(dc3_drops_dc1_at(1), 1010 + MAX_AGE + 1);
	/* in coarser units the rounding is within half a unit */
	uint64_t coarse = dc3_drops_dc1_at(4);
	CU_ASSERT(coarse >= 1010 + MAX_AGE - 2 && coarse <= 1010 + MAX_AGE + 3);
	/* without (an agent before ages): from when the rise reached dc3 */
	CU_ASSERT_EQUAL(dc3_drops_dc1_at(0), 1030 + MAX_AGE + 1);
}

static void test_an_epoch_heard_without_age_is_dated_back_by_a_beat(void)
{
	struct mf_routing *a = engine("dc1", 1), *b = engine("dc2", 1), *c = engine("dc3", 1);
	struct mf_beat_entry e[8];
	CU_ASSERT_EQUAL(mf_routing_set_link(a, "dc2", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc1", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc3", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(c, "dc2", true, true, 10), 1);
	advert(a, b, 1000);
	/* dc1's last rise at 1010; then it goes silent (dc2 still sees it
	 * directly, so dc2 keeps routing to it and passes its epoch on) */
	CU_ASSERT_EQUAL(beat(a, "dc1", b, 1010), 1);
	/* dc3 learns dc2's state only at 1030 (a cold start): the full state
	 * carries dc1's epoch without an age, so it counts from 1030 */
	advert(b, c, 1030);
	CU_ASSERT(reaches(c, "dc1", 1060));
	/* dc2's beat dates that same epoch at 1010: past max_age, dc1 goes */
	(void)beat(b, "dc2", c, 1060);
	CU_ASSERT(!reaches(c, "dc1", 1060));
	/* a later dating of it (an agent before ages: age 0) does not bring
	 * it back */
	mf_routing_set_now(b, 1061);
	size_t n = mf_routing_beats(b, e, 8);
	CU_ASSERT(n >= 2);
	for (size_t i = 0; i < n; i++)
		e[i].age = 0;
	mf_routing_set_now(c, 1061);
	(void)mf_routing_take_beats(c, "dc2", e, n);
	CU_ASSERT(!reaches(c, "dc1", 1061));
	mf_routing_free(a);
	mf_routing_free(b);
	mf_routing_free(c);
}

/* An epoch first heard in a full state is dated at its arrival (later
 * than the true rise) and passed on as such; a DC that heard it later
 * takes the earlier dating: after a cut, the earliest dating on our side
 * is at most the cut, and it spreads. */
static void test_first_contact_datings_spread_and_the_earliest_counts(void)
{
	struct mf_routing *b = engine("dc2", 1), *c = engine("dc3", 1), *d = engine("dc4", 1);
	struct mf_routing *a = engine("dc1", 1);
	struct mf_beat_entry e[8];
	CU_ASSERT_EQUAL(mf_routing_set_link(a, "dc2", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc1", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc3", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(c, "dc2", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(c, "dc4", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_set_link(d, "dc3", true, true, 10), 1);
	advert(a, b, 1000);
	advert(b, c, 1005); /* dc3 first hears dc1 at 1005 */
	advert(c, d, 1030); /* dc4 at 1030 */
	mf_routing_set_now(c, 1031);
	CU_ASSERT_EQUAL(mf_routing_recompute(c, NULL), 0);
	size_t n = mf_routing_beats(c, e, 8);
	bool told = false;
	for (size_t i = 0; i < n; i++)
		if (e[i].dc_hash == mf_beat_dc_hash("dc1")) {
			told = true;
			CU_ASSERT_EQUAL(e[i].age, 26);
		}
	CU_ASSERT(told);
	mf_routing_set_now(d, 1031);
	(void)mf_routing_take_beats(d, "dc3", e, n);
	/* dc4 now dates dc1 at 1005: gone after 1045, not 1070 */
	CU_ASSERT(reaches(d, "dc1", 1045));
	CU_ASSERT(!reaches(d, "dc1", 1046));
	mf_routing_free(a);
	mf_routing_free(b);
	mf_routing_free(c);
	mf_routing_free(d);
}

static void test_our_own_entry_is_aged_from_our_rise_or_our_mates(void)
{
	struct mf_routing *a = engine("dc1", 1), *b = engine("dc2", 1);
	struct mf_beat_entry e[4];
	mf_routing_set_now(a, 1017); /* a beat is due (the last at 1000): epoch 101 */
	CU_ASSERT_EQUAL(mf_routing_recompute(a, NULL), 0);
	size_t n = mf_routing_beats(a, e, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(e[0].epoch16, 101);
	CU_ASSERT_EQUAL(e[0].age, 0);
	mf_routing_set_now(a, 1019);
	CU_ASSERT_EQUAL(mf_routing_beats(a, e, 4), 1);
	CU_ASSERT_EQUAL(e[0].age, 2);
	/* a mate of dc1 takes epoch 101 raised 2 ago, and says so at 1023 */
	struct mf_routing_config c;
	struct mf_routing *mate = NULL;
	mf_routing_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s2";
	c.epoch = 100;
	c.beat_interval = 100; /* its own beat not due in the test */
	c.max_age = MAX_AGE;
	c.beats_apart = true;
	c.beat_age_unit = 1;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &mate), 0);
	mf_routing_set_now(mate, 1019);
	CU_ASSERT_EQUAL(mf_routing_take_beats(mate, "dc1", e, 1), 1);
	mf_routing_set_now(mate, 1023);
	CU_ASSERT_EQUAL(mf_routing_beats(mate, e, 4), 1);
	CU_ASSERT_EQUAL(e[0].epoch16, 101);
	CU_ASSERT_EQUAL(e[0].age, 6);
	mf_routing_free(mate);
	mf_routing_free(a);
	mf_routing_free(b);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"ages are optional on the wire but one per entry",
		 test_ages_are_optional_on_the_wire_but_one_per_entry},
		{"a cut-off DC is dropped max_age after its own rise",
		 test_a_cut_off_dc_is_dropped_max_age_after_its_own_rise},
		{"an epoch heard without age is dated back by a beat",
		 test_an_epoch_heard_without_age_is_dated_back_by_a_beat},
		{"first contact datings spread and the earliest counts",
		 test_first_contact_datings_spread_and_the_earliest_counts},
		{"our own entry is aged from our rise or our mate's",
		 test_our_own_entry_is_aged_from_our_rise_or_our_mates},
	};
	return RUN_SUITE("routing_beat_age", tests);
}

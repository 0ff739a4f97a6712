/* Asks (routing/engine.h ask_age, ask_gap; docs/routing.md "Beats every
 * 30 s made safe"): a member that missed a live DC's relayed rises asks
 * for its epoch before max_age drops it.
 *  - a DC whose held epoch is ask_age old is listed for a hurried beat,
 *    again every ask_gap, and no more once it is stale;
 *  - a beat entry that old of an epoch older than ours is answered with
 *    ours; a younger one, or one of our own epoch, is not;
 *  - a member that hears a live DC's rises only by asking keeps its route
 *    past max_age (without asks it drops it). */
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
#define ASK_AGE 20
#define ASK_GAP 10

static struct mf_routing *engine(const char *dc, uint64_t ask_age)
{
	struct mf_routing_config c;
	h_aged_config(&c, dc, BEAT, MAX_AGE, 1, HURRY);
	c.ask_age = ask_age;
	c.ask_gap = ASK_GAP;
	struct mf_routing *r = h_engine_at(&c, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}


/* dc1 - dc2 - dc3: dc3 knows dc1 from dc2's state at 1000 only. */
struct line {
	struct mf_routing *a, *b, *c;
};

static void line_up(struct line *l, uint64_t ask_age)
{
	l->a = engine("dc1", ask_age);
	l->b = engine("dc2", ask_age);
	l->c = engine("dc3", ask_age);
	CU_ASSERT_EQUAL(h_link_both(l->a, "dc1", l->b, "dc2"), 0);
	CU_ASSERT_EQUAL(h_link_both(l->b, "dc2", l->c, "dc3"), 0);
	CU_ASSERT_EQUAL(h_pass_advert(l->a, l->b, 1000), 0);
	CU_ASSERT_EQUAL(h_pass_advert(l->b, l->c, 1000), 0);
	CU_ASSERT_TRUE(h_reaches(l->c, "dc1", 1000));
}

static void line_free(struct line *l)
{
	mf_routing_free(l->a);
	mf_routing_free(l->b);
	mf_routing_free(l->c);
}

/* The entry for dc among e[0..n), or NULL. */
static const struct mf_beat_entry *entry(const struct mf_beat_entry *e, size_t n, const char *dc)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].dc_hash == mf_beat_dc_hash(dc))
			return &e[i];
	return NULL;
}

/* r's hurried beat at now: its entry for dc1 (NULL: none). */
static const struct mf_beat_entry *asked_at(struct mf_routing *r, uint64_t now, struct mf_beat_entry *e)
{
	mf_routing_set_now(r, now);
	return entry(e, mf_routing_hurried_beats(r, e, 8), "dc1");
}

static void test_a_dc_near_max_age_is_asked_for_every_ask_gap_until_stale(void)
{
	struct line l;
	struct mf_beat_entry e[8];
	line_up(&l, ASK_AGE);
	(void)asked_at(l.c, 1000, e);
	CU_ASSERT_PTR_NULL(asked_at(l.c, 1019, e)); /* 19 old */
	const struct mf_beat_entry *x = asked_at(l.c, 1020, e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->epoch16, 100);
	CU_ASSERT_EQUAL(x->age, 20);
	CU_ASSERT_EQUAL(mf_routing_stats(l.c)->asks, 2); /* dc1's and dc2's, both 20 old */
	CU_ASSERT_PTR_NULL(asked_at(l.c, 1029, e)); /* within the gap */
	CU_ASSERT_PTR_NOT_NULL(asked_at(l.c, 1030, e));
	CU_ASSERT_PTR_NOT_NULL(asked_at(l.c, 1040, e));
	/* stale past max_age: nothing to ask for (a cut-off DC costs
	 * (max_age - ask_age) / ask_gap asks per member, then none) */
	CU_ASSERT_FALSE(h_reaches(l.c, "dc1", 1041));
	CU_ASSERT_PTR_NULL(asked_at(l.c, 1050, e));
	CU_ASSERT_PTR_NULL(asked_at(l.c, 1060, e));
	line_free(&l);
	/* without ask_age, never */
	line_up(&l, 0);
	(void)asked_at(l.c, 1000, e);
	for (uint64_t t = 1001; t <= 1040; t++)
		CU_ASSERT_PTR_NULL(asked_at(l.c, t, e));
	line_free(&l);
}

/* dc2 holds dc1's epoch 101, raised at 1010; a beat entry of dc1 at 1025
 * with `epoch` raised `age` ago: how many answers dc2 gives. */
static size_t answers_to(uint64_t ask_age, uint16_t epoch, uint16_t age)
{
	struct line l;
	struct mf_beat_entry e[8], out[8];
	line_up(&l, ask_age);
	size_t n = h_beats_at(l.a, 1010, e, 8);
	mf_routing_set_now(l.b, 1010);
	CU_ASSERT_EQUAL(mf_routing_take_beats(l.b, "dc1", e, n), 1);
	mf_routing_set_now(l.b, 1025);
	struct mf_beat_entry q = {mf_beat_dc_hash("dc1"), epoch, age};
	size_t k = mf_routing_beat_answers(l.b, &q, 1, out, 8);
	if (k == 1) {
		CU_ASSERT_EQUAL(out[0].epoch16, 101);
		CU_ASSERT_EQUAL(out[0].age, 15);
	}
	line_free(&l);
	return k;
}

static void test_an_entry_ask_age_old_of_an_older_epoch_is_answered(void)
{
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 100, ASK_AGE), 1);
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 100, 24), 1);
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 100, ASK_AGE - 1), 0); /* not near max_age yet */
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 101, 15), 0);         /* ours, dated as we do */
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 101, 24), 0);         /* ours, dated earlier */
	CU_ASSERT_EQUAL(answers_to(ASK_AGE, 102, 30), 0);         /* newer: news to us */
	CU_ASSERT_EQUAL(answers_to(0, 100, 24), 0);               /* no asks */
}

/* dc1 beats to dc2 every BEAT; dc3 hears of dc1 only by what its hurried
 * beats to dc2 get back (it missed every relay). Whether dc3 still routes
 * to dc1 at every instant up to `end`. */
static bool kept_by_asking(uint64_t ask_age, uint64_t end)
{
	struct line l;
	struct mf_beat_entry e[8], ans[8];
	bool kept = true;
	line_up(&l, ask_age);
	(void)mf_routing_hurried_beats(l.c, e, 8);
	for (uint64_t now = 1001; now <= end; now++) {
		if (now % BEAT == 0) {
			size_t n = h_beats_at(l.a, now, e, 8);
			mf_routing_set_now(l.b, now);
			(void)mf_routing_take_beats(l.b, "dc1", e, n);
		}
		mf_routing_set_now(l.c, now);
		size_t n = mf_routing_hurried_beats(l.c, e, 8);
		if (n) {
			mf_routing_set_now(l.b, now);
			(void)mf_routing_take_beats(l.b, "dc3", e, n);
			size_t k = mf_routing_beat_answers(l.b, e, n, ans, 8);
			(void)mf_routing_take_beats(l.c, "dc2", ans, k);
		}
		kept &= h_reaches(l.c, "dc1", now);
	}
	line_free(&l);
	return kept;
}

static void test_a_live_dc_whose_relays_were_missed_stays_by_asking(void)
{
	CU_ASSERT_TRUE(kept_by_asking(ASK_AGE, 1000 + 5 * MAX_AGE));
	CU_ASSERT_FALSE(kept_by_asking(0, 1000 + 5 * MAX_AGE));
}

int main(void)
{
	static const struct test_case tests[] = {
		{"a DC near max_age is asked for every ask_gap until stale",
		 test_a_dc_near_max_age_is_asked_for_every_ask_gap_until_stale},
		{"an entry ask_age old of an older epoch is answered",
		 test_an_entry_ask_age_old_of_an_older_epoch_is_answered},
		{"a live DC whose relays were missed stays by asking",
		 test_a_live_dc_whose_relays_were_missed_stays_by_asking},
	};
	return RUN_SUITE("routing_beat_ask", tests);
}

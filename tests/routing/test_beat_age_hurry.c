/* Hurried beats (routing/engine.h hurry_min, mf_routing_hurried_beats,
 * mf_routing_beat_answers; docs/routing.md "Hurried beats"): an earlier
 * dating reaches every DC that holds a late one in a few datagram hops.
 *  - a beat entry dates a DC back though the sender's stored state does
 *    not route to it (the DCs that still route there may be few);
 *  - a dating moved back by hurry_min or more is listed once for a
 *    hurried beat, a smaller move is not, and a whole beat forgets them;
 *  - a beat that dates an epoch later than we do gets our dating back;
 *    one that dates it as we do, or carries a newer epoch, gets nothing;
 *  - our beats carry a DC we route to no more while its epoch is fresh,
 *    and stop once it is stale. */
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

static struct mf_routing *engine(const char *dc)
{
	struct mf_routing *r = h_aged_engine(dc, BEAT, MAX_AGE, 1, HURRY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

static void advert(struct mf_routing *from, struct mf_routing *to, uint64_t now)
{
	CU_ASSERT_EQUAL(h_pass_advert(from, to, now), 0);
}

/* from's whole beat as of now, into e (cap 8); how many entries. */
static size_t beats_of(struct mf_routing *from, uint64_t now, struct mf_beat_entry *e)
{
	return h_beats_at(from, now, e, 8);
}

static size_t beat(struct mf_routing *from, const char *from_dc, struct mf_routing *to, uint64_t now)
{
	struct mf_beat_entry e[8];
	size_t n = beats_of(from, now, e);
	mf_routing_set_now(to, now);
	return mf_routing_take_beats(to, from_dc, e, n);
}

static bool reaches(struct mf_routing *r, const char *dc, uint64_t now)
{
	return h_reaches(r, dc, now);
}

/* The entry for dc among e[0..n), or NULL. */
static const struct mf_beat_entry *entry(const struct mf_beat_entry *e, size_t n, const char *dc)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].dc_hash == mf_beat_dc_hash(dc))
			return &e[i];
	return NULL;
}

/* dc1 - dc2, and dc2, dc3, dc4 all linked. dc3 stored dc4's state at
 * 1000, when dc4 knew nothing of dc1. dc1 rises at 1010 (its last word);
 * dc4 hears it from dc2 (dated 1010 by dc2's beat); dc3 first hears it at
 * 1030, in dc2's full state: dated 1030. */
struct four {
	struct mf_routing *a, *b, *c, *d;
};

static void four_up(struct four *f)
{
	f->a = engine("dc1");
	f->b = engine("dc2");
	f->c = engine("dc3");
	f->d = engine("dc4");
	CU_ASSERT_EQUAL(h_link_both(f->a, "dc1", f->b, "dc2"), 0);
	CU_ASSERT_EQUAL(h_link_both(f->b, "dc2", f->c, "dc3"), 0);
	CU_ASSERT_EQUAL(h_link_both(f->b, "dc2", f->d, "dc4"), 0);
	CU_ASSERT_EQUAL(h_link_both(f->c, "dc3", f->d, "dc4"), 0);
	advert(f->d, f->c, 1000);
	advert(f->a, f->b, 1000);
	CU_ASSERT_EQUAL(beat(f->a, "dc1", f->b, 1010), 1);
	advert(f->b, f->d, 1012);
	(void)beat(f->b, "dc2", f->d, 1013);
	advert(f->b, f->c, 1030);
	CU_ASSERT(reaches(f->c, "dc1", 1030));
}

static void four_down(struct four *f)
{
	mf_routing_free(f->a);
	mf_routing_free(f->b);
	mf_routing_free(f->c);
	mf_routing_free(f->d);
}

static void test_an_entry_dates_back_a_dc_the_senders_state_does_not_route_to(void)
{
	struct four f;
	four_up(&f);
	/* dc4's beat dates dc1 at 1010, though dc3's copy of dc4's state
	 * (from 1000) has no route to dc1 */
	struct mf_beat_entry e[8];
	size_t n = beats_of(f.d, 1031, e);
	const struct mf_beat_entry *x = entry(e, n, "dc1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->age, 21);
	mf_routing_set_now(f.c, 1031);
	(void)mf_routing_take_beats(f.c, "dc4", e, n);
	/* so dc3 drops dc1 max_age after 1010, not after 1030 */
	CU_ASSERT(reaches(f.c, "dc1", 1050));
	CU_ASSERT(!reaches(f.c, "dc1", 1051));
	four_down(&f);
}

static void test_a_dating_moved_back_is_hurried_once_and_a_whole_beat_forgets_it(void)
{
	struct four f;
	four_up(&f);
	struct mf_beat_entry e[8], h[8];
	mf_routing_set_now(f.c, 1031);
	CU_ASSERT_EQUAL(mf_routing_hurried_beats(f.c, h, 8), 0);
	size_t n = beats_of(f.d, 1031, e);
	mf_routing_set_now(f.c, 1031);
	(void)mf_routing_take_beats(f.c, "dc4", e, n);
	/* moved back by 20: listed, with the earlier dating, once */
	size_t k = mf_routing_hurried_beats(f.c, h, 8);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(h[0].dc_hash, mf_beat_dc_hash("dc1"));
	CU_ASSERT_EQUAL(h[0].age, 21);
	CU_ASSERT_EQUAL(mf_routing_hurried_beats(f.c, h, 8), 0);
	/* back by less than hurry_min (1010 -> 1007): not listed */
	struct mf_beat_entry one = *entry(e, n, "dc1");
	mf_routing_set_now(f.c, 1032);
	one.age = 25;
	(void)mf_routing_take_beats(f.c, "dc4", &one, 1);
	CU_ASSERT_EQUAL(mf_routing_hurried_beats(f.c, h, 8), 0);
	/* back by hurry_min (1007 -> 1002), then a whole beat: forgotten */
	one.age = 30;
	(void)mf_routing_take_beats(f.c, "dc4", &one, 1);
	mf_routing_beats_sent(f.c);
	CU_ASSERT_EQUAL(mf_routing_hurried_beats(f.c, h, 8), 0);
	four_down(&f);
}

static void test_a_late_dating_gets_ours_back_and_nothing_else_does(void)
{
	struct four f;
	four_up(&f);
	struct mf_beat_entry e[8], ans[8];
	/* dc3's beat dates dc1 at 1030; dc4 dates it at 1010: it answers */
	size_t n = beats_of(f.c, 1031, e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(entry(e, n, "dc1"));
	mf_routing_set_now(f.d, 1031);
	(void)mf_routing_take_beats(f.d, "dc3", e, n);
	size_t k = mf_routing_beat_answers(f.d, e, n, ans, 8);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(ans[0].dc_hash, mf_beat_dc_hash("dc1"));
	CU_ASSERT_EQUAL(ans[0].age, 21);
	/* the answer taken, dc3 dates it as dc4 does: nothing more to say */
	mf_routing_set_now(f.c, 1031);
	(void)mf_routing_take_beats(f.c, "dc4", ans, k);
	n = beats_of(f.c, 1032, e);
	mf_routing_set_now(f.d, 1032);
	CU_ASSERT_EQUAL(mf_routing_beat_answers(f.d, e, n, ans, 8), 0);
	/* an entry of a newer epoch than dc4 holds is news, not late */
	struct mf_beat_entry newer = *entry(e, n, "dc1");
	newer.epoch16++;
	newer.age = 0;
	CU_ASSERT_EQUAL(mf_routing_beat_answers(f.d, &newer, 1, ans, 8), 0);
	four_down(&f);
}

static void test_our_beats_carry_a_dc_we_route_to_no_more_while_it_is_fresh(void)
{
	struct four f;
	four_up(&f);
	struct mf_beat_entry e[8];
	/* dc2 loses its link to dc1 (and dc3, dc4 hold no path to it but
	 * dc2's): no route, but dc1's epoch rose at 1010 */
	CU_ASSERT_EQUAL(mf_routing_set_link(f.b, "dc1", true, false, 0), 1);
	CU_ASSERT(!reaches(f.b, "dc1", 1020));
	size_t n = beats_of(f.b, 1020, e);
	const struct mf_beat_entry *x = entry(e, n, "dc1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->epoch16, 101);
	CU_ASSERT_EQUAL(x->age, 10);
	/* stale (max_age after 1010): no longer */
	n = beats_of(f.b, 1051, e);
	CU_ASSERT_PTR_NULL(entry(e, n, "dc1"));
	four_down(&f);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"an entry dates back a DC the sender's state does not route to",
		 test_an_entry_dates_back_a_dc_the_senders_state_does_not_route_to},
		{"a dating moved back is hurried once and a whole beat forgets it",
		 test_a_dating_moved_back_is_hurried_once_and_a_whole_beat_forgets_it},
		{"a late dating gets ours back and nothing else does",
		 test_a_late_dating_gets_ours_back_and_nothing_else_does},
		{"our beats carry a DC we route to no more while it is fresh",
		 test_our_beats_carry_a_dc_we_route_to_no_more_while_it_is_fresh},
	};
	return RUN_SUITE("routing_beat_age_hurry", tests);
}

/* Beats apart from full state (routing/beat.h, routing/engine.h
 * beats_apart; docs/routing.md "Beats apart from full state"): the beat
 * message's codec, and what the engine does with beats:
 *  - a beat round-trips, split into messages within the budget;
 *  - truncated, mis-sized, other-version and badly named input is refused;
 *  - a DC's beat raises its epoch without a new advertisement seq, and the
 *    receiver's stored route takes it (serial arithmetic on 16 bits);
 *    old, equal or too-far epochs, unknown origins and hashes are ignored;
 *  - the DC name hash is pinned: it is on the wire. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/beat.h"
#include "routing/engine.h"
#include "tests/cunit_main.h"

struct msgs {
	uint8_t *buf[64];
	size_t len[64];
	size_t n;
};

static int keep(void *ctx, const uint8_t *msg, size_t len)
{
	struct msgs *m = ctx;
	if (m->n == 64)
		return MF_ETOOBIG;
	m->buf[m->n] = malloc(len);
	memcpy(m->buf[m->n], msg, len);
	m->len[m->n++] = len;
	return 0;
}

static void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->buf[i]);
	m->n = 0;
}

static void test_beat_round_trips_in_messages_within_the_budget(void)
{
	struct mf_beat_entry e[500];
	for (size_t i = 0; i < 500; i++)
		e[i] = (struct mf_beat_entry){(uint32_t)(i * 2654435761u), (uint16_t)(i * 7),
					       (uint16_t)(i * 13)};
	struct msgs m = {0};
	CU_ASSERT_EQUAL_FATAL(mf_beat_encode("dc1", "dc1-s2", e, 500, 1000, keep, &m), 0);
	CU_ASSERT(m.n == 5); /* ~120 entries (8 bytes with the age) per 1,000 bytes */
	size_t k = 0;
	for (size_t i = 0; i < m.n; i++) {
		struct mf_beat b;
		CU_ASSERT(m.len[i] <= 1000);
		CU_ASSERT_EQUAL_FATAL(mf_beat_decode(m.buf[i], m.len[i], &b), 0);
		CU_ASSERT_STRING_EQUAL(b.origin, "dc1");
		CU_ASSERT_STRING_EQUAL(b.node, "dc1-s2");
		for (size_t j = 0; j < b.n; j++, k++) {
			struct mf_beat_entry x = mf_beat_entry_at(&b, j);
			CU_ASSERT(x.dc_hash == e[k].dc_hash && x.epoch16 == e[k].epoch16 && x.age == e[k].age);
		}
	}
	CU_ASSERT_EQUAL(k, 500);
	msgs_free(&m);
	CU_ASSERT_EQUAL(mf_beat_encode("dc1", "dc1-s2", e, 1, 20, keep, &m), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_beat_encode("dc 1", "n", e, 1, 1000, keep, &m), MF_EINVAL);
	CU_ASSERT_EQUAL(m.n, 0);
}

static void test_bad_beats_are_refused(void)
{
	struct mf_beat_entry e[3] = {{1, 2, 0}, {3, 4, 0}, {5, 6, 0}};
	struct msgs m = {0};
	struct mf_beat b;
	CU_ASSERT_EQUAL_FATAL(mf_beat_encode("dc1", "dc1-s1", e, 3, 1000, keep, &m), 0);
	for (size_t len = 0; len < m.len[0]; len++)
		CU_ASSERT(mf_beat_decode(m.buf[0], len, &b) < 0);
	/* {"v":2,...}: another version */
	uint8_t *v2 = malloc(m.len[0]);
	memcpy(v2, m.buf[0], m.len[0]);
	CU_ASSERT_EQUAL(v2[2], 'v');
	v2[3] = 2;
	CU_ASSERT_EQUAL(mf_beat_decode(v2, m.len[0], &b), MF_EUNKNOWN);
	free(v2);
	msgs_free(&m);
	/* hand-made: a bin of 5 bytes; an origin that is no DC name */
	static const uint8_t odd[] = {0x84, 0xa1, 'v', 0x01, 0xa1, 'o', 0xa3, 'd', 'c', '1', 0xa1,
				      'n', 0xa1, 'x', 0xa1, 'b', 0xc4, 0x05, 1, 2, 3, 4, 5};
	CU_ASSERT_EQUAL(mf_beat_decode(odd, sizeof(odd), &b), MF_EMALFORMED);
	static const uint8_t badname[] = {0x84, 0xa1, 'v', 0x01, 0xa1, 'o', 0xa3, 'd', ' ', '1', 0xa1,
					  'n', 0xa1, 'x', 0xa1, 'b', 0xc4, 0x00};
	CU_ASSERT_EQUAL(mf_beat_decode(badname, sizeof(badname), &b), MF_EMALFORMED);
	CU_ASSERT_EQUAL(b.n, 0);
}

static struct mf_routing *engine(const char *dc, const char *node)
{
	struct mf_routing_config c;
	struct mf_routing *r = NULL;
	mf_routing_config_default(&c);
	c.datacenter = dc;
	c.node = node;
	c.epoch = 65530; /* the 16 bits wrap within the test */
	c.beat_interval = 10;
	c.max_age = 40;
	c.beats_apart = true;
	CU_ASSERT_EQUAL_FATAL(mf_routing_new(&c, &r), 0);
	mf_routing_set_now(r, 1000);
	return r;
}

/* dc1's beats in b[0..cap), after a recompute at `now`. */
static size_t beats_of(struct mf_routing *r, uint64_t now, struct mf_beat_entry *b, size_t cap)
{
	mf_routing_set_now(r, now);
	CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	return mf_routing_beats(r, b, cap);
}

static void test_a_beat_raises_the_epoch_without_a_new_advert(void)
{
	struct mf_routing *a = engine("dc1", "dc1-s1"), *b = engine("dc2", "dc2-s1");
	struct mf_beat_entry e[8];
	struct mf_advert adv;
	CU_ASSERT_EQUAL(mf_routing_set_link(b, "dc1", true, true, 10), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(mf_routing_advert(a, &adv), 0);
	CU_ASSERT_EQUAL(mf_routing_set_advert(b, &adv), 1);
	mf_advert_free(&adv);
	uint64_t seq = mf_routing_advert_seq(a);
	/* no new state per beat; the beat names dc1 with its epoch's low bits */
	size_t n = beats_of(a, 1010, e, 8);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(a), seq);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(e[0].dc_hash, mf_beat_dc_hash("dc1"));
	CU_ASSERT_EQUAL(e[0].epoch16, (uint16_t)65531);
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc1", e, n), 1);
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc1", e, n), 0); /* not newer */
	/* across the 16-bit wrap: 65531 -> 65536 + 2 */
	for (uint64_t t = 1020; t <= 1080; t += 10)
		n = beats_of(a, t, e, 8);
	CU_ASSERT_EQUAL(e[0].epoch16, 2);
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc1", e, n), 1);
	CU_ASSERT_EQUAL(mf_routing_recompute(b, NULL), 0);
	CU_ASSERT_EQUAL(mf_routing_advert(b, &adv), 0);
	uint64_t got = 0;
	for (size_t i = 0; i < adv.n_routes; i++)
		if (strcmp(adv.names[adv.routes[i].target], "dc1") == 0)
			got = adv.routes[i].epoch;
	mf_advert_free(&adv);
	CU_ASSERT_EQUAL(got, 65538);
	/* 2^15 ahead, an unknown hash, an unknown origin: ignored */
	struct mf_beat_entry far = {mf_beat_dc_hash("dc1"), (uint16_t)(2 + 32768), 0};
	struct mf_beat_entry other = {mf_beat_dc_hash("dc9"), 50, 0};
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc1", &far, 1), 0);
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc1", &other, 1), 0);
	CU_ASSERT_EQUAL(mf_routing_take_beats(b, "dc7", e, n), 0);
	CU_ASSERT_EQUAL(mf_routing_advert_seq(a), seq);
	mf_routing_free(a);
	mf_routing_free(b);
}

/* The name hash is on the wire: agents of every version must agree on it
 * (gossip/name_hash.h says why its basis is not FNV's). */
static void test_the_dc_hash_is_the_one_every_version_sends(void)
{
	CU_ASSERT_EQUAL(mf_beat_dc_hash("dc1"), 0x2649fcb9u);
	CU_ASSERT_EQUAL(mf_beat_dc_hash("eu-west"), 0x1feedf4fu);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"a beat round-trips in messages within the budget",
		 test_beat_round_trips_in_messages_within_the_budget},
		{"bad beats are refused", test_bad_beats_are_refused},
		{"a beat raises the epoch without a new advert",
		 test_a_beat_raises_the_epoch_without_a_new_advert},
		{"the dc hash is the one every version sends",
		 test_the_dc_hash_is_the_one_every_version_sends},
	};
	return RUN_SUITE("routing_beat", tests);
}

/* Unit tests of routing/advert_delta.c and the delta wire format (versions
 * 2 and 3 of routing/advert.h): a changed route costs bytes for that route, not for
 * the whole state; deltas are cumulative against their base; only the
 * message decoder accepts them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/advert.h"
#include "routing/advert_delta.h"
#include "routing/advert_internal.h" /* both decoders, for the "s" key */
#include "tests/cunit_main.h"

/* A state of n DCs "dc000".."dc<n-1>" (origin dc000), route i at 10 + i
 * ms through dc001 for odd i. */
static void state(struct mf_advert *a, size_t n, uint64_t seq)
{
	memset(a, 0, sizeof *a);
	a->origin = strdup("dc000");
	a->node = strdup("dc000-s1");
	a->seq = seq;
	a->transit = true;
	a->frag_count = 1;
	a->names = calloc(n, sizeof *a->names);
	a->routes = calloc(n, sizeof *a->routes);
	a->hops = calloc(n, sizeof *a->hops);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "dc%03zu", i);
		a->names[i] = strdup(name);
		struct mf_advert_route *r = &a->routes[i];
		r->target = (uint32_t)i;
		r->distance_ms = i == 0 ? 0 : 10.0 + (double)i;
		r->epoch = 100 + i;
		r->hops_off = (uint32_t)a->n_hops;
		if (i > 1 && i % 2)
			a->hops[a->n_hops++] = 1, r->n_hops = 1;
	}
	a->n_names = a->n_routes = n;
}

/* The route to `name` in a, or NULL. */
static const struct mf_advert_route *route_to(const struct mf_advert *a, const char *name)
{
	for (size_t i = 0; i < a->n_routes; i++)
		if (strcmp(a->names[a->routes[i].target], name) == 0)
			return &a->routes[i];
	return NULL;
}

/* Same routes by meaning (targets, distance in 0.1 ms, hop names). */
static bool same_routes(const struct mf_advert *x, const struct mf_advert *y)
{
	if (x->n_routes != y->n_routes)
		return false;
	for (size_t i = 0; i < x->n_routes; i++) {
		const struct mf_advert_route *p = &x->routes[i];
		const struct mf_advert_route *q = route_to(y, x->names[p->target]);
		if (!q || p->n_hops != q->n_hops ||
		    (long)(p->distance_ms * 10 + 0.5) != (long)(q->distance_ms * 10 + 0.5))
			return false;
		for (uint32_t k = 0; k < p->n_hops; k++)
			if (strcmp(x->names[x->hops[p->hops_off + k]], y->names[y->hops[q->hops_off + k]]))
				return false;
	}
	return true;
}

/* Encodes d as a gossiped message and decodes it back with the message
 * decoder; the full-state decoder must refuse it. */
static void wire(const struct mf_advert *d, struct mf_advert *back, size_t *bytes)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, d), 0);
	*bytes = sb.size;
	struct mf_advert full;
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data, sb.size, &full, NULL), MF_EUNKNOWN);
	CU_ASSERT_EQUAL_FATAL(mf_advert_decode_msg((const uint8_t *)sb.data, sb.size, back), 0);
	CU_ASSERT_EQUAL(back->base_seq, d->base_seq);
	CU_ASSERT_EQUAL(back->since_base, d->since_base);
	msgpack_sbuffer_destroy(&sb);
}

static void free_all(struct mf_advert *a, struct mf_advert *b, struct mf_advert *c, struct mf_advert *d,
		     struct mf_advert *e)
{
	mf_advert_free(a);
	mf_advert_free(b);
	mf_advert_free(c);
	mf_advert_free(d);
	mf_advert_free(e);
}

static void test_one_changed_route_costs_one_route_at_500_dcs(void)
{
	struct mf_advert base, now, d, back, full;
	state(&base, 500, 1000);
	state(&now, 500, 1001);
	now.routes[250].distance_ms = 99.5;
	now.routes[250].n_hops = 0;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 1);
	CU_ASSERT_EQUAL(d.n_gone, 0);
	CU_ASSERT_EQUAL(d.base_seq, 1000);
	CU_ASSERT_EQUAL(d.seq, 1001);
	size_t bytes;
	wire(&d, &back, &bytes);
	CU_ASSERT(bytes < 80); /* the full state is about 4 KB */
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &back, &full), 0);
	CU_ASSERT_EQUAL(full.seq, 1001);
	CU_ASSERT_EQUAL(full.base_seq, 0);
	CU_ASSERT(same_routes(&full, &now));
	free_all(&base, &now, &d, &back, &full);
}

static void test_withdrawn_target_travels_and_is_dropped(void)
{
	struct mf_advert base, now, d, back, full;
	state(&base, 10, 1000);
	state(&now, 9, 1001); /* dc009 gone */
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 0);
	CU_ASSERT_EQUAL_FATAL(d.n_gone, 1);
	CU_ASSERT_STRING_EQUAL(d.names[d.gone[0]], "dc009");
	size_t bytes;
	wire(&d, &back, &bytes);
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &back, &full), 0);
	CU_ASSERT_PTR_NULL(route_to(&full, "dc009"));
	CU_ASSERT(same_routes(&full, &now));
	free_all(&base, &now, &d, &back, &full);
}

/* Three states of 40 DCs in a row: s1 moves routes 5 and 7, s2 moves 5
 * back to the base's, 7 again and reroutes 9. */
static void three_states(struct mf_advert *base, struct mf_advert *s1, struct mf_advert *s2)
{
	state(base, 40, 1000);
	state(s1, 40, 1001);
	s1->routes[5].distance_ms = 50;
	s1->routes[7].distance_ms = 70;
	state(s2, 40, 1002);
	s2->routes[7].distance_ms = 71;
	s2->routes[9].n_hops = 0;
}

/* A receiver that missed delta 1 applies delta 2 to the base alone, and a
 * route that went back to the base's is right too. */
static void test_deltas_are_cumulative_against_the_base(void)
{
	struct mf_advert base, s1, s2, d1, d2, full;
	three_states(&base, &s1, &s2);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &s1, 0, 0, &d1), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &s2, 0, 0, &d2), 0);
	CU_ASSERT_EQUAL(d1.n_routes, 2);
	CU_ASSERT_EQUAL(d2.n_routes, 2);
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &d2, &full), 0);
	CU_ASSERT(same_routes(&full, &s2));
	CU_ASSERT_EQUAL(route_to(&full, "dc005")->distance_ms, 15.0);
	mf_advert_free(&full);
	/* a delta patches no state older than its base, nor one at its seq,
	 * nor (not saying "since its base") one between: s1 patched with d2
	 * would keep route 5 at 50 */
	CU_ASSERT_FALSE(d2.since_base);
	struct mf_advert older;
	state(&older, 40, 999);
	CU_ASSERT_EQUAL(mf_advert_patch(&older, &d2, &full), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_advert_patch(&s1, &d2, &full), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_advert_patch(&s2, &d2, &full), MF_EINVAL);
	mf_advert_free(&older);
	mf_advert_free(&base);
	mf_advert_free(&s1);
	mf_advert_free(&s2);
	mf_advert_free(&d1);
	mf_advert_free(&d2);
}

/* Both decoders on the message bytes buf: the general decoder's result,
 * its flag in *since, and whether the in-place reader read it (it leaves
 * what it does not know, such as an unknown key, to the general one) and
 * then agreed. */
static int decode_both(const uint8_t *buf, size_t len, bool *since, bool *in_place)
{
	struct mf_advert x, y;
	int rx = mf_advert__read(buf, len, &x, NULL, true);
	int ry = mf_advert__decode_general(buf, len, &y, NULL, true);
	*since = y.since_base;
	*in_place = rx == 0;
	if (rx == 0 && (ry != 0 || x.since_base != y.since_base))
		ry = -1;
	mf_advert_free(&x);
	mf_advert_free(&y);
	return ry;
}

/* Deltas that reach back, on the wire (docs/routing.md, "Deltas that reach
 * back"): a receiver holding a state between a delta's base and its seq
 * applies it only when the delta says "s" (every change since its base,
 * as mf_advert_since makes it). A plain base -> seq delta (ours from
 * mf_advert_delta, every delta of an agent before route21) leaves out a
 * route that changed and changed back in between: applied there it would
 * keep the changed value, so it is refused. A decoder that does not know
 * "s" (any before route21: unknown keys are ignored) reads the same delta
 * as a plain one, which it applies on its base only, as before. */
static void test_only_a_delta_that_says_since_its_base_applies_past_it(void)
{
	struct mf_advert base, s1, s2, step, held1, held2, plain, since, back, full;
	uint64_t *ver1 = NULL, *ver2 = NULL;
	size_t bytes;
	three_states(&base, &s1, &s2); /* route 5 changes and changes back */
	/* the sender's held view and versions through base -> s1 -> s2 */
	uint64_t ver0[40];
	for (size_t i = 0; i < 40; i++)
		ver0[i] = base.seq;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &s1, 0, 0, &step), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch_ver(&base, ver0, &step, &held1, &ver1), 0);
	mf_advert_free(&step);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&held1, &s2, 0, 0, &step), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch_ver(&held1, ver1, &step, &held2, &ver2), 0);
	mf_advert_free(&step);
	/* plain: the diff base -> s2; since: everything since base */
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &s2, 0, 0, &plain), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_since(&held2, ver2, NULL, 0, base.seq, &since), 0);
	CU_ASSERT_FALSE(plain.since_base);
	CU_ASSERT_TRUE(since.since_base);
	CU_ASSERT_PTR_NULL(route_to(&plain, "dc005"));
	CU_ASSERT_PTR_NOT_NULL(route_to(&since, "dc005"));
	/* on the base both give s2 */
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &plain, &full), 0);
	CU_ASSERT(same_routes(&full, &s2));
	mf_advert_free(&full);
	/* on s1, held from the delta before: only the flagged one, through
	 * the wire, and it gives s2 exactly */
	CU_ASSERT_FALSE(mf_advert_delta_applies(&plain, s1.seq));
	CU_ASSERT_EQUAL(mf_advert_patch(&s1, &plain, &full), MF_EINVAL);
	wire(&since, &back, &bytes);
	CU_ASSERT_TRUE(back.since_base);
	CU_ASSERT_TRUE(mf_advert_delta_applies(&back, s1.seq));
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&s1, &back, &full), 0);
	CU_ASSERT(same_routes(&full, &s2));
	CU_ASSERT_EQUAL(route_to(&full, "dc005")->distance_ms, 15.0);
	mf_advert_free(&full);
	mf_advert_free(&back);
	/* why the plain one is refused there: it would keep route 5 at 50 */
	plain.since_base = true;
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&s1, &plain, &full), 0);
	CU_ASSERT_EQUAL(route_to(&full, "dc005")->distance_ms, 50.0);
	mf_advert_free(&full);
	/* "s" on the wire: both decoders read it; absent it is false; under
	 * a key they do not know (as a decoder before route21 meets "s") the
	 * delta still decodes, as a plain one */
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &since), 0);
	uint8_t *m = (uint8_t *)sb.data, *key = NULL;
	bool flag = false, fast = false;
	CU_ASSERT_EQUAL(decode_both(m, sb.size, &flag, &fast), 0);
	CU_ASSERT_TRUE(flag);
	CU_ASSERT_TRUE(fast);
	for (size_t i = 0; i + 2 < sb.size && !key; i++)
		if (m[i] == 0xa1 && m[i + 1] == 's' && m[i + 2] == 0xc3)
			key = &m[i + 1];
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	*key = 'y';
	CU_ASSERT_EQUAL(decode_both(m, sb.size, &flag, &fast), 0);
	CU_ASSERT_FALSE(flag);
	msgpack_sbuffer_clear(&sb);
	plain.since_base = false;
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &plain), 0);
	CU_ASSERT_EQUAL(decode_both((const uint8_t *)sb.data, sb.size, &flag, &fast), 0);
	CU_ASSERT_FALSE(flag);
	CU_ASSERT_TRUE(fast);
	/* a full state says nothing of it (the key would be ignored) */
	msgpack_sbuffer_clear(&sb);
	s2.since_base = true;
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &s2), 0);
	CU_ASSERT_EQUAL_FATAL(mf_advert_decode_msg((const uint8_t *)sb.data, sb.size, &full), 0);
	CU_ASSERT_FALSE(full.since_base);
	mf_advert_free(&full);
	msgpack_sbuffer_destroy(&sb);
	free_all(&base, &s1, &s2, &held1, &held2);
	mf_advert_free(&plain);
	mf_advert_free(&since);
	free(ver1);
	free(ver2);
}

/* Moves under the re-advertise threshold (5 % or 2 ms) are no news: noise
 * must not grow a cumulative delta to the whole state. */
static void test_small_moves_stay_out_of_the_delta(void)
{
	struct mf_advert base, now, d;
	state(&base, 40, 1000);
	state(&now, 40, 1001);
	for (size_t i = 1; i < 40; i++)
		now.routes[i].distance_ms *= 1.04; /* every route, under 5 % */
	now.routes[30].distance_ms = 40.0 * 1.1; /* past 5 % and 2 ms */
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 5, 2, &d), 0);
	CU_ASSERT_EQUAL_FATAL(d.n_routes, 1);
	CU_ASSERT_STRING_EQUAL(d.names[d.routes[0].target], "dc030");
	mf_advert_free(&d);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 39);
	mf_advert_free(&d);
	mf_advert_free(&base);
	mf_advert_free(&now);
}

static void test_gateways_tombstones_transit_go_whole(void)
{
	struct mf_advert base, now, d;
	struct mf_gateway gw = {.name = "gw1", .lan = "10.0.0.1:1", .wan = "192.0.2.1:1"};
	state(&base, 10, 1000);
	state(&now, 10, 1001);
	now.transit = false;
	CU_ASSERT_EQUAL(mf_advert_delta(&base, &now, 0, 0, &d), 1);
	now.transit = true;
	now.dead = calloc(1, sizeof *now.dead);
	now.dead[0] = (struct mf_advert_dead){3, 7};
	now.n_dead = 1;
	CU_ASSERT_EQUAL(mf_advert_delta(&base, &now, 0, 0, &d), 1);
	mf_advert_free(&now);
	state(&now, 10, 1001);
	CU_ASSERT_EQUAL_FATAL(mf_gateways_copy(&gw, 1, &now.gateways), 0);
	now.n_gateways = 1;
	CU_ASSERT_EQUAL(mf_advert_delta(&base, &now, 0, 0, &d), 1);
	mf_advert_free(&now);
	/* another server's state, or an older one, is no delta either */
	state(&now, 10, 999);
	CU_ASSERT_EQUAL(mf_advert_delta(&base, &now, 0, 0, &d), 1);
	mf_advert_free(&base);
	mf_advert_free(&now);
}

/* Bytes of a delta message with fields changed, to check the decoder. */
static size_t broken(uint8_t *buf, size_t cap, uint64_t base, uint64_t seq, bool with_b, uint32_t gone)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 8 + with_b + 1);
#define KEY(k) (msgpack_pack_str(&pk, 1), msgpack_pack_str_body(&pk, k, 1))
	KEY("v"), msgpack_pack_uint8(&pk, 2);
	if (with_b)
		KEY("b"), msgpack_pack_uint64(&pk, base);
	KEY("w"), msgpack_pack_array(&pk, 1), msgpack_pack_uint32(&pk, gone);
	KEY("o"), msgpack_pack_str(&pk, 3), msgpack_pack_str_body(&pk, "dc1", 3);
	KEY("n"), msgpack_pack_str(&pk, 2), msgpack_pack_str_body(&pk, "s1", 2);
	KEY("q"), msgpack_pack_uint64(&pk, seq);
	KEY("x"), msgpack_pack_true(&pk);
	KEY("f"), msgpack_pack_array(&pk, 2), msgpack_pack_uint8(&pk, 0), msgpack_pack_uint8(&pk, 1);
	KEY("d"), msgpack_pack_array(&pk, 2), msgpack_pack_str(&pk, 3), msgpack_pack_str_body(&pk, "dc1", 3),
		msgpack_pack_str(&pk, 3), msgpack_pack_str_body(&pk, "dc2", 3);
	KEY("r"), msgpack_pack_array(&pk, 0);
#undef KEY
	size_t n = sb.size < cap ? sb.size : cap;
	memcpy(buf, sb.data, n);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

static void test_decoder_checks_the_delta_keys(void)
{
	uint8_t buf[256];
	struct mf_advert a;
	size_t n = broken(buf, sizeof buf, 5, 9, true, 1);
	CU_ASSERT_EQUAL(mf_advert_decode_msg(buf, n, &a), 0);
	CU_ASSERT_EQUAL(a.base_seq, 5);
	CU_ASSERT_EQUAL(a.n_gone, 1);
	mf_advert_free(&a);
	n = broken(buf, sizeof buf, 9, 9, true, 1); /* base not older */
	CU_ASSERT_EQUAL(mf_advert_decode_msg(buf, n, &a), MF_EMALFORMED);
	n = broken(buf, sizeof buf, 0, 9, false, 1); /* no base */
	CU_ASSERT_EQUAL(mf_advert_decode_msg(buf, n, &a), MF_EMALFORMED);
	n = broken(buf, sizeof buf, 5, 9, true, 2); /* withdrawn index past "d" */
	CU_ASSERT_EQUAL(mf_advert_decode_msg(buf, n, &a), MF_EMALFORMED);
}

static bool news_of_dc011(void *ctx, const char *target, double held, double now)
{
	(void)ctx;
	(void)held;
	(void)now;
	return strcmp(target, "dc011") == 0;
}

/* Riders (docs/routing.md, "Riders and a shorter header"): a distance move
 * on the base's path that news() calls no news stays out of the delta
 * (receivers keep the base's distance, as patching shows); a path change
 * always stays in; a delta of nothing but such moves is left whole. */
static void test_riders_that_are_no_news_stay_out_of_the_delta(void)
{
	struct mf_advert base, now, d, full;
	state(&base, 50, 100);
	state(&now, 50, 101);
	now.routes[7].distance_ms = 40;  /* a rider, no news */
	now.routes[11].distance_ms = 45; /* a rider that is news */
	now.routes[9].n_hops = 0;        /* a path change: dc009 direct */
	struct mf_advert_quiet quiet = {news_of_dc011, NULL, 7};
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 5, 2, &d), 0);
	CU_ASSERT_EQUAL(d.n_routes, 3);
	mf_advert_free(&d);
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta_quiet(&base, &now, 5, 2, &quiet, &d), 0);
	CU_ASSERT_EQUAL(quiet.held, 1);
	CU_ASSERT_EQUAL_FATAL(d.n_routes, 2);
	CU_ASSERT_PTR_NULL(route_to(&d, "dc007"));
	CU_ASSERT_PTR_NOT_NULL(route_to(&d, "dc009"));
	CU_ASSERT_PTR_NOT_NULL(route_to(&d, "dc011"));
	CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &d, &full), 0);
	CU_ASSERT_EQUAL(route_to(&full, "dc007")->distance_ms, 17.0); /* the base's */
	CU_ASSERT_EQUAL(route_to(&full, "dc011")->distance_ms, 45.0);
	mf_advert_free(&full);
	mf_advert_free(&d);
	/* only riders, none news: the state goes for them, whole */
	now.routes[9].n_hops = 1;
	now.routes[11].distance_ms = 21;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta_quiet(&base, &now, 5, 2, &quiet, &d), 0);
	CU_ASSERT_EQUAL(quiet.held, 0);
	CU_ASSERT_EQUAL_FATAL(d.n_routes, 1);
	CU_ASSERT_PTR_NOT_NULL(route_to(&d, "dc007"));
	free_all(&base, &now, &d, &full, &full);
}

/* Version 3 (route29, advert.h): the same delta with the base as a
 * difference and no "x", "f" or empty "w", at least 11 bytes shorter; both
 * decoders read both versions alike (an agent before it sends version 2,
 * and our answers to pulls go as version 2 for it). */
static void test_version_3_delta_says_what_version_2_says_in_fewer_bytes(void)
{
	struct mf_advert base, now, d, full3, full2;
	state(&base, 50, 1000);
	state(&now, 50, 1007);
	now.routes[7].distance_ms = 90;
	now.routes[8].distance_ms = 91;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	msgpack_sbuffer v3, v2;
	msgpack_sbuffer_init(&v3);
	msgpack_sbuffer_init(&v2);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&v3, &d), 0);
	d.delta_v2 = true;
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&v2, &d), 0);
	CU_ASSERT(v2.size >= v3.size + 11);
	CU_ASSERT(v3.size > 4 && (uint8_t)v3.data[2] == 'v' && v3.data[3] == MF_ADVERT_VERSION_DELTA3);
	CU_ASSERT(v2.size > 4 && (uint8_t)v2.data[2] == 'v' && v2.data[3] == MF_ADVERT_VERSION_DELTA);
	msgpack_sbuffer *bufs[2] = {&v3, &v2};
	struct mf_advert *fulls[2] = {&full3, &full2};
	for (int k = 0; k < 2; k++) {
		struct mf_advert back, push;
		bool since = true, fast = false;
		const uint8_t *m = (const uint8_t *)bufs[k]->data;
		CU_ASSERT_EQUAL(decode_both(m, bufs[k]->size, &since, &fast), 0);
		CU_ASSERT_TRUE(fast); /* read in place, and the general decoder agrees */
		CU_ASSERT_FALSE(since);
		CU_ASSERT_EQUAL(mf_advert_decode(m, bufs[k]->size, &push, NULL), MF_EUNKNOWN);
		CU_ASSERT_EQUAL_FATAL(mf_advert_decode_msg(m, bufs[k]->size, &back), 0);
		CU_ASSERT_EQUAL(back.base_seq, 1000);
		CU_ASSERT_EQUAL(back.seq, 1007);
		CU_ASSERT_EQUAL(back.frag_count, 1);
		CU_ASSERT_EQUAL(back.n_routes, 2);
		CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&base, &back, fulls[k]), 0);
		CU_ASSERT(same_routes(fulls[k], &now));
		CU_ASSERT_EQUAL(fulls[k]->transit, base.transit); /* from the base, not the delta */
		mf_advert_free(&back);
	}
	msgpack_sbuffer_destroy(&v3);
	msgpack_sbuffer_destroy(&v2);
	free_all(&base, &now, &d, &full3, &full2);
}

/* A sender's held view through a random walk of 60 states of 200 DCs
 * (routes moved, rerouted, withdrawn, brought back): for every earlier seq
 * h, the delta since h patched onto the state a receiver held at h, or at
 * any seq after h (a delta that reached back over one the receiver got),
 * is the newest state exactly, and it lists only what changed after h. */
static void test_a_delta_since_any_held_seq_gives_the_newest_state(void)
{
	enum { DCS = 200, STEPS = 60 };
	struct mf_advert held[STEPS];
	uint64_t *ver = NULL;
	struct mf_advert_gone_at gone[DCS];
	size_t n_gone = 0, changed[STEPS] = {0};
	unsigned rnd = 7;
	state(&held[0], DCS, 1000);
	CU_ASSERT_FATAL((ver = calloc(DCS, sizeof *ver)) != NULL);
	for (size_t i = 0; i < DCS; i++)
		ver[i] = 1000;
	for (size_t k = 1; k < STEPS; k++) {
		struct mf_advert now, step, next;
		uint64_t *nv = NULL;
		state(&now, DCS, 1000 + k);
		/* the previous state's routes, then a few changes */
		for (size_t i = 0; i < DCS; i++) {
			const struct mf_advert_route *p = route_to(&held[k - 1], now.names[i]);
			if (p)
				now.routes[i].distance_ms = p->distance_ms;
		}
		for (int c = 0; c < 3; c++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t i = 1 + (rnd >> 8) % (DCS - 1);
			now.routes[i].distance_ms += 5.0 + (double)(rnd % 7);
		}
		/* dc150..dc159 withdrawn in steps 20-39, back after */
		if (k >= 20 && k < 40)
			now.n_routes = 150 + (k % 2) * 5;
		CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&held[k - 1], &now, 0, 0, &step), 0);
		changed[k] = step.n_routes + step.n_gone;
		CU_ASSERT_EQUAL_FATAL(mf_advert_patch_ver(&held[k - 1], ver, &step, &next, &nv), 0);
		for (size_t g = n_gone; g-- > 0;)
			if (route_to(&next, gone[g].name)) {
				free(gone[g].name);
				gone[g] = gone[--n_gone];
			}
		for (size_t g = 0; g < step.n_gone; g++)
			gone[n_gone++] = (struct mf_advert_gone_at){strdup(step.names[step.gone[g]]), now.seq};
		CU_ASSERT(same_routes(&next, &now));
		free(ver);
		ver = nv;
		held[k] = next;
		mf_advert_free(&step);
		mf_advert_free(&now);
	}
	const struct mf_advert *top = &held[STEPS - 1];
	for (size_t h = 0; h < STEPS - 1; h++) {
		struct mf_advert d, back, full;
		size_t bytes, since = 0;
		CU_ASSERT_EQUAL_FATAL(mf_advert_since(top, ver, gone, n_gone, held[h].seq, &d), 0);
		CU_ASSERT_EQUAL(d.base_seq, held[h].seq);
		CU_ASSERT_EQUAL(d.seq, top->seq);
		wire(&d, &back, &bytes);
		CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&held[h], &back, &full), 0);
		CU_ASSERT(same_routes(&full, top));
		for (size_t j = h + 1; j < STEPS - 1; j++) {
			struct mf_advert later;
			CU_ASSERT_EQUAL_FATAL(mf_advert_patch(&held[j], &back, &later), 0);
			CU_ASSERT(same_routes(&later, top));
			mf_advert_free(&later);
		}
		for (size_t k = h + 1; k < STEPS; k++)
			since += changed[k];
		CU_ASSERT(d.n_routes + d.n_gone <= since); /* only what moved after h */
		mf_advert_free(&d);
		mf_advert_free(&back);
		mf_advert_free(&full);
	}
	/* nothing to say since the newest */
	struct mf_advert d;
	CU_ASSERT_EQUAL(mf_advert_since(top, ver, gone, n_gone, top->seq, &d), MF_EINVAL);
	for (size_t k = 0; k < STEPS; k++)
		mf_advert_free(&held[k]);
	for (size_t g = 0; g < n_gone; g++)
		free(gone[g].name);
	free(ver);
}

/* Each route of a delta is counted by what changed against its base, and
 * the delta by its first kind in the order next hop, path, distance,
 * epoch, other; entries and header add up to the message (issue 13,
 * point 2: what the advert bytes are). */
static void test_split_counts_each_route_by_what_changed(void)
{
	struct mf_advert base, now, d;
	state(&base, 10, 1000);
	state(&now, 9, 1001);                    /* dc009 withdrawn: other */
	now.epochs_bound = true;
	now.routes[3].n_hops = 0;                 /* via dc001 -> direct: next hop */
	now.routes[5].hops_off = (uint32_t)now.n_hops; /* dc001 -> dc001 dc002: below it */
	now.hops[now.n_hops++] = 1;
	now.hops[now.n_hops++] = 2;
	now.routes[5].n_hops = 2;
	now.routes[4].distance_ms = 20;          /* 14 -> 20 ms: distance */
	now.routes[6].epoch++;                   /* epoch only */
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &now, 0, 0, &d), 0);
	CU_ASSERT_EQUAL_FATAL(d.n_routes, 4);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &d), 0);
	struct mf_advert_split s = {0};
	CU_ASSERT_EQUAL(mf_advert_delta_split(&base, &d, sb.size, &s), MF_CHANGE_NEXT_HOP);
	uint64_t listed = 0;
	for (int c = 0; c < MF_CHANGE_N; c++) {
		CU_ASSERT_EQUAL(s.routes[c], 1);
		CU_ASSERT(s.bytes[c] >= 2);
		listed += s.bytes[c];
	}
	CU_ASSERT_EQUAL(s.states[MF_CHANGE_NEXT_HOP], 1);
	CU_ASSERT_EQUAL(listed + s.head_bytes, sb.size);
	CU_ASSERT(s.head_bytes >= 20); /* keys, origin, node, seqs */
	mf_advert_free(&d);
	/* The path alone moved below the next hop: the delta is led by it. */
	struct mf_advert only;
	state(&only, 10, 1002);
	only.routes[5] = now.routes[5];
	only.routes[5].hops_off = (uint32_t)only.n_hops;
	only.hops[only.n_hops++] = 1;
	only.hops[only.n_hops++] = 2;
	CU_ASSERT_EQUAL_FATAL(mf_advert_delta(&base, &only, 0, 0, &d), 0);
	CU_ASSERT_EQUAL(mf_advert_delta_split(&base, &d, sb.size, &s), MF_CHANGE_PATH);
	CU_ASSERT_EQUAL(s.routes[MF_CHANGE_PATH], 2);
	CU_ASSERT_EQUAL(s.states[MF_CHANGE_PATH], 1);
	msgpack_sbuffer_destroy(&sb);
	free_all(&base, &now, &d, &only, NULL);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_one_changed_route_costs_one_route_at_500_dcs),
		TEST(test_a_delta_since_any_held_seq_gives_the_newest_state),
		TEST(test_withdrawn_target_travels_and_is_dropped),
		TEST(test_deltas_are_cumulative_against_the_base),
		TEST(test_only_a_delta_that_says_since_its_base_applies_past_it),
		TEST(test_small_moves_stay_out_of_the_delta),
		TEST(test_gateways_tombstones_transit_go_whole),
		TEST(test_decoder_checks_the_delta_keys),
		TEST(test_split_counts_each_route_by_what_changed),
		TEST(test_version_3_delta_says_what_version_2_says_in_fewer_bytes),
		TEST(test_riders_that_are_no_news_stay_out_of_the_delta),
	};
	return RUN_SUITE("routing_advert_delta", tests);
}

/* The in-place reader (routing/advert_read.c) against the general decoder
 * through msgpack-c (advert_decode.c), which decides errors: every
 * encoding of ours is read in place, and on random adverts, their
 * mutants (bytes changed, cut, inserted) and hand-made layouts the reader
 * either gives exactly what the general decoder gives or leaves the bytes
 * to it; it never accepts what the general decoder refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/advert_internal.h"
#include "tests/cunit_main.h"
#include "tests/routing/advert_same.h"
#include "tests/routing/helpers.h"

static char *fmt(const char *f, unsigned v)
{
	char b[64];
	snprintf(b, sizeof b, f, v);
	return strdup(b);
}

/* A random advert: up to 40 names (some repeated), routes with up to 5
 * hops, gateways with tags, tombstones; a delta (base_seq, gone) when
 * delta. */
static void random_advert(uint64_t *s, struct mf_advert *a, bool delta)
{
	memset(a, 0, sizeof *a);
	a->origin = fmt("dc%u", (unsigned)(h_splitmix(s) % 50));
	a->node = fmt("dc-s%u.example", (unsigned)(h_splitmix(s) % 1000));
	a->seq = h_splitmix(s) >> (h_splitmix(s) % 64);
	a->transit = h_splitmix(s) & 1;
	a->frag_count = 1;
	a->n_names = 1 + h_splitmix(s) % 40;
	a->names = calloc(a->n_names, sizeof *a->names);
	for (size_t i = 0; i < a->n_names; i++)
		a->names[i] = fmt(h_splitmix(s) % 4 ? "dc%u" : "a-long-datacenter-name.region-%u", (unsigned)(h_splitmix(s) % 60));
	a->n_routes = h_splitmix(s) % (a->n_names + 1);
	a->routes = calloc(a->n_routes + 1, sizeof *a->routes);
	a->hops = calloc(a->n_routes * 5 + 1, sizeof *a->hops);
	for (size_t i = 0; i < a->n_routes; i++) {
		struct mf_advert_route *r = &a->routes[i];
		r->target = (uint32_t)(h_splitmix(s) % a->n_names);
		r->distance_ms = (double)(h_splitmix(s) % 200000) / 10.0;
		r->epoch = h_splitmix(s) >> (h_splitmix(s) % 64);
		r->hops_off = (uint32_t)a->n_hops;
		r->n_hops = (uint32_t)(h_splitmix(s) % 6);
		for (uint32_t k = 0; k < r->n_hops; k++)
			a->hops[a->n_hops++] = (uint32_t)(h_splitmix(s) % a->n_names);
	}
	a->n_gateways = h_splitmix(s) % 3;
	a->gateways = calloc(a->n_gateways + 1, sizeof *a->gateways);
	for (size_t i = 0; i < a->n_gateways; i++) {
		struct mf_gateway *g = &a->gateways[i];
		g->name = fmt("gw-%u", (unsigned)i);
		g->lan = h_splitmix(s) % 3 ? fmt("10.0.0.%u:8443", (unsigned)i) : strdup("");
		g->wan = h_splitmix(s) % 3 ? fmt("203.0.113.%u:8443", (unsigned)i) : strdup("");
		g->n_tags = h_splitmix(s) % 3;
		g->tags = calloc(g->n_tags + 1, sizeof *g->tags);
		for (size_t k = 0; k < g->n_tags; k++) {
			g->tags[k].key = fmt("dc:dc%u", (unsigned)k);
			g->tags[k].addr = fmt("198.51.100.%u:8443", (unsigned)k);
		}
	}
	a->n_dead = h_splitmix(s) % 3;
	a->dead = calloc(a->n_dead + 1, sizeof *a->dead);
	for (size_t i = 0; i < a->n_dead; i++)
		a->dead[i] = (struct mf_advert_dead){(uint32_t)(h_splitmix(s) % a->n_names), h_splitmix(s)};
	if (delta) {
		a->delta_v2 = h_splitmix(s) % 2; /* both versions of the delta header */
		a->seq |= 2;
		a->base_seq = 1 + h_splitmix(s) % (a->seq - 1);
		a->n_gone = h_splitmix(s) % 4;
		a->gone = calloc(a->n_gone + 1, sizeof *a->gone);
		for (size_t i = 0; i < a->n_gone; i++)
			a->gone[i] = (uint32_t)(h_splitmix(s) % a->n_names);
	}
}

struct tally {
	int read, general_only, refused;
};

/* Both decoders on buf (as a gossiped message when msg, else as one map
 * of push-pull state, *used); the reader must agree. Returns the
 * reader's result. */
static int compare(const uint8_t *buf, size_t len, bool msg, struct tally *t)
{
	struct mf_advert x, y;
	size_t ux = 0, uy = 0;
	int rx = mf_advert__read(buf, len, &x, msg ? NULL : &ux, msg);
	int ry = mf_advert__decode_general(buf, len, &y, msg ? NULL : &uy, msg);
	CU_ASSERT(rx == 0 || rx == 1);
	if (rx == 0) {
		CU_ASSERT_EQUAL(ry, 0);
		CU_ASSERT(x.block != NULL);
		if (ry == 0) {
			CU_ASSERT(mf_test_advert_same(&x, &y));
			CU_ASSERT_EQUAL(ux, uy);
		}
		t->read++;
	} else {
		/* left to the general decoder: *x must be empty */
		CU_ASSERT(x.origin == NULL && x.block == NULL && x.n_routes == 0);
		t->general_only += ry == 0;
		t->refused += ry != 0;
	}
	mf_advert_free(&x);
	mf_advert_free(&y);
	return rx;
}

static void test_every_encoding_of_ours_is_read_in_place_as_the_general_decoder_reads_it(void)
{
	uint64_t s = 0x7265616431ull;
	struct tally t = {0};
	for (int it = 0; it < 2000; it++) {
		struct mf_advert a;
		bool delta = it % 4 == 3;
		random_advert(&s, &a, delta);
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &a), 0);
		/* a full state as a message and as push-pull state */
		CU_ASSERT_EQUAL(compare((const uint8_t *)sb.data, sb.size, true, &t), 0);
		/* a delta is refused as push-pull state */
		int want = delta ? 1 : 0;
		CU_ASSERT_EQUAL(compare((const uint8_t *)sb.data, sb.size, false, &t), want);
		msgpack_sbuffer_destroy(&sb);
		if (!delta) {
			struct mf_advert_frags f;
			CU_ASSERT_EQUAL_FATAL(mf_advert_encode_frags(&a, 300, &f), 0);
			for (size_t i = 0; i < f.n; i++)
				CU_ASSERT_EQUAL(compare((const uint8_t *)f.bufs[i].data, f.bufs[i].size, true, &t), 0);
			mf_advert_frags_free(&f);
		}
		mf_advert_free(&a);
	}
	CU_ASSERT(t.read > 4000 && t.general_only == 0 && t.refused == 500);
}

/* Several states back to back (push-pull): each read with *used. */
static void test_back_to_back_states_are_read_with_their_lengths(void)
{
	uint64_t s = 0x6261636bull;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	for (int i = 0; i < 5; i++) {
		struct mf_advert a;
		random_advert(&s, &a, false);
		CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &a), 0);
		mf_advert_free(&a);
	}
	struct tally t = {0};
	size_t off = 0, n = 0;
	while (off < sb.size) {
		struct mf_advert a;
		size_t used = 0;
		CU_ASSERT_EQUAL(compare((const uint8_t *)sb.data + off, sb.size - off, false, &t), 0);
		CU_ASSERT_EQUAL_FATAL(mf_advert_decode((const uint8_t *)sb.data + off, sb.size - off, &a, &used), 0);
		CU_ASSERT(a.block != NULL);
		mf_advert_free(&a);
		off += used;
		n++;
	}
	CU_ASSERT_EQUAL(n, 5);
	/* the same bytes as one message have trailing bytes: refused */
	struct mf_advert a;
	CU_ASSERT_EQUAL(mf_advert_decode_msg((const uint8_t *)sb.data, sb.size, &a), MF_EMALFORMED);
	msgpack_sbuffer_destroy(&sb);
}

/* Mutants of our encodings: a byte changed, the end cut, a byte inserted.
 * Many are still read in place (a changed value), many are refused, and
 * the reader never says yes where the general decoder says no. */
static void test_mutants_are_read_as_the_general_decoder_reads_them_or_left_to_it(void)
{
	uint64_t s = 0x6d7574616e74ull;
	struct tally t = {0};
	for (int it = 0; it < 400; it++) {
		struct mf_advert a;
		random_advert(&s, &a, it % 3 == 2);
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		CU_ASSERT_EQUAL_FATAL(mf_advert_encode_full(&sb, &a), 0);
		mf_advert_free(&a);
		uint8_t *m = malloc(sb.size + 1);
		for (int k = 0; k < 40; k++) {
			size_t len = sb.size, at = h_splitmix(&s) % sb.size;
			memcpy(m, sb.data, sb.size);
			switch (k % 4) {
			case 0:
			case 1:
				m[at] = (uint8_t)h_splitmix(&s);
				break;
			case 2:
				len = at; /* cut */
				break;
			case 3:
				memmove(m + at + 1, m + at, sb.size - at);
				m[at] = (uint8_t)h_splitmix(&s);
				len++;
				break;
			}
			(void)compare(m, len, true, &t);
			(void)compare(m, len, false, &t);
		}
		free(m);
		msgpack_sbuffer_destroy(&sb);
	}
	fprintf(stderr, "mutants: %d read in place, %d by the general decoder only, %d refused\n", t.read,
		t.general_only, t.refused);
	CU_ASSERT(t.read > 1000 && t.refused > 1000);
}

/* Layouts our encoder never writes but msgpack-c reads: the reader leaves
 * them to the general decoder, which takes them. */
static void test_layouts_of_other_encoders_go_to_the_general_decoder(void)
{
	/* v o n q x f d r, as mf_advert_encode_full writes them */
#define V1 "a17601"
#define ON "a16fa3646331" "a16ea27331"
#define Q "a1710a"
#define XFD "a178c3" "a166920001" "a16491a3646332"
#define R "a172919300" "0107"
	static const struct {
		const char *what;
		const char *hex;
		int general; /* the general decoder's verdict */
	} cases[] = {
		{"ours", "88" V1 ON Q XFD R, 0},
		{"an unknown key", "89" V1 ON Q XFD R "a17a01", 0},
		{"an int8 seq", "88" V1 ON "a171d00a" XFD R, 0},
		{"a str8 key", "88" "d9017601" ON Q XFD R, 0},
		{"a bin origin", "88" V1 "a16fc403646331" "a16ea27331" Q XFD R, MF_EMALFORMED},
		{"a full state with b", "89" V1 ON Q XFD R "a16205", 0},
		{"a repeated key", "89" V1 ON Q XFD R "a17101", MF_EMALFORMED},
		{"version 4", "88" "a17604" ON Q XFD R, MF_EUNKNOWN},
		{"a version-3 delta with x and f", "89" "a17603" ON Q XFD R "a16301", 0},
		{"a version-3 delta without c", "88" "a17603" ON Q XFD R, MF_EMALFORMED},
		{"a version-3 delta whose c reaches seq", "87" "a17603" ON Q "a16491a3646332" R "a1630a", MF_EMALFORMED},
		{"a hop out of range", "88" V1 ON Q XFD "a172919400" "010705", MF_EMALFORMED},
		{"no routes key", "87" V1 ON Q XFD, MF_EMALFORMED},
		{"a delta without its base", "89" "a17602" ON Q XFD R "a17790", MF_EMALFORMED},
	};
#undef V1
#undef ON
#undef Q
#undef XFD
#undef R
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t buf[256];
		size_t n = strlen(cases[i].hex) / 2;
		for (size_t k = 0; k < n; k++)
			CU_ASSERT_FATAL(sscanf(cases[i].hex + 2 * k, "%2hhx", &buf[k]) == 1);
		struct mf_advert a;
		int rx = mf_advert__read(buf, n, &a, NULL, true);
		mf_advert_free(&a);
		int ry = mf_advert__decode_general(buf, n, &a, NULL, true);
		mf_advert_free(&a);
		int rd = mf_advert_decode_msg(buf, n, &a);
		mf_advert_free(&a);
		if (rx != (i == 0 ? 0 : 1) || ry != cases[i].general || rd != ry)
			fprintf(stderr, "%s: reader %d, general %d, decode_msg %d\n", cases[i].what, rx, ry, rd);
		CU_ASSERT_EQUAL(rx, i == 0 ? 0 : 1);
		CU_ASSERT_EQUAL(ry, cases[i].general);
		CU_ASSERT_EQUAL(rd, ry);
	}
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_every_encoding_of_ours_is_read_in_place_as_the_general_decoder_reads_it),
		TEST(test_back_to_back_states_are_read_with_their_lengths),
		TEST(test_mutants_are_read_as_the_general_decoder_reads_them_or_left_to_it),
		TEST(test_layouts_of_other_encoders_go_to_the_general_decoder),
	};
	return RUN_SUITE("routing_advert_read", tests);
}

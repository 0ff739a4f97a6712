/* Unit tests of routing/advert.c: the advertisement wire format, fragments
 * within one UDP packet at 500 DCs, reassembly, and strict decoding that
 * survives any input (random bytes, mutations, lying container sizes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/advert.h"
#include "routing/advert_asm.h"
#include "routing/engine.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"

static uint64_t rng = 0x616476657274ull;

static uint64_t rnd(void)
{
	return h_splitmix(&rng);
}

static struct mf_gateway_tag tags[] = {{"dc:dc-eu-west-007", "192.0.2.7:8443"}};
static struct mf_gateway gws[] = {
	{.name = "gw1", .lan = "10.1.0.5:8443", .wan = "203.0.113.5:8443", .n_tags = 1, .tags = tags},
	{.name = "gw2", .lan = "10.1.0.6:8443", .wan = "203.0.113.6:8443"},
};

/* An advertisement of `n` routes with realistic names ("dc-eu-west-123")
 * and 0..4 intermediate hops each, like a 500-DC federation. */
static void big_advert(struct mf_advert *a, size_t n)
{
	memset(a, 0, sizeof *a);
	a->origin = strdup("dc-eu-west-000");
	a->node = strdup("dc-eu-west-000-server-1");
	a->seq = 1732627200123ull;
	a->transit = true;
	a->frag_count = 1;
	a->names = calloc(n, sizeof *a->names);
	a->routes = calloc(n, sizeof *a->routes);
	a->hops = calloc(4 * n, sizeof *a->hops);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "dc-eu-west-%03zu", i);
		a->names[i] = strdup(name);
	}
	a->n_names = n;
	for (size_t i = 0; i < n; i++) {
		struct mf_advert_route *r = &a->routes[i];
		r->target = (uint32_t)i;
		r->epoch = 1732600000ull + rnd() % 100000;
		r->distance_ms = i == 0 ? 0 : 5 + (double)(rnd() % 3000) / 10.0;
		r->hops_off = (uint32_t)a->n_hops;
		r->n_hops = i == 0 ? 0 : (uint32_t)(rnd() % 5);
		for (uint32_t k = 0; k < r->n_hops; k++)
			a->hops[a->n_hops++] = (uint32_t)(1 + (i + 7 * k + 1) % (n - 1));
	}
	a->n_routes = n;
	mf_gateways_copy(gws, 2, &a->gateways);
	a->n_gateways = 2;
	a->dead = calloc(3, sizeof *a->dead);
	for (uint32_t i = 0; i < 3 && i + 1 < n; i++)
		a->dead[a->n_dead++] = (struct mf_advert_dead){(uint32_t)(n - 1 - i), 1732500000ull + i};
}

/* Compares two adverts by meaning (names, not indexes). */
static bool same_advert(const struct mf_advert *x, const struct mf_advert *y)
{
	if (strcmp(x->origin, y->origin) || strcmp(x->node, y->node) || x->seq != y->seq ||
	    x->transit != y->transit || x->n_routes != y->n_routes || x->n_gateways != y->n_gateways)
		return false;
	for (size_t i = 0; i < x->n_routes; i++) {
		const struct mf_advert_route *p = &x->routes[i], *q = &y->routes[i];
		if (strcmp(x->names[p->target], y->names[q->target]) || p->n_hops != q->n_hops || p->epoch != q->epoch ||
		    (long)(p->distance_ms * 10 + 0.5) != (long)(q->distance_ms * 10 + 0.5))
			return false;
		for (uint32_t k = 0; k < p->n_hops; k++)
			if (strcmp(x->names[x->hops[p->hops_off + k]], y->names[y->hops[q->hops_off + k]]))
				return false;
	}
	if (x->n_dead != y->n_dead)
		return false;
	for (size_t i = 0; i < x->n_dead; i++)
		if (strcmp(x->names[x->dead[i].dc], y->names[y->dead[i].dc]) || x->dead[i].epoch != y->dead[i].epoch)
			return false;
	for (size_t i = 0; i < x->n_gateways; i++) {
		const struct mf_gateway *g = &x->gateways[i], *h = &y->gateways[i];
		if (strcmp(g->name, h->name) || strcmp(g->lan, h->lan) || strcmp(g->wan, h->wan) ||
		    g->n_tags != h->n_tags)
			return false;
		for (size_t k = 0; k < g->n_tags; k++)
			if (strcmp(g->tags[k].key, h->tags[k].key) || strcmp(g->tags[k].addr, h->tags[k].addr))
				return false;
	}
	return true;
}

static void test_full_state_round_trips(void)
{
	struct mf_advert a, b;
	msgpack_sbuffer sb;
	big_advert(&a, 40);
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_advert_encode_full(&sb, &a), 0);
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data, sb.size, &b, NULL), 0);
	CU_ASSERT_TRUE(same_advert(&a, &b));
	CU_ASSERT_EQUAL(b.frag_index, 0);
	CU_ASSERT_EQUAL(b.frag_count, 1);
	mf_advert_free(&b);
	msgpack_sbuffer_destroy(&sb);
	mf_advert_free(&a);
}

static void test_distance_travels_in_tenths_of_ms(void)
{
	struct mf_advert a, b;
	msgpack_sbuffer sb;
	h_advert(&a, "dc1", "dc1-s1", 7, true, "dc1 0;dc2 12.34;dc3 6553.5");
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_advert_encode_full(&sb, &a), 0);
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data, sb.size, &b, NULL), 0);
	CU_ASSERT_DOUBLE_EQUAL(b.routes[1].distance_ms, 12.3, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(b.routes[2].distance_ms, 6553.5, 1e-9);
	mf_advert_free(&b);
	msgpack_sbuffer_destroy(&sb);
	mf_advert_free(&a);
}

static void test_500_dcs_fit_in_udp_sized_fragments(void)
{
	struct mf_advert a, out;
	struct mf_advert_frags f;
	struct mf_advert_asm s;
	big_advert(&a, 500);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, MF_ADVERT_MTU, &f), 0);
	size_t total = 0;
	for (size_t i = 0; i < f.n; i++) {
		CU_ASSERT(f.bufs[i].size <= MF_ADVERT_MTU);
		total += f.bufs[i].size;
	}
	printf("\n  500 routes: %zu fragments, %zu bytes ", f.n, total);
	CU_ASSERT(f.n > 1 && f.n < 40);
	mf_advert_asm_init(&s, 0);
	int done = 0;
	for (size_t i = 0; i < f.n; i++) {
		struct mf_advert frag;
		CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)f.bufs[i].data, f.bufs[i].size, &frag, NULL), 0);
		int rc = mf_advert_asm_add(&s, &frag, &out);
		CU_ASSERT_EQUAL(rc, i + 1 == f.n ? 1 : 0);
		done += rc == 1;
	}
	CU_ASSERT_EQUAL(done, 1);
	if (done)
		CU_ASSERT_TRUE(same_advert(&a, &out));
	mf_advert_free(&out);
	mf_advert_asm_free(&s);
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
}

static void test_fragments_join_in_any_order_ignoring_duplicates(void)
{
	struct mf_advert a, out = {0};
	struct mf_advert_frags f;
	struct mf_advert_asm s;
	big_advert(&a, 200);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, 600, &f), 0);
	CU_ASSERT(f.n >= 3);
	mf_advert_asm_init(&s, 0);
	int done = 0;
	/* Reverse order, each twice. */
	for (size_t k = 0; k < 2 * f.n; k++) {
		size_t i = f.n - 1 - k / 2;
		struct mf_advert frag, o;
		CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)f.bufs[i].data, f.bufs[i].size, &frag, NULL), 0);
		int rc = mf_advert_asm_add(&s, &frag, &o);
		if (rc == 1) {
			done++;
			mf_advert_free(&out);
			out = o;
		}
	}
	CU_ASSERT_EQUAL(done, 1); /* late copies of a joined state are dropped */
	CU_ASSERT_EQUAL(s.n, 1);
	mf_advert_free(&out);
	mf_advert_asm_free(&s);
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
}

static void test_newer_seq_drops_partial_state(void)
{
	struct mf_advert a, out;
	struct mf_advert_frags f1, f2;
	struct mf_advert_asm s;
	big_advert(&a, 200);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, 600, &f1), 0);
	a.seq++;
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, 600, &f2), 0);
	mf_advert_asm_init(&s, 0);
	struct mf_advert frag;
	/* First fragment of the old state, then all of the new one. */
	mf_advert_decode((const uint8_t *)f1.bufs[0].data, f1.bufs[0].size, &frag, NULL);
	CU_ASSERT_EQUAL(mf_advert_asm_add(&s, &frag, &out), 0);
	int rc = 0;
	for (size_t i = 0; i < f2.n; i++) {
		mf_advert_decode((const uint8_t *)f2.bufs[i].data, f2.bufs[i].size, &frag, NULL);
		rc = mf_advert_asm_add(&s, &frag, &out);
	}
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL(out.seq, a.seq);
	mf_advert_free(&out);
	/* The old state's other fragments are now stale. */
	mf_advert_decode((const uint8_t *)f1.bufs[1].data, f1.bufs[1].size, &frag, NULL);
	CU_ASSERT_EQUAL(mf_advert_asm_add(&s, &frag, &out), 0);
	CU_ASSERT_EQUAL(s.n, 1); /* only the marker of the joined state */
	mf_advert_asm_free(&s);
	mf_advert_frags_free(&f1);
	mf_advert_frags_free(&f2);
	mf_advert_free(&a);
}

/* A one-fragment state of server m<i> of `origin` given to s: its answer
 * (a state it joins is freed). */
static int add_tiny(struct mf_advert_asm *s, const char *origin, size_t i)
{
	struct mf_advert a, out;
	char node[32];
	snprintf(node, sizeof node, "m%zu", i);
	memset(&a, 0, sizeof a);
	a.origin = strdup(origin);
	a.node = strdup(node);
	a.seq = 7;
	a.frag_count = 1;
	int rc = mf_advert_asm_add(s, &a, &out);
	if (rc == 1)
		mf_advert_free(&out);
	return rc;
}

/* A slot per server heard, found through the index (issue 12: a node of a
 * DC of 1,000 servers holds 1,000): each is found again after the index
 * grew, and after an origin is forgotten (slots move, the index is built
 * again) the others still are and the forgotten ones are new. */
static void test_thousands_of_servers_are_found_after_growth_and_forget(void)
{
	struct mf_advert_asm s;
	const char *origins[] = {"dc1", "dc2", "dc3"};
	const size_t per = 1500;
	mf_advert_asm_init(&s, 0);
	for (int pass = 0; pass < 2; pass++) /* new, then a late copy */
		for (size_t o = 0; o < 3; o++)
			for (size_t i = 0; i < per; i++)
				CU_ASSERT_EQUAL(add_tiny(&s, origins[o], i), pass == 0 ? 1 : 0);
	CU_ASSERT_EQUAL(s.n, 3 * per);
	mf_advert_asm_forget(&s, "dc2");
	CU_ASSERT_EQUAL(s.n, 2 * per);
	size_t fresh = 0;
	for (size_t o = 0; o < 3; o++)
		for (size_t i = 0; i < per; i++) {
			int rc = add_tiny(&s, origins[o], i);
			CU_ASSERT_EQUAL(rc, o == 1 ? 1 : 0);
			fresh += rc == 1;
		}
	CU_ASSERT_EQUAL(fresh, per);
	CU_ASSERT_EQUAL(s.n, 3 * per);
	mf_advert_asm_free(&s);
}

static void test_one_oversized_item_is_refused(void)
{
	struct mf_advert a;
	struct mf_advert_frags f;
	big_advert(&a, 10);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, 60, &f), MF_ETOOBIG);
	CU_ASSERT_EQUAL(f.n, 0);
	mf_advert_free(&a);
}

/* --- strict decoding ---------------------------------------------------- */

static int decode_hex(const char *hex)
{
	uint8_t buf[512];
	size_t n = 0;
	for (; hex[0] && hex[1] && n < sizeof buf; hex += 2) {
		unsigned v;
		sscanf(hex, "%2x", &v);
		buf[n++] = (uint8_t)v;
	}
	struct mf_advert a;
	return mf_advert_decode(buf, n, &a, NULL);
}

static int decode_packed(void (*build)(msgpack_packer *pk))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	build(&pk);
	struct mf_advert a;
	int rc = mf_advert_decode((const uint8_t *)sb.data, sb.size, &a, NULL);
	if (rc == 0)
		mf_advert_free(&a);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static void kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	msgpack_pack_str(pk, strlen(k));
	msgpack_pack_str_body(pk, k, strlen(k));
	msgpack_pack_str(pk, strlen(v));
	msgpack_pack_str_body(pk, v, strlen(v));
}

static void key(msgpack_packer *pk, const char *k)
{
	msgpack_pack_str(pk, strlen(k));
	msgpack_pack_str_body(pk, k, strlen(k));
}

/* A valid advert with one route; `variant` breaks one thing. */
static int variant;
static void build_variant(msgpack_packer *pk)
{
	msgpack_pack_map(pk, variant == 1 ? 7 : 8);
	key(pk, "v");
	msgpack_pack_uint8(pk, variant == 2 ? 2 : 1);
	kv_str(pk, "o", variant == 3 ? "dc 1" : "dc1");
	kv_str(pk, "n", "dc1-s1");
	key(pk, "q");
	msgpack_pack_uint64(pk, 9);
	key(pk, "x");
	msgpack_pack_true(pk);
	if (variant != 1) {
		key(pk, "f");
		msgpack_pack_array(pk, 2);
		msgpack_pack_uint8(pk, variant == 4 ? 2 : 0);
		msgpack_pack_uint8(pk, variant == 4 ? 2 : 1);
	}
	key(pk, "d");
	msgpack_pack_array(pk, 2);
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "dc1", 3);
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "dc2", 3);
	key(pk, "r");
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, variant == 6 ? 1 : 4);
	msgpack_pack_uint8(pk, variant == 5 ? 2 : 1);
	if (variant != 6) {
		if (variant == 7)
			msgpack_pack_double(pk, 1.5);
		else
			msgpack_pack_uint16(pk, 125);
		msgpack_pack_uint32(pk, 1732600000u);
		msgpack_pack_uint8(pk, 0);
	}
}

static void test_decoder_accepts_the_reference_shape(void)
{
	variant = 0;
	CU_ASSERT_EQUAL(decode_packed(build_variant), 0);
}

static void test_decoder_rejects_each_broken_field(void)
{
	variant = 1; /* missing "f" */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
	variant = 2; /* version 2 */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EUNKNOWN);
	variant = 3; /* invalid DC name */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
	variant = 4; /* fragment index out of range */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
	variant = 5; /* name index out of range */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
	variant = 6; /* route without distance */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
	variant = 7; /* float distance */
	CU_ASSERT_EQUAL(decode_packed(build_variant), MF_EMALFORMED);
}

static void test_decoder_refuses_lying_container_sizes(void)
{
	/* array32 claiming 4G elements, map32 claiming 4G pairs, nested. */
	CU_ASSERT_EQUAL(decode_hex("ddffffffff"), MF_ETRUNC);
	CU_ASSERT_EQUAL(decode_hex("dfffffffff"), MF_ETRUNC);
	CU_ASSERT_EQUAL(decode_hex("81a172ddffffffff00"), MF_ETRUNC);
	CU_ASSERT_EQUAL(decode_hex("dbffffffff41"), MF_ETRUNC);
	CU_ASSERT_EQUAL(decode_hex("c1"), MF_EMALFORMED);
	CU_ASSERT(decode_hex("") < 0);
}

static void test_decoder_rejects_trailing_bytes_unless_asked(void)
{
	struct mf_advert a, b;
	msgpack_sbuffer sb;
	h_advert(&a, "dc1", "dc1-s1", 7, true, "dc1 0");
	msgpack_sbuffer_init(&sb);
	mf_advert_encode_full(&sb, &a);
	size_t one = sb.size;
	mf_advert_encode_full(&sb, &a); /* push-pull: two states back to back */
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data, sb.size, &b, NULL), MF_EMALFORMED);
	size_t used = 0;
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data, sb.size, &b, &used), 0);
	CU_ASSERT_EQUAL(used, one);
	mf_advert_free(&b);
	CU_ASSERT_EQUAL(mf_advert_decode((const uint8_t *)sb.data + used, sb.size - used, &b, &used), 0);
	mf_advert_free(&b);
	msgpack_sbuffer_destroy(&sb);
	mf_advert_free(&a);
}

static void test_decoder_survives_random_bytes(void)
{
	uint8_t buf[256];
	size_t ok = 0;
	for (int i = 0; i < 100000; i++) {
		size_t n = 1 + rnd() % sizeof buf;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		/* Half start as a map so the decoder gets past the first byte. */
		if (i & 1)
			buf[0] = (uint8_t)(0x80 | (rnd() % 16));
		struct mf_advert a;
		int rc = mf_advert_decode(buf, n, &a, NULL);
		CU_ASSERT(rc <= 0);
		if (rc == 0) {
			ok++;
			mf_advert_free(&a);
		}
	}
	CU_ASSERT(ok < 100); /* random bytes are almost never an advert */
}

static void test_decoder_survives_mutated_adverts(void)
{
	struct mf_advert a;
	struct mf_advert_frags f;
	big_advert(&a, 60);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, MF_ADVERT_MTU, &f), 0);
	uint8_t buf[MF_ADVERT_MTU];
	size_t decoded = 0;
	for (int i = 0; i < 50000; i++) {
		const msgpack_sbuffer *src = &f.bufs[rnd() % f.n];
		size_t n = src->size;
		memcpy(buf, src->data, n);
		int flips = 1 + (int)(rnd() % 4);
		for (int k = 0; k < flips; k++)
			buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 4 == 0)
			n = rnd() % n + 1; /* truncate too */
		struct mf_advert b;
		int rc = mf_advert_decode(buf, n, &b, NULL);
		CU_ASSERT(rc <= 0);
		if (rc == 0) {
			/* Whatever decodes must encode again. */
			msgpack_sbuffer sb;
			msgpack_sbuffer_init(&sb);
			CU_ASSERT_EQUAL(mf_advert_encode_full(&sb, &b), 0);
			msgpack_sbuffer_destroy(&sb);
			mf_advert_free(&b);
			decoded++;
		}
	}
	printf("\n  %zu of 50000 mutants still decoded ", decoded);
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
}

static void test_engine_survives_whatever_decodes(void)
{
	/* Mutants that still decode are fed to an engine linked to their
	 * origins: it must accept or refuse them, never crash, and its table
	 * must stay loop-free of itself. */
	struct mf_routing *r = h_engine("dc-eu-west-001", 0, 0);
	struct mf_advert a;
	struct mf_advert_frags f;
	big_advert(&a, 40);
	CU_ASSERT_EQUAL(mf_advert_encode_frags(&a, 400, &f), 0);
	uint8_t buf[400];
	size_t stored = 0;
	for (int i = 0; i < 20000; i++) {
		const msgpack_sbuffer *src = &f.bufs[rnd() % f.n];
		size_t n = src->size;
		memcpy(buf, src->data, n);
		for (int k = 0; k < 2; k++)
			buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		struct mf_advert b;
		if (mf_advert_decode(buf, n, &b, NULL) < 0)
			continue;
		mf_routing_set_link(r, b.origin, true, true, 1 + (double)(rnd() % 100));
		b.seq = (uint64_t)i + 2;
		int rc = mf_routing_set_advert(r, &b);
		CU_ASSERT(rc == 0 || rc == 1 || rc == MF_EMALFORMED || rc == MF_ETOOBIG ||
			  rc == MF_ESTATE);
		stored += rc == 1;
		mf_advert_free(&b);
		CU_ASSERT_EQUAL(mf_routing_recompute(r, NULL), 0);
	}
	struct mf_table t;
	CU_ASSERT_EQUAL(mf_routing_table(r, &t), 0);
	for (size_t i = 0; i < t.n_routes; i++)
		for (size_t k = 1; k < t.routes[i].path_len; k++)
			CU_ASSERT(strcmp(t.routes[i].path[k], "dc-eu-west-001") != 0);
	printf("\n  %zu mutants stored, %zu routes ", stored, t.n_routes);
	mf_table_free(&t);
	mf_advert_frags_free(&f);
	mf_advert_free(&a);
	mf_routing_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "full_state_round_trips", test_full_state_round_trips },
		{ "distance_travels_in_tenths_of_ms", test_distance_travels_in_tenths_of_ms },
		{ "500_dcs_fit_in_udp_sized_fragments", test_500_dcs_fit_in_udp_sized_fragments },
		{ "fragments_join_in_any_order_ignoring_duplicates", test_fragments_join_in_any_order_ignoring_duplicates },
		{ "newer_seq_drops_partial_state", test_newer_seq_drops_partial_state },
		{ "thousands_of_servers_are_found_after_growth_and_forget",
		  test_thousands_of_servers_are_found_after_growth_and_forget },
		{ "one_oversized_item_is_refused", test_one_oversized_item_is_refused },
		{ "decoder_accepts_the_reference_shape", test_decoder_accepts_the_reference_shape },
		{ "decoder_rejects_each_broken_field", test_decoder_rejects_each_broken_field },
		{ "decoder_refuses_lying_container_sizes", test_decoder_refuses_lying_container_sizes },
		{ "decoder_rejects_trailing_bytes_unless_asked", test_decoder_rejects_trailing_bytes_unless_asked },
		{ "decoder_survives_random_bytes", test_decoder_survives_random_bytes },
		{ "decoder_survives_mutated_adverts", test_decoder_survives_mutated_adverts },
		{ "engine_survives_whatever_decodes", test_engine_survives_whatever_decodes },
	};
	return RUN_SUITE("routing_advert", tests);
}

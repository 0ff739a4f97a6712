/* Unit tests of gateway/clienthello.c: real ClientHellos captured from
 * openssl s_client (fixtures/README.md), fed whole, byte by byte, in random
 * splits and re-framed into many records; truncations, mutations and
 * garbage must never give DONE nor read out of bounds (every input lives in
 * a heap buffer of exactly its length, so the ASan build catches a read
 * past it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/clienthello.h"
#include "gateway/proxy_v2.h"
#include "gateway/sni.h"
#include "gossip/rng.h"
#include "tests/cunit_main.h"

#define NAME "web.default.dc3.internal.example.test"

struct fixture {
	const char *file;
	bool has_sni;
	const char *sni;
	uint16_t version;
	int records;
};

static const struct fixture FIXTURES[] = {
	{"tls12_sni.bin", true, NAME, 0x0303, 1},
	{"tls12_nosni.bin", false, "", 0x0303, 1},
	{"tls13_sni.bin", true, NAME, 0x0304, 1},
	{"tls13_nosni.bin", false, "", 0x0304, 1},
	{"tls13_sni_records.bin", true, "V2.WEB.DEFAULT.DC3.INTERNAL.EXAMPLE.TEST.", 0x0304, 2},
};
#define N_FIXTURES (sizeof(FIXTURES) / sizeof(FIXTURES[0]))

struct buf {
	uint8_t *p;
	size_t n;
};

static struct buf load(const char *file)
{
	char path[512];
	struct buf b = {NULL, 0};
	snprintf(path, sizeof path, "%s/%s", MF_GATEWAY_FIXTURES, file);
	FILE *f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	uint8_t tmp[65536];
	b.n = fread(tmp, 1, sizeof tmp, f);
	fclose(f);
	b.p = malloc(b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
	memcpy(b.p, tmp, b.n);
	return b;
}

/* A copy of p[0..n) in a heap block of exactly n bytes. */
static struct buf copy(const uint8_t *p, size_t n)
{
	struct buf b = {malloc(n ? n : 1), n};
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
	if (n)
		memcpy(b.p, p, n);
	return b;
}

/* The handshake bytes of a capture: record payloads concatenated. */
static struct buf handshake_of(struct buf rec)
{
	struct buf hs = {malloc(rec.n), 0};
	for (size_t i = 0; i + 5 <= rec.n;) {
		size_t len = (size_t)rec.p[i + 3] << 8 | rec.p[i + 4];
		CU_ASSERT_FATAL(i + 5 + len <= rec.n);
		memcpy(hs.p + hs.n, rec.p + i + 5, len);
		hs.n += len;
		i += 5 + len;
	}
	return hs;
}

/* Re-frames handshake bytes into records of the given sizes (cycled; a
 * size of 0 means a random one in 1..64 from rng). */
static struct buf reframe(struct buf hs, const size_t *sizes, size_t n_sizes, struct mf_rng *rng)
{
	struct buf out = {malloc(hs.n * 6 + 16), 0};
	for (size_t i = 0, k = 0; i < hs.n; k++) {
		size_t sz = sizes[k % n_sizes];
		if (sz == 0)
			sz = 1 + mf_rng_below(rng, 64);
		if (sz > hs.n - i)
			sz = hs.n - i;
		uint8_t *h = out.p + out.n;
		h[0] = 22, h[1] = 3, h[2] = 1, h[3] = (uint8_t)(sz >> 8), h[4] = (uint8_t)sz;
		memcpy(h + 5, hs.p + i, sz);
		out.n += 5 + sz;
		i += sz;
	}
	struct buf exact = copy(out.p, out.n);
	free(out.p);
	return exact;
}

/* Feeds b in reads of random sizes (max_read 0: the whole buffer at once;
 * 1: byte by byte). Each read is its own heap block of exactly its size.
 * Returns the result; *total the bytes consumed overall. */
static int feed_split(struct mf_ch_reader *r, struct buf b, size_t max_read, struct mf_rng *rng,
		      size_t *total)
{
	int rc = MF_CH_NEED_MORE;
	size_t off = 0;
	*total = 0;
	while (off < b.n) {
		size_t m = b.n - off;
		if (max_read == 1)
			m = 1;
		else if (max_read > 1 && m > 1)
			m = 1 + mf_rng_below(rng, (uint32_t)(m < max_read ? m : max_read));
		struct buf piece = copy(b.p + off, m);
		size_t used = 0;
		rc = mf_ch_feed(r, piece.p, piece.n, &used);
		free(piece.p);
		CU_ASSERT(used <= m);
		*total += used;
		if (rc != MF_CH_NEED_MORE)
			break;
		CU_ASSERT_EQUAL(used, m);
		off += m;
	}
	return rc;
}

static void assert_parsed(const struct mf_ch_reader *r, const struct fixture *f)
{
	CU_ASSERT_EQUAL(r->error, MF_CH_OK);
	CU_ASSERT_EQUAL(r->has_sni, f->has_sni);
	CU_ASSERT_EQUAL(r->sni_len, strlen(f->sni));
	CU_ASSERT_STRING_EQUAL(r->sni, f->sni);
	CU_ASSERT_EQUAL(r->version, f->version);
}

/* One fixture fed every which way. */
static void check_fixture_reads(struct buf b, const struct fixture *f, struct mf_rng *rng)
{
	static const size_t reads[] = {0, 1, 2, 3, 7, 64, 300};
	for (size_t k = 0; k < sizeof reads / sizeof reads[0]; k++) {
		for (int rep = 0; rep < (reads[k] > 1 ? 50 : 1); rep++) {
			struct mf_ch_reader r;
			size_t total;
			mf_ch_init(&r, 0);
			int rc = feed_split(&r, b, reads[k], rng, &total);
			CU_ASSERT_EQUAL(rc, MF_CH_DONE);
			CU_ASSERT_EQUAL(total, b.n);
			assert_parsed(&r, f);
			mf_ch_free(&r);
		}
	}
}

static void test_every_fixture_parses_whole_bytewise_and_in_random_splits(void)
{
	struct mf_rng rng;
	mf_rng_seed(&rng, 1);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		struct buf b = load(FIXTURES[i].file);
		/* The capture is the hello and nothing else, in the records the
		 * README says. */
		int records = 0;
		for (size_t o = 0; o + 5 <= b.n; o += 5 + ((size_t)b.p[o + 3] << 8 | b.p[o + 4]))
			records++;
		CU_ASSERT_EQUAL(records, FIXTURES[i].records);
		check_fixture_reads(b, &FIXTURES[i], &rng);
		free(b.p);
	}
}

static void test_fixtures_reframed_into_many_records_parse(void)
{
	static const size_t one[] = {1}, two[] = {2}, odd[] = {3, 1, 7, 100}, rnd[] = {0};
	static const struct {
		const size_t *s;
		size_t n;
	} framings[] = {{one, 1}, {two, 1}, {odd, 4}, {rnd, 1}};
	struct mf_rng rng;
	mf_rng_seed(&rng, 2);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		struct buf b = load(FIXTURES[i].file);
		struct buf hs = handshake_of(b);
		for (size_t k = 0; k < sizeof framings / sizeof framings[0]; k++) {
			struct buf re = reframe(hs, framings[k].s, framings[k].n, &rng);
			check_fixture_reads(re, &FIXTURES[i], &rng);
			free(re.p);
		}
		free(hs.p);
		free(b.p);
	}
}

static void test_the_fixtures_names_are_mesh_names(void)
{
	for (size_t i = 0; i < N_FIXTURES; i++) {
		if (!FIXTURES[i].has_sni)
			continue;
		struct buf b = load(FIXTURES[i].file);
		struct mf_ch_reader r;
		struct mf_sni_name n;
		mf_ch_init(&r, 0);
		CU_ASSERT_EQUAL(mf_ch_feed(&r, b.p, b.n, NULL), MF_CH_DONE);
		CU_ASSERT_EQUAL(mf_sni_parse(r.sni, r.sni_len, "example.test", &n), 0);
		CU_ASSERT_STRING_EQUAL(n.subset, FIXTURES[i].records > 1 ? "v2" : "");
		CU_ASSERT_STRING_EQUAL(n.service, "web");
		CU_ASSERT_STRING_EQUAL(n.dc, "dc3");
		CU_ASSERT_EQUAL(mf_sni_parse(r.sni, r.sni_len, "example.org", &n), MF_ENOTFOUND);
		mf_ch_free(&r);
		free(b.p);
	}
}

static void test_done_reports_where_the_hello_ends_and_stays_done(void)
{
	struct buf b = load(FIXTURES[0].file);
	struct buf more = {malloc(b.n + 10), b.n + 10};
	memcpy(more.p, b.p, b.n);
	memset(more.p + b.n, 0x17, 10); /* e.g. early data after the hello */
	struct mf_ch_reader r;
	size_t used;
	mf_ch_init(&r, 0);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, more.p, more.n, &used), MF_CH_DONE);
	CU_ASSERT_EQUAL(used, b.n);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, more.p, more.n, &used), MF_CH_DONE);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_PTR_NULL(r.body); /* the copy is freed as soon as it is parsed */
	mf_ch_free(&r);
	free(more.p);
	free(b.p);
}

static void test_a_hello_ending_inside_a_record_leaves_the_rest_unconsumed(void)
{
	struct buf b = load(FIXTURES[2].file);
	size_t len = (size_t)b.p[3] << 8 | b.p[4];
	/* The same record, 3 bytes longer, with 3 bytes of a next message. */
	struct buf x = {malloc(b.n + 3), b.n + 3};
	memcpy(x.p, b.p, b.n);
	x.p[3] = (uint8_t)((len + 3) >> 8), x.p[4] = (uint8_t)(len + 3);
	memset(x.p + b.n, 0, 3);
	struct mf_ch_reader r;
	size_t total;
	struct mf_rng rng;
	mf_rng_seed(&rng, 3);
	mf_ch_init(&r, 0);
	CU_ASSERT_EQUAL(feed_split(&r, x, 1, &rng, &total), MF_CH_DONE);
	CU_ASSERT_EQUAL(total, b.n);
	mf_ch_free(&r);
	free(x.p);
	free(b.p);
}

/* Every prefix of a valid stream is NEED_MORE, fed whole or bytewise. */
static void check_truncations(struct buf b, struct mf_rng *rng)
{
	for (size_t len = 0; len < b.n; len++) {
		struct buf pre = copy(b.p, len);
		for (size_t mode = 0; mode < 2; mode++) {
			struct mf_ch_reader r;
			size_t total;
			mf_ch_init(&r, 0);
			CU_ASSERT_EQUAL(feed_split(&r, pre, mode, rng, &total), MF_CH_NEED_MORE);
			CU_ASSERT_EQUAL(total, len);
			mf_ch_free(&r);
		}
		free(pre.p);
	}
}

static void test_truncated_hellos_at_every_length_need_more(void)
{
	struct mf_rng rng;
	static const size_t three[] = {3};
	mf_rng_seed(&rng, 4);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		struct buf b = load(FIXTURES[i].file);
		check_truncations(b, &rng);
		struct buf hs = handshake_of(b);
		struct buf re = reframe(hs, three, 1, &rng);
		check_truncations(re, &rng);
		free(re.p);
		free(hs.p);
		free(b.p);
	}
}

/* Feeds b whole, bytewise and in random splits: all three must agree. */
static int feed_all_ways(struct buf b, struct mf_rng *rng, enum mf_ch_error *err)
{
	int first = 0;
	for (size_t mode = 0; mode < 4; mode++) {
		struct mf_ch_reader r;
		size_t total;
		mf_ch_init(&r, 0);
		int rc = feed_split(&r, b, mode == 3 ? 16 : mode, rng, &total);
		if (mode == 0) {
			first = rc;
			*err = r.error;
		}
		CU_ASSERT_EQUAL(rc, first);
		CU_ASSERT_EQUAL(r.error, *err);
		mf_ch_free(&r);
	}
	return first;
}

/* The length fields of a single-record hello, as offsets and widths. */
struct field {
	size_t off, width;
};

/* The length fields a change of which breaks the hello's structure (an
 * extension's own length is not one: a longer one may swallow the next
 * extension's header and leave a hello that still parses, differently).
 * The record length is tested apart. */
static size_t length_fields(struct buf b, struct field *f)
{
	size_t n = 0, o = 5 + 4 + 2 + 32;
	f[n++] = (struct field){6, 3};     /* handshake length */
	f[n++] = (struct field){o, 1};     /* session id */
	o += 1 + b.p[o];
	f[n++] = (struct field){o, 2};     /* cipher suites */
	o += 2 + ((size_t)b.p[o] << 8 | b.p[o + 1]);
	f[n++] = (struct field){o, 1};     /* compression methods */
	o += 1 + b.p[o];
	f[n++] = (struct field){o, 2};     /* extensions */
	o += 2;
	while (o + 4 <= b.n) {
		size_t type = (size_t)b.p[o] << 8 | b.p[o + 1];
		size_t len = (size_t)b.p[o + 2] << 8 | b.p[o + 3];
		if (type == 0) {
			f[n++] = (struct field){o + 4, 2}; /* server_name_list */
			f[n++] = (struct field){o + 7, 2}; /* host_name */
		}
		o += 4 + len;
	}
	return n;
}

static void test_every_length_field_changed_is_refused_or_needs_more(void)
{
	struct mf_rng rng;
	struct field f[64];
	static const int deltas[] = {1, -1, 2, -2, 0x100, -0x100, 0x7fff};
	mf_rng_seed(&rng, 5);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		if (FIXTURES[i].records != 1)
			continue;
		struct buf b = load(FIXTURES[i].file);
		size_t nf = length_fields(b, f);
		CU_ASSERT(nf >= (FIXTURES[i].has_sni ? 7u : 5u));
		for (size_t k = 0; k < nf; k++) {
			for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
				struct buf m = copy(b.p, b.n);
				uint8_t *p = m.p + f[k].off;
				long v = 0;
				for (size_t w = 0; w < f[k].width; w++)
					v = v << 8 | p[w];
				long was = v;
				v += deltas[d];
				if (((v ^ was) & ((1L << (8 * f[k].width)) - 1)) == 0) {
					free(m.p);
					continue; /* no change in this width */
				}
				for (size_t w = f[k].width; w-- > 0; v >>= 8)
					p[w] = (uint8_t)v;
				enum mf_ch_error e;
				int rc = feed_all_ways(m, &rng, &e);
				CU_ASSERT(rc == MF_CH_NEED_MORE || rc < 0);
				if (rc == MF_CH_DONE)
					printf("\n  %s: field at %zu %+d parsed\n", FIXTURES[i].file,
					       f[k].off, deltas[d]);
				free(m.p);
			}
		}
		free(b.p);
	}
}

static void test_a_record_length_change_is_refused_or_needs_more_unless_longer(void)
{
	struct mf_rng rng;
	mf_rng_seed(&rng, 8);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		struct buf b = load(FIXTURES[i].file);
		for (int d = -3; d <= 3; d++) {
			struct buf m = copy(b.p, b.n);
			size_t len = ((size_t)m.p[3] << 8 | m.p[4]) + (size_t)d;
			m.p[3] = (uint8_t)(len >> 8), m.p[4] = (uint8_t)len;
			enum mf_ch_error e;
			int rc = feed_all_ways(m, &rng, &e);
			/* Longer: a single-record hello still ends inside the
			 * record. Shorter: its end must come in a next record,
			 * whose header is missing or is hello bytes. */
			if (d >= 0 && FIXTURES[i].records == 1)
				CU_ASSERT_EQUAL(rc, MF_CH_DONE);
			if (d < 0)
				CU_ASSERT(rc == MF_CH_NEED_MORE || rc < 0);
			free(m.p);
		}
		free(b.p);
	}
}

static void test_every_byte_flipped_gives_one_answer_whatever_the_split(void)
{
	struct mf_rng rng;
	static const uint8_t flips[] = {0x01, 0x80, 0xff};
	mf_rng_seed(&rng, 6);
	for (size_t i = 0; i < N_FIXTURES; i++) {
		struct buf b = load(FIXTURES[i].file);
		for (size_t pos = 0; pos < b.n; pos++) {
			for (size_t k = 0; k < sizeof flips; k++) {
				struct buf m = copy(b.p, b.n);
				m.p[pos] ^= flips[k];
				enum mf_ch_error e;
				int rc = feed_all_ways(m, &rng, &e);
				CU_ASSERT(rc == MF_CH_DONE || rc == MF_CH_NEED_MORE || rc < 0);
				free(m.p);
			}
		}
		free(b.p);
	}
}

static void test_random_garbage_is_never_a_hello(void)
{
	struct mf_rng rng;
	mf_rng_seed(&rng, 7);
	for (int t = 0; t < 3000; t++) {
		size_t n = mf_rng_below(&rng, 600);
		struct buf g = {malloc(n ? n : 1), n};
		for (size_t i = 0; i < n; i++)
			g.p[i] = (uint8_t)mf_rng_next(&rng);
		/* A third look like a record and handshake header: the parser
		 * must get past the framing into the hello's fields. */
		if (t % 3 == 1 && n >= 9) {
			size_t len = n - 5, hl = n - 9;
			g.p[0] = 22, g.p[1] = 3, g.p[3] = (uint8_t)(len >> 8), g.p[4] = (uint8_t)len;
			g.p[5] = 1, g.p[6] = 0, g.p[7] = (uint8_t)(hl >> 8), g.p[8] = (uint8_t)hl;
		}
		if (t % 3 == 2 && n >= 11)
			g.p[0] = 22, g.p[1] = 3, g.p[9] = 3; /* a version too */
		enum mf_ch_error e;
		int rc = feed_all_ways(g, &rng, &e);
		CU_ASSERT(rc == MF_CH_NEED_MORE || rc < 0);
		free(g.p);
	}
}

/* --- synthetic hellos for the cases openssl does not send --- */

/* A record holding one ClientHello with the given extensions block
 * (ext == NULL: no extensions block at all). */
static struct buf hello(const uint8_t *ext, size_t ext_len)
{
	uint8_t body[70000];
	size_t n = 0;
	body[n++] = 3, body[n++] = 3;
	memset(body + n, 0xAB, 32), n += 32;
	body[n++] = 0;                                   /* session id */
	body[n++] = 0, body[n++] = 2, body[n++] = 0x13, body[n++] = 0x01;
	body[n++] = 1, body[n++] = 0;                    /* null compression */
	if (ext != NULL) {
		body[n++] = (uint8_t)(ext_len >> 8), body[n++] = (uint8_t)ext_len;
		memcpy(body + n, ext, ext_len), n += ext_len;
	}
	uint8_t out[70000];
	size_t rl = n + 4;
	out[0] = 22, out[1] = 3, out[2] = 1, out[3] = (uint8_t)(rl >> 8), out[4] = (uint8_t)rl;
	out[5] = 1, out[6] = (uint8_t)(n >> 16), out[7] = (uint8_t)(n >> 8), out[8] = (uint8_t)n;
	memcpy(out + 9, body, n);
	return copy(out, n + 9);
}

static int feed_once(struct buf b, struct mf_ch_reader *r, size_t limit)
{
	mf_ch_init(r, limit);
	int rc = mf_ch_feed(r, b.p, b.n, NULL);
	free(b.p);
	return rc;
}

static void test_hello_without_extensions_is_done_without_sni(void)
{
	struct mf_ch_reader r;
	CU_ASSERT_EQUAL(feed_once(hello(NULL, 0), &r, 0), MF_CH_DONE);
	CU_ASSERT_FALSE(r.has_sni);
	CU_ASSERT_EQUAL(r.version, 0x0303);
}

static void test_server_name_extension_edge_cases(void)
{
	struct mf_ch_reader r;
	/* an unknown name_type is skipped, the host_name after it taken */
	static const uint8_t skip[] = {0, 0, 0, 12, 0, 10, 7, 0, 1, 'x', 0, 0, 3, 'a', '.', 'b'};
	CU_ASSERT_EQUAL(feed_once(hello(skip, sizeof skip), &r, 0), MF_CH_DONE);
	CU_ASSERT_TRUE(r.has_sni);
	CU_ASSERT_STRING_EQUAL(r.sni, "a.b");
	/* two host_names */
	static const uint8_t two[] = {0, 0, 0, 10, 0, 8, 0, 0, 1, 'a', 0, 0, 1, 'b'};
	CU_ASSERT_EQUAL(feed_once(hello(two, sizeof two), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_SNI);
	/* two server_name extensions */
	static const uint8_t dup[] = {0, 0, 0, 6, 0, 4, 0, 0, 1, 'a', 0, 0, 0, 6, 0, 4, 0, 0, 1, 'b'};
	CU_ASSERT_EQUAL(feed_once(hello(dup, sizeof dup), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_SNI);
	/* empty extension, empty list, empty name */
	static const uint8_t empty[] = {0, 0, 0, 0};
	CU_ASSERT_EQUAL(feed_once(hello(empty, sizeof empty), &r, 0), MF_EMALFORMED);
	static const uint8_t nolist[] = {0, 0, 0, 2, 0, 0};
	CU_ASSERT_EQUAL(feed_once(hello(nolist, sizeof nolist), &r, 0), MF_EMALFORMED);
	static const uint8_t noname[] = {0, 0, 0, 5, 0, 3, 0, 0, 0};
	CU_ASSERT_EQUAL(feed_once(hello(noname, sizeof noname), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_SNI);
	/* a 255-byte host_name is kept, 256 refused */
	for (size_t len = 255; len <= 256; len++) {
		uint8_t e[300] = {0, 0, (uint8_t)((len + 5) >> 8), (uint8_t)(len + 5),
				  (uint8_t)((len + 3) >> 8), (uint8_t)(len + 3), 0,
				  (uint8_t)(len >> 8), (uint8_t)len};
		memset(e + 9, 'a', len);
		int rc = feed_once(hello(e, len + 9), &r, 0);
		CU_ASSERT_EQUAL(rc, len == 255 ? MF_CH_DONE : MF_EMALFORMED);
		if (rc == MF_CH_DONE)
			CU_ASSERT_EQUAL(r.sni_len, 255);
	}
}

static void test_bad_hello_fields_are_refused(void)
{
	struct mf_ch_reader r;
	/* trailing byte after the extensions */
	static const uint8_t trail[] = {0, 0xAA, 0, 0, 7};
	CU_ASSERT_EQUAL(feed_once(hello(trail, sizeof trail), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_HANDSHAKE);
	/* extension overruns the block */
	static const uint8_t over[] = {0, 0xAA, 0, 9, 1};
	CU_ASSERT_EQUAL(feed_once(hello(over, sizeof over), &r, 0), MF_EMALFORMED);
	/* supported_versions of odd length, and twice */
	static const uint8_t odd[] = {0, 43, 0, 4, 3, 3, 4, 3};
	CU_ASSERT_EQUAL(feed_once(hello(odd, sizeof odd), &r, 0), MF_EMALFORMED);
	static const uint8_t sv2[] = {0, 43, 0, 3, 2, 3, 4, 0, 43, 0, 3, 2, 3, 4};
	CU_ASSERT_EQUAL(feed_once(hello(sv2, sizeof sv2), &r, 0), MF_EMALFORMED);
	/* GREASE ignored, the highest real version kept */
	static const uint8_t sv[] = {0, 43, 0, 7, 6, 0x7a, 0x7a, 3, 4, 3, 3};
	CU_ASSERT_EQUAL(feed_once(hello(sv, sizeof sv), &r, 0), MF_CH_DONE);
	CU_ASSERT_EQUAL(r.version, 0x0304);
	/* not a ClientHello: a ServerHello (type 2) */
	struct buf b = hello(NULL, 0);
	b.p[5] = 2;
	CU_ASSERT_EQUAL(feed_once(b, &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_HANDSHAKE);
	/* legacy_version 2.0 */
	b = hello(NULL, 0);
	b.p[9] = 2;
	CU_ASSERT_EQUAL(feed_once(b, &r, 0), MF_EMALFORMED);
	/* 33-byte session id */
	b = hello(NULL, 0);
	b.p[9 + 34] = 33;
	CU_ASSERT_EQUAL(feed_once(b, &r, 0), MF_EMALFORMED);
}

static void test_bad_records_are_refused(void)
{
	struct mf_ch_reader r;
	struct buf b = hello(NULL, 0);
	/* an empty record */
	uint8_t empty[] = {22, 3, 1, 0, 0};
	CU_ASSERT_EQUAL(feed_once(copy(empty, 5), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_RECORD);
	/* a record over 2^14 */
	uint8_t big[] = {22, 3, 1, 0x40, 0x01};
	CU_ASSERT_EQUAL(feed_once(copy(big, 5), &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_RECORD);
	/* an alert record in the middle of a hello split in two records */
	static const size_t ten[] = {10};
	struct buf hs = handshake_of(b);
	struct buf re = reframe(hs, ten, 1, NULL);
	re.p[15] = 21;
	CU_ASSERT_EQUAL(feed_once(re, &r, 0), MF_EMALFORMED);
	CU_ASSERT_EQUAL(r.error, MF_CH_BAD_RECORD);
	free(hs.p);
	free(b.p);
}

static void test_what_is_not_tls_is_named(void)
{
	struct mf_ch_reader r;
	CU_ASSERT_EQUAL(feed_once(copy((const uint8_t *)"GET / HTTP/1.1\r\n", 16), &r, 0),
			MF_EUNKNOWN);
	CU_ASSERT_EQUAL(r.error, MF_CH_NOT_TLS);
	CU_ASSERT_EQUAL(feed_once(copy((const uint8_t *)MF_PP2_SIG, MF_PP2_SIG_LEN), &r, 0),
			MF_EUNKNOWN);
	CU_ASSERT_EQUAL(r.error, MF_CH_PROXY_V2);
	/* a refusal is final: a valid hello after it changes nothing */
	struct buf b = load(FIXTURES[0].file);
	size_t used = 1;
	CU_ASSERT_EQUAL(mf_ch_feed(&r, b.p, b.n, &used), MF_EUNKNOWN);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(r.error, MF_CH_PROXY_V2);
	free(b.p);
	static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15};
	CU_ASSERT_EQUAL(feed_once(copy(sslv2, sizeof sslv2), &r, 0), MF_EUNKNOWN);
	CU_ASSERT_EQUAL(r.error, MF_CH_SSLV2);
	static const uint8_t tls_then_http[] = {22, 4, 1, 0, 10};
	CU_ASSERT_EQUAL(feed_once(copy(tls_then_http, 5), &r, 0), MF_EUNKNOWN);
	CU_ASSERT_STRING_EQUAL(mf_ch_error_name(MF_CH_NOT_TLS), "not TLS");
}

static void test_sniff_tells_tls_from_proxy_v2(void)
{
	const uint8_t *sig = (const uint8_t *)MF_PP2_SIG;
	static const uint8_t tls[] = {22, 3, 1};
	CU_ASSERT_EQUAL(mf_ch_sniff(tls, 0), MF_CH_KIND_NEED_MORE);
	CU_ASSERT_EQUAL(mf_ch_sniff(tls, 1), MF_CH_KIND_NEED_MORE);
	CU_ASSERT_EQUAL(mf_ch_sniff(tls, 2), MF_CH_KIND_TLS);
	for (size_t n = 1; n < MF_PP2_SIG_LEN; n++)
		CU_ASSERT_EQUAL(mf_ch_sniff(sig, n), MF_CH_KIND_NEED_MORE);
	CU_ASSERT_EQUAL(mf_ch_sniff(sig, MF_PP2_SIG_LEN), MF_CH_KIND_PROXY_V2);
	uint8_t bad[MF_PP2_SIG_LEN];
	memcpy(bad, sig, sizeof bad);
	bad[11] = 'X';
	CU_ASSERT_EQUAL(mf_ch_sniff(bad, sizeof bad), MF_CH_KIND_OTHER);
	CU_ASSERT_EQUAL(mf_ch_sniff((const uint8_t *)"GET", 3), MF_CH_KIND_OTHER);
	static const uint8_t v2[] = {22, 2};
	CU_ASSERT_EQUAL(mf_ch_sniff(v2, 2), MF_CH_KIND_OTHER);
}

static void test_limit_is_enforced_as_soon_as_it_is_known(void)
{
	struct mf_ch_reader r;
	struct buf b = load("tls13_sni_records.bin");
	/* exactly the limit passes, one byte less refuses */
	mf_ch_init(&r, b.n);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, b.p, b.n, NULL), MF_CH_DONE);
	mf_ch_free(&r);
	mf_ch_init(&r, b.n - 1);
	size_t used;
	CU_ASSERT_EQUAL(mf_ch_feed(&r, b.p, b.n, &used), MF_ETOOBIG);
	CU_ASSERT_EQUAL(r.error, MF_CH_TOO_LARGE);
	/* known from the two record headers: refused before the last record */
	CU_ASSERT(used <= 5 + 512 + 5);
	mf_ch_free(&r);
	/* a handshake header announcing 1 MiB: refused at its 4th byte */
	static const uint8_t huge[] = {22, 3, 1, 0x40, 0x00, 1, 0x10, 0x00, 0x00, 3, 3};
	mf_ch_init(&r, 0);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, huge, sizeof huge, &used), MF_ETOOBIG);
	CU_ASSERT_EQUAL(used, 9);
	CU_ASSERT_PTR_NULL(r.body);
	mf_ch_free(&r);
	/* 1-byte records of an 826-byte hello make 4.9 KiB of stream: over a
	 * 4 KiB limit, though the hello alone is under it */
	struct buf hs = handshake_of(b);
	static const size_t one[] = {1};
	struct buf re = reframe(hs, one, 1, NULL);
	mf_ch_init(&r, 4096);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, re.p, re.n, NULL), MF_ETOOBIG);
	mf_ch_free(&r);
	mf_ch_init(&r, 0);
	CU_ASSERT_EQUAL(mf_ch_feed(&r, re.p, re.n, NULL), MF_CH_DONE);
	mf_ch_free(&r);
	free(re.p);
	free(hs.p);
	free(b.p);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"every fixture parses whole, bytewise and in random splits",
		 test_every_fixture_parses_whole_bytewise_and_in_random_splits},
		{"fixtures re-framed into many records parse", test_fixtures_reframed_into_many_records_parse},
		{"the fixtures' names are mesh names", test_the_fixtures_names_are_mesh_names},
		{"DONE reports where the hello ends and stays DONE",
		 test_done_reports_where_the_hello_ends_and_stays_done},
		{"a hello ending inside a record leaves the rest unconsumed",
		 test_a_hello_ending_inside_a_record_leaves_the_rest_unconsumed},
		{"truncated hellos at every length need more", test_truncated_hellos_at_every_length_need_more},
		{"every length field changed is refused or needs more",
		 test_every_length_field_changed_is_refused_or_needs_more},
		{"a record length change is refused or needs more unless longer",
		 test_a_record_length_change_is_refused_or_needs_more_unless_longer},
		{"every byte flipped gives one answer whatever the split",
		 test_every_byte_flipped_gives_one_answer_whatever_the_split},
		{"random garbage is never a hello", test_random_garbage_is_never_a_hello},
		{"a hello without extensions is done without SNI", test_hello_without_extensions_is_done_without_sni},
		{"server_name extension edge cases", test_server_name_extension_edge_cases},
		{"bad hello fields are refused", test_bad_hello_fields_are_refused},
		{"bad records are refused", test_bad_records_are_refused},
		{"what is not TLS is named", test_what_is_not_tls_is_named},
		{"sniff tells TLS from PROXY v2", test_sniff_tells_tls_from_proxy_v2},
		{"the limit is enforced as soon as it is known", test_limit_is_enforced_as_soon_as_it_is_known},
	};
	return RUN_SUITE("gateway_clienthello", cases);
}

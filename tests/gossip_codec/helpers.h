/* Shared by the gossip_codec tests: fixture loading and a CUnit runner. */
#ifndef MF_TEST_GOSSIP_CODEC_HELPERS_H
#define MF_TEST_GOSSIP_CODEC_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <msgpack.h>

#include "gossip/err.h"
#include "gossip/msg.h"
#include "tests/cunit_main.h"

struct fixture {
	uint8_t *p;
	size_t len;
};

/* Loads fixtures/<name>; aborts the test binary when missing. */
static inline struct fixture fx_load(const char *name)
{
	char path[512];
	struct fixture f = {0};
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", MF_FIXTURES, name);
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "missing fixture %s\n", path);
		exit(2);
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.p = malloc(n > 0 ? (size_t)n : 1);
	f.len = fread(f.p, 1, (size_t)n, fp);
	fclose(fp);
	return f;
}

static inline void fx_free(struct fixture *f)
{
	free(f->p);
	f->p = NULL;
}

static inline bool bytes_eq(struct mf_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

static inline struct mf_bytes B(const char *s)
{
	return (struct mf_bytes){(const uint8_t *)s, strlen(s)};
}

/* Two views of the same bytes (the in-place readers give views, as
 * msgpack-c does). */
static inline bool same_view(struct mf_bytes a, struct mf_bytes b)
{
	return a.p == b.p && a.len == b.len;
}

/* The fields of the k-th message of an in-place reader's check, from the
 * generator *x: every integer width, names of 1-255 bytes, metas of 0-512,
 * no/4/16-byte addresses, with and without Vsn. */
struct edge_fields {
	uint32_t incarnation;
	struct mf_bytes name, addr, meta;
	uint16_t port;
	bool has_vsn;
};
static inline struct edge_fields edge_fields(int k, uint32_t *x)
{
	static uint8_t meta[MF_META_MAX], addr[16];
	static char name[MF_NAME_MAX];
	static const uint32_t incs[] = {0, 1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX};
	static const uint16_t ports[] = {0, 1, 127, 128, 255, 256, 7946, 65535};
	static const size_t addrs[] = {0, 4, 16};
	for (size_t i = 0; i < sizeof(meta); i++)
		meta[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(addr); i++)
		addr[i] = (uint8_t)(i + 1);
	memset(name, 'n', sizeof(name));
	*x = *x * 1103515245u + 12345u;
	size_t meta_len = k % 4 ? (*x >> 4) % (MF_META_MAX + 1) : 0;
	return (struct edge_fields){
		.incarnation = incs[k % 9] + (k % 9 == 8 ? 0 : (uint32_t)(*x % 3)),
		.name = {(const uint8_t *)name, 1 + (*x >> 8) % MF_NAME_MAX},
		.addr = {addrs[k % 3] ? addr : NULL, addrs[k % 3]},
		.port = ports[k % 8],
		.meta = {meta_len ? meta : NULL, meta_len},
		.has_vsn = k % 5 != 0,
	};
}

/* An in-place reader against its general decoder: each reads b[0..len)
 * into an out of out_size bytes (fast: 1 when it leaves b to the general
 * way); same compares two outs. */
struct in_place_check {
	int (*fast)(const uint8_t *b, size_t len, void *out);
	int (*general)(const uint8_t *b, size_t len, void *out);
	bool (*same)(const void *a, const void *b);
	size_t out_size;
	size_t fast_n, wrong, mutants_fast;
};

/* One encoded message b of `whole` bytes (then len - whole bytes not its
 * own): read in place (fast_n) as the general decoder reads it; each cut
 * short never read; each with one byte changed (by x) either left to the
 * general decoder or read as it reads it (mutants_fast). */
static inline void check_in_place(struct in_place_check *c, const uint8_t *b, size_t len,
				  size_t whole, uint32_t x)
{
	void *f = malloc(c->out_size), *g = malloc(c->out_size);
	uint8_t *m = malloc(len);
	CU_ASSERT_FATAL(f && g && m);
	int rf = c->fast(b, len, f), rg = c->general(b, len, g);
	c->fast_n += rf == 0;
	c->wrong += rg != 0 || (rf == 0 && !c->same(f, g));
	for (size_t cut = 0; cut < whole; cut += 1 + whole / 40) /* cut short: never read */
		c->wrong += c->fast(b, cut, f) == 0;
	for (size_t at = 0; at < whole; at += 1 + whole / 60) {
		memcpy(m, b, len);
		m[at] ^= (uint8_t)(1 + (x >> (at % 24)) % 255);
		if (c->fast(m, len, f) != 0)
			continue;
		c->mutants_fast++;
		c->wrong += c->general(m, len, g) != 0 || !c->same(f, g);
	}
	free(f);
	free(g);
	free(m);
}

/* Deterministic pseudo-random bytes for the fuzz loops (xorshift). */
static inline uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

#endif

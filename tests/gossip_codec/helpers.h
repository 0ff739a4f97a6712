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

/* Deterministic pseudo-random bytes for the fuzz loops (xorshift). */
static inline uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

#endif

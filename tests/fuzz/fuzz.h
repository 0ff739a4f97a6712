/*
 * tests/fuzz/fuzz.h — what the libFuzzer targets share.
 *
 * Several targets feed a sequence of inputs (packets to one pool, lines to
 * one client, fragments to one reassembler). Their input is the pieces
 * joined by MF_FUZZ_SEP, a separator the mutator easily keeps, copies and
 * drops (a length prefix would mostly be mutated into nonsense). Each piece
 * is copied into its own malloc'd buffer so ASan sees a read past its end.
 *
 * MF_FUZZ_CHECK aborts with the line: the target's own invariants, which
 * libFuzzer then reports as a crash like any sanitizer finding.
 */
#ifndef MF_TESTS_FUZZ_H
#define MF_TESTS_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MF_FUZZ_SEP "\n--mf--\n"
#define MF_FUZZ_SEP_LEN (sizeof(MF_FUZZ_SEP) - 1)

#define MF_FUZZ_CHECK(cond)                                                        \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,     \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

struct mf_fuzz_cursor {
	const uint8_t *p;
	size_t n;
	int done;
};

static inline void mf_fuzz_cursor_init(struct mf_fuzz_cursor *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->n = n;
	c->done = 0;
}

/* The next piece as an exact-size malloc'd copy (free it), or NULL at the
 * end. An empty piece is a valid (zero-length, non-NULL) one. */
static inline uint8_t *mf_fuzz_next(struct mf_fuzz_cursor *c, size_t *len)
{
	if (c->done)
		return NULL;
	size_t m = c->n;
	const uint8_t *sep = NULL;
	for (size_t i = 0; i + MF_FUZZ_SEP_LEN <= c->n; i++) {
		if (c->p[i] == MF_FUZZ_SEP[0] &&
		    memcmp(c->p + i, MF_FUZZ_SEP, MF_FUZZ_SEP_LEN) == 0) {
			sep = c->p + i;
			m = i;
			break;
		}
	}
	uint8_t *piece = malloc(m ? m : 1);
	if (!piece)
		abort();
	memcpy(piece, c->p, m);
	*len = m;
	if (sep) {
		c->p += m + MF_FUZZ_SEP_LEN;
		c->n -= m + MF_FUZZ_SEP_LEN;
	} else {
		c->done = 1;
	}
	return piece;
}

/* A malloc'd exact-size copy, so ASan sees a read past n. */
static inline uint8_t *mf_fuzz_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		abort();
	memcpy(c, p, n);
	return c;
}

/* A malloc'd exact-size copy (NUL-terminated one byte beyond len for the
 * text parsers that are handed (ptr, len)). */
static inline char *mf_fuzz_dup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* A line as the line protocols send it: ends in '\n', holds no other. */
static inline void mf_fuzz_check_line(const char *s, size_t len)
{
	MF_FUZZ_CHECK(s != NULL && len >= 1 && s[len - 1] == '\n');
	MF_FUZZ_CHECK(memchr(s, '\n', len - 1) == NULL);
}

/* The key of the encrypted targets: the test key the captured encrypted
 * packets used (tests/gossip_codec/fixtures/key.b64), so they open. */
#define MF_FUZZ_KEY_B64 "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="
#endif

/*
 * routing/blobs.c — interned immutable byte strings (contract in blobs.h).
 *
 * Each blob is one allocation: a header, then the bytes the caller sees, so
 * a released pointer finds its header without a lookup. Buckets chain
 * blobs of the same hash slot; the table doubles past one blob per bucket.
 */
#include "routing/blobs.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

struct blob {
	struct blob *next;      /* same bucket */
	uint64_t hash;
	size_t len;
	size_t refs;
	uint8_t data[];
};

struct mf_blobs {
	struct blob **bucket;
	size_t n_buckets;       /* a power of two */
	size_t count, bytes;
};

static uint64_t hash_bytes(const uint8_t *p, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

int mf_blobs_new(struct mf_blobs **out)
{
	struct mf_blobs *b = calloc(1, sizeof *b);
	if (!b || !(b->bucket = calloc(64, sizeof *b->bucket))) {
		free(b);
		return MF_ENOMEM;
	}
	b->n_buckets = 64;
	*out = b;
	return 0;
}

void mf_blobs_free(struct mf_blobs *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_buckets; i++)
		for (struct blob *x = b->bucket[i], *nx; x; x = nx) {
			nx = x->next;
			free(x);
		}
	free(b->bucket);
	free(b);
}

/* Doubles the buckets; on failure keeps the old ones (longer chains). */
static void grow(struct mf_blobs *b)
{
	size_t n = b->n_buckets * 2;
	struct blob **nb = calloc(n, sizeof *nb);
	if (!nb)
		return;
	for (size_t i = 0; i < b->n_buckets; i++)
		for (struct blob *x = b->bucket[i], *nx; x; x = nx) {
			nx = x->next;
			x->next = nb[x->hash & (n - 1)];
			nb[x->hash & (n - 1)] = x;
		}
	free(b->bucket);
	b->bucket = nb;
	b->n_buckets = n;
}

const uint8_t *mf_blobs_put(struct mf_blobs *b, const uint8_t *p, size_t len)
{
	if (!p || len == 0)
		return NULL;
	uint64_t h = hash_bytes(p, len);
	for (struct blob *x = b->bucket[h & (b->n_buckets - 1)]; x; x = x->next)
		if (x->hash == h && x->len == len && memcmp(x->data, p, len) == 0) {
			x->refs++;
			return x->data;
		}
	struct blob *x = malloc(sizeof *x + len);
	if (!x)
		return NULL;
	memcpy(x->data, p, len);
	x->hash = h;
	x->len = len;
	x->refs = 1;
	if (b->count + 1 > b->n_buckets)
		grow(b);
	x->next = b->bucket[h & (b->n_buckets - 1)];
	b->bucket[h & (b->n_buckets - 1)] = x;
	b->count++;
	b->bytes += len;
	return x->data;
}

static struct blob *blob_of(const uint8_t *p)
{
	return (struct blob *)(void *)((uint8_t *)(uintptr_t)p - offsetof(struct blob, data));
}

const uint8_t *mf_blobs_ref(struct mf_blobs *b, const uint8_t *p)
{
	(void)b; /* the header is found from p; b names the store it is in */
	blob_of(p)->refs++;
	return p;
}

void mf_blobs_release(struct mf_blobs *b, const uint8_t *p)
{
	if (!p)
		return;
	struct blob *x = blob_of(p);
	if (--x->refs > 0)
		return;
	for (struct blob **at = &b->bucket[x->hash & (b->n_buckets - 1)]; *at; at = &(*at)->next)
		if (*at == x) {
			*at = x->next;
			break;
		}
	b->count--;
	b->bytes -= x->len;
	free(x);
}

size_t mf_blobs_count(const struct mf_blobs *b)
{
	return b->count;
}

size_t mf_blobs_bytes(const struct mf_blobs *b)
{
	return b->bytes;
}

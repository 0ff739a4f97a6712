/* gossip/intern.c — see gossip/intern.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/intern.h"
#include "gossip/name_hash.h"

struct mf_istr {
	struct mf_istr *next; /* same bucket */
	uint64_t hash;
	uint32_t refs;
	uint32_t len;
	char s[];             /* len bytes and a NUL */
};

static struct mf_istr *hdr(const char *s)
{
	return (struct mf_istr *)(void *)(s - offsetof(struct mf_istr, s));
}

void mf_intern_init(struct mf_intern *t)
{
	memset(t, 0, sizeof(*t));
	mf_name_ids_init(&t->ids);
}

void mf_intern_free(struct mf_intern *t)
{
	/* Strings still held are a caller's leak: free them anyway so the
	 * table never outlives what it owns. */
	for (size_t b = 0; b < t->n_buckets; b++) {
		struct mf_istr *e = t->buckets[b];
		while (e != NULL) {
			struct mf_istr *next = e->next;
			free(e);
			e = next;
		}
	}
	free(t->buckets);
	mf_name_ids_free(&t->ids);
	memset(t, 0, sizeof(*t));
}

static int grow(struct mf_intern *t)
{
	size_t nb = t->n_buckets ? t->n_buckets * 2 : 64;
	struct mf_istr **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct mf_istr *e = t->buckets[i];
		while (e != NULL) {
			struct mf_istr *next = e->next;
			size_t k = (size_t)e->hash & (nb - 1);
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = nb;
	return 0;
}

int mf_intern_get(struct mf_intern *t, const void *p, size_t len, const char **out)
{
	return mf_intern_get2(t, p, len, NULL, 0, out);
}

int mf_intern_get2(struct mf_intern *t, const void *p, size_t plen, const void *q,
		   size_t qlen, const char **out)
{
	uint64_t h = mf_name_hash_more(mf_name_hash(p, plen), q, qlen);
	size_t len = plen + qlen;
	if (plen > UINT32_MAX || qlen > UINT32_MAX - plen)
		return MF_EINVAL;
	if (t->n_buckets > 0) {
		for (struct mf_istr *e = t->buckets[(size_t)h & (t->n_buckets - 1)]; e; e = e->next) {
			if (e->hash == h && e->len == len && memcmp(e->s, p, plen) == 0 &&
			    (qlen == 0 || memcmp(e->s + plen, q, qlen) == 0)) {
				if (e->refs == UINT32_MAX)
					return MF_ENOMEM;
				e->refs++;
				*out = e->s;
				return 0;
			}
		}
	}
	if (t->n >= t->n_buckets && grow(t) != 0)
		return MF_ENOMEM;
	struct mf_istr *e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return MF_ENOMEM;
	e->hash = h;
	e->refs = 1;
	e->len = (uint32_t)len;
	if (plen > 0)
		memcpy(e->s, p, plen);
	if (qlen > 0)
		memcpy(e->s + plen, q, qlen);
	e->s[len] = '\0';
	size_t k = (size_t)h & (t->n_buckets - 1);
	e->next = t->buckets[k];
	t->buckets[k] = e;
	t->n++;
	t->bytes += len;
	*out = e->s;
	return 0;
}

void mf_intern_put(struct mf_intern *t, const char *s)
{
	if (s == NULL)
		return;
	struct mf_istr *e = hdr(s);
	if (--e->refs > 0)
		return;
	struct mf_istr **pp = &t->buckets[(size_t)e->hash & (t->n_buckets - 1)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	t->n--;
	t->bytes -= e->len;
	free(e);
}

size_t mf_intern_len(const char *s)
{
	return hdr(s)->len;
}

uint64_t mf_intern_hash(const char *s)
{
	return hdr(s)->hash;
}

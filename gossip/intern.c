/* gossip/intern.c — see gossip/intern.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/intern.h"
#include "gossip/name_hash.h"

struct mf_istr {
	uint64_t hash;
	uint32_t refs;
	uint32_t len;
	uint32_t memo;        /* name id + 1 of the memo naming it, 0: none */
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
	for (size_t i = 0; i < t->n_slots; i++)
		free(t->slots[i].e);
	free(t->slots);
	free(t->memo);
	mf_name_ids_free(&t->ids);
	memset(t, 0, sizeof(*t));
}

/* The slots rehashed into nb (a power of two above 2n). */
static int resize(struct mf_intern *t, size_t nb)
{
	struct mf_islot *b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < t->n_slots; i++) {
		if (t->slots[i].e == NULL)
			continue;
		size_t k = (size_t)t->slots[i].hash & (nb - 1);
		while (b[k].e != NULL)
			k = (k + 1) & (nb - 1);
		b[k] = t->slots[i];
	}
	free(t->slots);
	t->slots = b;
	t->n_slots = nb;
	return 0;
}

static int grow(struct mf_intern *t)
{
	return resize(t, t->n_slots ? t->n_slots * 2 : MF_INTERN_MIN_SLOTS);
}

/* After a storm (the queued broadcasts of a thousand joins are strings
 * too, several per member) the table shrinks back: at a load under 1/6 to
 * the smallest size at most 1/3 full, so that growing again takes the
 * count to rise by half and shrinking again to halve. A failed allocation
 * keeps the larger table. */
static void maybe_shrink(struct mf_intern *t)
{
	if (t->n_slots <= MF_INTERN_MIN_SLOTS || 6 * t->n >= t->n_slots)
		return;
	size_t nb = MF_INTERN_MIN_SLOTS;
	while (nb < 3 * t->n)
		nb *= 2;
	if (nb < t->n_slots)
		(void)resize(t, nb);
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
	if (t->n_slots > 0) {
		size_t mask = t->n_slots - 1;
		for (size_t k = (size_t)h & mask; t->slots[k].e != NULL; k = (k + 1) & mask) {
			struct mf_istr *e = t->slots[k].e;
			if (t->slots[k].hash == h && e->len == len && memcmp(e->s, p, plen) == 0 &&
			    (qlen == 0 || memcmp(e->s + plen, q, qlen) == 0)) {
				if (e->refs == UINT32_MAX)
					return MF_ENOMEM;
				e->refs++;
				*out = e->s;
				return 0;
			}
		}
	}
	if (2 * (t->n + 1) > t->n_slots && grow(t) != 0)
		return MF_ENOMEM;
	struct mf_istr *e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return MF_ENOMEM;
	e->hash = h;
	e->refs = 1;
	e->len = (uint32_t)len;
	e->memo = 0;
	if (plen > 0)
		memcpy(e->s, p, plen);
	if (qlen > 0)
		memcpy(e->s + plen, q, qlen);
	e->s[len] = '\0';
	size_t mask = t->n_slots - 1, k = (size_t)h & mask;
	while (t->slots[k].e != NULL)
		k = (k + 1) & mask;
	t->slots[k].hash = h;
	t->slots[k].e = e;
	t->n++;
	t->bytes += len;
	*out = e->s;
	return 0;
}

static void memo_forget(struct mf_intern *t, struct mf_istr *e)
{
	struct mf_intern_memo *m = &t->memo[e->memo - 1];
	if (m->ident == e->s)
		m->ident = NULL;
	for (int k = 0; k < MF_MEMO_KINDS; k++)
		if (m->last[k] == e->s)
			m->last[k] = NULL;
	e->memo = 0;
}

int mf_intern_ref(const char *s)
{
	struct mf_istr *e = hdr(s);
	if (e->refs == UINT32_MAX)
		return MF_ENOMEM;
	e->refs++;
	return 0;
}

struct mf_intern_memo *mf_intern_memo(struct mf_intern *t, uint32_t id)
{
	if (id >= UINT32_MAX - 1)
		return NULL;
	if (id >= t->n_memo) {
		size_t old = t->n_memo;
		if (mf_grow_lean(&t->memo, &t->n_memo, (size_t)id + 1, 64) != 0)
			return NULL;
		memset(t->memo + old, 0, (t->n_memo - old) * sizeof(*t->memo));
	}
	return &t->memo[id];
}

/* Points *field of memo entry m at s (or NULL), moving the naming. */
static void memo_set(struct mf_intern *t, struct mf_intern_memo *m, const char **field, const char *s)
{
	if (*field == s)
		return;
	if (*field != NULL)
		hdr(*field)->memo = 0;
	*field = NULL;
	/* a string stays in one memo */
	if (s != NULL && hdr(s)->memo == 0) {
		hdr(s)->memo = (uint32_t)(m - t->memo) + 1;
		*field = s;
	}
}

void mf_intern_memo_ident(struct mf_intern *t, struct mf_intern_memo *m, const char *ident)
{
	memo_set(t, m, &m->ident, ident);
}

void mf_intern_memo_last(struct mf_intern *t, struct mf_intern_memo *m, enum mf_intern_memo_kind kind,
			 const char *blob)
{
	memo_set(t, m, &m->last[kind], blob);
}

void mf_intern_put(struct mf_intern *t, const char *s)
{
	if (s == NULL)
		return;
	struct mf_istr *e = hdr(s);
	if (--e->refs > 0)
		return;
	if (e->memo != 0) /* the memo forgets it */
		memo_forget(t, e);
	size_t mask = t->n_slots - 1, i = (size_t)e->hash & mask;
	while (t->slots[i].e != e)
		i = (i + 1) & mask;
	/* Backward-shift deletion: a later string of the run moves into the
	 * hole unless its home lies cyclically in (hole, its slot]. */
	for (size_t j = (i + 1) & mask; t->slots[j].e != NULL; j = (j + 1) & mask) {
		size_t home = (size_t)t->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].e = NULL;
	t->n--;
	t->bytes -= e->len;
	free(e);
	maybe_shrink(t);
}

size_t mf_intern_len(const char *s)
{
	return hdr(s)->len;
}

uint64_t mf_intern_hash(const char *s)
{
	return hdr(s)->hash;
}

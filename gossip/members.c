#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/members.h"

void mf_members_init(struct mf_members *t)
{
	memset(t, 0, sizeof(*t));
}

static void free_rec(struct mf_mrec *m)
{
	if (m->suspecting)
		mf_suspicion_free(&m->susp);
	free(m->meta);
	free(m->name);
	free(m);
}

int mf_members_set_meta(struct mf_mrec *m, const uint8_t *meta, size_t len)
{
	if (len == m->meta_len && (len == 0 || memcmp(m->meta, meta, len) == 0))
		return 0;
	uint8_t *copy = NULL;
	if (len > 0) {
		if ((copy = malloc(len)) == NULL)
			return MF_ENOMEM;
		memcpy(copy, meta, len);
	}
	free(m->meta);
	m->meta = copy;
	m->meta_len = len;
	return 0;
}

void mf_members_free(struct mf_members *t)
{
	for (size_t i = 0; i < t->n; i++)
		free_rec(t->by_name[i]);
	free(t->by_name);
	free(t->probe);
	memset(t, 0, sizeof(*t));
}

int mf_members_cmp_name(const char *a, size_t alen, const char *b, size_t blen)
{
	/* A peer's empty name may be (NULL, 0): no memcmp on it (UBSan). */
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of the first record not less than name. */
static size_t lower_bound(const struct mf_members *t, const char *name, size_t len)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct mf_mrec *m = t->by_name[mid];
		if (mf_members_cmp_name(m->name, m->name_len, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mf_mrec *mf_members_find(const struct mf_members *t, const char *name, size_t len)
{
	size_t i = lower_bound(t, name, len);
	if (i < t->n && mf_members_cmp_name(t->by_name[i]->name, t->by_name[i]->name_len, name, len) == 0)
		return t->by_name[i];
	return NULL;
}

int mf_members_add(struct mf_members *t, const char *name, size_t len, size_t probe_pos,
		   struct mf_mrec **out)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct mf_mrec **a = realloc(t->by_name, cap * sizeof(*a));
		if (a == NULL)
			return MF_ENOMEM;
		t->by_name = a;
		struct mf_mrec **b = realloc(t->probe, cap * sizeof(*b));
		if (b == NULL)
			return MF_ENOMEM;
		t->probe = b;
		t->cap = cap;
	}
	struct mf_mrec *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return MF_ENOMEM;
	m->name = malloc(len + 1);
	if (m->name == NULL) {
		free(m);
		return MF_ENOMEM;
	}
	memcpy(m->name, name, len);
	m->name[len] = '\0';
	m->name_len = len;

	size_t i = lower_bound(t, name, len);
	memmove(&t->by_name[i + 1], &t->by_name[i], (t->n - i) * sizeof(t->by_name[0]));
	t->by_name[i] = m;
	t->n++;

	t->probe[t->n_probe] = m;
	if (probe_pos < t->n_probe) {
		t->probe[t->n_probe] = t->probe[probe_pos];
		t->probe[probe_pos] = m;
	}
	t->n_probe++;
	*out = m;
	return 0;
}

void mf_members_remove(struct mf_members *t, struct mf_mrec *m)
{
	size_t i = lower_bound(t, m->name, m->name_len);
	if (i < t->n && t->by_name[i] == m) {
		memmove(&t->by_name[i], &t->by_name[i + 1], (t->n - i - 1) * sizeof(t->by_name[0]));
		t->n--;
	}
	for (size_t j = 0; j < t->n_probe; j++) {
		if (t->probe[j] == m) {
			memmove(&t->probe[j], &t->probe[j + 1], (t->n_probe - j - 1) * sizeof(t->probe[0]));
			t->n_probe--;
			break;
		}
	}
	free_rec(m);
}

size_t mf_members_sweep(struct mf_members *t, size_t probe_index)
{
	size_t kept = 0, before = 0;
	for (size_t j = 0; j < t->n_probe; j++) {
		if (t->probe[j]->doomed)
			before += j < probe_index;
		else
			t->probe[kept++] = t->probe[j];
	}
	t->n_probe = kept;
	kept = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->by_name[i]->doomed)
			free_rec(t->by_name[i]);
		else
			t->by_name[kept++] = t->by_name[i];
	}
	t->n = kept;
	return probe_index - before;
}

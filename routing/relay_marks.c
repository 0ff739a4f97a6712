/* routing/relay_marks.c — see routing/relay_marks.h. */
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/probe_index.h"
#include "routing/advert_asm.h"
#include "routing/relay_marks.h"

#define NODE_MAX 255 /* as MF_ADVERT_STR_MAX: longer names are never marked */

void mf_relay_marks_init(struct mf_relay_marks *m)
{
	memset(m, 0, sizeof(*m));
}

void mf_relay_marks_free(struct mf_relay_marks *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->marks[i].names);
	free(m->marks);
	free(m->index);
	memset(m, 0, sizeof(*m));
}

static const char *mark_node(const struct mf_relay_mark *k)
{
	return k->names + strlen(k->names) + 1;
}

static bool mark_is(const struct mf_relay_mark *k, uint64_t h, const char *origin,
		    const char *node, bool per_node)
{
	return k->h == h && k->per_node == per_node && strcmp(k->names, origin) == 0 &&
	       (!per_node || strcmp(mark_node(k), node) == 0);
}

/* Keeps the index's load under 3/4 for n marks. */
static bool index_reserve(struct mf_relay_marks *m, size_t n)
{
	size_t nb = mf_probe_index_slots(n, m->n_index, 64);
	if (nb == m->n_index)
		return true;
	uint32_t *x = calloc(nb, sizeof(*x));
	if (x == NULL)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		x[mf_probe_index_free_slot(x, nb, (size_t)m->marks[i].h)] = (uint32_t)i + 1;
	}
	free(m->index);
	m->index = x;
	m->n_index = nb;
	return true;
}

/* origin NUL node NUL in one block, or NULL. */
static char *names_new(const char *origin, const char *node)
{
	size_t lo = strlen(origin), ln = strlen(node);
	char *s = malloc(lo + ln + 2);
	if (s != NULL) {
		memcpy(s, origin, lo + 1);
		memcpy(s + lo + 1, node, ln + 1);
	}
	return s;
}

/* The mark of (origin, node when per_node), created (seq 0, node "", no
 * fragment) when missing; NULL when out of memory. */
static struct mf_relay_mark *mark_of(struct mf_relay_marks *m, const char *origin,
				     const char *node, bool per_node)
{
	uint64_t h = mf_advert_key_hash(origin, per_node ? node : NULL);
	size_t mask = m->n_index - 1, j = (size_t)h & mask;
	if (m->n_index > 0)
		for (; m->index[j] != 0; j = (j + 1) & mask)
			if (mark_is(&m->marks[m->index[j] - 1], h, origin, node, per_node))
				return &m->marks[m->index[j] - 1];
	if (m->n >= UINT32_MAX - 1 || !index_reserve(m, m->n + 1) ||
	    mf_grow_lean(&m->marks, &m->cap, m->n + 1, 16) != 0)
		return NULL;
	char *names = names_new(origin, per_node ? node : "");
	if (names == NULL)
		return NULL;
	mask = m->n_index - 1;
	for (j = (size_t)h & mask; m->index[j] != 0; j = (j + 1) & mask)
		;
	m->index[j] = (uint32_t)m->n + 1;
	struct mf_relay_mark *k = &m->marks[m->n++];
	*k = (struct mf_relay_mark){ .h = h, .names = names, .per_node = per_node };
	return k;
}

bool mf_relay_marks_news(struct mf_relay_marks *m, const char *origin, const char *node,
			 uint64_t seq, int f, bool per_node)
{
	if (strlen(node) > NODE_MAX)
		return false;
	struct mf_relay_mark *k = mark_of(m, origin, node, per_node);
	if (k == NULL)
		return false;
	int c = seq != k->seq ? (seq > k->seq ? 1 : -1) : strcmp(node, mark_node(k));
	uint64_t bit = f >= 0 && f < 64 ? 1ULL << f : ~0ULL;
	if (c < 0 || (c == 0 && (k->frags & bit) == bit))
		return false;
	if (c > 0) {
		if (!per_node) { /* the origin's newest came from another server */
			char *names = names_new(k->names, node);
			if (names == NULL)
				return false;
			free(k->names);
			k->names = names;
		}
		k->seq = seq;
		k->frags = 0;
	}
	k->frags |= bit;
	return true;
}

size_t mf_relay_marks_bytes(const struct mf_relay_marks *m)
{
	size_t b = m->cap * sizeof(*m->marks) + m->n_index * sizeof(*m->index);
	for (size_t i = 0; i < m->n; i++) {
		const char *node = mark_node(&m->marks[i]);
		b += (size_t)(node - m->marks[i].names) + strlen(node) + 1;
	}
	return b;
}

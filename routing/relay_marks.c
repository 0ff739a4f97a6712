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
	mf_name_ids_init(&m->own_ids);
}

static struct mf_name_ids *ids_of(const struct mf_relay_marks *m)
{
	return m->ids ? m->ids : (struct mf_name_ids *)&m->own_ids;
}

bool mf_relay_marks_share_names(struct mf_relay_marks *m, struct mf_name_ids *ids)
{
	if (m->n > 0)
		return false;
	m->ids = ids;
	return true;
}

void mf_relay_marks_free(struct mf_relay_marks *m)
{
	for (size_t i = 0; i < m->n; i++) {
		mf_name_ids_drop(ids_of(m), m->marks[i].origin);
		mf_name_ids_drop(ids_of(m), m->marks[i].node);
	}
	free(m->marks);
	free(m->index);
	mf_name_ids_free(&m->own_ids);
	memset(m, 0, sizeof(*m));
}

static const char *mark_node(const struct mf_relay_marks *m, const struct mf_relay_mark *k)
{
	return mf_name_ids_str(ids_of(m), k->node);
}

static bool mark_is(const struct mf_relay_marks *m, const struct mf_relay_mark *k, uint64_t h,
		    const char *origin, const char *node, bool per_node)
{
	return k->h == h && k->per_node == per_node &&
	       strcmp(mf_name_ids_str(ids_of(m), k->origin), origin) == 0 &&
	       (!per_node || strcmp(mark_node(m, k), node) == 0);
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

/* The mark of (origin, node when per_node), created (seq 0, node "", no
 * fragment) when missing; NULL when out of memory. */
static struct mf_relay_mark *mark_of(struct mf_relay_marks *m, const char *origin,
				     const char *node, bool per_node)
{
	uint64_t h = mf_advert_key_hash(origin, per_node ? node : NULL);
	size_t mask = m->n_index - 1, j = (size_t)h & mask;
	if (m->n_index > 0)
		for (; m->index[j] != 0; j = (j + 1) & mask)
			if (mark_is(m, &m->marks[m->index[j] - 1], h, origin, node, per_node))
				return &m->marks[m->index[j] - 1];
	if (m->n >= UINT32_MAX - 1 || !index_reserve(m, m->n + 1) ||
	    mf_grow_lean(&m->marks, &m->cap, m->n + 1, 16) != 0)
		return NULL;
	uint32_t oid, nid;
	if (mf_name_ids_hold(ids_of(m), origin, &oid) != 0)
		return NULL;
	if (mf_name_ids_hold(ids_of(m), per_node ? node : "", &nid) != 0) {
		mf_name_ids_drop(ids_of(m), oid);
		return NULL;
	}
	mask = m->n_index - 1;
	for (j = (size_t)h & mask; m->index[j] != 0; j = (j + 1) & mask)
		;
	m->index[j] = (uint32_t)m->n + 1;
	struct mf_relay_mark *k = &m->marks[m->n++];
	*k = (struct mf_relay_mark){ .h = h, .origin = oid, .node = nid, .per_node = per_node };
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
	int c = seq != k->seq ? (seq > k->seq ? 1 : -1) : strcmp(node, mark_node(m, k));
	uint64_t bit = f >= 0 && f < 64 ? 1ULL << f : ~0ULL;
	if (c < 0 || (c == 0 && (k->frags & bit) == bit))
		return false;
	if (c > 0) {
		if (!per_node) { /* the origin's newest came from another server */
			uint32_t nid;
			if (mf_name_ids_hold(ids_of(m), node, &nid) != 0)
				return false;
			mf_name_ids_drop(ids_of(m), k->node);
			k->node = nid;
		}
		k->seq = seq;
		k->frags = 0;
	}
	k->frags |= bit;
	return true;
}

size_t mf_relay_marks_bytes(const struct mf_relay_marks *m)
{
	/* The names are ids: shared with the pools, or in own_ids (counted). */
	size_t b = m->cap * sizeof(*m->marks) + m->n_index * sizeof(*m->index);
	if (m->ids == NULL)
		b += mf_name_ids_bytes(&m->own_ids);
	return b;
}

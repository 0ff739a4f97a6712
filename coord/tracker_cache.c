/* coord/tracker_cache.c — see coord/tracker_cache.h. */
#include "coord/tracker_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "coord/config.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "gossip/probe_index.h"

/* An entry: the name's id (gossip/name_ids.h) in an 8-byte head, then
 * vec[0..dim), error, adjustment, height. */
static unsigned char *entry(const struct mf_coord_cache *c, size_t id)
{
	return c->slabs[id / MF_COORD_CACHE_SLAB] + (id % MF_COORD_CACHE_SLAB) * c->stride;
}

static uint32_t entry_nid(const struct mf_coord_cache *c, size_t id)
{
	uint32_t nid;
	memcpy(&nid, entry(c, id), sizeof(nid));
	return nid;
}

static const char *entry_name(const struct mf_coord_cache *c, size_t id)
{
	return mf_name_ids_name(&c->names->ids, entry_nid(c, id));
}

static double *entry_values(const struct mf_coord_cache *c, size_t id)
{
	return (double *)(void *)(entry(c, id) + sizeof(uint64_t));
}

void mf_coord_cache_init(struct mf_coord_cache *c, unsigned dim, size_t max)
{
	memset(c, 0, sizeof(*c));
	mf_intern_init(&c->own_names);
	c->names = &c->own_names;
	c->dim = dim;
	c->stride = sizeof(uint64_t) + (dim + 3) * sizeof(double);
	c->max = max < UINT32_MAX ? max : UINT32_MAX - 1;
}

void mf_coord_cache_free(struct mf_coord_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		mf_name_ids_put(&c->names->ids, entry_nid(c, i));
	for (size_t s = 0; s < c->n_slabs; s++)
		free(c->slabs[s]);
	free(c->slabs);
	free(c->index);
	mf_intern_free(&c->own_names);
	memset(c, 0, sizeof(*c));
}

int mf_coord_cache_share_names(struct mf_coord_cache *c, struct mf_intern *strs)
{
	if (c->n > 0 || strs == NULL)
		return MF_ESTATE;
	c->names = strs;
	return 0;
}

/* --- the index: open addressing, linear probing ---------------------------
 * A slot holds an entry id + 1 (0 = empty), found by the entry's name id:
 * a name is looked up once in the name ids (shared with the pools that
 * hold the member), then probed here without reading a name. */

static size_t nid_hash(uint32_t nid)
{
	uint64_t x = (uint64_t)nid * 0x9E3779B97F4A7C15ull;
	return (size_t)(x ^ (x >> 29));
}

/* Slot of name id nid, or of the empty slot where it would go. */
static size_t index_slot(const struct mf_coord_cache *c, uint32_t nid)
{
	size_t mask = c->n_index - 1, i = nid_hash(nid) & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t v = c->index[i];
		if (v == 0 || entry_nid(c, v - 1) == nid)
			return i;
	}
}

/* Slot holding entry id (which must be indexed). */
static size_t index_slot_of(const struct mf_coord_cache *c, size_t id)
{
	size_t mask = c->n_index - 1, i = nid_hash(entry_nid(c, id)) & mask;
	while (c->index[i] != id + 1)
		i = (i + 1) & mask;
	return i;
}

/* Keeps the load under 3/4 with n entries. */
static int index_reserve(struct mf_coord_cache *c, size_t n)
{
	size_t nb = mf_probe_index_slots(n, c->n_index, 16);
	if (nb == c->n_index)
		return 0;
	uint32_t *idx = calloc(nb, sizeof(*idx));
	if (idx == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < c->n_index; i++) {
		uint32_t v = c->index[i];
		if (v == 0)
			continue;
		idx[mf_probe_index_free_slot(idx, nb, nid_hash(entry_nid(c, v - 1)))] = v;
	}
	free(c->index);
	c->index = idx;
	c->n_index = nb;
	return 0;
}

/* Empties slot i, shifting later entries of its run back (no tombstones). */
static void index_del(struct mf_coord_cache *c, size_t i)
{
	size_t mask = c->n_index - 1;
	c->index[i] = 0;
	for (size_t j = (i + 1) & mask; c->index[j] != 0; j = (j + 1) & mask) {
		size_t home = nid_hash(entry_nid(c, c->index[j] - 1)) & mask;
		if (mf_probe_index_stays(i, j, home))
			continue;
		c->index[i] = c->index[j];
		c->index[j] = 0;
		i = j;
	}
}

/* The slot of name, or SIZE_MAX when it is not held. */
static size_t lookup(const struct mf_coord_cache *c, const char *name)
{
	if (c->n == 0)
		return SIZE_MAX;
	size_t len = strlen(name);
	uint32_t nid = mf_name_ids_find(&c->names->ids, name, len, mf_name_hash(name, len));
	if (nid == MF_NAME_ID_NONE)
		return SIZE_MAX;
	size_t i = index_slot(c, nid);
	return c->index[i] != 0 ? i : SIZE_MAX;
}

/* --- entries ---------------------------------------------------------------*/

static void write_coord(struct mf_coord_cache *c, size_t id, const struct mf_coord *coord)
{
	double *v = entry_values(c, id);
	memcpy(v, coord->vec, c->dim * sizeof(double));
	v[c->dim] = coord->error;
	v[c->dim + 1] = coord->adjustment;
	v[c->dim + 2] = coord->height;
}

static void read_coord(const struct mf_coord_cache *c, size_t id, struct mf_coord *out)
{
	const double *v = entry_values(c, id);
	memset(out, 0, sizeof(*out));
	memcpy(out->vec, v, c->dim * sizeof(double));
	out->dim = c->dim;
	out->error = v[c->dim];
	out->adjustment = v[c->dim + 1];
	out->height = v[c->dim + 2];
}

int mf_coord_cache_put(struct mf_coord_cache *c, const char *name, const struct mf_coord *coord)
{
	if (coord->dim != c->dim)
		return MF_EINVAL;
	size_t slot = lookup(c, name);
	if (slot != SIZE_MAX) {
		write_coord(c, c->index[slot] - 1, coord);
		return 0;
	}
	if (c->n >= c->max)
		return MF_ETOOBIG;
	int rc = index_reserve(c, c->n + 1);
	if (rc != 0)
		return rc;
	if (c->n == c->n_slabs * MF_COORD_CACHE_SLAB) {
		if ((rc = mf_grow(&c->slabs, &c->cap_slabs, c->n_slabs + 1, 4)) != 0)
			return rc;
		if ((c->slabs[c->n_slabs] = malloc(MF_COORD_CACHE_SLAB * c->stride)) == NULL)
			return MF_ENOMEM;
		c->n_slabs++;
	}
	uint32_t nid;
	size_t len = strlen(name);
	if ((rc = mf_name_ids_get(&c->names->ids, name, len, mf_name_hash(name, len), &nid)) != 0)
		return rc;
	size_t id = c->n++;
	memset(entry(c, id), 0, sizeof(uint64_t));
	memcpy(entry(c, id), &nid, sizeof(nid));
	write_coord(c, id, coord);
	c->index[index_slot(c, nid)] = (uint32_t)(id + 1);
	return 0;
}

int mf_coord_cache_get(const struct mf_coord_cache *c, const char *name, struct mf_coord *out)
{
	size_t slot = lookup(c, name);
	if (slot == SIZE_MAX)
		return MF_ENOTFOUND;
	read_coord(c, c->index[slot] - 1, out);
	return 0;
}

int mf_coord_cache_forget(struct mf_coord_cache *c, const char *name)
{
	size_t slot = lookup(c, name);
	if (slot == SIZE_MAX)
		return 0;
	size_t id = c->index[slot] - 1, last = c->n - 1;
	uint32_t nid = entry_nid(c, id);
	index_del(c, slot);
	if (id != last) { /* the last entry moves into the hole */
		c->index[index_slot_of(c, last)] = (uint32_t)(id + 1);
		memcpy(entry(c, id), entry(c, last), c->stride);
	}
	c->n--;
	mf_name_ids_put(&c->names->ids, nid);
	if (c->n <= (c->n_slabs - 1) * MF_COORD_CACHE_SLAB) /* the last slab emptied */
		free(c->slabs[--c->n_slabs]);
	return 1;
}

const char *mf_coord_cache_at(const struct mf_coord_cache *c, size_t i, struct mf_coord *out)
{
	if (out != NULL)
		read_coord(c, i, out);
	return entry_name(c, i);
}

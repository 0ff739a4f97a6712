/*
 * coord/tracker_cache.h — the coordinate tracker's cache: the latest
 * coordinate of each member, by name (coord/tracker.h holds one).
 *
 * Contract: owns the entries and its name index; each entry holds its
 * name's id (gossip/name_ids.h: refcounted) in the name ids of its own
 * interner or of one shared with other tables (mf_coord_cache_share_names:
 * the agent's pools and a simulator's N trackers then hold each name once,
 * and a member's name costs the cache no copy: issue 12, an interned copy
 * and its slot were ~90 bytes a member). Names are 1..255 bytes
 * (MF_EINVAL else). Every coordinate it holds has the dimensionality given
 * at init (the tracker stores only what its client accepted, and the client
 * refuses any other), and comes back bit for bit as stored, components
 * past that dimensionality zero. No clock, no I/O.
 *
 * Memory: a simulator holds N trackers of up to N entries, so an entry is
 * its name's id (in 8 bytes) and dim + 3 doubles (96 bytes at the default
 * 8 dimensions, where a struct mf_coord is 160), in slabs of
 * MF_COORD_CACHE_SLAB (no allocator header, no doubling slack); the index
 * is open addressing over 32-bit entry ids at a load under 3/4, with
 * linear probing (find, put and forget are O(1) expected). Entries are
 * dense (0..n): forgetting one moves the last into its place, so the
 * order of mf_coord_cache_name_at is arbitrary.
 */
#ifndef MF_COORD_TRACKER_CACHE_H
#define MF_COORD_TRACKER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "coord/coordinate.h"
#include "gossip/intern.h"

#define MF_COORD_CACHE_SLAB 64 /* entries per slab */

struct mf_coord_cache {
	struct mf_intern own_names;
	struct mf_intern *names;   /* own_names, or shared */
	unsigned dim;              /* of every coordinate held */
	size_t stride;             /* bytes per entry */
	size_t max;                /* entries at most */
	size_t n;                  /* entries, ids 0..n-1 */
	unsigned char **slabs;     /* entry id i: slabs[i / SLAB] + (i % SLAB) * stride */
	size_t n_slabs, cap_slabs;
	uint32_t *index;           /* entry id + 1 by name hash; 0 = empty */
	size_t n_index;            /* power of two, or 0 */
};

/* An empty cache of coordinates of dim dimensions (1..MF_COORD_DIM_MAX),
 * holding at most max entries. */
void mf_coord_cache_init(struct mf_coord_cache *c, unsigned dim, size_t max);
void mf_coord_cache_free(struct mf_coord_cache *c);
/* Interns names in strs (which must outlive c) instead of its own table;
 * only while empty, else MF_ESTATE. */
int mf_coord_cache_share_names(struct mf_coord_cache *c, struct mf_intern *strs);

/* Stores coord as name's latest: MF_EINVAL for another dimensionality,
 * MF_ETOOBIG for a new name past max, MF_ENOMEM; unchanged on error. */
int mf_coord_cache_put(struct mf_coord_cache *c, const char *name, const struct mf_coord *coord);
/* name's coordinate, or MF_ENOTFOUND. */
int mf_coord_cache_get(const struct mf_coord_cache *c, const char *name, struct mf_coord *out);
/* Drops name; 1 if it was held, else 0. */
int mf_coord_cache_forget(struct mf_coord_cache *c, const char *name);

/* Entry i (i < c->n), in no particular order: its name (interned) and,
 * if out is not NULL, its coordinate. */
const char *mf_coord_cache_at(const struct mf_coord_cache *c, size_t i, struct mf_coord *out);

#endif

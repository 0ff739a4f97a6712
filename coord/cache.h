/*
 * coord/cache.h — the latest coordinate of every member (serf's
 * coordCache, behind `serf rtt` and GetCachedCoordinate).
 *
 * Contract: a bounded map from node name to the coordinate it last sent,
 * plus our own. Only valid coordinates are stored (callers pass what
 * mf_coord_ping_complete accepted). Pure: no clock, no I/O. Lookups are
 * linear in the number of entries: fine for the member counts gossip
 * handles (thousands), and only done per ack or per user query.
 */
#ifndef MF_COORD_CACHE_H
#define MF_COORD_CACHE_H

#include <stddef.h>

#include "coord/coordinate.h"

struct mf_coord_cache_entry {
	char *name; /* owned */
	struct mf_coord coord;
};

struct mf_coord_cache {
	struct mf_coord_cache_entry *e;
	size_t n, cap, max;
};

/* An empty cache holding at most max entries (max > 0). */
int mf_coord_cache_init(struct mf_coord_cache *c, size_t max);
void mf_coord_cache_free(struct mf_coord_cache *c);

/* Stores node's coordinate (replacing any). MF_EINVAL for an invalid one,
 * MF_ETOOBIG when full, MF_ENOMEM. */
int mf_coord_cache_put(struct mf_coord_cache *c, const char *node, const struct mf_coord *co);

/* node's coordinate into *out, or MF_ENOTFOUND. */
int mf_coord_cache_get(const struct mf_coord_cache *c, const char *node, struct mf_coord *out);

/* Forgets node (it left or was reaped). */
void mf_coord_cache_remove(struct mf_coord_cache *c, const char *node);

#endif

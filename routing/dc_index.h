/*
 * routing/dc_index.h — one pool's members grouped by their serf "dc" tag,
 * for the routing node's links and origin checks.
 *
 * Rebuilt only when the pool's members or their tags changed (a member
 * was added or reaped, or its meta moved: mf_pool_members_ident_version),
 * so an idle tick reads O(DCs) instead of copying every member and decoding
 * its tags every 250 ms. A rebuild is O(N log N), once per tick at most in
 * which membership changed. When only statuses moved (a suspicion, a
 * refutation, a failure, a rejoin: mf_pool_members_version), the index
 * re-reads each member's status in place: O(N) array reads, no decoding,
 * sorting or allocation. Every agent does this for every event the pool
 * hears, so during a join or suspicion storm of N members a full rebuild
 * per event was O(N^2) work for the pool as a whole (issue 12: 0.4-0.5 ms
 * a rebuild at 500-1,000 members, up to 4 a second in every agent).
 *
 * Contract: a cache over a pool it reads (never writes); owns copies of
 * the names and DC strings; no clock, no I/O.
 */
#ifndef MF_ROUTING_DC_INDEX_H
#define MF_ROUTING_DC_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/tracker.h"
#include "gossip/pool.h"

/* One DC's members, mem[start .. start + n). "Others" are members other
 * than the indexing server itself (by name). */
struct mf_dc_group {
	const char *dc;
	size_t start, n;
	size_t n_alive;        /* alive or suspect, ourselves included */
	size_t n_others;
	size_t n_others_alive;
	size_t first_other;    /* name-order position of its first other member */
};

struct mf_dc_index {
	const mf_pool_t *pool; /* the pool it was built from; NULL: not built */
	uint64_t version;
	struct mf_coord_tracker_member *mem; /* grouped by DC, name order within */
	size_t n_mem;
	struct mf_dc_group *groups;          /* sorted by dc */
	size_t n_groups;
	size_t *order;         /* group indexes by first_other (pool order) */
	bool *meshfed;         /* per mem[]: tagged role=meshfed (a serf agent
				* logs our direct messages as unknown) */
	char *strings;         /* the names and DCs mem and groups point into */
	uint64_t ident_version; /* mf_pool_members_ident_version when built */
	size_t *pos;           /* mem[i]'s name-order position in the pool */
	size_t self_at;        /* mem index of the indexing server, or SIZE_MAX */
	char self[MF_NAME_MAX + 1]; /* its name when built */
	uint64_t rebuilds;     /* for tests: how often it read the whole pool */
	uint64_t refreshes;    /* for tests: statuses re-read in place */
};

void mf_dc_index_init(struct mf_dc_index *x);
void mf_dc_index_free(struct mf_dc_index *x);
/* Brings x up to date with pool (NULL: empties it); self is the indexing
 * server's name. MF_ENOMEM leaves x empty. */
int mf_dc_index_sync(struct mf_dc_index *x, const mf_pool_t *pool, const char *self);
/* The group of dc, or NULL. */
const struct mf_dc_group *mf_dc_index_find(const struct mf_dc_index *x, const char *dc);
/* The DC tag of member m into dc (cap bytes); false when it has none. */
bool mf_dc_index_member_dc(const struct mf_member *m, char *dc, size_t cap);
/* Whether m runs meshfed (serf tag role=meshfed): direct messages of ours
 * go only to those, since a serf agent logs each as of unknown type. */
bool mf_dc_index_member_meshfed(const struct mf_member *m);

#endif

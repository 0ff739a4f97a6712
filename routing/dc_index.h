/*
 * routing/dc_index.h — one pool's members grouped by their serf "dc" tag,
 * for the routing node's links and origin checks.
 *
 * Kept up to date per change: the pool's change journal
 * (mf_pool_member_changes) names the members that joined, left, changed
 * their tags or their status since the last sync, and each is looked at
 * again (a binary search per DC, a decode of its tags, a memmove to insert
 * or remove it: O(G log N + N) with G DCs, no allocation but its name), so
 * an idle tick reads nothing and a join batch costs per member joined,
 * not per member held (issue 12: at 720-840 agents the full rebuild per
 * join batch was `strcmp` 5 % and `fill_member` 4 % of every agent). Only
 * when the journal no longer holds the changes (more than
 * MF_MEMBERS_JOURNAL since the last sync) is the pool read again: the
 * statuses in place when no member was added, removed or re-tagged
 * (mf_pool_members_ident_version), else a rebuild (O(N log N)).
 *
 * Contract: a cache over a pool it reads (never writes; the first sync
 * turns the pool's journal on); holds the members' names by id
 * (gossip/name_ids.h: in ids shared with the pools a name costs no copy,
 * issue 12) and owns copies of the DC strings (mem[].name, groups[].dc:
 * valid until the next sync); no clock, no I/O.
 */
#ifndef MF_ROUTING_DC_INDEX_H
#define MF_ROUTING_DC_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coord/tracker.h"
#include "gossip/name_ids.h"
#include "gossip/pool.h"

/* One DC's members, mem[start .. start + n). "Others" are members other
 * than the indexing server itself (by name). */
struct mf_dc_group {
	const char *dc;
	size_t start, n;
	size_t n_alive;        /* alive or suspect, ourselves included */
	size_t n_others;
	size_t n_others_alive;
	size_t first_other;    /* mem index of its first other member, or SIZE_MAX */
};

struct mf_dc_index {
	const mf_pool_t *pool; /* the pool it was built from; NULL: not built */
	uint64_t version;
	struct mf_coord_tracker_member *mem; /* grouped by DC, name order within */
	size_t n_mem, cap_mem;
	struct mf_dc_group *groups;          /* sorted by dc */
	size_t n_groups, cap_groups;
	size_t *order;         /* group indexes by their first other member's name (pool order) */
	size_t cap_order;
	bool *meshfed;         /* per mem[]: tagged role=meshfed (a serf agent
				* logs our direct messages as unknown) */
	size_t cap_meshfed;
	uint64_t ident_version; /* mf_pool_members_ident_version when synced */
	uint64_t changes;      /* mf_pool_member_changes when synced */
	size_t self_at;        /* mem index of the indexing server, or SIZE_MAX */
	char self[MF_NAME_MAX + 1]; /* its name when built */
	uint64_t layout;       /* moves when members or groups moved (not statuses) */
	uint64_t rebuilds;     /* for tests: how often it read the whole pool */
	uint64_t refreshes;    /* for tests: statuses re-read in place */
	uint64_t updates;      /* for tests: syncs done from the journal */
	struct mf_name_ids own_ids; /* mem[].name's ids, unless shared: */
	struct mf_name_ids *ids;    /* NULL: own_ids */
};

void mf_dc_index_init(struct mf_dc_index *x);
void mf_dc_index_free(struct mf_dc_index *x);
/* Holds the members' names in ids (which must outlive x) instead of its
 * own; while x is empty only (false after). */
bool mf_dc_index_share_names(struct mf_dc_index *x, struct mf_name_ids *ids);
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

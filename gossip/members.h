/*
 * gossip/members.h — the member table of one pool: compact records, the
 * name index and the probe order.
 *
 * Contract: owns the records (stable pointers until removed); no clock, no
 * I/O, no protocol decisions — gossip/pool.c decides state transitions, this
 * file only stores them. A member's name, address, meta and versions are
 * one interned identity (gossip/intern.h, struct mf_member_ident): one
 * copy per process however many pools hold it, in a table the members
 * borrow from its owner (the pool's config, or the pool's own).
 *
 * Costs (n records): find, add and remove are O(1) expected: a name's
 * dense id (gossip/name_ids.h, one table shared by every pool of the
 * interner) indexes an array of record ids, so a lookup is the shared
 * table's probe (in cache: every pool uses it) plus one slot and one
 * record of this table's, 4 bytes a name; the probe list is the one dense array of
 * record ids (32 bits, not pointers: a simulator holds N of them per pool), in the order the pool probes them, which the pool shuffles
 * every full pass (memberlist resetNodes); name order, for listings
 * (`meshfed members`) and readers by position, is sorted at the first read
 * and then kept sorted: an add or remove is a binary search and a memmove
 * of pointers, a sweep one pass (issue 12: the sort per join was 5-9 % of
 * an agent's time during 1,000 agents' joins). The change journal names
 * the members that changed, so a reader that keeps derived state
 * (routing/dc_index.c) updates it per change instead of re-reading every
 * member. Records live in slabs of MF_MEMBERS_SLAB, so a record costs its
 * size and no allocator header: a simulator holds N pools of N members.
 */
#ifndef MF_GOSSIP_MEMBERS_H
#define MF_GOSSIP_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/intern.h"
#include "gossip/msg.h"
#include "gossip/pool.h"
#include "gossip/rng.h"
#include "gossip/suspicion.h"

#define MF_MEMBERS_SLAB 256 /* records per slab */

/* What every pool that knows a member holds the same (its name, address,
 * meta and versions): one interned blob (gossip/intern.h) shared by all the
 * pools of a process, 44 of a record's old 64 bytes. The record points at
 * it; a change (a new address or meta) points the record at another blob.
 * The blob is this header, the name, a NUL and the meta. */
struct mf_member_ident {
	struct mf_addr addr;
	uint8_t vsn[MF_VSN_LEN];
	uint16_t meta_len;          /* <= MF_META_MAX */
	uint8_t name_len;           /* <= MF_NAME_MAX */
	char name[];                /* name_len bytes, a NUL, then the meta */
};

/* What an identity is set from (the name aside, which a record keeps). */
struct mf_ident_in {
	struct mf_addr addr;
	uint8_t vsn[MF_VSN_LEN];
	const uint8_t *meta;        /* NULL when meta_len is 0 */
	size_t meta_len;            /* <= MF_META_MAX */
};

/* 32 bytes on LP64, per pool per member: only what differs between pools.
 * The suspicion, which most members never have, lives out of line
 * (mf_members_susp). */
struct mf_member_record {
	const struct mf_member_ident *ident; /* interned; the free-list link when unused */
	mf_time_t state_change;
	uint32_t incarnation;
	uint32_t pos;               /* index in the probe array */
	uint32_t name_id;           /* the name's id (gossip/name_ids.h), held */
	uint8_t state;              /* enum mf_node_state: memberlist's view */
	/* memberlist drops dead nodes from its table once gossip_to_the_dead has
	 * passed (resetNodes); serf keeps them as failed for reconnect and reap.
	 * A forgotten record is serf's: listed, but treated as unknown by the
	 * protocol (any alive for it is accepted as a fresh join). */
	bool forgotten : 1;
	bool suspecting : 1;        /* its suspicion is live (in the pool's heap) */
	bool doomed : 1;            /* to be freed by the next mf_members_sweep */
	/* Our own probes of it in a row that got no direct answer (UDP ack
	 * from its address, or the TCP fallback): alive through indirect
	 * acks only. 0 after a direct one. */
	uint8_t direct_misses;
};

/* m's name (NUL-terminated), its length, and its meta (NULL when none). */
static inline const char *mf_member_name(const struct mf_member_record *m)
{
	return m->ident->name;
}

static inline size_t mf_member_name_len(const struct mf_member_record *m)
{
	return m->ident->name_len;
}

/* An identity's meta: stored right after its name's NUL (NULL when none). */
static inline const uint8_t *mf_ident_meta(const struct mf_member_ident *d)
{
	return d->meta_len ? (const uint8_t *)d->name + d->name_len + 1 : NULL;
}

static inline const uint8_t *mf_member_meta(const struct mf_member_record *m)
{
	return mf_ident_meta(m->ident);
}

struct mf_members_order; /* the name order and the journal (members.c) */

/* Changes the journal holds: a reader further behind re-reads the table. */
#define MF_MEMBERS_JOURNAL 256

struct mf_members {
	struct mf_intern *strs;   /* borrowed */
	uint32_t *probe;          /* every record's id, in probe order */
	size_t n, n_probe;        /* records; n_probe == n */
	size_t cap;
	struct mf_member_record **slabs;   /* record id i is slabs[i / SLAB][i % SLAB] */
	/* Suspicions by record id, slab by slab: a slab's array is allocated
	 * at the first suspicion of one of its records (NULL until then). */
	struct mf_suspicion ***susp_slabs;
	size_t n_slabs, cap_slabs, cap_susp_slabs;
	struct mf_member_record *free_recs; /* unused records, linked through `ident` */
	uint32_t *by_id;          /* by name id: record id + 1; 0 = none */
	/* Records ever removed (mf_members_remove, mf_members_sweep). While 0,
	 * no name was ever held and let go, so a name new to the table has
	 * nothing about it left behind (a membership broadcast queued when it
	 * was last a member): pool_state.c skips the queue's name lookup. */
	uint64_t n_removed;
	size_t n_by_id;           /* entries of by_id (all zero past the ids in use) */
	struct mf_members_order *order;
};

/* The record with id `id` (a live one: from the probe list or the index). */
static inline struct mf_member_record *mf_members_rec(const struct mf_members *t, uint32_t id)
{
	return &t->slabs[id / MF_MEMBERS_SLAB][id % MF_MEMBERS_SLAB];
}

/* The i-th record in probe order (i < n_probe). */
static inline struct mf_member_record *mf_members_probe_at(const struct mf_members *t, size_t i)
{
	return mf_members_rec(t, t->probe[i]);
}

void mf_members_init(struct mf_members *t, struct mf_intern *strs);
void mf_members_free(struct mf_members *t);
struct mf_member_record *mf_members_find(const struct mf_members *t, const char *name, size_t len);
/* Hints for a batch of lookups (a packet's messages): the by-id slot of
 * the name whose hash is h, then (once that slot has arrived) the record
 * it points at, are fetched ahead, so the cache misses of N pools' tables
 * overlap instead of following one another. No effect on the table. */
void mf_members_prefetch_slot(const struct mf_members *t, uint64_t h);
void mf_members_prefetch_rec(const struct mf_members *t, uint64_t h);
/* Adds a zeroed record named `name`, its identity from `in` (NULL: no
 * address, versions or meta); it goes into the probe list at
 * `probe_pos` (clamped), swapping the one there to the end, as memberlist
 * inserts at a random offset so the failure detection bound stays low. */
int mf_members_add(struct mf_members *t, const char *name, size_t len, const struct mf_ident_in *in,
		   size_t probe_pos, struct mf_member_record **out);
/* Points m at the shared identity of its name and `in` (nothing to do when
 * it is the same); MF_EINVAL (meta too long) and MF_ENOMEM leave it
 * unchanged. */
int mf_members_set_ident(struct mf_members *t, struct mf_member_record *m, const struct mf_ident_in *in);
/* The same with only the meta replaced. */
int mf_members_set_meta(struct mf_members *t, struct mf_member_record *m, const uint8_t *meta, size_t len);
/* m's suspicion, allocated (zeroed, rec = m) the first time and kept for
 * the next: a member suspected once is likely to be again. */
int mf_members_susp_alloc(struct mf_members *t, struct mf_member_record *m, struct mf_suspicion **out);
/* m's suspicion, or NULL when it never had one. */
struct mf_suspicion *mf_members_susp(const struct mf_members *t, const struct mf_member_record *m);
/* Removes and frees a record: O(1) expected (the last probe slot takes
 * its place). */
void mf_members_remove(struct mf_members *t, struct mf_member_record *m);
/* Removes and frees every record marked `doomed` in one O(n) pass, keeping
 * the others' probe order; returns probe_index less the number of removed
 * probe slots before it (the same slot stays next). */
size_t mf_members_sweep(struct mf_members *t, size_t probe_index);
/* Shuffles the probe order (Fisher-Yates with rng). */
void mf_members_shuffle(struct mf_members *t, struct mf_rng *rng);
/* The i-th record in name order, or NULL (i >= n, or no memory for the
 * order). The first call sorts (O(n log n)); adds and removes after it
 * keep the order (O(log n) search and a memmove; a failed allocation
 * drops it, and the next call sorts again). */
const struct mf_member_record *mf_members_at(const struct mf_members *t, size_t i);
/* How often the name order was sorted from scratch (for tests). */
uint64_t mf_members_order_builds(const struct mf_members *t);
/* The change journal: one entry per member added, removed, given another
 * identity (address, versions or meta), or named by mf_members_note (the
 * pool notes each member event). Off, and costing nothing, until the first
 * mf_members_journal_seq, which returns the number of changes recorded so
 * far; change k's name (k below that) is mf_members_journal_name(t, k),
 * NULL once more than MF_MEMBERS_JOURNAL newer changes came (or its copy
 * failed): the reader then re-reads the whole table. Entries may repeat a
 * name; each says only "look at this member again". A table that never
 * held a record has no journal yet: its position reads UINT64_MAX, above
 * any later one, which a reader takes as changes lost. */
uint64_t mf_members_journal_seq(const struct mf_members *t);
const char *mf_members_journal_name(const struct mf_members *t, uint64_t seq);
void mf_members_note(const struct mf_members *t, const char *name);
/* Name order: bytes, then length. */
int mf_members_cmp_name(const char *a, size_t alen, const char *b, size_t blen);

#endif

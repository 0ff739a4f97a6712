/*
 * gossip/name_ids.h — a dense 32-bit id for each distinct name (member
 * names, serf intents' nodes) held by the tables of a process.
 *
 * Why: a simulator's N pools each look up a member by name once per
 * message heard (~10^9 lookups at 10,000 members). With one id per name
 * shared by every pool (this table lives in the interner the pools share,
 * gossip/intern.h), a pool's index is a plain array by id: the lookup is
 * this table's probe, which every pool shares and so stays in cache, then
 * one slot and one record of the pool's own; no name comparison against
 * the pool's records, and 4 bytes a (pool, name) instead of an 8-byte
 * hash slot at a load under 3/4.
 *
 * Contract: ids are refcounted: a name keeps its id while some table holds
 * it (mf_name_ids_get / mf_name_ids_put); a released id is reused before a new
 * one is made, so ids stay below the peak count of names held at once and
 * per-table arrays by id stay dense. Owns copies of the
 * names: a name under 16 bytes (most are) inside its 32-byte entry, in
 * pages that never move, so it costs no block of its own (issue 12: 32
 * bytes of malloc a member). Single-threaded, as the interner. No clock, no I/O.
 *
 * Costs: get, find and put are O(1) expected (open addressing, linear
 * probing at a load under 3/4, a slot holding the id and the hash's low
 * 32 bits, so a probe past another name reads no name).
 */
#ifndef MF_GOSSIP_NAME_IDS_H
#define MF_GOSSIP_NAME_IDS_H

#include <stddef.h>
#include <stdint.h>

#define MF_NAME_ID_NONE UINT32_MAX
#define MF_NAME_IDS_PAGE 256

struct mf_name_id_ent; /* name_ids.c */

struct mf_name_ids {
	uint64_t *slots;                 /* (hash low 32 << 32) | (id + 1); 0 = empty */
	size_t n_slots;                  /* power of two, or 0 */
	struct mf_name_id_ent **pages;   /* by id: pages of MF_NAME_IDS_PAGE, never moved */
	size_t n_pages, cap_pages;
	size_t n_ents;                   /* ids handed out so far (live or free) */
	uint32_t *free_ids;              /* released ids, a stack */
	size_t n_free, cap_free;
	size_t n;                        /* names held */
};

void mf_name_ids_init(struct mf_name_ids *t);
/* Frees the table (names still held included). */
void mf_name_ids_free(struct mf_name_ids *t);
/* The id of name (len bytes, 1..255; h = mf_name_hash of it), its count
 * raised by one; a new name gets a free id. MF_EINVAL, MF_ENOMEM. */
int mf_name_ids_get(struct mf_name_ids *t, const char *name, size_t len, uint64_t h, uint32_t *id);
/* The id of name, or MF_NAME_ID_NONE when no table holds it. */
uint32_t mf_name_ids_find(const struct mf_name_ids *t, const char *name, size_t len, uint64_t h);
/* The id whose slot first matches h's low 32 bits, or MF_NAME_ID_NONE:
 * for prefetch hints only (another name may share the bits). */
uint32_t mf_name_ids_guess(const struct mf_name_ids *t, uint64_t h);
/* The name of a held id (NUL-terminated; its bytes stay put while the id
 * is held), or NULL when the id is free. */
const char *mf_name_ids_name(const struct mf_name_ids *t, uint32_t id);
/* Lowers id's count; the last release frees the name and the id. */
void mf_name_ids_put(struct mf_name_ids *t, uint32_t id);
/* For tables that keep a string by id instead of a copy (routing's
 * records per server, issue 12): s (0..255 bytes) held, its id in *id;
 * "" holds nothing and is MF_NAME_ID_NONE. MF_EINVAL (too long), MF_ENOMEM. */
int mf_name_ids_hold(struct mf_name_ids *t, const char *s, uint32_t *id);
/* The string of an id from mf_name_ids_hold ("" for MF_NAME_ID_NONE). */
const char *mf_name_ids_str(const struct mf_name_ids *t, uint32_t id);
/* Releases an id from mf_name_ids_hold (MF_NAME_ID_NONE: nothing). */
void mf_name_ids_drop(struct mf_name_ids *t, uint32_t id);
/* Bytes the table holds (slots, pages, ids; names of 16 bytes or more
 * not counted): for reports and tests. */
size_t mf_name_ids_bytes(const struct mf_name_ids *t);
/* Every id handed out is below this (the size a table by id needs). */
static inline size_t mf_name_ids_bound(const struct mf_name_ids *t)
{
	return t->n_ents;
}

#endif

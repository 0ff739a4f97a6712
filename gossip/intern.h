/*
 * gossip/intern.h — one refcounted copy of each distinct byte string
 * (member identities, serf names, queued broadcasts), shared by every pool
 * that holds it.
 *
 * A simulator with N pools of N members would otherwise hold N copies of
 * each member's name, address and meta; an agent with a LAN and a WAN pool
 * holds two. With an interner shared by the pools of a process
 * (mf_pool_config.intern) each distinct string is stored once and each
 * record holds a pointer.
 *
 * Contract: owns the strings; a string lives while its count is above
 * zero and its bytes never move. Single-threaded, as the pools that share
 * it (one event loop, or one simulator). No clock, no I/O. The bytes are
 * followed by a NUL, so an interned name is also a C string.
 */
#ifndef MF_GOSSIP_INTERN_H
#define MF_GOSSIP_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "gossip/name_ids.h"

struct mf_istr; /* header in front of the bytes (intern.c) */

/* One slot of the open-addressed table: the hash beside the pointer, so
 * a probe compares hashes in the slot array and touches only the string
 * it finds (a chained table touched every string of the chain: at 10,000
 * members, with the same alive queued by every pool, that was the
 * simulator's first cache miss per message heard). */
struct mf_islot {
	uint64_t hash;
	struct mf_istr *e;        /* NULL: empty */
};

/* The broadcast blobs a memo keeps about its name, by kind. */
enum mf_intern_memo_kind {
	MF_MEMO_ALIVE,            /* the last alive about it a pool queued */
	MF_MEMO_INTENT,           /* the last serf intent about it a pool queued */
	MF_MEMO_KINDS
};

/* What the last table to build a member identity for one name left for
 * the next (mf_intern_memo): the simulator's N pools each build the same
 * identity for a name, so the second and later take a reference instead of
 * building and hashing it again. The memo holds no reference: a string it
 * names clears its entry when freed, so a memo never keeps a string alive
 * and never dangles. */
struct mf_intern_memo {
	const char *ident;        /* a member identity (gossip/members.h) of the name */
	const char *last[MF_MEMO_KINDS]; /* broadcast blobs (gossip/broadcast.h), by kind */
};

#define MF_INTERN_MIN_SLOTS 64

struct mf_intern {
	struct mf_islot *slots;   /* linear probing; power of two, or NULL */
	size_t n_slots;           /* at most half full; shrunk under 1/6 (intern.c) */
	size_t n;                 /* distinct strings held */
	size_t bytes;             /* their bytes, for reports */
	/* Dense ids of the names the sharing tables index (member tables,
	 * serf glues): shared with the strings so that every table that
	 * shares one uses the same ids (gossip/name_ids.h). */
	struct mf_name_ids ids;
	struct mf_intern_memo *memo;  /* by name id, or NULL */
	size_t n_memo;
};

void mf_intern_init(struct mf_intern *t);
/* Frees the table; every string must have been released. */
void mf_intern_free(struct mf_intern *t);
/* The shared copy of p[0..len), its count raised by one; *out points at
 * the bytes (NUL-terminated). MF_ENOMEM leaves the table unchanged. */
int mf_intern_get(struct mf_intern *t, const void *p, size_t len, const char **out);
/* The same for the bytes of p[0..plen) followed by q[0..qlen) (q may be
 * NULL when qlen is 0), without a copy to join them first. */
int mf_intern_get2(struct mf_intern *t, const void *p, size_t plen, const void *q,
		   size_t qlen, const char **out);
/* Lowers the count of s (a pointer from mf_intern_get, or NULL); the last
 * release frees it. */
void mf_intern_put(struct mf_intern *t, const char *s);
/* One more reference to s (a pointer from mf_intern_get): MF_ENOMEM when
 * its count is at the top, as mf_intern_get. */
int mf_intern_ref(const char *s);
/* The memo of name id `id` (zeroed the first time), or NULL when out of
 * memory. The pointer is valid until the next mf_intern_memo call. */
struct mf_intern_memo *mf_intern_memo(struct mf_intern *t, uint32_t id);
/* Sets m->ident / m->last[kind] (an interned string, or NULL). A string is
 * named by one memo entry at most: one named elsewhere already is not set. */
void mf_intern_memo_ident(struct mf_intern *t, struct mf_intern_memo *m, const char *ident);
void mf_intern_memo_last(struct mf_intern *t, struct mf_intern_memo *m, enum mf_intern_memo_kind kind,
			 const char *blob);
/* Length and hash (gossip/name_hash.h) of an interned string, O(1). */
size_t mf_intern_len(const char *s);
uint64_t mf_intern_hash(const char *s);

#endif

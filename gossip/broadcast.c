/*
 * gossip/broadcast.c — the transmit-limited broadcast queue.
 *
 * memberlist keeps a btree ordered by (transmits, len desc, id desc) and a
 * map from name to item. Here the btree is split by transmit count (one
 * B+tree per level, gossip/broadcast_tree.h: the order's first key), so a
 * pick seeks in its level's tree only the first message that still fits:
 * O(log n) per message handed out, reading 2-4 tree nodes and no other
 * queued message; push and invalidation are O(log n) too. The map is a
 * chained hash table whose nodes carry their name's hash, so a lookup
 * reads a message's bytes only when the hash matches.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/err.h"
#include "gossip/grow.h"

/* 20 bytes, in slabs (no allocator header): a simulator's N pools each
 * queue up to N of them. Links are node ids (slot + 1; 0 = none). The name
 * and the message are one interned blob: the same message queued by N
 * pools is still one copy, and the node holds one pointer, unaligned (so
 * the node needs 4-byte alignment only). The send order's keys (len, id)
 * are also in the level's tree, beside the node's id. The name's hash
 * lets a lookup in the name index pass other names without reading their
 * bytes (a cache miss each). */
struct mf_bcast_node {
	unsigned char blob[sizeof(void *)]; /* const uint8_t *: interned name tag
					      * (2 bytes), name, message (len) */
	uint32_t next_name;        /* hash chain of the name index; free list */
	/* Submission order, compared by serial-number arithmetic: the ids
	 * queued at once span far less than 2^31 (and restart when empty). */
	uint32_t id;
	uint16_t hash;             /* the name's hash, low 16 bits (named only) */
	uint8_t transmits;         /* < the retransmit limit, at most 255 */
	uint8_t notify : 1;        /* count in `finished_notify` when done */
	uint8_t cap : 7;           /* own transmit limit below the pool's; 0: none */
};

_Static_assert(sizeof(void *) != 8 || sizeof(struct mf_bcast_node) == 20,
	       "a queued message costs 20 bytes on LP64 (and its tree key)");

static const uint8_t *blob_of(const struct mf_bcast_node *b)
{
	const uint8_t *p;
	memcpy(&p, b->blob, sizeof(p));
	return p;
}

static void set_blob(struct mf_bcast_node *b, const uint8_t *p)
{
	memcpy(b->blob, &p, sizeof(p));
}

/* A blob starts with its name's length + 1, little-endian (0: unnamed). */
#define BLOB_TAG 2

static size_t blob_name_len(const struct mf_bcast_node *b)
{
	const uint8_t *p = blob_of(b);
	size_t tag = (size_t)p[0] | (size_t)p[1] << 8;
	return tag ? tag - 1 : 0;
}

static bool has_name(const struct mf_bcast_node *b)
{
	const uint8_t *p = blob_of(b);
	return p[0] != 0 || p[1] != 0;
}

static const char *blob_name(const struct mf_bcast_node *b)
{
	return (const char *)blob_of(b) + BLOB_TAG;
}

static const uint8_t *blob_msg(const struct mf_bcast_node *b)
{
	return blob_of(b) + BLOB_TAG + blob_name_len(b);
}

/* The message's length (its level's tree has it too), from the interned
 * blob's: the node does not keep it. */
static size_t msg_len(const struct mf_bcast_node *b)
{
	return mf_intern_len((const char *)blob_of(b)) - BLOB_TAG - blob_name_len(b);
}

/* A named node's bucket among nb: from the hash kept in the node while
 * it has the bits, else from the name. */
static size_t bucket_of(const struct mf_bcast_node *b, size_t nb)
{
	if (nb <= (size_t)UINT16_MAX + 1)
		return b->hash & (nb - 1);
	return mf_name_hash(blob_name(b), blob_name_len(b)) & (nb - 1);
}

/* Node `i` (nonzero). */
static struct mf_bcast_node *nd(const struct mf_bcast_queue *q, uint32_t i)
{
	return &q->slabs[(i - 1) / MF_BCAST_SLAB][(i - 1) % MF_BCAST_SLAB];
}

int mf_bcast_retransmit_limit(int mult, size_t n)
{
	return mult * (int)ceil(log10((double)n + 1.0));
}

void mf_bcast_init(struct mf_bcast_queue *q, int retransmit_mult)
{
	memset(q, 0, sizeof(*q));
	q->retransmit_mult = retransmit_mult;
	mf_intern_init(&q->own_strs);
	q->strs = &q->own_strs;
}

int mf_bcast_share(struct mf_bcast_queue *q, struct mf_intern *strs)
{
	if (q->n > 0 || strs == NULL)
		return MF_ESTATE;
	q->strs = strs;
	return 0;
}

/* Puts lone node xi, its message len bytes, into its level's tree;
 * MF_ENOMEM leaves it out. */
static int level_insert(struct mf_bcast_queue *q, uint32_t xi, size_t len)
{
	const struct mf_bcast_node *b = nd(q, xi);
	int lv = b->transmits;
	int rc = mf_bt_insert(&q->tree, &q->roots[lv], (uint16_t)len, b->id, xi);
	if (rc == 0 && lv >= q->top)
		q->top = lv + 1;
	return rc;
}

/* The chain link that points at the node named name (len bytes, hash h),
 * or the chain's terminating 0. */
static uint32_t *name_slot(struct mf_bcast_queue *q, const char *name, size_t len, uint64_t h)
{
	uint32_t *s = &q->names[h & (q->n_buckets - 1)];
	for (; *s != 0; s = &nd(q, *s)->next_name) {
		const struct mf_bcast_node *b = nd(q, *s);
		if (b->hash == (uint16_t)h && blob_name_len(b) == len &&
		    memcmp(blob_name(b), name, len) == 0)
			break;
	}
	return s;
}

/* A zeroed node from the free list or a new slab; 0 when out of memory. */
static uint32_t node_alloc(struct mf_bcast_queue *q)
{
	if (q->free_nodes == 0) {
		if (q->n_slabs >= (UINT32_MAX - 1) / MF_BCAST_SLAB)
			return 0;
		if (mf_grow(&q->slabs, &q->cap_slabs, q->n_slabs + 1, 4) != 0)
			return 0;
		struct mf_bcast_node *s = malloc(MF_BCAST_SLAB * sizeof(*s));
		if (s == NULL)
			return 0;
		q->slabs[q->n_slabs++] = s;
		uint32_t base = (uint32_t)(q->n_slabs - 1) * MF_BCAST_SLAB;
		for (uint32_t k = MF_BCAST_SLAB; k > 0; k--) {
			s[k - 1].next_name = q->free_nodes;
			q->free_nodes = base + k;
		}
	}
	uint32_t i = q->free_nodes;
	struct mf_bcast_node *b = nd(q, i);
	q->free_nodes = b->next_name;
	memset(b, 0, sizeof(*b));
	return i;
}

static void node_free(struct mf_bcast_queue *q, uint32_t i)
{
	struct mf_bcast_node *b = nd(q, i);
	mf_intern_put(q->strs, (const char *)blob_of(b));
	set_blob(b, NULL);
	b->next_name = q->free_nodes;
	q->free_nodes = i;
}

/* Keeps the index at no more than two names per bucket on average (a
 * chain step reads one node, and a name's bytes only when hashes match). */
static int names_reserve(struct mf_bcast_queue *q)
{
	if (q->n < 2 * q->n_buckets)
		return 0;
	size_t nb = q->n_buckets ? q->n_buckets * 2 : 64;
	if (nb > (size_t)UINT32_MAX + 1)
		return MF_ENOMEM; /* a bucket must fit the hash's 32 bits */
	uint32_t *t = calloc(nb, sizeof(*t));
	if (t == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < q->n_buckets; i++) {
		uint32_t bi = q->names[i];
		while (bi != 0) {
			struct mf_bcast_node *b = nd(q, bi);
			uint32_t next = b->next_name;
			size_t k = bucket_of(b, nb);
			b->next_name = t[k];
			t[k] = bi;
			bi = next;
		}
	}
	free(q->names);
	q->names = t;
	q->n_buckets = nb;
	return 0;
}

/* Forgets a message the caller already took out of its tree. */
static void finish(struct mf_bcast_queue *q, uint32_t bi)
{
	struct mf_bcast_node *b = nd(q, bi);
	if (b->notify)
		q->finished_notify++;
	if (has_name(b)) {
		uint32_t *s = &q->names[bucket_of(b, q->n_buckets)];
		while (*s != bi)
			s = &nd(q, *s)->next_name;
		*s = b->next_name;
	}
	q->bytes -= msg_len(b); /* read anyway: sent or replaced */
	node_free(q, bi);
	q->n--;
	if (q->n == 0) {
		q->id_gen = 0;
		q->top = 0; /* every level's tree is empty */
	}
}

static void drop_node(void *ctx, uint32_t bi)
{
	struct mf_bcast_queue *q = ctx;
	if (nd(q, bi)->notify)
		q->finished_notify++;
	node_free(q, bi);
}

void mf_bcast_reset(struct mf_bcast_queue *q)
{
	for (int lv = 0; lv < q->top; lv++)
		mf_bt_clear(&q->tree, &q->roots[lv], drop_node, q);
	q->top = 0;
	if (q->n_buckets > 0)
		memset(q->names, 0, q->n_buckets * sizeof(q->names[0]));
	q->n = 0;
	q->bytes = 0;
	q->id_gen = 0;
}

void mf_bcast_free(struct mf_bcast_queue *q)
{
	mf_bcast_reset(q);
	free(q->names);
	q->names = NULL;
	q->n_buckets = 0;
	for (size_t i = 0; i < q->n_slabs; i++)
		free(q->slabs[i]);
	free(q->slabs);
	q->slabs = NULL;
	q->n_slabs = q->cap_slabs = 0;
	q->free_nodes = 0;
	mf_bt_store_free(&q->tree);
	mf_intern_free(&q->own_strs);
}

int mf_bcast_push(struct mf_bcast_queue *q, const char *name, size_t name_len,
		  const uint8_t *msg, size_t len, bool notify)
{
	return mf_bcast_push_capped(q, name, name_len, msg, len, notify, 0);
}

/* Whether blob (an interned blob of this queue's table) holds head[0..hlen)
 * then msg[0..len). */
static bool blob_is(const char *blob, const uint8_t *head, size_t hlen, const uint8_t *msg, size_t len)
{
	return mf_intern_len(blob) == hlen + len && memcmp(blob, head, hlen) == 0 &&
	       memcmp(blob + hlen, msg, len) == 0;
}

/* mf_bcast_push_capped, with mf_bcast_push_hinted's shortcuts (fresh;
 * last, or NULL). */
static int push(struct mf_bcast_queue *q, const char *name, size_t name_len, const uint8_t *msg,
		size_t len, bool notify, int max_transmits, bool fresh, const char **last)
{
	uint8_t head[BLOB_TAG + MF_BCAST_NAME_MAX];
	const char *blob;
	if (len > UINT16_MAX || max_transmits < 0 || max_transmits > MF_BCAST_CAP_MAX ||
	    (name != NULL && name_len > MF_BCAST_NAME_MAX))
		return MF_EINVAL;
	size_t tag = name != NULL ? name_len + 1 : 0;
	size_t hlen = BLOB_TAG + (name ? name_len : 0);
	head[0] = (uint8_t)tag;
	head[1] = (uint8_t)(tag >> 8);
	if (name != NULL && name_len > 0)
		memcpy(head + BLOB_TAG, name, name_len);
	if (name != NULL && names_reserve(q) != 0)
		return MF_ENOMEM;
	uint32_t bi = node_alloc(q);
	if (bi == 0)
		return MF_ENOMEM;
	if (last != NULL && *last != NULL && blob_is(*last, head, hlen, msg, len)) {
		if (mf_intern_ref(*last) != 0) {
			node_free(q, bi);
			return MF_ENOMEM;
		}
		blob = *last;
	} else if (mf_intern_get2(q->strs, head, hlen, msg, len, &blob) != 0) {
		node_free(q, bi); /* a zeroed node: nothing to release */
		return MF_ENOMEM;
	}
	struct mf_bcast_node *b = nd(q, bi);
	set_blob(b, (const uint8_t *)blob);
	b->notify = notify;
	b->cap = (uint8_t)max_transmits;
	b->id = ++q->id_gen;
	/* In first: out of memory then leaves the queue as it was. */
	if (level_insert(q, bi, len) != 0) {
		node_free(q, bi);
		q->id_gen--;
		return MF_ENOMEM;
	}
	q->n++;
	q->bytes += len;
	if (name != NULL) {
		uint64_t h = mf_name_hash(name, name_len);
		uint32_t *s = fresh ? NULL : name_slot(q, name, name_len, h);
		if (s != NULL && *s != 0) { /* names are unique in the queue */
			uint32_t old = *s;
			const struct mf_bcast_node *o = nd(q, old);
			(void)mf_bt_remove(&q->tree, &q->roots[o->transmits],
					   (uint16_t)msg_len(o), o->id);
			finish(q, old); /* n stays > 0: ids go on */
		}
		size_t bucket = h & (q->n_buckets - 1);
		b->hash = (uint16_t)h;
		b->next_name = q->names[bucket];
		q->names[bucket] = bi;
	}
	if (last != NULL)
		*last = blob;
	return 0;
}

int mf_bcast_push_capped(struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, bool notify, int max_transmits)
{
	return push(q, name, name_len, msg, len, notify, max_transmits, false, NULL);
}

int mf_bcast_push_hinted(struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, bool fresh, const char **last)
{
	if (name == NULL)
		return MF_EINVAL;
	return push(q, name, name_len, msg, len, false, 0, fresh, last);
}

void mf_bcast_get(struct mf_bcast_queue *q, size_t overhead, size_t limit, size_t n_members,
		  uint8_t *buf, size_t cap, struct mf_bytes *out, size_t max, size_t *n_out)
{
	int tlimit = mf_bcast_retransmit_limit(q->retransmit_mult, n_members);
	size_t used = 0, picked = 0;
	uint32_t took[MF_BCAST_MAX_PICK];
	int level = 0;

	if (limit > cap)
		limit = cap;
	if (max > MF_BCAST_MAX_PICK)
		max = MF_BCAST_MAX_PICK;
	/* memberlist's per-transmit-level search: within a level take the
	 * first (largest, newest) message that fits, then the next level.
	 * Picked messages go back in after the pass, so none is sent twice
	 * in one packet. */
	while (picked < max && used + overhead < limit && level < q->top) {
		size_t free_b = limit - used - overhead;
		uint16_t len;
		uint32_t bi = mf_bt_take(&q->tree, &q->roots[level], free_b, &len);
		if (bi == 0) { /* nothing fits at this level */
			level++;
			continue;
		}
		__builtin_prefetch(nd(q, bi));
		out[picked].p = buf + used;
		out[picked].len = len;
		took[picked++] = bi;
		used += (size_t)len + overhead;
	}
	/* The picks come from the trees' keys alone; their nodes, then their
	 * blobs (interned: one per message, wherever it was queued) are read
	 * once all are known, so the cache misses overlap instead of following
	 * one another. */
	for (size_t i = 0; i < picked; i++) {
		const uint8_t *blob = blob_of(nd(q, took[i]));
		__builtin_prefetch(blob);
		__builtin_prefetch(blob + 64);
	}
	for (size_t i = 0; i < picked; i++) {
		struct mf_bcast_node *b = nd(q, took[i]);
		memcpy(buf + (out[i].p - buf), blob_msg(b), out[i].len);
		int lim = b->cap != 0 && b->cap < tlimit ? b->cap : tlimit;
		if (b->transmits + 1 >= lim || b->transmits + 1 >= UINT8_MAX) {
			finish(q, took[i]);
		} else {
			b->transmits++;
			if (level_insert(q, took[i], out[i].len) != 0)
				finish(q, took[i]); /* out of memory: sent for the last time */
		}
	}
	*n_out = picked;
}

int mf_bcast_transmits(const struct mf_bcast_queue *q, const char *name, size_t name_len)
{
	if (q->n_buckets == 0 || name == NULL)
		return -1;
	uint32_t *s = name_slot((struct mf_bcast_queue *)q, name, name_len, mf_name_hash(name, name_len));
	return *s != 0 ? nd(q, *s)->transmits : -1;
}

/* A named message to prune: its node and its place in memberlist's order. */
struct prune_pick {
	uint32_t bi, id;
	uint16_t len;
	uint8_t transmits;
};

/* memberlist's Max first: most transmits, then shortest, then oldest
 * (ids by serial-number arithmetic, as in the trees). */
static int prune_order(const void *a, const void *b)
{
	const struct prune_pick *x = a, *y = b;
	if (x->transmits != y->transmits)
		return x->transmits > y->transmits ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int32_t d = (int32_t)(x->id - y->id);
	return d < 0 ? -1 : d > 0;
}

size_t mf_bcast_prune_named(struct mf_bcast_queue *q, const char *prefix, size_t prefix_len,
			    size_t max_retain)
{
	if (q->n <= max_retain || q->n_buckets == 0)
		return 0; /* fewer messages than the bound, named or not */
	struct prune_pick *picks = NULL;
	size_t n = 0, cap = 0;
	for (size_t k = 0; k < q->n_buckets; k++) {
		for (uint32_t bi = q->names[k]; bi != 0; bi = nd(q, bi)->next_name) {
			const struct mf_bcast_node *b = nd(q, bi);
			if (blob_name_len(b) < prefix_len ||
			    memcmp(blob_name(b), prefix, prefix_len) != 0)
				continue;
			if (mf_grow(&picks, &cap, n + 1, 64) != 0) {
				free(picks);
				return 0; /* out of memory: kept, as before the check */
			}
			picks[n++] = (struct prune_pick){bi, b->id, (uint16_t)msg_len(b),
							 b->transmits};
		}
	}
	size_t drop = n > max_retain ? n - max_retain : 0;
	if (drop > 0)
		qsort(picks, n, sizeof(*picks), prune_order);
	for (size_t i = 0; i < drop; i++) {
		(void)mf_bt_remove(&q->tree, &q->roots[picks[i].transmits], picks[i].len,
				   picks[i].id);
		finish(q, picks[i].bi);
	}
	free(picks);
	return drop;
}

size_t mf_bcast_len(const struct mf_bcast_queue *q)
{
	return q->n;
}

size_t mf_bcast_bytes(const struct mf_bcast_queue *q)
{
	return q->bytes;
}

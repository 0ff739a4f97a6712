/*
 * gossip/broadcast.c — the transmit-limited broadcast queue.
 *
 * memberlist keeps a btree ordered by (transmits, len desc, id desc) and a
 * map from name to item. Here the btree is a treap (a binary search tree
 * that is also a heap on a per-node priority, balanced in expectation) and
 * the map a chained hash table. A pick seeks, per transmit level, the first
 * message that still fits: O(log n) per message handed out, instead of a
 * walk over the queue; push and invalidation are O(log n) too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/err.h"

/* 64 bytes on LP64: a simulator's N pools each queue up to N of them. */
struct mf_bcast_node {
	struct mf_bcast_node *left, *right; /* treap children (send order) */
	struct mf_bcast_node *next_name;    /* hash chain of the name index */
	const uint8_t *data;                /* interned message bytes (len) */
	const char *name;                   /* interned, NULL when unnamed */
	int64_t id;                         /* submission order, unique in the queue */
	uint32_t prio;                      /* treap heap key: parent > children */
	uint32_t len;
	uint16_t transmits;
	bool notify;                        /* count in `finished_notify` when done */
};

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

/* splitmix64: well-mixed priorities from a counter, no shared state. */
static uint32_t next_prio(struct mf_bcast_queue *q)
{
	uint64_t z = (q->prio_gen += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* memberlist limitedBroadcast.Less: fewer transmits, then longer, then newer. */
static bool before(const struct mf_bcast_node *a, const struct mf_bcast_node *b)
{
	if (a->transmits != b->transmits)
		return a->transmits < b->transmits;
	if (a->len != b->len)
		return a->len > b->len;
	return a->id > b->id;
}

static struct mf_bcast_node *tree_insert(struct mf_bcast_node *t, struct mf_bcast_node *x)
{
	if (t == NULL)
		return x;
	if (before(x, t)) {
		t->left = tree_insert(t->left, x);
		if (t->left->prio > t->prio) { /* rotate right */
			struct mf_bcast_node *l = t->left;
			t->left = l->right;
			l->right = t;
			return l;
		}
	} else {
		t->right = tree_insert(t->right, x);
		if (t->right->prio > t->prio) { /* rotate left */
			struct mf_bcast_node *r = t->right;
			t->right = r->left;
			r->left = t;
			return r;
		}
	}
	return t;
}

/* Joins two treaps where everything in a comes before everything in b. */
static struct mf_bcast_node *tree_join(struct mf_bcast_node *a, struct mf_bcast_node *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	if (a->prio > b->prio) {
		a->right = tree_join(a->right, b);
		return a;
	}
	b->left = tree_join(a, b->left);
	return b;
}

/* Takes x out of t; x leaves as a lone node, ready to go back in. */
static struct mf_bcast_node *tree_remove(struct mf_bcast_node *t, struct mf_bcast_node *x)
{
	if (t == NULL)
		return NULL;
	if (t == x) {
		struct mf_bcast_node *rest = tree_join(t->left, t->right);
		x->left = x->right = NULL;
		return rest;
	}
	if (before(x, t))
		t->left = tree_remove(t->left, x);
	else
		t->right = tree_remove(t->right, x);
	return t;
}

/* The first message in send order at transmit level >= transmits that is
 * either above that level or no longer than max_len. */
static struct mf_bcast_node *tree_seek(struct mf_bcast_node *t, int transmits, size_t max_len)
{
	struct mf_bcast_node key = { .transmits = transmits, .len = max_len, .id = INT64_MAX };
	struct mf_bcast_node *best = NULL;
	while (t != NULL) {
		if (before(t, &key)) {
			t = t->right;
		} else {
			best = t;
			t = t->left;
		}
	}
	return best;
}

/* Names are interned in the queue's table, so equal names are one
 * pointer: the chain compares pointers. */
static struct mf_bcast_node **name_slot(struct mf_bcast_queue *q, const char *name)
{
	struct mf_bcast_node **s = &q->names[mf_intern_hash(name) & (q->n_buckets - 1)];
	while (*s != NULL && (*s)->name != name)
		s = &(*s)->next_name;
	return s;
}

static void name_unlink(struct mf_bcast_queue *q, struct mf_bcast_node *b)
{
	struct mf_bcast_node **s = name_slot(q, b->name);
	*s = b->next_name;
}

static void node_free(struct mf_bcast_queue *q, struct mf_bcast_node *b)
{
	mf_intern_put(q->strs, (const char *)b->data);
	mf_intern_put(q->strs, b->name);
	free(b);
}

/* Keeps the index at no more than one name per bucket on average. */
static int names_reserve(struct mf_bcast_queue *q)
{
	if (q->n < q->n_buckets)
		return 0;
	size_t nb = q->n_buckets ? q->n_buckets * 2 : 64;
	struct mf_bcast_node **t = calloc(nb, sizeof(*t));
	if (t == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < q->n_buckets; i++) {
		struct mf_bcast_node *b = q->names[i];
		while (b != NULL) {
			struct mf_bcast_node *next = b->next_name;
			size_t k = mf_intern_hash(b->name) & (nb - 1);
			b->next_name = t[k];
			t[k] = b;
			b = next;
		}
	}
	free(q->names);
	q->names = t;
	q->n_buckets = nb;
	return 0;
}

/* Forgets a message the caller already took out of the treap. */
static void finish(struct mf_bcast_queue *q, struct mf_bcast_node *b)
{
	if (b->notify)
		q->finished_notify++;
	if (b->name != NULL)
		name_unlink(q, b);
	node_free(q, b);
	q->n--;
	if (q->n == 0)
		q->id_gen = 0;
}

static void free_tree(struct mf_bcast_queue *q, struct mf_bcast_node *t)
{
	while (t != NULL) {
		struct mf_bcast_node *right = t->right;
		free_tree(q, t->left);
		if (t->notify)
			q->finished_notify++;
		node_free(q, t);
		t = right;
	}
}

void mf_bcast_reset(struct mf_bcast_queue *q)
{
	free_tree(q, q->root);
	q->root = NULL;
	if (q->n_buckets > 0)
		memset(q->names, 0, q->n_buckets * sizeof(q->names[0]));
	q->n = 0;
	q->id_gen = 0;
}

void mf_bcast_free(struct mf_bcast_queue *q)
{
	mf_bcast_reset(q);
	free(q->names);
	q->names = NULL;
	q->n_buckets = 0;
	mf_intern_free(&q->own_strs);
}

int mf_bcast_push(struct mf_bcast_queue *q, const char *name, size_t name_len,
		  const uint8_t *msg, size_t len, bool notify)
{
	if (len > UINT32_MAX)
		return MF_EINVAL;
	struct mf_bcast_node *b = calloc(1, sizeof(*b));
	const char *data;
	if (b == NULL)
		return MF_ENOMEM;
	if (mf_intern_get(q->strs, msg, len, &data) != 0) {
		free(b);
		return MF_ENOMEM;
	}
	b->data = (const uint8_t *)data;
	b->len = (uint32_t)len;
	b->notify = notify;
	if (name != NULL) {
		if (names_reserve(q) != 0 || mf_intern_get(q->strs, name, name_len, &b->name) != 0) {
			node_free(q, b);
			return MF_ENOMEM;
		}
		struct mf_bcast_node **s = name_slot(q, b->name);
		if (*s != NULL) { /* names are unique in the queue */
			struct mf_bcast_node *old = *s;
			q->root = tree_remove(q->root, old);
			finish(q, old);
		}
		size_t bucket = mf_intern_hash(b->name) & (q->n_buckets - 1);
		b->next_name = q->names[bucket];
		q->names[bucket] = b;
	}
	b->id = ++q->id_gen;
	b->prio = next_prio(q);
	q->root = tree_insert(q->root, b);
	q->n++;
	return 0;
}

void mf_bcast_get(struct mf_bcast_queue *q, size_t overhead, size_t limit, size_t n_members,
		  uint8_t *buf, size_t cap, struct mf_bytes *out, size_t max, size_t *n_out)
{
	int tlimit = mf_bcast_retransmit_limit(q->retransmit_mult, n_members);
	size_t used = 0, picked = 0;
	struct mf_bcast_node *keep[MF_BCAST_MAX_PICK];
	size_t n_keep = 0;
	int level = 0;

	if (limit > cap)
		limit = cap;
	if (max > MF_BCAST_MAX_PICK)
		max = MF_BCAST_MAX_PICK;
	/* memberlist's per-transmit-level search: within a level take the
	 * first (largest, newest) message that fits, then the next level.
	 * Picked messages go back in after the pass, so none is sent twice
	 * in one packet. */
	while (picked < max && used + overhead < limit) {
		size_t free_b = limit - used - overhead;
		struct mf_bcast_node *b = tree_seek(q->root, level, free_b);
		if (b == NULL)
			break;
		if (b->transmits != level) { /* nothing fits at this level */
			level = b->transmits;
			continue;
		}
		q->root = tree_remove(q->root, b);
		memcpy(buf + used, b->data, b->len);
		out[picked].p = buf + used;
		out[picked].len = b->len;
		picked++;
		used += b->len + overhead;
		if (b->transmits + 1 >= tlimit) {
			finish(q, b);
		} else {
			b->transmits++;
			keep[n_keep++] = b;
		}
	}
	for (size_t i = 0; i < n_keep; i++)
		q->root = tree_insert(q->root, keep[i]);
	*n_out = picked;
}

size_t mf_bcast_len(const struct mf_bcast_queue *q)
{
	return q->n;
}

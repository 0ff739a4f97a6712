#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/err.h"

int mf_bcast_retransmit_limit(int mult, size_t n)
{
	return mult * (int)ceil(log10((double)n + 1.0));
}

void mf_bcast_init(struct mf_bcast_queue *q, int retransmit_mult)
{
	memset(q, 0, sizeof(*q));
	q->retransmit_mult = retransmit_mult;
}

static void drop_item(struct mf_bcast_queue *q, size_t i)
{
	if (q->items[i].notify)
		q->finished_notify++;
	free(q->items[i].msg);
	free(q->items[i].name);
	memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(q->items[0]));
	q->n--;
	if (q->n == 0)
		q->id_gen = 0;
}

void mf_bcast_reset(struct mf_bcast_queue *q)
{
	while (q->n > 0)
		drop_item(q, q->n - 1);
}

void mf_bcast_free(struct mf_bcast_queue *q)
{
	mf_bcast_reset(q);
	free(q->items);
	q->items = NULL;
	q->cap = 0;
}

/* memberlist limitedBroadcast.Less: fewer transmits, then longer, then newer. */
static bool before(const struct mf_bcast *a, const struct mf_bcast *b)
{
	if (a->transmits != b->transmits)
		return a->transmits < b->transmits;
	if (a->len != b->len)
		return a->len > b->len;
	return a->id > b->id;
}

/* items[] holds the send order reversed (the next to send is last), so
 * the common insert, a new message (fewest transmits, newest) of an
 * ordinary size, lands at or near the end and moves few others: a flood of
 * new names costs O(1) per insert instead of shifting the whole queue. */
static void insert_sorted(struct mf_bcast_queue *q, const struct mf_bcast *b)
{
	size_t lo = 0, hi = q->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (!before(&q->items[mid], b))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&q->items[lo + 1], &q->items[lo], (q->n - lo) * sizeof(q->items[0]));
	q->items[lo] = *b;
	q->n++;
}

/* The dedupe scan runs once per queued message over the whole queue (up to
 * one entry per member): comparing a hash keeps it a few microseconds at
 * 10,000 entries, where strlen + memcmp per entry took most of the CPU of
 * a flood of new names. */
uint64_t mf_name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

int mf_bcast_push(struct mf_bcast_queue *q, const char *name, size_t name_len,
		  const uint8_t *msg, size_t len, bool notify)
{
	struct mf_bcast b = { 0 };

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct mf_bcast *items = realloc(q->items, cap * sizeof(*items));
		if (items == NULL)
			return MF_ENOMEM;
		q->items = items;
		q->cap = cap;
	}
	b.msg = malloc(len ? len : 1);
	if (b.msg == NULL)
		return MF_ENOMEM;
	memcpy(b.msg, msg, len);
	b.len = len;
	if (name != NULL) {
		b.name = malloc(name_len + 1);
		if (b.name == NULL) {
			free(b.msg);
			return MF_ENOMEM;
		}
		memcpy(b.name, name, name_len);
		b.name[name_len] = '\0';
		b.name_len = name_len;
		b.name_hash = mf_name_hash(name, name_len);
		for (size_t i = 0; i < q->n; i++) {
			const struct mf_bcast *o = &q->items[i];
			if (o->name != NULL && o->name_hash == b.name_hash &&
			    o->name_len == name_len && memcmp(o->name, name, name_len) == 0) {
				drop_item(q, i);
				break; /* names are unique in the queue */
			}
		}
	}
	b.id = ++q->id_gen;
	b.notify = notify;
	insert_sorted(q, &b);
	return 0;
}

void mf_bcast_get(struct mf_bcast_queue *q, size_t overhead, size_t limit, size_t n_members,
		  uint8_t *buf, size_t cap, struct mf_bytes *out, size_t max, size_t *n_out)
{
	int tlimit = mf_bcast_retransmit_limit(q->retransmit_mult, n_members);
	size_t used = 0, picked = 0;
	struct mf_bcast keep[MF_BCAST_MAX_PICK];
	size_t n_keep = 0;

	if (limit > cap)
		limit = cap;
	if (max > MF_BCAST_MAX_PICK)
		max = MF_BCAST_MAX_PICK;
	/* One pass in send order equals memberlist's per-transmit-level search:
	 * within a level the first that fits is the largest that fits, and
	 * anything skipped stays too large as free space shrinks. */
	for (size_t i = q->n; i-- > 0 && picked < max;) {
		if (used + overhead >= limit)
			break;
		size_t free_b = limit - used - overhead;
		struct mf_bcast *b = &q->items[i];
		if (b->len > free_b)
			continue;
		memcpy(buf + used, b->msg, b->len);
		out[picked].p = buf + used;
		out[picked].len = b->len;
		picked++;
		used += b->len + overhead;
		if (b->transmits + 1 >= tlimit) {
			drop_item(q, i);
		} else {
			keep[n_keep] = *b;
			keep[n_keep].transmits++;
			n_keep++;
			memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof(q->items[0]));
			q->n--;
		}
	}
	for (size_t i = 0; i < n_keep; i++)
		insert_sorted(q, &keep[i]);
	*n_out = picked;
}

size_t mf_bcast_len(const struct mf_bcast_queue *q)
{
	return q->n;
}

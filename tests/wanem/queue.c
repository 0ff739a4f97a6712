#include "tests/wanem/queue.h"

#include <stdbool.h>
#include <stdlib.h>

#include "gossip/err.h"

int mf_wanem_queue_init(struct mf_wanem_queue *q, size_t limit)
{
	q->cap = 1024;
	q->len = 0;
	q->limit = limit;
	q->next_seq = 0;
	q->heap = malloc(q->cap * sizeof *q->heap);
	return q->heap ? 0 : MF_ENOMEM;
}

void mf_wanem_queue_free(struct mf_wanem_queue *q)
{
	for (size_t i = 0; i < q->len; i++)
		free(q->heap[i]);
	free(q->heap);
	q->heap = NULL;
	q->len = q->cap = 0;
}

static bool before(const struct mf_wanem_pkt *a, const struct mf_wanem_pkt *b)
{
	return a->release_ns < b->release_ns ||
	       (a->release_ns == b->release_ns && a->seq < b->seq);
}

int mf_wanem_queue_push(struct mf_wanem_queue *q, struct mf_wanem_pkt *p)
{
	if (q->len >= q->limit)
		return MF_ETOOBIG;
	if (q->len == q->cap) {
		struct mf_wanem_pkt **h = realloc(q->heap, 2 * q->cap * sizeof *h);
		if (!h)
			return MF_ENOMEM;
		q->heap = h;
		q->cap *= 2;
	}
	p->seq = q->next_seq++;
	size_t i = q->len++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(p, q->heap[up]))
			break;
		q->heap[i] = q->heap[up];
		i = up;
	}
	q->heap[i] = p;
	return 0;
}

struct mf_wanem_pkt *mf_wanem_queue_peek(const struct mf_wanem_queue *q)
{
	return q->len ? q->heap[0] : NULL;
}

struct mf_wanem_pkt *mf_wanem_queue_pop_due(struct mf_wanem_queue *q,
					    int64_t now_ns)
{
	if (q->len == 0 || q->heap[0]->release_ns > now_ns)
		return NULL;
	struct mf_wanem_pkt *top = q->heap[0], *last = q->heap[--q->len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->len)
			break;
		if (c + 1 < q->len && before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!before(q->heap[c], last))
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (q->len)
		q->heap[i] = last;
	return top;
}

struct mf_wanem_pkt *mf_wanem_pkt_new(size_t len)
{
	return malloc(sizeof(struct mf_wanem_pkt) + len);
}

void mf_wanem_pkt_free(struct mf_wanem_pkt *p)
{
	free(p);
}

/* gossip/suspects.c — see gossip/suspects.h. */
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/suspects.h"

void mf_suspects_init(struct mf_suspects *s)
{
	memset(s, 0, sizeof(*s));
}

void mf_suspects_free(struct mf_suspects *s)
{
	free(s->heap);
	memset(s, 0, sizeof(*s));
}

/* Deadline, then name: a tick that expires several handles them in an
 * order that depends only on the protocol state. */
static bool earlier(const struct mf_suspicion *a, const struct mf_suspicion *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return mf_members_cmp_name(a->rec->ident->name, a->rec->ident->name_len, b->rec->ident->name,
				   b->rec->ident->name_len) < 0;
}

static void place(struct mf_suspects *s, size_t i, struct mf_suspicion *x)
{
	s->heap[i] = x;
	x->heap_pos = i;
}

static void sift_up(struct mf_suspects *s, size_t i)
{
	struct mf_suspicion *x = s->heap[i];
	while (i > 0 && earlier(x, s->heap[(i - 1) / 2])) {
		place(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(s, i, x);
}

static void sift_down(struct mf_suspects *s, size_t i)
{
	struct mf_suspicion *x = s->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->n)
			break;
		if (c + 1 < s->n && earlier(s->heap[c + 1], s->heap[c]))
			c++;
		if (!earlier(s->heap[c], x))
			break;
		place(s, i, s->heap[c]);
		i = c;
	}
	place(s, i, x);
}

int mf_suspects_add(struct mf_suspects *s, struct mf_suspicion *x)
{
	int rc = mf_grow(&s->heap, &s->cap, s->n + 1, 8);
	if (rc != 0)
		return rc;
	s->heap[s->n++] = x;
	sift_up(s, s->n - 1);
	return 0;
}

void mf_suspects_remove(struct mf_suspects *s, struct mf_suspicion *x)
{
	size_t i = x->heap_pos;
	struct mf_suspicion *last = s->heap[--s->n];
	if (i == s->n)
		return;
	place(s, i, last);
	mf_suspects_moved(s, last);
}

void mf_suspects_moved(struct mf_suspects *s, struct mf_suspicion *x)
{
	size_t i = x->heap_pos;
	if (i > 0 && earlier(x, s->heap[(i - 1) / 2]))
		sift_up(s, i);
	else
		sift_down(s, i);
}

struct mf_suspicion *mf_suspects_first(const struct mf_suspects *s)
{
	return s->n > 0 ? s->heap[0] : NULL;
}

/*
 * gossip/broadcast_tree.c — a B+tree of (len, id) keys for one transmit
 * level of the broadcast queue.
 *
 * A node holds up to K keys in three parallel arrays. In a leaf they are
 * the entries; in an inner node key i is the last key (in send order) of
 * child i, so a descent picks the first child whose last key is not
 * before the one sought, and a pick ("the first key no longer than L")
 * the first child whose last key is no longer than L: len falls along
 * the order, so that child holds the answer. All leaves are at one
 * depth (`height` counts from the leaves); a full node splits (at the
 * end when the new key goes last or first, so the queue's usual
 * insertions at one end leave full nodes behind), an emptied node goes,
 * and a node under a quarter full merges with a sibling when both fit
 * in three quarters of a node. Inner nodes' keys are kept as their
 * children's last keys on the way back up.
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast_tree.h"
#include "gossip/err.h"
#include "gossip/grow.h"

#define K 25    /* keys per node: 256 bytes */
#define SLAB 16 /* nodes per allocation (4 KB) */

struct mf_bt_node {
	uint16_t n;      /* keys held */
	uint16_t height; /* 0: a leaf */
	uint32_t id[K];
	uint32_t ref[K]; /* leaf: payload; inner: child node id; free: next free */
	uint16_t len[K];
};

_Static_assert(sizeof(struct mf_bt_node) == 256, "a tree node is 4 cache lines");

static struct mf_bt_node *tn(const struct mf_bt_store *s, uint32_t i)
{
	return &s->slabs[(i - 1) / SLAB][(i - 1) % SLAB];
}

/* Send order: longer first, then newer (serial-number arithmetic). */
static bool key_before(uint16_t la, uint32_t ia, uint16_t lb, uint32_t ib)
{
	if (la != lb)
		return la > lb;
	return (int32_t)(ia - ib) > 0;
}

void mf_bt_store_init(struct mf_bt_store *s)
{
	memset(s, 0, sizeof(*s));
}

void mf_bt_store_free(struct mf_bt_store *s)
{
	for (size_t i = 0; i < s->n_slabs; i++)
		free(s->slabs[i]);
	free(s->slabs);
	memset(s, 0, sizeof(*s));
}

/* At least `need` free nodes, so an insert never fails half way. */
static int reserve(struct mf_bt_store *s, size_t need)
{
	while (s->n_free < need) {
		if (s->n_slabs >= (UINT32_MAX - 1) / SLAB)
			return MF_ENOMEM;
		if (mf_grow(&s->slabs, &s->cap_slabs, s->n_slabs + 1, 8) != 0)
			return MF_ENOMEM;
		struct mf_bt_node *b = malloc(SLAB * sizeof(*b));
		if (b == NULL)
			return MF_ENOMEM;
		s->slabs[s->n_slabs++] = b;
		uint32_t base = (uint32_t)(s->n_slabs - 1) * SLAB;
		for (uint32_t k = SLAB; k > 0; k--) {
			b[k - 1].ref[0] = s->free_list;
			s->free_list = base + k;
		}
		s->n_free += SLAB;
	}
	return 0;
}

/* A node from the reserve (the caller reserved it). */
static uint32_t node_new(struct mf_bt_store *s, uint16_t height)
{
	uint32_t i = s->free_list;
	struct mf_bt_node *x = tn(s, i);
	s->free_list = x->ref[0];
	s->n_free--;
	x->n = 0;
	x->height = height;
	return i;
}

static void node_put(struct mf_bt_store *s, uint32_t i)
{
	tn(s, i)->ref[0] = s->free_list;
	s->free_list = i;
	s->n_free++;
}

static void ins_at(struct mf_bt_node *x, unsigned pos, uint16_t len, uint32_t id, uint32_t ref)
{
	unsigned m = x->n - pos;
	memmove(&x->len[pos + 1], &x->len[pos], m * sizeof(x->len[0]));
	memmove(&x->id[pos + 1], &x->id[pos], m * sizeof(x->id[0]));
	memmove(&x->ref[pos + 1], &x->ref[pos], m * sizeof(x->ref[0]));
	x->len[pos] = len;
	x->id[pos] = id;
	x->ref[pos] = ref;
	x->n++;
}

static void del_at(struct mf_bt_node *x, unsigned pos)
{
	unsigned m = x->n - pos - 1;
	memmove(&x->len[pos], &x->len[pos + 1], m * sizeof(x->len[0]));
	memmove(&x->id[pos], &x->id[pos + 1], m * sizeof(x->id[0]));
	memmove(&x->ref[pos], &x->ref[pos + 1], m * sizeof(x->ref[0]));
	x->n--;
}

/* Moves x's keys from `from` on to the end of y. */
static void move_tail(struct mf_bt_node *x, unsigned from, struct mf_bt_node *y)
{
	unsigned m = x->n - from;
	memcpy(&y->len[y->n], &x->len[from], m * sizeof(x->len[0]));
	memcpy(&y->id[y->n], &x->id[from], m * sizeof(x->id[0]));
	memcpy(&y->ref[y->n], &x->ref[from], m * sizeof(x->ref[0]));
	y->n += m;
	x->n = from;
}

/* The first position whose key is not before (len, id). */
static unsigned lower(const struct mf_bt_node *x, uint16_t len, uint32_t id)
{
	unsigned lo = 0, hi = x->n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (key_before(x->len[mid], x->id[mid], len, id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inner node x's key i := child i's last key. */
static void set_last(const struct mf_bt_store *s, struct mf_bt_node *x, unsigned i)
{
	const struct mf_bt_node *c = tn(s, x->ref[i]);
	x->len[i] = c->len[c->n - 1];
	x->id[i] = c->id[c->n - 1];
}

/* Puts a key at pos of node xi; a full node splits and *right gets its
 * new right sibling (else 0). */
static void put(struct mf_bt_store *s, uint32_t xi, unsigned pos, uint16_t len, uint32_t id,
		uint32_t ref, uint32_t *right)
{
	struct mf_bt_node *x = tn(s, xi);
	*right = 0;
	if (x->n < K) {
		ins_at(x, pos, len, id, ref);
		return;
	}
	uint32_t yi = node_new(s, x->height);
	struct mf_bt_node *y = tn(s, yi);
	if (pos == K) { /* last: alone on the right */
		ins_at(y, 0, len, id, ref);
	} else if (pos == 0) { /* first: alone on the left */
		move_tail(x, 0, y);
		ins_at(x, 0, len, id, ref);
	} else {
		unsigned half = (K + 1) / 2;
		if (pos < half) {
			move_tail(x, half - 1, y);
			ins_at(x, pos, len, id, ref);
		} else {
			move_tail(x, half, y);
			ins_at(y, pos - half, len, id, ref);
		}
	}
	*right = yi;
}

/* The key goes into x's full leaf child i: when a neighbouring leaf has
 * room, the key (or the child's first or last key) moves there instead
 * of the child splitting, so leaves stay fuller than half (a leaf that
 * split and was never topped up is the tree's main waste of memory).
 * False when both neighbours are full or absent. */
static bool shift_in(struct mf_bt_store *s, struct mf_bt_node *x, unsigned i, uint16_t len,
		     uint32_t id, uint32_t ref)
{
	struct mf_bt_node *c = tn(s, x->ref[i]);
	unsigned pos = lower(c, len, id);
	if (i > 0 && tn(s, x->ref[i - 1])->n < K) {
		struct mf_bt_node *l = tn(s, x->ref[i - 1]);
		if (pos == 0) { /* after l's last, before c's first */
			ins_at(l, l->n, len, id, ref);
		} else {
			ins_at(l, l->n, c->len[0], c->id[0], c->ref[0]);
			del_at(c, 0);
			ins_at(c, pos - 1, len, id, ref);
		}
		set_last(s, x, i - 1);
		set_last(s, x, i);
		return true;
	}
	if (i + 1 < x->n && tn(s, x->ref[i + 1])->n < K) {
		struct mf_bt_node *r = tn(s, x->ref[i + 1]);
		if (pos == K) { /* after c's last, before r's first */
			ins_at(r, 0, len, id, ref);
		} else {
			c->n--;
			ins_at(r, 0, c->len[K - 1], c->id[K - 1], c->ref[K - 1]);
			ins_at(c, pos, len, id, ref);
		}
		set_last(s, x, i);
		return true;
	}
	return false;
}

static void ins(struct mf_bt_store *s, uint32_t xi, uint16_t len, uint32_t id, uint32_t ref,
		uint32_t *right)
{
	struct mf_bt_node *x = tn(s, xi);
	unsigned i = lower(x, len, id);
	if (x->height == 0) {
		put(s, xi, i, len, id, ref, right);
		return;
	}
	if (i == x->n)
		i--; /* after everything: into the last child */
	if (x->height == 1 && tn(s, x->ref[i])->n == K && shift_in(s, x, i, len, id, ref)) {
		*right = 0;
		return;
	}
	uint32_t r;
	ins(s, x->ref[i], len, id, ref, &r);
	set_last(s, x, i);
	if (r == 0) {
		*right = 0;
		return;
	}
	const struct mf_bt_node *y = tn(s, r);
	put(s, xi, i + 1, y->len[y->n - 1], y->id[y->n - 1], r, right);
}

int mf_bt_insert(struct mf_bt_store *s, uint32_t *root, uint16_t len, uint32_t id, uint32_t ref)
{
	if (*root == 0) {
		if (reserve(s, 1) != 0)
			return MF_ENOMEM;
		*root = node_new(s, 0);
	}
	uint16_t h = tn(s, *root)->height;
	/* a split per level and a new root at most */
	if (reserve(s, (size_t)h + 2) != 0)
		return MF_ENOMEM;
	uint32_t r;
	ins(s, *root, len, id, ref, &r);
	if (r != 0) {
		uint32_t ni = node_new(s, (uint16_t)(h + 1));
		struct mf_bt_node *x = tn(s, ni);
		x->ref[0] = *root;
		x->ref[1] = r;
		x->n = 2;
		set_last(s, x, 0);
		set_last(s, x, 1);
		*root = ni;
	}
	return 0;
}

/* After child i of xi lost a key: drops it when empty, else renews its
 * last key and merges it with a neighbour when both are small. */
static void fix(struct mf_bt_store *s, uint32_t xi, unsigned i)
{
	struct mf_bt_node *x = tn(s, xi), *c = tn(s, x->ref[i]);
	if (c->n == 0) {
		node_put(s, x->ref[i]);
		del_at(x, i);
		return;
	}
	set_last(s, x, i);
	if (c->n >= K / 4 || x->n < 2)
		return;
	unsigned a = i + 1 < x->n ? i : i - 1, b = a + 1;
	struct mf_bt_node *l = tn(s, x->ref[a]), *r = tn(s, x->ref[b]);
	if (l->n + r->n > K * 3 / 4)
		return;
	move_tail(r, 0, l);
	node_put(s, x->ref[b]);
	x->len[a] = x->len[b];
	x->id[a] = x->id[b];
	del_at(x, b);
}

/* An emptied root goes; a root with one child hands over to it. */
static void shrink_root(struct mf_bt_store *s, uint32_t *root)
{
	while (*root != 0) {
		struct mf_bt_node *x = tn(s, *root);
		if (x->n == 0) {
			node_put(s, *root);
			*root = 0;
		} else if (x->height > 0 && x->n == 1) {
			uint32_t c = x->ref[0];
			node_put(s, *root);
			*root = c;
		} else {
			return;
		}
	}
}

static uint32_t take(struct mf_bt_store *s, uint32_t xi, size_t max_len, uint16_t *len)
{
	struct mf_bt_node *x = tn(s, xi);
	unsigned i = 0;
	while (i < x->n && x->len[i] > max_len)
		i++;
	if (i == x->n)
		return 0;
	if (x->height == 0) {
		uint32_t r = x->ref[i];
		*len = x->len[i];
		del_at(x, i);
		return r;
	}
	/* child i's last key fits, so the child holds the answer */
	uint32_t r = take(s, x->ref[i], max_len, len);
	fix(s, xi, i);
	return r;
}

uint32_t mf_bt_take(struct mf_bt_store *s, uint32_t *root, size_t max_len, uint16_t *len)
{
	if (*root == 0)
		return 0;
	uint32_t r = take(s, *root, max_len, len);
	if (r != 0)
		shrink_root(s, root);
	return r;
}

static bool rem(struct mf_bt_store *s, uint32_t xi, uint16_t len, uint32_t id)
{
	struct mf_bt_node *x = tn(s, xi);
	unsigned i = lower(x, len, id);
	if (i == x->n)
		return false;
	if (x->height == 0) {
		if (x->len[i] != len || x->id[i] != id)
			return false;
		del_at(x, i);
		return true;
	}
	if (!rem(s, x->ref[i], len, id))
		return false;
	fix(s, xi, i);
	return true;
}

bool mf_bt_remove(struct mf_bt_store *s, uint32_t *root, uint16_t len, uint32_t id)
{
	if (*root == 0 || !rem(s, *root, len, id))
		return false;
	shrink_root(s, root);
	return true;
}

static void clear(struct mf_bt_store *s, uint32_t xi, void (*f)(void *ctx, uint32_t ref), void *ctx)
{
	struct mf_bt_node *x = tn(s, xi);
	for (unsigned j = 0; j < x->n; j++) {
		if (x->height == 0)
			f(ctx, x->ref[j]);
		else
			clear(s, x->ref[j], f, ctx);
	}
	node_put(s, xi);
}

void mf_bt_clear(struct mf_bt_store *s, uint32_t *root, void (*f)(void *ctx, uint32_t ref),
		 void *ctx)
{
	if (*root != 0)
		clear(s, *root, f, ctx);
	*root = 0;
}

size_t mf_bt_store_nodes(const struct mf_bt_store *s)
{
	return s->n_slabs * SLAB - s->n_free;
}

struct check {
	size_t n;
	bool have_last;
	uint16_t len;
	uint32_t id;
};

static int check_node(const struct mf_bt_store *s, uint32_t xi, unsigned height, struct check *c)
{
	const struct mf_bt_node *x = tn(s, xi);
	if (x->height != height || x->n == 0 || x->n > K)
		return -1;
	for (unsigned j = 0; j < x->n; j++) {
		if (height == 0) {
			if (c->have_last && !key_before(c->len, c->id, x->len[j], x->id[j]))
				return -1;
			c->have_last = true;
			c->len = x->len[j];
			c->id = x->id[j];
			c->n++;
			continue;
		}
		if (check_node(s, x->ref[j], height - 1, c) != 0)
			return -1;
		if (c->len != x->len[j] || c->id != x->id[j]) /* child j's last key */
			return -1;
	}
	return 0;
}

int mf_bt_check(const struct mf_bt_store *s, uint32_t root, size_t *n_keys, unsigned *height)
{
	struct check c = { 0 };
	*n_keys = 0;
	*height = 0;
	if (root == 0)
		return 0;
	const struct mf_bt_node *x = tn(s, root);
	if (x->height > 0 && x->n < 2)
		return -1;
	if (check_node(s, root, x->height, &c) != 0)
		return -1;
	*n_keys = c.n;
	*height = x->height;
	return 0;
}

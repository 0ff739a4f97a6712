/*
 * gossip/broadcast_tree.h — the broadcast queue's send order within one
 * transmit level: a B+tree of (len, id) keys, each with a 32-bit payload
 * (the queue's node id).
 *
 * Order: longer first, then newer (id compared by serial-number
 * arithmetic: the ids in one tree must span less than 2^31). The keys
 * sit in the tree's own nodes, 25 to a 256-byte node, so a descent reads
 * 2-4 nodes and never the queued messages (the treap it replaces read one
 * scattered message per level, some 20 at 20,000 queued: a cache miss
 * each when N pools each queue N messages).
 *
 * Contract: every operation is O(log n) (a descent from the root, nodes
 * split when full and merged with a sibling when small). Trees share one
 * store of nodes (struct mf_bt_store), which links them by 32-bit ids;
 * a tree is its root id (0: empty). No clock, no I/O.
 */
#ifndef MF_GOSSIP_BROADCAST_TREE_H
#define MF_GOSSIP_BROADCAST_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mf_bt_node;

struct mf_bt_store {
	struct mf_bt_node **slabs; /* node id i is slabs[(i-1)/SLAB][(i-1)%SLAB] */
	size_t n_slabs, cap_slabs;
	uint32_t free_list;        /* through the nodes' first payload */
	size_t n_free;
};

void mf_bt_store_init(struct mf_bt_store *s);
void mf_bt_store_free(struct mf_bt_store *s);

/* Adds (len, id) with payload ref to the tree at *root (no two equal
 * keys in one tree). MF_ENOMEM leaves the tree as it was. */
int mf_bt_insert(struct mf_bt_store *s, uint32_t *root, uint16_t len, uint32_t id, uint32_t ref);
/* Takes out the first key in send order whose len is at most max_len and
 * returns its payload (its len in *len); 0 (nothing taken) when there is
 * none. */
uint32_t mf_bt_take(struct mf_bt_store *s, uint32_t *root, size_t max_len, uint16_t *len);
/* Takes out exactly (len, id); false when it is not in the tree. */
bool mf_bt_remove(struct mf_bt_store *s, uint32_t *root, uint16_t len, uint32_t id);
/* Nodes in use by all the trees of s. */
size_t mf_bt_store_nodes(const struct mf_bt_store *s);
/* Checks the tree at root (for tests): keys in strictly increasing send
 * order, every leaf at the root's height, no empty node, inner keys equal
 * to their children's last keys, an inner root with two children or more.
 * 0 when all hold (with its key count and height), else -1. */
int mf_bt_check(const struct mf_bt_store *s, uint32_t root, size_t *n_keys, unsigned *height);
/* Calls f on every payload, then empties the tree. */
void mf_bt_clear(struct mf_bt_store *s, uint32_t *root, void (*f)(void *ctx, uint32_t ref),
		 void *ctx);

#endif

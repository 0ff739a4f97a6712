/*
 * gossip/broadcast.h — the transmit-limited broadcast queue (memberlist
 * queue.go, broadcast.go; util.go retransmitLimit).
 *
 * Each queued message is sent at most retransmit_mult * ceil(log10(n + 1))
 * times; the least-transmitted go first, larger before smaller at equal
 * count, newer before older at equal size (memberlist's btree order). A new
 * message with the same name invalidates the queued one: membership
 * messages are named by the node they are about, user messages by their
 * optional key; an unnamed message is never invalidated.
 *
 * Contract: holds each message with its name as one interned string
 * (gossip/intern.h): the queue's own table, or one shared with other pools
 * (mf_bcast_share), where the same alive message queued by N pools is one
 * copy. No clock, no I/O.
 */
#ifndef MF_GOSSIP_BROADCAST_H
#define MF_GOSSIP_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/broadcast_tree.h"
#include "gossip/intern.h"
#include "gossip/msg.h"
#include "gossip/name_hash.h" /* mf_name_hash, shared by the name indexes */

/* Most messages one call hands out (a compound holds at most 255). */
#define MF_BCAST_MAX_PICK 255
/* Longest name (membership: a node name; user messages: a key). */
#define MF_BCAST_NAME_MAX 1024
/* Nodes per slab: nodes are linked by 32-bit ids, not pointers. */
#define MF_BCAST_SLAB 256

/* One queued message (broadcast.c): a node of the name index, pointing
 * at its interned bytes. */
struct mf_bcast_node;

/* Send order is (transmits, -len, -id): one B+tree per transmit count
 * (gossip/broadcast_tree.h), keyed by (-len, -id), so push, pick and
 * invalidate cost O(log n) and a pick's descent stays inside its level's
 * smaller tree; names sit in a chained hash index so the invalidation
 * lookup is O(1) expected (memberlist: btree + name map). Nodes live in
 * slabs and link by 32-bit ids: 24 bytes a message, 2-4 in the index's
 * buckets and about 12 in its level's tree. */
#define MF_BCAST_LEVELS 256 /* transmit counts: a node's is a uint8_t */
struct mf_bcast_queue {
	uint32_t roots[MF_BCAST_LEVELS]; /* tree per transmit count (0 = empty) */
	struct mf_bt_store tree;      /* the trees' nodes */
	int top;                      /* levels >= top are empty */
	uint32_t free_nodes;          /* free list of node ids, through next_name */
	uint32_t *names;              /* hash buckets of the named messages */
	size_t n_buckets;             /* power of two, or 0 before the first name */
	size_t n;                     /* queued messages */
	size_t bytes;                 /* their lengths, summed */
	uint32_t id_gen;              /* submission order (wraps); restarts when empty */
	int retransmit_mult;
	uint64_t finished_notify;     /* notify-flagged messages finished or invalidated */
	struct mf_intern own_strs;    /* used unless shared */
	struct mf_intern *strs;       /* messages and names */
	struct mf_bcast_node **slabs; /* node id i is slabs[(i-1)/SLAB][(i-1)%SLAB] */
	size_t n_slabs, cap_slabs;
};

/* memberlist retransmitLimit: mult * ceil(log10(n + 1)). */
int mf_bcast_retransmit_limit(int mult, size_t n);

void mf_bcast_init(struct mf_bcast_queue *q, int retransmit_mult);
void mf_bcast_free(struct mf_bcast_queue *q);
/* Interns into strs (which must outlive q) instead of its own table;
 * only while empty, else MF_ESTATE. */
int mf_bcast_share(struct mf_bcast_queue *q, struct mf_intern *strs);
/* Queues a copy of msg (len <= UINT16_MAX: it must fit a datagram, else
 * MF_EINVAL); name may be NULL (else at most MF_BCAST_NAME_MAX bytes,
 * MF_EINVAL). */
int mf_bcast_push(struct mf_bcast_queue *q, const char *name, size_t name_len,
		  const uint8_t *msg, size_t len, bool notify);
/* The same, sent at most max_transmits times (1..MF_BCAST_CAP_MAX) even
 * when the pool's retransmit limit is higher; 0 = the pool's limit. For
 * messages that need not reach the whole pool (coordinate announcements):
 * their cost per member then stays flat as the pool's log10 N grows. */
#define MF_BCAST_CAP_MAX 127
int mf_bcast_push_capped(struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, bool notify, int max_transmits);
/* mf_bcast_push(q, name, name_len, msg, len, false) with two shortcuts
 * for a join storm, where each of N pools queues the same alive of each
 * member (a cache miss or two each, ~5 % of a 10,000-member simulation):
 * - fresh: the caller knows no message of this name is queued (a member
 *   new to its pool, no member ever dropped from it), so the name index's
 *   chain is not walked; a wrong promise leaves two messages of one name;
 * - *last (in/out, *last may be NULL): a blob this queue's table returned
 *   from an earlier call; when it holds the same name and message, it is
 *   queued with one more reference instead of being hashed and looked up
 *   again. *last is set to the blob queued. The caller keeps it only while
 *   the table does (mf_intern_memo_last). name must not be NULL. */
int mf_bcast_push_hinted(struct mf_bcast_queue *q, const char *name, size_t name_len,
			 const uint8_t *msg, size_t len, bool fresh, const char **last);
/* Picks messages that fit in `limit` bytes, each costing len + overhead,
 * for a pool of n_members. Their bytes are copied into buf (cap >= limit)
 * and views into buf go to out[0..max); *n_out is set. Transmit counts
 * advance and messages at the limit are dropped. */
void mf_bcast_get(struct mf_bcast_queue *q, size_t overhead, size_t limit, size_t n_members,
		  uint8_t *buf, size_t cap, struct mf_bytes *out, size_t max, size_t *n_out);
/* memberlist TransmitLimitedQueue.Prune(max_retain), over the messages
 * whose name starts with prefix only (serf prunes its intent queue so;
 * here intents share the user queue with other messages): past max_retain
 * of them, the most transmitted go first, then the shortest, then the
 * oldest, each finished. Returns how many went. O(n log n). */
size_t mf_bcast_prune_named(struct mf_bcast_queue *q, const char *prefix, size_t prefix_len,
			    size_t max_retain);
size_t mf_bcast_len(const struct mf_bcast_queue *q);
/* How many times the message queued under name has gone out, or -1 when
 * none is queued (never, finished, or dropped): a sender about to replace
 * it learns whether anyone got it. */
int mf_bcast_transmits(const struct mf_bcast_queue *q, const char *name, size_t name_len);
/* The queued messages' bytes, summed (no per-message overhead). */
size_t mf_bcast_bytes(const struct mf_bcast_queue *q);
/* Drops everything (notify-flagged ones count as finished). */
void mf_bcast_reset(struct mf_bcast_queue *q);

#endif

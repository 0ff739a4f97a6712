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
 * Contract: owns copies of the messages; no clock, no I/O.
 */
#ifndef MF_GOSSIP_BROADCAST_H
#define MF_GOSSIP_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/msg.h"

/* Most messages one call hands out (a compound holds at most 255). */
#define MF_BCAST_MAX_PICK 255

struct mf_bcast {
	uint8_t *msg;  /* encoded message, type byte first */
	size_t len;
	char *name;    /* NULL: unique */
	size_t name_len;
	uint64_t name_hash; /* FNV-1a of name: the dedupe scan compares this */
	int transmits;
	int64_t id;    /* submission order */
	bool notify;   /* count in `finished_notify` when done */
};

struct mf_bcast_queue {
	struct mf_bcast *items; /* send order reversed: the next to send is last */
	size_t n, cap;
	int64_t id_gen;
	int retransmit_mult;
	uint64_t finished_notify; /* notify-flagged messages finished or invalidated */
};

/* FNV-1a of a member name: tables scanned once per message or event compare
 * this before the bytes (a flood of new names would otherwise cost a strlen
 * and memcmp per entry per name). */
uint64_t mf_name_hash(const char *s, size_t n);

/* memberlist retransmitLimit: mult * ceil(log10(n + 1)). */
int mf_bcast_retransmit_limit(int mult, size_t n);

void mf_bcast_init(struct mf_bcast_queue *q, int retransmit_mult);
void mf_bcast_free(struct mf_bcast_queue *q);
/* Queues a copy of msg; name may be NULL. */
int mf_bcast_push(struct mf_bcast_queue *q, const char *name, size_t name_len,
		  const uint8_t *msg, size_t len, bool notify);
/* Picks messages that fit in `limit` bytes, each costing len + overhead,
 * for a pool of n_members. Their bytes are copied into buf (cap >= limit)
 * and views into buf go to out[0..max); *n_out is set. Transmit counts
 * advance and messages at the limit are dropped. */
void mf_bcast_get(struct mf_bcast_queue *q, size_t overhead, size_t limit, size_t n_members,
		  uint8_t *buf, size_t cap, struct mf_bytes *out, size_t max, size_t *n_out);
size_t mf_bcast_len(const struct mf_bcast_queue *q);
/* Drops everything (notify-flagged ones count as finished). */
void mf_bcast_reset(struct mf_bcast_queue *q);

#endif

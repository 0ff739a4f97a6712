/*
 * tests/wanem/queue.h — packets held until their release time.
 *
 * Contract: a binary min-heap of packets ordered by (release time, arrival
 * number), so packets with equal release times leave in arrival order and a
 * constant delay never reorders. Owns the packets it holds; pure (the caller
 * passes times in, the queue never reads the clock).
 */
#ifndef MF_WANEM_QUEUE_H
#define MF_WANEM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct mf_wanem_pkt {
	int64_t release_ns;  /* CLOCK_MONOTONIC time to write it out */
	uint64_t seq;        /* arrival number: tie-break */
	uint32_t dst_host;   /* index of the host that receives it */
	uint16_t src_dc, dst_dc;
	uint16_t len;
	uint8_t data[];
};

struct mf_wanem_queue {
	struct mf_wanem_pkt **heap;
	size_t len, cap, limit; /* limit: packets held at most (tail drop) */
	uint64_t next_seq;
};

int mf_wanem_queue_init(struct mf_wanem_queue *q, size_t limit);
void mf_wanem_queue_free(struct mf_wanem_queue *q);

/* Takes ownership of p (allocated with mf_wanem_pkt_new). MF_ETOOBIG when
 * the queue is full: the caller still owns p. */
int mf_wanem_queue_push(struct mf_wanem_queue *q, struct mf_wanem_pkt *p);

/* The next packet due, or NULL when empty. */
struct mf_wanem_pkt *mf_wanem_queue_peek(const struct mf_wanem_queue *q);

/* Removes and returns the head if it is due at `now_ns`, else NULL. */
struct mf_wanem_pkt *mf_wanem_queue_pop_due(struct mf_wanem_queue *q,
					    int64_t now_ns);

struct mf_wanem_pkt *mf_wanem_pkt_new(size_t len);
void mf_wanem_pkt_free(struct mf_wanem_pkt *p);

#endif

/*
 * routing/blobs.h — immutable byte strings interned by content, refcounted.
 *
 * Contract: owns one copy of each distinct content put in and hands out
 * read-only pointers to it; a copy lives until every put of it has been
 * released. Never modifies a blob, never reads the clock or does I/O. Not
 * thread-safe (one event loop, or one simulator process).
 *
 * Why: a routing node keeps every other DC's newest full state encoded, for
 * push-pull (routing/node.h). An agent holds one node, so it gains nothing
 * and keeps its own store; the simulator runs thousands of nodes in one
 * process that all hold the same states, and shares one store among them,
 * so a state is held once per process instead of once per server (1.5 GB
 * at 1,000 DCs x 2 in areas of ~26 neighbours; docs/simulator.md).
 */
#ifndef MF_ROUTING_BLOBS_H
#define MF_ROUTING_BLOBS_H

#include <stddef.h>
#include <stdint.h>

struct mf_blobs;

int mf_blobs_new(struct mf_blobs **out);
/* Frees the store and every blob in it (released or not). */
void mf_blobs_free(struct mf_blobs *b);

/* The interned copy of p[0..len) (len > 0), one more reference to it;
 * NULL when out of memory. */
const uint8_t *mf_blobs_put(struct mf_blobs *b, const uint8_t *p, size_t len);
/* One more reference to a pointer mf_blobs_put returned (no hashing or
 * copying: for a second holder of the same bytes); returns p. */
const uint8_t *mf_blobs_ref(struct mf_blobs *b, const uint8_t *p);
/* Drops one reference to a pointer mf_blobs_put returned (NULL: nothing). */
void mf_blobs_release(struct mf_blobs *b, const uint8_t *p);

/* Distinct blobs held and their bytes (tests, the simulator's report). */
size_t mf_blobs_count(const struct mf_blobs *b);
size_t mf_blobs_bytes(const struct mf_blobs *b);

#endif

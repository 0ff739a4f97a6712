/*
 * gossip/suspects.h — the pool's live suspicion timers, as a binary
 * min-heap on the deadline (earliest first; equal deadlines by name).
 *
 * A mass failure suspects thousands of members at once: the earliest
 * deadline is O(1) to read, and adding, removing or moving one timer (a
 * confirmation shortens it) is O(log S), where a list costs O(S) per call
 * and O(S^2) per tick that expires many.
 *
 * Contract: holds pointers to suspicions it does not own (the member
 * table does), and writes each one's position (heap_pos) so any one can be
 * removed or moved; no clock, no I/O.
 */
#ifndef MF_GOSSIP_SUSPECTS_H
#define MF_GOSSIP_SUSPECTS_H

#include <stddef.h>

#include "gossip/members.h"

struct mf_suspects {
	struct mf_suspicion **heap;
	size_t n, cap;
};

void mf_suspects_init(struct mf_suspects *s);
void mf_suspects_free(struct mf_suspects *s);
/* Adds x by x->deadline; MF_ENOMEM leaves s unchanged. x->rec names it. */
int mf_suspects_add(struct mf_suspects *s, struct mf_suspicion *x);
/* Removes x, which must be in s. */
void mf_suspects_remove(struct mf_suspects *s, struct mf_suspicion *x);
/* Restores the order after x->deadline changed. */
void mf_suspects_moved(struct mf_suspects *s, struct mf_suspicion *x);
/* The earliest deadline's suspicion, or NULL when there is none. */
struct mf_suspicion *mf_suspects_first(const struct mf_suspects *s);

#endif

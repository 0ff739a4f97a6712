/*
 * gossip/suspicion.h — Lifeguard dynamic suspicion timeout (memberlist
 * suspicion.go, util.go suspicionTimeout).
 *
 * A suspicion starts at `max` when confirmations are expected (k >= 1) and
 * shrinks towards `min` as independent peers confirm it:
 *     timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
 * rounded down to whole milliseconds, as memberlist does.
 *
 * Contract: a value; never reads a clock — the owner passes `now` and asks
 * for the deadline. Confirmers are remembered by name so one peer counts
 * once.
 */
#ifndef MF_GOSSIP_SUSPICION_H
#define MF_GOSSIP_SUSPICION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mf_member_record;

struct mf_suspicion {
	int k;            /* confirmations expected */
	int n;            /* confirmations received (not counting the first) */
	int64_t min, max; /* ns */
	int64_t start;    /* when the suspicion began */
	int64_t deadline; /* when the member is declared dead */
	char **from;      /* names seen: the originator and each confirmer */
	size_t n_from;
	/* Where it is held (gossip/members.c, gossip/suspects.c): the
	 * suspected record, and its place in the pool's suspects heap. */
	struct mf_member_record *rec;
	size_t heap_pos;
};

/* memberlist suspicionTimeout: mult * max(1, log10(max(1, n))) * interval,
 * with nodeScale truncated to 1/1000 as Go's Duration arithmetic does. */
int64_t mf_suspicion_min_timeout(int suspicion_mult, size_t n, int64_t probe_interval);
/* Timeout after `confirmations` (before subtracting elapsed time). */
int64_t mf_suspicion_timeout(int confirmations, int k, int64_t min, int64_t max);

/* k = suspicion_mult - 2, or 0 when n - 2 < k (not enough peers to confirm).
 * Returns MF_ENOMEM on allocation failure. */
int mf_suspicion_start(struct mf_suspicion *s, const char *from, size_t from_len, int k,
		       int64_t min, int64_t max, int64_t now);
/* Records a confirmation: 1 when it was new (to be re-gossiped), 0 when
 * it was not (a confirmer seen before, or k reached), MF_ENOMEM when it
 * could not be remembered (s unchanged: the deadline stays as it was). */
int mf_suspicion_confirm(struct mf_suspicion *s, const char *from, size_t from_len, int64_t now);
void mf_suspicion_free(struct mf_suspicion *s);

#endif

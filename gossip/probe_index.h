/*
 * gossip/probe_index.h — the arithmetic the open-addressing indexes share
 * (the member table's name index, the coordinate tracker's cache): linear
 * probing over a power-of-two table at a load under 3/4, deletion by
 * backward shift (no tombstones, so lookups stay short after churn).
 *
 * Contract: pure functions of their arguments; the tables, their slots and
 * how a slot names its entry's home stay with each index.
 */
#ifndef MF_GOSSIP_PROBE_INDEX_H
#define MF_GOSSIP_PROBE_INDEX_H

#include <stdbool.h>
#include <stddef.h>

/* Slots a table needs for n entries: cur when its load stays under 3/4,
 * else doubled from cur (from first when empty) until it does. */
static inline size_t mf_probe_index_slots(size_t n, size_t cur, size_t first)
{
	if (n * 4 < cur * 3)
		return cur;
	size_t nb = cur ? cur * 2 : first;
	while (n * 4 >= nb * 3)
		nb *= 2;
	return nb;
}

/* Slot i was emptied: whether the entry in slot j (further along its run)
 * whose home slot is home stays, or moves back into i. */
static inline bool mf_probe_index_stays(size_t i, size_t j, size_t home)
{
	return i <= j ? (home > i && home <= j) : (home > i || home <= j);
}

#endif

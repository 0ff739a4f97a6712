/*
 * gossip/probe_index.h — the arithmetic the open-addressing indexes share
 * (the member table's name index, the coordinate tracker's cache, routing's
 * reassembly slots and relay marks): linear probing over a power-of-two
 * table at a load under 3/4, deletion by backward shift (no tombstones, so
 * lookups stay short after churn).
 *
 * Contract: pure functions of their arguments; the tables, their slots and
 * how a slot names its entry's home stay with each index.
 */
#ifndef MF_GOSSIP_PROBE_INDEX_H
#define MF_GOSSIP_PROBE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The first empty (0) slot from home on, in a table of nb slots (a power
 * of two) that has one: where a new entry whose home is home goes. */
static inline size_t mf_probe_index_free_slot(const uint32_t *slots, size_t nb, size_t home)
{
	size_t j = home & (nb - 1);
	while (slots[j] != 0)
		j = (j + 1) & (nb - 1);
	return j;
}

/* Slot i was emptied: whether the entry in slot j (further along its run)
 * whose home slot is home stays, or moves back into i. */
static inline bool mf_probe_index_stays(size_t i, size_t j, size_t home)
{
	return i <= j ? (home > i && home <= j) : (home > i || home <= j);
}

#endif

/*
 * cmd/agent/agent_memory.h — how the agent's heap gives memory back
 * (issue 12: RSS per agent at 1,000 members).
 *
 * The agent is one thread on one loop; what grows with the pool is small
 * records (members, interned names, queued broadcasts) with large
 * short-lived buffers between them during joins (push-pull states of
 * every member, their msgpack decoding). glibc's defaults then keep the
 * freed buffers' pages: the mmap threshold rises to the largest mmap'd
 * block ever freed, so later states come from the heap, and freed space
 * under live records is not returned (only the top is trimmed). At 300 members that was 0.4-0.8 MB of free heap per
 * agent, as much as the heap in use.
 *
 * Contract: mf_agent_memory_tune() once, before the agent allocates;
 * then mf_agent_memory_trim() from the agent's housekeeping timer
 * returns free heap pages every MF_AGENT_TRIM_MS. Owns no memory; never
 * touches the pools.
 */
#ifndef MF_CMD_AGENT_MEMORY_H
#define MF_CMD_AGENT_MEMORY_H

#include <uv.h>

/* Blocks of at least this size come from mmap and go back when freed:
 * push-pull states and their decoding (about 100 bytes a member) from a
 * few hundred members up, the transport's 64 KB buffers. */
#define MF_AGENT_MMAP_THRESHOLD (32 * 1024)
/* The heap grows by what a request lacks plus this (glibc: 128 KB).
 * A block above the mmap threshold comes from mmap only when the heap's
 * top cannot hold it, so a large pad kept them in the heap. */
#define MF_AGENT_TOP_PAD (16 * 1024)
/* Free space at the heap's top above this is returned at once. */
#define MF_AGENT_TRIM_THRESHOLD (64 * 1024)
/* Free pages inside the heap are returned this often (malloc_trim). */
#define MF_AGENT_TRIM_MS 30000

/* Fixed malloc thresholds (no dynamic raising) and one arena: the only
 * other thread is libuv's pool (a snapshot's fdatasync), which would
 * otherwise get an arena of its own. */
void mf_agent_memory_tune(void);

/* Returns free heap pages; the agent's housekeeping timer calls it every
 * MF_AGENT_TRIM_MS (cmd/agent/agent.c). */
void mf_agent_memory_trim(void);

/* The heap as malloc sees it, for `meshfed info` (issue 12: which part of
 * an agent's RSS is live data and which is free space malloc keeps). */
struct mf_agent_heap {
	size_t in_use;  /* allocated blocks, heap and mmap'd */
	size_t free;    /* free space inside the heap malloc keeps */
	size_t held;    /* the heap's size (in_use of the heap plus free) */
	size_t mmapped; /* blocks from their own mmap */
};
void mf_agent_memory_heap(struct mf_agent_heap *h);

#endif

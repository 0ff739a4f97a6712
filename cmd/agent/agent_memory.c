/* cmd/agent/agent_memory.c — malloc thresholds and the periodic trim (agent_memory.h). */
#include "cmd/agent/agent_memory.h"

#include <malloc.h>

void mf_agent_memory_tune(void)
{
	/* mallopt fails only for an unknown parameter: nothing to handle. */
	(void)mallopt(M_MMAP_THRESHOLD, MF_AGENT_MMAP_THRESHOLD);
	(void)mallopt(M_TRIM_THRESHOLD, MF_AGENT_TRIM_THRESHOLD);
	(void)mallopt(M_TOP_PAD, MF_AGENT_TOP_PAD);
	(void)mallopt(M_ARENA_MAX, 1);
}

void mf_agent_memory_trim(void)
{
	(void)malloc_trim(0); /* 1 when something was returned: either is fine */
}

void mf_agent_memory_heap(struct mf_agent_heap *h)
{
	struct mallinfo2 mi = mallinfo2();
	h->in_use = mi.uordblks + mi.hblkhd;
	h->free = mi.fordblks;
	h->held = mi.arena;
	h->mmapped = mi.hblkhd;
}

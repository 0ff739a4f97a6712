/*
 * routing/relay_marks.h — what a routing node relayed: for each origin DC,
 * and for each (origin, server) whose adverts carry gateways, the newest
 * advertisement whose fragments it queued again, and which of them
 * (node.h: gossip is epidemic; older adverts are never relayed, and each
 * fragment of the newest only once).
 *
 * Why a module: a node holds one mark per server heard (every server of a
 * large DC sends its own state), so the marks grow with the pool. They
 * were 536-byte records with two inline 256-byte names, found by a linear
 * scan per fragment received (issue 12: at 833 agents in one DC, ~0.5 MB
 * of an agent's heap, and O(N) per advert heard). A mark is now 40 bytes
 * holding its names as ids (gossip/name_ids.h, shared with the pools: no
 * copy), found through an open-addressing index (gossip/probe_index.h) of
 * 32-bit mark ids.
 *
 * Contract: owns the marks and holds their names' ids; marks are never
 * removed (as before: a DC or server heard once keeps its mark, which is
 * what makes a late duplicate of an old advert not news). No clock, no I/O.
 * Costs: mf_relay_marks_news is O(1) expected plus the names' lengths.
 */
#ifndef MF_ROUTING_RELAY_MARKS_H
#define MF_ROUTING_RELAY_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/name_ids.h"

struct mf_relay_mark {
	uint64_t h;      /* mf_advert_key_hash(origin, per_node ? node : NULL) */
	uint64_t seq;
	uint64_t frags;  /* bit f: fragment f relayed (all set: the whole advert) */
	uint32_t origin, node; /* ids (of the node of that seq) in the marks' ids */
	bool per_node;
};

struct mf_relay_marks {
	struct mf_relay_mark *marks;
	size_t n, cap;
	uint32_t *index; /* mark id + 1 by h; 0 = empty; power of two */
	size_t n_index;
	/* The marks' names as ids: own_ids, or ids shared with the pools
	 * (a name they hold costs a mark nothing; issue 12). */
	struct mf_name_ids own_ids;
	struct mf_name_ids *ids;
};

void mf_relay_marks_init(struct mf_relay_marks *m);
/* Holds the names in ids (which must outlive m) instead of its own; before
 * the first mark only (false after). */
bool mf_relay_marks_share_names(struct mf_relay_marks *m, struct mf_name_ids *ids);
void mf_relay_marks_free(struct mf_relay_marks *m);

/* Marks fragment f (f < 0 or f >= 64: the whole advert) of (seq, node) of
 * origin as relayed; true when it is newer than every one relayed before
 * (of that server only, when per_node; of the same seq, a later node name
 * wins), or the same one with fragment f not relayed yet. False, and
 * nothing marked, for a node name of 256 bytes or more, or when out of
 * memory. */
bool mf_relay_marks_news(struct mf_relay_marks *m, const char *origin, const char *node,
			 uint64_t seq, int f, bool per_node);

/* Bytes the marks hold (records, names, index; for tests and reports). */
size_t mf_relay_marks_bytes(const struct mf_relay_marks *m);

#endif

/*
 * gossip/members.h — the member table of one pool: records, the name index
 * and the probe order.
 *
 * Contract: owns the records (stable pointers until removed); no clock, no
 * I/O, no protocol decisions — gossip/pool.c decides state transitions, this
 * file only stores them. Records are kept sorted by name (binary search,
 * and `meshfed members` lists in name order); the probe list is a separate
 * array the pool shuffles every full pass (memberlist resetNodes).
 */
#ifndef MF_GOSSIP_MEMBERS_H
#define MF_GOSSIP_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/msg.h"
#include "gossip/pool.h"
#include "gossip/suspicion.h"

struct mf_mrec {
	char *name;
	size_t name_len;
	struct mf_addr addr;
	uint8_t *meta;              /* meta_len bytes (NULL when 0): sized to fit, not
				     * MF_META_MAX inline, as most metas are tens of bytes */
	size_t meta_len;
	uint8_t vsn[MF_VSN_LEN];
	uint32_t incarnation;
	enum mf_node_state state;   /* memberlist's view: alive/suspect/dead/left */
	mf_time_t state_change;
	/* memberlist drops dead nodes from its table once gossip_to_the_dead has
	 * passed (resetNodes); serf keeps them as failed for reconnect and reap.
	 * A forgotten record is serf's: listed, but treated as unknown by the
	 * protocol (any alive for it is accepted as a fresh join). */
	bool forgotten;
	bool suspecting;            /* `susp` is live */
	/* Our own probes of it in a row that got no direct answer (UDP ack
	 * from its address, or the TCP fallback): alive through indirect
	 * acks only. 0 after a direct one. */
	uint8_t direct_misses;
	struct mf_suspicion susp;
	size_t susp_pos;            /* index in the pool's suspects heap while suspecting */
	bool doomed;                /* to be freed by the next mf_members_sweep */
};

struct mf_members {
	struct mf_mrec **by_name; /* sorted by name */
	size_t n, cap;
	struct mf_mrec **probe;   /* probe order; same records, shuffled */
	size_t n_probe;
};

void mf_members_init(struct mf_members *t);
void mf_members_free(struct mf_members *t);
struct mf_mrec *mf_members_find(const struct mf_members *t, const char *name, size_t len);
/* Adds a zeroed record named `name`; it goes into the probe list at
 * `probe_pos` (clamped), swapping the one there to the end, as memberlist
 * inserts at a random offset so the failure detection bound stays low. */
int mf_members_add(struct mf_members *t, const char *name, size_t len, size_t probe_pos,
		   struct mf_mrec **out);
/* Replaces m's meta with a copy of len bytes (len <= MF_META_MAX);
 * MF_ENOMEM leaves it unchanged. */
int mf_members_set_meta(struct mf_mrec *m, const uint8_t *meta, size_t len);
/* Removes and frees a record: O(n). */
void mf_members_remove(struct mf_members *t, struct mf_mrec *m);
/* Removes and frees every record marked `doomed` in one O(n) pass, keeping
 * the others' name and probe order; returns probe_index less the number of
 * removed probe slots before it (the same slot stays next). */
size_t mf_members_sweep(struct mf_members *t, size_t probe_index);
/* Name order: bytes, then length. */
int mf_members_cmp_name(const char *a, size_t alen, const char *b, size_t blen);

#endif

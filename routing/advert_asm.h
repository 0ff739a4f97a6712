/*
 * routing/advert_asm.h — joins the fragments of one advertisement
 * (routing/advert.h) back into its full state.
 *
 * Contract: pure and bounded. Owns the partial states it holds (at most
 * max_pending of them) and the marker of each (origin, node)'s last joined
 * seq (the names held as ids, gossip/name_ids.h); never decodes bytes (it takes decoded fragments) and never checks
 * routes (the engine does).
 */
#ifndef MF_ROUTING_ADVERT_ASM_H
#define MF_ROUTING_ADVERT_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "gossip/name_ids.h"
#include "routing/advert.h"

/* Reassembly of fragments, keyed by (origin, node). A fragment of a newer
 * seq drops an older partial state; an older one is ignored. Bounded: at
 * most `max_pending` partial states are held. */
struct mf_advert_asm_slot;
struct mf_advert_asm {
	size_t n, cap, max_pending;
	struct mf_advert_asm_slot *slots;
	/* Slot id + 1 by key hash (0: empty; power of two, load under 3/4):
	 * a node holds a slot per server heard, so a scan per fragment was
	 * O(servers) (issue 12). */
	uint32_t *index;
	size_t n_index;
	/* Slots hold their (origin, node) as ids here (no copy of their own:
	 * a name the pools hold costs nothing, issue 12): own_ids, or ids
	 * shared with the pools (mf_advert_asm_share_names). */
	struct mf_name_ids own_ids;
	struct mf_name_ids *ids;
};
void mf_advert_asm_init(struct mf_advert_asm *s, size_t max_pending);
/* Holds the slots' names in ids (which must outlive s) instead of its own;
 * before the first fragment only (MF_EINVAL after). */
int mf_advert_asm_share_names(struct mf_advert_asm *s, struct mf_name_ids *ids);
void mf_advert_asm_free(struct mf_advert_asm *s);
/* Takes ownership of *frag (left empty). Returns 1 with the joined state in
 * *out when this fragment completed one, 0 when more are needed or it was
 * stale, or a negative error. */
int mf_advert_asm_add(struct mf_advert_asm *s, struct mf_advert *frag, struct mf_advert *out);
/* Drops partial state of an origin DC (e.g. when it expires). */
void mf_advert_asm_forget(struct mf_advert_asm *s, const char *origin);

/* A hash of an (origin, node) key (node NULL: the origin alone): lists
 * with a record per server heard (slots here, the node's relay and gateway
 * records) compare it before the names, as a lookup runs per fragment. */
uint64_t mf_advert_key_hash(const char *origin, const char *node);

#endif

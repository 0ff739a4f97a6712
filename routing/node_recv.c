/*
 * routing/node_recv.c — a routing message that arrived in one of the node's
 * pools (node_internal.h; contract in node.h): a beat to node_beats.c; a
 * digest or pull to node_digest.c; a fragment (gossiped, or a pull's answer)
 * checked, relayed (gossiped ones), then a delta to node_delta.c or a full
 * state's fragment joined (advert_asm) and its whole to node_adverts.c.
 */
#include <stdio.h>
#include <string.h>

#include "gossip/serf.h"
#include "routing/node_internal.h"

/* Gossip of an advertisement is epidemic, as memberlist's own state: a
 * member queues a fragment it had not seen for its own retransmissions
 * (the pool's transmit limit), so a change reaches all of a large pool in
 * O(log n) gossip rounds, not only the members the origin's few
 * transmissions happened to hit. Keyed by origin and fragment, so a newer
 * advertisement's fragment replaces an older one's still queued; a
 * separate key space from our own advertisement's. Only in the pool it
 * came through, and only for origins with a server alive there (as
 * take_advert stores them). A fragment that is not its DC's newest but
 * changes the DC's gateway set (node.h) is news too, queued under a key of
 * its server, so the newest advert of another server does not replace it. */
static void relay_fragment(struct mf_routing_node_slot *sl, const struct mf_advert *frag,
			   const uint8_t *msg, size_t len)
{
	struct mf_routing_node *n = sl->node;
	if (!sl->pool || !frag->origin || !frag->node || strcmp(frag->node, n->name) == 0 ||
	    frag->frag_count > MF_ROUTING_NODE_RELAY_FRAGS || !mf_rn__pool_has_dc(sl, frag->origin))
		return;
	char key[2 * MF_ADVERT_STR_MAX + 48];
	/* A full state: both records are marked, whichever makes it news. */
	bool dc_news = !frag->base_seq &&
		       mf_rn__relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, false);
	bool node_news = !frag->base_seq &&
			 mf_rn__relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, true);
	if (frag->base_seq) {
		/* A delta: news when its origin's newest (only that one counts
		 * for routes), under a key of its own (bit 63) so it does not
		 * replace a queued full state. */
		if (!mf_rn__relay_news(n, frag->origin, frag->node, frag->seq, 63, false))
			return;
		snprintf(key, sizeof(key), "mf-relay:%s:d", frag->origin);
	} else if (dc_news || node_news) {
		/* A full state is news when it is its server's newest, even if
		 * not its DC's: it is the base of that server's deltas (a
		 * member without it cannot use them), and it carries that
		 * server's gateways (node.h). */
		snprintf(key, sizeof(key), "mf-relay:%s:%s:%u", frag->origin, frag->node,
			 (unsigned)frag->frag_index);
	} else {
		return;
	}
	/* A relayed delta goes fewer times than the pool's limit: every member
	 * relays it, so each one transmitting a few times reaches the pool, and
	 * one that misses it gets the next delta of its server, which is
	 * cumulative, or the full refresh (docs/routing.md, "Deltas"). */
	int cap = frag->base_seq ? MF_ROUTING_NODE_DELTA_RELAY_TRANSMITS : 0;
	if (mf_pool_broadcast_user_capped(sl->pool, key, msg, len, cap) == 0) {
		n->stats.relayed++;
		n->stats.bytes_out += len;
	}
}

void mf_routing_node_on_user_msg(void *slot, const uint8_t *msg, size_t len)
{
	struct mf_routing_node_slot *sl = slot;
	struct mf_routing_node *n = sl->node;
	if (len < 1 || msg[0] != MF_SERF_MSG_MESHFED)
		return;
	if (len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_BEAT) {
		mf_rn__on_beat(sl, msg + 2, len - 2);
		return;
	}
	if (len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_REQUEST) {
		mf_rn__on_request(sl, msg + 2, len - 2);
		return;
	}
	if (len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_REACH) {
		mf_rn__on_reach(sl, msg + 2, len - 2);
		return;
	}
	if (len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_DIGEST) {
		mf_rn__on_digest(sl, msg + 2, len - 2);
		return;
	}
	/* A pull's answer (node_digest.c) is taken as an advert, but was sent
	 * to us alone: it is not news to relay. */
	bool pulled = len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_STATE;
	if (len < 2 || (msg[1] != MF_ROUTING_NODE_MSG_ADVERT && !pulled)) {
		n->stats.bad_fragments++;
		return;
	}
	n->stats.fragments_in++;
	n->stats.bytes_in += len;
	struct mf_advert frag, full;
	memset(&frag, 0, sizeof(frag));
	memset(&full, 0, sizeof(full));
	if (mf_advert_decode_msg(msg + 2, len - 2, &frag) < 0) {
		n->stats.bad_fragments++;
		return;
	}
	/* Checked before anything else, relay included: a fragment the engine
	 * would refuse is neither passed on nor kept for reassembly. */
	int c = mf_routing_check_advert(n->engine, &frag);
	if (c < 0 || (strcmp(frag.origin, n->dc) == 0 && mf_rn__foreign_server(n, frag.node))) {
		if (c < 0)
			mf_rn__count_refused(n, c);
		else
			n->stats.adverts_own_dc_foreign++;
		mf_advert_free(&frag);
		return;
	}
	/* A state of a DC with no alive server in this pool (a mate relayed
	 * it before we learnt that DC's members here) is not taken (node.h),
	 * so it must not become the base we hold of its server either: the
	 * base is what our pulls say we have, and what makes later copies
	 * duplicates. Kept, it left the engine without the DC while every
	 * pull got an empty answer, until that server's next state: servers
	 * of one DC then disagreed for minutes (docs/routing.md, "Deltas
	 * direct, and the DC agreement deadlock"). */
	if (strcmp(frag.origin, n->dc) != 0 && !mf_rn__pool_has_dc(sl, frag.origin)) {
		n->stats.adverts_foreign++;
		mf_advert_free(&frag);
		return;
	}
	if (!pulled)
		relay_fragment(sl, &frag, msg, len);
	if (frag.origin && frag.node && strcmp(frag.node, n->name) != 0)
		mf_rn__gw_heard_touch(n, frag.origin, frag.node, false);
	if (frag.base_seq) {
		if (mf_rn__take_delta(sl, &frag, msg + 2, len - 2) < 0)
			n->stats.local_errors++;
		return;
	}
	int r = mf_advert_asm_add(&n->asm_, &frag, &full);
	mf_advert_free(&frag);
	if (r == 1) {
		char origin[MF_ADVERT_STR_MAX + 1], node[MF_ADVERT_STR_MAX + 1];
		snprintf(origin, sizeof(origin), "%s", full.origin ? full.origin : "");
		snprintf(node, sizeof(node), "%s", full.node ? full.node : "");
		/* The base of that server's deltas, whatever its size (kept in
		 * the node's blobs: the simulator's nodes share one copy). */
		if (mf_rn__keep_base(n, &full) < 0)
			n->stats.local_errors++;
		/* A server's (node, seq) names one state: the base's bytes are
		 * what storing it for push-pull would encode. */
		const struct base_in *b = mf_rn__base_of(n, origin, node);
		bool same = b && b->buf && b->seq == full.seq;
		mf_rn__take_advert_kept(sl, &full, same ? b->buf : NULL, same ? b->len : 0);
		if (mf_rn__take_pending(sl, origin, node) < 0)
			n->stats.local_errors++;
	} else if (r < 0) {
		n->stats.bad_fragments++;
	}
}

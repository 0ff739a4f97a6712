/*
 * routing/node_adverts.c — received advertisement fragments: checked,
 * reassembled, stored (encoded, for push-pull) and relayed (node_internal.h;
 * contract in node.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/mp.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "routing/node_internal.h"

/* --- stored adverts ---------------------------------------------------------*/

static bool relay_news(struct mf_routing_node *n, const char *origin, const char *node,
		       uint64_t seq, int f, bool per_node);

static struct stored_advert *find_stored(struct mf_routing_node *n, const char *o)
{
	for (size_t i = 0; i < n->n_stored; i++)
		if (strcmp(n->stored[i].origin, o) == 0)
			return &n->stored[i];
	return NULL;
}

void mf_rn__drop_stored(struct mf_routing_node *n, struct stored_advert *s)
{
	free(s->origin);
	mf_blobs_release(n->blobs, s->buf);
	*s = n->stored[--n->n_stored];
}

/* Counts an advertisement or fragment the engine refused, by cause. */
static void count_refused(struct mf_routing_node *n, int rc)
{
	if (rc == MF_ETOOBIG)
		n->stats.adverts_too_many_dcs++;
	else if (rc == MF_ESTATE)
		n->stats.adverts_seq_jump++;
	else
		n->stats.adverts_bad_path++;
}

/* A complete advertisement (consumed) that arrived in slot s's pool: to the
 * engine, and kept if stored; only origins with an alive server in that
 * pool count (node.h). */
void mf_rn__take_advert(struct mf_routing_node_slot *sl, struct mf_advert *adv)
{
	struct mf_routing_node *n = sl->node;
	if (!adv->origin || strcmp(adv->origin, n->dc) == 0 || !mf_rn__pool_has_dc(sl, adv->origin)) {
		int own = adv->origin && strcmp(adv->origin, n->dc) == 0, rc;
		/* raises our next seq; another server's gateways are kept */
		if (own && mf_rn__foreign_server(n, adv->node))
			n->stats.adverts_own_dc_foreign++;
		else if (own && (rc = mf_routing_set_advert(n->engine, adv)) < 0)
			count_refused(n, rc);
		else if (own && adv->node && strcmp(adv->node, n->name) != 0)
			mf_rn__gw_heard_touch(n, adv->origin, adv->node, adv->n_gateways > 0);
		else if (!own)
			n->stats.adverts_foreign++;
		mf_advert_free(adv);
		return;
	}
	int r = mf_routing_set_advert(n->engine, adv);
	if (r >= 0 && adv->node)
		mf_rn__gw_heard_touch(n, adv->origin, adv->node, adv->n_gateways > 0);
	if (r == 1) {
		n->stats.adverts_stored++;
		if (adv->node)
			(void)relay_news(n, adv->origin, adv->node, adv->seq, -1, false);
		msgpack_sbuffer_clear(&n->scratch);
		struct stored_advert *s = find_stored(n, adv->origin);
		const uint8_t *copy = NULL;
		if (mf_advert_encode_full(&n->scratch, adv) == 0 &&
		    (copy = mf_blobs_put(n->blobs, (const uint8_t *)n->scratch.data,
					 n->scratch.size))) {
			if (!s)
				(void)mf_grow(&n->stored, &n->cap_stored, n->n_stored + 1, 8);
			if (s) {
				mf_blobs_release(n->blobs, s->buf);
				s->buf = copy;
				s->len = n->scratch.size;
			} else if (n->n_stored < n->cap_stored &&
				   (n->stored[n->n_stored].origin = strdup(adv->origin))) {
				n->stored[n->n_stored].buf = copy;
				n->stored[n->n_stored++].len = n->scratch.size;
			} else {
				mf_blobs_release(n->blobs, copy);
			}
		}
	} else if (r == 0) {
		n->stats.adverts_stale++;
	} else {
		count_refused(n, r);
	}
	mf_advert_free(adv);
}

/* The relay record of origin (of its server node when per_node), created
 * (empty) when missing; NULL when out of memory. */
static struct relayed *relay_record(struct mf_routing_node *n, const char *origin, const char *node,
				    bool per_node)
{
	for (size_t i = 0; i < n->n_relayed; i++)
		if (n->relayed[i].per_node == per_node && strcmp(n->relayed[i].origin, origin) == 0 &&
		    (!per_node || strcmp(n->relayed[i].node, node) == 0))
			return &n->relayed[i];
	if (mf_grow(&n->relayed, &n->cap_relayed, n->n_relayed + 1, 16) < 0)
		return NULL;
	struct relayed *r = &n->relayed[n->n_relayed++];
	memset(r, 0, sizeof(*r));
	snprintf(r->origin, sizeof(r->origin), "%s", origin);
	r->per_node = per_node;
	if (per_node)
		snprintf(r->node, sizeof(r->node), "%s", node);
	return r;
}

/* Marks fragment f (f < 0: the whole advert) of (seq, node) of origin as
 * relayed; true when it is newer than every one relayed before (of that
 * server only, when per_node), or the same one with fragment f not relayed
 * yet. */
static bool relay_news(struct mf_routing_node *n, const char *origin, const char *node,
		       uint64_t seq, int f, bool per_node)
{
	if (strlen(node) >= sizeof(((struct relayed *)0)->node))
		return false;
	struct relayed *r = relay_record(n, origin, node, per_node);
	if (!r)
		return false;
	int c = seq != r->seq ? (seq > r->seq ? 1 : -1) : strcmp(node, r->node);
	uint64_t bit = f >= 0 && f < 64 ? 1ULL << f : ~0ULL;
	if (c < 0 || (c == 0 && (r->frags & bit) == bit))
		return false;
	if (c > 0) {
		snprintf(r->node, sizeof(r->node), "%s", node);
		r->seq = seq;
		r->frags = 0;
	}
	r->frags |= bit;
	return true;
}

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
		       relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, false);
	bool node_news = !frag->base_seq &&
			 relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, true);
	if (frag->base_seq) {
		/* A delta: news when its origin's newest (only that one counts
		 * for routes), under a key of its own (bit 63) so it does not
		 * replace a queued full state. */
		if (!relay_news(n, frag->origin, frag->node, frag->seq, 63, false))
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
	if (len < 2 || msg[1] != MF_ROUTING_NODE_MSG_ADVERT) {
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
			count_refused(n, c);
		else
			n->stats.adverts_own_dc_foreign++;
		mf_advert_free(&frag);
		return;
	}
	relay_fragment(sl, &frag, msg, len);
	if (frag.origin && frag.node && strcmp(frag.node, n->name) != 0)
		mf_rn__gw_heard_touch(n, frag.origin, frag.node, false);
	if (frag.base_seq) {
		mf_rn__take_delta(sl, &frag, msg + 2, len - 2);
		return;
	}
	uint32_t frag_count = frag.frag_count;
	int r = mf_advert_asm_add(&n->asm_, &frag, &full);
	mf_advert_free(&frag);
	if (r == 1) {
		char origin[MF_ADVERT_STR_MAX + 1], node[MF_ADVERT_STR_MAX + 1];
		snprintf(origin, sizeof(origin), "%s", full.origin ? full.origin : "");
		snprintf(node, sizeof(node), "%s", full.node ? full.node : "");
		/* A sender sends deltas only on a state of at most
		 * MF_ROUTING_NODE_RELAY_FRAGS fragments (node.c's
		 * broadcast_advert): a larger base would never be used, and at
		 * 1,000 DCs x 2 such bases were 36 MB per agent
		 * (docs/simulator.md). */
		if (frag_count <= MF_ROUTING_NODE_RELAY_FRAGS)
			mf_rn__keep_base(n, &full);
		mf_rn__take_advert(sl, &full);
		mf_rn__take_pending(sl, origin, node);
	} else if (r < 0) {
		n->stats.bad_fragments++;
	}
}

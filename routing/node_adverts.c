/*
 * routing/node_adverts.c — received advertisements, once whole: to the
 * engine, stored (encoded, for push-pull), and the records of what was
 * relayed (node_internal.h; contract in node.h). Fragments arrive through
 * node_recv.c.
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

struct stored_advert *mf_rn__find_stored(struct mf_routing_node *n, const char *o)
{
	for (size_t i = 0; i < n->n_stored; i++)
		if (strcmp(n->stored[i].origin, o) == 0)
			return &n->stored[i];
	return NULL;
}

uint8_t *mf_rn__framed(uint8_t type, const msgpack_sbuffer *body, size_t *len)
{
	uint8_t *msg = malloc(body->size + 2);
	if (!msg)
		return NULL;
	msg[0] = MF_SERF_MSG_MESHFED;
	msg[1] = type;
	memcpy(msg + 2, body->data, body->size);
	*len = body->size + 2;
	return msg;
}

void mf_rn__drop_stored(struct mf_routing_node *n, struct stored_advert *s)
{
	free(s->origin);
	free(s->node);
	mf_blobs_release(n->blobs, s->buf);
	*s = n->stored[--n->n_stored];
}

/* Counts an advertisement or fragment the engine refused, by cause. */
void mf_rn__count_refused(struct mf_routing_node *n, int rc)
{
	if (rc == MF_ETOOBIG)
		n->stats.adverts_too_many_dcs++;
	else if (rc == MF_ESTATE)
		n->stats.adverts_seq_jump++;
	else if (rc == MF_ENOMEM)
		n->stats.local_errors++; /* our failure, not the sender's */
	else
		n->stats.adverts_bad_path++;
}

/* adv encoded whole, for push-pull and pulls, in the node's blobs (*len
 * bytes; NULL when out of memory or not encodable): `kept` when the caller
 * has the same state so encoded already (mf_rn__take_advert_kept). */
static const uint8_t *stored_bytes(struct mf_routing_node *n, const struct mf_advert *adv,
				   const uint8_t *kept, size_t kept_len, size_t *len)
{
	if (kept) {
		*len = kept_len;
		return mf_blobs_ref(n->blobs, kept);
	}
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_advert_encode_full(&n->scratch, adv) < 0)
		return NULL;
	*len = n->scratch.size;
	return mf_blobs_put(n->blobs, (const uint8_t *)n->scratch.data, n->scratch.size);
}

/* A complete advertisement (consumed) that arrived in slot s's pool: to the
 * engine, and kept if stored; only origins with an alive server in that
 * pool count (node.h). */
void mf_rn__take_advert(struct mf_routing_node_slot *sl, struct mf_advert *adv)
{
	mf_rn__take_advert_kept(sl, adv, NULL, 0);
}

void mf_rn__take_advert_kept(struct mf_routing_node_slot *sl, struct mf_advert *adv, const uint8_t *kept,
			     size_t kept_len)
{
	struct mf_routing_node *n = sl->node;
	if (!adv->origin || strcmp(adv->origin, n->dc) == 0 || !mf_rn__pool_has_dc(sl, adv->origin)) {
		int own = adv->origin && strcmp(adv->origin, n->dc) == 0, rc;
		/* raises our next seq; another server's gateways are kept */
		if (own && mf_rn__foreign_server(n, adv->node))
			n->stats.adverts_own_dc_foreign++;
		else if (own && (rc = mf_routing_set_advert(n->engine, adv)) < 0)
			mf_rn__count_refused(n, rc);
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
			(void)mf_rn__relay_news(n, adv->origin, adv->node, adv->seq, -1, false);
		struct stored_advert *s = mf_rn__find_stored(n, adv->origin);
		size_t len = 0;
		const uint8_t *copy = stored_bytes(n, adv, kept, kept_len, &len);
		if (copy) {
			/* Out of memory: not kept for push-pull (the engine has
			 * it; the server's next advert is kept), counted below. */
			if (!s)
				(void)mf_grow(&n->stored, &n->cap_stored, n->n_stored + 1, 8);
			char *node = strdup(adv->node ? adv->node : "");
			if (s && node) {
				mf_blobs_release(n->blobs, s->buf);
				free(s->node);
				*s = (struct stored_advert){s->origin, node, adv->seq, copy, len};
			} else if (!s && node && n->n_stored < n->cap_stored &&
				   (n->stored[n->n_stored].origin = strdup(adv->origin))) {
				s = &n->stored[n->n_stored++];
				*s = (struct stored_advert){s->origin, node, adv->seq, copy, len};
			} else {
				free(node);
				mf_blobs_release(n->blobs, copy);
				n->stats.local_errors++;
			}
		}
	} else if (r == 0) {
		n->stats.adverts_stale++;
	} else {
		mf_rn__count_refused(n, r);
	}
	mf_advert_free(adv);
}

/* The relay record of origin (of its server node when per_node), created
 * (empty) when missing; NULL when out of memory. */
static struct relayed *relay_record(struct mf_routing_node *n, const char *origin, const char *node,
				    bool per_node)
{
	uint64_t h = mf_advert_key_hash(origin, per_node ? node : NULL);
	for (size_t i = 0; i < n->n_relayed; i++)
		if (n->relayed_h[i] == h && n->relayed[i].per_node == per_node &&
		    strcmp(n->relayed[i].origin, origin) == 0 &&
		    (!per_node || strcmp(n->relayed[i].node, node) == 0))
			return &n->relayed[i];
	if (mf_grow(&n->relayed, &n->cap_relayed, n->n_relayed + 1, 16) < 0 ||
	    mf_grow(&n->relayed_h, &n->cap_relayed_h, n->n_relayed + 1, 16) < 0)
		return NULL;
	n->relayed_h[n->n_relayed] = h;
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
bool mf_rn__relay_news(struct mf_routing_node *n, const char *origin, const char *node,
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

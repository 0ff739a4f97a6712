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

bool mf_rn__relay_news(struct mf_routing_node *n, const char *origin, const char *node,
		       uint64_t seq, int f, bool per_node)
{
	return mf_relay_marks_news(&n->relayed, origin, node, seq, f, per_node);
}

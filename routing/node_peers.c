/*
 * routing/node_peers.c — what the node knows of other servers (node_internal.h;
 * contract in node.h): whether a pool has an alive server of a DC, whether a
 * server is of another DC than ours, and which servers of other DCs carried
 * gateways and when we last heard from them (their expiry is node.c's tick).
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "routing/node_internal.h"

/* True when a server of DC dc is alive in the slot's pool. */
bool mf_rn__pool_has_dc(struct mf_routing_node_slot *s, const char *dc)
{
	if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, s->node->name) < 0)
		return false;
	const struct mf_dc_group *g = mf_dc_index_find(&s->dcx, dc);
	return g != NULL && g->n_alive > 0;
}

/* Whether `node` is a member of one of our pools whose DC is not ours: it
 * may not speak for our DC (raise our seq, set its gateways or its shared
 * choice). A name we do not know is let through: a server of our DC may
 * gossip before its join reaches us, and in a plaintext pool a name is a
 * claim anyway (docs/security.md). */
bool mf_rn__foreign_server(const struct mf_routing_node *n, const char *node)
{
	char mdc[MF_ROUTING_NODE_DC_MAX + 1];
	for (size_t i = 0; node && i < n->n_slots; i++) {
		struct mf_member m;
		if (n->slots[i].pool && mf_pool_member_find(n->slots[i].pool, node, &m) == 0 &&
		    mf_dc_index_member_dc(&m, mdc, sizeof(mdc)))
			return strcmp(mdc, n->dc) != 0;
	}
	return false;
}

void mf_rn__gw_heard_drop(struct mf_routing_node *n, size_t i)
{
	free(n->gw_heard[i].origin);
	free(n->gw_heard[i].node);
	n->gw_heard[i] = n->gw_heard[--n->n_gw_heard];
}

/* Notes that server `node` of DC `origin` was heard from; creates its
 * record only when `create` (its advert carried gateways). */
void mf_rn__gw_heard_touch(struct mf_routing_node *n, const char *origin, const char *node,
			   bool create)
{
	uint64_t hash = mf_advert_key_hash(origin, node);
	for (size_t i = 0; i < n->n_gw_heard; i++)
		if (n->gw_heard[i].h == hash && strcmp(n->gw_heard[i].node, node) == 0 &&
		    strcmp(n->gw_heard[i].origin, origin) == 0) {
			n->gw_heard[i].pending = true;
			return;
		}
	if (!create || n->n_gw_heard >= GW_HEARD_MAX)
		return;
	if (mf_grow(&n->gw_heard, &n->cap_gw_heard, n->n_gw_heard + 1, 8) < 0)
		return;
	struct gw_heard *h = &n->gw_heard[n->n_gw_heard];
	h->origin = strdup(origin);
	h->node = strdup(node);
	h->heard = 0;
	h->pending = true;
	h->h = hash;
	if (h->origin && h->node) {
		n->n_gw_heard++;
	} else {
		free(h->origin);
		free(h->node);
	}
}

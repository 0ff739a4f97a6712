/*
 * routing/node_delta.c — deltas (routing/advert_delta.h): ours sent against
 * the last full state we broadcast, others' applied to the full state their
 * server sent before (node_internal.h; contract in node.h).
 *
 * Why: under noise, routes change often at 40-60 DCs, and each change was a
 * full state that every member of the pool relays, so one changed route cost
 * bytes in proportion to the number of DCs (docs/routing.md, "Deltas").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/broadcast.h"
#include "gossip/grow.h"
#include "gossip/serf.h"
#include "routing/advert_delta.h"
#include "routing/node_internal.h"

/* --- ours ------------------------------------------------------------------*/

void mf_rn__keep_sent(struct mf_routing_node *n, struct mf_advert *adv)
{
	mf_advert_free(&n->base_out);
	n->base_out = *adv;
	memset(adv, 0, sizeof *adv);
}

/* Whether a new base may go out early (before the refresh): every member
 * relays a base at its pool's transmit limit, so each costs every member
 * limit x its bytes; early bases of all the pool's servers together stay
 * under MF_ROUTING_NODE_REBASE_BUDGET per member. */
static bool rebase_affordable(struct mf_routing_node *n, const struct mf_advert *adv, mf_time_t now)
{
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_advert_encode_full(&n->scratch, adv) < 0)
		return false;
	double every = 0; /* s */
	for (size_t i = 0; i < n->n_slots; i++) {
		if (!n->slots[i].pool)
			continue;
		size_t members = mf_pool_member_count(n->slots[i].pool);
		int limit = mf_bcast_retransmit_limit(
			mf_pool_config(n->slots[i].pool)->timing.retransmit_mult, members);
		double s = (double)members * limit * (double)n->scratch.size /
			   MF_ROUTING_NODE_REBASE_BUDGET;
		if (s > every)
			every = s;
	}
	return (double)(now - n->last_full) >= every * (double)MF_SEC;
}

int mf_rn__send_delta(struct mf_routing_node *n, const struct mf_advert *adv, mf_time_t now)
{
	struct mf_advert d;
	double pct, ms;
	mf_routing_readvertise_margin(n->engine, &pct, &ms);
	if (!n->base_out.origin || mf_advert_delta(&n->base_out, adv, pct, ms, &d) != 0)
		return 0;
	/* Cumulative, so it grows until the next base. Past half the routes
	 * a full state is as good a message and becomes the new base, but
	 * only as often as the pool can carry bases (rebase_affordable); else
	 * the delta goes as long as it fits one message. Rebasing at half the
	 * routes whatever the cost sent one full state per server every 17 s
	 * at 60 DCs under noise, about four times what the gossip could carry:
	 * bases were lost in the queues, a quarter of the deltas found none,
	 * and routes flapped (docs/routing.md, "Deltas"). */
	size_t items = d.n_routes + d.n_gone;
	if (2 * items > adv->n_routes && rebase_affordable(n, adv, now)) {
		mf_advert_free(&d);
		return 0;
	}
	int sent = 0;
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_advert_encode_full(&n->scratch, &d) == 0 &&
	    n->scratch.size <= MF_ROUTING_NODE_ADVERT_BYTES) {
		size_t len = 2 + n->scratch.size;
		uint8_t *msg = malloc(len);
		if (msg) {
			msg[0] = MF_SERF_MSG_MESHFED;
			msg[1] = MF_ROUTING_NODE_MSG_ADVERT;
			memcpy(msg + 2, n->scratch.data, n->scratch.size);
			char key[MF_ROUTING_NODE_DC_MAX + 32];
			snprintf(key, sizeof(key), "mf-delta:%s", n->dc);
			for (size_t i = 0; i < n->n_slots; i++)
				if (n->slots[i].pool &&
				    mf_pool_broadcast_user(n->slots[i].pool, key, msg, len) == 0)
					n->stats.bytes_out += len;
			free(msg);
			n->stats.deltas_out++;
			sent = 1;
			mf_rn__note_sent(n, &n->base_out, &d); /* base distances kept */
		}
	}
	mf_advert_free(&d);
	return sent;
}

/* --- others' ---------------------------------------------------------------*/

static struct base_in *find_base(struct mf_routing_node *n, const char *origin, const char *node)
{
	for (size_t i = 0; i < n->n_bases; i++)
		if (strcmp(n->bases[i].node, node) == 0 && strcmp(n->bases[i].origin, origin) == 0)
			return &n->bases[i];
	return NULL;
}

static void drop_base(struct mf_routing_node *n, size_t i)
{
	free(n->bases[i].origin);
	free(n->bases[i].node);
	free(n->bases[i].buf);
	free(n->bases[i].pend);
	n->bases[i] = n->bases[--n->n_bases];
}

/* The record of (origin, node), created empty when missing; NULL when out
 * of memory. */
static struct base_in *base_record(struct mf_routing_node *n, const char *origin, const char *node)
{
	struct base_in *b = find_base(n, origin, node);
	if (b)
		return b;
	if (n->n_bases >= MF_ROUTING_NODE_BASES_MAX)
		drop_base(n, 0); /* any: its server's next full state brings it back */
	if (mf_grow(&n->bases, &n->cap_bases, n->n_bases + 1, 16) < 0)
		return NULL;
	b = &n->bases[n->n_bases];
	memset(b, 0, sizeof *b);
	if (!(b->origin = strdup(origin)) || !(b->node = strdup(node))) {
		free(b->origin);
		free(b->node);
		return NULL;
	}
	n->n_bases++;
	return b;
}

int mf_rn__keep_base(struct mf_routing_node *n, const struct mf_advert *full)
{
	if (!full->origin || !full->node || strcmp(full->node, n->name) == 0)
		return 0;
	struct base_in *b = find_base(n, full->origin, full->node);
	if (b && b->buf && b->seq >= full->seq)
		return 0;
	msgpack_sbuffer_clear(&n->scratch);
	uint8_t *copy = NULL;
	int rc = mf_advert_encode_full(&n->scratch, full);
	if (rc < 0)
		return rc;
	if (!(copy = malloc(n->scratch.size)))
		return MF_ENOMEM;
	memcpy(copy, n->scratch.data, n->scratch.size);
	if (!(b = base_record(n, full->origin, full->node))) {
		free(copy);
		return MF_ENOMEM;
	}
	free(b->buf);
	b->buf = copy;
	b->len = n->scratch.size;
	b->seq = full->seq;
	return 0;
}

void mf_rn__forget_bases(struct mf_routing_node *n, const char *origin)
{
	for (size_t i = n->n_bases; i-- > 0;)
		if (strcmp(n->bases[i].origin, origin) == 0)
			drop_base(n, i);
}

void mf_rn__free_bases(struct mf_routing_node *n)
{
	while (n->n_bases)
		drop_base(n, n->n_bases - 1);
	free(n->bases);
	n->bases = NULL;
	n->cap_bases = 0;
	mf_advert_free(&n->base_out);
}

/* delta (consumed) on top of base b, to the engine: 0, or the error of
 * decoding the base we hold or of patching it with delta. */
static int apply(struct mf_routing_node_slot *sl, const struct base_in *b, struct mf_advert *delta)
{
	struct mf_advert base, full;
	int rc = mf_advert_decode(b->buf, b->len, &base, NULL);
	if (rc < 0) {
		mf_advert_free(delta);
		return rc;
	}
	rc = mf_advert_patch(&base, delta, &full);
	mf_advert_free(&base);
	mf_advert_free(delta);
	if (rc < 0)
		return rc;
	mf_rn__take_advert(sl, &full);
	return 0;
}

int mf_rn__take_delta(struct mf_routing_node_slot *sl, struct mf_advert *delta, const uint8_t *msg,
		      size_t len)
{
	struct mf_routing_node *n = sl->node;
	struct base_in *b = find_base(n, delta->origin, delta->node);
	int rc = 0;
	n->stats.deltas_in++;
	if (b && delta->seq <= b->applied) {
		mf_advert_free(delta); /* another copy (gossip sends each several times) */
		return 0;
	}
	if (b && b->buf && b->seq == delta->base_seq) {
		b->applied = delta->seq;
		return apply(sl, b, delta);
	}
	if (b && b->buf && delta->base_seq < b->seq) {
		n->stats.deltas_stale++; /* a late copy: its server has sent a newer base */
		mf_advert_free(delta);
		return 0;
	}
	n->stats.deltas_unbased++;
	/* A base newer than what we hold may still be on its way: keep the
	 * newest such delta for it. */
	if (!(b = base_record(n, delta->origin, delta->node))) {
		rc = MF_ENOMEM;
	} else if (!b->pend || delta->seq > b->pend_seq) {
		uint8_t *copy = malloc(len);
		if (copy) {
			memcpy(copy, msg, len);
			free(b->pend);
			b->pend = copy;
			b->pend_len = len;
			b->pend_seq = delta->seq;
		} else {
			rc = MF_ENOMEM;
		}
	}
	mf_advert_free(delta);
	return rc;
}

int mf_rn__take_pending(struct mf_routing_node_slot *sl, const char *origin, const char *node)
{
	struct mf_routing_node *n = sl->node;
	struct base_in *b = find_base(n, origin, node);
	struct mf_advert d;
	if (!b || !b->pend || !b->buf)
		return 0;
	int rc = mf_advert_decode_msg(b->pend, b->pend_len, &d);
	free(b->pend);
	b->pend = NULL;
	if (rc < 0)
		return rc; /* checked when it came: cannot fail but out of memory */
	if (d.base_seq != b->seq) {
		mf_advert_free(&d);
		return 0;
	}
	n->stats.deltas_late++;
	if (d.seq > b->applied)
		b->applied = d.seq;
	return apply(sl, b, &d);
}

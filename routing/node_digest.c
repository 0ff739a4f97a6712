/*
 * routing/node_digest.c — anti-entropy by digest (routing/digest.h;
 * node_internal.h, contract in node.h): our push-pull and our periodic
 * refresh say which states we hold, (origin, server, seq) each; a member
 * that holds an older one asks for it by a pull, a direct datagram, and
 * gets only what it lacks: a delta since the seq it holds when the origin
 * server itself answers (node_delta.c), else the full state, by direct
 * datagrams that are not relayed.
 *
 * Why: push-pull of full states (ours and every stored one that fit) and
 * the full refresh were the floor of routing traffic, and both grew with
 * the number of DCs, since every state lists a route to every DC: 4 KB/s
 * per server at 100 DCs in areas, 35-40 KB/s projected at 1,000
 * (docs/routing.md, "Anti-entropy by digest").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/serf.h"
#include "routing/digest.h"
#include "routing/node_internal.h"

/* --- what we hold ------------------------------------------------------------*/

int mf_rn__digest_state(struct mf_routing_node *n, msgpack_sbuffer *sb)
{
	int rc = mf_digest_begin(sb, MF_DIGEST_KIND_DIGEST, n->name, 1 + n->n_stored);
	if (rc == 0)
		rc = mf_digest_put(sb, n->dc, n->name, mf_rn__own_seq(n));
	for (size_t i = 0; rc == 0 && i < n->n_stored; i++)
		rc = mf_digest_put(sb, n->stored[i].origin, n->stored[i].node, n->stored[i].seq);
	return rc;
}

/* An alive meshfed member `name` of slot s's pool (a serf agent would log
 * our messages as unknown): its address into *to. */
static bool meshfed_member(struct mf_routing_node_slot *s, const char *name, struct mf_member *m)
{
	return s->pool && mf_pool_member_find(s->pool, name, m) == 0 &&
	       (m->status == MF_MEMBER_ALIVE || m->status == MF_MEMBER_SUSPECT) &&
	       mf_dc_index_member_meshfed(m);
}

static void send_to(struct mf_routing_node_slot *s, const struct mf_addr *to, uint8_t type,
		    const msgpack_sbuffer *body)
{
	struct mf_routing_node *n = s->node;
	size_t len = 0;
	uint8_t *msg = mf_rn__framed(type, body, &len);
	if (!msg) {
		n->stats.local_errors++;
		return;
	}
	if (mf_pool_send_user_to(s->pool, to, msg, len) == 0)
		n->stats.bytes_out += len;
	free(msg);
}

/* --- asking ------------------------------------------------------------------*/

/* One pull to `to`: entries gathered until the message would pass a
 * datagram, then sent. */
struct pull {
	struct mf_routing_node_slot *s;
	struct mf_member to;
	msgpack_sbuffer body; /* entries only */
	size_t n;
};

static void pull_flush(struct pull *p)
{
	struct mf_routing_node *n = p->s->node;
	if (p->n == 0)
		return;
	msgpack_sbuffer head;
	msgpack_sbuffer_init(&head);
	if (mf_digest_begin(&head, MF_DIGEST_KIND_PULL, n->name, p->n) == 0 &&
	    msgpack_sbuffer_write(&head, p->body.data, p->body.size) == 0) {
		send_to(p->s, &p->to.addr, MF_ROUTING_NODE_MSG_DIGEST, &head);
		n->stats.pulls_out += p->n;
	} else {
		n->stats.local_errors++;
	}
	msgpack_sbuffer_destroy(&head);
	msgpack_sbuffer_clear(&p->body);
	p->n = 0;
}

static void pull_add(struct pull *p, const char *origin, const char *node, uint64_t have)
{
	if (mf_digest_put(&p->body, origin, node, have) < 0) {
		p->s->node->stats.local_errors++;
		return;
	}
	p->n++;
	if (p->body.size > MF_ROUTING_NODE_ADVERT_BYTES - 64)
		pull_flush(p);
}

bool mf_rn__pull_from(struct mf_routing_node_slot *s, const char *origin, const char *node,
		      uint64_t have)
{
	struct pull direct = {.s = s};
	if (!meshfed_member(s, node, &direct.to))
		return false;
	msgpack_sbuffer_init(&direct.body);
	pull_add(&direct, origin, node, have);
	pull_flush(&direct);
	msgpack_sbuffer_destroy(&direct.body);
	return true;
}

/* A digest or a pull being read: the decoder fills kind and from before it
 * hands on the first entry. */
struct reading {
	struct mf_routing_node_slot *s;
	int kind;
	char from[MF_ADVERT_STR_MAX + 1];
	bool from_read;   /* from looked up in the pool */
	bool from_ok;     /* from is an alive meshfed member: to.addr */
	struct pull via;  /* a digest: pulls of states held by the sender, to it */
	size_t answered;  /* a pull: bytes sent back */
};

static bool from_member(struct reading *r)
{
	if (!r->from_read) {
		r->from_read = true;
		r->from_ok = strcmp(r->from, r->s->node->name) != 0 &&
			     meshfed_member(r->s, r->from, &r->via.to);
	}
	return r->from_ok;
}

/* One digest entry: asked for when newer than what we hold of its DC. The
 * origin server answers with a delta since what we hold of it, so it is
 * asked first; the digest's sender, which holds that state, otherwise. */
static void digest_entry(struct reading *r, const struct mf_digest_entry *e)
{
	struct mf_routing_node *n = r->s->node;
	if (strcmp(e->node, n->name) == 0)
		return;
	if (strcmp(e->origin, n->dc) == 0) {
		/* A server of ours: news only when it would raise our seq. */
		if (mf_rn__foreign_server(n, e->node) || e->seq <= mf_rn__own_seq(n))
			return;
	} else {
		const struct stored_advert *h = mf_rn__find_stored(n, e->origin);
		/* Still named by the pool: its gateways stay (node.h), as
		 * when its full state came round at every refresh. */
		mf_rn__gw_heard_touch(n, e->origin, e->node, false);
		if (h && mf_digest_cmp(e->seq, e->node, h->seq, h->node) <= 0)
			return;
		if (!mf_rn__pool_has_dc(r->s, e->origin))
			return; /* we would not store it (node.h) */
	}
	if (!mf_rn__pull_once(n, e->origin, e->node, e->seq))
		return; /* asked already, the answer on its way */
	uint64_t have = mf_rn__base_seq(n, e->origin, e->node);
	if ((strcmp(e->node, r->from) == 0 || !mf_rn__pull_from(r->s, e->origin, e->node, have)) &&
	    from_member(r))
		pull_add(&r->via, e->origin, e->node, have);
}

/* One pull entry: what we hold of that server, if newer than what the
 * asker holds; ours as a delta since its seq when that says it. */
static void pull_entry(struct reading *r, const struct mf_digest_entry *e)
{
	struct mf_routing_node *n = r->s->node;
	if (r->answered >= MF_ROUTING_NODE_PULL_BYTES || !from_member(r))
		return;
	n->stats.pulls_in++;
	if (strcmp(e->origin, n->dc) == 0) {
		if (strcmp(e->node, n->name) == 0)
			r->answered += mf_rn__send_since(r->s, &r->via.to.addr, e->seq);
		return; /* a mate's state: ask the mate */
	}
	const struct stored_advert *h = mf_rn__find_stored(n, e->origin);
	if (!h || (strcmp(h->node, e->node) == 0 && h->seq <= e->seq))
		return;
	struct mf_advert adv;
	struct mf_advert_frags frags = {0};
	int rc = mf_advert_decode(h->buf, h->len, &adv, NULL);
	if (rc == 0) {
		rc = mf_advert_encode_frags(&adv, MF_ROUTING_NODE_ADVERT_BYTES, &frags);
		mf_advert_free(&adv);
	}
	if (rc < 0) {
		n->stats.local_errors++;
		return;
	}
	for (size_t f = 0; f < frags.n; f++) {
		send_to(r->s, &r->via.to.addr, MF_ROUTING_NODE_MSG_STATE, &frags.bufs[f]);
		r->answered += frags.bufs[f].size + 2;
	}
	mf_advert_frags_free(&frags);
}

static int each_entry(void *ctx, const struct mf_digest_entry *e)
{
	struct reading *r = ctx;
	if (r->kind == MF_DIGEST_KIND_PULL)
		pull_entry(r, e);
	else
		digest_entry(r, e);
	return 0;
}

/* A digest (of a push-pull or a refresh) or a pull that came through slot
 * s's pool. */
static int read_digest(struct mf_routing_node_slot *s, const uint8_t *buf, size_t len)
{
	struct reading r = {.s = s, .via = {.s = s}};
	msgpack_sbuffer_init(&r.via.body);
	int rc = mf_digest_decode(buf, len, &r.kind, r.from, each_entry, &r);
	if (rc == 0)
		pull_flush(&r.via);
	msgpack_sbuffer_destroy(&r.via.body);
	if (rc < 0)
		s->node->stats.bad_digests++;
	else
		s->node->stats.digests_in++;
	return rc;
}

void mf_rn__merge_digest(struct mf_routing_node_slot *s, const uint8_t *buf, size_t len)
{
	s->node->stats.bytes_in += len;
	(void)read_digest(s, buf, len);
}

void mf_rn__on_digest(struct mf_routing_node_slot *s, const uint8_t *body, size_t len)
{
	s->node->stats.bytes_in += len + 2;
	(void)read_digest(s, body, len);
}

/* --- the refresh ---------------------------------------------------------------*/

/* Our own entry, broadcast in every pool: a member that holds an older
 * state of ours asks for what it lacks. It replaces the whole state every
 * MF_ROUTING_NODE_FULL_REFRESH (18 KB at 1,000 DCs, every member). */
void mf_rn__send_digest(struct mf_routing_node *n)
{
	msgpack_sbuffer_clear(&n->scratch);
	if (mf_digest_begin(&n->scratch, MF_DIGEST_KIND_DIGEST, n->name, 1) < 0 ||
	    mf_digest_put(&n->scratch, n->dc, n->name, mf_rn__own_seq(n)) < 0) {
		n->stats.local_errors++;
		return;
	}
	size_t len = 0;
	uint8_t *msg = mf_rn__framed(MF_ROUTING_NODE_MSG_DIGEST, &n->scratch, &len);
	if (!msg) {
		n->stats.local_errors++;
		return;
	}
	char key[MF_ROUTING_NODE_DC_MAX + 32];
	snprintf(key, sizeof(key), "mf-digest:%s", n->dc);
	for (size_t i = 0; i < n->n_slots; i++)
		if (n->slots[i].pool && mf_pool_broadcast_user(n->slots[i].pool, key, msg, len) == 0)
			n->stats.bytes_out += len;
	free(msg);
}

void mf_rn__pull_due(struct mf_routing_node *n, mf_time_t now)
{
	for (size_t i = 0; n->n_pulls_due > 0 && i < n->n_bases; i++) {
		struct base_in *b = &n->bases[i];
		if (!b->pull_at || now < b->pull_at)
			continue;
		mf_rn__no_pull(n, b);
		if (b->pend && !mf_rn__pull_once(n, b->origin, b->node, b->pend_seq))
			continue; /* a digest's pull went for it already */
		if (b->slot < n->n_slots &&
		    mf_rn__pull_from(&n->slots[b->slot], b->origin, b->node, b->buf ? b->seq : 0))
			n->stats.pulls_behind++;
	}
}

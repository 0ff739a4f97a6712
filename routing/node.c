/*
 * routing/node.c — one server's routing over its pools (contract in
 * node.h). The agent (cmd/agent_routing.c) and meshfed-sim both run it, so
 * they speak the same protocol by the same code.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/mp.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "routing/advert_asm.h"
#include "routing/dc_index.h"
#include "routing/node.h"

struct stored_advert {
	char *origin;
	uint8_t *buf;
	size_t len;
};

/* The newest advertisement of an origin we relayed fragments of (or stored
 * whole from a push-pull): older ones are never relayed, and each fragment
 * of the newest only once. A per_node record does the same for one server
 * of the origin, for adverts carrying gateways (node.h). */
struct relayed {
	char origin[MF_ADVERT_STR_MAX + 1];
	char node[MF_ADVERT_STR_MAX + 1];
	bool per_node;
	uint64_t seq;
	uint64_t frags; /* bit f: fragment f relayed (all set: the whole advert) */
};

/* A server of another DC whose advert carried gateways: when we last heard
 * from it, for expiry (node.h). */
struct gw_heard {
	char *origin, *node;
	mf_time_t heard;
	bool pending;   /* heard since the last tick: heard = that tick's now */
};
#define GW_HEARD_MAX 4096

struct mf_routing_node_slot {
	struct mf_routing_node *node;
	mf_pool_t *pool;
	const struct mf_coord_tracker *tracker;
	char (*peers)[MF_ROUTING_NODE_DC_MAX + 1];
	size_t n_peers;
	struct mf_dc_index dcx; /* the pool's members by DC, rebuilt on change */
};

struct mf_routing_node {
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	char name[MF_NAME_MAX + 1];
	struct mf_routing_node_hooks hooks;
	enum mf_coord_tracker_kind link_estimate;
	struct mf_routing *engine;
	struct mf_advert_asm asm_;
	struct stored_advert *stored;
	size_t n_stored, cap_stored;
	struct relayed *relayed;
	size_t n_relayed, cap_relayed;
	struct gw_heard *gw_heard;
	size_t n_gw_heard, cap_gw_heard;
	char **linked; /* DCs we set a link for */
	size_t n_linked, cap_linked;
	uint64_t sent_seq;
	mf_time_t last_sent;
	mf_time_t last_beat;     /* when our beat message last went out */
	bool beat_sent;          /* one went out at all */
	uint64_t rng;            /* xorshift64: beat recipients */
	struct mf_beat_entry *beats; /* scratch for mf_routing_beats */
	size_t cap_beats;
	msgpack_sbuffer scratch;
	struct mf_routing_node_stats stats;
	struct mf_routing_node_slot slots[MF_ROUTING_NODE_MAX_POOLS];
	size_t n_slots;
};

void mf_routing_node_config_default(struct mf_routing_node_config *c)
{
	memset(c, 0, sizeof(*c));
	c->default_mode = MF_MODE_MULTI_HOP;
	c->transit = true;
	c->hysteresis_pct = -1;
	c->hysteresis_ms = -1;
	c->settle_pct = -1;
	c->settle_ms = -1;
	c->settle_time = -1;
	c->link_estimate = MF_COORD_TRACKER_BEST;
	c->max_alternates = -1;
}

/* --- members ----------------------------------------------------------------*/

/* True when a server of DC dc is alive in the slot's pool. */
static bool pool_has_dc(struct mf_routing_node_slot *s, const char *dc)
{
	if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, s->node->name) < 0)
		return false;
	const struct mf_dc_group *g = mf_dc_index_find(&s->dcx, dc);
	return g != NULL && g->n_alive > 0;
}

/* --- lifecycle --------------------------------------------------------------*/

/* The per-DC mode overrides; err names the target that failed. */
static int set_targets(struct mf_routing *e, const struct mf_routing_node_target *t, size_t n,
		       char *err, size_t errcap)
{
	for (size_t i = 0; i < n; i++) {
		int r = mf_routing_set_mode(e, t[i].dc, t[i].mode);
		if (r < 0) {
			snprintf(err, errcap, "routing.targets.%s: %s", t[i].dc, mf_strerror(r));
			return r;
		}
	}
	return 0;
}

int mf_routing_node_set_policy(struct mf_routing_node *n, enum mf_route_mode default_mode,
			       const struct mf_routing_node_target *targets, size_t n_targets,
			       bool transit, char *err, size_t errcap)
{
	int r = mf_routing_set_policy(n->engine, default_mode, transit);
	if (r < 0) {
		snprintf(err, errcap, "routing.default: %s", mf_strerror(r));
		return r;
	}
	return set_targets(n->engine, targets, n_targets, err, errcap);
}

int mf_routing_node_new(const struct mf_routing_node_config *c, struct mf_routing_node **out,
			char *err, size_t errcap)
{
	*out = NULL;
	if (!c->datacenter || !c->node || strlen(c->datacenter) > MF_ROUTING_NODE_DC_MAX ||
	    strlen(c->node) > MF_NAME_MAX) {
		snprintf(err, errcap, "routing: %s", mf_strerror(MF_EINVAL));
		return MF_EINVAL;
	}
	struct mf_routing_node *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errcap, "routing: %s", mf_strerror(MF_ENOMEM));
		return MF_ENOMEM;
	}
	snprintf(n->dc, sizeof(n->dc), "%s", c->datacenter);
	snprintf(n->name, sizeof(n->name), "%s", c->node);
	n->rng = mf_name_hash(n->name, strlen(n->name)) ^ c->initial_seq;
	n->rng = n->rng ? n->rng : 1;
	n->hooks = c->hooks;
	n->link_estimate = c->link_estimate;
	msgpack_sbuffer_init(&n->scratch);
	mf_advert_asm_init(&n->asm_, MF_ROUTING_NODE_ASM_PENDING);

	struct mf_routing_config cfg;
	mf_routing_config_default(&cfg);
	cfg.datacenter = n->dc;
	cfg.node = n->name;
	cfg.default_mode = c->default_mode;
	cfg.transit = c->transit;
	if (c->hysteresis_pct >= 0)
		cfg.hysteresis_pct = c->hysteresis_pct;
	if (c->hysteresis_ms >= 0)
		cfg.hysteresis_ms = c->hysteresis_ms;
	if (c->settle_pct >= 0)
		cfg.settle_pct = c->settle_pct;
	if (c->settle_ms >= 0)
		cfg.settle_ms = c->settle_ms;
	cfg.settle_time = c->settle_time >= 0 ? (uint64_t)c->settle_time : MF_ROUTING_NODE_SETTLE;
	cfg.initial_seq = c->initial_seq;
	if (c->epoch)
		cfg.epoch = c->epoch;
	cfg.require_gateways = c->require_gateways;
	/* Freshness: our beat rides in the refresh we send anyway; a DC cut
	 * off without deaths is withdrawn MF_ROUTING_NODE_MAX_AGE after its
	 * last beat reached us (docs/routing.md, "Bounded withdrawal"). */
	cfg.beat_interval = MF_ROUTING_NODE_REFRESH;
	cfg.max_age = MF_ROUTING_NODE_MAX_AGE;
	cfg.beats_apart = true; /* our beat messages carry them */
	cfg.readvertise_interval = MF_ROUTING_NODE_READVERTISE;
	if (c->max_alternates >= 0)
		cfg.max_alternates = (unsigned)c->max_alternates;
	int r = mf_routing_new(&cfg, &n->engine);
	if (r < 0) {
		snprintf(err, errcap, "routing: %s (is \"%s\" a valid DC name?)", mf_strerror(r),
			 c->datacenter);
		goto fail;
	}
	if ((r = set_targets(n->engine, c->targets, c->n_targets, err, errcap)) < 0)
		goto fail;
	if (c->n_gateways && (r = mf_routing_set_gateways(n->engine, c->gateways, c->n_gateways)) < 0) {
		snprintf(err, errcap, "gateways: %s", mf_strerror(r));
		goto fail;
	}
	*out = n;
	return 0;
fail:
	mf_routing_node_free(n);
	return r;
}

static void drop_stored(struct mf_routing_node *n, struct stored_advert *s)
{
	free(s->origin);
	free(s->buf);
	*s = n->stored[--n->n_stored];
}

static void gw_heard_drop(struct mf_routing_node *n, size_t i)
{
	free(n->gw_heard[i].origin);
	free(n->gw_heard[i].node);
	n->gw_heard[i] = n->gw_heard[--n->n_gw_heard];
}

/* Notes that server `node` of DC `origin` was heard from; creates its
 * record only when `create` (its advert carried gateways). */
static void gw_heard_touch(struct mf_routing_node *n, const char *origin, const char *node,
			   bool create)
{
	for (size_t i = 0; i < n->n_gw_heard; i++)
		if (strcmp(n->gw_heard[i].node, node) == 0 &&
		    strcmp(n->gw_heard[i].origin, origin) == 0) {
			n->gw_heard[i].pending = true;
			return;
		}
	if (!create || n->n_gw_heard >= GW_HEARD_MAX)
		return;
	if (n->n_gw_heard == n->cap_gw_heard) {
		size_t cap = n->cap_gw_heard ? 2 * n->cap_gw_heard : 8;
		struct gw_heard *p = realloc(n->gw_heard, cap * sizeof(*p));
		if (!p)
			return;
		n->gw_heard = p;
		n->cap_gw_heard = cap;
	}
	struct gw_heard *h = &n->gw_heard[n->n_gw_heard];
	h->origin = strdup(origin);
	h->node = strdup(node);
	h->heard = 0;
	h->pending = true;
	if (h->origin && h->node) {
		n->n_gw_heard++;
	} else {
		free(h->origin);
		free(h->node);
	}
}

void mf_routing_node_free(struct mf_routing_node *n)
{
	if (!n)
		return;
	if (n->engine)
		mf_routing_free(n->engine);
	mf_advert_asm_free(&n->asm_);
	while (n->n_stored)
		drop_stored(n, &n->stored[n->n_stored - 1]);
	free(n->stored);
	free(n->beats);
	free(n->relayed);
	while (n->n_gw_heard)
		gw_heard_drop(n, n->n_gw_heard - 1);
	free(n->gw_heard);
	for (size_t i = 0; i < n->n_linked; i++)
		free(n->linked[i]);
	free(n->linked);
	for (size_t i = 0; i < n->n_slots; i++) {
		free(n->slots[i].peers);
		mf_dc_index_free(&n->slots[i].dcx);
	}
	msgpack_sbuffer_destroy(&n->scratch);
	free(n);
}

int mf_routing_node_add_pool(struct mf_routing_node *n, mf_pool_t *pool,
			     const struct mf_coord_tracker *tracker, const char *const *peers,
			     size_t n_peers, struct mf_routing_node_slot **out)
{
	if (n->n_slots == MF_ROUTING_NODE_MAX_POOLS)
		return MF_ETOOBIG;
	struct mf_routing_node_slot *s = &n->slots[n->n_slots];
	memset(s, 0, sizeof(*s));
	if (n_peers) {
		if (!(s->peers = calloc(n_peers, sizeof(*s->peers))))
			return MF_ENOMEM;
		for (size_t i = 0; i < n_peers; i++) {
			if (strlen(peers[i]) > MF_ROUTING_NODE_DC_MAX) {
				free(s->peers);
				s->peers = NULL;
				return MF_EINVAL;
			}
			snprintf(s->peers[i], sizeof(s->peers[i]), "%s", peers[i]);
		}
	}
	s->n_peers = n_peers;
	s->node = n;
	s->pool = pool;
	s->tracker = tracker;
	n->n_slots++;
	if (out)
		*out = s;
	return 0;
}

void mf_routing_node_set_pool(struct mf_routing_node_slot *s, mf_pool_t *pool,
			      const struct mf_coord_tracker *tracker)
{
	s->pool = pool;
	s->tracker = tracker;
	mf_dc_index_free(&s->dcx); /* a new pool may reuse the old one's address */
}

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

/* Whether `node` is a member of one of our pools whose DC is not ours: it
 * may not speak for our DC (raise our seq, set its gateways or its shared
 * choice). A name we do not know is let through: a server of our DC may
 * gossip before its join reaches us, and in a plaintext pool a name is a
 * claim anyway (docs/security.md). */
static bool foreign_server(const struct mf_routing_node *n, const char *node)
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

/* A complete advertisement (consumed) that arrived in slot s's pool: to the
 * engine, and kept if stored; only origins with an alive server in that
 * pool count (node.h). */
static void take_advert(struct mf_routing_node_slot *sl, struct mf_advert *adv)
{
	struct mf_routing_node *n = sl->node;
	if (!adv->origin || strcmp(adv->origin, n->dc) == 0 || !pool_has_dc(sl, adv->origin)) {
		int own = adv->origin && strcmp(adv->origin, n->dc) == 0, rc;
		/* raises our next seq; another server's gateways are kept */
		if (own && foreign_server(n, adv->node))
			n->stats.adverts_own_dc_foreign++;
		else if (own && (rc = mf_routing_set_advert(n->engine, adv)) < 0)
			count_refused(n, rc);
		else if (own && adv->node && strcmp(adv->node, n->name) != 0)
			gw_heard_touch(n, adv->origin, adv->node, adv->n_gateways > 0);
		else if (!own)
			n->stats.adverts_foreign++;
		mf_advert_free(adv);
		return;
	}
	int r = mf_routing_set_advert(n->engine, adv);
	if (r >= 0 && adv->node)
		gw_heard_touch(n, adv->origin, adv->node, adv->n_gateways > 0);
	if (r == 1) {
		n->stats.adverts_stored++;
		if (adv->node)
			(void)relay_news(n, adv->origin, adv->node, adv->seq, -1, false);
		msgpack_sbuffer_clear(&n->scratch);
		struct stored_advert *s = find_stored(n, adv->origin);
		uint8_t *copy = NULL;
		if (mf_advert_encode_full(&n->scratch, adv) == 0 &&
		    (copy = malloc(n->scratch.size))) {
			memcpy(copy, n->scratch.data, n->scratch.size);
			if (!s && n->n_stored == n->cap_stored) {
				size_t cap = n->cap_stored ? n->cap_stored * 2 : 8;
				struct stored_advert *p = realloc(n->stored, cap * sizeof(*p));
				if (p) {
					n->stored = p;
					n->cap_stored = cap;
				}
			}
			if (s) {
				free(s->buf);
				s->buf = copy;
				s->len = n->scratch.size;
			} else if (n->n_stored < n->cap_stored &&
				   (n->stored[n->n_stored].origin = strdup(adv->origin))) {
				n->stored[n->n_stored].buf = copy;
				n->stored[n->n_stored++].len = n->scratch.size;
			} else {
				free(copy);
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
	if (n->n_relayed == n->cap_relayed) {
		size_t cap = n->cap_relayed ? 2 * n->cap_relayed : 16;
		struct relayed *p = realloc(n->relayed, cap * sizeof(*p));
		if (!p)
			return NULL;
		n->relayed = p;
		n->cap_relayed = cap;
	}
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
	    frag->frag_count > MF_ROUTING_NODE_RELAY_FRAGS || !pool_has_dc(sl, frag->origin))
		return;
	char key[2 * MF_ADVERT_STR_MAX + 48];
	if (relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, false))
		snprintf(key, sizeof(key), "mf-relay:%s:%u", frag->origin, (unsigned)frag->frag_index);
	else if (frag->frag_count == 1 && mf_routing_advert_changes_gateways(n->engine, frag) &&
		 relay_news(n, frag->origin, frag->node, frag->seq, (int)frag->frag_index, true))
		snprintf(key, sizeof(key), "mf-relay:%s:%s:%u", frag->origin, frag->node,
			 (unsigned)frag->frag_index);
	else
		return;
	if (mf_pool_broadcast_user(sl->pool, key, msg, len) == 0) {
		n->stats.relayed++;
		n->stats.bytes_out += len;
	}
}

/* A beat message (routing/beat.h) that arrived in slot sl's pool: counts
 * for origins with an alive server there (as adverts do), for our own DC
 * only from a server of ours. */
static void on_beat(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len)
{
	struct mf_routing_node *n = sl->node;
	struct mf_beat b;
	n->stats.bytes_in += len + 2;
	if (mf_beat_decode(body, len, &b) < 0) {
		n->stats.bad_beats++;
		return;
	}
	n->stats.beats_in++;
	bool own = strcmp(b.origin, n->dc) == 0;
	if (own ? foreign_server(n, b.node) || strcmp(b.node, n->name) == 0
		: !pool_has_dc(sl, b.origin))
		return;
	struct mf_beat_entry e[64];
	for (size_t i = 0; i < b.n;) {
		size_t k = 0;
		for (; k < 64 && i < b.n; k++, i++)
			e[k] = mf_beat_entry_at(&b, i);
		n->stats.beat_epochs += mf_routing_take_beats(n->engine, b.origin, e, k);
	}
	if (!own)
		gw_heard_touch(n, b.origin, b.node, false);
}

void mf_routing_node_on_user_msg(void *slot, const uint8_t *msg, size_t len)
{
	struct mf_routing_node_slot *sl = slot;
	struct mf_routing_node *n = sl->node;
	if (len < 1 || msg[0] != MF_SERF_MSG_MESHFED)
		return;
	if (len >= 2 && msg[1] == MF_ROUTING_NODE_MSG_BEAT) {
		on_beat(sl, msg + 2, len - 2);
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
	if (mf_advert_decode(msg + 2, len - 2, &frag, NULL) < 0) {
		n->stats.bad_fragments++;
		return;
	}
	/* Checked before anything else, relay included: a fragment the engine
	 * would refuse is neither passed on nor kept for reassembly. */
	int c = mf_routing_check_advert(n->engine, &frag);
	if (c < 0 || (strcmp(frag.origin, n->dc) == 0 && foreign_server(n, frag.node))) {
		if (c < 0)
			count_refused(n, c);
		else
			n->stats.adverts_own_dc_foreign++;
		mf_advert_free(&frag);
		return;
	}
	relay_fragment(sl, &frag, msg, len);
	if (frag.origin && frag.node && strcmp(frag.node, n->name) != 0)
		gw_heard_touch(n, frag.origin, frag.node, false);
	int r = mf_advert_asm_add(&n->asm_, &frag, &full);
	mf_advert_free(&frag);
	if (r == 1)
		take_advert(sl, &full);
	else if (r < 0)
		n->stats.bad_fragments++;
}

/* --- push-pull --------------------------------------------------------------*/

/* The routing push-pull value (msgpack bin of full adverts: ours, then as
 * many stored ones as fit in budget bytes) appended to sb, MF_ETOOBIG when
 * not even ours fits. */
static int pp_state(struct mf_routing_node *n, msgpack_sbuffer *sb, size_t budget)
{
	msgpack_sbuffer all;
	msgpack_sbuffer_init(&all);
	struct mf_advert own;
	int r = mf_routing_advert(n->engine, &own);
	if (r == 0) {
		r = mf_advert_encode_full(&all, &own);
		mf_advert_free(&own);
	}
	/* What does not fit the pool's user-state budget waits for gossip
	 * (every origin refreshes its advert every MF_ROUTING_NODE_REFRESH). */
	budget = budget > 5 ? budget - 5 : 0; /* bin32 header */
	if (r == 0 && all.size > budget)
		r = MF_ETOOBIG;
	for (size_t i = 0; r == 0 && i < n->n_stored; i++) {
		if (all.size + n->stored[i].len > budget)
			continue;
		r = msgpack_sbuffer_write(&all, (const char *)n->stored[i].buf, n->stored[i].len)
			    ? MF_ENOMEM
			    : 0;
	}
	if (r == 0) {
		msgpack_packer pk;
		msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
		if (msgpack_pack_bin(&pk, all.size) || msgpack_pack_bin_body(&pk, all.data, all.size))
			r = MF_ENOMEM;
	}
	msgpack_sbuffer_destroy(&all);
	return r;
}

/* A peer's push-pull value (the bin's body) received through s's pool. */
static void pp_merge(struct mf_routing_node_slot *s, const uint8_t *buf, size_t len)
{
	struct mf_routing_node *n = s->node;
	size_t off = 0;
	while (off < len) {
		struct mf_advert adv;
		size_t used = 0;
		memset(&adv, 0, sizeof(adv));
		if (mf_advert_decode(buf + off, len - off, &adv, &used) < 0 || used == 0) {
			n->stats.bad_full_states++;
			return;
		}
		off += used;
		n->stats.full_states_in++;
		n->stats.bytes_in += used;
		take_advert(s, &adv);
	}
}

/* Raises the element count of the map starting at p (fixmap or map16). */
static bool bump_map(uint8_t *p)
{
	if ((p[0] & 0xf0) == 0x80 && (p[0] & 0x0f) < 15) {
		p[0]++;
		return true;
	}
	if (p[0] == 0xde) {
		unsigned n = ((unsigned)p[1] << 8 | p[2]) + 1;
		if (n > 0xffff)
			return false;
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)n;
		return true;
	}
	return false;
}

/* [MF_SERF_MSG_PUSH_PULL][map ... + "MeshfedRoutes": bin]: serf decodes
 * messagePushPull with go-msgpack, which skips keys the struct does not
 * have (cmd/agent_pool.c's framing). */
size_t mf_routing_node_pp_append(struct mf_routing_node *node, uint8_t *buf, size_t n, size_t cap)
{
	if (n < 2 || !node->engine)
		return n;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_str(&pk, sizeof(MF_ROUTING_NODE_PP_KEY) - 1);
	msgpack_pack_str_body(&pk, MF_ROUTING_NODE_PP_KEY, sizeof(MF_ROUTING_NODE_PP_KEY) - 1);
	if (sb.size + n < cap && pp_state(node, &sb, cap - n - sb.size) == 0 &&
	    n + sb.size <= cap) {
		if (bump_map(buf + 1)) { /* changes nothing when it fails */
			memcpy(buf + n, sb.data, sb.size);
			n += sb.size;
			node->stats.bytes_out += sb.size;
		}
	}
	msgpack_sbuffer_destroy(&sb);
	return n;
}

size_t mf_routing_node_local_state(void *slot, bool join, uint8_t *buf, size_t cap)
{
	struct mf_routing_node_slot *s = slot;
	if (cap < 2)
		return 0;
	buf[0] = MF_SERF_MSG_PUSH_PULL;
	buf[1] = 0x80; /* empty fixmap */
	return mf_routing_node_pp_append(s->node, buf, 2, cap);
}

void mf_routing_node_merge_remote_state(void *slot, const uint8_t *buf, size_t len, bool join)
{
	struct mf_routing_node_slot *s = slot;
	if (len < 2 || buf[0] != MF_SERF_MSG_PUSH_PULL || !s->node->engine)
		return;
	struct mf_mp mp;
	/* Peer bytes: only through the checked entry (gossip/mp.h). */
	if (mf_mp_unpack(buf + 1, len - 1, &mp, NULL) != 0 || mp.root->type != MSGPACK_OBJECT_MAP)
		s->node->stats.bad_full_states++;
	else {
		const msgpack_object_map *m = &mp.root->via.map;
		for (uint32_t i = 0; i < m->size; i++) {
			const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
			if (k->type == MSGPACK_OBJECT_STR &&
			    k->via.str.size == sizeof(MF_ROUTING_NODE_PP_KEY) - 1 &&
			    memcmp(k->via.str.ptr, MF_ROUTING_NODE_PP_KEY, k->via.str.size) == 0 &&
			    v->type == MSGPACK_OBJECT_BIN)
				pp_merge(s, (const uint8_t *)v->via.bin.ptr,
					 v->via.bin.size);
		}
	}
	mf_mp_done(&mp);
}

/* --- links and expiry -------------------------------------------------------*/

struct link_acc {
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	bool configured, alive, usable;
	bool direct; /* one alive server answers our own probes directly */
	double ms;
	const struct mf_routing_node_slot *estimated_in; /* one estimate per pool */
};

struct accs {
	struct link_acc *v;
	size_t n, cap;
};

static struct link_acc *acc_get(struct accs *l, const char *dc)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dc, dc) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct link_acc *p = realloc(l->v, cap * sizeof(*p));
		if (!p)
			return NULL;
		l->v = p;
		l->cap = cap;
	}
	struct link_acc *e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->dc, sizeof(e->dc), "%s", dc);
	e->ms = INFINITY;
	return e;
}

static bool in_peers(const struct mf_routing_node_slot *s, const char *dc)
{
	if (s->n_peers == 0)
		return true;
	for (size_t i = 0; i < s->n_peers; i++)
		if (strcmp(s->peers[i], dc) == 0)
			return true;
	return false;
}

/* Whether one of g's alive members other than us still answers our own
 * probes directly (node.h: a link is usable only while it works directly,
 * not through other DCs' indirect acks). direct_misses is live pool state,
 * not in the DC index, so it is read from the pool; the first alive member
 * usually answers, so this is O(1) per DC when links are healthy. */
static bool directly_reached(const struct mf_routing_node_slot *s, const struct mf_dc_group *g)
{
	for (size_t k = g->start; k < g->start + g->n; k++) {
		const struct mf_coord_tracker_member *cm = &s->dcx.mem[k];
		struct mf_member pm;
		if ((cm->status != MF_MEMBER_ALIVE && cm->status != MF_MEMBER_SUSPECT) ||
		    strcmp(cm->name, s->node->name) == 0)
			continue;
		if (mf_pool_member_find(s->pool, cm->name, &pm) == 0 &&
		    pm.direct_misses < MF_ROUTING_NODE_DIRECT_MISSES)
			return true;
	}
	return false;
}

static void gather_pool(struct mf_routing_node *n, struct mf_routing_node_slot *s, struct accs *l)
{
	if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0)
		return;
	for (size_t k = 0; k < s->n_peers; k++) {
		struct link_acc *e;
		if (strcmp(s->peers[k], n->dc) != 0 && (e = acc_get(l, s->peers[k])))
			e->configured = true;
	}
	/* DCs with members other than us in this pool, in the pool's name
	 * order of their first such member, each estimated once. */
	for (size_t i = 0; i < s->dcx.n_groups; i++) {
		const struct mf_dc_group *g = &s->dcx.groups[s->dcx.order[i]];
		if (g->n_others == 0 || strcmp(g->dc, n->dc) == 0)
			continue;
		struct link_acc *e = acc_get(l, g->dc);
		if (!e)
			continue;
		if (in_peers(s, g->dc))
			e->configured = true;
		if (g->n_others_alive == 0)
			continue;
		e->alive = true; /* for expiry, whatever the peers list says */
		if (in_peers(s, g->dc) && directly_reached(s, g))
			e->direct = true;
		if (!in_peers(s, g->dc) || e->estimated_in == s)
			continue;
		e->estimated_in = s;
		double sec;
		if (s->tracker &&
		    mf_coord_tracker_dc_rtt(s->tracker, s->dcx.mem + g->start, g->n, g->dc,
					    n->link_estimate, &sec) == 0 &&
		    isfinite(sec) && sec >= 0 && sec * 1000.0 < e->ms) {
			e->ms = sec * 1000.0;
			e->usable = true;
		}
	}
}

static bool linked_has(struct mf_routing_node *n, const char *dc)
{
	for (size_t i = 0; i < n->n_linked; i++)
		if (strcmp(n->linked[i], dc) == 0)
			return true;
	return false;
}

static void update_links(struct mf_routing_node *n)
{
	struct accs l = {0};
	for (size_t i = 0; i < n->n_slots; i++)
		gather_pool(n, &n->slots[i], &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct link_acc *e = &l.v[i];
		if (!e->configured)
			continue;
		bool usable = e->usable && e->direct;
		(void)mf_routing_set_link(n->engine, e->dc, true, usable, usable ? e->ms : 0);
		if (!linked_has(n, e->dc) && n->n_linked < 65536) {
			if (n->n_linked == n->cap_linked) {
				size_t cap = n->cap_linked ? n->cap_linked * 2 : 8;
				char **p = realloc(n->linked, cap * sizeof(*p));
				if (!p)
					continue;
				n->linked = p;
				n->cap_linked = cap;
			}
			if ((n->linked[n->n_linked] = strdup(e->dc)))
				n->n_linked++;
		}
	}
	/* Links that vanished (an area member reaped, a WAN DC forgotten). */
	for (size_t i = 0; i < n->n_linked;) {
		struct link_acc *e = NULL;
		for (size_t k = 0; k < l.n && !e; k++)
			if (strcmp(l.v[k].dc, n->linked[i]) == 0 && l.v[k].configured)
				e = &l.v[k];
		if (e) {
			i++;
			continue;
		}
		(void)mf_routing_set_link(n->engine, n->linked[i], false, false, 0);
		free(n->linked[i]);
		n->linked[i] = n->linked[--n->n_linked];
	}
	/* Expiry: origins with no alive server in any pool. */
	for (size_t i = 0; i < n->n_stored;) {
		bool alive = false;
		for (size_t k = 0; k < l.n && !alive; k++)
			alive = l.v[k].alive && strcmp(l.v[k].dc, n->stored[i].origin) == 0;
		if (alive) {
			i++;
			continue;
		}
		if (n->hooks.withdrawn)
			n->hooks.withdrawn(n->hooks.ctx, n->stored[i].origin);
		(void)mf_routing_withdraw_origin(n->engine, n->stored[i].origin);
		mf_advert_asm_forget(&n->asm_, n->stored[i].origin);
		for (size_t k = n->n_gw_heard; k-- > 0;)
			if (strcmp(n->gw_heard[k].origin, n->stored[i].origin) == 0)
				gw_heard_drop(n, k); /* the engine dropped them with the origin */
		n->stats.withdrawals++;
		drop_stored(n, &n->stored[i]);
	}
	free(l.v);
}

/* --- advertising ------------------------------------------------------------*/

static void broadcast_advert(struct mf_routing_node *n)
{
	struct mf_advert adv;
	struct mf_advert_frags frags = {0};
	if (mf_routing_advert(n->engine, &adv) < 0)
		return;
	int r = mf_advert_encode_frags(&adv, MF_ROUTING_NODE_ADVERT_BYTES, &frags);
	mf_advert_free(&adv);
	if (r < 0) {
		if (n->hooks.advert_error)
			n->hooks.advert_error(n->hooks.ctx, r);
		return;
	}
	for (size_t f = 0; f < frags.n; f++) {
		size_t len = 2 + frags.bufs[f].size;
		uint8_t *msg = malloc(len);
		if (!msg)
			break;
		msg[0] = MF_SERF_MSG_MESHFED;
		msg[1] = MF_ROUTING_NODE_MSG_ADVERT;
		memcpy(msg + 2, frags.bufs[f].data, frags.bufs[f].size);
		char key[MF_ROUTING_NODE_DC_MAX + 32];
		snprintf(key, sizeof(key), "mf-advert:%s:%zu", n->dc, f);
		for (size_t i = 0; i < n->n_slots; i++)
			if (n->slots[i].pool &&
			    mf_pool_broadcast_user(n->slots[i].pool, key, msg, len) == 0)
				n->stats.bytes_out += len;
		free(msg);
	}
	mf_advert_frags_free(&frags);
	n->stats.broadcasts++;
}

static uint64_t rng_next(struct mf_routing_node *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return n->rng;
}

struct beat_out {
	struct mf_routing_node *node;
	mf_pool_t *pool;
	const struct mf_addr *to;
};

static int emit_beat(void *ctx, const uint8_t *body, size_t len)
{
	struct beat_out *o = ctx;
	uint8_t msg[MF_ROUTING_NODE_ADVERT_BYTES + 2];
	if (len + 2 > sizeof(msg))
		return MF_ETOOBIG;
	msg[0] = MF_SERF_MSG_MESHFED;
	msg[1] = MF_ROUTING_NODE_MSG_BEAT;
	memcpy(msg + 2, body, len);
	if (mf_pool_send_user_to(o->pool, o->to, msg, len + 2) == 0)
		o->node->stats.bytes_out += len + 2;
	return 0;
}

/* Our beat message to member m of slot s's pool (alive, not us). */
static void beat_to(struct mf_routing_node_slot *s, const char *member, size_t n_beats)
{
	struct mf_member pm;
	if (mf_pool_member_find(s->pool, member, &pm) < 0)
		return;
	struct beat_out o = {s->node, s->pool, &pm.addr};
	(void)mf_beat_encode(s->node->dc, s->node->name, s->node->beats, n_beats,
			     MF_ROUTING_NODE_ADVERT_BYTES, emit_beat, &o);
}

static bool beat_recipient(const struct mf_routing_node_slot *s, const struct mf_coord_tracker_member *m)
{
	return (m->status == MF_MEMBER_ALIVE || m->status == MF_MEMBER_SUSPECT) &&
	       strcmp(m->name, s->node->name) != 0;
}

/* Our beat (node.h) in every pool: to the alive servers of our DC, and to
 * MF_ROUTING_NODE_BEAT_FANOUT other alive members at random (tries a few
 * more draws when some land on the dead or on us; a pool smaller than the
 * fanout gets it once per member at most, by chance). */
static void send_beats(struct mf_routing_node *n)
{
	size_t need = mf_routing_n_targets(n->engine) + 1;
	if (mf_grow(&n->beats, &n->cap_beats, need, 64) < 0)
		return;
	size_t nb = mf_routing_beats(n->engine, n->beats, n->cap_beats);
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_routing_node_slot *s = &n->slots[i];
		if (!s->pool || mf_dc_index_sync(&s->dcx, s->pool, n->name) < 0 || s->dcx.n_mem == 0)
			continue;
		const struct mf_dc_group *own = mf_dc_index_find(&s->dcx, n->dc);
		for (size_t k = 0; own && k < own->n; k++)
			if (beat_recipient(s, &s->dcx.mem[own->start + k]))
				beat_to(s, s->dcx.mem[own->start + k].name, nb);
		size_t sent = 0;
		for (size_t tries = 0; sent < MF_ROUTING_NODE_BEAT_FANOUT && tries < 4 * MF_ROUTING_NODE_BEAT_FANOUT;
		     tries++) {
			const struct mf_coord_tracker_member *m =
				&s->dcx.mem[rng_next(n) % s->dcx.n_mem];
			if (!beat_recipient(s, m) || strcmp(m->dc, n->dc) == 0)
				continue;
			beat_to(s, m->name, nb);
			sent++;
		}
	}
}

/* 1: server `name` is alive or suspect in one of our pools; -1: failed or
 * left in every pool it is in; 0: in none. */
static int server_state(const struct mf_routing_node *n, const char *name)
{
	int st = 0;
	for (size_t i = 0; i < n->n_slots; i++) {
		struct mf_member m;
		if (!n->slots[i].pool || mf_pool_member_find(n->slots[i].pool, name, &m) < 0)
			continue;
		if (m.status == MF_MEMBER_ALIVE || m.status == MF_MEMBER_SUSPECT)
			return 1;
		st = -1;
	}
	return st;
}

/* Forgets the gateways of servers that are gone (node.h). */
static void expire_gateways(struct mf_routing_node *n, mf_time_t now)
{
	for (size_t i = n->n_gw_heard; i-- > 0;) {
		struct gw_heard *h = &n->gw_heard[i];
		int st = server_state(n, h->node);
		if (h->pending || st > 0) {
			h->heard = now;
			h->pending = false;
		}
		if (st < 0 || now - h->heard >= MF_ROUTING_NODE_GW_EXPIRY) {
			if (mf_routing_forget_gateways_of(n->engine, h->origin, h->node) == 1)
				n->stats.gateways_expired++;
			gw_heard_drop(n, i);
		}
	}
}

int mf_routing_node_set_gateways(struct mf_routing_node *n, const struct mf_gateway *g, size_t n_g)
{
	return mf_routing_set_gateways(n->engine, g, n_g);
}

int mf_routing_node_tick(struct mf_routing_node *n, mf_time_t now, bool *changed)
{
	if (now >= 0)
		mf_routing_set_now(n->engine, (uint64_t)now);
	bool ch = false;
	if (changed)
		*changed = false;
	update_links(n);
	expire_gateways(n, now);
	int r = mf_routing_recompute(n->engine, &ch);
	if (r < 0)
		return r;
	if (changed)
		*changed = ch;
	n->stats.recomputes++;
	uint64_t seq = mf_routing_advert_seq(n->engine);
	if (seq != n->sent_seq || now - n->last_sent >= MF_ROUTING_NODE_FULL_REFRESH) {
		broadcast_advert(n);
		n->sent_seq = seq;
		n->last_sent = now;
	}
	if (!n->beat_sent || now - n->last_beat >= MF_ROUTING_NODE_REFRESH) {
		send_beats(n);
		n->beat_sent = true;
		n->last_beat = now;
	}
	return 0;
}

/* --- reading ----------------------------------------------------------------*/

int mf_routing_node_table(const struct mf_routing_node *n, struct mf_table *out)
{
	return mf_routing_table(n->engine, out);
}

const struct mf_routing *mf_routing_node_engine(const struct mf_routing_node *n)
{
	return n->engine;
}

const struct mf_routing_node_stats *mf_routing_node_stats(const struct mf_routing_node *n)
{
	return &n->stats;
}

size_t mf_routing_node_n_stored(const struct mf_routing_node *n)
{
	return n->n_stored;
}

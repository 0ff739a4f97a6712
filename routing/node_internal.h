/*
 * routing/node_internal.h — one server's routing node: its state, shared by
 * its files (private: only routing/node*.c include it). Each file has one job:
 *   node.c          lifecycle, pools, the tick, gateways' expiry, reading
 *   node_peers.c    other servers: DCs alive in a pool, foreign servers,
 *                   gateways heard
 *   node_recv.c     a message that arrived: dispatch, fragments relayed and joined
 *   node_adverts.c  complete adverts to the engine, storing, what is news to relay
 *   node_beats.c    beat messages: sending ours, taking others'
 *   node_pp.c       push-pull: our routing state in serf's map, merging a peer's
 *   node_links.c    direct links from the pools, and expiry of origins
 *   node_delta.c    deltas: ours against our last full state, others' applied
 * The contract is routing/node.h's.
 */
#ifndef MF_ROUTING_NODE_INTERNAL_H
#define MF_ROUTING_NODE_INTERNAL_H

#include "routing/advert_asm.h"
#include "routing/blobs.h"
#include "routing/dc_index.h"
#include "routing/node.h"

struct stored_advert {
	char *origin;
	const uint8_t *buf;   /* in the node's blobs */
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

/* The last full state a server of another DC (or another server of ours)
 * gossiped, encoded: what its deltas apply to (node_delta.c). */
struct base_in {
	char *origin, *node;
	uint64_t seq;
	uint8_t *buf;        /* NULL until its first full state */
	size_t len;
	/* The newest delta that came before its base (gossip has no order):
	 * applied when that base arrives. */
	uint64_t applied;    /* the newest delta seq applied: copies of it cost nothing */
	uint8_t *pend;       /* the delta's body (the decoder's input) */
	size_t pend_len;
	uint64_t pend_seq;
};
/* Bases held at most: one per server heard from (2,000 at 1,000 DCs of 2). */
#define MF_ROUTING_NODE_BASES_MAX 8192

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
	struct mf_blobs *blobs;  /* stored states' bytes (config blobs, or own_blobs) */
	struct mf_blobs *own_blobs;
	struct relayed *relayed;
	size_t n_relayed, cap_relayed;
	struct gw_heard *gw_heard;
	size_t n_gw_heard, cap_gw_heard;
	struct base_in *bases;
	size_t n_bases, cap_bases;
	struct mf_advert base_out; /* our last full state broadcast: our deltas' base */
	char **linked; /* DCs we set a link for */
	size_t n_linked, cap_linked;
	uint64_t sent_seq;
	mf_time_t last_full;     /* when our state last went out whole */
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

/* Shared between the node's files. */
/* node_peers.c */
bool mf_rn__pool_has_dc(struct mf_routing_node_slot *s, const char *dc);
bool mf_rn__foreign_server(const struct mf_routing_node *n, const char *node);
void mf_rn__gw_heard_drop(struct mf_routing_node *n, size_t i);
void mf_rn__gw_heard_touch(struct mf_routing_node *n, const char *origin, const char *node,
			   bool create);
/* node_adverts.c */
void mf_rn__drop_stored(struct mf_routing_node *n, struct stored_advert *s);
void mf_rn__take_advert(struct mf_routing_node_slot *sl, struct mf_advert *adv);
void mf_rn__count_refused(struct mf_routing_node *n, int rc);
bool mf_rn__relay_news(struct mf_routing_node *n, const char *origin, const char *node,
		       uint64_t seq, int f, bool per_node);
/* node_links.c */
void mf_rn__update_links(struct mf_routing_node *n);
/* node_delta.c */
void mf_rn__keep_sent(struct mf_routing_node *n, struct mf_advert *adv);
int mf_rn__send_delta(struct mf_routing_node *n, const struct mf_advert *adv, mf_time_t now);
void mf_rn__keep_base(struct mf_routing_node *n, const struct mf_advert *full);
void mf_rn__forget_bases(struct mf_routing_node *n, const char *origin);
void mf_rn__free_bases(struct mf_routing_node *n);
void mf_rn__take_delta(struct mf_routing_node_slot *sl, struct mf_advert *delta, const uint8_t *msg,
		       size_t len);
void mf_rn__take_pending(struct mf_routing_node_slot *sl, const char *origin, const char *node);
/* node_beats.c */
void mf_rn__on_beat(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len);
void mf_rn__send_beats(struct mf_routing_node *n);

#endif

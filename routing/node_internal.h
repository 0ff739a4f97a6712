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
 *   node_delta.c    deltas: ours against the state receivers hold (and since
 *                   any seq, for pulls), others' applied
 *   node_digest.c   anti-entropy by digest: push-pull and refresh digests,
 *                   pulls asked and answered
 *   node_sent.c     what receivers hold of our state, back to the engine
 *   node_reach.c    reach probes: whether our direct path to a DC works
 *   node_names.c    names of the records per server, held as ids
 * The contract is routing/node.h's.
 */
#ifndef MF_ROUTING_NODE_INTERNAL_H
#define MF_ROUTING_NODE_INTERNAL_H

#include "routing/advert_asm.h"
#include "routing/advert_delta.h"
#include "routing/blobs.h"
#include "routing/dc_index.h"
#include "routing/node.h"
#include "routing/relay_marks.h"

struct stored_advert {
	char *origin;
	char *node;           /* the server that sent it, and its seq: our digest */
	uint64_t seq;
	const uint8_t *buf;   /* in the node's blobs */
	size_t len;
};

/* A server of another DC whose advert carried gateways: when we last heard
 * from it, for expiry (node.h). */
struct gw_heard {
	char *origin, *node;
	uint64_t h;     /* mf_advert_key_hash(origin, node): compared first */
	mf_time_t heard;
	bool pending;   /* heard since the last tick: heard = that tick's now */
};
#define GW_HEARD_MAX 4096

/* The newest state of a server of another DC (or another server of ours)
 * we hold, whole or patched, encoded: what its next delta applies to
 * (node_delta.c). */
struct base_in {
	const char *origin, *node; /* held in the node's ids (mf_rn__names_hold) */
	uint64_t key;        /* mf_advert_key_hash(origin, node): compared first */
	uint64_t seq;
	const uint8_t *buf;  /* in the node's blobs; NULL until its first state */
	size_t len;
	/* The newest delta that came before its base (gossip has no order):
	 * applied when that base arrives. */
	uint8_t *pend;       /* the delta's body (the decoder's input) */
	size_t pend_len;
	uint64_t pend_seq;
	/* A delta found us behind: unless its base comes first, we pull what
	 * we lack from its server at pull_at, through slot `slot`. */
	mf_time_t pull_at;
	size_t slot;
	/* The last pull of this server's state we sent, and the seq it was
	 * for: one in flight per server (mf_rn__pull_once). */
	mf_time_t asked_at;
	uint64_t asked_seq;
};
/* Bases held at most: one per server heard from (2,000 at 1,000 DCs of 2). */
#define MF_ROUTING_NODE_BASES_MAX 8192

/* Reach probes of one DC (node_reach.c), by engine id. */
struct reach_dc {
	mf_time_t last_ping, last_pong;
	uint32_t nonce;   /* of the last ping */
	uint32_t rr;      /* next server, round-robin */
	bool sent;        /* a ping went out at all */
	bool pinged;      /* the last ping has no pong yet */
	bool answered;    /* a pong came at all: it runs reach probes */
	bool known;       /* a DC we link to */
};

struct mf_rn_reach {
	struct reach_dc *v; /* by engine id */
	size_t n, cap;      /* known DCs; ids covered */
};

struct mf_routing_node_slot {
	struct mf_routing_node *node;
	mf_pool_t *pool;
	const struct mf_coord_tracker *tracker;
	char (*peers)[MF_ROUTING_NODE_DC_MAX + 1];
	size_t n_peers;
	struct mf_dc_index dcx; /* the pool's members by DC, rebuilt on change */
	/* node_links.c's cache of this pool, by dcx group (rebuilt with dcx):
	 * the engine's id of the group's DC, whether it is a peer, and its
	 * estimate (ms, NAN: none), redone only when the tracker moved. */
	uint64_t seen_layout;     /* dcx.layout the cache was built at */
	const mf_pool_t *seen_pool;
	uint32_t *gid;
	bool *gpeer;
	double *gms;
	size_t cap_g;
	uint32_t *peer_id;        /* engine ids of peers (UINT32_MAX: none) */
	bool peer_ids_set;
	const struct mf_coord_tracker *seen_tracker;
	uint64_t tracker_sig;     /* what the estimates were taken at */
	uint64_t probe_sig;       /* our probes' count: direct_misses moved */
};

/* A DC's link as the last gather found it, by engine id (node_links.c). */
struct rn_link {
	double ms;
	uint32_t gen;             /* the gather that last touched it */
	bool configured, alive, usable, direct, estimated;
	bool linked;              /* set in the engine as configured */
};

struct mf_routing_node {
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	char name[MF_NAME_MAX + 1];
	struct mf_routing_node_hooks hooks;
	enum mf_coord_tracker_kind link_estimate;
	struct mf_routing *engine;
	struct mf_advert_asm asm_;
	/* Names of the records per server (reassembly slots, relay marks,
	 * bases, DC indexes) as ids: the pools' (config names) or own_ids. */
	struct mf_name_ids *ids;
	struct mf_name_ids own_ids;
	struct stored_advert *stored;
	size_t n_stored, cap_stored;
	struct mf_blobs *blobs;  /* stored states' bytes (config blobs, or own_blobs) */
	struct mf_blobs *own_blobs;
	struct mf_relay_marks relayed; /* what we relayed (routing/relay_marks.h) */
	struct gw_heard *gw_heard;
	size_t n_gw_heard, cap_gw_heard;
	struct base_in *bases;
	size_t n_bases, cap_bases;
	/* Ours as receivers hold it (the held view, wire units), the seq each
	 * of its routes last changed at, and the targets withdrawn with the
	 * seq they went at: our deltas, and deltas since any seq at least
	 * ver_floor for pulls (node_delta.c). */
	struct mf_advert base_out;
	uint64_t *out_ver;
	struct mf_advert_gone_at *out_gone;
	size_t n_out_gone, cap_out_gone;
	uint64_t ver_floor;
	uint64_t delta_from;     /* the seq our last delta applies from (node_delta.c) */
	int reach_back;          /* config's: < 0 never, else max transmits */
	bool split_deltas;       /* config's */
	bool riders_all;         /* config's */
	bool deltas_gossiped;    /* config's */
	mf_time_t direct_at;     /* our last delta sent direct (node_delta.c) */
	bool direct_due;         /* a state of ours waits for the gap */
	/* The held view in fragments, encoded at the first pull that needs it
	 * whole and kept until the held view moves (node_delta.c). */
	struct mf_advert_frags out_frags;
	size_t n_pulls_due;      /* bases with pull_at set */
	/* Links by engine id (node_links.c): gathered only when a pool's
	 * members, tracker or probes moved, a reach probe flipped, or a ping
	 * round is due; the engine gets only what changed. */
	struct rn_link *links;
	size_t cap_links;
	uint32_t *touched;       /* ids the gather touched */
	size_t n_touched, cap_touched;
	uint32_t *linked;        /* ids set as configured in the engine */
	size_t n_linked, cap_linked;
	uint32_t links_gen;
	mf_time_t links_next;    /* the next ping round: gather then anyway */
	size_t links_stored;     /* n_stored at the last gather (expiry) */
	mf_time_t gw_checked;    /* servers' gateways last checked (node.c) */
	bool links_dirty;        /* a reach probe flipped: gather at the next tick */
	uint64_t sent_seq;
	mf_time_t last_full;     /* when our state last went out whole */
	mf_time_t last_refresh;  /* when our digest entry last went out */
	mf_time_t beat_interval; /* config beat_interval (MF_ROUTING_NODE_REFRESH) */
	unsigned beat_all;       /* every beat_all-th beat lists every DC */
	mf_time_t last_beat;     /* when our beat message last went out */
	bool beat_sent;          /* one went out at all */
	unsigned beats_short;    /* our beats of our own entry alone since the
				  * last that listed every DC (node_beats.c) */
	mf_time_t last_hurry;    /* when our last hurried beat went out */
	uint64_t rng;            /* xorshift64: beat recipients */
	struct mf_beat_entry *beats; /* scratch for mf_routing_beats */
	size_t cap_beats;
	msgpack_sbuffer scratch;
	struct mf_routing_node_stats stats;
	mf_time_t now;           /* the last tick's */
	struct mf_rn_reach reach;
	struct mf_routing_node_slot slots[MF_ROUTING_NODE_MAX_POOLS];
	size_t n_slots;
};

/* Shared between the node's files. */
/* node_names.c: origin and node held in the node's ids (*o, *nd: their bytes
 * there, which stay put until released); MF_EINVAL (a name of 256 bytes or
 * more), MF_ENOMEM. */
int mf_rn__names_hold(struct mf_routing_node *n, const char *origin, const char *node, const char **o,
		      const char **nd);
void mf_rn__names_release(struct mf_routing_node *n, const char *origin, const char *node);
/* node_peers.c */
bool mf_rn__pool_has_dc(struct mf_routing_node_slot *s, const char *dc);
bool mf_rn__foreign_server(const struct mf_routing_node *n, const char *node);
void mf_rn__gw_heard_drop(struct mf_routing_node *n, size_t i);
void mf_rn__gw_heard_touch(struct mf_routing_node *n, const char *origin, const char *node,
			   bool create);
/* node_adverts.c */
/* The state we store of DC o (its newest), or NULL. */
struct stored_advert *mf_rn__find_stored(struct mf_routing_node *n, const char *o);
/* [MF_SERF_MSG_MESHFED][type][body] (malloc'd, *len bytes); NULL when out
 * of memory. */
uint8_t *mf_rn__framed(uint8_t type, const msgpack_sbuffer *body, size_t *len);
void mf_rn__drop_stored(struct mf_routing_node *n, struct stored_advert *s);
void mf_rn__take_advert(struct mf_routing_node_slot *sl, struct mf_advert *adv);
/* The same, with adv already encoded whole in the node's blobs (kept,
 * kept_len bytes; NULL: none), as node_recv.c has it from the delta base
 * it just kept: stored by reference instead of encoded and hashed again. */
void mf_rn__take_advert_kept(struct mf_routing_node_slot *sl, struct mf_advert *adv, const uint8_t *kept,
			     size_t kept_len);
void mf_rn__count_refused(struct mf_routing_node *n, int rc);
bool mf_rn__relay_news(struct mf_routing_node *n, const char *origin, const char *node,
		       uint64_t seq, int f, bool per_node);
/* node_links.c */
/* True when it gathered (something moved). */
bool mf_rn__update_links(struct mf_routing_node *n);
void mf_rn__links_free(struct mf_routing_node *n);
/* node_delta.c */
/* adv (consumed) went out whole: it is what receivers hold. */
void mf_rn__keep_sent(struct mf_routing_node *n, struct mf_advert *adv);
/* 1 when adv went out as a delta against what receivers hold (it fit one
 * message), 0 when it must go whole. */
int mf_rn__send_delta(struct mf_routing_node *n, const struct mf_advert *adv, mf_time_t now);
/* The seq receivers hold of us (0 before our first state went out). */
uint64_t mf_rn__own_seq(const struct mf_routing_node *n);
/* A state of ours that waited for the direct deltas' gap is due now (node.c
 * then sends it, against what receivers hold). */
bool mf_rn__delta_due(struct mf_routing_node *n, mf_time_t now);
/* The seq of the state of server `node` of `origin` we hold (0: none). */
uint64_t mf_rn__base_seq(const struct mf_routing_node *n, const char *origin, const char *node);
/* The base record of (origin, node), NULL when none (node_adverts.c reuses
 * its encoded state instead of encoding the same one again). */
const struct base_in *mf_rn__base_of(const struct mf_routing_node *n, const char *origin, const char *node);
/* Ours since seq h (what an asker holds) to `to` in slot s's pool, by
 * direct datagrams: a delta when one message says it, else whole.
 * Returns the bytes sent. */
size_t mf_rn__send_since(struct mf_routing_node_slot *s, const struct mf_addr *to, uint64_t h);
/* Whether a pull of (origin, node) for seq may go now, and if so marks it
 * sent: not while one sent for that seq or a later one is younger than
 * MF_ROUTING_NODE_PULL_WAIT (its answer is on its way; every digest and
 * push-pull naming the state asked again, from every peer at once). */
bool mf_rn__pull_once(struct mf_routing_node *n, const char *origin, const char *node, uint64_t seq);
/* b no longer waits for a pull (its base came, or the pull went). */
void mf_rn__no_pull(struct mf_routing_node *n, struct base_in *b);
/* Pulls that are due (deltas that found us behind and whose base did
 * not come since; node_digest.c). */
void mf_rn__pull_due(struct mf_routing_node *n, mf_time_t now);
/* The three below return 0 or an error (out of memory; a delta that does
 * not patch its base), which the caller counts in stats.local_errors: the
 * next full state of that server then does what the base or delta would. */
int mf_rn__keep_base(struct mf_routing_node *n, const struct mf_advert *full);
void mf_rn__forget_bases(struct mf_routing_node *n, const char *origin);
void mf_rn__free_bases(struct mf_routing_node *n);
int mf_rn__take_delta(struct mf_routing_node_slot *sl, struct mf_advert *delta, const uint8_t *msg,
		      size_t len);
int mf_rn__take_pending(struct mf_routing_node_slot *sl, const char *origin, const char *node);
/* node_digest.c */
int mf_rn__digest_state(struct mf_routing_node *n, msgpack_sbuffer *sb);
void mf_rn__merge_digest(struct mf_routing_node_slot *s, const uint8_t *buf, size_t len);
void mf_rn__on_digest(struct mf_routing_node_slot *s, const uint8_t *body, size_t len);
void mf_rn__send_digest(struct mf_routing_node *n);
/* A pull of server `node` of `origin` (we hold seq have) to that server
 * through slot s; false when it is no meshfed member of that pool. */
bool mf_rn__pull_from(struct mf_routing_node_slot *s, const char *origin, const char *node,
		      uint64_t have);
/* node_sent.c: a as it travels (encoded whole, or as a delta message),
 * decoded as a receiver decodes it (distances in 0.1 ms units). */
int mf_rn__wire_form(struct mf_routing_node *n, const struct mf_advert *a, bool delta,
		     struct mf_advert *out);
/* node_sent.c: full as sent whole (delta NULL), or delta as sent on full,
 * our base: what receivers hold of it, to the engine (mf_routing_set_sent). */
void mf_rn__note_sent(struct mf_routing_node *n, const struct mf_advert *full,
		      const struct mf_advert *delta);
/* node_beats.c */
void mf_rn__on_beat(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len);
/* Our beat when due (every MF_ROUTING_NODE_REFRESH), else our hurried
 * beat when one is due. */
void mf_rn__beats_tick(struct mf_routing_node *n, mf_time_t now);
/* node_request.c: seqno requests (docs/routing.md, "Seqno requests"):
 * the engine's sent to a server of the DC they name; one received, to
 * the engine. */
void mf_rn__requests_tick(struct mf_routing_node *n);
void mf_rn__on_request(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len);
/* node_reach.c */
void mf_rn__on_reach(struct mf_routing_node_slot *sl, const uint8_t *body, size_t len);
/* Pings the DC of group k of slot s's index (engine id s->gid[k]) when new,
 * or in a ping round; false when the DC answers reach probes but not lately
 * (our direct path to it is cut). */
bool mf_rn__reach_probe(struct mf_routing_node_slot *s, size_t k, bool round);
/* How often a ping round goes out. */
mf_time_t mf_rn__reach_period(const struct mf_routing_node *n);
void mf_rn__reach_free(struct mf_rn_reach *t);

#endif

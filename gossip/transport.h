/*
 * gossip/transport.h — the libuv shell around ONE pure gossip pool.
 *
 * The pool (gossip/pool.h) decides; the transport moves bytes and keeps time.
 * It owns, for one pool: a UDP socket and a TCP listener bound to the same
 * IP:port (memberlist's net_transport.go), the inbound TCP streams it accepts,
 * the outbound streams the pool asks for, and one uv_timer re-armed to
 * mf_pool_next_wake() after every pool call. `now` is uv_hrtime().
 *
 * Contract
 *  - A value: an agent may run several transports (one per pool: the WAN
 *    pool, one per network area) on one loop. No globals.
 *  - After EVERY call into the pool the transport drains
 *    mf_pool_next_output(): datagrams are sent (never blocking: a full
 *    socket buffer drops the datagram, as UDP may), streams are opened or
 *    answered, events go to the owner's on_event callback.
 *  - A slow or silent peer never stalls the loop: every stream has a
 *    deadline for the whole exchange (the pool's tcp_timeout, or the timeout
 *    of the open request), inbound streams are limited in number (in all and
 *    per source IP) and in bytes (memberlist's maxPushStateBytes, 20 MB,
 *    each; max_inbound_bytes for all together), excess connections are
 *    closed at once.
 *  - Memory follows bytes received, never declared lengths: a read buffer
 *    grows by doubling as data arrives, and framing is incremental
 *    (mf_codec_stream_feed), so each byte is parsed once.
 *  - Outbound stream endings (reply, failure, timeout) are reported to the
 *    pool from libuv callbacks, never from inside a drain, so the pool is
 *    never re-entered.
 *  - The transport does not own the pool or the loop; mf_transport_close()
 *    closes its handles and calls `done` once they are all closed, after
 *    which the pool may be freed.
 */
#ifndef MF_GOSSIP_TRANSPORT_H
#define MF_GOSSIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "gossip/pool.h"

#define MF_TRANSPORT_MAX_STREAM_BYTES ((size_t)20 * 1024 * 1024) /* maxPushStateBytes */
#define MF_TRANSPORT_MAX_INBOUND 128   /* concurrent inbound streams */
#define MF_TRANSPORT_MAX_OUTBOUND 256  /* concurrent outbound streams */
#define MF_TRANSPORT_MAX_UDP_QUEUE 256 /* datagrams waiting for the socket */
/* Read buffers of all inbound streams together, before any of them is
 * authenticated: 64 streams of 1 MB, or three full 20 MB push-pulls. */
#define MF_TRANSPORT_MAX_INBOUND_BYTES ((size_t)64 * 1024 * 1024)
/* Concurrent inbound streams from one IP. An honest peer holds at most one
 * or two (a push-pull every interval, a join, a user message, a TCP ping
 * fallback, each closed after one exchange); 8 leaves room for several
 * agents behind one address, and 16 addresses are needed to fill the 128
 * slots. */
#define MF_TRANSPORT_MAX_INBOUND_PER_ADDR 8

typedef struct mf_transport mf_transport_t;

struct mf_transport_callbacks {
	void *ctx;
	/* A membership event from the pool. `ev->name` is valid only during the
	 * call; the callback may query the pool but must not call into it. */
	void (*on_event)(void *ctx, const struct mf_pool_event *ev);
	/* Called once after each drain; the owner may call transport operations
	 * from here (e.g. to flush user broadcasts its delegates queued). */
	void (*after_drain)(void *ctx);
};

struct mf_transport_config {
	struct mf_addr bind;           /* UDP and TCP on this IP:port */
	size_t max_inbound;            /* 0: MF_TRANSPORT_MAX_INBOUND */
	size_t max_outbound;           /* 0: MF_TRANSPORT_MAX_OUTBOUND */
	size_t max_stream_bytes;       /* 0: MF_TRANSPORT_MAX_STREAM_BYTES */
	size_t max_inbound_bytes;      /* 0: MF_TRANSPORT_MAX_INBOUND_BYTES */
	size_t max_inbound_per_addr;   /* 0: MF_TRANSPORT_MAX_INBOUND_PER_ADDR */
	mf_time_t inbound_timeout;     /* 0: the pool's tcp_timeout */
	struct mf_transport_callbacks cb;
};

/* What the shell saw, on top of the pool's own counters. */
struct mf_transport_stats {
	uint64_t udp_send_errors;     /* sendto failed or queue full: dropped */
	uint64_t udp_recv_errors;
	uint64_t streams_accepted;
	uint64_t streams_rejected;    /* over max_inbound */
	uint64_t streams_rejected_addr; /* over max_inbound_per_addr */
	uint64_t streams_over_budget; /* dropped: max_inbound_bytes reached */
	uint64_t streams_oversize;    /* over max_stream_bytes */
	uint64_t streams_timed_out;   /* inbound and outbound */
	uint64_t streams_bad;         /* framing the pool could never read */
	uint64_t streams_opened;      /* outbound */
	uint64_t streams_failed;      /* outbound: connect/write/read/timeout */
	size_t inbound_now, outbound_now;
	size_t inbound_bytes;         /* read buffers held by inbound streams */
};

/* Binds UDP and TCP and starts the timer. Errors: MF_EINVAL (bad config),
 * MF_EIO (bind/listen failed: *uv_err, when not NULL, gets libuv's code). */
int mf_transport_new(uv_loop_t *loop, mf_pool_t *pool, const struct mf_transport_config *cfg,
		     mf_transport_t **out, int *uv_err);
/* Stops everything; `done(ctx)` runs once every handle is closed, after
 * which the transport is freed. In-flight streams are abandoned without
 * telling the pool (it is about to be freed); outputs are discarded. */
void mf_transport_close(mf_transport_t *t, void (*done)(void *ctx), void *ctx);

mf_pool_t *mf_transport_pool(const mf_transport_t *t);
void mf_transport_get_stats(const mf_transport_t *t, struct mf_transport_stats *s);
/* The address the sockets are bound to (with the real port if 0 was asked). */
void mf_transport_bound(const mf_transport_t *t, struct mf_addr *a);
mf_time_t mf_transport_now(const mf_transport_t *t);

/* Pool operations with the shell's clock; each drains and re-arms. */
int mf_transport_join(mf_transport_t *t, const struct mf_addr *addr, uint64_t *join_id);
int mf_transport_leave(mf_transport_t *t);
int mf_transport_force_leave(mf_transport_t *t, const char *name);
int mf_transport_set_meta(mf_transport_t *t, const uint8_t *meta, size_t len);
int mf_transport_broadcast_user(mf_transport_t *t, const char *key, const uint8_t *msg,
				size_t len);
/* Carries out what the pool queued outside the calls above (the owner
 * called the pool directly: the serf glue's flush) and re-arms. */
void mf_transport_drain(mf_transport_t *t);
int mf_transport_send_user_stream(mf_transport_t *t, const char *node, const uint8_t *msg,
				  size_t len);
int mf_transport_send_user_to(mf_transport_t *t, const struct mf_addr *to, const uint8_t *msg,
			      size_t len);

#endif

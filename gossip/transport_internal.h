/*
 * gossip/transport_internal.h — what transport.c (sockets, timer, drain) and
 * transport_stream.c (inbound and outbound TCP streams) share. Not a public
 * header: only gossip/transport*.c include it.
 *
 * Calls go one way: transport.c calls into transport_stream.c; the streams
 * reach back only through the two hooks transport.c sets in the transport
 * (drain after the pool was called, maybe_done after a handle closed). Both
 * use transport_addr.c, which calls neither.
 */
#ifndef MF_GOSSIP_TRANSPORT_INTERNAL_H
#define MF_GOSSIP_TRANSPORT_INTERNAL_H

#include "gossip/codec.h"
#include "gossip/transport.h"

#define MF_UDP_RECV_BUF 65536 /* memberlist's udpPacketBufSize */

enum mf_tstream_state {
	MF_TS_CONNECTING, /* outbound: waiting for connect */
	MF_TS_WRITING,    /* writing our request or reply */
	MF_TS_READING,    /* reading one frame */
	MF_TS_AWAIT_POOL, /* inbound: frame handed to the pool, reply pending */
	MF_TS_CLOSING,    /* handles closing; freed when both are closed */
};

/* One TCP stream, inbound (accepted) or outbound (opened for the pool). */
struct mf_tstream {
	struct mf_tstream *prev, *next; /* in t->inbound or t->outbound */
	mf_transport_t *t;
	uv_tcp_t tcp;
	uv_timer_t timer;        /* the stream's deadline */
	uv_connect_t connect_req;
	uv_write_t write_req;
	bool outbound;
	bool expect_reply;       /* outbound: read one frame after writing */
	bool report_failed;      /* outbound: tell the pool when closed */
	enum mf_tstream_state state;
	int open_handles;        /* handles not yet closed */
	uint64_t id;             /* inbound: ours; outbound: the pool's */
	struct mf_addr peer;
	bool counted;            /* inbound: holds one of max_inbound's slots */
	uint8_t *rbuf;           /* bytes read so far */
	size_t rlen, rcap;       /* inbound: rcap is charged to inbound_bytes */
	struct mf_stream_framer fr; /* where framing of rbuf stopped */
	uint8_t *wbuf;           /* bytes being written (owned copy) */
	size_t wlen;
};

struct mf_tstream_list {
	struct mf_tstream *head;
	size_t n;
};

struct mf_transport {
	uv_loop_t *loop;
	mf_pool_t *pool;
	struct mf_transport_config cfg;
	struct mf_addr bound;
	uv_udp_t udp;
	uv_tcp_t listener;
	uv_timer_t timer;
	int open_handles;        /* of udp, listener, timer */
	bool closing;
	bool in_after_drain;
	void (*done)(void *ctx);
	void *done_ctx;
	/* Set by transport.c for transport_stream.c: run the pool's outputs
	 * after a call into the pool; free the transport if closing is over. */
	void (*drain)(mf_transport_t *t);
	void (*maybe_done)(mf_transport_t *t);
	uint64_t next_inbound_id;
	size_t udp_queued;       /* datagrams waiting in uv_udp_send */
	struct mf_tstream_list inbound, outbound;
	size_t inbound_active;   /* inbound streams not closing */
	size_t inbound_bytes;    /* sum of rcap over inbound streams */
	struct mf_transport_stats stats;
	uint8_t udp_buf[MF_UDP_RECV_BUF];
};

/* transport_addr.c */
int mf_transport_addr_to_sockaddr(const struct mf_addr *a, struct sockaddr_storage *ss);
int mf_transport_addr_from_sockaddr(const struct sockaddr *sa, struct mf_addr *a);

/* transport_stream.c */
void mf_tstream_on_connection(uv_stream_t *server, int status);
void mf_tstream_open(mf_transport_t *t, const struct mf_pool_out *o);
void mf_tstream_reply(mf_transport_t *t, uint64_t id, const uint8_t *data, size_t len);
void mf_tstream_close_inbound(mf_transport_t *t, uint64_t id);
void mf_tstream_close_all(mf_transport_t *t);

#endif

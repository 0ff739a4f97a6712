/*
 * cmd/gateway/gwd.h — what the files of `meshfed gateway`'s I/O shell share.
 *
 *   gwd.c        lifecycle: listeners, signals, the control socket's "info";
 *   subscriber.c the route-socket client: subscribe, apply, ack, register,
 *                health every 5 s, reconnect with backoff (the last table
 *                stays in force while the agent is away);
 *   conn.c       one connection until it relays: PROXY v2 from trusted
 *                gateways, the ClientHello, the decision (local service or
 *                the route's next hop), connects with timeout and failover;
 *   relay.c      both directions with backpressure, half-close, idle timeout;
 *   conn_life.c  one connection's lifetime: allocated at accept, closed from
 *                any state, freed with its last handle (conn.c and relay.c
 *                both end connections there; neither calls the other back);
 *   counters.c   outcome names, counters as JSON, the rate-limited log line
 *                per refused connection.
 *
 * The decisions themselves are gateway/'s pure cores (ClientHello reader,
 * SNI names, PROXY v2, next-hop plan and ejection); this shell only moves
 * bytes and time into them. It never decrypts and never logs payload.
 * Only the files of cmd/gateway/ and cmd/cli/cmd_gateway.c include this header.
 */
#ifndef MF_CMD_GATEWAY_GWD_H
#define MF_CMD_GATEWAY_GWD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "cmd/daemon/control.h"
#include "cmd/daemon/log.h"
#include "cmd/daemon/metrics_http.h"
#include "cmd/gateway/options.h"
#include "gateway/choose.h"
#include "gateway/clienthello.h"
#include "gossip/rng.h"
#include "routing/route_proto.h"

#define MF_GWD_READ_BUF (256 * 1024)     /* one relay read (shared by the loop) */
#define MF_GWD_HEALTH_MS 5000            /* health (and re-register) period */
#define MF_GWD_BACKOFF_MIN_MS 100        /* route-socket reconnect backoff */
#define MF_GWD_BACKOFF_MAX_MS 5000
#define MF_GWD_SUB_READ (64 * 1024)      /* route-socket line buffer, first size */
#define MF_GWD_SUB_MAX_LINE ((size_t)64 * 1024 * 1024) /* one snapshot line */
#define MF_GWD_LOG_BURST 20              /* refusal lines at once ... */
#define MF_GWD_LOG_PER_S 5               /* ... then this many a second */

/* How a connection ended up; one counter each (docs/gateway.md). */
enum mf_gwd_outcome {
	MF_GWD_LOCAL = 0,             /* relayed to a service of this DC */
	MF_GWD_FORWARDED,             /* relayed to another DC's gateway */
	MF_GWD_NO_ROUTE,              /* target DC unknown or unreachable */
	MF_GWD_NO_GATEWAY,            /* reachable, but no gateway to dial */
	MF_GWD_BAD_HELLO,             /* not TLS, malformed, no SNI, too big, too slow */
	MF_GWD_UNKNOWN_TRUST_DOMAIN,  /* SNI outside -trust-domain */
	MF_GWD_UNKNOWN_SERVICE,       /* our DC, no such -service */
	MF_GWD_UPSTREAM_FAILED,       /* every candidate failed or is ejected */
	MF_GWD_HOP_LIMIT,             /* would pass MF_GW_HOP_LIMIT gateway hops */
	MF_GWD_UNTRUSTED_PROXY,       /* PROXY header from a non-gateway, or bad */
	MF_GWD_OVER_LIMIT,            /* -max-conns reached at accept */
	MF_GWD_OUTCOME_COUNT_
};
const char *mf_gwd_outcome_name(enum mf_gwd_outcome o); /* "no_route", ... */

struct mf_gwd_stats {
	uint64_t outcomes[MF_GWD_OUTCOME_COUNT_];
	uint64_t accepted;
	uint64_t active;            /* open connections, any state */
	uint64_t relaying;          /* of which relaying */
	uint64_t bytes_up;          /* client -> upstream (incl. the replayed hello) */
	uint64_t bytes_down;        /* upstream -> client */
	uint64_t connect_attempts;
	uint64_t connect_failures;  /* refused, unreachable or timed out */
	uint64_t failovers;         /* connections that succeeded past their first candidate */
	uint64_t idle_closed;
	uint64_t refusals_not_logged;
};

/* Token bucket for refusal log lines (pure; now in ns). */
struct mf_gwd_ratelog {
	double tokens;
	mf_time_t last;
	uint64_t suppressed;        /* since the last line that was written */
};

struct mf_gwd;

/* The route-socket subscriber (subscriber.c). */
struct mf_gwd_sub {
	struct mf_gwd *g;
	char path[MF_CONFIG_SOCK_MAX + 1];
	struct mf_rp_client rp;      /* hello + the table applied; kept across reconnects */
	uv_pipe_t pipe;
	uv_connect_t creq;
	uv_timer_t retry, health;
	bool pipe_open, connected, stopping, warned;
	uint64_t backoff_ms;
	char *line;                  /* bytes of the line being read */
	size_t len, cap;
	uint8_t *gw_ips;             /* sorted 16-byte IPs of the table's gateways */
	size_t n_gw_ips;
	uint64_t connects, updates, rejected, errors;
	int handles_open;
};

/* One direction of a relay: what is read from `from` is written to `to`. */
struct mf_gwd_dir {
	uv_tcp_t *from, *to;
	size_t unwritten;     /* bytes queued on `to`, not yet in the kernel */
	bool eof;             /* `from` ended (or the relay gave up on it) */
	bool shut;            /* the shutdown of `to` completed */
	bool paused;          /* `from` not read: `to` has too much unwritten */
	uint64_t *bytes;      /* the stats counter for this direction */
	uv_shutdown_t sreq;
};

enum mf_gwd_conn_state {
	MF_GWD_C_HELLO = 0,   /* reading a PROXY header and the ClientHello */
	MF_GWD_C_CONNECTING,  /* dialing a candidate */
	MF_GWD_C_RELAY,
	MF_GWD_C_CLOSING,
};

struct mf_gwd_conn {
	struct mf_gwd *g;
	struct mf_gwd_conn *prev, *next;
	enum mf_gwd_conn_state state;
	uv_tcp_t down;              /* the client, or the previous gateway */
	uv_tcp_t up;                /* the service, or the next gateway */
	uv_timer_t timer;           /* hello, connect or idle deadline */
	uv_connect_t creq;
	int handles_open;
	bool up_open;
	char peer[64];              /* "IP:PORT" of down, for log lines */
	struct mf_addr peer_addr;
	struct mf_addr client_addr; /* peer_addr, or a trusted PROXY header's source */
	struct mf_addr client_dst;  /* what the client dialed: our listener, or the
				     * first gateway's as its PROXY header says */
	/* hello */
	uint8_t *buf;               /* everything read from down so far */
	size_t len, cap;
	size_t pp2_len;             /* a PROXY header at buf's start (not replayed) */
	bool pp2_done;              /* the first bytes were classified */
	unsigned hops_in;           /* gateway hops made before us (0: a client) */
	struct mf_ch_reader ch;
	size_t ch_fed;              /* bytes after pp2_len fed to ch */
	/* upstream */
	bool remote;                /* dialing another DC's gateway (PROXY + hops) */
	uint8_t hops_out;
	struct mf_gw_plan plan;
	bool has_plan;
	size_t svc_index, svc_start, svc_tries; /* local: -service and round robin */
	char target[80];            /* the address dialed / relayed to */
	char target_name[3 * (MF_GW_LABEL_MAX + 1)]; /* DC, or local service, for logs */
	int ep_state;               /* 0, 1 attempted, 2 connected (mf_gw_ep_*) */
	bool attempt_over;          /* the current connect was settled */
	size_t attempts;
	/* relay */
	struct mf_gwd_dir dir[2];   /* 0: down -> up, 1: up -> down */
	mf_time_t last_io;
};

/* relay.c: writes what conn.c read (behind a PROXY header when remote)
 * and relays both ways until both are shut, an error, or idle. */
int mf_gwd_relay_start(struct mf_gwd_conn *c);

/* conn_life.c: a connection with its down and timer handles initialised,
 * in g->conns and counted active. MF_ENOMEM, MF_EIO (a handle's init). */
int mf_gwd_conn_new(struct mf_gwd *g, struct mf_gwd_conn **out);
/* Closes every handle of c (once, from any state); c is freed when they
 * are closed. */
void mf_gwd_conn_close(struct mf_gwd_conn *c);
/* For a close callback of one of c's handles h: true when it was c's last
 * and c is freed. */
bool mf_gwd_conn_handle_closed(struct mf_gwd_conn *c, uv_handle_t *h);
void mf_gwd_conns_close_all(struct mf_gwd *g);

struct mf_gwd {
	uv_loop_t loop;
	struct mf_gw_options opt;
	struct mf_log log;
	char dc[MF_GW_LABEL_MAX + 1];   /* -dc, else the agent's; "" until known */
	uv_tcp_t listeners[MF_GW_MAX_LISTEN];
	size_t n_listeners;
	struct mf_gwd_sub sub;
	struct mf_control *ctl;
	struct mf_metrics_http *metrics;  /* -metrics-addr, NULL when off */
	uv_signal_t sigint, sigterm;
	bool signals_open, stopping;
	int handles_open;               /* listeners + signals, for the shutdown */
	struct mf_gw_eps eps;           /* remote gateways' load and ejection */
	struct mf_rng rng;
	size_t *svc_next;               /* round-robin cursor per -service */
	struct sockaddr_storage dial_from; /* remote dials leave from -advertise's IP */
	bool has_dial_from;
	struct mf_gwd_conn *conns;      /* every open connection */
	uint8_t *readbuf;               /* MF_GWD_READ_BUF: one loop, one read at a time */
	struct mf_gwd_stats st;
	struct mf_gwd_ratelog rl;
	mf_time_t started;
};

/* The gateway's clock (inline: every file of the shell reads it, and gwd.c
 * would otherwise be called back by the files it calls). */
static inline mf_time_t mf_gwd_now(const struct mf_gwd *g)
{
	(void)g;
	return (mf_time_t)uv_hrtime();
}

/* subscriber.c */
int mf_gwd_sub_start(struct mf_gwd *g, char *err, size_t errcap);
/* Closes its handles (counted in s->handles_open); then mf_gwd_sub_free. */
void mf_gwd_sub_stop(struct mf_gwd_sub *s);
void mf_gwd_sub_free(struct mf_gwd_sub *s);
/* The table in force, NULL before the first one arrived. */
const struct mf_table *mf_gwd_sub_table(const struct mf_gwd_sub *s);
/* true when ip is the address of a gateway in the table in force. */
bool mf_gwd_sub_is_gateway(const struct mf_gwd_sub *s, const struct mf_addr *ip);
json_t *mf_gwd_sub_json(const struct mf_gwd_sub *s);

/* conn.c */
void mf_gwd_on_accept(uv_stream_t *listener, int status);

/* counters.c */
json_t *mf_gwd_info_json(struct mf_gwd *g);
/* metrics.c: the counters as Prometheus text (-metrics-addr). */
int mf_gwd_metrics_text(struct mf_gwd *g, char **out, size_t *len);
/* One log line naming the cause of a refusal, rate-limited; counts it. */
void mf_gwd_refuse_log(struct mf_gwd *g, enum mf_gwd_outcome o, const char *peer,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Pure: true when a line may be written at now (takes a token). */
bool mf_gwd_ratelog_take(struct mf_gwd_ratelog *r, mf_time_t now);

/* gwd.c */
int mf_gwd_run(struct mf_gw_options *opt, char *err, size_t errcap);

#endif

/*
 * cmd/sim/simnet.h — a virtual-time network of N gossip pools in one process.
 *
 * Contract: pure and deterministic for a given seed: no clock, no sockets.
 * Owns the pools. Time only moves inside mf_simnet_run_until(), which pops
 * events in (time, insertion order): a pool's deadline (mf_pool_tick), a
 * datagram arriving, a stream frame arriving, a stream reply or failure
 * coming back. Models:
 *  - one-way delay per ordered pair (a matrix in ms, or one value for all);
 *    a negative entry means no link: nothing passes (as a partition);
 *  - jitter: each datagram and stream frame between nodes of different
 *    `dc` gets a delay offset uniform in [-jitter/2, +jitter/2] (the WAN
 *    emulator's rule, tests/wanem/net.c), so the mean RTT stays put;
 *  - random loss of datagrams, global and per ordered pair (streams are
 *    TCP: reliable or failed; with stream_loss, failed at random);
 *  - nodes up or down (a killed node drops everything; a connection to it is
 *    refused after a round trip);
 *  - partitions: nodes carry a group number and nothing passes between
 *    different groups (a stream across times out);
 *  - per-node UDP blackholes (TCP still passes);
 *  - slow members (Lifeguard's setting), the last `slow` nodes, in one of
 *    two ways: with slow_lag, each handles every datagram and stream frame
 *    slow_lag after it arrived, while its timers keep time (a receive
 *    queue that lags); else each stalls for slow_stall of every
 *    slow_period (from its own phase), as a process starved of CPU:
 *    whatever reaches it while it stalls (its timers, datagrams, stream
 *    frames) is handled when the stall ends, timers first, then the rest
 *    in arrival order.
 * Reporting is not here: callers read pools and get events via a callback.
 */
#ifndef MF_SIM_SIMNET_H
#define MF_SIM_SIMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/pool.h"

struct mf_simnet;

struct mf_simnet_config {
	size_t n;                 /* pools */
	const double *delay_ms;   /* n*n one-way delays, [from*n + to]; NULL: uniform;
				   * < 0: no link */
	double uniform_delay_ms;  /* used when delay_ms is NULL */
	double loss;              /* datagram loss probability, each direction */
	double stream_loss;       /* probability a stream fails at its deadline
				   * (a connection that does not make it in time) */
	const double *pair_loss;  /* optional n*n extra loss per ordered pair */
	double jitter_ms;         /* 0: none */
	size_t slow;              /* the last `slow` nodes are slow (0: none) */
	mf_time_t slow_stall;     /* each stalls this long (< slow_period) ... */
	mf_time_t slow_period;    /* ... of every period */
	mf_time_t slow_lag;       /* > 0: instead, every message to one waits this long */
	const int *dc;            /* optional n: jitter only between different
				   * values; NULL: between all nodes */
	uint64_t seed;
	enum mf_profile profile;
	/* Optional: adjust pool i's config (name, timings, delegate) before it
	 * is created (also on restart). Defaults: name "n<i>", address
	 * 10.x.y.z:7946 derived from i, profile timings, seed from `seed`. */
	void (*configure)(void *ctx, size_t i, struct mf_pool_config *c);
	/* Optional: every membership event of every pool. */
	void (*on_event)(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev);
	/* Optional: after pool i's outputs were carried out, the owner may call
	 * into the pool (the serf glue's flush); > 0: it queued outputs, which
	 * are carried out in turn. */
	int (*after_drain)(void *ctx, size_t i, mf_pool_t *p, mf_time_t now);
	void *ctx;
};

struct mf_simnet_stats {
	uint64_t events, udp_sent, udp_lost, udp_blocked, streams, streams_failed;
};

int mf_simnet_new(const struct mf_simnet_config *cfg, struct mf_simnet **out);
void mf_simnet_free(struct mf_simnet *net);

size_t mf_simnet_size(const struct mf_simnet *net);
mf_time_t mf_simnet_now(const struct mf_simnet *net);
/* NULL when node i is down. */
mf_pool_t *mf_simnet_pool(struct mf_simnet *net, size_t i);
bool mf_simnet_is_up(const struct mf_simnet *net, size_t i);
/* Index of the node at address a, or -1. */
long mf_simnet_find(const struct mf_simnet *net, const struct mf_addr *a);

/* Runs every event due at or before t; afterwards now == t. */
int mf_simnet_run_until(struct mf_simnet *net, mf_time_t t);

/* Pool i joins node j (push-pull). */
int mf_simnet_join(struct mf_simnet *net, size_t i, size_t j);
/* Pool i leaves gracefully (it keeps running until killed). */
int mf_simnet_leave(struct mf_simnet *net, size_t i);
/* Hard kill: the pool is freed, the node drops everything. */
void mf_simnet_kill(struct mf_simnet *net, size_t i);
/* Starts a fresh pool under the same name and address (incarnation 1) and
 * joins node `seed_node`. */
int mf_simnet_restart(struct mf_simnet *net, size_t i, size_t seed_node);
/* Partition: nothing passes between nodes of different groups. */
void mf_simnet_set_group(struct mf_simnet *net, size_t i, int group);
void mf_simnet_heal(struct mf_simnet *net);
void mf_simnet_set_loss(struct mf_simnet *net, double loss);
/* Drops every datagram to or from node i (its TCP still works), like an
 * iptables DROP on UDP only. */
void mf_simnet_block_udp(struct mf_simnet *net, size_t i, bool blocked);
/* One-way delay from node `from` to node `to` from now on (negative: no
 * link, nothing passes that way: a one-way cut). MF_EINVAL without a delay
 * matrix or out of range. */
int mf_simnet_set_delay(struct mf_simnet *net, size_t from, size_t to, double ms);
void mf_simnet_get_stats(const struct mf_simnet *net, struct mf_simnet_stats *s);

#endif

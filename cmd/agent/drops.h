/*
 * cmd/agent/drops.h — what a pool dropped, as one log line (a dropped
 * packet must be visible in a CI log, not only in `meshfed info`).
 *
 * The counters are the ones `meshfed info` and the metrics already keep
 * (docs/control-protocol.md): the pool's bad packets by cause, the
 * incarnations out of window and the members refused; the transport's
 * receive and send errors and the streams it refused, found oversize or
 * over budget, or could not frame; the serf glue's decode errors and
 * queue drops. A snapshot of them is taken now and then; the line names
 * each counter that moved since the last one, with how much.
 *
 * Contract: pure (no I/O, no clock); the agent's shell calls it from its
 * housekeeping timer, every -drop-report-interval (30 s by default), and
 * at exit (cmd/agent/agent_pool.c).
 */
#ifndef MF_CMD_DROPS_H
#define MF_CMD_DROPS_H

#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"
#include "gossip/pool.h"
#include "gossip/serf_glue.h"
#include "gossip/transport.h"

/* The counters besides the pool's by cause, in the order they are named. */
enum mf_drop_other {
	MF_DROP_INC_WINDOW,
	MF_DROP_MEMBERS_REFUSED,
	MF_DROP_UDP_RECV_ERRORS,
	MF_DROP_UDP_SEND_ERRORS,
	MF_DROP_STREAMS_REJECTED,
	MF_DROP_STREAMS_REJECTED_ADDR,
	MF_DROP_STREAMS_OVER_BUDGET,
	MF_DROP_STREAMS_OVERSIZE,
	MF_DROP_STREAMS_BAD,
	MF_DROP_SERF_DECODE_ERRORS,
	MF_DROP_SERF_QUEUE_DROPS,
	MF_DROP_OTHER_COUNT_
};

struct mf_drops {
	uint64_t by_cause[MF_ERR_COUNT_]; /* the pool's bad packets, index -enum mf_err */
	uint64_t other[MF_DROP_OTHER_COUNT_];
};

/* A snapshot of the counters; ts or g NULL: none (zero). */
void mf_drops_take(struct mf_drops *d, const struct mf_pool_stats *ps,
		   const struct mf_transport_stats *ts, const struct mf_serf_glue_stats *g);

/* "malformed message 7, truncated message 5, streams oversize 1": each
 * counter of now above its value in then, in buf (always NUL-terminated,
 * cut short with "..." when cap is too small); returns how many moved (0:
 * buf is ""). A counter below then (a restarted pool) counts from 0. */
size_t mf_drops_format(const struct mf_drops *then, const struct mf_drops *now, char *buf,
		       size_t cap);

#endif

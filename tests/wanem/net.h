/*
 * tests/wanem/net.h — the emulated WAN's link table and its control language.
 *
 * Contract: owns the per-DC-pair state (one-way delay, loss, down, cut by a
 * partition) built from a topology, decides each packet's fate from random
 * numbers the caller draws, and applies the text commands that `wanem link /
 * delay / loss / partition / heal` send. Pure: never reads the clock, never
 * touches a socket or a device; the router (router.c) does both.
 */
#ifndef MF_WANEM_NET_H
#define MF_WANEM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/topology.h"

/* One direction of a DC pair; [a][b] and [b][a] are kept equal, but for
 * `link A B down oneway` (only A -> B down). */
struct mf_wanem_link {
	bool exists;         /* rtt_ms gives the pair and they share an area */
	bool down;           /* `wanem link A B down [oneway]` */
	bool cut;            /* `wanem partition`, undone by `wanem heal` */
	double rtt_ms;       /* as configured; one-way delay is half */
	double loss;         /* probability 0..1 per packet and direction */
	int64_t one_way_ns;  /* rtt_ms / 2, precomputed for the packet path */
	uint32_t loss_below; /* drop when a uniform u32 is below this */
};

struct mf_wanem_net {
	size_t n_dcs;
	char (*names)[MF_TOPOLOGY_NAME_MAX];
	struct mf_wanem_link *links; /* n_dcs x n_dcs */
	int64_t intra_ns;            /* one-way delay inside a DC */
	int64_t jitter_ns;           /* one-way delay varies by +-jitter/2 */
};

/* Verdict of mf_wanem_net_verdict() when the packet must be dropped. */
#define MF_WANEM_DROP_NOLINK (-1) /* pair absent from the topology */
#define MF_WANEM_DROP_DOWN (-2)   /* link down or cut by a partition */
#define MF_WANEM_DROP_LOSS (-3)   /* random loss */

int mf_wanem_net_init(struct mf_wanem_net *n, const struct mf_topology *t);
void mf_wanem_net_free(struct mf_wanem_net *n);

/* Delay in ns (>= 0) for a packet from DC src to DC dst, or a negative
 * MF_WANEM_DROP_*. r_loss and r_jitter are uniform random u32s. */
int64_t mf_wanem_net_verdict(const struct mf_wanem_net *n, size_t src,
			     size_t dst, uint32_t r_loss, uint32_t r_jitter);

/* True while a packet between src and dst may still be delivered (checked
 * again at release, so a link going down drops what is in flight). */
bool mf_wanem_net_passes(const struct mf_wanem_net *n, size_t src, size_t dst);

/* Applies one command line and writes a one-line reply ("ok" or
 * "error: ..."). Returns 0 or MF_EINVAL. Commands:
 *   link A B down|up [oneway]   delay A B RTT_MS   loss A B PERCENT
 *   partition G1 G2      heal                 show
 * G1, G2: comma-separated DC lists. */
int mf_wanem_net_command(struct mf_wanem_net *n, const char *line,
			 char *reply, size_t replylen);

#endif

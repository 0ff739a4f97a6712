/*
 * gossip/health.h — Lifeguard local health awareness (memberlist awareness.go).
 *
 * Contract: a plain value; no clock, no I/O. The score runs 0 (healthy) to
 * max-1; a pool that sees signs of its own slowness (missed nacks, failed
 * probes, having to refute) raises it and so stretches its probe interval
 * instead of accusing healthy peers.
 */
#ifndef MF_GOSSIP_HEALTH_H
#define MF_GOSSIP_HEALTH_H

#include <stdint.h>

struct mf_health {
	int max;   /* awareness_max_multiplier: score stays below it */
	int score; /* 0 = healthy */
};

void mf_health_init(struct mf_health *h, int max);
/* Adds delta, clamped to [0, max-1]. */
void mf_health_apply(struct mf_health *h, int delta);
/* timeout * (score + 1). */
int64_t mf_health_scale(const struct mf_health *h, int64_t timeout);

#endif

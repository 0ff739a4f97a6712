/*
 * gossip/rng.h — a small seeded PRNG (splitmix64 seeding xoshiro256**).
 *
 * Contract: a value owned by its pool; no globals, no clock. Why not
 * libsodium's randombytes: a simulation of hundreds of pools must replay
 * exactly from one seed, so each pool needs its own seedable stream.
 * Protocol randomness (probe order, gossip targets, staggers) comes from
 * here; it is not cryptographic and must never make keys or nonces.
 */
#ifndef MF_GOSSIP_RNG_H
#define MF_GOSSIP_RNG_H

#include <stdint.h>

struct mf_rng {
	uint64_t s[4];
};

void mf_rng_seed(struct mf_rng *r, uint64_t seed);
uint64_t mf_rng_next(struct mf_rng *r);
/* Uniform in [0, n); 0 when n == 0. */
uint32_t mf_rng_below(struct mf_rng *r, uint32_t n);
/* Uniform in [0, 1). */
double mf_rng_unit(struct mf_rng *r);

#endif

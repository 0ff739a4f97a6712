/*
 * coord/rng.h — the coordinate client's private, seeded PRNG.
 *
 * Contract: deterministic given the seed; state lives in the caller's struct
 * (no globals). Not for anything secret (use libsodium for that): it only
 * breaks ties when two coordinates coincide and picks simulated peers, where
 * reproducibility matters more than unpredictability. splitmix64 (Steele,
 * Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
 * is a few lines; pulling libsodium into the pure mf_coord library for a
 * tie-breaker is not worth the dependency.
 */
#ifndef MF_COORD_RNG_H
#define MF_COORD_RNG_H

#include <stdint.h>

struct mf_coord_rng {
	uint64_t s;
};

static inline void mf_coord_rng_seed(struct mf_coord_rng *r, uint64_t seed)
{
	r->s = seed;
}

static inline uint64_t mf_coord_rng_next(struct mf_coord_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double mf_coord_rng_unit(struct mf_coord_rng *r)
{
	return (double)(mf_coord_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n); n > 0. Modulo bias is irrelevant at our sizes. */
static inline uint32_t mf_coord_rng_below(struct mf_coord_rng *r, uint32_t n)
{
	return (uint32_t)(((mf_coord_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif

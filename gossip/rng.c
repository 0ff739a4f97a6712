#include "gossip/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void mf_rng_seed(struct mf_rng *r, uint64_t seed)
{
	/* splitmix64 spreads any seed (even 0) over the 256-bit state. */
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t mf_rng_next(struct mf_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint32_t mf_rng_below(struct mf_rng *r, uint32_t n)
{
	if (n == 0)
		return 0;
	/* Lemire's multiply-shift: no modulo bias worth caring about here. */
	return (uint32_t)(((mf_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double mf_rng_unit(struct mf_rng *r)
{
	return (double)(mf_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

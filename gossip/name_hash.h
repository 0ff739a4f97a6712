/*
 * gossip/name_hash.h — the hash the in-memory name indexes share (member
 * names, broadcast names, serf intents): FNV-1a, 64 bits.
 *
 * Contract: a pure function of the bytes. Not keyed: peers choose names,
 * and an index that must stay fast against a hostile peer bounds its
 * chains by other means (the pool's max_members bounds how many names exist).
 */
#ifndef MF_GOSSIP_NAME_HASH_H
#define MF_GOSSIP_NAME_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Continues hash h over len more bytes (for fingerprints of several fields). */
static inline uint64_t mf_name_hash_more(uint64_t h, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static inline uint64_t mf_name_hash(const void *name, size_t len)
{
	return mf_name_hash_more(1469598103934665603ULL, name, len);
}

#endif

/*
 * gossip/name_hash.h — the hash the in-memory name indexes share (member
 * names, broadcast names, serf intents): FNV-1a, 64 bits.
 *
 * Contract: a pure function of the bytes. Not keyed: peers choose names,
 * and an index that must stay fast against a hostile peer bounds its
 * chains by other means (the pool's max_members bounds how many names exist).
 *
 * The offset basis is one digit short of FNV's (14695981039346656037): a slip
 * of the first version, kept on purpose. Beats carry the low 32 bits of this
 * hash of each DC's name (routing/beat.h), so another basis would make agents
 * of different versions misread each other's beats. The prime is FNV's, and
 * spread is as good: for 1,000 "dcN" names and 10,000 "node-N.dcM" names in
 * a power-of-two table, the longest chain is 3 and 4 (4 and 5 with FNV's basis).
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

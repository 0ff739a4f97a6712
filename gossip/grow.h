/*
 * gossip/grow.h — grow-by-doubling for the arrays the cores append to.
 *
 * Contract: mf_grow(&arr, &cap, need, first) makes room for `need`
 * elements: unchanged when cap >= need, else cap doubles (from `first`)
 * until it is enough (mf_grow_lean: grows by a quarter; mf_grow_u32: a
 * uint32_t capacity). MF_ENOMEM on allocation failure or size overflow,
 * leaving arr and cap as they were. No other state; frees nothing.
 */
#ifndef MF_GOSSIP_GROW_H
#define MF_GOSSIP_GROW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

static inline int mf_grow_(void *arrp, size_t *cap, size_t need, size_t elem, size_t first,
			   unsigned shift)
{
	size_t c = *cap > 0 ? *cap : (first > 0 ? first : 1);
	void *arr, *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		size_t inc = c >> shift ? c >> shift : 1; /* shift 0: doubles */
		if (c > SIZE_MAX - inc)
			return MF_ENOMEM;
		c += inc;
	}
	if (c > SIZE_MAX / elem)
		return MF_ENOMEM;
	memcpy(&arr, arrp, sizeof(arr)); /* arrp points to a T *, any object type */
	if ((p = realloc(arr, c * elem)) == NULL)
		return MF_ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = c;
	return 0;
}

/* arrp: address of a T * array; capp: address of its size_t capacity. */
#define mf_grow(arrp, capp, need, first) \
	mf_grow_((arrp), (capp), (need), sizeof(**(arrp)), (first), 0)
/* The same for a uint32_t capacity (arrays indexed by 32-bit ids, as the
 * routing engine's path pools): also MF_ENOMEM when need passes UINT32_MAX. */
static inline int mf_grow_u32_(void *arrp, uint32_t *cap, size_t need, size_t elem,
			       size_t first)
{
	size_t c = *cap;
	int rc;

	if (need > UINT32_MAX)
		return MF_ENOMEM;
	if ((rc = mf_grow_(arrp, &c, need, elem, first, 0)) < 0)
		return rc;
	*cap = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c; /* still >= need */
	return 0;
}

#define mf_grow_u32(arrp, capp, need, first) \
	mf_grow_u32_((arrp), (capp), (need), sizeof(**(arrp)), (first))

/* The same, growing by a quarter: for arrays a simulator holds one of per
 * pool, N entries each, where doubling leaves up to half of it unused. */
#define mf_grow_lean(arrp, capp, need, first) \
	mf_grow_((arrp), (capp), (need), sizeof(**(arrp)), (first), 2)

#endif

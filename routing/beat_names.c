/*
 * routing/beat_names.c — DC ids by beat hash (contract in beat_names.h).
 */
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "routing/beat.h"
#include "routing/beat_names.h"

#define SHARED UINT32_MAX

void mf_beat_names_free(struct mf_beat_names *b)
{
	free(b->slots);
	memset(b, 0, sizeof(*b));
}

/* The slot of hash h: where it is, or the empty one it would go in. */
static struct mf_beat_names_slot *slot_of(const struct mf_beat_names *b, uint32_t h)
{
	uint32_t mask = b->n_slots - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask)
		if (b->slots[i].id1 == 0 || b->slots[i].hash == h)
			return &b->slots[i];
}

static void put(struct mf_beat_names *b, uint32_t h, uint32_t id)
{
	struct mf_beat_names_slot *s = slot_of(b, h);
	if (s->id1 == 0)
		*s = (struct mf_beat_names_slot){h, id + 1};
	else if (s->id1 != id + 1)
		s->id1 = SHARED;
}

/* Indexes the names added since the last call, in a larger table when
 * they need one (then every name again). */
static int catch_up(struct mf_beat_names *b, const struct mf_rt_names *names)
{
	if (b->indexed == names->n)
		return 0;
	if (2 * (uint64_t)names->n > b->n_slots) {
		uint32_t n_slots = b->n_slots ? b->n_slots : 64;
		while (n_slots < 2 * names->n)
			n_slots *= 2;
		struct mf_beat_names_slot *s = calloc(n_slots, sizeof(*s));
		if (!s)
			return MF_ENOMEM;
		free(b->slots);
		b->slots = s;
		b->n_slots = n_slots;
		b->indexed = 0;
	}
	for (; b->indexed < names->n; b->indexed++)
		put(b, mf_beat_dc_hash(names->names[b->indexed]), b->indexed);
	return 0;
}

int mf_beat_names_find(struct mf_beat_names *b, const struct mf_rt_names *names, uint32_t h,
		       uint32_t *id)
{
	int rc = catch_up(b, names);
	if (rc < 0)
		return rc;
	if (b->n_slots == 0)
		return MF_ENOTFOUND;
	const struct mf_beat_names_slot *s = slot_of(b, h);
	if (s->id1 == 0 || s->id1 == SHARED)
		return MF_ENOTFOUND;
	*id = s->id1 - 1;
	return 0;
}

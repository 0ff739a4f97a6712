/*
 * routing/beat_names.h — DC ids by their beat hash (routing/beat.h's
 * mf_beat_dc_hash), for beat entries about DCs the sender's stored
 * advertisement does not route to (docs/routing.md, "Hurried beats").
 *
 * Contract: an index over a routing/names.h table, which only grows: it
 * catches up with the names added since the last lookup. Owns its slots
 * only, never the names. A hash two names share finds neither. Pure: no
 * clock, no I/O, no globals.
 */
#ifndef MF_ROUTING_BEAT_NAMES_H
#define MF_ROUTING_BEAT_NAMES_H

#include <stdint.h>

#include "routing/names.h"

struct mf_beat_names {
	struct mf_beat_names_slot {
		uint32_t hash;
		uint32_t id1; /* id + 1; 0: empty; UINT32_MAX: hash shared */
	} *slots;
	uint32_t n_slots; /* power of two, kept >= 2 x indexed */
	uint32_t indexed; /* names[0..indexed) are in */
};

void mf_beat_names_free(struct mf_beat_names *b);
/* 0 and *id of the one name of `names` whose beat hash is h; MF_ENOTFOUND
 * when none or several; MF_ENOMEM (catching up needs memory). */
int mf_beat_names_find(struct mf_beat_names *b, const struct mf_rt_names *names, uint32_t h,
		       uint32_t *id);

#endif

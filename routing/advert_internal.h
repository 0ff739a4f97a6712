/*
 * routing/advert_internal.h — the checks routing/advert.c (ownership,
 * checks, encoding) and routing/advert_decode.c share. Not a public header:
 * only routing/advert*.c include it (routing/advert.h is the contract).
 */
#ifndef MF_ROUTING_ADVERT_INTERNAL_H
#define MF_ROUTING_ADVERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/advert.h"

/* Printable ASCII without spaces: node names, gateway names, addresses. */
bool mf_advert__printable(const char *s, size_t n);
/* A route's target and hops index `a`'s names; its distance is finite, >= 0. */
bool mf_advert__route_ok(const struct mf_advert *a, const struct mf_advert_route *r);
/* Every withdrawn target, route and tombstone indexes `a`'s names (the
 * decoders' last check, once "d" is known). */
bool mf_advert__indexes_ok(const struct mf_advert *a);

/* What each entry of a costs as mf_advert_encode_full writes it (one
 * fragment): sizes[i] for route i, sizes[n_routes + j] for withdrawn
 * target j, each with the bytes of the names it first adds to the
 * message's table (mf_advert_delta_split). 0 or MF_ENOMEM. */
int mf_advert__entry_sizes(const struct mf_advert *a, size_t *sizes);

/* The in-place reader (advert_read.c): 0 with *a read (a->block set), 1
 * when it leaves the bytes to the general decoder (a layout it does not
 * read, or any error: *a empty), MF_ENOMEM. Same arguments as
 * mf_advert_decode; delta: version 2 accepted (mf_advert_decode_msg). */
int mf_advert__read(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta);
/* The general decoder through msgpack-c's objects (advert_decode.c): the
 * one that decides errors; tests compare the reader with it. */
int mf_advert__decode_general(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta);

#endif

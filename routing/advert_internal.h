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

/* Encoded bytes of route r of a (of withdrawn target i), plus its names'
 * bytes in the message's name table the first time one is used (named:
 * a->n_names flags, set as they are counted): what a delta entry costs
 * (mf_advert_delta_split). */
size_t mf_advert__route_bytes(const struct mf_advert *a, const struct mf_advert_route *r, bool *named);
size_t mf_advert__gone_bytes(const struct mf_advert *a, uint32_t i, bool *named);

/* The in-place reader (advert_read.c): 0 with *a read (a->block set), 1
 * when it leaves the bytes to the general decoder (a layout it does not
 * read, or any error: *a empty), MF_ENOMEM. Same arguments as
 * mf_advert_decode; delta: version 2 accepted (mf_advert_decode_msg). */
int mf_advert__read(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta);
/* The general decoder through msgpack-c's objects (advert_decode.c): the
 * one that decides errors; tests compare the reader with it. */
int mf_advert__decode_general(const uint8_t *buf, size_t len, struct mf_advert *a, size_t *used, bool delta);

#endif

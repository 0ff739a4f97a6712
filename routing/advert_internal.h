/*
 * routing/advert_internal.h — the checks routing/advert.c (ownership,
 * checks, encoding) and routing/advert_decode.c share. Not a public header:
 * only routing/advert*.c include it (routing/advert.h is the contract).
 */
#ifndef MF_ROUTING_ADVERT_INTERNAL_H
#define MF_ROUTING_ADVERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "routing/advert.h"

/* Printable ASCII without spaces: node names, gateway names, addresses. */
bool mf_advert__printable(const char *s, size_t n);
/* A route's target and hops index `a`'s names; its distance is finite, >= 0. */
bool mf_advert__route_ok(const struct mf_advert *a, const struct mf_advert_route *r);

#endif

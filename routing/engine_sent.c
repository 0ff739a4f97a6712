/*
 * routing/engine_sent.c — our advertisement as its receivers hold it
 * (engine_internal.h; contract in engine.h, mf_routing_set_sent).
 *
 * Why: one (server, seq) must mean one content everywhere. Receivers hold
 * what went out: distances in 0.1 ms units, and after a delta the base's
 * distance for every route that moved less than the re-advertise margin.
 * Our snapshot kept the exact live values, so the same seq said other
 * distances in our push-pull state and to ourselves
 * (mf_routing_advertised_link), and agents built DC matrices that differed
 * in our DC's row (issue 16: the WAN-emulator run read a pair 13% off).
 */
#include <math.h>
#include <string.h>

#include "gossip/err.h"
#include "routing/engine_internal.h"

int mf_routing_set_sent(struct mf_routing *r, const struct mf_advert *held)
{
	if (!held || !held->origin || !held->node)
		return MF_EINVAL;
	const char *self = r->names.names[r->self];
	if (held->seq != r->seq || strcmp(held->node, r->node) != 0 || strcmp(held->origin, self) != 0)
		return 0; /* not our current advertisement: nothing to align */
	for (size_t i = 0; i < held->n_routes; i++) {
		const struct mf_advert_route *ar = &held->routes[i];
		uint32_t t;
		if (ar->target >= held->n_names)
			return MF_EMALFORMED;
		const char *name = held->names[ar->target];
		if (mf_rt_names_find(&r->names, name, strlen(name), &t) < 0 || t >= r->snap.n)
			continue;
		struct rt_route *s = &r->snap.r[t];
		if (s->status != MF_ROUTE_UNREACHABLE && isfinite(ar->distance_ms))
			s->dist = ar->distance_ms;
	}
	return 0;
}

/*
 * tests/routing/advert_same.h — whether two decoded advertisements hold the
 * same content (every field routing/advert.h defines; not how they are
 * allocated). The in-place reader's unit test and fuzz target compare it
 * with the general decoder through this.
 */
#ifndef MF_TESTS_ROUTING_ADVERT_SAME_H
#define MF_TESTS_ROUTING_ADVERT_SAME_H

#include <stdbool.h>
#include <string.h>

#include "routing/advert.h"

static inline bool mf_test_str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static inline bool mf_test_advert_same(const struct mf_advert *a, const struct mf_advert *b)
{
	if (!mf_test_str_same(a->origin, b->origin) || !mf_test_str_same(a->node, b->node) ||
	    a->seq != b->seq || a->transit != b->transit || a->frag_index != b->frag_index ||
	    a->frag_count != b->frag_count || a->n_names != b->n_names || a->n_routes != b->n_routes ||
	    a->n_hops != b->n_hops || a->n_gateways != b->n_gateways || a->n_dead != b->n_dead ||
	    a->base_seq != b->base_seq || a->n_gone != b->n_gone || a->since_base != b->since_base)
		return false;
	for (size_t i = 0; i < a->n_names; i++)
		if (!mf_test_str_same(a->names[i], b->names[i]))
			return false;
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *x = &a->routes[i], *y = &b->routes[i];
		if (x->target != y->target || x->distance_ms != y->distance_ms || x->epoch != y->epoch ||
		    x->hops_off != y->hops_off || x->n_hops != y->n_hops)
			return false;
	}
	for (size_t i = 0; i < a->n_hops; i++)
		if (a->hops[i] != b->hops[i])
			return false;
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc != b->dead[i].dc || a->dead[i].epoch != b->dead[i].epoch)
			return false;
	for (size_t i = 0; i < a->n_gone; i++)
		if (a->gone[i] != b->gone[i])
			return false;
	for (size_t i = 0; i < a->n_gateways; i++) {
		const struct mf_gateway *x = &a->gateways[i], *y = &b->gateways[i];
		if (!mf_test_str_same(x->name, y->name) || !mf_test_str_same(x->lan, y->lan) ||
		    !mf_test_str_same(x->wan, y->wan) || x->n_tags != y->n_tags)
			return false;
		for (size_t k = 0; k < x->n_tags; k++)
			if (!mf_test_str_same(x->tags[k].key, y->tags[k].key) ||
			    !mf_test_str_same(x->tags[k].addr, y->tags[k].addr))
				return false;
	}
	return true;
}

#endif

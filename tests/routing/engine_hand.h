/*
 * tests/routing/engine_hand.h — hand-built advertisements offered to one
 * engine, shared by test_engine.c, test_engine_tombstone.c,
 * test_engine_hysteresis.c and test_alternates.c; and the engines of a fixture.
 */
#ifndef MF_TESTS_ROUTING_ENGINE_HAND_H
#define MF_TESTS_ROUTING_ENGINE_HAND_H

#include <stdint.h>

#include "routing/engine.h"
#include "tests/routing/fixture.h"

/* dc1 with links to dc2 (10) and dc3 (10); dc2 offers dc9 at d2, dc3 at d3;
 * hysteresis pct / ms. */
struct mf_routing *two_ways(double d2, double d3, double pct, double ms);
/* The same on an engine made from c (named dc1 / dc1-s1 here), its clock
 * at 0; d2 or d3 < 0: that DC offers no route to dc9. */
struct mf_routing *two_ways_clocked(struct mf_routing_config *c, double d2, double d3);
/* Moves r's clock to now and recomputes (asserts it succeeded). */
void recompute_at(struct mf_routing *r, uint64_t now);
/* Offers an advertisement of origin (node "<origin>-s1", routes as
 * h_advert's spec) and recomputes. */
void offer(struct mf_routing *r, const char *origin, uint64_t seq, const char *spec);

/* The engine of DC dc in s (NULL when s has none). */
struct mf_routing *h_dc_engine(struct sim *s, const char *dc);
/* Loads a fixture and runs it to convergence (asserts it did; its rc). */
int converge(const char *file, const struct mf_routing_config *cfg, struct sim *s);
/* Asserts from's route to `to`: status, next hop (NULL: none), distance and
 * path (joined with ','), printing both when they differ. */
void assert_route(struct sim *s, const char *from, const char *to, enum mf_route_status st,
		  const char *nh, double dist, const char *path);

#endif

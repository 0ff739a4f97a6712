/* tests/routing/helpers.h — small builders shared by the routing tests. */
#ifndef MF_TESTS_ROUTING_HELPERS_H
#define MF_TESTS_ROUTING_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "routing/engine.h"

/* An engine for DC `dc` (node "<dc>-s1") with the given hysteresis. */
struct mf_routing *h_engine(const char *dc, double hyst_pct, double hyst_ms);

/* Builds an advertisement from a compact spec: routes separated by ';',
 * each "target distance [hop ...]" with the intermediate hops; every target
 * at epoch 1.
 * Example: "dc2 0;dc3 12.5;dc4 20 dc3". */
int h_advert(struct mf_advert *a, const char *origin, const char *node, uint64_t seq, bool transit,
	     const char *spec);

/* h_advert, then mf_routing_set_advert on r: its result (or h_advert's
 * error); the advertisement is freed. */
int h_set_advert(struct mf_routing *r, const char *origin, const char *node, uint64_t seq,
		 bool transit, const char *spec);
/* The same with the n gateways g (borrowed: not freed). */
int h_set_advert_gw(struct mf_routing *r, const char *origin, const char *node, uint64_t seq,
		    bool transit, const char *spec, struct mf_gateway *g, size_t n);
/* Adds a tombstone to a: `dc` at `epoch` is dead (its name added to
 * a->names when new). 0 or MF_ENOMEM. */
int h_advert_dead(struct mf_advert *a, const char *dc, uint64_t epoch);

/* The route to `target` (status unreachable and NULLs when unknown). */
struct mf_route_view h_route(const struct mf_routing *r, const char *target);
/* The route's path joined with ',' into a static-free caller buffer. */
const char *h_path(const struct mf_routing *r, const char *target, char *buf, size_t len);

/* Engines as a node drives them (the beat tests): an engine for dc (node
 * dc) at epoch 100 with beats apart, the given freshness, beat ages and
 * hurried beats, its clock started at 1000 (NULL on error); from's
 * advertisement as
 * of `now`, stored by `to` (0 or the first error); from's whole beat as
 * of `now` into e[0..cap) (how many entries); whether r, recomputed at
 * `now`, routes to dc. */
struct mf_routing *h_aged_engine(const char *dc, uint64_t beat, uint64_t max_age, uint64_t age_unit,
				 uint64_t hurry_min);
/* The config h_aged_engine uses (node named as its DC, epoch 100). */
void h_aged_config(struct mf_routing_config *c, const char *dc, uint64_t beat, uint64_t max_age,
		   uint64_t age_unit, uint64_t hurry_min);
/* An engine made from c, its clock started at `start` (NULL on error). */
struct mf_routing *h_engine_at(const struct mf_routing_config *c, uint64_t start);
/* A usable link of cost 10 each way between x (DC xn) and y (DC yn): 0
 * when both were new links, else -1. */
int h_link_both(struct mf_routing *x, const char *xn, struct mf_routing *y, const char *yn);
int h_pass_advert(struct mf_routing *from, struct mf_routing *to, uint64_t now);
size_t h_beats_at(struct mf_routing *from, uint64_t now, struct mf_beat_entry *e, size_t cap);
bool h_reaches(struct mf_routing *r, const char *dc, uint64_t now);

/* splitmix64: the fixed-seed PRNG of the routing tests. */
uint64_t h_splitmix(uint64_t *s);

#endif

/*
 * tests/route_proto/tables.h — route tables for the route socket tests: a
 * small hand-made one, copies and renderings, and a seeded random walk of
 * tables (targets appear, vanish and change; links change) for the
 * delta property tests. Deterministic: the generator is a value, no globals.
 */
#ifndef MF_TESTS_ROUTE_PROTO_TABLES_H
#define MF_TESTS_ROUTE_PROTO_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/table.h"

/* xorshift64*: the same numbers on every machine. */
struct rt_rng {
	uint64_t s;
};
uint64_t rt_rand(struct rt_rng *r);
/* Uniform in [0, n), n > 0. */
size_t rt_below(struct rt_rng *r, size_t n);

/* dc1's table at `version`: dc1 local, dc2 direct (gateway dc2-g1), dc3 via
 * dc2, dc4 unreachable; links dc1-dc2 and dc2-dc3. Routes sorted. */
int rt_small_table(struct mf_table *t, uint64_t version);
/* The route of `target` in t, or NULL. */
struct mf_table_route *rt_find(struct mf_table *t, const char *target);
/* A deep copy (through the JSON form). */
int rt_copy(const struct mf_table *src, struct mf_table *dst);
/* `meshfed routes -format json` of t (malloc'd), NULL when out of memory. */
char *rt_json(const struct mf_table *t);
/* One line without its '\n', as a subscriber's reader hands it over. */
static inline size_t rt_body(size_t len)
{
	return len ? len - 1 : 0;
}

/* The random walk: n DCs "dc0".."dc<n-1>", dc0 the table's own (local). */
struct rt_dc {
	bool present;
	enum mf_route_status status;
	enum mf_route_mode mode;
	bool down;
	size_t next_hop;     /* index */
	double distance_ms;  /* INFINITY when unreachable */
	size_t path_len;
	size_t path[4];
	size_t n_gw;         /* 0..2 gateways of the next hop */
	unsigned gw_port;
};
struct rt_link {
	size_t from, to;
	double distance_ms;  /* NAN: unknown */
	bool usable;
};
struct rt_model {
	struct rt_rng rng;
	size_t n;
	struct rt_dc *dc;
	size_t n_links, cap_links;
	struct rt_link *links;
	uint64_t version;
};

/* Every DC present with a random route, a few links; version 1. */
int rt_model_init(struct rt_model *m, uint64_t seed, size_t n_dcs);
void rt_model_free(struct rt_model *m);
/* 1-3 random changes (a target added, removed or one of its fields
 * changed; sometimes a link), version + 1. */
void rt_model_step(struct rt_model *m);
/* Changes exactly one field of one present route, version + 1. */
void rt_model_touch(struct rt_model *m, size_t dc);
/* The model's table now, routes sorted by target as the engine gives them. */
int rt_model_table(const struct rt_model *m, struct mf_table *t);

#endif

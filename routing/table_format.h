/*
 * routing/table_format.h — a next-hop table as JSON, text or Graphviz dot.
 *
 * Contract: pure rendering of a struct mf_table (routing/table.h) into a
 * malloc'd NUL-terminated string, and parsing the JSON form back (for the
 * CLI client and tests). No I/O, no clock. The JSON form is what
 * `meshfed routes -format json` prints:
 *
 *   { "datacenter": "dc1", "version": 7,
 *     "routes": [ { "target": "dc5", "status": "via", "next_hop": "dc4",
 *                   "distance_ms": 45.0, "path": ["dc1", "dc4", "dc5"],
 *                   "mode": "multi-hop", "down": false,
 *                   "gateways": [ { "name": "dc4-g1",
 *                                   "addr": "203.0.113.4:8443" } ],
 *                   "alternates": [ { "next_hop": "dc2", "distance_ms": 52.5,
 *                                     "gateways": [ { "name": "dc2-g1",
 *                                                     "addr": "198.51.100.2:8443" } ] } ] } ],
 *     "links": [ { "from": "dc1", "to": "dc4", "distance_ms": 20.0,
 *                  "usable": true } ] }
 *
 * next_hop is null for local, unreachable and no-gateway targets;
 * distance_ms is null when infinite (unreachable, no-gateway, or a
 * single-hop link that is down). "alternates" is always written (maybe
 * empty), best first; the parser takes a route without it (an older agent)
 * as having none. The text form shows an ALTERNATES column
 * ("dc2 (52.5 ms), dc3 (60.1 ms)") only when some route has one.
 */
#ifndef MF_ROUTING_TABLE_FORMAT_H
#define MF_ROUTING_TABLE_FORMAT_H

#include <stddef.h>

#include <jansson.h>

#include "routing/table.h"

enum mf_table_format {
	MF_TABLE_TEXT = 0, /* aligned columns for people */
	MF_TABLE_JSON = 1,
	MF_TABLE_DOT = 2,  /* DC graph, link distances, next hops in red */
};

/* "table", "json" or "dot"; MF_EINVAL otherwise. */
int mf_table_format_parse(const char *name, enum mf_table_format *f);

/* Renders t; *out is malloc'd (free it). */
int mf_table_format(const struct mf_table *t, enum mf_table_format f, char **out);

/* Parses the JSON form; strict about types, MF_EMALFORMED on any mismatch.
 * On failure *t is left empty. */
int mf_table_parse_json(const char *json, size_t len, struct mf_table *t);

/* The same JSON form as jansson values, for callers that embed a table or
 * single routes in larger messages (the route socket, routing/route_proto.h).
 * The *_to_json functions return a new reference, NULL when out of memory;
 * the *_from_json functions are as strict as mf_table_parse_json and leave
 * the output empty on failure (free a route with mf_table_route_free). */
json_t *mf_table_to_json(const struct mf_table *t);
json_t *mf_table_route_to_json(const struct mf_table_route *r);
int mf_table_from_json(const json_t *o, struct mf_table *t);
int mf_table_route_from_json(const json_t *o, struct mf_table_route *r);

#endif

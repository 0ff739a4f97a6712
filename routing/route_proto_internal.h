/*
 * routing/route_proto_internal.h — helpers the route socket protocol's files
 * share (private: only routing/route_proto*.c include it):
 *   route_proto.c          JSON helpers and the agent's encoders
 *   route_proto_request.c  parsing what a subscriber sends
 *   route_proto_client.c   the subscriber side: applying the agent's messages
 * The contract is routing/route_proto.h's.
 */
#ifndef MF_ROUTING_ROUTE_PROTO_INTERNAL_H
#define MF_ROUTING_ROUTE_PROTO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "routing/route_proto.h"

/* Compact, insertion order, numbers as table_format prints them. */
#define RP_DUMP (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
/* jansson integers are signed 64-bit: the wire range of epochs and versions. */
#define RP_U64_MAX ((uint64_t)INT64_MAX)
#define RP_SHOW 40 /* bytes of a bad value quoted in an error */
#define RP_U64_WHY "missing or not an integer from 0 to 2^63-1"

/* route_proto.c */
bool mf_rp__put(json_t *o, const char *k, json_t *v);
json_t *mf_rp__message(const char *type);
json_t *mf_rp__wire_int(uint64_t v);
int mf_rp__finish(json_t *o, bool ok, char **line, size_t *len);
int mf_rp__refuse(char **line, size_t *len);
int mf_rp__get_u64(const json_t *o, const char *k, uint64_t *out);
void mf_rp__printable(char *s);
const char *mf_rp__shown(const char *s, char buf[RP_SHOW + 4]);

#endif

/*
 * coord/ping.h — serf's ping delegate: coordinates ride on probe acks.
 *
 * Contract: the two hooks a SWIM pool needs to exchange coordinates the way
 * serf does (serf/serf/ping_delegate.go), as plain functions over a client
 * so the layer that owns the pool (cmd/) can call them from its
 * mf_pool_delegate ack_payload / on_ack. Pure: no clock (the RTT is given),
 * no I/O.
 *
 *  - Every ack we send carries our coordinate (wire format in coord/wire.h).
 *  - When a direct probe we sent is acked with a payload, the payload is
 *    decoded and the client updated with the measured RTT. An empty payload
 *    (a memberlist peer without serf) is ignored, as serf does; one that
 *    does not decode is counted in stats.bad_payloads; one that decodes but
 *    is invalid is rejected and counted by the client.
 */
#ifndef MF_COORD_PING_H
#define MF_COORD_PING_H

#include <stddef.h>
#include <stdint.h>

#include "coord/client.h"

/* Our coordinate as an ack payload into buf; returns its length, or 0 if it
 * does not fit (cap < MF_COORD_WIRE_MAX is enough for 8 dimensions at 130). */
size_t mf_coord_ping_ack_payload(const struct mf_coord_client *c, uint8_t *buf, size_t cap);

/* A direct probe of node was acked after rtt_ns nanoseconds with payload.
 * Returns 0 and fills *peer (may be NULL; e.g. for a coordinate cache, as
 * serf's coordCache) if the client was updated; 1 if the payload was empty
 * (nothing to do); otherwise a negative error (decode errors as
 * mf_coord_wire_decode, counted in bad_payloads; MF_EINVAL for an invalid
 * coordinate or RTT, counted by the client). */
int mf_coord_ping_complete(struct mf_coord_client *c, const char *node,
			   const uint8_t *payload, size_t len, int64_t rtt_ns,
			   struct mf_coord *peer);

#endif

/*
 * coord/wire.h — the coordinate in serf's ping ack payload.
 *
 * Contract: encode/decode only; no validation of the values beyond their
 * msgpack shape (mf_coord_client_update rejects NaN, Inf, wrong
 * dimensionality). Pure, no I/O.
 *
 * Layout (serf/serf/ping_delegate.go AckPayload / NotifyPingComplete, the
 * coordinate as hashicorp/go-msgpack's MsgpackHandle encodes
 * serf/coordinate.Coordinate: a map, keys in this order, floats always
 * float64):
 *
 *   +------+------+----------------------------------------------------+
 *   | 0x01 | 0x84 | "Adjustment" f64  "Error" f64  "Height" f64        |
 *   | ver  | map4 | "Vec" [f64 x dim]                                  |
 *   +------+------+----------------------------------------------------+
 *     01 84 aa "Adjustment" cb <8 bytes BE>  a5 "Error" cb <8>
 *           a6 "Height" cb <8>  a3 "Vec" 98 (cb <8>) x 8
 *
 * 130 bytes for 8 dimensions. The decoder is as lenient as Go's: keys in
 * any order, unknown keys ignored, missing ones 0, integers and float32
 * accepted for numbers, Vec nil for an empty vector, bytes after the map
 * ignored.
 */
#ifndef MF_COORD_WIRE_H
#define MF_COORD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "coord/coordinate.h"

/* serf ping_delegate.go PingVersion. */
#define MF_COORD_PING_VERSION 1

/* Bytes needed for a coordinate of MF_COORD_DIM_MAX dimensions. */
#define MF_COORD_WIRE_MAX (1 + 1 + 11 + 9 + 6 + 9 + 7 + 9 + 4 + 3 + 9 * MF_COORD_DIM_MAX)

/* Writes the ack payload of c into buf; *len gets its length. MF_ETOOBIG if
 * cap is too small (nothing useful is in buf then). */
int mf_coord_wire_encode(const struct mf_coord *c, uint8_t *buf, size_t cap,
			 size_t *len);

/* Reads an ack payload into *out (dim = length of Vec). MF_ETRUNC for an
 * empty or cut payload, MF_EUNKNOWN for a version other than 1,
 * MF_EMALFORMED for another msgpack shape, MF_ETOOBIG for a Vec longer than
 * MF_COORD_DIM_MAX, MF_ENOMEM. */
int mf_coord_wire_decode(const uint8_t *buf, size_t len, struct mf_coord *out);

#endif

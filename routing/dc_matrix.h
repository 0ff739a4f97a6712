/*
 * routing/dc_matrix.h — a small federation's measured DC distance matrix as
 * the routing advertisements state it: what coord/dc_embed.h solves.
 *
 * Contract: pure; reads the engine through routing/engine.h only, never
 * changes it. Every entry is an advertised value
 * (mf_routing_advertised_link), our own DC's row included, so every agent
 * that holds the same advertisements builds the same matrix, whatever its
 * own live measurements: the DC embedding is a pure function of the
 * matrix, and agents of different DCs that solved different matrices sit at
 * points of different embeddings (up to 35% off between them, 6 DCs, 0.5%
 * apart in the inputs; docs/coordinates.md).
 */
#ifndef MF_ROUTING_DC_MATRIX_H
#define MF_ROUTING_DC_MATRIX_H

#include <stddef.h>

#include "coord/dc_embed.h"
#include "routing/engine.h"

/* Known DCs (advertising or not) beyond which the matrix is not built: not
 * a small federation, answered without scanning them. */
#define MF_DC_MATRIX_KNOWN_MAX (2 * MF_COORD_DC_EMBED_MAX + 8)

/* The DCs that advertise a direct route (a DC-less group of serf agents is
 * a link target only, and left out), in the engine's order, into
 * names[0..*k), the engine's own strings (valid until it next changes),
 * and rtt[i * *k + j] the distance (seconds) of i's direct route to j as i
 * advertises it, 0 when it does not (not measured; the diagonal is 0).
 * names holds MF_COORD_DC_EMBED_MAX, rtt MF_COORD_DC_EMBED_MAX^2. 0, or
 * MF_ETOOBIG for more than MF_COORD_DC_EMBED_MAX advertising or
 * MF_DC_MATRIX_KNOWN_MAX known DCs. */
int mf_routing_dc_matrix(const struct mf_routing *r, const char **names, size_t *k, double *rtt);

#endif

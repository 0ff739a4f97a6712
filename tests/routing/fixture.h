/*
 * tests/routing/fixture.h — loads a topology file (shared/docs/topology.md)
 * into a simulation: one engine per DC, links as the agent would see them
 * (configured = a shared pool, usable = configured and packets pass).
 */
#ifndef MF_TESTS_ROUTING_FIXTURE_H
#define MF_TESTS_ROUTING_FIXTURE_H

#include "routing/topology.h"
#include "tests/routing/sim.h"

/* `file` is a name under tests/routing/fixtures. cfg may be NULL (defaults).
 * Modes come from the file's "routing" key. */
int fixture_load(const char *file, const struct mf_routing_config *cfg, struct sim *s);

#endif

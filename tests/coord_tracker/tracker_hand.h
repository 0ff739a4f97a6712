/*
 * tests/coord_tracker/tracker_hand.h — what the tracker tests share: a
 * coordinate at a point, and an ack carrying one fed to a tracker.
 */
#ifndef MF_TESTS_TRACKER_HAND_H
#define MF_TESTS_TRACKER_HAND_H

#include "coord/tracker.h"

#define MS ((mf_time_t)1000000)

/* A coordinate at (x, y) with error 0.2 and the default config's rest. */
struct mf_coord h_coord_at(double x, double y);

/* Feeds t an ack from node carrying coordinate c after rtt_ms. */
void h_ack(struct mf_coord_tracker *t, const char *node, const struct mf_coord *c,
	   double rtt_ms);

#endif

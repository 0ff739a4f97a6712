/*
 * tests/coord_tracker/tracker_hand.c — see tracker_hand.h.
 */
#include <CUnit/Basic.h>

#include "coord/wire.h"
#include "tests/coord_tracker/tracker_hand.h"

struct mf_coord h_coord_at(double x, double y)
{
	struct mf_coord_config cfg;
	struct mf_coord c;
	mf_coord_config_default(&cfg);
	mf_coord_init(&c, &cfg);
	c.vec[0] = x;
	c.vec[1] = y;
	c.error = 0.2;
	return c;
}

void h_ack(struct mf_coord_tracker *t, const char *node, const struct mf_coord *c,
	   double rtt_ms)
{
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(mf_coord_wire_encode(c, buf, sizeof(buf), &len), 0);
	mf_coord_tracker_on_ack(t, node, buf, len, (mf_time_t)(rtt_ms * (double)MS));
}


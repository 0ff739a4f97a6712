/*
 * tests/coord/captures.h — loads fixtures/serf_ack_payloads.txt (real serf
 * ack payloads and their decoded values; see fixtures/README.md).
 */
#ifndef MF_TESTS_COORD_CAPTURES_H
#define MF_TESTS_COORD_CAPTURES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_CAPTURES 8

struct capture {
	int packet;
	uint8_t bytes[256];
	size_t len;
	double adjustment, error, height, vec[8];
};

static struct capture caps[MAX_CAPTURES];
static unsigned ncaps;

/* fixtures/serf_ack_payloads.txt: packet hex Adjustment Error Height Vec... */
static inline int load_captures(void)
{
	FILE *f = fopen(MF_COORD_FIXTURES "/serf_ack_payloads.txt", "r");
	char line[2048], hex[1024];
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && ncaps < MAX_CAPTURES) {
		struct capture *c = &caps[ncaps];
		if (line[0] == '#')
			continue;
		int got = sscanf(line, "%d %1023s %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
				 &c->packet, hex, &c->adjustment, &c->error, &c->height,
				 &c->vec[0], &c->vec[1], &c->vec[2], &c->vec[3], &c->vec[4],
				 &c->vec[5], &c->vec[6], &c->vec[7]);
		if (got != 13)
			continue;
		c->len = strlen(hex) / 2;
		for (size_t i = 0; i < c->len; i++) {
			unsigned b;
			sscanf(hex + 2 * i, "%2x", &b);
			c->bytes[i] = (uint8_t)b;
		}
		ncaps++;
	}
	fclose(f);
	return ncaps > 0 ? 0 : -1;
}

#endif

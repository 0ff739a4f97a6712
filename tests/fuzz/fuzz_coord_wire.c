/* libFuzzer target: the coordinate in serf's ack payload (coord/wire.c).
 * What decodes re-encodes into bytes that decode to the same coordinate
 * (bit for bit: the wire carries float64). */
#include "coord/wire.h"
#include "gossip/err.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_coord c, c2;
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len;
	if (mf_coord_wire_decode(data, size, &c) != 0)
		return 0;
	MF_FUZZ_CHECK(c.dim <= MF_COORD_DIM_MAX);
	MF_FUZZ_CHECK(mf_coord_wire_encode(&c, buf, sizeof(buf), &len) == 0);
	MF_FUZZ_CHECK(len <= sizeof(buf));
	MF_FUZZ_CHECK(mf_coord_wire_decode(buf, len, &c2) == 0);
	MF_FUZZ_CHECK(c2.dim == c.dim);
	MF_FUZZ_CHECK(memcmp(c.vec, c2.vec, sizeof(c.vec[0]) * c.dim) == 0);
	MF_FUZZ_CHECK(memcmp(&c.error, &c2.error, sizeof(double)) == 0 &&
		      memcmp(&c.height, &c2.height, sizeof(double)) == 0 &&
		      memcmp(&c.adjustment, &c2.adjustment, sizeof(double)) == 0);
	return 0;
}

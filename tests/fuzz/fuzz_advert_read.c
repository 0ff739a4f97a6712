/* libFuzzer target: the in-place advertisement reader
 * (routing/advert_read.c) against the general decoder through msgpack-c
 * (routing/advert_decode.c), which decides errors. The whole input is one
 * message, read as a gossiped message (deltas allowed) and as push-pull
 * state (one map, *used): when the reader takes it, the general decoder
 * must take it too, with the same content and length; when the reader
 * leaves it, its advert must be empty. Then the public decoder (reader
 * first) must give the general decoder's verdict. */
#include <string.h>

#include "gossip/err.h"
#include "routing/advert_internal.h"
#include "tests/fuzz/fuzz.h"
#include "tests/routing/advert_same.h"

static void one(const uint8_t *data, size_t size, bool msg)
{
	struct mf_advert x, y, z;
	size_t ux = 0, uy = 0, uz = 0;
	int rx = mf_advert__read(data, size, &x, msg ? NULL : &ux, msg);
	int ry = mf_advert__decode_general(data, size, &y, msg ? NULL : &uy, msg);
	int rz = msg ? mf_advert_decode_msg(data, size, &z) : mf_advert_decode(data, size, &z, &uz);
	MF_FUZZ_CHECK(rx == 0 || rx == 1 || rx == MF_ENOMEM);
	if (rx == 0) {
		MF_FUZZ_CHECK(ry == 0);
		MF_FUZZ_CHECK(mf_test_advert_same(&x, &y));
		MF_FUZZ_CHECK(ux == uy);
	} else {
		MF_FUZZ_CHECK(x.origin == NULL && x.block == NULL && x.n_routes == 0 && x.n_gateways == 0);
	}
	MF_FUZZ_CHECK(rz == ry || rz == MF_ENOMEM || ry == MF_ENOMEM);
	if (rz == 0 && ry == 0)
		MF_FUZZ_CHECK(mf_test_advert_same(&z, &y) && uz == uy);
	mf_advert_free(&x);
	mf_advert_free(&y);
	mf_advert_free(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees a read past the end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	one(buf, size, true);
	one(buf, size, false);
	free(buf);
	return 0;
}

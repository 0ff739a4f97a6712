/* libFuzzer target: a UDP packet from a peer of a plaintext pool, through
 * the whole receive path of gossip/wire.c (has-CRC, compress (LZW),
 * compound, nesting) and the decoder of every message found in it. */
#include "gossip/wire.h"
#include "tests/fuzz/msgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_wire_scratch s;
	struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
	size_t n = 0;
	mf_wire_scratch_init(&s);
	(void)mf_wire_open_packet(NULL, data, size, &s, msgs, &n);
	MF_FUZZ_CHECK(n <= MF_WIRE_MAX_MSGS);
	/* Inflated bytes are bounded by the packet limit, whatever the input
	 * declares. */
	MF_FUZZ_CHECK(s.inflate.size <= MF_WIRE_INFLATE_MAX);
	MF_FUZZ_CHECK(s.inflate2.size <= MF_WIRE_INFLATE_MAX);
	for (size_t i = 0; i < n; i++)
		mf_fuzz_decode_msg(msgs[i].type, msgs[i].body.p, msgs[i].body.len);
	mf_wire_scratch_destroy(&s);
	return 0;
}

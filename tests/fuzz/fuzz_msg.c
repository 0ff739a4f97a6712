/* libFuzzer target: every memberlist message decoder (gossip/codec.c),
 * including the containers (compound, has-CRC, compress). The first byte
 * is the message type, as on the wire; the rest is the body. */
#include "tests/fuzz/msgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t *body = mf_fuzz_copy(data + 1, size - 1);
	mf_fuzz_decode_msg(data[0], body, size - 1);
	free(body);
	return 0;
}

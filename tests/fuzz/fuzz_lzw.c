/* libFuzzer target: gossip/lzw.c. Decoding arbitrary bytes never writes
 * more than its limit; and any input compresses into a stream that
 * decompresses to exactly that input. */
#include "gossip/err.h"
#include "gossip/lzw.h"
#include "tests/fuzz/fuzz.h"

#define LIMIT (64u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_sbuffer out, packed;
	msgpack_sbuffer_init(&out);
	msgpack_sbuffer_init(&packed);
	int r = mf_lzw_decode(data, size, &out, LIMIT);
	MF_FUZZ_CHECK(out.size <= LIMIT);
	MF_FUZZ_CHECK(r == 0 || r == MF_EDECOMPRESS || r == MF_ETOOBIG || r == MF_ENOMEM);
	msgpack_sbuffer_clear(&out);
	MF_FUZZ_CHECK(mf_lzw_encode(data, size, &packed) == 0);
	MF_FUZZ_CHECK(mf_lzw_decode((const uint8_t *)packed.data, packed.size, &out,
				    size + 1) == 0);
	MF_FUZZ_CHECK(out.size == size && (size == 0 || memcmp(out.data, data, size) == 0));
	msgpack_sbuffer_destroy(&out);
	msgpack_sbuffer_destroy(&packed);
	return 0;
}

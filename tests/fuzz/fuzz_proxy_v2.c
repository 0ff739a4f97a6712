/* libFuzzer target: the PROXY v2 header a gateway reads before a relayed
 * connection's ClientHello (gateway/proxy_v2.c mf_pp2_decode, as
 * cmd/gateway/conn.c calls it). A header that decodes re-encodes to a
 * header that decodes to the same values (a round trip through our
 * canonical form); what it consumes fits the input and the header bound. */
#include "gateway/proxy_v2.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_pp2_header h, h2;
	uint8_t *p = mf_fuzz_copy(data, size);
	int n = mf_pp2_decode(p, size, &h);
	free(p);
	MF_FUZZ_CHECK(n <= (int)size && n <= MF_PP2_MAX_LEN);
	if (n <= 0)
		return 0;
	uint8_t buf[128];
	int m = mf_pp2_encode(&h, buf, sizeof buf);
	MF_FUZZ_CHECK(m > 0 && mf_pp2_decode(buf, (size_t)m, &h2) == m);
	MF_FUZZ_CHECK(h2.command == h.command && h2.has_hops == h.has_hops &&
		      h2.hops == h.hops && h2.crc == h.crc && mf_addr_equal(&h2.src, &h.src) &&
		      mf_addr_equal(&h2.dst, &h.dst));
	return 0;
}

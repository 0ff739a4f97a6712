/* libFuzzer target for gateway/proxy_v2.c (built with -DMF_FUZZ=ON and
 * clang). A header that decodes re-encodes to a header that decodes to the
 * same values (a round trip through our canonical form). */
#include <stdlib.h>
#include <string.h>

#include "gateway/proxy_v2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_pp2_header h, h2;
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	int n = mf_pp2_decode(p, size, &h);
	free(p);
	if (n > (int)size || n > MF_PP2_MAX_LEN)
		abort();
	if (n <= 0)
		return 0;
	uint8_t buf[128];
	int m = mf_pp2_encode(&h, buf, sizeof buf);
	if (m <= 0 || mf_pp2_decode(buf, (size_t)m, &h2) != m)
		abort();
	if (h2.command != h.command || h2.has_hops != h.has_hops || h2.hops != h.hops ||
	    h2.crc != h.crc || !mf_addr_equal(&h2.src, &h.src) || !mf_addr_equal(&h2.dst, &h.dst))
		abort();
	return 0;
}

/* libFuzzer target for gateway/clienthello.c (built with -DMF_FUZZ=ON and
 * clang; see tests/gateway/CMakeLists.txt). Beyond "no crash, no overrun"
 * it checks that the result does not depend on how the stream is split:
 * the first input byte picks a read size, the rest is the stream. */
#include <stdlib.h>
#include <string.h>

#include "gateway/clienthello.h"

static int run(const uint8_t *p, size_t n, size_t step, struct mf_ch_reader *r, size_t *total)
{
	int rc = MF_CH_NEED_MORE;
	*total = 0;
	mf_ch_init(r, 4096);
	for (size_t off = 0; off < n && rc == MF_CH_NEED_MORE; off += step) {
		size_t m = n - off < step ? n - off : step, used;
		uint8_t *piece = malloc(m);
		memcpy(piece, p + off, m);
		rc = mf_ch_feed(r, piece, m, &used);
		free(piece);
		if (used > m)
			abort();
		*total += used;
	}
	mf_ch_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = 1 + data[0] % 64;
	struct mf_ch_reader a, b;
	size_t ta, tb;
	int ra = run(data + 1, size - 1, size, &a, &ta);
	int rb = run(data + 1, size - 1, step, &b, &tb);
	if (ra != rb || a.error != b.error)
		abort();
	if (ra == MF_CH_DONE &&
	    (ta != tb || a.has_sni != b.has_sni || a.sni_len != b.sni_len ||
	     memcmp(a.sni, b.sni, a.sni_len) != 0 || a.sni_len > MF_CH_HOST_MAX || ta > 4096))
		abort();
	return 0;
}

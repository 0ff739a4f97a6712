/* libFuzzer target: what a client sends the gateway first, read as
 * cmd/gateway/conn.c does: classified (gateway/clienthello.c
 * mf_ch_sniff), the ClientHello read (mf_ch_feed) and its SNI parsed
 * (gateway/sni.c mf_sni_parse, trust domain example.test). The first byte
 * picks a read size, the rest is the stream. Checks: the result does not
 * depend on how the stream is split, never consumes more than it was
 * given or than the reader's limit, and a parsed SNI names a DC. */
#include "gateway/clienthello.h"
#include "gateway/sni.h"
#include "tests/fuzz/fuzz.h"

#define LIMIT 4096

static int run(const uint8_t *p, size_t n, size_t step, struct mf_ch_reader *r, size_t *total)
{
	int rc = MF_CH_NEED_MORE;
	*total = 0;
	mf_ch_init(r, LIMIT);
	for (size_t off = 0; off < n && rc == MF_CH_NEED_MORE; off += step) {
		size_t m = n - off < step ? n - off : step, used = 0;
		uint8_t *piece = mf_fuzz_copy(p + off, m);
		rc = mf_ch_feed(r, piece, m, &used);
		free(piece);
		MF_FUZZ_CHECK(used <= m);
		*total += used;
	}
	mf_ch_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t *stream = mf_fuzz_copy(data + 1, size - 1);
	(void)mf_ch_sniff(stream, size - 1);
	size_t step = 1 + data[0] % 64;
	struct mf_ch_reader a, b;
	size_t ta, tb;
	int ra = run(stream, size - 1, size, &a, &ta);
	int rb = run(stream, size - 1, step, &b, &tb);
	free(stream);
	MF_FUZZ_CHECK(ra == rb && a.error == b.error);
	if (ra != MF_CH_DONE)
		return 0;
	MF_FUZZ_CHECK(ta == tb && ta <= LIMIT && a.has_sni == b.has_sni);
	MF_FUZZ_CHECK(a.sni_len == b.sni_len && a.sni_len <= MF_CH_HOST_MAX &&
		      memcmp(a.sni, b.sni, a.sni_len) == 0);
	if (a.has_sni) {
		struct mf_sni_name n;
		int r = mf_sni_parse(a.sni, a.sni_len, "example.test", &n);
		MF_FUZZ_CHECK(r == 0 || r == MF_EMALFORMED || r == MF_ENOTFOUND);
		if (r == 0)
			MF_FUZZ_CHECK(n.dc[0] != '\0' && strlen(n.dc) <= MF_SNI_LABEL_MAX);
	}
	return 0;
}

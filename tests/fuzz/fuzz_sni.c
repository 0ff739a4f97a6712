/* libFuzzer target: the SNI name a client sends the gateway, parsed as
 * cmd/gateway/conn.c does (gateway/sni.c mf_sni_parse, trust domain
 * example.test) on its own, so the mutator works on names rather than on
 * the TLS framing around them (fuzz_clienthello). A name that parses
 * formats back into a name of at most MF_SNI_NAME_MAX bytes that parses to
 * the same parts. */
#include "gateway/sni.h"
#include "tests/fuzz/fuzz.h"

#define TD "example.test"

static int same(const struct mf_sni_name *a, const struct mf_sni_name *b)
{
	return strcmp(a->subset, b->subset) == 0 && strcmp(a->service, b->service) == 0 &&
	       strcmp(a->ns, b->ns) == 0 && strcmp(a->dc, b->dc) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_sni_name n, n2;
	char buf[MF_SNI_NAME_MAX + 2];
	char *p = (char *)mf_fuzz_copy(data, size);
	int r = mf_sni_parse(p, size, TD, &n);
	free(p);
	MF_FUZZ_CHECK(r == 0 || r == MF_EMALFORMED || r == MF_ENOTFOUND);
	if (r != 0)
		return 0;
	int w = mf_sni_format(&n, TD, buf, sizeof buf);
	MF_FUZZ_CHECK(w > 0 && (size_t)w <= MF_SNI_NAME_MAX && strlen(buf) == (size_t)w);
	MF_FUZZ_CHECK(mf_sni_parse(buf, (size_t)w, TD, &n2) == 0 && same(&n, &n2));
	return 0;
}

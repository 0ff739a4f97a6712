/* libFuzzer target: route advertisements (routing/advert.c). Pieces
 * (tests/fuzz/fuzz.h), each a fragment as gossiped: decoded, checked
 * against its own bounds, re-encoded and decoded again, then given to one
 * reassembler; a completed state must re-encode too. Each piece is also
 * read as a gossiped message (a delta is accepted there), and a delta is
 * applied to the last full state decoded (routing/advert_delta.h). The
 * last piece is also read as push-pull state (maps back to back, *used). */
#include <string.h>

#include "gossip/err.h"
#include "routing/advert.h"
#include "routing/advert_asm.h"
#include "routing/advert_delta.h"
#include "tests/fuzz/fuzz.h"

#define ASM_PENDING 8

static void check(const struct mf_advert *a)
{
	MF_FUZZ_CHECK(a->origin != NULL && a->node != NULL);
	MF_FUZZ_CHECK(a->n_gateways <= MF_ADVERT_GATEWAYS_MAX);
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *r = &a->routes[i];
		MF_FUZZ_CHECK(r->target < a->n_names);
		MF_FUZZ_CHECK(r->n_hops <= MF_ADVERT_HOPS_MAX);
		MF_FUZZ_CHECK((size_t)r->hops_off + r->n_hops <= a->n_hops);
	}
	for (size_t i = 0; i < a->n_hops; i++)
		MF_FUZZ_CHECK(a->hops[i] < a->n_names);
	for (size_t i = 0; i < a->n_dead; i++)
		MF_FUZZ_CHECK(a->dead[i].dc < a->n_names);
}

static void reencode(const struct mf_advert *a)
{
	msgpack_sbuffer sb;
	struct mf_advert b = { 0 };
	msgpack_sbuffer_init(&sb);
	MF_FUZZ_CHECK(mf_advert_encode_full(&sb, a) == 0);
	MF_FUZZ_CHECK(mf_advert_decode((const uint8_t *)sb.data, sb.size, &b, NULL) == 0);
	MF_FUZZ_CHECK(b.n_routes == a->n_routes && b.n_gateways == a->n_gateways &&
		      b.n_dead == a->n_dead && b.seq == a->seq);
	mf_advert_free(&b);
	msgpack_sbuffer_destroy(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_advert_asm s;
	struct mf_fuzz_cursor cur;
	uint8_t *piece, *last = NULL;
	size_t len, last_len = 0;
	mf_advert_asm_init(&s, ASM_PENDING);
	mf_fuzz_cursor_init(&cur, data, size);
	struct mf_advert base = { 0 };
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		struct mf_advert a = { 0 }, whole = { 0 }, d = { 0 }, p = { 0 };
		if (mf_advert_decode_msg(piece, len, &d) == 0) {
			check(&d);
			for (size_t i = 0; i < d.n_gone; i++)
				MF_FUZZ_CHECK(d.gone[i] < d.n_names);
			if (d.base_seq == 0) {
				mf_advert_free(&base);
				base = d;
				memset(&d, 0, sizeof d);
			} else if (base.origin && mf_advert_patch(&base, &d, &p) == 0) {
				check(&p);
				reencode(&p);
				mf_advert_free(&p);
			}
			mf_advert_free(&d);
		}
		if (mf_advert_decode(piece, len, &a, NULL) == 0) {
			check(&a);
			reencode(&a);
			int r = mf_advert_asm_add(&s, &a, &whole);
			if (r == 1) {
				check(&whole);
				reencode(&whole);
				mf_advert_free(&whole);
			}
			MF_FUZZ_CHECK(s.n <= ASM_PENDING);
		}
		mf_advert_free(&a);
		free(last);
		last = piece;
		last_len = len;
	}
	for (size_t off = 0, used = 0; last && off < last_len; off += used) {
		struct mf_advert a = { 0 };
		if (mf_advert_decode(last + off, last_len - off, &a, &used) != 0)
			break;
		MF_FUZZ_CHECK(used >= 1 && used <= last_len - off);
		check(&a);
		mf_advert_free(&a);
	}
	free(last);
	mf_advert_free(&base);
	mf_advert_asm_free(&s);
	return 0;
}

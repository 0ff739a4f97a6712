/* libFuzzer target: the lines an agent sends a route-socket subscriber
 * (routing/route_proto.c mf_rp_client_apply): hello, snapshot, delta,
 * heartbeat, ... Pieces (tests/fuzz/fuzz.h), one line each, to one client.
 * Checks: a reply is one line ending in '\n'; a rejected update or a
 * failure leaves the table as it was (version and route count). */
#include "gossip/err.h"
#include "routing/route_proto.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_rp_client c;
	struct mf_fuzz_cursor cur;
	uint8_t *piece;
	size_t len;
	mf_rp_client_init(&c);
	mf_fuzz_cursor_init(&cur, data, size);
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		enum mf_rp_event ev = 0;
		char *reply = NULL, *detail = NULL;
		size_t reply_len = 0;
		uint64_t version = c.table.version;
		size_t n_routes = c.table.n_routes;
		bool had = c.have_table;
		int r = mf_rp_client_apply(&c, (const char *)piece, len, &ev, &reply, &reply_len,
					   &detail);
		if (reply)
			mf_fuzz_check_line(reply, reply_len);
		if (r < 0 || ev == MF_RP_EV_REJECTED)
			MF_FUZZ_CHECK(c.have_table == had && c.table.version == version &&
				      c.table.n_routes == n_routes);
		free(reply);
		free(detail);
		free(piece);
	}
	mf_rp_client_free(&c);
	return 0;
}

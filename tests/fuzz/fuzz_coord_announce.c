/* libFuzzer target: what a coordinate tracker (coord/tracker.c) takes from
 * peers: announcements (user messages [0xc8][2][node][payload]) and ack
 * payloads with an RTT. Pieces (tests/fuzz/fuzz.h); a piece's first byte
 * is 0 for an announcement, else an ack from "peer<byte % 4>" whose RTT is
 * the next two bytes in ms. Then the estimates are read. Checks: our own
 * coordinate stays finite, the cache holds at most one entry per name. */
#include <math.h>

#include "coord/tracker.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_coord_tracker t;
	struct mf_fuzz_cursor cur;
	uint8_t *piece;
	size_t len, pieces = 0;
	MF_FUZZ_CHECK(mf_coord_tracker_init(&t, "me", NULL) == 0);
	mf_fuzz_cursor_init(&cur, data, size);
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		pieces++;
		if (len >= 1 && piece[0] == 0) {
			mf_coord_tracker_on_user_msg(&t, piece + 1, len - 1);
		} else if (len >= 3) {
			char node[8];
			snprintf(node, sizeof(node), "peer%d", piece[0] % 4);
			mf_time_t rtt = ((mf_time_t)piece[1] << 8 | piece[2]) * MF_MS;
			mf_coord_tracker_on_ack(&t, node, piece + 3, len - 3, rtt);
		}
		free(piece);
	}
	struct mf_coord self;
	mf_coord_tracker_self(&t, &self);
	for (unsigned i = 0; i < self.dim; i++)
		MF_FUZZ_CHECK(isfinite(self.vec[i]));
	MF_FUZZ_CHECK(isfinite(self.height) && isfinite(self.error));
	MF_FUZZ_CHECK(mf_coord_tracker_count(&t) <= pieces);
	double rtt;
	(void)mf_coord_tracker_rtt(&t, "peer0", "peer1", &rtt);
	(void)mf_coord_tracker_estimate(&t, "peer0", &rtt, NULL);
	mf_coord_tracker_free(&t);
	return 0;
}

/* libFuzzer target: one line a route-socket subscriber sends the agent
 * (routing/route_proto.c mf_rp_parse_request). A parsed register carries
 * a gateway that could travel in an advert as it is. */
#include "gossip/err.h"
#include "routing/route_proto.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_rp_request req;
	char err[256];
	char *line = mf_fuzz_dup(data, size);
	int r = mf_rp_parse_request(line, size, &req, err, sizeof(err));
	MF_FUZZ_CHECK(r <= 0);
	if (r == 0) {
		if (req.type == MF_RP_REGISTER)
			MF_FUZZ_CHECK(mf_gateway_valid(&req.gw));
		mf_rp_request_free(&req);
	} else {
		MF_FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		MF_FUZZ_CHECK(strchr(err, '\n') == NULL);
	}
	free(line);
	return 0;
}

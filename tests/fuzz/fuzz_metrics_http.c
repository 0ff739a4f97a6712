/* libFuzzer target: an HTTP request head sent to the agent's /metrics
 * responder (-metrics-addr), read as cmd/daemon/metrics_http.c reads it: into a
 * buffer of MF_METRICS_HTTP_MAX_HEAD bytes, NUL-terminated after each
 * read, tested for completeness (cmd/daemon/metrics_http_head.c) and, once
 * complete, routed. The first byte picks the read size. Checks: the status
 * is one the responder knows, HEAD only with 200, a full buffer is the
 * only other outcome (431). */
#include "cmd/daemon/metrics_http.h"
#include "cmd/daemon/metrics_http_head.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = 1 + (size_t)data[0] * 7u;
	char *head = malloc(MF_METRICS_HTTP_MAX_HEAD);
	MF_FUZZ_CHECK(head != NULL);
	size_t len = 0;
	head[0] = '\0';
	for (size_t off = 1; off < size;) {
		size_t n = size - off, room = MF_METRICS_HTTP_MAX_HEAD - 1 - len;
		n = n < step ? n : step;
		n = n < room ? n : room;
		memcpy(head + len, data + off, n);
		len += n;
		off += n;
		head[len] = '\0';
		if (mf_metrics_http_head_complete(head)) {
			bool head_only;
			int code = mf_metrics_http_route(head, &head_only);
			MF_FUZZ_CHECK(code == 200 || code == 400 || code == 404 || code == 405);
			MF_FUZZ_CHECK(!head_only || code == 200 || code == 404);
			break; /* answered: the responder reads no more */
		}
		if (len >= MF_METRICS_HTTP_MAX_HEAD - 1)
			break; /* 431 */
	}
	free(head);
	return 0;
}

/* libFuzzer target: serf's query messages (gossip/serf_query.c) and query
 * state (gossip/serf_query_state.c) fed what peers send: every decoder on
 * the input after its type byte, what decodes re-encodes and decodes to the
 * same fields, filters of a decoded query evaluated, and the de-dup buffer
 * and a collector fed what decoded. */
#include "gossip/err.h"
#include "gossip/serf.h"
#include "gossip/serf_query.h"
#include "gossip/serf_query_state.h"
#include "tests/fuzz/fuzz.h"

static struct mf_serf_query_buffer buf;

static void query(const uint8_t *p, size_t n)
{
	struct mf_serf_query q, q2;
	if (mf_serf_decode_query(p, n, &q) != 0)
		return;
	MF_FUZZ_CHECK(q.n_filters <= MF_SERF_QUERY_MAX_FILTERS);
	MF_FUZZ_CHECK(q.addr.len == 4 || q.addr.len == 16);
	struct mf_tag tags[2] = {{"role", "meshfed"}, {"dc", "dc1"}};
	(void)mf_serf_query_filters_match(q.filters, q.n_filters, "m1", tags, 2);
	uint64_t clock = 1;
	(void)mf_serf_query_buffer_admit(&buf, &clock, q.ltime, q.id);
	MF_FUZZ_CHECK(clock > q.ltime || q.ltime == UINT64_MAX);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	MF_FUZZ_CHECK(mf_serf_encode_query(&sb, &q) == 0);
	MF_FUZZ_CHECK(mf_serf_decode_query((const uint8_t *)sb.data + 1, sb.size - 1, &q2) == 0);
	MF_FUZZ_CHECK(q2.ltime == q.ltime && q2.id == q.id && q2.n_filters == q.n_filters &&
		      q2.name.len == q.name.len && q2.timeout == q.timeout);
	msgpack_sbuffer_destroy(&sb);
}

static void response(const uint8_t *p, size_t n)
{
	struct mf_serf_query_response r;
	struct mf_serf_key_response k;
	if (mf_serf_decode_query_response(p, n, &r) != 0)
		return;
	MF_FUZZ_CHECK(r.from.len > 0 && r.from.len <= MF_NAME_MAX);
	struct mf_serf_query_collector c;
	mf_serf_query_collector_init(&c, r.ltime, r.id, 10);
	MF_FUZZ_CHECK(mf_serf_query_collect(&c, 1, &r) == 1);
	MF_FUZZ_CHECK(mf_serf_query_collect(&c, 2, &r) == 0);
	mf_serf_query_collector_free(&c);
	if (r.payload.len > 1 && r.payload.p[0] == MF_SERF_MSG_KEY_RESPONSE &&
	    mf_serf_decode_key_response(r.payload.p + 1, r.payload.len - 1, &k) == 0)
		MF_FUZZ_CHECK(k.n_keys <= MF_SERF_KEY_RESPONSE_MAX_KEYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t *p = malloc(size - 1 ? size - 1 : 1);
	memcpy(p, data + 1, size - 1);
	size_t n = size - 1;
	struct mf_serf_relay rl;
	struct mf_serf_user_event ev;
	struct mf_serf_key_response k;
	struct mf_bytes key;
	switch (data[0] % 6) {
	case 0:
		query(p, n);
		break;
	case 1:
		response(p, n);
		break;
	case 2:
		if (mf_serf_decode_relay(p, n, &rl) == 0)
			MF_FUZZ_CHECK(rl.inner.len > 0 && rl.inner.p + rl.inner.len == p + n);
		break;
	case 3:
		(void)mf_serf_decode_user_event(p, n, &ev);
		break;
	case 4:
		if (mf_serf_decode_key_response(p, n, &k) == 0)
			MF_FUZZ_CHECK(k.n_keys <= MF_SERF_KEY_RESPONSE_MAX_KEYS);
		break;
	default:
		if (mf_serf_decode_key_request(p, n, &key) == 0)
			MF_FUZZ_CHECK(key.len <= n);
	}
	free(p);
	return 0;
}

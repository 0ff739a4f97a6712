/*
 * tests/coord/test_coord_ping.c — what a probe ack does to a client: the
 * payload decoded (coord/wire.h) and fed to mf_coord_client_update, the way
 * serf's ping delegate does (coord/tracker.h is the production glue).
 */
#include <math.h>
#include <string.h>

#include "coord/client.h"
#include "coord/wire.h"
#include "gossip/err.h"
#include "tests/coord/captures.h"
#include "tests/cunit_main.h"

static struct mf_coord_client cl;
static uint64_t bad_payloads;

/* serf NotifyPingComplete: 1 for an empty payload (ignored), else decode
 * (errors counted) and update. */
static int ping_complete(const char *node, const uint8_t *payload, size_t len,
			 int64_t rtt_ns, struct mf_coord *peer)
{
	struct mf_coord other;
	if (len == 0)
		return 1;
	int rc = mf_coord_wire_decode(payload, len, &other);
	if (rc < 0) {
		bad_payloads++;
		return rc;
	}
	rc = mf_coord_client_update(&cl, node, &other, (double)rtt_ns / 1e9, NULL);
	if (rc == MF_OK && peer)
		*peer = other;
	return rc;
}

static size_t ack_payload(uint8_t *buf, size_t cap)
{
	struct mf_coord own;
	size_t len = 0;
	mf_coord_client_get(&cl, &own);
	return mf_coord_wire_encode(&own, buf, cap, &len) == MF_OK ? len : 0;
}

static void setup(void)
{
	struct mf_coord_config cfg;
	mf_coord_config_default(&cfg);
	CU_ASSERT_FATAL(mf_coord_client_init(&cl, &cfg) == MF_OK);
	bad_payloads = 0;
}

static void test_ack_payload_is_our_coordinate_in_serf_format(void)
{
	uint8_t buf[MF_COORD_WIRE_MAX], want[MF_COORD_WIRE_MAX];
	struct mf_coord own;
	size_t wlen;
	setup();
	cl.coord.vec[2] = 0.0123;
	cl.coord.error = 0.42;
	size_t len = ack_payload(buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 130);
	mf_coord_client_get(&cl, &own);
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&own, want, sizeof(want), &wlen), MF_OK);
	CU_ASSERT_EQUAL(len, wlen);
	CU_ASSERT_EQUAL(memcmp(buf, want, len), 0);
	CU_ASSERT_EQUAL(ack_payload(buf, 64), 0);
	mf_coord_client_free(&cl);
}

static void test_serf_ack_updates_the_client_and_returns_the_peer(void)
{
	struct mf_coord peer;
	setup();
	CU_ASSERT_EQUAL(ping_complete("u4", caps[0].bytes, caps[0].len,
					       350000, &peer), MF_OK);
	CU_ASSERT_EQUAL(mf_coord_client_stats(&cl)->updates, 1);
	CU_ASSERT_EQUAL(peer.error, caps[0].error);
	CU_ASSERT_EQUAL(peer.vec[7], caps[0].vec[7]);
	double est;
	int measured;
	CU_ASSERT_EQUAL(mf_coord_client_estimate(&cl, "u4", NULL, &est, &measured), MF_OK);
	CU_ASSERT_DOUBLE_EQUAL(est, 350e-6, 1e-15);
	mf_coord_client_free(&cl);
}

static void test_empty_payload_is_ignored(void)
{
	setup();
	CU_ASSERT_EQUAL(ping_complete("m", NULL, 0, 1000000, NULL), 1);
	CU_ASSERT_EQUAL(mf_coord_client_stats(&cl)->updates, 0);
	CU_ASSERT_EQUAL(bad_payloads, 0);
	mf_coord_client_free(&cl);
}

static void test_undecodable_payload_is_counted_and_changes_nothing(void)
{
	const uint8_t junk[] = {0x01, 0xc1, 0x00};
	const uint8_t v2[] = {0x02, 0x80};
	struct mf_coord before, after;
	setup();
	mf_coord_client_get(&cl, &before);
	CU_ASSERT_EQUAL(ping_complete("m", junk, sizeof(junk), 1000000, NULL),
			MF_EMALFORMED);
	CU_ASSERT_EQUAL(ping_complete("m", v2, sizeof(v2), 1000000, NULL),
			MF_EUNKNOWN);
	CU_ASSERT_EQUAL(bad_payloads, 2);
	mf_coord_client_get(&cl, &after);
	CU_ASSERT_EQUAL(memcmp(&before, &after, sizeof(before)), 0);
	mf_coord_client_free(&cl);
}

static void test_invalid_coordinate_in_payload_is_rejected_by_the_client(void)
{
	uint8_t buf[MF_COORD_WIRE_MAX];
	size_t len;
	struct mf_coord bad = {0};
	setup();
	bad.dim = 8;
	bad.height = INFINITY;
	CU_ASSERT_EQUAL(mf_coord_wire_encode(&bad, buf, sizeof(buf), &len), MF_OK);
	CU_ASSERT_EQUAL(ping_complete("m", buf, len, 1000000, NULL), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_coord_client_stats(&cl)->rejected[MF_COORD_REJECT_NONFINITE], 1);
	CU_ASSERT_EQUAL(mf_coord_client_stats(&cl)->updates, 0);
	mf_coord_client_free(&cl);
}

static void test_mutated_payloads_never_make_our_coordinate_invalid(void)
{
	struct mf_coord_rng rng;
	uint8_t b[256];
	unsigned applied = 0;
	mf_coord_rng_seed(&rng, 9);
	setup();
	for (int i = 0; i < 20000; i++) {
		const struct capture *c = &caps[i % ncaps];
		memcpy(b, c->bytes, c->len);
		size_t len = c->len;
		unsigned flips = 1 + mf_coord_rng_below(&rng, 4);
		for (unsigned k = 0; k < flips; k++)
			b[mf_coord_rng_below(&rng, (uint32_t)len)] ^=
				(uint8_t)(1u << mf_coord_rng_below(&rng, 8));
		if (mf_coord_rng_below(&rng, 8) == 0)
			len = mf_coord_rng_below(&rng, (uint32_t)len + 1);
		char name[4] = {'n', (char)('0' + i % 7), 0};
		int rc = ping_complete(name, b, len,
						1000 + mf_coord_rng_below(&rng, 500000000), NULL);
		if (rc == MF_OK)
			applied++;
		struct mf_coord own;
		mf_coord_client_get(&cl, &own);
		CU_ASSERT_FATAL(mf_coord_is_valid(&own));
		/* Inputs are bounded (|x| <= 1e3 s, RTT <= 10 s), so are we. */
		for (unsigned d = 0; d < own.dim; d++)
			CU_ASSERT_FATAL(fabs(own.vec[d]) < 1e5);
		CU_ASSERT_FATAL(own.height < 1e5 && fabs(own.adjustment) < 1e5);
	}
	/* Flips in float mantissas still decode: the fuzz reached the client. */
	CU_ASSERT(applied > 1000);
	CU_ASSERT(bad_payloads > 1000);
	mf_coord_client_free(&cl);
}

int main(void)
{
	if (load_captures() < 0) {
		fprintf(stderr, "cannot read %s/serf_ack_payloads.txt\n", MF_COORD_FIXTURES);
		return 1;
	}
	static const struct test_case cases[] = {
		{"ack payload is our coordinate in serf's format",
		 test_ack_payload_is_our_coordinate_in_serf_format},
		{"serf's ack updates the client and returns the peer",
		 test_serf_ack_updates_the_client_and_returns_the_peer},
		{"empty payload is ignored", test_empty_payload_is_ignored},
		{"undecodable payload is counted and changes nothing",
		 test_undecodable_payload_is_counted_and_changes_nothing},
		{"invalid coordinate in a payload is rejected by the client",
		 test_invalid_coordinate_in_payload_is_rejected_by_the_client},
		{"mutated payloads never make our coordinate invalid",
		 test_mutated_payloads_never_make_our_coordinate_invalid},
	};
	return RUN_SUITE("coord_ping", cases);
}

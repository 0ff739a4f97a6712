/* libFuzzer target: a whole gossip pool (gossip/pool.c) fed by one peer.
 * The input is a sequence of pieces (tests/fuzz/fuzz.h); the first byte
 * of each says what it is: bit 0 a UDP packet or an inbound stream frame,
 * bit 1 sealed with the pool's key first (the pool is encrypted when the
 * input's very first byte is odd). Between pieces 200 ms pass and the
 * pool's timers run, so state changes (suspicion, refutation, reaping)
 * happen. Checks: the member count stays bounded by what was sent, our own
 * entry stays alive whatever is said about us. */
#include "gossip/pool.h"
#include "gossip/wire.h"
#include "tests/fuzz/keyring_fixture.h"

static void drain(mf_pool_t *p)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(p, &o) == 1)
		MF_FUZZ_CHECK(o.len == 0 || o.data != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mf_keyring *kr = mf_fuzz_keyring();
	if (size < 1)
		return 0;
	bool enc = data[0] & 1;
	struct mf_pool_config c;
	mf_pool_config_init(&c, MF_PROFILE_LAN);
	strcpy(c.name, "me");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 127;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	c.seed = 1;
	if (enc)
		c.keyring = kr;
	mf_pool_t *p;
	mf_time_t now = 1000 * MF_SEC;
	MF_FUZZ_CHECK(mf_pool_new(&c, now, &p) == 0);
	drain(p);
	struct mf_addr from;
	MF_FUZZ_CHECK(mf_addr_parse("127.0.0.2:7946", 7946, &from) == 0);

	struct mf_fuzz_cursor cur;
	mf_fuzz_cursor_init(&cur, data + 1, size - 1);
	uint8_t *piece;
	size_t len, pieces = 0;
	uint64_t stream_id = 1;
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		pieces++;
		if (len >= 1) {
			msgpack_sbuffer sealed;
			msgpack_sbuffer_init(&sealed);
			const uint8_t *in = piece + 1;
			size_t n = len - 1;
			bool udp = (piece[0] & 1) == 0;
			if (enc && (piece[0] & 2)) {
				int r = udp ? mf_crypto_seal_packet(kr, in, n, &sealed) :
					      mf_crypto_seal_stream(kr, in, n, &sealed);
				MF_FUZZ_CHECK(r == 0);
				in = (const uint8_t *)sealed.data;
				n = sealed.size;
			}
			uint8_t *copy = mf_fuzz_copy(in, n);
			if (udp) {
				(void)mf_pool_udp_in(p, now, &from, copy, n);
			} else {
				size_t frame_len;
				if (mf_wire_stream_complete(copy, n, &frame_len) == 1)
					(void)mf_pool_stream_in(p, now, stream_id++, &from, copy,
								frame_len);
			}
			free(copy);
			msgpack_sbuffer_destroy(&sealed);
		}
		free(piece);
		drain(p);
		now += 200 * MF_MS;
		mf_pool_tick(p, now);
		drain(p);
	}
	struct mf_member self;
	MF_FUZZ_CHECK(mf_pool_member_find(p, "me", &self) == 0);
	MF_FUZZ_CHECK(self.status == MF_MEMBER_ALIVE);
	/* A packet names at most 255 members (a compound), a stream frame
	 * at most what its bytes hold. */
	MF_FUZZ_CHECK(mf_pool_member_count(p) <= 1 + pieces * 255 + size);
	mf_pool_free(p);
	return 0;
}

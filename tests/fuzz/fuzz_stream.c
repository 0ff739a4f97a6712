/* libFuzzer target: inbound stream framing, as the transport reads it
 * (mf_codec_stream_feed, the incremental framer, over a growing buffer;
 * it must agree with the one-shot mf_wire_stream_complete), then the frame opened (decrypted, inflated)
 * and its message decoded. The first byte picks the read size (how the
 * stream is split, which must not change the frame found) and the mode:
 * plain pool, encrypted pool, or encrypted pool with the rest sealed first
 * as a stream frame so the mutator reaches what follows decryption. */
#include "gossip/wire.h"
#include "tests/fuzz/keyring_fixture.h"
#include "tests/fuzz/msgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mf_keyring *kr = mf_fuzz_keyring();
	if (size < 1)
		return 0;
	size_t step = 1 + (data[0] >> 2) * 97u;
	int mode = data[0] & 3; /* 0, 3: plain; 1: encrypted; 2: sealed first */
	const struct mf_keyring *k = mode == 1 || mode == 2 ? kr : NULL;
	msgpack_sbuffer sealed;
	msgpack_sbuffer_init(&sealed);
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	if (mode == 2) {
		MF_FUZZ_CHECK(mf_crypto_seal_stream(kr, in, len, &sealed) == 0);
		in = (const uint8_t *)sealed.data;
		len = sealed.size;
	}
	uint8_t *buf = mf_fuzz_copy(in, len);

	size_t whole_len = 0;
	int whole = mf_wire_stream_complete(buf, len, &whole_len);
	MF_FUZZ_CHECK(whole <= 1);
	if (whole == 1)
		MF_FUZZ_CHECK(whole_len >= 1 && whole_len <= len && whole_len <= MF_STREAM_MAX + 5);
	/* Read by read, as the transport does: the first prefix that is
	 * complete must give the same frame; an error may show earlier. */
	struct mf_stream_framer f;
	size_t got = 0, frame_len = 0;
	int r = 0;
	mf_stream_framer_init(&f);
	while (got < len && r == 0) {
		got = got + step < len ? got + step : len;
		r = mf_codec_stream_feed(&f, buf, got, &frame_len);
		MF_FUZZ_CHECK(r <= 1);
	}
	if (whole == 1)
		MF_FUZZ_CHECK(r == 1 && frame_len == whole_len);
	if (whole < 0)
		MF_FUZZ_CHECK(r < 0);
	if (whole == 0)
		MF_FUZZ_CHECK(r == 0);
	if (whole == 1) {
		struct mf_wire_scratch s;
		struct mf_wire_msg msg;
		mf_wire_scratch_init(&s);
		if (mf_wire_open_stream(k, buf, whole_len, &s, &msg) == 0)
			mf_fuzz_decode_msg(msg.type, msg.body.p, msg.body.len);
		mf_wire_scratch_destroy(&s);
	}
	free(buf);
	msgpack_sbuffer_destroy(&sealed);
	return 0;
}

/* libFuzzer target: a UDP packet into an encrypted pool (gossip/crypto.c,
 * then gossip/wire.c as in fuzz_packet). The first byte picks the mode:
 * odd, the rest is the packet as received (wrong keys, plaintext, cut
 * frames, version 0 padding); even, the rest is sealed with the pool's key
 * first, so the mutator reaches what follows the decryption. */
#include "gossip/wire.h"
#include "tests/fuzz/keyring_fixture.h"
#include "tests/fuzz/msgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mf_keyring *kr = mf_fuzz_keyring();
	if (size < 1)
		return 0;
	msgpack_sbuffer sealed;
	msgpack_sbuffer_init(&sealed);
	const uint8_t *pkt = data + 1;
	size_t len = size - 1;
	if ((data[0] & 1) == 0) {
		MF_FUZZ_CHECK(mf_crypto_seal_packet(kr, pkt, len, &sealed) == 0);
		pkt = (const uint8_t *)sealed.data;
		len = sealed.size;
	}
	uint8_t *copy = mf_fuzz_copy(pkt, len);
	struct mf_wire_scratch s;
	struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];
	size_t n = 0;
	mf_wire_scratch_init(&s);
	int r = mf_wire_open_packet(kr, copy, len, &s, msgs, &n);
	if ((data[0] & 1) == 0)
		MF_FUZZ_CHECK(r != MF_EDECRYPT && r != MF_EPLAIN); /* our own seal opens */
	for (size_t i = 0; i < n; i++)
		mf_fuzz_decode_msg(msgs[i].type, msgs[i].body.p, msgs[i].body.len);
	mf_wire_scratch_destroy(&s);
	free(copy);
	msgpack_sbuffer_destroy(&sealed);
	return 0;
}

/* gossip/keyring.c and gossip/crypto.c: key management and memberlist's
 * AES-GCM framing, checked against serf's encrypted captures. */
#include "helpers.h"

#include <sodium.h>

#include "gossip/codec.h"
#include "gossip/crypto.h"
#include "gossip/keyring.h"

static uint8_t capture_key[MF_KEY_LEN];

static void load_capture_key(void)
{
	struct fixture f = fx_load("key.b64");
	char b64[64] = {0};

	memcpy(b64, f.p, f.len < sizeof(b64) - 1 ? f.len : sizeof(b64) - 1);
	b64[strcspn(b64, "\r\n")] = '\0';
	CU_ASSERT_EQUAL_FATAL(mf_keyring_decode_b64(b64, capture_key), 0);
	fx_free(&f);
}

static void key_of(uint8_t k[MF_KEY_LEN], uint8_t v)
{
	memset(k, v, MF_KEY_LEN);
}

/* ---- keyring ---- */

static void test_keyring_first_key_is_primary_and_duplicates_are_noops(void)
{
	struct mf_keyring kr;
	uint8_t a[MF_KEY_LEN], b[MF_KEY_LEN];

	key_of(a, 1);
	key_of(b, 2);
	mf_keyring_init(&kr);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, a, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, b, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, a, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(kr.n, 2);
	CU_ASSERT(memcmp(kr.keys[0], a, MF_KEY_LEN) == 0);
	mf_keyring_wipe(&kr);
	CU_ASSERT_EQUAL(kr.n, 0);
}

static void test_keyring_use_makes_primary_and_remove_spares_primary(void)
{
	struct mf_keyring kr;
	uint8_t a[MF_KEY_LEN], b[MF_KEY_LEN], c[MF_KEY_LEN], x[MF_KEY_LEN];

	key_of(a, 1);
	key_of(b, 2);
	key_of(c, 3);
	key_of(x, 9);
	mf_keyring_init(&kr);
	mf_keyring_add(&kr, a, MF_KEY_LEN);
	mf_keyring_add(&kr, b, MF_KEY_LEN);
	mf_keyring_add(&kr, c, MF_KEY_LEN);
	CU_ASSERT_EQUAL(mf_keyring_use(&kr, c, MF_KEY_LEN), 0);
	CU_ASSERT(memcmp(kr.keys[0], c, MF_KEY_LEN) == 0);
	CU_ASSERT_EQUAL(kr.n, 3);
	CU_ASSERT_EQUAL(mf_keyring_remove(&kr, c, MF_KEY_LEN), MF_ESTATE);
	CU_ASSERT_EQUAL(mf_keyring_remove(&kr, a, MF_KEY_LEN), 0);
	CU_ASSERT_EQUAL(kr.n, 2);
	CU_ASSERT(memcmp(kr.keys[0], c, MF_KEY_LEN) == 0);
	CU_ASSERT(memcmp(kr.keys[1], b, MF_KEY_LEN) == 0);
	CU_ASSERT_EQUAL(mf_keyring_remove(&kr, x, MF_KEY_LEN), MF_ENOTFOUND);
	CU_ASSERT_EQUAL(mf_keyring_use(&kr, x, MF_KEY_LEN), MF_ENOTFOUND);
}

static void test_keyring_refuses_wrong_sizes_and_overflow(void)
{
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN + 1] = {0};
	static const size_t sizes[] = {0, 16, 24, 31, 33};

	mf_keyring_init(&kr);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, sizes[i]), MF_EKEYSIZE);
		CU_ASSERT_EQUAL(mf_keyring_use(&kr, k, sizes[i]), MF_EKEYSIZE);
		CU_ASSERT_EQUAL(mf_keyring_remove(&kr, k, sizes[i]), MF_EKEYSIZE);
	}
	CU_ASSERT_EQUAL(kr.n, 0);
	for (int i = 0; i < MF_KEYRING_MAX; i++) {
		k[0] = (uint8_t)i;
		CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), 0);
	}
	k[0] = 0xee;
	CU_ASSERT_EQUAL(mf_keyring_add(&kr, k, MF_KEY_LEN), MF_ETOOBIG);
}

static void test_keyring_base64_round_trip_and_errors(void)
{
	uint8_t k[MF_KEY_LEN];
	char b64[64], small[10];

	load_capture_key();
	mf_keyring_encode_b64(capture_key, b64, sizeof(b64));
	CU_ASSERT_STRING_EQUAL(b64, "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM=");
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(b64, k), 0);
	CU_ASSERT(memcmp(k, capture_key, MF_KEY_LEN) == 0);
	mf_keyring_encode_b64(capture_key, small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "");

	CU_ASSERT_EQUAL(mf_keyring_decode_b64("not base64 at all!", k), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64("DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM", k),
			MF_EINVAL); /* padding missing */
	CU_ASSERT_EQUAL(mf_keyring_decode_b64("AAAAAAAAAAAAAAAAAAAAAA==", k), MF_EKEYSIZE); /* 16 */
	CU_ASSERT_EQUAL(mf_keyring_decode_b64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", k), MF_EKEYSIZE); /* 24 */
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(
				"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", k),
			MF_EKEYSIZE); /* 48 */
	CU_ASSERT_EQUAL(mf_keyring_decode_b64("", k), MF_EKEYSIZE);
	CU_ASSERT_EQUAL(mf_keyring_decode_b64(NULL, k), MF_EINVAL);
}

/* ---- crypto ---- */

static void test_opens_captured_encrypted_ping(void)
{
	struct fixture f = fx_load("enc_ping.bin");
	struct mf_keyring kr;
	msgpack_sbuffer out;
	struct mf_msg_ping p;

	load_capture_key();
	mf_keyring_init(&kr);
	mf_keyring_add(&kr, capture_key, MF_KEY_LEN);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(f.p[0], 1); /* encryption version 1 */
	CU_ASSERT_EQUAL_FATAL(mf_crypto_open_packet(&kr, f.p, f.len, &out), 0);
	CU_ASSERT_EQUAL(out.size, f.len - MF_CRYPTO_OVERHEAD);
	CU_ASSERT_EQUAL_FATAL(out.data[0], MF_MSG_PING);
	CU_ASSERT_EQUAL(mf_codec_decode_ping((uint8_t *)out.data + 1, out.size - 1, &p), 0);
	CU_ASSERT_EQUAL(p.seq_no, 44);
	CU_ASSERT(bytes_eq(p.node, "n4"));
	CU_ASSERT(bytes_eq(p.source_node, "n3"));
	msgpack_sbuffer_destroy(&out);
	fx_free(&f);
}

static void test_opens_captured_encrypted_stream(void)
{
	struct fixture f = fx_load("enc_stream_resp.bin");
	struct mf_keyring kr;
	msgpack_sbuffer out, in;
	struct mf_push_pull pp;

	load_capture_key();
	mf_keyring_init(&kr);
	mf_keyring_add(&kr, capture_key, MF_KEY_LEN);
	msgpack_sbuffer_init(&out);
	msgpack_sbuffer_init(&in);
	CU_ASSERT_EQUAL_FATAL(mf_crypto_open_stream(&kr, f.p, f.len, &out), 0);
	CU_ASSERT_EQUAL_FATAL(out.data[0], MF_MSG_COMPRESS);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_compress((uint8_t *)out.data + 1, out.size - 1, &in,
						       1 << 20), 0);
	CU_ASSERT_EQUAL_FATAL(in.data[0], MF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL(mf_codec_decode_push_pull((uint8_t *)in.data + 1, in.size - 1, &pp), 0);
	CU_ASSERT(pp.n_states >= 1);
	mf_codec_push_pull_free(&pp);
	/* a flipped ciphertext bit fails; a short frame is truncated */
	uint8_t saved = f.p[20];
	f.p[20] ^= 0x80;
	CU_ASSERT_EQUAL(mf_crypto_open_stream(&kr, f.p, f.len, &out), MF_EDECRYPT);
	f.p[20] = saved;
	CU_ASSERT_EQUAL(mf_crypto_open_stream(&kr, f.p, f.len - 1, &out), MF_ETRUNC);
	msgpack_sbuffer_destroy(&out);
	msgpack_sbuffer_destroy(&in);
	fx_free(&f);
}

static void test_seal_open_round_trip_and_layout(void)
{
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN];
	msgpack_sbuffer sealed, out;

	key_of(k, 5);
	mf_keyring_init(&kr);
	mf_keyring_add(&kr, k, MF_KEY_LEN);
	msgpack_sbuffer_init(&sealed);
	msgpack_sbuffer_init(&out);
	msgpack_sbuffer_write(&sealed, "xy", 2); /* seal appends */
	CU_ASSERT_EQUAL(mf_crypto_seal_packet(&kr, (const uint8_t *)"hello", 5, &sealed), 0);
	CU_ASSERT_EQUAL(sealed.size, 2 + 5 + MF_CRYPTO_OVERHEAD);
	CU_ASSERT_EQUAL(sealed.data[2], 1);
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, (uint8_t *)sealed.data + 2, sealed.size - 2, &out), 0);
	CU_ASSERT(out.size == 5 && memcmp(out.data, "hello", 5) == 0);

	msgpack_sbuffer_clear(&sealed);
	CU_ASSERT_EQUAL(mf_crypto_seal_stream(&kr, (const uint8_t *)"hello", 5, &sealed), 0);
	CU_ASSERT_EQUAL(sealed.size, 5 + 5 + MF_CRYPTO_OVERHEAD);
	CU_ASSERT(memcmp(sealed.data, "\x0a\x00\x00\x00\x22", 5) == 0);
	CU_ASSERT_EQUAL(mf_crypto_open_stream(&kr, (uint8_t *)sealed.data, sealed.size, &out), 0);
	CU_ASSERT(out.size == 5 && memcmp(out.data, "hello", 5) == 0);
	msgpack_sbuffer_destroy(&sealed);
	msgpack_sbuffer_destroy(&out);
}

static void test_wrong_key_and_tampering_fail_with_edecrypt(void)
{
	struct mf_keyring kr, other;
	uint8_t k[MF_KEY_LEN], o[MF_KEY_LEN];
	msgpack_sbuffer sealed, out;

	key_of(k, 5);
	key_of(o, 6);
	mf_keyring_init(&kr);
	mf_keyring_init(&other);
	mf_keyring_add(&kr, k, MF_KEY_LEN);
	mf_keyring_add(&other, o, MF_KEY_LEN);
	msgpack_sbuffer_init(&sealed);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_crypto_seal_packet(&kr, (const uint8_t *)"payload!", 8, &sealed), 0);
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&other, (uint8_t *)sealed.data, sealed.size, &out),
			MF_EDECRYPT);
	sealed.data[sealed.size - 1] ^= 1; /* tag */
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, (uint8_t *)sealed.data, sealed.size, &out),
			MF_EDECRYPT);
	sealed.data[sealed.size - 1] ^= 1;
	sealed.data[14] ^= 1; /* ciphertext */
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, (uint8_t *)sealed.data, sealed.size, &out),
			MF_EDECRYPT);
	sealed.data[14] ^= 1;
	sealed.data[0] = 2; /* unknown version */
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, (uint8_t *)sealed.data, sealed.size, &out),
			MF_EDECRYPT);
	sealed.data[0] = 1;
	for (size_t n = 0; n < MF_CRYPTO_OVERHEAD; n++)
		CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, (uint8_t *)sealed.data, n, &out), MF_EDECRYPT);
	msgpack_sbuffer_destroy(&sealed);
	msgpack_sbuffer_destroy(&out);
}

static void test_second_key_in_ring_decrypts(void)
{
	struct mf_keyring sender, receiver;
	uint8_t k[MF_KEY_LEN], o[MF_KEY_LEN];
	msgpack_sbuffer sealed, out;

	key_of(k, 5);
	key_of(o, 6);
	mf_keyring_init(&sender);
	mf_keyring_init(&receiver);
	mf_keyring_add(&sender, k, MF_KEY_LEN);
	mf_keyring_add(&receiver, o, MF_KEY_LEN);
	mf_keyring_add(&receiver, k, MF_KEY_LEN);
	msgpack_sbuffer_init(&sealed);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_crypto_seal_packet(&sender, (const uint8_t *)"rotate", 6, &sealed), 0);
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&receiver, (uint8_t *)sealed.data, sealed.size, &out), 0);
	CU_ASSERT(out.size == 6 && memcmp(out.data, "rotate", 6) == 0);
	msgpack_sbuffer_destroy(&sealed);
	msgpack_sbuffer_destroy(&out);
}

/* A version-0 packet as memberlist's encryptPayload(0, ...) builds it:
 * PKCS7-pad the message to 16 bytes, then GCM-seal the padded text. */
static size_t build_v0(const uint8_t key[MF_KEY_LEN], const uint8_t *msg, size_t len,
		       uint8_t pad_override, uint8_t *pkt)
{
	uint8_t padded[128];
	size_t pad = 16 - len % 16;
	unsigned long long clen = 0;

	memcpy(padded, msg, len);
	memset(padded + len, pad_override ? pad_override : (int)pad, pad);
	pkt[0] = 0;
	randombytes_buf(pkt + 1, 12);
	crypto_aead_aes256gcm_encrypt(pkt + 13, &clen, padded, len + pad, NULL, 0, NULL, pkt + 1, key);
	return 13 + (size_t)clen;
}

static void test_version0_padded_packets_decrypt(void)
{
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN], pkt[200];
	msgpack_sbuffer out;
	size_t n;

	key_of(k, 7);
	mf_keyring_init(&kr);
	mf_keyring_add(&kr, k, MF_KEY_LEN);
	msgpack_sbuffer_init(&out);
	n = build_v0(k, (const uint8_t *)"old peer", 8, 0, pkt);
	CU_ASSERT_EQUAL(n, 1 + 12 + 16 + 16);
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, pkt, n, &out), 0);
	CU_ASSERT(out.size == 8 && memcmp(out.data, "old peer", 8) == 0);
	n = build_v0(k, (const uint8_t *)"sixteen bytes!!!", 16, 0, pkt); /* a whole pad block */
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, pkt, n, &out), 0);
	CU_ASSERT(out.size == 16 && memcmp(out.data, "sixteen bytes!!!", 16) == 0);
	n = build_v0(k, (const uint8_t *)"bad pad", 7, 17, pkt);
	CU_ASSERT_EQUAL(mf_crypto_open_packet(&kr, pkt, n, &out), MF_EDECRYPT);
	msgpack_sbuffer_destroy(&out);
}

static void test_empty_keyring_is_invalid(void)
{
	struct mf_keyring kr;
	msgpack_sbuffer out;

	mf_keyring_init(&kr);
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_crypto_seal_packet(&kr, (const uint8_t *)"x", 1, &out), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_crypto_seal_stream(&kr, (const uint8_t *)"x", 1, &out), MF_EINVAL);
	CU_ASSERT_EQUAL(out.size, 0);
	msgpack_sbuffer_destroy(&out);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"keyring: first key is primary, duplicates are no-ops",
		 test_keyring_first_key_is_primary_and_duplicates_are_noops},
		{"keyring: use makes primary, remove spares primary",
		 test_keyring_use_makes_primary_and_remove_spares_primary},
		{"keyring: refuses wrong sizes and overflow", test_keyring_refuses_wrong_sizes_and_overflow},
		{"keyring: base64 round trip and errors", test_keyring_base64_round_trip_and_errors},
		{"opens captured encrypted ping", test_opens_captured_encrypted_ping},
		{"opens captured encrypted stream", test_opens_captured_encrypted_stream},
		{"seal/open round trip and layout", test_seal_open_round_trip_and_layout},
		{"wrong key and tampering fail with EDECRYPT", test_wrong_key_and_tampering_fail_with_edecrypt},
		{"second key in ring decrypts", test_second_key_in_ring_decrypts},
		{"version-0 padded packets decrypt", test_version0_padded_packets_decrypt},
		{"empty keyring is invalid", test_empty_keyring_is_invalid},
	};
	int rc = mf_crypto_init();

	if (rc) {
		fprintf(stderr, "mf_crypto_init: %s\n", mf_strerror(rc));
		return 1;
	}
	return RUN_SUITE("gossip keyring and crypto", tests);
}

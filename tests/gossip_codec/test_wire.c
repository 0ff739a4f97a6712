/* gossip/wire.c: the layers between socket bytes and messages. */
#include "helpers.h"

#include "gossip/codec.h"
#include "gossip/crypto.h"
#include "gossip/keyring.h"
#include "gossip/wire.h"

static struct mf_wire_scratch s;
static struct mf_wire_msg msgs[MF_WIRE_MAX_MSGS];

static void capture_ring(struct mf_keyring *kr)
{
	struct fixture f = fx_load("key.b64");
	char b64[64] = {0};
	uint8_t k[MF_KEY_LEN];

	memcpy(b64, f.p, f.len < 63 ? f.len : 63);
	b64[strcspn(b64, "\r\n")] = '\0';
	mf_keyring_init(kr);
	CU_ASSERT_EQUAL_FATAL(mf_keyring_decode_b64(b64, k), 0);
	mf_keyring_add(kr, k, MF_KEY_LEN);
	fx_free(&f);
}

static void test_opens_captured_crc_compress_compound(void)
{
	struct fixture f = fx_load("crc_compress_compound.bin");
	size_t n = 0;
	struct mf_msg_alive a;

	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, f.p, f.len, &s, msgs, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(msgs[0].type, MF_MSG_ALIVE);
	CU_ASSERT_EQUAL(msgs[1].type, MF_MSG_ALIVE);
	CU_ASSERT_EQUAL(msgs[2].type, MF_MSG_USER);
	CU_ASSERT_EQUAL(mf_codec_decode_alive(msgs[1].body.p, msgs[1].body.len, &a), 0);
	CU_ASSERT(bytes_eq(a.node, "u3"));
	CU_ASSERT_EQUAL(msgs[2].body.len, 17);
	CU_ASSERT_EQUAL(msgs[2].body.p[0], 1); /* serf join */
	fx_free(&f);
}

static void test_opens_other_captured_packets(void)
{
	static const struct {
		const char *name;
		size_t n;
		uint8_t first;
	} cases[] = {
		{"ping.bin", 1, MF_MSG_PING},
		{"ack_coord.bin", 1, MF_MSG_ACK},
		{"compress_ack.bin", 1, MF_MSG_ACK},
		{"crc_alive.bin", 1, MF_MSG_ALIVE},
		{"crc_compound.bin", 2, MF_MSG_ALIVE},
		{"crc_user_join.bin", 1, MF_MSG_USER},
		{"crc_compress_compound4.bin", 4, MF_MSG_ALIVE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f = fx_load(cases[i].name);
		size_t n = 0;
		CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, f.p, f.len, &s, msgs, &n), 0);
		CU_ASSERT_EQUAL(n, cases[i].n);
		CU_ASSERT(n > 0 && msgs[0].type == cases[i].first);
		fx_free(&f);
	}
}

static void test_opens_captured_encrypted_packet(void)
{
	struct fixture f = fx_load("enc_ack.bin");
	struct mf_keyring kr;
	struct mf_msg_ack a;
	size_t n = 0;

	capture_ring(&kr);
	CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, f.p, f.len, &s, msgs, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(msgs[0].type, MF_MSG_ACK);
	CU_ASSERT_EQUAL(mf_codec_decode_ack(msgs[0].body.p, msgs[0].body.len, &a), 0);
	CU_ASSERT_EQUAL(a.seq_no, 44);
	/* without the key it is no message at all: version byte 1 reads as
	 * an indirect ping whose body is noise */
	int rc = mf_wire_open_packet(NULL, f.p, f.len, &s, msgs, &n);
	struct mf_msg_indirect_ping ip;
	CU_ASSERT(rc < 0 || (n == 1 && msgs[0].type == MF_MSG_INDIRECT_PING &&
			     mf_codec_decode_indirect_ping(msgs[0].body.p, msgs[0].body.len, &ip) < 0));
	fx_free(&f);
}

static void test_plaintext_refused_when_keyed(void)
{
	static const char *names[] = {"ping.bin", "ack_coord.bin", "crc_alive.bin",
				      "compress_ack.bin", "crc_compress_compound.bin"};
	struct mf_keyring kr;

	capture_ring(&kr);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fixture f = fx_load(names[i]);
		size_t n = 9;
		CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, f.p, f.len, &s, msgs, &n), MF_EPLAIN);
		CU_ASSERT_EQUAL(n, 0);
		fx_free(&f);
	}
}

/* encrypt_verify_incoming=false: memberlist reads what no key opens as
 * plaintext, and plaintext streams; sealed packets still open. */
static void test_accept_plain_reads_plaintext_and_sealed(void)
{
	struct mf_keyring kr;
	struct fixture f = fx_load("ping.bin");
	struct fixture e = fx_load("enc_ping.bin");
	size_t n = 9;
	capture_ring(&kr);
	kr.accept_plain = true;
	CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, f.p, f.len, &s, msgs, &n), 0);
	CU_ASSERT(n == 1 && msgs[0].type == MF_MSG_PING);
	CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, e.p, e.len, &s, msgs, &n), 0);
	CU_ASSERT(n == 1 && msgs[0].type == MF_MSG_PING);
	msgpack_sbuffer msg;
	struct mf_wire_msg m;
	msgpack_sbuffer_init(&msg);
	mf_codec_encode_user_stream(&msg, (const uint8_t *)"\x02state", 6);
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)msg.data, msg.size, &s, &m), 0);
	CU_ASSERT_EQUAL(m.type, MF_MSG_USER);
	msgpack_sbuffer_destroy(&msg);
	fx_free(&f);
	fx_free(&e);
}

/* encrypt_verify_outgoing=false: keys installed, plaintext sent. */
static void test_send_plain_seals_nothing(void)
{
	struct mf_keyring kr;
	struct fixture f = fx_load("ping.bin");
	struct mf_bytes one = {f.p, f.len};
	msgpack_sbuffer out, msg, frame;
	capture_ring(&kr);
	kr.send_plain = true;
	msgpack_sbuffer_init(&out);
	CU_ASSERT_EQUAL(mf_wire_seal_packet(&kr, &one, 1, NULL, &out), 0);
	CU_ASSERT(out.size == f.len && memcmp(out.data, f.p, f.len) == 0);
	msgpack_sbuffer_init(&msg);
	msgpack_sbuffer_init(&frame);
	mf_codec_encode_user_stream(&msg, (const uint8_t *)"\x02state", 6);
	CU_ASSERT_EQUAL(mf_wire_seal_stream(&kr, (uint8_t *)msg.data, msg.size, NULL, &frame), 0);
	CU_ASSERT_NOT_EQUAL(frame.data[0], MF_MSG_ENCRYPT);
	/* a strict peer refuses it, a lenient one reads it */
	struct mf_wire_msg m;
	kr.send_plain = false;
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)frame.data, frame.size, &s, &m), MF_EPLAIN);
	msgpack_sbuffer_destroy(&out);
	msgpack_sbuffer_destroy(&msg);
	msgpack_sbuffer_destroy(&frame);
	fx_free(&f);
}

static void test_wrong_key_is_edecrypt(void)
{
	struct fixture f = fx_load("enc_ping.bin");
	struct mf_keyring kr;
	uint8_t k[MF_KEY_LEN] = {1};
	size_t n;

	mf_keyring_init(&kr);
	mf_keyring_add(&kr, k, MF_KEY_LEN);
	CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, f.p, f.len, &s, msgs, &n), MF_EDECRYPT);
	fx_free(&f);
}

/* compound in compress in CRC in encrypt, and back. */
static void test_seal_open_all_layers_round_trip(void)
{
	struct mf_keyring kr;
	struct mf_msg_ping p = {.seq_no = 3, .node = B("far-away-node")};
	struct mf_msg_ack a = {.seq_no = 3, .payload = B("payload payload payload payload")};
	msgpack_sbuffer m1, m2, pkt;
	struct mf_wire_send_opts o = {.crc = true, .compress = true};
	struct mf_bytes in[3];
	struct mf_msg_ping pd;
	size_t n = 0;

	capture_ring(&kr);
	msgpack_sbuffer_init(&m1);
	msgpack_sbuffer_init(&m2);
	msgpack_sbuffer_init(&pkt);
	mf_codec_encode_ping(&m1, &p);
	mf_codec_encode_ack(&m2, &a);
	in[0] = (struct mf_bytes){(uint8_t *)m1.data, m1.size};
	in[1] = (struct mf_bytes){(uint8_t *)m2.data, m2.size};
	in[2] = (struct mf_bytes){(uint8_t *)m2.data, m2.size};
	CU_ASSERT_EQUAL(mf_wire_seal_packet(&kr, in, 3, &o, &pkt), 0);
	CU_ASSERT_EQUAL(pkt.data[0], 1); /* encryption version */

	/* peel by hand: encrypt -> has-CRC -> compress -> compound */
	{
		msgpack_sbuffer plain, inflated;
		struct mf_bytes inner;
		msgpack_sbuffer_init(&plain);
		msgpack_sbuffer_init(&inflated);
		CU_ASSERT_EQUAL_FATAL(mf_crypto_open_packet(&kr, (uint8_t *)pkt.data, pkt.size, &plain), 0);
		CU_ASSERT_EQUAL_FATAL(plain.data[0], MF_MSG_HAS_CRC);
		CU_ASSERT_EQUAL_FATAL(mf_codec_check_crc((uint8_t *)plain.data + 1, plain.size - 1, &inner), 0);
		CU_ASSERT_EQUAL_FATAL(inner.p[0], MF_MSG_COMPRESS);
		CU_ASSERT_EQUAL_FATAL(mf_codec_decode_compress(inner.p + 1, inner.len - 1, &inflated, 1 << 16), 0);
		CU_ASSERT_EQUAL(inflated.data[0], MF_MSG_COMPOUND);
		msgpack_sbuffer_destroy(&plain);
		msgpack_sbuffer_destroy(&inflated);
	}

	CU_ASSERT_EQUAL(mf_wire_open_packet(&kr, (uint8_t *)pkt.data, pkt.size, &s, msgs, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(msgs[0].type, MF_MSG_PING);
	CU_ASSERT_EQUAL(msgs[2].type, MF_MSG_ACK);
	CU_ASSERT_EQUAL(mf_codec_decode_ping(msgs[0].body.p, msgs[0].body.len, &pd), 0);
	CU_ASSERT(bytes_eq(pd.node, "far-away-node"));
	msgpack_sbuffer_destroy(&m1);
	msgpack_sbuffer_destroy(&m2);
	msgpack_sbuffer_destroy(&pkt);
}

static void test_seal_compresses_only_when_smaller(void)
{
	msgpack_sbuffer pkt;
	struct mf_wire_send_opts o = {.compress = true};
	struct mf_bytes tiny = B("\x08x");

	msgpack_sbuffer_init(&pkt);
	CU_ASSERT_EQUAL(mf_wire_seal_packet(NULL, &tiny, 1, &o, &pkt), 0);
	CU_ASSERT(pkt.size == 2 && memcmp(pkt.data, "\x08x", 2) == 0);
	msgpack_sbuffer_destroy(&pkt);
}

static void test_seal_without_options_is_plain_compound(void)
{
	msgpack_sbuffer pkt;
	struct mf_bytes two[2] = {B("\x08" "a"), B("\x08" "b")};
	size_t n;

	msgpack_sbuffer_init(&pkt);
	CU_ASSERT_EQUAL(mf_wire_seal_packet(NULL, two, 2, NULL, &pkt), 0);
	CU_ASSERT_EQUAL(pkt.data[0], MF_MSG_COMPOUND);
	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, (uint8_t *)pkt.data, pkt.size, &s, msgs, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(mf_wire_seal_packet(NULL, two, 0, NULL, &pkt), MF_EINVAL);
	msgpack_sbuffer_destroy(&pkt);
}

/* issue 11: LZW "compressed" user messages of ~2 KB expanding to 1 MB cost
 * 3.8 ms each. Now a packet inflates to at most 16x its size (64 KB at
 * most), the decoder stops there, and the drop is MF_ETOOBIG. */
static uint8_t *bomb(size_t plain_len, msgpack_sbuffer *pkt)
{
	uint8_t *plain = malloc(plain_len);
	msgpack_sbuffer_init(pkt);
	plain[0] = MF_MSG_USER;
	memset(plain + 1, 'A', plain_len - 1);
	CU_ASSERT_EQUAL(mf_codec_encode_compress(pkt, plain, plain_len), 0);
	return plain;
}

static void test_packet_inflates_to_at_most_16_times_its_size(void)
{
	msgpack_sbuffer pkt;
	size_t n = 9;
	free(bomb(1 << 20, &pkt));
	CU_ASSERT(pkt.size < 4000);
	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, (uint8_t *)pkt.data, pkt.size, &s, msgs, &n),
			MF_ETOOBIG);
	CU_ASSERT_EQUAL(n, 0);
	/* stopped at the bound, not after inflating 1 MB */
	CU_ASSERT(s.inflate.size <= pkt.size * MF_WIRE_INFLATE_FACTOR);
	msgpack_sbuffer_destroy(&pkt);

	/* at the edge: exactly 16x opens, one byte more does not */
	for (size_t plain_len = 200; plain_len < 3000; plain_len += 7) {
		uint8_t *plain = bomb(plain_len, &pkt);
		int rc = mf_wire_open_packet(NULL, (uint8_t *)pkt.data, pkt.size, &s, msgs, &n);
		if (plain_len <= pkt.size * MF_WIRE_INFLATE_FACTOR) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT(n == 1 && msgs[0].body.len == plain_len - 1);
		} else {
			CU_ASSERT_EQUAL(rc, MF_ETOOBIG);
		}
		free(plain);
		msgpack_sbuffer_destroy(&pkt);
	}
}

static void test_bad_parts_do_not_spoil_good_ones(void)
{
	/* compound of: a user message, a push-pull (not allowed in a packet),
	 * an empty part, another user message */
	static const uint8_t pkt[] = {7, 4, 0, 2, 0, 1, 0, 0, 0, 2, 8, 'a', 6, 8, 'b'};
	size_t n = 0;

	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, pkt, sizeof(pkt), &s, msgs, &n), MF_EUNKNOWN);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(msgs[0].body.len == 1 && msgs[0].body.p[0] == 'a');
	CU_ASSERT(msgs[1].body.len == 1 && msgs[1].body.p[0] == 'b');
}

static void test_crc_mismatch_and_nesting_limits(void)
{
	struct fixture f = fx_load("crc_alive.bin");
	uint8_t nest[64];
	size_t n, len = 0;

	f.p[3] ^= 0xff;
	CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, f.p, f.len, &s, msgs, &n), MF_ECRC);
	/* compound in compound in ...: depth 9 is refused, depth 3 is fine */
	for (int levels = 9; levels >= 3; levels -= 6) {
		size_t total = (size_t)levels * 4 + 2;
		len = 0;
		for (int d = 0; d < levels; d++) {
			size_t l = total - 4 * (size_t)(d + 1);
			nest[len++] = MF_MSG_COMPOUND;
			nest[len++] = 1;
			nest[len++] = (uint8_t)(l >> 8);
			nest[len++] = (uint8_t)l;
		}
		nest[len++] = MF_MSG_COMPOUND; /* innermost: no parts */
		nest[len++] = 0;
		CU_ASSERT_EQUAL(mf_wire_open_packet(NULL, nest, len, &s, msgs, &n),
				levels > MF_WIRE_MAX_DEPTH ? MF_EMALFORMED : 0);
	}
	fx_free(&f);
}

static void test_streams_seal_open_round_trip(void)
{
	struct mf_keyring kr;
	msgpack_sbuffer msg, frame;
	struct mf_wire_send_opts o = {.compress = true};
	struct mf_wire_msg m;
	struct mf_bytes user;
	size_t fl = 0;

	capture_ring(&kr);
	msgpack_sbuffer_init(&msg);
	msgpack_sbuffer_init(&frame);
	mf_codec_encode_user_stream(&msg, (const uint8_t *)"\x02state", 6);
	CU_ASSERT_EQUAL(mf_wire_seal_stream(&kr, (uint8_t *)msg.data, msg.size, &o, &frame), 0);
	CU_ASSERT_EQUAL(frame.data[0], MF_MSG_ENCRYPT);
	CU_ASSERT_EQUAL(mf_wire_stream_complete((uint8_t *)frame.data, frame.size, &fl), 1);
	CU_ASSERT_EQUAL(fl, frame.size);
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)frame.data, frame.size, &s, &m), 0);
	CU_ASSERT_EQUAL(m.type, MF_MSG_USER);
	CU_ASSERT_EQUAL(mf_codec_decode_user_stream(m.body.p, m.body.len, &user), 0);
	CU_ASSERT(user.len == 6 && memcmp(user.p, "\x02state", 6) == 0);
	/* plain stream on a keyed node; encrypted stream on an unkeyed one */
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)msg.data, msg.size, &s, &m), MF_EPLAIN);
	CU_ASSERT_EQUAL(mf_wire_open_stream(NULL, (uint8_t *)frame.data, frame.size, &s, &m), MF_EDECRYPT);

	msgpack_sbuffer_clear(&frame);
	CU_ASSERT_EQUAL(mf_wire_seal_stream(NULL, (uint8_t *)msg.data, msg.size, NULL, &frame), 0);
	CU_ASSERT(frame.size == msg.size && memcmp(frame.data, msg.data, msg.size) == 0);
	msgpack_sbuffer_destroy(&msg);
	msgpack_sbuffer_destroy(&frame);
}

static void test_opens_captured_streams(void)
{
	struct fixture e = fx_load("enc_stream_req.bin"), p = fx_load("pushpull_join_req.bin");
	struct mf_keyring kr;
	struct mf_wire_msg m;
	struct mf_push_pull pp;
	size_t fl;

	capture_ring(&kr);
	CU_ASSERT_EQUAL(mf_wire_stream_complete(e.p, e.len, &fl), 1);
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, e.p, e.len, &s, &m), 0);
	CU_ASSERT_EQUAL(m.type, MF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL(mf_codec_decode_push_pull(m.body.p, m.body.len, &pp), 0);
	CU_ASSERT(pp.header.join);
	mf_codec_push_pull_free(&pp);
	CU_ASSERT_EQUAL(mf_wire_open_stream(NULL, p.p, p.len, &s, &m), 0);
	CU_ASSERT_EQUAL(m.type, MF_MSG_PUSH_PULL);
	fx_free(&e);
	fx_free(&p);
}

/* 10,000 random, truncated and bit-flipped packets against a keyed node:
 * nothing authenticates, nothing crashes, every one is a negative code. */
static void test_fuzzed_packets_all_fail_cleanly_when_keyed(void)
{
	static const char *names[] = {"enc_ping.bin", "enc_ack.bin", "ping.bin",
				      "crc_compress_compound.bin"};
	struct fixture f[4];
	struct mf_keyring kr;
	uint64_t r = 1234567;
	int nonneg = 0;

	capture_ring(&kr);
	for (int i = 0; i < 4; i++)
		f[i] = fx_load(names[i]);
	for (int i = 0; i < 10000; i++) {
		struct fixture *src = &f[rnd(&r) % 4];
		size_t len;
		uint8_t *pkt;
		switch (i % 3) {
		case 0: /* random bytes */
			len = rnd(&r) % 300;
			pkt = malloc(len ? len : 1);
			for (size_t j = 0; j < len; j++)
				pkt[j] = (uint8_t)rnd(&r);
			break;
		case 1: /* truncation */
			len = rnd(&r) % src->len;
			pkt = malloc(len ? len : 1);
			memcpy(pkt, src->p, len);
			break;
		default: /* bit flips */
			len = src->len;
			pkt = malloc(len);
			memcpy(pkt, src->p, len);
			for (int k = 0; k < 1 + (int)(rnd(&r) % 4); k++)
				pkt[rnd(&r) % len] ^= (uint8_t)(1u << (rnd(&r) % 8));
			if (memcmp(pkt, src->p, len) == 0) /* two flips cancelled out */
				pkt[len / 2] ^= 0x10;
		}
		size_t n = 0;
		int rc = mf_wire_open_packet(&kr, pkt, len, &s, msgs, &n);
		if (rc >= 0)
			nonneg++;
		free(pkt);
	}
	CU_ASSERT_EQUAL(nonneg, 0);
	for (int i = 0; i < 4; i++)
		fx_free(&f[i]);
}

/* Without a key: mutated plaintext packets through wire and every decoder;
 * anything goes except a crash or an out-of-bounds read (run under ASan). */
static void test_fuzzed_plain_packets_never_crash(void)
{
	static const char *names[] = {"ping.bin", "ack_coord.bin", "crc_compress_compound.bin",
				      "crc_compound.bin", "compress_ack.bin", "crc_compress_compound4.bin"};
	struct fixture f[6];
	uint64_t r = 99;

	for (int i = 0; i < 6; i++)
		f[i] = fx_load(names[i]);
	for (int i = 0; i < 10000; i++) {
		struct fixture *src = &f[rnd(&r) % 6];
		size_t len = i % 2 ? rnd(&r) % src->len + 1 : src->len;
		uint8_t *pkt = malloc(len);
		size_t n = 0;

		memcpy(pkt, src->p, len);
		if (i % 2 == 0)
			for (int k = 0; k < 1 + (int)(rnd(&r) % 3); k++)
				pkt[rnd(&r) % len] = (uint8_t)rnd(&r);
		(void)mf_wire_open_packet(NULL, pkt, len, &s, msgs, &n);
		for (size_t j = 0; j < n; j++) {
			union {
				struct mf_msg_ping p;
				struct mf_msg_indirect_ping ip;
				struct mf_msg_ack a;
				struct mf_msg_suspect su;
				struct mf_msg_alive al;
				struct mf_msg_dead d;
				struct mf_msg_nack na;
			} u;
			const uint8_t *b = msgs[j].body.p;
			size_t bl = msgs[j].body.len;
			switch (msgs[j].type) {
			case MF_MSG_PING: (void)mf_codec_decode_ping(b, bl, &u.p); break;
			case MF_MSG_INDIRECT_PING: (void)mf_codec_decode_indirect_ping(b, bl, &u.ip); break;
			case MF_MSG_ACK: (void)mf_codec_decode_ack(b, bl, &u.a); break;
			case MF_MSG_SUSPECT: (void)mf_codec_decode_suspect(b, bl, &u.su); break;
			case MF_MSG_ALIVE: (void)mf_codec_decode_alive(b, bl, &u.al); break;
			case MF_MSG_DEAD: (void)mf_codec_decode_dead(b, bl, &u.d); break;
			case MF_MSG_NACK: (void)mf_codec_decode_nack(b, bl, &u.na); break;
			default: break;
			}
			CU_ASSERT(b + bl <= pkt + len || b >= (uint8_t *)s.inflate.data);
		}
		free(pkt);
	}
	for (int i = 0; i < 6; i++)
		fx_free(&f[i]);
}

/* A push-pull-sized stream leaves its decrypted copy in the scratch; the
 * trim frees what is over the keep size and leaves smaller buffers, and a
 * trimmed scratch opens the next stream as before (issue 12: an agent of
 * 1,000 members kept these between push-pulls). */
static void test_scratch_trim_frees_only_large_buffers(void)
{
	enum { BIG = 40000 };
	struct mf_keyring kr;
	msgpack_sbuffer msg, frame;
	struct mf_wire_msg m;
	struct mf_bytes user;
	uint8_t *state = calloc(1, BIG);

	CU_ASSERT_FATAL(state != NULL);
	capture_ring(&kr);
	msgpack_sbuffer_init(&msg);
	msgpack_sbuffer_init(&frame);
	state[0] = 2;
	mf_codec_encode_user_stream(&msg, state, BIG);
	CU_ASSERT_EQUAL(mf_wire_seal_stream(&kr, (uint8_t *)msg.data, msg.size, NULL, &frame), 0);
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)frame.data, frame.size, &s, &m), 0);
	CU_ASSERT(s.plain.alloc >= BIG);
	mf_wire_scratch_trim(&s, BIG * 2); /* under the keep size: kept */
	CU_ASSERT(s.plain.alloc >= BIG);
	mf_wire_scratch_trim(&s, 16384);
	CU_ASSERT_EQUAL(s.plain.alloc, 0);
	CU_ASSERT(s.inflate.alloc <= 16384 && s.inflate2.alloc <= 16384);
	CU_ASSERT_EQUAL(mf_wire_open_stream(&kr, (uint8_t *)frame.data, frame.size, &s, &m), 0);
	CU_ASSERT_EQUAL(mf_codec_decode_user_stream(m.body.p, m.body.len, &user), 0);
	CU_ASSERT(user.len == BIG && memcmp(user.p, state, BIG) == 0);
	msgpack_sbuffer_destroy(&msg);
	msgpack_sbuffer_destroy(&frame);
	free(state);
}

int main(void)
{
	static const struct test_case tests[] = {
		{"opens captured crc(compress(compound))", test_opens_captured_crc_compress_compound},
		{"opens other captured packets", test_opens_other_captured_packets},
		{"opens captured encrypted packet", test_opens_captured_encrypted_packet},
		{"plaintext refused when keyed", test_plaintext_refused_when_keyed},
		{"accept_plain reads plaintext and sealed", test_accept_plain_reads_plaintext_and_sealed},
		{"send_plain seals nothing", test_send_plain_seals_nothing},
		{"wrong key is EDECRYPT", test_wrong_key_is_edecrypt},
		{"seal/open all layers round trip", test_seal_open_all_layers_round_trip},
		{"seal compresses only when smaller", test_seal_compresses_only_when_smaller},
		{"seal without options is plain compound", test_seal_without_options_is_plain_compound},
		{"bad parts do not spoil good ones", test_bad_parts_do_not_spoil_good_ones},
		{"crc mismatch and nesting limits", test_crc_mismatch_and_nesting_limits},
		{"streams seal/open round trip", test_streams_seal_open_round_trip},
		{"opens captured streams", test_opens_captured_streams},
		{"scratch trim frees only large buffers", test_scratch_trim_frees_only_large_buffers},
		{"10,000 fuzzed packets all fail cleanly when keyed",
		 test_fuzzed_packets_all_fail_cleanly_when_keyed},
		{"fuzzed plain packets never crash", test_fuzzed_plain_packets_never_crash},
		{"packet inflates to at most 16 times its size",
		 test_packet_inflates_to_at_most_16_times_its_size},
	};
	int rc = mf_crypto_init();

	if (rc) {
		fprintf(stderr, "mf_crypto_init: %s\n", mf_strerror(rc));
		return 1;
	}
	mf_wire_scratch_init(&s);
	rc = RUN_SUITE("gossip wire", tests);
	mf_wire_scratch_destroy(&s);
	return rc;
}

/*
 * gossip/codec_containers.c — the messages that wrap other messages:
 * compound (several in one packet), has-CRC and compress (LZW).
 */
#include <zlib.h>

#include "gossip/codec_internal.h"
#include "gossip/lzw.h"

/* ---- containers ---------------------------------------------------------- */

/* util.go makeCompoundMessage:
 *   [7][count u8][len u16 BE]*count[msg]*count */
int mf_codec_encode_compound(msgpack_sbuffer *out, const struct mf_bytes *msgs, size_t n)
{
	uint8_t hdr[2];
	int e;

	if (n > UINT8_MAX)
		return MF_ETOOBIG;
	for (size_t i = 0; i < n; i++)
		if (msgs[i].len > UINT16_MAX)
			return MF_ETOOBIG;
	hdr[0] = MF_MSG_COMPOUND;
	hdr[1] = (uint8_t)n;
	e = msgpack_sbuffer_write(out, (const char *)hdr, 2);
	for (size_t i = 0; i < n; i++) {
		hdr[0] = (uint8_t)(msgs[i].len >> 8);
		hdr[1] = (uint8_t)msgs[i].len;
		e |= msgpack_sbuffer_write(out, (const char *)hdr, 2);
	}
	for (size_t i = 0; i < n; i++)
		if (msgs[i].len)
			e |= msgpack_sbuffer_write(out, (const char *)msgs[i].p, msgs[i].len);
	return mf_codec__done(e);
}

int mf_codec_split_compound(const uint8_t *body, size_t len, struct mf_bytes *parts,
			    size_t max, size_t *n)
{
	size_t count, off;

	*n = 0;
	if (len < 1)
		return MF_ETRUNC;
	count = body[0];
	if (count > max)
		return MF_ETOOBIG;
	if (len - 1 < 2 * count)
		return MF_ETRUNC;
	off = 1 + 2 * count;
	for (size_t i = 0; i < count; i++) {
		size_t l = (size_t)body[1 + 2 * i] << 8 | body[2 + 2 * i];
		if (l > len - off)
			return MF_ETRUNC;
		parts[i].p = body + off;
		parts[i].len = l;
		off += l;
		(*n)++;
	}
	return 0;
}

/* net.go rawSendMsgPacket: [12][crc32 IEEE BE of msg][msg] */
int mf_codec_encode_crc(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	uLong crc = crc32_z(0L, msg, len);
	uint8_t hdr[5] = {MF_MSG_HAS_CRC, (uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
			  (uint8_t)(crc >> 8), (uint8_t)crc};
	int e = msgpack_sbuffer_write(out, (const char *)hdr, 5);

	if (len)
		e |= msgpack_sbuffer_write(out, (const char *)msg, len);
	return mf_codec__done(e);
}

int mf_codec_check_crc(const uint8_t *body, size_t len, struct mf_bytes *inner)
{
	uint32_t want;

	inner->p = NULL;
	inner->len = 0;
	if (len < 4)
		return MF_ETRUNC;
	want = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 | (uint32_t)body[2] << 8 | body[3];
	if ((uint32_t)crc32_z(0L, body + 4, len - 4) != want)
		return MF_ECRC;
	inner->p = body + 4;
	inner->len = len - 4;
	return 0;
}

/* util.go compressPayload: [9] {Algo: 0 (lzwAlgo), Buf: <LZW of msg>} */
int mf_codec_encode_compress(msgpack_sbuffer *out, const uint8_t *msg, size_t len)
{
	msgpack_sbuffer z;
	msgpack_packer pk;
	int e;

	msgpack_sbuffer_init(&z);
	e = mf_lzw_encode(msg, len, &z);
	if (e) {
		msgpack_sbuffer_destroy(&z);
		return e;
	}
	e = mf_mp_put_type(out, MF_MSG_COMPRESS);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	e |= msgpack_pack_map(&pk, 2);
	e |= mf_mp_pack_key(&pk, "Algo");
	e |= msgpack_pack_uint8(&pk, 0);
	e |= mf_mp_pack_key(&pk, "Buf");
	e |= mf_mp_pack_raw(&pk, z.data, z.size);
	msgpack_sbuffer_destroy(&z);
	return mf_codec__done(e);
}

int mf_codec_decode_compress(const uint8_t *body, size_t len, msgpack_sbuffer *out,
			     size_t max_out)
{
	struct mf_mp mp;
	struct mf_bytes buf;
	uint64_t algo;
	int rc;

	msgpack_sbuffer_clear(out);
	TRY(mf_codec__open_map(body, len, &mp, NULL));
	TRY(mf_codec__get_uint(mp.root, "Algo", false, UINT8_MAX, &algo));
	if (algo != 0) {
		rc = MF_EDECOMPRESS; /* "Cannot decompress unknown algorithm" */
		goto out;
	}
	TRY(mf_codec__get_bytes(mp.root, "Buf", true, SIZE_MAX, &buf));
	TRY(mf_lzw_decode(buf.p, buf.len, out, max_out));
out:
	mf_mp_done(&mp);
	return rc;
}

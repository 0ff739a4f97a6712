/* gateway/proxy_v2.c — PROXY protocol v2 header codec (gateway/proxy_v2.h). */
#include <string.h>

#include "gateway/proxy_v2.h"

#define FAM_TCP4 0x11
#define FAM_TCP6 0x21

/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), bitwise: headers
 * are tens of bytes and rare, a table would cost more cache than it saves. */
static uint32_t crc32c_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return crc;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

int mf_pp2_encode(const struct mf_pp2_header *h, uint8_t *buf, size_t cap)
{
	size_t alen, len;
	uint8_t fam;

	if (h == NULL || buf == NULL)
		return MF_EINVAL;
	if (h->command == MF_PP2_LOCAL) {
		alen = 0;
		fam = 0;
	} else if (h->command == MF_PP2_PROXY && h->src.ip_len == 4 && h->dst.ip_len == 4) {
		alen = 12;
		fam = FAM_TCP4;
	} else if (h->command == MF_PP2_PROXY && h->src.ip_len == 16 && h->dst.ip_len == 16) {
		alen = 36;
		fam = FAM_TCP6;
	} else {
		return MF_EINVAL;
	}
	bool tlvs = h->command == MF_PP2_PROXY; /* LOCAL blocks are discarded */
	len = MF_PP2_FIXED_LEN + alen + (tlvs && h->has_hops ? 4 : 0) + (tlvs && h->crc ? 7 : 0);
	if (cap < len)
		return MF_ETOOBIG;
	memcpy(buf, MF_PP2_SIG, MF_PP2_SIG_LEN);
	buf[12] = (uint8_t)(0x20 | h->command);
	buf[13] = fam;
	put16(buf + 14, (uint16_t)(len - MF_PP2_FIXED_LEN));
	uint8_t *p = buf + MF_PP2_FIXED_LEN;
	if (alen > 0) {
		size_t ipl = h->src.ip_len;
		memcpy(p, h->src.ip, ipl);
		memcpy(p + ipl, h->dst.ip, ipl);
		put16(p + 2 * ipl, h->src.port);
		put16(p + 2 * ipl + 2, h->dst.port);
		p += alen;
	}
	if (tlvs && h->has_hops) {
		p[0] = MF_PP2_TLV_HOPS;
		put16(p + 1, 1);
		p[3] = h->hops;
		p += 4;
	}
	if (tlvs && h->crc) {
		p[0] = MF_PP2_TLV_CRC32C;
		put16(p + 1, 4);
		memset(p + 3, 0, 4);
		uint32_t c = ~crc32c_update(0xFFFFFFFFu, buf, len);
		p[3] = (uint8_t)(c >> 24);
		p[4] = (uint8_t)(c >> 16);
		p[5] = (uint8_t)(c >> 8);
		p[6] = (uint8_t)c;
	}
	return (int)len;
}

/* The TLVs of a PROXY header hdr[0..hdr_len) (whole, for the CRC), from
 * hdr[pos], just after the addresses, to its end. */
static int decode_tlvs(const uint8_t *hdr, size_t hdr_len, size_t pos, struct mf_pp2_header *h)
{
	while (pos < hdr_len) {
		if (hdr_len - pos < 3)
			return MF_EMALFORMED;
		uint8_t type = hdr[pos];
		size_t vlen = get16(hdr + pos + 1);
		const uint8_t *v = hdr + pos + 3;
		if (vlen > hdr_len - pos - 3)
			return MF_EMALFORMED;
		if (type == MF_PP2_TLV_HOPS) {
			if (h->has_hops || vlen != 1)
				return MF_EMALFORMED;
			h->has_hops = true;
			h->hops = v[0];
		} else if (type == MF_PP2_TLV_CRC32C) {
			if (h->crc || vlen != 4)
				return MF_EMALFORMED;
			static const uint8_t zero[4];
			size_t at = (size_t)(v - hdr);
			uint32_t c = crc32c_update(0xFFFFFFFFu, hdr, at);
			c = crc32c_update(c, zero, 4);
			c = ~crc32c_update(c, v + 4, hdr_len - at - 4);
			uint32_t want = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
					(uint32_t)v[2] << 8 | v[3];
			if (c != want)
				return MF_EMALFORMED;
			h->crc = true;
		}
		pos += 3 + vlen;
	}
	return 0;
}

int mf_pp2_decode(const uint8_t *p, size_t n, struct mf_pp2_header *h)
{
	struct mf_pp2_header out;

	if (p == NULL || h == NULL)
		return MF_EINVAL;
	size_t sig = n < MF_PP2_SIG_LEN ? n : MF_PP2_SIG_LEN;
	if (memcmp(p, MF_PP2_SIG, sig) != 0)
		return MF_EMALFORMED;
	if (n > 12 && (p[12] >> 4 != 2 || (p[12] & 0xF) > MF_PP2_PROXY))
		return MF_EMALFORMED;
	if (n < MF_PP2_FIXED_LEN)
		return 0;
	size_t total = MF_PP2_FIXED_LEN + get16(p + 14);
	if (total > MF_PP2_MAX_LEN)
		return MF_ETOOBIG;
	if (n < total)
		return 0;

	memset(&out, 0, sizeof(out));
	out.command = (enum mf_pp2_command)(p[12] & 0xF);
	uint8_t fam = p[13];
	if ((fam >> 4) > 3 || (fam & 0xF) > 2)
		return MF_EMALFORMED;
	if (out.command == MF_PP2_LOCAL) {
		/* The receiver must discard a LOCAL block, family included. */
		*h = out;
		return (int)total;
	}
	size_t ipl;
	if (fam == FAM_TCP4)
		ipl = 4;
	else if (fam == FAM_TCP6)
		ipl = 16;
	else
		return MF_EUNKNOWN;
	size_t alen = 2 * ipl + 4;
	if (total - MF_PP2_FIXED_LEN < alen)
		return MF_EMALFORMED;
	const uint8_t *a = p + MF_PP2_FIXED_LEN;
	out.src.ip_len = out.dst.ip_len = (uint8_t)ipl;
	memcpy(out.src.ip, a, ipl);
	memcpy(out.dst.ip, a + ipl, ipl);
	out.src.port = get16(a + 2 * ipl);
	out.dst.port = get16(a + 2 * ipl + 2);
	int rc = decode_tlvs(p, total, MF_PP2_FIXED_LEN + alen, &out);
	if (rc < 0)
		return rc;
	*h = out;
	return (int)total;
}

int mf_pp2_next_hops(unsigned in, uint8_t *out)
{
	if (out == NULL)
		return MF_EINVAL;
	if (in >= MF_GW_HOP_LIMIT)
		return MF_ETOOBIG;
	*out = (uint8_t)(in + 1);
	return 0;
}

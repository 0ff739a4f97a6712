/*
 * gateway/proxy_v2.h — the PROXY protocol v2 header (HAProxy's
 * doc/proxy-protocol.txt, section 2.2) that one gateway sends the next
 * before the client's TLS bytes, carrying the client's addresses and the
 * meshfed hop count.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------------------------------------------+
 *  | signature: 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A   (12 bytes)       |
 *  +---------------+---------------+-------------------------------+---+
 *  | ver 2 | cmd   | family | prot |  length of the rest (BE16)    |
 *  +---------------+---------------+-------------------------------+
 *  | TCP4: src ip (4) dst ip (4) src port (2) dst port (2)          |
 *  | TCP6: src ip (16) dst ip (16) src port (2) dst port (2)        |
 *  | LOCAL/UNSPEC: no address block                                 |
 *  +---------------------------------------------------------------+
 *  | TLVs: type (1) length (BE16) value ... up to `length`          |
 *  +---------------------------------------------------------------+
 *
 * The meshfed TLV: type MF_PP2_TLV_HOPS = 0xE0 (first of the custom range
 * PP2_TYPE_MIN_CUSTOM..PP2_TYPE_MAX_CUSTOM, 0xE0-0xEF), length 1, value the
 * number of gateway-to-gateway hops the connection has made including the
 * one this header starts (the first gateway sends 1).
 *
 * Contract
 *  - Pure: no I/O, no allocation, no globals.
 *  - Decoding is strict and incremental-safe: call it again with more bytes
 *    until it stops asking; it reads at most the declared length, which is
 *    bounded by MF_PP2_MAX_LEN, and never past n. Strict means: version 2,
 *    command LOCAL or PROXY, PROXY with TCP over IPv4 or IPv6 (others are
 *    MF_EUNKNOWN), the address block fits the length, TLVs exactly fill the
 *    rest, the hop TLV at most once with length 1, and a CRC32C TLV (0x03)
 *    when present matches.
 *  - Unknown TLVs are skipped (HAProxy may add ALPN, unique-id, ...).
 */
#ifndef MF_GATEWAY_PROXY_V2_H
#define MF_GATEWAY_PROXY_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"
#include "gossip/pool.h" /* struct mf_addr */

#define MF_PP2_SIG "\r\n\r\n\0\r\nQUIT\n"
#define MF_PP2_SIG_LEN 12
#define MF_PP2_FIXED_LEN 16     /* signature + ver_cmd + fam + len */
#define MF_PP2_MAX_LEN 1024     /* whole header; a peer cannot make us hold more */
#define MF_PP2_TLV_HOPS 0xE0    /* meshfed hop count, 1 byte */
#define MF_PP2_TLV_CRC32C 0x03
#define MF_GW_HOP_LIMIT 8       /* a connection past 8 gateway hops is refused */

enum mf_pp2_command { MF_PP2_LOCAL = 0, MF_PP2_PROXY = 1 };

struct mf_pp2_header {
	enum mf_pp2_command command;
	struct mf_addr src, dst; /* ip_len 4 or 16 (same for both); 0 for LOCAL */
	bool has_hops;
	uint8_t hops;
	bool crc;                /* encode: append a CRC32C TLV; decode: one
				  * was present (and matched) */
};

/* Encodes h (PROXY over TCP4/TCP6 by src.ip_len, or LOCAL) with the hop
 * TLV when has_hops (TLVs are left out of LOCAL headers, which receivers
 * discard). Returns the header length, MF_ETOOBIG when cap is too
 * small, MF_EINVAL for mixed or bad address families. */
int mf_pp2_encode(const struct mf_pp2_header *h, uint8_t *buf, size_t cap);

/* Decodes the header at the start of p[0..n). Returns its total length (>0,
 * the client's bytes follow it), 0 when more bytes are needed, or
 * MF_EMALFORMED (bad signature, version, lengths, TLVs, CRC), MF_EUNKNOWN
 * (valid, but not TCP over IPv4/IPv6), MF_ETOOBIG (declared length over
 * MF_PP2_MAX_LEN). *h is filled only on success. */
int mf_pp2_decode(const uint8_t *p, size_t n, struct mf_pp2_header *h);

/* The hop count to send onwards for a connection that arrived with `in`
 * hops (0 from a client): in + 1, or MF_ETOOBIG when that would exceed
 * MF_GW_HOP_LIMIT (refuse the connection, count hop_limit). */
int mf_pp2_next_hops(unsigned in, uint8_t *out);

#endif

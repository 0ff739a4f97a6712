/*
 * gateway/clienthello.h — an incremental TLS ClientHello reader: the SNI of
 * a connection without terminating its TLS.
 *
 * Contract
 *  - Pure: no I/O, no clock, no globals. The shell feeds the bytes of one
 *    connection as they arrive, in any split, and keeps them itself (it must
 *    replay them upstream); the reader copies only the handshake message.
 *  - Parses RFC 5246 / RFC 8446 records of type handshake(22) and reassembles
 *    the first handshake message across any number of records (a ClientHello
 *    may span several; HAProxy 2.6 reads only the first, we must not), then
 *    the ClientHello fields and the server_name extension of RFC 6066
 *    (name_type host_name; other name types skipped, as Go's crypto/tls does).
 *  - Never reads out of bounds; O(n) over the stream: every byte is looked at
 *    once while framing and once more when the complete message is parsed.
 *  - Bounded: more than `limit` stream bytes (record headers included) before
 *    the ClientHello is complete is an error, found as early as possible (as
 *    soon as the handshake header announces a message that cannot fit).
 *  - Once DONE or an error, the reader is finished: further feeds return the
 *    same result and consume nothing.
 */
#ifndef MF_GATEWAY_CLIENTHELLO_H
#define MF_GATEWAY_CLIENTHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"

#define MF_CH_DEFAULT_LIMIT 16384 /* stream bytes; the 16 KiB */
#define MF_CH_HOST_MAX 255        /* longest host_name kept (DNS: 253 + dot) */

/* mf_ch_feed() results besides the negative errors. */
#define MF_CH_NEED_MORE 0
#define MF_CH_DONE 1

/* Why a stream was refused; mf_ch_feed() returns the mf_err in brackets. */
enum mf_ch_error {
	MF_CH_OK = 0,
	MF_CH_NOT_TLS,       /* [MF_EUNKNOWN] first record is not a TLS handshake */
	MF_CH_PROXY_V2,      /* [MF_EUNKNOWN] a PROXY v2 header, not TLS (mf_ch_sniff) */
	MF_CH_SSLV2,         /* [MF_EUNKNOWN] an SSLv2-framed hello: no extensions, no SNI */
	MF_CH_BAD_RECORD,    /* [MF_EMALFORMED] bad record type, version or length */
	MF_CH_BAD_HANDSHAKE, /* [MF_EMALFORMED] not a ClientHello, or a bad one */
	MF_CH_BAD_SNI,       /* [MF_EMALFORMED] malformed server_name extension */
	MF_CH_TOO_LARGE,     /* [MF_ETOOBIG] over the limit */
	MF_CH_NOMEM,         /* [MF_ENOMEM] */
	MF_CH_ERROR_COUNT_
};

/* Static short name ("not TLS", "bad record", ...) for the log line. */
const char *mf_ch_error_name(enum mf_ch_error e);

/* What the first bytes of a connection are. */
enum mf_ch_kind {
	MF_CH_KIND_NEED_MORE = 0, /* too few bytes to tell */
	MF_CH_KIND_TLS,           /* 0x16 0x03: a TLS handshake record */
	MF_CH_KIND_PROXY_V2,      /* the 12-byte PROXY v2 signature (gateway/proxy_v2.h) */
	MF_CH_KIND_OTHER,         /* anything else: refuse */
};
/* Classifies the first n bytes of a connection; reads at most 12 bytes.
 * A PROXY v2 signature cannot be mistaken for TLS: it starts with 0x0D. */
enum mf_ch_kind mf_ch_sniff(const uint8_t *p, size_t n);

/* The reader's state. Fields below "result" are read by the caller once
 * mf_ch_feed() returned MF_CH_DONE; the others are private. */
struct mf_ch_reader {
	size_t limit;        /* stream byte limit */
	size_t seen;         /* stream bytes consumed so far */
	int state;           /* private: framing state */
	int result;          /* sticky result once finished, else NEED_MORE */
	uint8_t rec_hdr[5];  /* private: partial record header */
	size_t rec_hdr_len;
	size_t rec_left;     /* bytes of the current record's payload still to come */
	uint8_t hs_hdr[4];   /* private: partial handshake header */
	size_t hs_hdr_len;
	uint8_t *body;       /* private: the ClientHello body being collected */
	size_t body_len, body_have;

	/* result */
	enum mf_ch_error error;     /* MF_CH_OK unless refused */
	bool has_sni;               /* a server_name host_name was present */
	char sni[MF_CH_HOST_MAX + 1]; /* the host_name as sent, NUL-terminated */
	size_t sni_len;             /* bytes in sni (it may hold a NUL: check len) */
	uint16_t version;           /* highest version offered: legacy_version,
				     * or, when present, the top of
				     * supported_versions (0x0304 for TLS 1.3;
				     * GREASE ignored, 0 if it lists nothing else) */
};

/* Starts a reader; limit 0 means MF_CH_DEFAULT_LIMIT. */
void mf_ch_init(struct mf_ch_reader *r, size_t limit);
/* Feeds n more bytes of the stream. Returns MF_CH_NEED_MORE (all n consumed),
 * MF_CH_DONE (the ClientHello is complete; *consumed bytes of p belong to it,
 * the rest is what follows it on the stream), or a negative mf_err with
 * r->error saying why. consumed may be NULL. */
int mf_ch_feed(struct mf_ch_reader *r, const uint8_t *p, size_t n, size_t *consumed);
/* Frees what the reader holds; the result fields stay readable. */
void mf_ch_free(struct mf_ch_reader *r);

#endif

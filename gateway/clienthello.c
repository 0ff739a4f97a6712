/*
 * gateway/clienthello.c — incremental ClientHello reader (gateway/clienthello.h).
 *
 * Two layers, each fed once per byte:
 *   records    5-byte header (type 22, version 3.x, length 1..2^14), then the
 *              payload, whose bytes go to the handshake layer;
 *   handshake  4-byte header (type client_hello(1), 24-bit length), then the
 *              body, copied into a buffer of exactly that length.
 * When the body is complete it is parsed once (RFC 8446 4.1.2, RFC 6066 3):
 *
 *   uint16 legacy_version; opaque random[32];
 *   opaque legacy_session_id<0..32>;
 *   CipherSuite cipher_suites<2..2^16-2>;
 *   opaque legacy_compression_methods<1..2^8-1>;
 *   Extension extensions<0..2^16-1>;   (absent altogether in old TLS 1.2 hellos)
 *   server_name(0): ServerName server_name_list<1..2^16-1>,
 *                   each { uint8 name_type; opaque name<1..2^16-1> }
 *   supported_versions(43): ProtocolVersion versions<2..254>
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/clienthello.h"
#include "gateway/proxy_v2.h"

#define REC_HANDSHAKE 22
#define REC_MAX 16384           /* 2^14: RFC 8446 5.1 record_overflow above */
#define HS_CLIENT_HELLO 1
#define HELLO_MIN 41            /* version, random, 3 empty-ish vectors */
#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_VERSIONS 43
#define NAME_TYPE_HOST 0

const char *mf_ch_error_name(enum mf_ch_error e)
{
	switch (e) {
	case MF_CH_OK: return "ok";
	case MF_CH_NOT_TLS: return "not TLS";
	case MF_CH_PROXY_V2: return "PROXY v2 header where TLS was expected";
	case MF_CH_SSLV2: return "SSLv2 hello";
	case MF_CH_BAD_RECORD: return "bad TLS record";
	case MF_CH_BAD_HANDSHAKE: return "bad ClientHello";
	case MF_CH_BAD_SNI: return "bad server_name extension";
	case MF_CH_TOO_LARGE: return "ClientHello too large";
	case MF_CH_NOMEM: return "out of memory";
	case MF_CH_ERROR_COUNT_: break;
	}
	return "?";
}

enum mf_ch_kind mf_ch_sniff(const uint8_t *p, size_t n)
{
	if (n == 0)
		return MF_CH_KIND_NEED_MORE;
	if (p[0] == REC_HANDSHAKE) {
		if (n < 2)
			return MF_CH_KIND_NEED_MORE;
		return p[1] == 3 ? MF_CH_KIND_TLS : MF_CH_KIND_OTHER;
	}
	size_t m = n < MF_PP2_SIG_LEN ? n : MF_PP2_SIG_LEN;
	if (memcmp(p, MF_PP2_SIG, m) != 0)
		return MF_CH_KIND_OTHER;
	return m == MF_PP2_SIG_LEN ? MF_CH_KIND_PROXY_V2 : MF_CH_KIND_NEED_MORE;
}

void mf_ch_init(struct mf_ch_reader *r, size_t limit)
{
	memset(r, 0, sizeof(*r));
	r->limit = limit ? limit : MF_CH_DEFAULT_LIMIT;
	r->result = MF_CH_NEED_MORE;
}

void mf_ch_free(struct mf_ch_reader *r)
{
	free(r->body);
	r->body = NULL;
}

static int finish(struct mf_ch_reader *r, int result, enum mf_ch_error e)
{
	r->result = result;
	r->error = e;
	mf_ch_free(r);
	return result;
}

static int fail(struct mf_ch_reader *r, enum mf_ch_error e)
{
	int rc;
	switch (e) {
	case MF_CH_NOT_TLS: case MF_CH_PROXY_V2: case MF_CH_SSLV2: rc = MF_EUNKNOWN; break;
	case MF_CH_TOO_LARGE: rc = MF_ETOOBIG; break;
	case MF_CH_NOMEM: rc = MF_ENOMEM; break;
	default: rc = MF_EMALFORMED; break;
	}
	return finish(r, rc, e);
}

/* A bounds-checked reader over the complete body. */
struct cur {
	const uint8_t *p;
	size_t n;
};

static bool take(struct cur *c, size_t k, struct cur *out)
{
	if (k > c->n)
		return false;
	if (out != NULL) {
		out->p = c->p;
		out->n = k;
	}
	c->p += k;
	c->n -= k;
	return true;
}

static bool u8(struct cur *c, size_t *v)
{
	if (c->n < 1)
		return false;
	*v = c->p[0];
	return take(c, 1, NULL);
}

static bool u16(struct cur *c, size_t *v)
{
	if (c->n < 2)
		return false;
	*v = (size_t)c->p[0] << 8 | c->p[1];
	return take(c, 2, NULL);
}

/* A vector with a 1- or 2-byte length prefix, its length within [lo, hi]. */
static bool vec(struct cur *c, int prefix, size_t lo, size_t hi, struct cur *out)
{
	size_t len;
	if (!(prefix == 1 ? u8(c, &len) : u16(c, &len)))
		return false;
	return len >= lo && len <= hi && take(c, len, out);
}

static bool is_grease(size_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); /* RFC 8701 */
}

static enum mf_ch_error parse_server_name(struct mf_ch_reader *r, struct cur ext)
{
	struct cur list, name;
	size_t type;

	if (r->has_sni || !vec(&ext, 2, 1, 0xffff, &list) || ext.n != 0)
		return MF_CH_BAD_SNI;
	while (list.n > 0) {
		/* Every ServerName has a 2-byte length in practice (RFC 6066's
		 * only type); skipping unknown types as Go's crypto/tls does. */
		if (!u8(&list, &type) || !vec(&list, 2, 1, 0xffff, &name))
			return MF_CH_BAD_SNI;
		if (type != NAME_TYPE_HOST)
			continue;
		/* RFC 6066: no two names of one type. */
		if (r->has_sni || name.n > MF_CH_HOST_MAX)
			return MF_CH_BAD_SNI;
		memcpy(r->sni, name.p, name.n);
		r->sni[name.n] = '\0';
		r->sni_len = name.n;
		r->has_sni = true;
	}
	return MF_CH_OK;
}

static enum mf_ch_error parse_supported_versions(struct mf_ch_reader *r, struct cur ext)
{
	struct cur list;
	size_t v;

	if (!vec(&ext, 1, 2, 254, &list) || ext.n != 0 || list.n % 2 != 0)
		return MF_CH_BAD_HANDSHAKE;
	while (u16(&list, &v))
		if (!is_grease(v) && v > r->version)
			r->version = (uint16_t)v;
	return MF_CH_OK;
}

static enum mf_ch_error parse_hello(struct mf_ch_reader *r)
{
	struct cur c = {r->body, r->body_len}, suites, exts, ext;
	size_t version, type;
	bool seen_versions = false;
	enum mf_ch_error e;

	if (!u16(&c, &version) || version >> 8 != 3 || !take(&c, 32, NULL) ||
	    !vec(&c, 1, 0, 32, NULL) || !vec(&c, 2, 2, 0xfffe, &suites) || suites.n % 2 != 0 ||
	    !vec(&c, 1, 1, 0xff, NULL))
		return MF_CH_BAD_HANDSHAKE;
	r->version = (uint16_t)version;
	if (c.n == 0)
		return MF_CH_OK; /* no extensions at all */
	if (!vec(&c, 2, 0, 0xffff, &exts) || c.n != 0)
		return MF_CH_BAD_HANDSHAKE;
	while (exts.n > 0) {
		if (!u16(&exts, &type) || !vec(&exts, 2, 0, 0xffff, &ext))
			return MF_CH_BAD_HANDSHAKE;
		if (type == EXT_SERVER_NAME) {
			if ((e = parse_server_name(r, ext)) != MF_CH_OK)
				return e;
		} else if (type == EXT_SUPPORTED_VERSIONS) {
			if (seen_versions)
				return MF_CH_BAD_HANDSHAKE;
			seen_versions = true;
			r->version = 0;
			if ((e = parse_supported_versions(r, ext)) != MF_CH_OK)
				return e;
		}
	}
	return MF_CH_OK;
}

/* Checks a complete record header; the first record decides what the
 * stream is at all. */
static enum mf_ch_error check_record_header(const struct mf_ch_reader *r)
{
	const uint8_t *h = r->rec_hdr;
	bool first = r->hs_hdr_len == 0; /* records are never empty */
	size_t len = (size_t)h[3] << 8 | h[4];

	if (h[0] != REC_HANDSHAKE || h[1] != 3) {
		if (!first)
			return MF_CH_BAD_RECORD;
		if (memcmp(h, MF_PP2_SIG, sizeof(r->rec_hdr)) == 0)
			return MF_CH_PROXY_V2;
		/* SSLv2 framing: 2-byte length with the top bit, then type 1. */
		if ((h[0] & 0x80) && h[2] == HS_CLIENT_HELLO)
			return MF_CH_SSLV2;
		return MF_CH_NOT_TLS;
	}
	/* RFC 8446 5.1: no empty handshake fragments, none over 2^14. */
	if (len == 0 || len > REC_MAX)
		return MF_CH_BAD_RECORD;
	return MF_CH_OK;
}

/* Lower bound of the stream bytes still needed to complete the hello. */
static size_t still_needed(const struct mf_ch_reader *r)
{
	size_t hs = r->hs_hdr_len < 4 ? 4 - r->hs_hdr_len + HELLO_MIN : r->body_len - r->body_have;
	size_t hdr = r->rec_left == 0 ? sizeof(r->rec_hdr) - r->rec_hdr_len : 0;
	return hs + hdr;
}

/* Feeds payload bytes p[0..m) of the current record to the handshake layer;
 * *used says how many it took (less than m only when the hello ended). */
static int handshake_in(struct mf_ch_reader *r, const uint8_t *p, size_t m, size_t *used)
{
	enum mf_ch_error e = MF_CH_OK;
	size_t k = 0;
	while (k < m && e == MF_CH_OK) {
		if (r->hs_hdr_len < 4) {
			r->hs_hdr[r->hs_hdr_len++] = p[k++];
			if (r->hs_hdr[0] != HS_CLIENT_HELLO) {
				e = MF_CH_BAD_HANDSHAKE;
			} else if (r->hs_hdr_len == 4) {
				r->body_len = (size_t)r->hs_hdr[1] << 16 | (size_t)r->hs_hdr[2] << 8 |
					      r->hs_hdr[3];
				/* r->seen does not count p yet: k of it is in. */
				if (r->body_len < HELLO_MIN)
					e = MF_CH_BAD_HANDSHAKE;
				else if (r->seen + k + r->body_len > r->limit)
					e = MF_CH_TOO_LARGE;
				else if ((r->body = malloc(r->body_len)) == NULL)
					e = MF_CH_NOMEM;
			}
			continue;
		}
		size_t c = r->body_len - r->body_have;
		if (c > m - k)
			c = m - k;
		memcpy(r->body + r->body_have, p + k, c);
		r->body_have += c;
		k += c;
		if (r->body_have == r->body_len) {
			*used = k;
			if ((e = parse_hello(r)) != MF_CH_OK)
				return fail(r, e);
			return finish(r, MF_CH_DONE, MF_CH_OK);
		}
	}
	*used = k;
	return e == MF_CH_OK ? MF_CH_NEED_MORE : fail(r, e);
}

int mf_ch_feed(struct mf_ch_reader *r, const uint8_t *p, size_t n, size_t *consumed)
{
	size_t i = 0;
	int rc = MF_CH_NEED_MORE;

	if (consumed != NULL)
		*consumed = 0;
	if (r->result != MF_CH_NEED_MORE)
		return r->result;
	if (p == NULL && n > 0)
		return MF_EINVAL;
	while (i < n) {
		if (r->rec_left == 0) {
			r->rec_hdr[r->rec_hdr_len++] = p[i++];
			r->seen++;
			if (r->rec_hdr_len == sizeof(r->rec_hdr)) {
				enum mf_ch_error e = check_record_header(r);
				if (e != MF_CH_OK) {
					rc = fail(r, e);
					break;
				}
				r->rec_left = (size_t)r->rec_hdr[3] << 8 | r->rec_hdr[4];
				r->rec_hdr_len = 0;
			}
		} else {
			size_t m = r->rec_left < n - i ? r->rec_left : n - i, used = 0;
			rc = handshake_in(r, p + i, m, &used);
			r->seen += used;
			r->rec_left -= used;
			i += used;
			if (rc != MF_CH_NEED_MORE)
				break;
		}
		if (r->seen + still_needed(r) > r->limit) {
			rc = fail(r, MF_CH_TOO_LARGE);
			break;
		}
	}
	if (consumed != NULL)
		*consumed = i;
	return rc;
}

#include "gossip/lzw.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

#define LIT_WIDTH 8
#define MAX_WIDTH 12
#define CLEAR (1u << LIT_WIDTH)
#define EOF_CODE (CLEAR + 1)
#define MAX_CODE ((1u << MAX_WIDTH) - 1)

/* ---- encoder: Go compress/lzw writer.go ---- */

#define TABLE_SIZE (4u << MAX_WIDTH)
#define TABLE_MASK (TABLE_SIZE - 1)
#define INVALID_CODE 0xffffffffu

struct lzw_enc {
	msgpack_sbuffer *out;
	uint32_t bits;
	unsigned nbits, width;
	uint32_t hi, overflow;
	int err;
	uint32_t *table; /* key << 12 | code; 0 = empty */
};

static void put_code(struct lzw_enc *w, uint32_t c)
{
	w->bits |= c << w->nbits;
	w->nbits += w->width;
	while (w->nbits >= 8) {
		char b = (char)(w->bits & 0xff);
		if (msgpack_sbuffer_write(w->out, &b, 1) != 0)
			w->err = MF_ENOMEM;
		w->bits >>= 8;
		w->nbits -= 8;
	}
}

/* Returns 1 when the codes ran out and the table was reset. */
static int inc_hi(struct lzw_enc *w)
{
	w->hi++;
	if (w->hi == w->overflow) {
		w->width++;
		w->overflow <<= 1;
	}
	if (w->hi == MAX_CODE) {
		put_code(w, CLEAR);
		w->width = LIT_WIDTH + 1;
		w->hi = CLEAR + 1;
		w->overflow = CLEAR << 1;
		memset(w->table, 0, TABLE_SIZE * sizeof(*w->table));
		return 1;
	}
	return 0;
}

int mf_lzw_encode(const uint8_t *in, size_t len, msgpack_sbuffer *out)
{
	struct lzw_enc w = {
		.out = out, .width = LIT_WIDTH + 1, .hi = EOF_CODE,
		.overflow = 1u << (LIT_WIDTH + 1),
	};
	uint32_t code = INVALID_CODE;

	w.table = calloc(TABLE_SIZE, sizeof(*w.table));
	if (!w.table)
		return MF_ENOMEM;
	/* Go sends a clear code first, then the first byte as a literal. */
	put_code(&w, CLEAR);
	if (len > 0)
		code = in[0];
	for (size_t i = 1; i < len; i++) {
		uint32_t lit = in[i];
		uint32_t key = code << 8 | lit;
		uint32_t hash = (key >> 12 ^ key) & TABLE_MASK;
		int hit = 0;

		for (uint32_t h = hash, t = w.table[hash]; t != 0;) {
			if (key == t >> 12) {
				code = t & MAX_CODE;
				hit = 1;
				break;
			}
			h = (h + 1) & TABLE_MASK;
			t = w.table[h];
		}
		if (hit)
			continue;
		put_code(&w, code);
		code = lit;
		if (inc_hi(&w))
			continue;
		while (w.table[hash] != 0)
			hash = (hash + 1) & TABLE_MASK;
		w.table[hash] = key << 12 | w.hi;
	}
	if (code != INVALID_CODE) {
		put_code(&w, code);
		inc_hi(&w);
	}
	put_code(&w, EOF_CODE);
	if (w.nbits > 0) {
		char b = (char)(w.bits & 0xff);
		if (msgpack_sbuffer_write(out, &b, 1) != 0)
			w.err = MF_ENOMEM;
	}
	free(w.table);
	return w.err;
}

/* ---- decoder: Go compress/lzw reader.go ---- */

#define NO_CODE 0xffffu

int mf_lzw_decode(const uint8_t *in, size_t len, msgpack_sbuffer *out, size_t max_out)
{
	uint16_t prefix[1u << MAX_WIDTH];
	uint8_t suffix[1u << MAX_WIDTH];
	uint8_t chain[1u << MAX_WIDTH];
	uint32_t bits = 0;
	unsigned nbits = 0, width = LIT_WIDTH + 1;
	uint16_t hi = EOF_CODE, overflow = 1u << width, last = NO_CODE;
	size_t pos = 0, produced = 0;

	memset(prefix, 0, sizeof(prefix));
	memset(suffix, 0, sizeof(suffix));
	for (;;) {
		while (nbits < width) {
			if (pos >= len)
				return MF_EDECOMPRESS; /* no EOF code: Go's ErrUnexpectedEOF */
			bits |= (uint32_t)in[pos++] << nbits;
			nbits += 8;
		}
		uint16_t code = (uint16_t)(bits & ((1u << width) - 1));
		bits >>= width;
		nbits -= width;

		size_t i = sizeof(chain); /* chain[i..] is this code's expansion */
		if (code < CLEAR) {
			chain[--i] = (uint8_t)code;
			if (last != NO_CODE) {
				suffix[hi] = (uint8_t)code;
				prefix[hi] = last;
			}
		} else if (code == CLEAR) {
			width = LIT_WIDTH + 1;
			hi = EOF_CODE;
			overflow = 1u << width;
			last = NO_CODE;
			continue;
		} else if (code == EOF_CODE) {
			return 0;
		} else if (code <= hi) {
			uint16_t c = code;
			if (code == hi && last != NO_CODE) {
				/* KwKwK: the last expansion plus its own first byte. */
				c = last;
				while (c >= CLEAR)
					c = prefix[c];
				chain[--i] = (uint8_t)c;
				c = last;
			}
			/* prefix[x] < x always, so this walk ends; a chain is at most
			 * 4096 - 256 codes long, less than chain[]. */
			while (c >= CLEAR && i > 1) {
				chain[--i] = suffix[c];
				c = prefix[c];
			}
			if (c >= CLEAR)
				return MF_EDECOMPRESS;
			chain[--i] = (uint8_t)c;
			if (last != NO_CODE) {
				suffix[hi] = (uint8_t)c;
				prefix[hi] = last;
			}
		} else {
			return MF_EDECOMPRESS; /* "lzw: invalid code" */
		}
		size_t n = sizeof(chain) - i;
		if (n > max_out - produced)
			return MF_ETOOBIG;
		if (msgpack_sbuffer_write(out, (const char *)chain + i, n) != 0)
			return MF_ENOMEM;
		produced += n;

		last = code;
		hi++;
		if (hi >= overflow) {
			if (width == MAX_WIDTH) {
				last = NO_CODE;
				hi--;
			} else {
				width++;
				overflow = (uint16_t)(1u << width);
			}
		}
	}
}

/*
 * gossip/lzw.h — Go's compress/lzw, LSB bit order, 8-bit literals: the only
 * compression memberlist uses (util.go compressPayload/decompressBuffer).
 *
 * Contract: pure, bounded memory (fixed 4096-entry tables), no globals. The
 * encoder follows Go's writer.go step for step (leading clear code, the same
 * hash table, a clear code when the 12-bit codes run out), so it produces the
 * bytes serf would. The decoder follows reader.go: a stream must end with the
 * EOF code (Go reports io.ErrUnexpectedEOF otherwise and memberlist drops the
 * message).
 *
 *   code stream: 9..12-bit codes packed LSB first; 256 = clear, 257 = EOF.
 */
#ifndef MF_GOSSIP_LZW_H
#define MF_GOSSIP_LZW_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Appends the compressed form of in[0..len) to out. */
int mf_lzw_encode(const uint8_t *in, size_t len, msgpack_sbuffer *out);
/* Appends the decompressed bytes to out: MF_EDECOMPRESS for an invalid or
 * unterminated code stream, MF_ETOOBIG when more than max_out bytes would be
 * appended. */
int mf_lzw_decode(const uint8_t *in, size_t len, msgpack_sbuffer *out, size_t max_out);

#endif

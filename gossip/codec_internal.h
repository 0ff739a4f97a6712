/*
 * gossip/codec_internal.h — what the codec files share. Not a public
 * header: only gossip/codec*.c include it (the API is gossip/codec.h).
 *
 *   codec.c            single messages: ping .. dead, user;
 *   codec_pushpull.c   push-pull and the user message on a stream;
 *   codec_containers.c compound, has-CRC, compress;
 *   codec_stream.c     where a message on a stream ends (the framer);
 *   codec_fields.c     the field readers (gossip/codec_fields.h, which
 *                      serf's codecs use too) and the Vsn field below;
 *                      it calls none of the others.
 * Calls go one way: codec_stream.c uses codec_pushpull.c's header decoders;
 * every file uses codec_fields.c.
 */
#ifndef MF_GOSSIP_CODEC_INTERNAL_H
#define MF_GOSSIP_CODEC_INTERNAL_H

#include "gossip/codec.h"
#include "gossip/codec_fields.h"
#include "gossip/err.h"
#include "gossip/mp.h"

/* The Vsn field: kept when it is MF_VSN_LEN bytes, else *has_vsn false. */
int mf_codec__get_vsn(const msgpack_object *m, uint8_t vsn[MF_VSN_LEN], bool *has_vsn);
int mf_codec__pack_vsn(msgpack_packer *pk, const uint8_t vsn[MF_VSN_LEN], bool has_vsn);
/* The alive message in the layout mf_codec_encode_alive writes, read in
 * place (gossip/codec_alive.c): 0 and *m as mf_codec_decode_alive would
 * give, or 1 when body is laid out otherwise (decode it the general way). */
int mf_codec__decode_alive_canonical(const uint8_t *body, size_t len, struct mf_msg_alive *m);
/* The alive message read through msgpack-c, whatever its layout. */
int mf_codec__decode_alive_general(const uint8_t *body, size_t len, struct mf_msg_alive *m);

/* codec_pushpull.c: the header maps before a raw tail; *used = the map's
 * length. */
int mf_codec__decode_pp_header(const uint8_t *body, size_t len,
			       struct mf_msg_push_pull_header *h, size_t *used);
int mf_codec__decode_user_header(const uint8_t *body, size_t len, int64_t *n, size_t *used);
/* One push-pull node state in the layout our encoder (and memberlist)
 * writes, read in place: 0, *s as the general decoder gives and *used its
 * bytes, or 1 when laid out otherwise (read it the general way). */
int mf_codec__decode_node_state_canonical(const uint8_t *body, size_t len,
					  struct mf_msg_push_node_state *s, size_t *used);
/* One node state read through msgpack-c, whatever its layout. */
int mf_codec__decode_node_state_general(const uint8_t *body, size_t len,
					struct mf_msg_push_node_state *s, size_t *used);

#endif

/*
 * gossip/err.h — error codes shared by every meshfed module.
 *
 * Contract: functions return 0 (or a non-negative count) on success and one
 * of these negative codes on failure, never errno or a global. The codes that
 * describe a dropped packet double as indexes of the "bad packets by cause"
 * counters (see mf_pool_stats in gossip/pool.h).
 */
#ifndef MF_GOSSIP_ERR_H
#define MF_GOSSIP_ERR_H

enum mf_err {
	MF_OK = 0,
	MF_ENOMEM = -1,      /* allocation failed */
	MF_EINVAL = -2,      /* bad argument or configuration */
	MF_ETRUNC = -3,      /* input ended before the message did */
	MF_EMALFORMED = -4,  /* not the msgpack shape the message needs */
	MF_EUNKNOWN = -5,    /* unknown message type */
	MF_ECRC = -6,        /* has-CRC message whose checksum does not match */
	MF_EDECRYPT = -7,    /* no installed key opens it / bad framing */
	MF_EPLAIN = -8,      /* plaintext received while encryption is on */
	MF_EDECOMPRESS = -9, /* bad LZW stream or unknown algorithm */
	MF_ETOOBIG = -10,    /* over a size limit */
	MF_EKEYSIZE = -11,   /* key is not 32 bytes */
	MF_ENOAES = -12,     /* CPU lacks the AES-NI/CLMUL libsodium needs */
	MF_ENOTFOUND = -13,  /* no such member / entry */
	MF_ESTATE = -14,     /* operation not valid in the current state */
	MF_EIO = -15,        /* an I/O layer reported failure */
	MF_ENAME = -16,      /* message addressed to another node name */
	MF_ERR_COUNT_ = 17   /* number of codes including MF_OK; for counter arrays */
};

/* A short static English description ("malformed message", ...). */
const char *mf_strerror(int err);

#endif

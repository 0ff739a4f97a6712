#include "gossip/err.h"

const char *mf_strerror(int err)
{
	switch (err) {
	case MF_OK: return "ok";
	case MF_ENOMEM: return "out of memory";
	case MF_EINVAL: return "invalid argument";
	case MF_ETRUNC: return "truncated message";
	case MF_EMALFORMED: return "malformed message";
	case MF_EUNKNOWN: return "unknown message type";
	case MF_ECRC: return "checksum mismatch";
	case MF_EDECRYPT: return "decryption failed";
	case MF_EPLAIN: return "unencrypted message while encryption is on";
	case MF_EDECOMPRESS: return "decompression failed";
	case MF_ETOOBIG: return "message too large";
	case MF_EKEYSIZE: return "key must be 32 bytes (AES-256)";
	case MF_ENOAES: return "this CPU lacks the AES instructions libsodium needs for AES-256-GCM";
	case MF_ENOTFOUND: return "not found";
	case MF_ESTATE: return "not allowed in this state";
	case MF_EIO: return "I/O error";
	case MF_ENAME: return "addressed to another node";
	}
	return "unknown error";
}

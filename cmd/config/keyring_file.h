/*
 * cmd/config/keyring_file.h — serf's keyring file (-keyring-file): a JSON array of
 * base64 keys, the primary first, as serf's agent reads it and as
 * serf.go writeKeyringFile writes it (json.MarshalIndent, two spaces):
 *
 *   [
 *     "primary key base64",
 *     "other key base64"
 *   ]
 *
 * Contract: the one reader and writer of keyring files (the agent at start,
 * after every key change, and on SIGHUP). Keys are never logged: errors
 * name the file and the key's position only. Decoded key bytes on the stack
 * are wiped (sodium_memzero). Writes are atomic: a temporary file in the same
 * directory (mode 0600), fsync, rename over the old file, so a crash leaves
 * the old or the new keyring, never half of one.
 */
#ifndef MF_CMD_KEYRING_FILE_H
#define MF_CMD_KEYRING_FILE_H

#include <stddef.h>

#include "gossip/keyring.h"

/* Replaces kr's keys with the file's (kr's other fields are kept). On error
 * kr holds no key and err one line ("keyring file PATH: ..."): MF_EINVAL for
 * unreadable JSON, an empty or non-array document, a key that is not base64
 * or not 32 bytes, more than MF_KEYRING_MAX keys. */
int mf_keyring_file_read(const char *path, struct mf_keyring *kr, char *err, size_t errcap);

/* For a running pool (SIGHUP): reads path into a scratch keyring and, only
 * when that succeeds, replaces kr's keys with it (flags kept); on error kr
 * is untouched, so a bad file never turns a pool plaintext. */
int mf_keyring_file_reload(const char *path, struct mf_keyring *kr, char *err, size_t errcap);

/* Writes kr's keys to path (primary first), atomically, mode 0600.
 * MF_EIO on any file error (errno is left set), MF_EINVAL for an empty
 * keyring (serf would write [], which it then refuses to start with). */
int mf_keyring_file_write(const char *path, const struct mf_keyring *kr);

#endif

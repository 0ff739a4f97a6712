/*
 * cmd/config/config_file.h — what the subcommands that take a config file share
 * (the agent, cmd/config/config.h; the gateway, cmd/gateway/options.h): reading a
 * JSON config file, a config-file scalar as the string its flag would take,
 * and the flags with every -config-file applied first.
 *
 * Contract: the subcommand owns its keys and hands them over as a pair of
 * setters; only mf_config_file_load() does I/O (it reads the file).
 */
#ifndef MF_CMD_CONFIG_FILE_H
#define MF_CMD_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cmd/config/flags.h"

struct mf_config_keys {
	void *ctx;
	/* One key from a flag's string; on error a message without the key. */
	int (*set)(void *ctx, const char *key, const char *value, char *msg, size_t cap);
	/* A parsed config file's top-level object; errors name the key. */
	int (*apply_json)(void *ctx, const json_t *root, char *msg, size_t cap);
};

#define MF_CONFIG_FILE_MAX (16 * 1024 * 1024)

/* Reads path (JSON; lines starting with # or // are comments) and applies
 * it; errors are "config file PATH: ..." (with the line for a syntax
 * error). */
int mf_config_file_load(const struct mf_config_keys *k, const char *path, char *err,
			size_t errcap);

/* The string a flag would give for the scalar v: a string as it is, an
 * integer as its digits, and for a duration key any number as that many
 * milliseconds ("1500" -> "1500.000000ms"). NULL and a message in msg for
 * other types ("must be a string or a number (ms)"). buf: 64 bytes do. */
const char *mf_config_json_scalar(const json_t *v, bool duration, char *buf, size_t cap,
				  char *msg, size_t mcap);

/* Parses argv (after the subcommand `sub`, which takes no positional
 * argument): every -config-file first, in order, then the other flags in
 * order through k->set. Returns 0, MF_FLAGS_HELP, MF_FLAGS_USAGE or
 * MF_EINVAL; err names the flag ("-bind: ..."). */
int mf_config_flags_apply(const struct mf_config_keys *k, const char *sub,
			  const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
			  char *err, size_t errcap);

#endif

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

/* One key from a flag's string; on error a message without the key. */
typedef int (*mf_config_set_fn)(void *ctx, const char *key, const char *value, char *msg,
				size_t cap);

struct mf_config_keys {
	void *ctx;
	mf_config_set_fn set;
	/* One top-level key of a config file with its parsed value; on error a
	 * message without the key. Never sees a key only flags take. */
	int (*apply_key)(void *ctx, const char *key, const json_t *v, char *msg, size_t cap);
	/* The one flag whose config key is another name (a repeatable flag
	 * whose key is its plural: "tag" for "tags"), or NULL. */
	const char *flag_only;
};

#define MF_CONFIG_FILE_MAX (16 * 1024 * 1024)

/* Reads path (JSON; lines starting with # or // are comments) and applies
 * it; errors are "config file PATH: ..." (with the line for a syntax
 * error). */
int mf_config_file_load(const struct mf_config_keys *k, const char *path, char *err,
			size_t errcap);

/* A config file's top level (an object) through k->apply_key, key by key;
 * keys only flags take are unknown: any with a '-' (flags' spelling),
 * "config_file" and k->flag_only. Errors name the key ("key \"K\": ..."). */
int mf_config_apply_object(const struct mf_config_keys *k, const json_t *root, char *err,
			   size_t errcap);

/* A repeatable flag's file key (v): a string, or an array of strings, each
 * through set(ctx, flag, ...) as the flag would take it; on error a
 * message without the key. */
int mf_config_apply_strings(mf_config_set_fn set, void *ctx, const char *flag, const json_t *v,
			    char *msg, size_t cap);

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

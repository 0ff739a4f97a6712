/* cmd/config/config_file.c — see cmd/config/config_file.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config/config_file.h"
#include "gossip/err.h"

/* Blanks every line whose first non-blank characters are # or // (the
 * newline stays, so error line numbers do not move). A JSON string cannot
 * span lines, so no string is touched. */
static void blank_comments(char *t, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && (t[j] == ' ' || t[j] == '\t'))
			j++;
		bool comment = j < len && (t[j] == '#' || (t[j] == '/' && j + 1 < len && t[j + 1] == '/'));
		while (j < len && t[j] != '\n') {
			if (comment)
				t[j] = ' ';
			j++;
		}
		i = j + 1;
	}
}

/* The file's bytes (at most MF_CONFIG_FILE_MAX), NULL with errno set. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *t = malloc(MF_CONFIG_FILE_MAX + 1);
	size_t n = t ? fread(t, 1, MF_CONFIG_FILE_MAX + 1, f) : 0;
	int bad = !t || ferror(f);
	fclose(f);
	if (bad || n > MF_CONFIG_FILE_MAX) {
		free(t);
		errno = bad ? EIO : EFBIG;
		return NULL;
	}
	*len = n;
	return t;
}

int mf_config_file_load(const struct mf_config_keys *k, const char *path, char *err,
			size_t errcap)
{
	json_error_t je;
	char msg[400];
	size_t len = 0;
	char *text = read_all(path, &len);
	if (!text) {
		snprintf(err, errcap, "config file %s: %s", path, strerror(errno));
		return MF_EINVAL;
	}
	blank_comments(text, len);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!root) {
		if (je.line > 0)
			snprintf(err, errcap, "config file %s: line %d: %s", path, je.line, je.text);
		else
			snprintf(err, errcap, "config file %s: %s", path, je.text);
		return MF_EINVAL;
	}
	int r = mf_config_apply_object(k, root, msg, sizeof(msg));
	json_decref(root);
	if (r < 0)
		snprintf(err, errcap, "config file %s: %s", path, msg);
	return r;
}

int mf_config_apply_object(const struct mf_config_keys *k, const json_t *root, char *err,
			   size_t errcap)
{
	char msg[300];
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		snprintf(err, errcap, "the top level must be a JSON object");
		return MF_EINVAL;
	}
	json_object_foreach((json_t *)root, key, v) {
		int r;
		if ((k->flag_only && strcmp(key, k->flag_only) == 0) ||
		    strcmp(key, "config_file") == 0 || strchr(key, '-')) {
			snprintf(msg, sizeof(msg), "unknown key");
			r = MF_EINVAL;
		} else {
			r = k->apply_key(k->ctx, key, v, msg, sizeof(msg));
		}
		if (r < 0) {
			snprintf(err, errcap, "key \"%s\": %s", key, msg);
			return MF_EINVAL;
		}
	}
	return 0;
}

int mf_config_apply_strings(mf_config_set_fn set, void *ctx, const char *flag, const json_t *v,
			    char *msg, size_t cap)
{
	if (json_is_string(v))
		return set(ctx, flag, json_string_value(v), msg, cap);
	if (!json_is_array(v)) {
		snprintf(msg, cap, "must be a string or an array of strings");
		return MF_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			snprintf(msg, cap, "entries must be strings");
			return MF_EINVAL;
		}
		int r = set(ctx, flag, json_string_value(e), msg, cap);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *mf_config_json_scalar(const json_t *v, bool duration, char *buf, size_t cap,
				  char *msg, size_t mcap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v)) /* the key's setter checks it wants one */
		return json_is_true(v) ? "true" : "false";
	if (duration && json_is_number(v)) { /* bare numbers are milliseconds */
		double ms = json_number_value(v);
		if (!(ms > 0) || ms > 9.2e12) {
			snprintf(msg, mcap, "%g is not a positive number of milliseconds", ms);
			return NULL;
		}
		snprintf(buf, cap, "%.6fms", ms);
		return buf;
	}
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v))
		snprintf(msg, mcap, "must be an integer");
	else
		snprintf(msg, mcap, "must be a string%s", duration ? " or a number (ms)" : "");
	return NULL;
}

int mf_config_flags_apply(const struct mf_config_keys *k, const char *sub,
			  const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
			  char *err, size_t errcap)
{
	struct mf_flag_hit hits[512];
	const char *pos[1];
	struct mf_flags_result res = {hits, 512, 0, pos, 1, 0};
	int r = mf_flags_parse(flags, n_flags, argc, argv, &res, err, errcap);
	if (r != 0)
		return r;
	if (res.n_pos > 0) {
		snprintf(err, errcap, "unexpected argument \"%s\" (%s takes only flags)", res.pos[0],
			 sub);
		return MF_FLAGS_USAGE;
	}
	for (size_t i = 0; i < res.n_hits; i++)
		if (strcmp(flags[hits[i].index].name, "config-file") == 0 &&
		    mf_config_file_load(k, hits[i].value, err, errcap) < 0)
			return MF_EINVAL;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name;
		char msg[300];
		if (strcmp(name, "config-file") == 0)
			continue;
		if (k->set(k->ctx, name, hits[i].value, msg, sizeof(msg)) < 0) {
			snprintf(err, errcap, "-%s: %s", name, msg);
			return MF_EINVAL;
		}
	}
	return 0;
}

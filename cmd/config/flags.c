/* cmd/config/flags.c — see cmd/config/flags.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/config/flags.h"

static int find_flag(const struct mf_flag *flags, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int mf_flags_parse(const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
		   struct mf_flags_result *res, char *err, size_t errcap)
{
	bool only_pos = false;
	res->n_hits = res->n_pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (res->n_pos == res->max_pos) {
				snprintf(err, errcap, "too many arguments (at \"%s\")", a);
				return MF_FLAGS_USAGE;
			}
			res->pos[res->n_pos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		const char *name = a + 1;
		if (*name == '-')
			name++;
		if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
			return MF_FLAGS_HELP;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		int idx = find_flag(flags, n_flags, name, len);
		if (idx < 0) {
			snprintf(err, errcap, "unknown flag -%.*s (see -h)", (int)len, name);
			return MF_FLAGS_USAGE;
		}
		const char *value;
		if (eq) {
			value = eq + 1;
		} else if (!flags[idx].arg) {
			value = "true";
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errcap, "flag -%s needs a value (%s)", flags[idx].name,
				 flags[idx].arg);
			return MF_FLAGS_USAGE;
		}
		if (res->n_hits == res->max_hits) {
			snprintf(err, errcap, "too many flags (at -%s)", flags[idx].name);
			return MF_FLAGS_USAGE;
		}
		res->hits[res->n_hits].index = idx;
		res->hits[res->n_hits].value = value;
		res->n_hits++;
	}
	return 0;
}

void mf_flags_usage(FILE *f, const char *usage, const char *summary, const struct mf_flag *flags,
		    size_t n_flags)
{
	fprintf(f, "Usage: meshfed %s\n\n%s\n", usage, summary);
	if (n_flags == 0)
		return;
	fprintf(f, "\nOptions:\n");
	for (size_t i = 0; i < n_flags; i++) {
		char left[64];
		snprintf(left, sizeof(left), "-%s%s%s", flags[i].name, flags[i].arg ? " " : "",
			 flags[i].arg ? flags[i].arg : "");
		fprintf(f, "  %-26s %s\n", left, flags[i].help);
	}
}

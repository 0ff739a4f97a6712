/*
 * cmd/config/flags.h — serf-style command-line flags for every meshfed subcommand.
 *
 * Flags are single-dash like serf's (`-node n1`, `-node=n1`); `--node` is
 * accepted too. Flags and positional arguments may be interleaved
 * (`meshfed join ADDR -control PATH`); `--` ends the flags.
 *
 * Contract: pure parsing, no I/O besides mf_flags_usage(); errors come back
 * as one line in `err` (naming the flag) and MF_FLAGS_USAGE.
 */
#ifndef MF_CMD_FLAGS_H
#define MF_CMD_FLAGS_H

#include <stddef.h>
#include <stdio.h>

#define MF_FLAGS_HELP 1    /* -h/-help/--help was given */
#define MF_FLAGS_USAGE (-100) /* unknown flag, missing value: a usage error (not an mf_err) */

struct mf_flag {
	const char *name;  /* without dashes, e.g. "node" */
	const char *arg;   /* value placeholder ("NAME"), NULL for a boolean */
	const char *help;  /* one line */
};

/* One flag occurrence, in command-line order. */
struct mf_flag_hit {
	int index;         /* into the flag table */
	const char *value; /* points into argv; "true" for booleans */
};

struct mf_flags_result {
	struct mf_flag_hit *hits; /* caller's arrays */
	size_t max_hits, n_hits;
	const char **pos;
	size_t max_pos, n_pos;
};

/* Parses argv[0..argc) (argv[0] is the first argument, not the program).
 * Returns 0, MF_FLAGS_HELP, or MF_FLAGS_USAGE with `err` set. */
int mf_flags_parse(const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
		   struct mf_flags_result *res, char *err, size_t errcap);

/* Prints "Usage: meshfed <usage>\n\n<summary>\n\nOptions:\n  -flag ARG  help". */
void mf_flags_usage(FILE *f, const char *usage, const char *summary, const struct mf_flag *flags,
		    size_t n_flags);

#endif

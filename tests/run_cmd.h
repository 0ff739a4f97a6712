/*
 * tests/run_cmd.h — the one popen reader of the tests that run a built
 * program end to end (tests/sim, tests/sim_routes): runs `'BIN' ARGS`
 * through the shell, returns its whole stdout and exit status, and keeps
 * its stderr when asked. Header only, as tests/cunit_main.h.
 */
#ifndef MF_TESTS_RUN_CMD_H
#define MF_TESTS_RUN_CMD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs bin with args (shell words, quoted by the caller where needed).
 * Returns its stdout as a malloc'd string (NULL when it could not be
 * started) and its exit status in *status (-1 when it did not exit).
 * With err (err_cap > 0), the first err_cap - 1 bytes of its stderr go
 * there, NUL-terminated; without, stderr is discarded. */
static inline char *mf_test_run_cmd(const char *bin, const char *args, char *err, size_t err_cap,
				    int *status)
{
	char cmd[4096], errf[] = "/tmp/mf-test-run-XXXXXX";
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	FILE *p = NULL;
	*status = -1;
	if (err != NULL && err_cap > 0) {
		err[0] = '\0';
		int fd = mkstemp(errf);
		if (fd < 0) {
			free(out);
			return NULL;
		}
		close(fd);
		snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", bin, args, errf);
	} else {
		errf[0] = '\0';
		snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", bin, args);
	}
	if (out != NULL)
		p = popen(cmd, "r");
	if (p == NULL) {
		free(out);
		if (errf[0])
			unlink(errf);
		return NULL;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *o = realloc(out, cap *= 2);
			if (o == NULL)
				break;
			out = o;
		}
		size_t k = fread(out + len, 1, cap - len - 1, p);
		if (k == 0)
			break;
		len += k;
	}
	out[len] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (errf[0]) {
		FILE *e = fopen(errf, "r");
		if (e) {
			size_t k = fread(err, 1, err_cap - 1, e);
			err[k] = '\0';
			fclose(e);
		}
		unlink(errf);
	}
	return out;
}

#endif

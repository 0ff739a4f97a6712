/*
 * cmd/cli/cmd_monitor.c — `meshfed monitor`: streams the agent's log lines
 * (serf/consul monitor) until interrupted or the agent goes away.
 *
 * The agent answers one JSON line ({"ok":true,...} or an error), then log
 * lines, copied to stdout as they come. Lines a slow reader could not take
 * are dropped by the agent, which says how many (docs/cli.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"
#include "cmd/daemon/write_all.h"

static const struct mf_flag flags[] = {
	{"log-level", "LEVEL", "debug, info, warn or error (default info)"},
	{"log-format", "text|json", "text lines, or one JSON object a line (default text)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

/* Reads the answer line; what follows it in buf is copied to stdout. */
static int read_ack(int fd, char *err, size_t errcap)
{
	char buf[65536];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errcap, "the agent closed the connection");
			return -1;
		}
		len += (size_t)n;
		char *nl = memchr(buf, '\n', len);
		if (!nl) {
			if (len == sizeof(buf) - 1) {
				snprintf(err, errcap, "answer line too long");
				return -1;
			}
			continue;
		}
		*nl = '\0';
		json_error_t je;
		json_t *o = json_loads(buf, 0, &je);
		int ok = json_is_true(json_object_get(o, "ok"));
		if (!ok) {
			const char *e = json_string_value(json_object_get(o, "error"));
			snprintf(err, errcap, "%s", e ? e : "bad answer from the agent");
		}
		json_decref(o);
		if (!ok)
			return -1;
		size_t rest = len - (size_t)(nl + 1 - buf);
		if (rest && fwrite(nl + 1, 1, rest, stdout) != rest)
			return -1;
		fflush(stdout);
		return 0;
	}
}

int mf_cmd_monitor(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 1, 0};
	int r = mf_cli_parse("monitor", "monitor [options]",
			     "Streams the agent's log lines, at -log-level and above, until\n"
			     "interrupted (serf/consul monitor). A reader too slow for the agent\n"
			     "loses lines (the agent never waits), and is told how many.",
			     flags, N_FLAGS, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("monitor", &res)) != MF_EXIT_OK)
		return r;
	const char *control = NULL;
	json_t *req = json_pack("{s:s}", "cmd", "monitor");
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name;
		if (strcmp(name, "control") == 0)
			control = hits[i].value;
		else
			json_object_set_new(req, strcmp(name, "log-level") == 0 ? "log_level"
										 : "log_format",
					    json_string(hits[i].value));
	}
	char path[4096], err[512];
	mf_cli_control_path(control, path, sizeof(path));
	int fd = mf_ctl_connect(path, "control", err, sizeof(err));
	char *line = fd >= 0 ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (fd < 0) {
		mf_cli_error("monitor", "%s", err);
		return MF_EXIT_FAIL;
	}
	if (!line || mf_write_all(fd, line, strlen(line), true) < 0 ||
	    mf_write_all(fd, "\n", 1, true) < 0) {
		free(line);
		close(fd);
		mf_cli_error("monitor", "cannot send the request: %s", strerror(errno));
		return MF_EXIT_FAIL;
	}
	free(line);
	if (read_ack(fd, err, sizeof(err)) < 0) {
		close(fd);
		mf_cli_error("monitor", "%s", err);
		return MF_EXIT_FAIL;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
		fflush(stdout);
	}
	close(fd);
	return MF_EXIT_OK; /* the agent went away: as serf monitor, not an error */
}

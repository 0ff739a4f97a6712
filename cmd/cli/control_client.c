/* cmd/cli/control_client.c — see cmd/cli/control_client.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cli/control_client.h"
#include "gossip/err.h"
#include "gossip/grow.h"

#define MF_CTL_MAX_RESPONSE ((size_t)256 * 1024 * 1024)

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {fd, events, 0};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int mf_unix_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return MF_ETOOBIG;
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	if ((timeout_ms > 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int mf_ctl_connect(const char *path, const char *flag, char *err, size_t errcap)
{
	int fd = mf_unix_connect(path, 0);
	if (fd == MF_ETOOBIG)
		snprintf(err, errcap, "socket path is longer than %zu bytes: %s",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1, path);
	else if (fd == -ENOENT)
		snprintf(err, errcap,
			 "no agent at %s: no such socket (is `meshfed agent` running? see -%s)", path,
			 flag);
	else if (fd < 0)
		snprintf(err, errcap, "no agent at %s: %s", path, strerror(-fd));
	return fd < 0 ? -1 : fd;
}

int mf_ctl_call(const char *path, const json_t *req, int timeout_ms, json_t **resp, char *err,
		size_t errcap)
{
	return mf_ctl_call_lines(path, req, timeout_ms, NULL, NULL, resp, err, errcap);
}

/* Takes the complete lines at the start of buf[0..*got), whose first
 * `from` bytes hold no newline: each streamed one (no "ok") to on_line; 1
 * with the answer in *o, 0 when it is still to come, -1 on a malformed
 * line. */
static int take_lines(char *buf, size_t *got, size_t from, void (*on_line)(void *ctx, const json_t *line),
		      void *ctx, json_t **o)
{
	char *nl;
	while ((nl = memchr(buf + from, '\n', *got - from)) != NULL) {
		from = 0;
		*nl = '\0';
		json_error_t je;
		json_t *x = json_loads(buf, 0, &je);
		if (!x || !json_is_object(x)) {
			json_decref(x);
			return -1;
		}
		if (!on_line || json_object_get(x, "ok")) {
			*o = x;
			return 1;
		}
		on_line(ctx, x);
		json_decref(x);
		*got -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *got);
	}
	return 0;
}

int mf_ctl_call_lines(const char *path, const json_t *req, int timeout_ms,
		      void (*on_line)(void *ctx, const json_t *line), void *ctx, json_t **resp, char *err,
		      size_t errcap)
{
	long long deadline = now_ms() + timeout_ms;
	int fd = mf_ctl_connect(path, "control", err, errcap);
	if (fd < 0)
		return MF_EIO;
	char *line = json_dumps(req, JSON_COMPACT);
	char *buf = NULL;
	int rc = MF_EIO;
	if (!line) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	size_t len = strlen(line), off = 0;
	/* Request line: the JSON, then '\n'. */
	while (off <= len) {
		const char *p = off < len ? line + off : "\n";
		size_t n = off < len ? len - off : 1;
		if (wait_fd(fd, POLLOUT, deadline) < 0) {
			snprintf(err, errcap, "agent at %s did not accept the request in time", path);
			goto out;
		}
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errcap, "writing to agent at %s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
		if (off == len + 1)
			break;
	}
	size_t cap = 65536, got = 0;
	json_t *o = NULL;
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errcap, "out of memory");
			goto out;
		}
		int wr = wait_fd(fd, POLLIN, deadline);
		if (wr < 0) {
			snprintf(err, errcap, "no answer from agent at %s within %d s", path,
				 timeout_ms / 1000);
			goto out;
		}
		if (cap - got < 4096) {
			if (cap >= MF_CTL_MAX_RESPONSE) {
				snprintf(err, errcap, "response from agent is too large");
				goto out;
			}
			if (mf_grow(&buf, &cap, cap + 1, 0) < 0) {
				snprintf(err, errcap, "out of memory");
				goto out;
			}
		}
		ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errcap, "reading from agent at %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0) {
			snprintf(err, errcap, "agent at %s closed the connection without answering",
				 path);
			goto out;
		}
		got += (size_t)r;
		int t = take_lines(buf, &got, got - (size_t)r, on_line, ctx, &o);
		if (t < 0) {
			snprintf(err, errcap, "agent at %s sent a malformed response", path);
			goto out;
		}
		if (t > 0)
			break;
	}
	if (!json_is_true(json_object_get(o, "ok"))) {
		const char *e = json_string_value(json_object_get(o, "error"));
		snprintf(err, errcap, "%s", e ? e : "agent reported an error");
		json_decref(o);
		goto out;
	}
	*resp = o;
	rc = 0;
out:
	free(line);
	free(buf);
	close(fd);
	return rc;
}

/* cmd/haproxy/haproxy_admin.c — see cmd/haproxy/haproxy_admin.h. */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/cli/control_client.h"
#include "cmd/daemon/write_all.h"
#include "cmd/haproxy/haproxy_admin.h"
#include "gossip/err.h"
#include "gossip/grow.h"

/* A blocking socket whose every send, recv and connect gives up after
 * timeout_ms without progress (SO_SNDTIMEO also bounds a Unix connect
 * waiting on a full backlog). */
static int admin_connect(const char *path, int timeout_ms, char *err, size_t errcap)
{
	int fd = mf_unix_connect(path, timeout_ms);
	if (fd == MF_ETOOBIG)
		snprintf(err, errcap, "admin socket path is longer than %zu bytes: %s",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1, path);
	else if (fd < 0)
		snprintf(err, errcap, "no HAProxy admin socket at %s: %s", path,
			 fd == -ENOENT ? "no such socket (is HAProxy running with `stats socket ... "
					 "level admin`? see -admin)"
				       : strerror(fd == -EAGAIN || fd == -EINPROGRESS ? ETIMEDOUT : -fd));
	return fd < 0 ? -1 : fd;
}

int mf_hap_admin_call(const char *path, const char *cmd, int timeout_ms, char **out, size_t *len,
		      char *err, size_t errcap)
{
	*out = NULL;
	*len = 0;
	int fd = admin_connect(path, timeout_ms, err, errcap);
	if (fd < 0)
		return MF_EIO;
	int rc = MF_EIO;
	char *line = NULL, *buf = NULL;
	size_t n = strlen(cmd) + 1, cap = 0, got = 0;
	if (!(line = malloc(n + 1))) {
		rc = MF_ENOMEM;
		goto out;
	}
	snprintf(line, n + 1, "%s\n", cmd);
	int w = mf_write_all(fd, line, n, true);
	if (w < 0) {
		snprintf(err, errcap, "writing \"%s\" to HAProxy at %s: %s", cmd, path,
			 w == -EAGAIN ? "timed out" : strerror(-w));
		goto out;
	}
	for (;;) {
		if (cap - got < 4096) {
			if (cap >= MF_HAP_ADMIN_MAX_ANSWER) {
				snprintf(err, errcap, "HAProxy's answer to \"%s\" is too large", cmd);
				goto out;
			}
			if (mf_grow(&buf, &cap, cap + 1, 16384) < 0) {
				rc = MF_ENOMEM;
				goto out;
			}
		}
		ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errcap, "no answer from HAProxy at %s to \"%s\" %s", path, cmd,
				 errno == EAGAIN ? "in time" : strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	free(line);
	free(buf);
	close(fd);
	return rc;
}

bool mf_hap_admin_ok(const char *cmd, const char *answer)
{
	/* `set server ... addr` reports what it did ("IP changed from ...",
	 * "no need to change the addr, port changed ..."); the others say
	 * nothing when they succeed. */
	if (strncmp(cmd, "set server ", 11) == 0)
		return strstr(answer, "changed") != NULL || strcasestr(answer, "no need to change") != NULL;
	for (const char *p = answer; *p; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ')
			return false;
	return true;
}

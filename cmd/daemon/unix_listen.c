/* cmd/daemon/unix_listen.c — see cmd/daemon/unix_listen.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/daemon/unix_listen.h"

/* A socket file left by a dead agent is removed; a live agent's is not. */
static int check_existing(const char *path, const char *what, char *err, size_t errcap)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errcap, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errcap, "%s %s: exists and is not a socket", what, path);
		return -1;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errcap, "%s %s: another agent is listening on it", what, path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errcap, "%s %s: cannot remove stale socket: %s", what, path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Puts the listening socket at `tmp` under its name `path`. link() fails
 * when an agent started meanwhile took the name, where rename() would
 * silently replace its socket; rename() is the fallback for file systems
 * without hard links. */
static int publish(const char *tmp, const char *path, const char *what, char *err, size_t errcap)
{
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno == EEXIST) {
		snprintf(err, errcap, "%s %s: another agent took the name while we started", what,
			 path);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errcap, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

int mf_unix_listen(uv_pipe_t *pipe, const char *path, mode_t mode, gid_t gid, int backlog,
		   uv_connection_cb on_connection, const char *what, char *err, size_t errcap)
{
	struct sockaddr_un sa;
	if (strlen(path) == 0 || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errcap, "%s path must be 1 to %zu bytes: %s", what,
			 sizeof(sa.sun_path) - 1, path);
		return -1;
	}
	if (check_existing(path, what, err, errcap) < 0)
		return -1;
	/* Bound and listening under a temporary name first, so the name a
	 * client waits for never exists before connect() can succeed (a client
	 * that saw the file between bind and listen got ECONNREFUSED). A path
	 * too long for the suffix is bound in place. */
	char tmp[sizeof(sa.sun_path)];
	int n = snprintf(tmp, sizeof(tmp), "%s.%ld~", path, (long)getpid());
	const char *at = n > 0 && (size_t)n < sizeof(tmp) ? tmp : path;
	if (at == tmp)
		unlink(tmp);
	/* Created 0600 from the start: no window where others could connect. */
	mode_t old = umask(0177);
	int r = uv_pipe_bind(pipe, at);
	umask(old);
	if (r == 0 && gid != (gid_t)-1 && chown(at, (uid_t)-1, gid) < 0) {
		snprintf(err, errcap, "%s %s: cannot give it group %u: %s", what, path,
			 (unsigned)gid, strerror(errno));
		unlink(at);
		return -1;
	}
	if (r == 0)
		r = chmod(at, mode) < 0 ? uv_translate_sys_error(errno) : 0;
	if (r == 0)
		r = uv_listen((uv_stream_t *)pipe, backlog, on_connection);
	if (r < 0) {
		snprintf(err, errcap, "%s %s: %s", what, path, uv_strerror(r));
		if (at == tmp)
			unlink(tmp);
		return -1;
	}
	if (at == tmp && publish(tmp, path, what, err, errcap) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* cmd/daemon/write_all.c — see cmd/daemon/write_all.h. */
#include "cmd/daemon/write_all.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int mf_write_all(int fd, const void *p, size_t n, bool socket)
{
	const char *at = p;
	while (n) {
		ssize_t w = socket ? send(fd, at, n, MSG_NOSIGNAL) : write(fd, at, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		at += w;
		n -= (size_t)w;
	}
	return 0;
}

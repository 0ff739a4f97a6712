/* cmd/haproxy/haproxy_run.c — see cmd/haproxy/haproxy_run.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd/haproxy/haproxy_run.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "routing/route_proto.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define MAX_LINE ((size_t)256 * 1024 * 1024) /* a snapshot of 1,000 DCs is < 1 MB */

struct loop {
	struct mf_hap_opts *o;
	const struct mf_log *log;
	int fd;                 /* route socket, -1 when not connected */
	struct mf_rp_client rp;
	char *buf;              /* bytes read, not yet a whole line */
	size_t len, cap;
	long haproxy_pid;       /* last seen; 0 unknown */
	bool alive;             /* the admin socket answered at the last tick */
	bool ticked;            /* alive is known */
	bool warned_down;       /* "cannot reach the agent" logged this streak */
	long long next_connect; /* monotonic ms */
	int backoff;            /* ms; reset by the agent's hello */
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int route_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void retry_later(struct loop *l)
{
	l->next_connect = now_ms() + l->backoff;
	l->backoff = l->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff * 2;
}

static void drop(struct loop *l, const char *why)
{
	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	l->len = 0;
	retry_later(l);
	mf_log_warn(l->log, "route socket: %s; HAProxy keeps table version %llu, reconnecting", why,
		    (unsigned long long)l->rp.table.version);
}

/* Sends one line (with its '\n') and frees it; drops the connection when
 * the agent is gone. */
static void send_line(struct loop *l, char *line, size_t len)
{
	size_t off = 0;
	while (l->fd >= 0 && off < len) {
		ssize_t w = send(l->fd, line + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			drop(l, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	free(line);
}

static int send_health(struct loop *l)
{
	char *line;
	size_t len;
	int r = mf_rp_encode_health(l->alive, &line, &len);
	if (r < 0)
		return r;
	send_line(l, line, len);
	return 0;
}

/* Connected: resume or subscribe, register, report health at once. */
static int on_connect(struct loop *l)
{
	char *line;
	size_t len;
	int r;
	if ((r = mf_rp_client_hello_line(&l->rp, true, &line, &len)) < 0)
		return r;
	send_line(l, line, len);
	if ((r = mf_rp_encode_register(&l->o->gw, &line, &len)) < 0)
		return r;
	send_line(l, line, len);
	if ((r = send_health(l)) < 0)
		return r;
	if (l->fd >= 0)
		mf_log_info(l->log, "route socket: subscribed at %s, registering gateway %s (%s)",
			    l->o->route_socket, l->o->gw.name, l->o->gw.wan);
	return 0;
}

static void sync_table(struct loop *l)
{
	if (!l->rp.have_table)
		return;
	int r = mf_hap_sync_run(&l->o->sync, &l->rp.table);
	if (r > 0)
		mf_log_info(l->log, "haproxy: table version %llu applied with %d command%s",
			    (unsigned long long)l->rp.table.version, r, r == 1 ? "" : "s");
}

/* Every interval: is HAProxy there (health), and is it still in line? */
static int tick(struct loop *l)
{
	long pid;
	char err[512];
	bool was = l->alive;
	l->alive = mf_hap_sync_alive(&l->o->sync, &pid, err, sizeof(err)) == 0;
	if (l->alive && (!was || !l->ticked))
		mf_log_info(l->log, "haproxy: admin socket answers (pid %ld): healthy", pid);
	else if (!l->alive && (was || !l->ticked))
		mf_log_warn(l->log, "haproxy: %s: unhealthy", err);
	l->ticked = true;
	if (l->alive && pid != l->haproxy_pid) {
		if (l->haproxy_pid)
			mf_log_info(l->log, "haproxy: new process (pid %ld, was %ld): resyncing", pid,
				    l->haproxy_pid);
		l->haproxy_pid = pid;
	}
	int r = l->fd >= 0 ? send_health(l) : 0;
	if (l->alive)
		sync_table(l);
	return r;
}

static int on_line(struct loop *l, const char *line, size_t len)
{
	enum mf_rp_event ev = 0;
	char *reply = NULL, *detail = NULL;
	size_t reply_len = 0;
	int r = mf_rp_client_apply(&l->rp, line, len, &ev, &reply, &reply_len, &detail);
	if (r == MF_EMALFORMED) {
		mf_log_warn(l->log, "route socket: ignored a line that is not a protocol message");
		return 0;
	}
	if (r < 0)
		return r;
	switch (ev) {
	case MF_RP_EV_SNAPSHOT:
	case MF_RP_EV_DELTA:
		/* Into HAProxy first: the ack tells the agent it is applied. */
		sync_table(l);
		break;
	case MF_RP_EV_HELLO:
		l->backoff = BACKOFF_MIN_MS;
		break;
	case MF_RP_EV_REJECTED:
		mf_log_warn(l->log, "route socket: update not applied (%s); asked for a snapshot",
			    detail ? detail : "no reason");
		break;
	case MF_RP_EV_REGISTERED:
		mf_log_info(l->log, "route socket: gateway %s registered", l->o->gw.name);
		break;
	case MF_RP_EV_ERROR:
		mf_log_warn(l->log, "route socket: the agent says: %s", detail ? detail : "error");
		break;
	default:
		break;
	}
	free(detail);
	if (reply)
		send_line(l, reply, reply_len);
	return 0;
}

/* Reads what is there and handles every whole line. */
static int on_readable(struct loop *l)
{
	if (l->cap - l->len < 65536) {
		if ((l->cap ? 2 * l->cap : 65536) > MAX_LINE) {
			drop(l, "a line from the agent is too long");
			return 0;
		}
		if (mf_grow(&l->buf, &l->cap, l->cap + 1, 65536) < 0) {
			drop(l, "out of memory");
			return MF_ENOMEM;
		}
	}
	ssize_t n = recv(l->fd, l->buf + l->len, l->cap - l->len, 0);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		drop(l, n == 0 ? "the agent closed it" : strerror(errno));
		return 0;
	}
	l->len += (size_t)n;
	size_t start = 0;
	for (char *nl; l->fd >= 0 && (nl = memchr(l->buf + start, '\n', l->len - start));) {
		size_t end = (size_t)(nl - l->buf);
		int r = on_line(l, l->buf + start, end - start);
		if (r < 0)
			return r;
		start = end + 1;
	}
	if (l->fd < 0)
		return 0;
	memmove(l->buf, l->buf + start, l->len - start);
	l->len -= start;
	return 0;
}

/* SIGTERM and SIGINT as a file descriptor the loop polls (no handler, no
 * global flag). */
static int signals_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Stops: tells the agent the gateway is not healthy any more (it is
 * withdrawn at once instead of after 15 s of silence). */
static void on_signal(struct loop *l, int sfd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(sfd, &si, sizeof(si));
	mf_log_info(l->log, "meshfed haproxy: stopping on %s; HAProxy keeps table version %llu",
		    n == (ssize_t)sizeof(si) ? strsignal((int)si.ssi_signo) : "a signal",
		    (unsigned long long)l->rp.table.version);
	l->alive = false;
	if (l->fd >= 0)
		(void)send_health(l);
}

int mf_hap_run(struct mf_hap_opts *o)
{
	struct loop l = {.o = o, .log = o->sync.log, .fd = -1, .backoff = BACKOFF_MIN_MS};
	mf_rp_client_init(&l.rp);
	long long next_tick = 0;
	int r = 0, sfd = signals_fd();
	if (sfd < 0) {
		mf_log_error(l.log, "signalfd: %s", strerror(errno));
		r = MF_EIO;
	}
	while (r == 0) {
		long long now = now_ms();
		if (now >= next_tick) {
			r = tick(&l);
			next_tick = now + o->interval_ms;
			continue;
		}
		if (l.fd < 0 && now >= l.next_connect) {
			l.fd = route_connect(o->route_socket);
			if (l.fd >= 0) {
				l.warned_down = false;
				r = on_connect(&l);
			} else {
				if (!l.warned_down)
					mf_log_warn(l.log, "route socket: no agent at %s (%s); retrying",
						    o->route_socket, strerror(-l.fd));
				l.warned_down = true;
				l.fd = -1;
				retry_later(&l);
			}
			continue;
		}
		long long until = next_tick;
		if (l.fd < 0 && l.next_connect < until)
			until = l.next_connect;
		struct pollfd p[2] = {{sfd, POLLIN, 0}, {l.fd, POLLIN, 0}}; /* fd -1: ignored */
		int n = poll(p, 2, (int)(until - now));
		if (n < 0 && errno != EINTR) {
			mf_log_error(l.log, "poll: %s", strerror(errno));
			r = MF_EIO;
		} else if (n > 0 && p[0].revents) {
			on_signal(&l, sfd);
			break;
		} else if (n > 0 && p[1].revents) {
			r = on_readable(&l);
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (l.fd >= 0)
		close(l.fd);
	free(l.buf);
	mf_rp_client_free(&l.rp);
	return r;
}

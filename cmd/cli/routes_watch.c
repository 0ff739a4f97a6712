/* cmd/cli/routes_watch.c — see cmd/cli/routes_watch.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"
#include "cmd/cli/routes_watch.h"
#include "cmd/daemon/write_all.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "routing/route_proto.h"

/* Agent lines carry whole snapshots: 1,000 DCs is well under a megabyte,
 * so this only stops an agent gone mad from eating the machine. */
#define MF_WATCH_MAX_LINE ((size_t)256 * 1024 * 1024)

struct watch {
	int fd;
	enum mf_table_format fmt;
	bool tty;                /* stdout is a terminal: clear it per redraw */
	struct mf_rp_client rp;
	char *buf;               /* bytes read, not yet a whole line */
	size_t len, cap;
};

/* Prints the table just applied; 0 or a negative code (MF_EIO: stdout). */
static int print_table(struct watch *w)
{
	const struct mf_table *t = &w->rp.table;
	char *out = NULL;
	if (w->fmt == MF_TABLE_JSON) {
		json_t *o = mf_table_to_json(t);
		if (!o)
			return MF_ENOMEM;
		out = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
		json_decref(o);
		if (!out)
			return MF_ENOMEM;
		printf("%s\n", out);
	} else {
		int r = mf_table_format(t, MF_TABLE_TEXT, &out);
		if (r < 0)
			return r;
		if (w->tty)
			fputs("\033[H\033[2J", stdout);
		printf("== %s, version %llu (agent %s)\n", t->datacenter ? t->datacenter : "?",
		       (unsigned long long)t->version, w->rp.node ? w->rp.node : "?");
		fputs(out, stdout);
		if (!w->tty)
			putchar('\n');
	}
	free(out);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : MF_EIO;
}

/* One line from the agent. Returns 0, or the exit code to stop with. */
static int on_line(struct watch *w, const char *line, size_t len)
{
	enum mf_rp_event ev = 0;
	char *reply = NULL, *detail = NULL;
	size_t reply_len = 0;
	int r = mf_rp_client_apply(&w->rp, line, len, &ev, &reply, &reply_len, &detail);
	int rc = 0;
	if (r == MF_EUNKNOWN) /* a message type of a newer agent: ignorable */
		goto out;
	if (r == MF_EMALFORMED) {
		mf_cli_error("routes", "ignored a line from the agent that is not a route socket "
				       "message");
		goto out;
	}
	if (r == MF_EINVAL) { /* every update would be nacked: leave */
		mf_cli_error("routes", "the agent speaks another route socket protocol (%s)",
			     detail ? detail : "not 1");
		rc = MF_EXIT_FAIL;
		goto out;
	}
	if (r < 0) {
		mf_cli_error("routes", "applying the agent's update: %s", mf_strerror(r));
		rc = MF_EXIT_FAIL;
		goto out;
	}
	/* Acknowledge first: the agent holds our next update until we do. */
	if (reply && (r = mf_write_all(w->fd, reply, reply_len, true)) < 0) {
		mf_cli_error("routes", "the agent closed the route socket (%s)", strerror(-r));
		rc = MF_EXIT_FAIL;
		goto out;
	}
	switch (ev) {
	case MF_RP_EV_SNAPSHOT:
	case MF_RP_EV_DELTA:
		if ((r = print_table(w)) < 0) {
			mf_cli_error("routes", "writing the table: %s",
				     r == MF_EIO ? strerror(errno) : mf_strerror(r));
			rc = MF_EXIT_FAIL;
		}
		break;
	case MF_RP_EV_REJECTED:
		mf_cli_error("routes", "could not apply an update (%s); asked for a snapshot",
			     detail ? detail : "no reason");
		break;
	case MF_RP_EV_ERROR:
		mf_cli_error("routes", "the agent says: %s", detail ? detail : "error");
		break;
	default:
		break;
	}
out:
	free(reply);
	free(detail);
	return rc;
}

/* Reads what is there and handles every whole line. Returns 0 to go on or
 * the exit code. */
static int on_readable(struct watch *w)
{
	if (w->cap - w->len < 65536) {
		if (w->cap >= MF_WATCH_MAX_LINE) {
			mf_cli_error("routes", "a line from the agent is over %zu MB",
				     MF_WATCH_MAX_LINE >> 20);
			return MF_EXIT_FAIL;
		}
		if (mf_grow(&w->buf, &w->cap, w->cap + 1, 262144) < 0) {
			mf_cli_error("routes", "out of memory");
			return MF_EXIT_FAIL;
		}
	}
	ssize_t n = recv(w->fd, w->buf + w->len, w->cap - w->len, 0);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		if (n < 0)
			mf_cli_error("routes", "the agent closed the route socket (%s)",
				     strerror(errno));
		else
			mf_cli_error("routes", "the agent closed the route socket");
		return MF_EXIT_FAIL;
	}
	size_t start = 0, scan = w->len;
	w->len += (size_t)n;
	char *nl;
	while ((nl = memchr(w->buf + scan, '\n', w->len - scan))) {
		size_t end = (size_t)(nl - w->buf);
		int rc = on_line(w, w->buf + start, end - start);
		if (rc)
			return rc;
		start = scan = end + 1;
	}
	memmove(w->buf, w->buf + start, w->len - start);
	w->len -= start;
	return 0;
}

int mf_routes_watch(const char *path, enum mf_table_format fmt)
{
	char err[512];
	struct watch w = {.fmt = fmt, .tty = isatty(STDOUT_FILENO) == 1};
	w.fd = mf_ctl_connect(path, "route-socket", err, sizeof(err));
	if (w.fd < 0) {
		mf_cli_error("routes", "%s", err);
		return MF_EXIT_FAIL;
	}
	mf_rp_client_init(&w.rp);
	int rc = 0;
	while (!rc) {
		struct pollfd p = {w.fd, POLLIN, 0};
		int r = poll(&p, 1, MF_WATCH_SILENCE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mf_cli_error("routes", "poll: %s", strerror(errno));
			rc = MF_EXIT_FAIL;
		} else if (r == 0) {
			mf_cli_error("routes", "no word from the agent for %d s (it sends a "
					       "heartbeat every 5 s)", MF_WATCH_SILENCE_MS / 1000);
			rc = MF_EXIT_FAIL;
		} else {
			rc = on_readable(&w);
		}
	}
	mf_rp_client_free(&w.rp);
	free(w.buf);
	close(w.fd);
	return rc;
}

/*
 * cmd/agent/agent_snapshot.c — the -snapshot file of each pool (the WAN pool at
 * PATH, an area at PATH.<area>): the shell around cmd/agent/snapshot.h.
 *
 *  start:   read and replay the file (a corrupt line or a truncated tail is
 *           reported and skipped, never fatal), write it back compacted
 *           (temporary file, fsync, rename), witness serf's clocks from it,
 *           and hand its alive members to the rejoin (serf -rejoin);
 *  events:  join/update -> "alive: NAME ADDR", failed/left -> "not-alive",
 *           buffered in memory;
 *  timer:   every MF_SNAPSHOT_FLUSH_MS the clocks that moved are added and
 *           the buffer written (a crash loses at most that much); then a
 *           fdatasync on libuv's thread pool, at most one at a time, so a
 *           power loss loses at most about one flush interval and a slow
 *           disk never blocks the loop; compaction when the file has grown
 *           past twice its compacted size (at least MF_SNAPSHOT_COMPACT_MIN);
 *  leave:   "leave", written and synced, and nothing after it: a left
 *           agent rejoins nobody.
 *
 * Failing writes are logged once and counted; the agent runs on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/daemon/write_all.h"
#include "gossip/grow.h"

#define MF_SNAPSHOT_FLUSH_MS 500
#define MF_SNAPSHOT_COMPACT_MIN (128 * 1024)
#define MF_SNAPSHOT_READ_MAX (64 * 1024 * 1024)

struct mf_agent_snapshot {
	struct mf_agent_pool *ap;
	char path[MF_CONFIG_PATH_MAX + MF_CONFIG_AREA_NAME_MAX + 2];
	int fd;
	struct mf_snapshot st;   /* the file's content, kept current */
	char *buf;               /* records not yet written */
	size_t len, cap;
	uint64_t clock, event_clock, query_clock; /* last recorded */
	size_t size, compacted;  /* bytes in the file, after the last compaction */
	bool unsynced, syncing;
	bool left;               /* our leave is recorded: nothing after it */
	uv_fs_t sync_req;
	uint64_t write_errors;
};

static void add_record(struct mf_agent_snapshot *s, const char *rec, size_t n)
{
	if (n == 0)
		return;
	if (mf_grow(&s->buf, &s->cap, s->len + n, 4096) < 0) {
		s->write_errors++;
		return;
	}
	memcpy(s->buf + s->len, rec, n);
	s->len += n;
}

static void record_clocks(struct mf_agent_snapshot *s)
{
	const struct mf_serf_glue *g = &s->ap->glue;
	char rec[64];
	if (g->clock != s->clock)
		add_record(s, rec, mf_snapshot_fmt_clock(rec, sizeof(rec), "clock", g->clock));
	if (g->event_clock != s->event_clock)
		add_record(s, rec,
			   mf_snapshot_fmt_clock(rec, sizeof(rec), "event-clock", g->event_clock));
	if (g->query_clock != s->query_clock)
		add_record(s, rec,
			   mf_snapshot_fmt_clock(rec, sizeof(rec), "query-clock", g->query_clock));
	s->st.clock = s->clock = g->clock;
	s->st.event_clock = s->event_clock = g->event_clock;
	s->st.query_clock = s->query_clock = g->query_clock;
}

static void write_error(struct mf_agent_snapshot *s, const char *what, int err)
{
	if (s->write_errors++ == 0)
		mf_log_error(&s->ap->agent->log, "snapshot %s: %s: %s (further errors counted)",
			     s->path, what, strerror(-err));
}

/* The compacted state to path.tmp, synced, renamed over path, reopened. */
static int compact(struct mf_agent_snapshot *s)
{
	char tmp[sizeof(s->path) + 8], *text;
	size_t len;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	if (mf_snapshot_compact(&s->st, &text, &len) < 0)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = fd < 0 ? -errno : mf_write_all(fd, text, len, false);
	free(text);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r == 0 && rename(tmp, s->path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	int nfd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (nfd < 0)
		return -errno;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = nfd;
	s->size = s->compacted = len;
	s->unsynced = false;
	return 0;
}

static void on_synced(uv_fs_t *req)
{
	struct mf_agent_snapshot *s = req->data;
	if (req->result < 0)
		write_error(s, "fdatasync", (int)req->result);
	uv_fs_req_cleanup(req);
	s->syncing = false;
}

static void flush(struct mf_agent_snapshot *s, bool sync_now)
{
	if (!s->left)
		record_clocks(s);
	if (s->fd < 0)
		return;
	if (s->len) {
		int r = mf_write_all(s->fd, s->buf, s->len, false);
		if (r < 0) {
			write_error(s, "write", r);
		} else {
			s->size += s->len;
			s->unsynced = true;
		}
		s->len = 0;
	}
	size_t limit = s->compacted * 2 > MF_SNAPSHOT_COMPACT_MIN ? s->compacted * 2
								 : MF_SNAPSHOT_COMPACT_MIN;
	if (s->size > limit && !s->syncing) {
		int r = compact(s);
		if (r < 0)
			write_error(s, "compaction", r);
	}
	if (!s->unsynced)
		return;
	if (sync_now) {
		if (fdatasync(s->fd) < 0)
			write_error(s, "fdatasync", -errno);
		s->unsynced = false;
	} else if (!s->syncing) {
		s->sync_req.data = s;
		if (uv_fs_fdatasync(&s->ap->agent->loop, &s->sync_req, s->fd, on_synced) == 0) {
			s->syncing = true;
			s->unsynced = false;
		}
	}
}

static void on_flush_timer(uv_timer_t *t)
{
	struct mf_agent *a = t->data;
	for (size_t i = 0; i < a->n_pools; i++)
		if (a->pools[i]->snap)
			flush(a->pools[i]->snap, false);
}

void mf_agent_snapshot_event(struct mf_agent_pool *ap, const struct mf_pool_event *ev,
			     const struct mf_member *m)
{
	struct mf_agent_snapshot *s = ap->snap;
	char rec[MF_NAME_MAX + MF_SNAPSHOT_ADDR_MAX + 32], addr[MF_SNAPSHOT_ADDR_MAX];
	if (!s || !ev->name || s->left)
		return;
	if ((ev->kind == MF_EV_JOIN || ev->kind == MF_EV_UPDATE) && m) {
		mf_addr_format(&m->addr, addr, sizeof(addr));
		if (mf_snapshot_alive(&s->st, ev->name, addr) == 0)
			add_record(s, rec, mf_snapshot_fmt_alive(rec, sizeof(rec), ev->name, addr));
	} else if (ev->kind == MF_EV_FAILED || ev->kind == MF_EV_LEFT) {
		mf_snapshot_not_alive(&s->st, ev->name);
		add_record(s, rec, mf_snapshot_fmt_not_alive(rec, sizeof(rec), ev->name));
	}
}

void mf_agent_snapshot_leave(struct mf_agent_pool *ap)
{
	struct mf_agent_snapshot *s = ap->snap;
	char rec[16];
	if (!s || s->left)
		return;
	record_clocks(s);
	mf_snapshot_leave(&s->st);
	add_record(s, rec, mf_snapshot_fmt_leave(rec, sizeof(rec)));
	s->left = true;
	flush(s, true);
}

/* The file's bytes (at most MF_SNAPSHOT_READ_MAX); a missing file is empty. */
static int read_file(const char *path, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	size_t cap = 0;
	int r = 0;
	for (;;) {
		if (*len == cap) {
			if (cap >= MF_SNAPSHOT_READ_MAX)
				break; /* the rest is ignored, as a truncated tail */
			if (mf_grow(out, &cap, cap + 1, 65536) < 0) {
				r = -ENOMEM;
				break;
			}
		}
		ssize_t n = read(fd, *out + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return r;
}

int mf_agent_snapshot_open(struct mf_agent_pool *ap, char *err, size_t errcap)
{
	struct mf_agent *a = ap->agent;
	if (!a->cfg->snapshot[0])
		return 0;
	struct mf_agent_snapshot *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	s->ap = ap;
	s->fd = -1;
	mf_snapshot_init(&s->st);
	snprintf(s->path, sizeof(s->path), "%s%s%s", a->cfg->snapshot, ap->area ? "." : "",
		 ap->area ? ap->name : "");
	ap->snap = s;
	char *text;
	size_t len;
	int r = read_file(s->path, &text, &len);
	if (r < 0) {
		/* Unreadable is not corrupt: the operator must fix the path. */
		snprintf(err, errcap, "snapshot %s: %s", s->path, strerror(-r));
		return -1;
	}
	r = mf_snapshot_replay(&s->st, text ? text : "", len);
	free(text);
	if (r < 0) {
		snprintf(err, errcap, "snapshot %s: out of memory", s->path);
		return -1;
	}
	if (s->st.bad_lines || s->st.truncated)
		mf_log_warn(&a->log, "snapshot %s: %zu corrupt lines skipped, %zu bytes of a "
			    "truncated last line ignored; kept %zu records", s->path,
			    s->st.bad_lines, s->st.truncated, s->st.records);
	if (len)
		mf_log_info(&a->log, "snapshot %s: %zu members known alive, clock %llu%s", s->path,
			    s->st.n_alive, (unsigned long long)s->st.clock,
			    s->st.left ? ", left gracefully: not rejoining" : "");
	mf_serf_clock_witness(&ap->glue.clock, s->st.clock);
	mf_serf_clock_witness(&ap->glue.event_clock, s->st.event_clock);
	mf_serf_clock_witness(&ap->glue.query_clock, s->st.query_clock);
	record_clocks(s);
	r = compact(s);
	if (r < 0) {
		snprintf(err, errcap, "snapshot %s: cannot write it: %s", s->path, strerror(-r));
		return -1;
	}
	if (!a->snap_timer_open) {
		uv_timer_init(&a->loop, &a->snap_timer);
		a->snap_timer.data = a;
		a->snap_timer_open = true;
		uv_timer_start(&a->snap_timer, on_flush_timer, MF_SNAPSHOT_FLUSH_MS,
			       MF_SNAPSHOT_FLUSH_MS);
	}
	return 0;
}

size_t mf_agent_snapshot_rejoin_addrs(struct mf_agent_pool *ap, const char **addrs, size_t max)
{
	struct mf_agent_snapshot *s = ap->snap;
	size_t n = 0;
	for (size_t i = 0; s && i < s->st.n_alive && n < max; i++)
		if (strcmp(s->st.alive[i].name, ap->agent->cfg->node) != 0)
			addrs[n++] = s->st.alive[i].addr;
	return n;
}

json_t *mf_agent_snapshot_info(struct mf_agent_pool *ap)
{
	struct mf_agent_snapshot *s = ap->snap;
	if (!s)
		return json_null();
	return json_pack("{s:s,s:I,s:I,s:I,s:I}", "path", s->path, "alive",
			 (json_int_t)s->st.n_alive, "bytes", (json_int_t)s->size, "clock",
			 (json_int_t)s->st.clock, "write_errors", (json_int_t)s->write_errors);
}

void mf_agent_snapshot_close(struct mf_agent *a)
{
	if (a->snap_timer_open) {
		uv_close((uv_handle_t *)&a->snap_timer, NULL);
		a->snap_timer_open = false;
	}
	for (size_t i = 0; i < a->n_pools; i++)
		if (a->pools[i]->snap)
			flush(a->pools[i]->snap, true);
}

/* After the loop has run (no fdatasync in flight). */
void mf_agent_snapshot_free(struct mf_agent_pool *ap)
{
	struct mf_agent_snapshot *s = ap->snap;
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	mf_snapshot_free(&s->st);
	free(s->buf);
	free(s);
	ap->snap = NULL;
}

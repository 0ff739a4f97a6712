/* cmd/haproxy/haproxy_sync.c — see cmd/haproxy/haproxy_sync.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/haproxy/haproxy_admin.h"
#include "cmd/haproxy/haproxy_plan.h"
#include "cmd/haproxy/haproxy_state.h"
#include "cmd/haproxy/haproxy_sync.h"
#include "gossip/err.h"

void mf_hap_sync_free(struct mf_hap_sync *s)
{
	free(s->written);
	free(s->warned);
	s->written = s->warned = NULL;
}

/* The map file replaced in one rename: a reload reads the old or the new
 * map, never half of one. */
static int write_atomic(const char *path, const char *data, size_t len, char *err, size_t errcap)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errcap, "map file path too long");
		return MF_EINVAL;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errcap, "%.300s: %s", tmp, strerror(errno));
		return MF_EIO;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		off += (size_t)w;
	}
	int e = off < len ? errno : 0;
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		snprintf(err, errcap, "%.300s: %s", path, strerror(e));
		return MF_EIO;
	}
	return 0;
}

static int call(const struct mf_hap_sync *s, const char *cmd, char **out, size_t *len)
{
	char err[512];
	int r = mf_hap_admin_call(s->admin, cmd, s->timeout_ms, out, len, err, sizeof(err));
	if (r < 0)
		mf_log_warn(s->log, "haproxy: %s", err);
	return r;
}

/* What HAProxy holds now: its slot backends and the map. */
static int read_state(const struct mf_hap_sync *s, struct mf_hap_state *cur)
{
	char *out, cmd[4200];
	size_t len;
	int r = call(s, "show stat", &out, &len);
	if (r < 0)
		return r;
	r = mf_hap_parse_stat(out, len, s->slot_prefix, cur);
	free(out);
	if (r < 0) {
		mf_log_warn(s->log, "haproxy: cannot read `show stat`: %s", mf_strerror(r));
		return r;
	}
	if (cur->n_slots == 0)
		mf_log_warn(s->log, "haproxy: no backend named %s<N>: every remote DC is refused "
				    "(see docs/haproxy.cfg)", s->slot_prefix);
	snprintf(cmd, sizeof(cmd), "show map %s", s->map_file);
	if ((r = call(s, cmd, &out, &len)) < 0)
		return r;
	r = mf_hap_parse_map(out, len, cur);
	if (r == MF_EMALFORMED)
		mf_log_warn(s->log, "haproxy: `%s` answered \"%.*s\": is -map-file the map named "
				    "in haproxy.cfg?", cmd, (int)strcspn(out, "\n"), out);
	free(out);
	return r;
}

/* Logs targets left out or cut short, once per distinct list. */
static void warn_exhaustion(struct mf_hap_sync *s, const struct mf_hap_plan *p)
{
	char msg[1024] = "";
	size_t n = 0;
	for (size_t i = 0; i < p->n_unslotted && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? " " : "no free slot backend for: ",
				      p->unslotted[i]);
	for (size_t i = 0; i < p->n_truncated && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
				      i ? " " : (n ? "; more gateways than servers for: "
						   : "more gateways than servers for: "),
				      p->truncated[i]);
	if (s->warned && strcmp(s->warned, msg) == 0)
		return;
	free(s->warned);
	s->warned = strdup(msg);
	if (msg[0])
		mf_log_warn(s->log, "haproxy: %s (declare more in haproxy.cfg)", msg);
}

int mf_hap_sync_run(struct mf_hap_sync *s, const struct mf_table *t)
{
	struct mf_hap_state cur = {0};
	struct mf_hap_plan p = {0};
	char *map = NULL, err[512];
	size_t len;
	int r = read_state(s, &cur);
	if (r < 0)
		goto out;
	if ((r = mf_hap_plan(&cur, t, s->map_file, &p)) < 0) {
		mf_log_warn(s->log, "haproxy: cannot plan table version %llu: %s",
			    (unsigned long long)t->version, mf_strerror(r));
		goto out;
	}
	warn_exhaustion(s, &p);
	for (size_t i = 0; i < p.n_cmds; i++) {
		char *ans;
		if ((r = call(s, p.cmds[i], &ans, &len)) < 0)
			goto out;
		bool ok = mf_hap_admin_ok(p.cmds[i], ans);
		if (ok)
			mf_log_info(s->log, "haproxy: %s", p.cmds[i]);
		else
			mf_log_warn(s->log, "haproxy: `%s` refused: %.*s", p.cmds[i],
				    (int)strcspn(ans, "\n"), ans);
		free(ans);
		if (!ok) {
			r = MF_EIO;
			goto out;
		}
	}
	if ((r = mf_hap_map_render(&p.want, &map, &len)) < 0)
		goto out;
	if (!s->written || strcmp(s->written, map) != 0) {
		if ((r = write_atomic(s->map_file, map, len, err, sizeof(err))) < 0) {
			mf_log_warn(s->log, "haproxy: cannot rewrite the map file: %s", err);
			goto out;
		}
		free(s->written);
		s->written = map;
		map = NULL;
	}
	r = (int)p.n_cmds;
out:
	free(map);
	mf_hap_plan_free(&p);
	mf_hap_state_free(&cur);
	return r;
}

int mf_hap_sync_alive(const struct mf_hap_sync *s, long *pid, char *err, size_t errcap)
{
	char *out;
	size_t len;
	*pid = 0;
	int r = mf_hap_admin_call(s->admin, "show info", s->timeout_ms, &out, &len, err, errcap);
	if (r < 0)
		return r;
	const char *p = strstr(out, "\nPid: ");
	if (!p && strncmp(out, "Pid: ", 5) == 0)
		p = out - 1;
	if (p)
		*pid = strtol(p + 6, NULL, 10);
	if (!p)
		snprintf(err, errcap, "`show info` at %s names no Pid", s->admin);
	free(out);
	return p ? 0 : MF_EMALFORMED;
}

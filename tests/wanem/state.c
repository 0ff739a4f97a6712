#include "tests/wanem/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "gossip/err.h"

void mf_wanem_state_dir(const char *instance, char *buf, size_t len)
{
	const char *run = getenv("WANEM_RUN_DIR");
	snprintf(buf, len, "%s/%s", run && *run ? run : "/run/wanem", instance);
}

int mf_wanem_state_append(const char *dir, const char *line)
{
	char path[MF_WANEM_PATH_MAX], buf[256];
	snprintf(path, sizeof path, "%s/state", dir);
	int len = snprintf(buf, sizeof buf, "%s\n", line);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return MF_EIO;
	ssize_t w = write(fd, buf, (size_t)len);
	int rc = (w == len) ? 0 : MF_EIO;
	if (close(fd) < 0)
		rc = MF_EIO;
	return rc;
}

int mf_wanem_state_lock(const char *dir, int exclusive)
{
	char path[MF_WANEM_PATH_MAX];
	snprintf(path, sizeof path, "%s/lock", dir);
	/* only up and down create it: an exec racing a down must not leave a
	 * fresh lock file in the directory down is removing */
	int fd = open(path, O_RDWR | O_CLOEXEC | (exclusive ? O_CREAT : 0), 0644);
	if (fd < 0)
		return MF_EIO;
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			close(fd);
			return MF_EIO;
		}
	}
	return fd;
}

unsigned long long mf_wanem_proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parens: fields resume after the last ')',
	 * with field 3 (state) first and field 22 (starttime) 20th. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save);
	if (!tok || *tok == 'Z' || *tok == 'X') /* a zombie is gone for us */
		return 0;
	for (int field = 3; tok && field < 22; field++)
		tok = strtok_r(NULL, " ", &save);
	return tok ? strtoull(tok, NULL, 10) : 0;
}

static int add_proc(struct mf_wanem_proc **v, size_t *n, pid_t pid,
		    unsigned long long start)
{
	struct mf_wanem_proc *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return MF_ENOMEM;
	nv[*n].pid = pid;
	nv[*n].start = start;
	*v = nv;
	(*n)++;
	return 0;
}

int mf_wanem_state_read(const char *dir, struct mf_wanem_state *st)
{
	memset(st, 0, sizeof *st);
	char path[MF_WANEM_PATH_MAX], line[256];
	snprintf(path, sizeof path, "%s/state", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? MF_ENOTFOUND : MF_EIO;
	int rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		char name[64];
		int pid;
		unsigned long long start;
		if (sscanf(line, "router %d %llu", &pid, &start) == 2) {
			st->router.pid = pid;
			st->router.start = start;
		} else if (sscanf(line, "pid %d %llu", &pid, &start) == 2) {
			rc = add_proc(&st->procs, &st->n_procs, pid, start);
		} else if (strncmp(line, "closing", 7) == 0) {
			st->closing = 1;
		} else if (sscanf(line, "netns %63s", name) == 1) {
			void *nv = realloc(st->netns, (st->n_netns + 1) * sizeof *st->netns);
			if (!nv) {
				rc = MF_ENOMEM;
				break;
			}
			st->netns = nv;
			snprintf(st->netns[st->n_netns++], 64, "%s", name);
		}
	}
	fclose(f);
	if (rc)
		mf_wanem_state_free(st);
	return rc;
}

void mf_wanem_state_free(struct mf_wanem_state *st)
{
	free(st->netns);
	free(st->procs);
	memset(st, 0, sizeof *st);
}

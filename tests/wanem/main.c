/*
 * wanem — a network-level WAN emulator for multi-datacenter tests.
 *
 * The command-line front: `up` builds one network namespace per host of a
 * topology file and starts the delay stage (router.c); `exec` runs a command
 * inside a host; `link`, `delay`, `loss`, `partition`, `heal` change the WAN
 * at run time through the router's control socket; `down` removes it all
 * from the state file (state.h), also after a crash. See README.md.
 */
#define _GNU_SOURCE /* setns, unshare, pipe2, accept4 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gossip/err.h"
#include "routing/topology.h"
#include "tests/wanem/hosts.h"
#include "tests/wanem/router.h"
#include "tests/wanem/state.h"

#define UP_TIMEOUT_MS 10000

static const char USAGE[] =
	"usage: wanem [-i INSTANCE] COMMAND [ARGS]\n"
	"\n"
	"  up TOPOLOGY.json          build the hosts of the topology and start the WAN\n"
	"  down                      stop what `up` and `exec` started, remove every\n"
	"                            namespace and device (works after a crash too)\n"
	"  exec HOST -- CMD [ARG...] run CMD inside HOST's namespace (tracked; the\n"
	"                            environment gets WANEM_HOST and WANEM_ADDR)\n"
	"  hosts                     list hosts: name, datacenter, address, namespace\n"
	"  addr HOST                 print HOST's address\n"
	"  link DC_A DC_B down|up [oneway]\n"
	"                            take a link down (both directions, or with\n"
	"                            oneway only DC_A -> DC_B) or up again\n"
	"  delay DC_A DC_B RTT_MS    set a link's round-trip time (one way = half)\n"
	"  loss DC_A DC_B PERCENT    set a link's loss, each direction\n"
	"  partition G_A G_B         cut every link between two groups of DCs; a\n"
	"                            group is a comma-separated list: dc1,dc2\n"
	"  heal                      undo every partition and every `link down`\n"
	"  show                      print the links' current settings\n"
	"  stats                     print the router's packet counters\n"
	"\n"
	"Hosts are <dc>-s<i> (servers) and <dc>-g<i> (gateways) with addresses\n"
	"198.18.<dc#>.<i> and 198.18.<dc#>.<100+i>, dc# counting from 1 in file order.\n"
	"INSTANCE (default: $WANEM_INSTANCE, else \"default\") keeps parallel runs\n"
	"apart; state lives in $WANEM_RUN_DIR/INSTANCE (default /run/wanem). Needs root.\n";

struct cli {
	const char *instance;
	char dir[MF_WANEM_PATH_MAX];
};

static int run_ip_batch(const char *input, bool force)
{
	int p[2];
	if (pipe(p) < 0)
		return MF_EIO;
	pid_t pid = fork();
	if (pid < 0)
		return MF_EIO;
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		if (force)
			execlp("ip", "ip", "-force", "-batch", "-", (char *)NULL);
		else
			execlp("ip", "ip", "-batch", "-", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	size_t len = strlen(input), off = 0;
	while (off < len) {
		ssize_t w = write(p[1], input + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(p[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : MF_EIO;
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* ---- down ---------------------------------------------------------------- */

struct victims {
	struct mf_wanem_proc *v;
	size_t n, cap;
};

static void victim_add(struct victims *vs, pid_t pid, unsigned long long start)
{
	if (pid <= 1 || pid == getpid() || start == 0)
		return;
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].pid == pid)
			return;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 64;
		void *nv = realloc(vs->v, cap * sizeof *vs->v);
		if (!nv)
			return;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n].pid = pid;
	vs->v[vs->n++].start = start;
}

/* Every process living in one of the namespaces (what `ip netns pids`
 * finds): whatever `exec` started, and whatever those started. */
static void collect_ns_members(const struct mf_wanem_state *st,
			       struct victims *vs)
{
	ino_t *ino = calloc(st->n_netns + 1, sizeof *ino);
	dev_t *dev = calloc(st->n_netns + 1, sizeof *dev);
	size_t n = 0;
	if (!ino || !dev)
		goto out;
	for (size_t i = 0; i < st->n_netns; i++) {
		char path[128];
		struct stat sb;
		snprintf(path, sizeof path, "/run/netns/%s", st->netns[i]);
		if (stat(path, &sb) == 0) {
			ino[n] = sb.st_ino;
			dev[n++] = sb.st_dev;
		}
	}
	if (n == 0)
		goto out;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64];
		struct stat sb;
		snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
		if (stat(path, &sb) < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (sb.st_ino == ino[i] && sb.st_dev == dev[i])
				victim_add(vs, (pid_t)pid,
					   mf_wanem_proc_start((pid_t)pid));
	}
	if (d)
		closedir(d);
out:
	free(ino);
	free(dev);
}

static bool alive(const struct mf_wanem_proc *p)
{
	unsigned long long s = mf_wanem_proc_start(p->pid);
	return s != 0 && s == p->start;
}

/* SIGTERM, a grace period, then SIGKILL for what is still there. */
static void kill_all(struct victims *vs, long grace_ms)
{
	for (size_t i = 0; i < vs->n; i++)
		if (alive(&vs->v[i]))
			kill(vs->v[i].pid, SIGTERM);
	for (int round = 0; round < 2; round++) {
		for (long waited = 0; waited < grace_ms; waited += 10) {
			bool any = false;
			for (size_t i = 0; i < vs->n && !any; i++)
				any = alive(&vs->v[i]);
			if (!any)
				return;
			sleep_ms(10);
		}
		for (size_t i = 0; i < vs->n; i++)
			if (alive(&vs->v[i]))
				kill(vs->v[i].pid, SIGKILL);
	}
}

static void remove_dir_files(const char *dir)
{
	static const char *files[] = {"state", "topology.json", "ctl.sock",
				      "router.log", "lock"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[MF_WANEM_PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	/* the run dir too, when no other instance is in it */
	char parent[MF_WANEM_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		rmdir(parent);
	}
}

static int cmd_down_locked(struct cli *c, bool quiet);

static int cmd_down(struct cli *c, bool quiet)
{
	if (!file_exists(c->dir)) {
		if (!quiet)
			printf("wanem: instance %s is not up\n", c->instance);
		return 0;
	}
	int lock = mf_wanem_state_lock(c->dir, 1);
	if (lock < 0) {
		fprintf(stderr, "wanem: cannot lock %s\n", c->dir);
		return 1;
	}
	int rc = cmd_down_locked(c, quiet);
	close(lock);
	return rc;
}

static int cmd_down_locked(struct cli *c, bool quiet)
{
	struct mf_wanem_state st;
	int rc = mf_wanem_state_read(c->dir, &st);
	if (rc == MF_ENOTFOUND) {
		if (!quiet)
			printf("wanem: instance %s is not up\n", c->instance);
		remove_dir_files(c->dir);
		return 0;
	}
	if (!rc && !st.closing)
		rc = mf_wanem_state_append(c->dir, "closing");
	if (rc) {
		fprintf(stderr, "wanem: cannot read %s/state: %s\n", c->dir,
			mf_strerror(rc));
		return 1;
	}
	/* The router first: its TUN devices vanish with it. */
	struct victims vs = {0};
	victim_add(&vs, st.router.pid, st.router.start);
	kill_all(&vs, 2000);
	vs.n = 0;
	for (size_t i = 0; i < st.n_procs; i++)
		victim_add(&vs, st.procs[i].pid, st.procs[i].start);
	/* rounds: a process may fork while we kill its parent */
	size_t killed = 0;
	for (int round = 0; round < 10; round++) {
		collect_ns_members(&st, &vs);
		if (vs.n == 0)
			break;
		kill_all(&vs, 2000);
		killed += vs.n;
		vs.n = 0;
	}
	free(vs.v);

	size_t cap = st.n_netns * 96 + 1, off = 0;
	char *batch = malloc(cap);
	if (!batch) {
		mf_wanem_state_free(&st);
		return 1;
	}
	batch[0] = '\0';
	size_t present = 0;
	for (size_t i = 0; i < st.n_netns; i++) {
		char path[128];
		snprintf(path, sizeof path, "/run/netns/%s", st.netns[i]);
		if (!file_exists(path))
			continue;
		present++;
		off += (size_t)snprintf(batch + off, cap - off, "netns del %s\n",
					st.netns[i]);
	}
	rc = present ? run_ip_batch(batch, true) : 0;
	free(batch);
	size_t left = 0;
	for (size_t i = 0; i < st.n_netns; i++) {
		char path[128];
		snprintf(path, sizeof path, "/run/netns/%s", st.netns[i]);
		if (file_exists(path)) {
			fprintf(stderr, "wanem: could not remove netns %s\n",
				st.netns[i]);
			left++;
		}
	}
	mf_wanem_state_free(&st);
	if (left)
		return 1;
	remove_dir_files(c->dir);
	if (!quiet)
		printf("wanem: instance %s down: %zu namespaces removed, %zu processes stopped\n",
		       c->instance, present, killed);
	return rc ? 1 : 0;
}

/* ---- up ------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[8192];
	size_t n;
	int rc = in && out ? 0 : MF_EIO;
	while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = MF_EIO;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = MF_EIO;
	return rc;
}

static int mkdir_p(const char *dir)
{
	char tmp[MF_WANEM_PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return MF_EIO;
			*p = '/';
		}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? MF_EIO : 0;
}

static void print_log(const char *dir)
{
	char path[MF_WANEM_PATH_MAX + 16], line[512];
	snprintf(path, sizeof path, "%s/router.log", dir);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		fputs(line, stderr);
	if (f)
		fclose(f);
}

/* The router child: detached, output to router.log, no inherited fds (a
 * caller capturing our stdout must see EOF when `up` exits). */
static void router_child(const char *dir, struct mf_wanem_router_cfg *cfg)
{
	char path[MF_WANEM_PATH_MAX + 16];
	setsid();
	snprintf(path, sizeof path, "%s/router.log", dir);
	int log = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int null = open("/dev/null", O_RDONLY);
	if (log < 0 || null < 0)
		_exit(1);
	dup2(null, 0);
	dup2(log, 1);
	dup2(log, 2);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != cfg->ready_fd)
			close(fd);
	signal(SIGHUP, SIG_IGN);
	_exit(mf_wanem_router_run(cfg) ? 1 : 0);
}

static int cmd_up(struct cli *c, const char *topo_path)
{
	struct mf_topology topo;
	char err[512];
	int rc = mf_topology_load_file(topo_path, &topo, err, sizeof err);
	if (rc) {
		fprintf(stderr, "wanem: %s\n", err);
		return 1;
	}
	struct mf_wanem_host *hosts = NULL;
	size_t n_hosts = 0;
	int lock = -1;
	rc = mf_wanem_hosts_build(&topo, c->instance, &hosts, &n_hosts);
	if (rc || n_hosts == 0) {
		fprintf(stderr, "wanem: %s\n", rc ? mf_strerror(rc) : "the topology has no hosts");
		goto fail_topo;
	}

	char path[MF_WANEM_PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/state", c->dir);
	if (file_exists(path)) {
		struct mf_wanem_state st;
		bool running = mf_wanem_state_read(c->dir, &st) == 0 &&
			       st.router.pid && alive(&st.router);
		mf_wanem_state_free(&st);
		if (running) {
			fprintf(stderr, "wanem: instance %s is already up (wanem -i %s down)\n",
				c->instance, c->instance);
			goto fail_topo;
		}
		fprintf(stderr, "wanem: cleaning up what a crashed run of %s left\n",
			c->instance);
		if (cmd_down(c, true))
			goto fail_topo;
	}
	for (size_t i = 0; i < n_hosts; i++) {
		snprintf(path, sizeof path, "/run/netns/%s", hosts[i].netns);
		if (file_exists(path)) {
			fprintf(stderr, "wanem: %s exists already; not ours to remove\n", path);
			goto fail_topo;
		}
	}
	if (mkdir_p(c->dir) < 0) {
		fprintf(stderr, "wanem: cannot create %s: %s\n", c->dir, strerror(errno));
		goto fail_topo;
	}
	lock = mf_wanem_state_lock(c->dir, 1);
	if (lock < 0) {
		fprintf(stderr, "wanem: cannot lock %s\n", c->dir);
		goto fail_topo;
	}
	snprintf(path, sizeof path, "%s/topology.json", c->dir);
	if (copy_file(topo_path, path) < 0) {
		fprintf(stderr, "wanem: cannot write %s\n", path);
		goto fail_topo;
	}

	/* Record before creating: a crash in between leaves nothing unlisted. */
	char *batch = malloc(n_hosts * 96 + 1);
	size_t off = 0;
	if (!batch)
		goto fail_down;
	for (size_t i = 0; i < n_hosts; i++) {
		char line[128];
		snprintf(line, sizeof line, "netns %s", hosts[i].netns);
		if (mf_wanem_state_append(c->dir, line) < 0) {
			free(batch);
			goto fail_down;
		}
		off += (size_t)sprintf(batch + off, "netns add %s\n", hosts[i].netns);
	}
	rc = run_ip_batch(batch, false);
	free(batch);
	if (rc) {
		fprintf(stderr, "wanem: ip netns add failed\n");
		goto fail_down;
	}

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		goto fail_down;
	snprintf(path, sizeof path, "%s/ctl.sock", c->dir);
	struct mf_wanem_router_cfg cfg = {.topo = &topo, .hosts = hosts,
					  .n_hosts = n_hosts, .ctl_path = path,
					  .ready_fd = ready[1]};
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		router_child(c->dir, &cfg);
	}
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		goto fail_down;
	}
	char line[128];
	snprintf(line, sizeof line, "router %d %llu", (int)pid,
		 mf_wanem_proc_start(pid));
	rc = mf_wanem_state_append(c->dir, line);
	struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
	char byte = 0;
	if (!rc && poll(&pfd, 1, UP_TIMEOUT_MS) == 1 &&
	    read(ready[0], &byte, 1) == 1 && byte == 'R') {
		close(ready[0]);
		printf("wanem: instance %s up: %zu hosts in %zu datacenters\n",
		       c->instance, n_hosts, topo.n_dcs);
		close(lock);
		free(hosts);
		mf_topology_free(&topo);
		return 0;
	}
	close(ready[0]);
	fprintf(stderr, "wanem: the router did not start; its log:\n");
	print_log(c->dir);
fail_down:
	cmd_down_locked(c, true);
fail_topo:
	if (lock >= 0)
		close(lock);
	free(hosts);
	mf_topology_free(&topo);
	return 1;
}

/* ---- exec, hosts, addr --------------------------------------------------- */

static int load_hosts(struct cli *c, struct mf_topology *topo,
		      struct mf_wanem_host **hosts, size_t *n)
{
	char path[MF_WANEM_PATH_MAX + 32], err[512];
	snprintf(path, sizeof path, "%s/topology.json", c->dir);
	if (!file_exists(path)) {
		fprintf(stderr, "wanem: instance %s is not up\n", c->instance);
		return MF_ENOTFOUND;
	}
	int rc = mf_topology_load_file(path, topo, err, sizeof err);
	if (rc) {
		fprintf(stderr, "wanem: %s\n", err);
		return rc;
	}
	rc = mf_wanem_hosts_build(topo, c->instance, hosts, n);
	if (rc)
		mf_topology_free(topo);
	return rc;
}

static void addr_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

static int find_host(struct cli *c, const char *name, struct mf_wanem_host *out)
{
	struct mf_topology topo;
	struct mf_wanem_host *hosts;
	size_t n;
	if (load_hosts(c, &topo, &hosts, &n))
		return MF_ENOTFOUND;
	int i = mf_wanem_hosts_find(hosts, n, name);
	if (i >= 0)
		*out = hosts[i];
	else
		fprintf(stderr, "wanem: no host \"%s\" (see wanem hosts)\n", name);
	free(hosts);
	mf_topology_free(&topo);
	return i < 0 ? MF_ENOTFOUND : 0;
}

static int cmd_exec(struct cli *c, int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fprintf(stderr, "usage: wanem exec HOST -- CMD [ARG...]\n");
		return 2;
	}
	struct mf_wanem_host h;
	if (find_host(c, argv[0], &h))
		return 1;
	/* held until execvp: `down` waits for us to be inside the namespace */
	int lock = mf_wanem_state_lock(c->dir, 0);
	struct mf_wanem_state st;
	if (lock < 0 || mf_wanem_state_read(c->dir, &st) < 0) {
		fprintf(stderr, "wanem: instance %s is not up\n", c->instance);
		return 1;
	}
	bool closing = st.closing || !st.router.pid;
	mf_wanem_state_free(&st);
	if (closing) {
		fprintf(stderr, "wanem: instance %s is going down\n", c->instance);
		return 1;
	}
	char line[128], path[128], addr[32];
	snprintf(line, sizeof line, "pid %d %llu", (int)getpid(),
		 mf_wanem_proc_start(getpid()));
	if (mf_wanem_state_append(c->dir, line) < 0) {
		fprintf(stderr, "wanem: cannot record the process in %s\n", c->dir);
		return 1;
	}
	snprintf(path, sizeof path, "/run/netns/%s", h.netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "wanem: enter %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	addr_str(h.addr, addr, sizeof addr);
	setenv("WANEM_HOST", h.name, 1);
	setenv("WANEM_ADDR", addr, 1);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "wanem: %s: %s\n", argv[2], strerror(errno));
	return 127;
}

static int cmd_hosts(struct cli *c, const char *only)
{
	struct mf_topology topo;
	struct mf_wanem_host *hosts;
	size_t n;
	if (load_hosts(c, &topo, &hosts, &n))
		return 1;
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		char addr[32];
		addr_str(hosts[i].addr, addr, sizeof addr);
		if (!only)
			printf("%s %s %s %s\n", hosts[i].name,
			       topo.dcs[hosts[i].dc].name, addr, hosts[i].netns);
		else if (strcmp(only, hosts[i].name) == 0 && ++found)
			printf("%s\n", addr);
	}
	if (only && !found)
		fprintf(stderr, "wanem: no host \"%s\"\n", only);
	free(hosts);
	mf_topology_free(&topo);
	return only && !found ? 1 : 0;
}

/* ---- runtime control ----------------------------------------------------- */

static int cmd_ctl(struct cli *c, int argc, char **argv)
{
	char msg[512];
	size_t off = 0;
	for (int i = 0; i < argc; i++) {
		int w = snprintf(msg + off, sizeof msg - off, "%s%s", i ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof msg - off) {
			fprintf(stderr, "wanem: command too long\n");
			return 2;
		}
		off += (size_t)w;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[MF_WANEM_PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/ctl.sock", c->dir);
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "wanem: %s: path too long for a socket\n", path);
		return 1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 5};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "wanem: instance %s: no router at %s: %s\n",
			c->instance, sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	char reply[4096];
	ssize_t n = -1;
	if (send(fd, msg, off, MSG_NOSIGNAL) == (ssize_t)off)
		n = recv(fd, reply, sizeof reply - 1, 0);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "wanem: no reply from the router\n");
		return 1;
	}
	reply[n] = '\0';
	bool ok = strncmp(reply, "ok", 2) == 0;
	const char *body = ok ? reply + 2 + (reply[2] == ' ') : reply;
	if (*body)
		fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "wanem: ", body);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct cli c = {.instance = getenv("WANEM_INSTANCE")};
	if (!c.instance || !*c.instance)
		c.instance = "default";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return 0;
		}
		if ((strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--instance") == 0) &&
		    i + 1 < argc) {
			c.instance = argv[++i];
			continue;
		}
		fprintf(stderr, "wanem: unknown option %s\n%s", argv[i], USAGE);
		return 2;
	}
	if (i >= argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (mf_wanem_instance_check(c.instance)) {
		fprintf(stderr, "wanem: instance name \"%s\": use 1-16 of a-z 0-9 - _\n",
			c.instance);
		return 2;
	}
	mf_wanem_state_dir(c.instance, c.dir, sizeof c.dir);
	const char *cmd = argv[i];
	int nargs = argc - i - 1;
	char **args = argv + i + 1;
	bool needs_root = strcmp(cmd, "hosts") && strcmp(cmd, "addr");
	if (needs_root && geteuid() != 0) {
		fprintf(stderr, "wanem: needs root (network namespaces)\n");
		return 1;
	}
	if (strcmp(cmd, "up") == 0 && nargs == 1)
		return cmd_up(&c, args[0]);
	if (strcmp(cmd, "down") == 0 && nargs == 0)
		return cmd_down(&c, false);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(&c, nargs, args);
	if (strcmp(cmd, "hosts") == 0 && nargs == 0)
		return cmd_hosts(&c, NULL);
	if (strcmp(cmd, "addr") == 0 && nargs == 1)
		return cmd_hosts(&c, args[0]);
	static const char *ctl[] = {"link", "delay", "loss", "partition",
				    "heal", "show", "stats"};
	for (size_t k = 0; k < sizeof ctl / sizeof ctl[0]; k++)
		if (strcmp(cmd, ctl[k]) == 0)
			return cmd_ctl(&c, argc - i, argv + i);
	fprintf(stderr, "wanem: bad command or arguments: %s\n%s", cmd, USAGE);
	return 2;
}

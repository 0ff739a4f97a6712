/*
 * tests/wanem/state.h — the instance's state directory and state file.
 *
 * Contract: everything `wanem up` and `wanem exec` create is written to the
 * state file *before* it is created, so `wanem down` can remove it all even
 * after the router or the CLI crashed half-way. One record per line,
 * appended with O_APPEND (atomic for lines this short):
 *     router <pid> <starttime>     the delay-stage process
 *     netns <name>                 a namespace under /run/netns
 *     pid <pid> <starttime>        a process started by `wanem exec`
 *     closing                      `wanem down` has begun: no more exec
 * <starttime> is field 22 of /proc/<pid>/stat, so a recycled pid is never
 * mistaken for ours. The directory also holds topology.json (a copy of the
 * file given to `up`), ctl.sock (the router's control socket), router.log
 * and lock: `up` and `down` hold it exclusively, `exec` shared until it has
 * entered the namespace, so `down` never misses a process that an `exec`
 * running at the same moment puts into a namespace.
 */
#ifndef MF_WANEM_STATE_H
#define MF_WANEM_STATE_H

#include <stddef.h>
#include <sys/types.h>

#define MF_WANEM_PATH_MAX 256

struct mf_wanem_proc {
	pid_t pid;
	unsigned long long start;
};

struct mf_wanem_state {
	struct mf_wanem_proc router;    /* pid 0 when absent */
	char (*netns)[64];
	size_t n_netns;
	struct mf_wanem_proc *procs;
	size_t n_procs;
	int closing;                    /* a `closing` line was seen */
};

/* <run dir>/<instance>; the run dir is $WANEM_RUN_DIR or /run/wanem. */
void mf_wanem_state_dir(const char *instance, char *buf, size_t len);

/* Appends one line (no newline in `line`) to <dir>/state. */
int mf_wanem_state_append(const char *dir, const char *line);

/* Reads <dir>/state; MF_ENOTFOUND when there is none. */
int mf_wanem_state_read(const char *dir, struct mf_wanem_state *st);
void mf_wanem_state_free(struct mf_wanem_state *st);

/* Opens <dir>/lock (creating it when exclusive) and flocks it.
 * Returns the fd (close it to unlock, O_CLOEXEC) or MF_EIO. */
int mf_wanem_state_lock(const char *dir, int exclusive);

/* Start time of a live process, or 0 when it is gone. */
unsigned long long mf_wanem_proc_start(pid_t pid);

#endif

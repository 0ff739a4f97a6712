/*
 * cmd/haproxy/haproxy_sync.h — brings a running HAProxy in line with a route table:
 * reads what it holds (`show stat`, `show map`), plans (cmd/haproxy/haproxy_plan.h),
 * sends the commands over the admin socket, and rewrites the map file on
 * disk atomically so that a reload starts from the same map.
 *
 * Contract: the I/O around the pure plan. Reads HAProxy's state afresh on
 * every run instead of trusting what it sent last, so a reload, a restart
 * of either side or a hand-made change is repaired by the next run. Stops
 * at the first command HAProxy refuses (later ones may depend on it: a map
 * entry on a slot not yet set up); the next run starts over from what
 * HAProxy then holds. Logs every command it sends.
 */
#ifndef MF_CMD_HAPROXY_SYNC_H
#define MF_CMD_HAPROXY_SYNC_H

#include <stddef.h>

#include "cmd/daemon/log.h"
#include "routing/table.h"

struct mf_hap_sync {
	const char *admin;       /* HAProxy's admin socket */
	const char *map_file;    /* the map as haproxy.cfg names it; rewritten in step */
	const char *slot_prefix; /* slot backends: <prefix>0, <prefix>1, ... */
	int timeout_ms;          /* per admin command */
	const struct mf_log *log;
	char *written;           /* map file content last written; NULL before */
	char *warned;            /* last exhaustion warning, so it is logged once */
};

void mf_hap_sync_free(struct mf_hap_sync *s);

/* One run for table t. Returns the number of commands sent (>= 0), or
 * MF_EIO (HAProxy unreachable, refused a command, the map file could not
 * be written: logged), MF_EMALFORMED (an answer that does not parse),
 * MF_EINVAL, MF_ENOMEM. */
int mf_hap_sync_run(struct mf_hap_sync *s, const struct mf_table *t);

/* Whether the admin socket answers `show info`: 0 and HAProxy's *pid, or
 * MF_EIO / MF_EMALFORMED with the reason in err. Health of the gateway
 * registration. */
int mf_hap_sync_alive(const struct mf_hap_sync *s, long *pid, char *err, size_t errcap);

#endif

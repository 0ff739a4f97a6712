/*
 * cmd/haproxy/haproxy_run.h — `meshfed haproxy`'s loop: subscribe to the agent's
 * route socket, register HAProxy as a gateway of the DC, keep HAProxy in
 * sync (cmd/haproxy/haproxy_sync.h).
 *
 * Contract: one thread, one poll() loop, blocking admin calls (see
 * cmd/haproxy/haproxy_admin.h for why that is fine). Every `interval_ms`: asks
 * HAProxy `show info`, reports health (ok while it answers) and reconciles
 * HAProxy with the table held (a reload or a restart of HAProxy is repaired
 * within one interval). Each snapshot or delta from the agent is applied,
 * pushed to HAProxy, then acknowledged. When the agent goes away, HAProxy
 * keeps the last table and the loop reconnects with backoff (100 ms doubling
 * to 5 s), resuming from the version it holds. SIGTERM or SIGINT stop
 * it: a last health report says not ok, HAProxy keeps its state.
 */
#ifndef MF_CMD_HAPROXY_RUN_H
#define MF_CMD_HAPROXY_RUN_H

#include "cmd/haproxy/haproxy_sync.h"
#include "routing/advert.h"

#define MF_HAP_INTERVAL_MS 5000

struct mf_hap_opts {
	const char *route_socket;
	struct mf_gateway gw;    /* what is registered: name, wan, lan, tags */
	struct mf_hap_sync sync;
	int interval_ms;
};

/* Returns 0 after SIGTERM/SIGINT, or a fatal error (MF_ENOMEM, MF_EIO). */
int mf_hap_run(struct mf_hap_opts *o);

#endif

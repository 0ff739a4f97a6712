/*
 * tests/wanem/router.h — the delay stage: one process that every packet
 * between two emulated hosts passes through exactly once.
 *
 * Contract: creates one TUN device "eth0" inside each host's namespace
 * (address 198.18.<dc>.<i>/15, so the whole emulated WAN is on-link and
 * nothing else is routable), then leaves for an empty network namespace of
 * its own, so it never touches the machine's routing. It reads each packet
 * from the sender's TUN, asks net.h for its fate, holds it in queue.h until
 * its release time (CLOCK_MONOTONIC, timerfd with absolute deadlines) and
 * writes it into the receiver's TUN. Runtime commands arrive on a Unix
 * SOCK_SEQPACKET socket, one command per message, one reply per message.
 * The TUN devices die with this process (they are not persistent).
 */
#ifndef MF_WANEM_ROUTER_H
#define MF_WANEM_ROUTER_H

#include <stddef.h>

#include "routing/topology.h"
#include "tests/wanem/hosts.h"

struct mf_wanem_router_cfg {
	const struct mf_topology *topo;
	const struct mf_wanem_host *hosts;
	size_t n_hosts;
	const char *ctl_path;  /* control socket path */
	int ready_fd;          /* gets "R" once every device is up; -1: none */
};

/* Runs until SIGTERM or SIGINT. Returns 0, or a negative enum mf_err when
 * setup failed (the reason is printed on stderr). */
int mf_wanem_router_run(const struct mf_wanem_router_cfg *cfg);

#endif

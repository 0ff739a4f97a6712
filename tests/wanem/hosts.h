/*
 * tests/wanem/hosts.h — the emulated hosts of a topology and their names.
 *
 * Contract: turns a topology into the list of hosts the emulator builds:
 * host name (<dc>-s<i>, <dc>-g<i>, per shared/docs/topology.md), DC index,
 * IPv4 address and network-namespace name. Addresses are 198.18.<dc>.<i>
 * for servers and 198.18.<dc>.<100+i> for gateways, DC numbered from 1 in
 * file order, all inside 198.18.0.0/15 (RFC 2544, benchmarking). Pure.
 */
#ifndef MF_WANEM_HOSTS_H
#define MF_WANEM_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "routing/topology.h"

#define MF_WANEM_INSTANCE_MAX 17 /* instance name bytes with the NUL */
#define MF_WANEM_HOSTNAME_MAX (MF_TOPOLOGY_NAME_MAX + 8)
#define MF_WANEM_NETNS_MAX (MF_WANEM_HOSTNAME_MAX + MF_WANEM_INSTANCE_MAX + 4)

struct mf_wanem_host {
	char name[MF_WANEM_HOSTNAME_MAX];  /* dc1-s1 */
	char netns[MF_WANEM_NETNS_MAX];    /* wn-<instance>-dc1-s1 */
	size_t dc;
	uint32_t addr;                     /* host byte order */
};

/* Allocates *out (free() it) with *n hosts; servers before gateways, DCs in
 * file order. The instance must be 1-16 of [a-z0-9_-]. MF_ETOOBIG for more
 * than MF_TOPOLOGY_WANEM_DC_MAX DCs. */
int mf_wanem_hosts_build(const struct mf_topology *t, const char *instance,
			 struct mf_wanem_host **out, size_t *n);

/* Index of the host called `name`, or MF_ENOTFOUND. */
int mf_wanem_hosts_find(const struct mf_wanem_host *h, size_t n,
			const char *name);

/* 0 when the instance name is usable in namespace names. */
int mf_wanem_instance_check(const char *instance);

#endif

/*
 * routing/topology.h — the topology file (docs: shared/docs/topology.md).
 *
 * Contract: parses and validates the JSON description of a multi-datacenter
 * setup into a plain value that both the WAN emulator (tests/wanem) and the
 * simulator read, so one file means one network to both. Pure: no clock, no
 * socket, no I/O except mf_topology_load_file(), which only reads the file.
 * Errors are returned as negative enum mf_err codes with an English message
 * naming the offending key ("rtt_ms.dc1.dc9: unknown datacenter") written to
 * the caller's buffer.
 *
 * Datacenters keep the order of the file (jansson iterates objects in
 * insertion order), so DC index i means the same DC to every tool.
 *
 * What the numbers mean, for every tool that emulates the network:
 * one-way delay = rtt_ms / 2 between DCs, intra_dc_rtt_ms / 2 inside one;
 * jitter_ms: each inter-DC one-way delay gets a uniform offset in
 * [-jitter_ms/2, +jitter_ms/2] (clamped at 0), so the mean RTT stays the
 * configured one; loss applies to each direction of an inter-DC pair.
 * Intra-DC traffic has neither loss nor jitter (tests/wanem does so).
 */
#ifndef MF_ROUTING_TOPOLOGY_H
#define MF_ROUTING_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#define MF_TOPOLOGY_NAME_MAX 32   /* DC name bytes including the NUL */
/* DCs a file may list: the largest federation routing claims
 * (MF_ROUTING_MAX_DATACENTERS), for the simulator. The WAN emulator takes
 * at most MF_TOPOLOGY_WANEM_DC_MAX (its hosts are 198.18.<dc>.x). */
#define MF_TOPOLOGY_DC_MAX 1000
#define MF_TOPOLOGY_WANEM_DC_MAX 254
#define MF_TOPOLOGY_HOSTS_MAX 99  /* servers or gateways per DC */
#define MF_TOPOLOGY_INTRA_DEFAULT_MS 0.2

enum mf_topology_route {
	MF_TOPOLOGY_MULTI_HOP = 0, /* default: relay through other DCs */
	MF_TOPOLOGY_SINGLE_HOP = 1,
};

struct mf_topology_dc {
	char name[MF_TOPOLOGY_NAME_MAX];
	unsigned servers;              /* hosts <dc>-s1 .. <dc>-s<servers> */
	unsigned gateways;             /* hosts <dc>-g1 .. <dc>-g<gateways> */
	bool transit;                  /* false: must not relay for other DCs */
	enum mf_topology_route route;  /* routing mode towards this DC */
};

struct mf_topology_area {
	size_t n_dcs;
	size_t *dcs;                   /* DC indexes */
};

struct mf_topology {
	size_t n_dcs;
	struct mf_topology_dc *dcs;
	/* n_dcs x n_dcs, symmetric; [a*n+b]. rtt < 0: no link in rtt_ms. */
	double *rtt_ms;
	double *loss;                  /* probability 0..1, default 0 */
	double jitter_ms;              /* default 0 */
	double intra_dc_rtt_ms;        /* default 0.2 */
	size_t n_areas;                /* 0: one WAN pool of all servers */
	struct mf_topology_area *areas;
	enum mf_topology_route default_route;
};

/* Parses JSON text of `len` bytes. On failure *out is left empty (safe to
 * free) and `err` holds a message naming the key. */
int mf_topology_parse(const char *json, size_t len, struct mf_topology *out,
		      char *err, size_t errlen);

/* Reads and parses a file; the message names the path on I/O errors. */
int mf_topology_load_file(const char *path, struct mf_topology *out,
			  char *err, size_t errlen);

void mf_topology_free(struct mf_topology *t);

/* Index of the DC called `name`, or MF_ENOTFOUND. */
int mf_topology_dc_index(const struct mf_topology *t, const char *name);

/* True when DCs a and b (a != b) have a direct link: a pair in rtt_ms and,
 * when areas are given, at least one area holding both. */
bool mf_topology_linked(const struct mf_topology *t, size_t a, size_t b);

/* Convenience accessors for the symmetric matrices. */
double mf_topology_rtt(const struct mf_topology *t, size_t a, size_t b);
double mf_topology_loss(const struct mf_topology *t, size_t a, size_t b);

#endif

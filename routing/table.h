/*
 * routing/table.h — the next-hop table of one DC, as a plain value.
 *
 * Contract: a snapshot the engine (routing/engine.h) hands out and the
 * renderers (routing/table_format.h) read. It owns all its strings; nothing
 * in it points back into the engine. Routes are sorted by target name so two
 * agents of one DC print byte-identical tables once converged.
 */
#ifndef MF_ROUTING_TABLE_H
#define MF_ROUTING_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mf_route_status {
	MF_ROUTE_LOCAL = 0,       /* the target is this DC */
	MF_ROUTE_DIRECT = 1,      /* next hop is the target itself */
	MF_ROUTE_VIA = 2,         /* next hop is another DC on the path */
	MF_ROUTE_UNREACHABLE = 3, /* no usable route */
	MF_ROUTE_NO_GATEWAY = 4,  /* require_gateways and the target DC advertises
				   * no gateway: nothing could carry the traffic */
};

enum mf_route_mode {
	MF_MODE_MULTI_HOP = 0,  /* shortest route, even around a slow direct link */
	MF_MODE_SINGLE_HOP = 1, /* the direct link whenever one is configured */
};

/* "local", "direct", "via", "unreachable", "no-gateway" */
const char *mf_route_status_name(enum mf_route_status s);
const char *mf_route_mode_name(enum mf_route_mode m);     /* "multi-hop", "single-hop" */
/* MF_EINVAL unless s is "multi-hop" or "single-hop". */
int mf_route_mode_parse(const char *s, enum mf_route_mode *m);
int mf_route_status_parse(const char *s, enum mf_route_status *st);

/* One gateway of the next-hop DC, with the address this DC must dial: its
 * tagged address "dc:<this DC>" when it has one, else its WAN address. */
struct mf_table_endpoint {
	char *gateway;
	char *addr;
};

/* Another next hop for a route's target, loop-free whatever the other DCs
 * currently choose (routing/engine.h: the LFA condition); a gateway whose
 * next hop's gateways all failed may move new connections to it at once. */
struct mf_table_alternate {
	char *next_hop;
	double distance_ms;    /* link to next_hop + its advertised distance */
	size_t n_endpoints;    /* next_hop's gateways, as for the route */
	struct mf_table_endpoint *endpoints;
};

struct mf_table_route {
	char *target;
	enum mf_route_status status;
	char *next_hop;        /* NULL when local or unreachable */
	double distance_ms;    /* 0 local; INFINITY unreachable or down */
	bool down;             /* single-hop direct link that is not usable now */
	enum mf_route_mode mode;
	size_t path_len;       /* DC path from this DC to target; 0 if unreachable */
	char **path;
	size_t n_endpoints;
	struct mf_table_endpoint *endpoints;
	size_t n_alternates;   /* best first; none when local, unreachable,
				* no-gateway or single-hop */
	struct mf_table_alternate *alternates;
};

/* A DC-graph edge this DC knows of: its own links, and its neighbours'
 * direct links as their advertisements show them (for the dot rendering). */
struct mf_table_link {
	char *from, *to;
	double distance_ms;    /* NAN when unknown */
	bool usable;
};

struct mf_table {
	char *datacenter;
	uint64_t version;      /* grows with every change of any route */
	size_t n_routes;
	struct mf_table_route *routes;
	size_t n_links;
	struct mf_table_link *links;
};

/* Frees what a route owns (alternates included) and zeroes it. */
void mf_table_route_free(struct mf_table_route *r);
void mf_table_free(struct mf_table *t);

#endif

/*
 * tests/routing_node/node_world.h — the fixture test_node.c and
 * test_node_fed.c share: a small world of routing nodes over real pools in
 * virtual time (cmd/sim/simnet), and a lone node fed hand-built messages.
 */
#ifndef MF_TESTS_ROUTING_NODE_WORLD_H
#define MF_TESTS_ROUTING_NODE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/sim/simnet.h"
#include "coord/tracker.h"
#include "routing/node.h"
#include "routing/pool_mux.h"

/* --- a small world: servers in DCs, pools of servers ------------------------*/

#define MAXN 16

struct world;

struct wmember { /* one simnet node: a server in one pool */
	struct world *w;
	size_t server;
	struct mf_coord_tracker tracker;
	bool tracker_ok;
	struct mf_routing_node_slot *slot;
	struct mf_pool_mux mux; /* the pool's delegate: tracker and slot */
};

struct world {
	size_t n_servers;
	const char *dc[MAXN];
	char name[MAXN][48]; /* dc name + "-s" + any size_t: no truncation */
	struct mf_routing_node *node[MAXN];
	bool stopped[MAXN]; /* killed: no longer ticked */
	size_t n;
	struct wmember m[MAXN];
	size_t pool_of[MAXN];
	double delay[MAXN * MAXN];
	struct mf_simnet *net;
};

/* servers: DC of each; members: (server, pool) pairs; rtt_ms(dc a, dc b);
 * every node's config from tmpl (NULL: the defaults), DC and name set. */
void world_init(struct world *w, size_t n_servers, const char *const *dcs, size_t n,
		const size_t *server, const size_t *pool,
		double (*rtt)(const char *, const char *), const char *const *peers[],
		const size_t *n_peers, const struct mf_routing_node_config *tmpl);
void world_run(struct world *w, mf_time_t until);
void world_free(struct world *w);
/* Route of node s to target into *st / next hop / distance; false if none. */
bool route_of(struct world *w, size_t s, const char *target, enum mf_route_status *st,
	      char *nh, size_t nhcap, double *dist);
/* Gateway names of node s's route to target, "a,b", into buf. */
const char *gateways_of(struct world *w, size_t s, const char *target, char *buf, size_t cap);
/* Sets one gateway `name` on node s at run time. */
int set_gateway(struct world *w, size_t s, const char *name);
/* 20 ms between any two DCs, 0.2 ms inside one. */
double rtt_line(const char *a, const char *b);

/* --- hand-fed ---------------------------------------------------------------*/

/* A node of dc1 over one lone pool (no other member). */
void lone(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s);
/* lone, the node's config beat_interval set (ns; 0: the default). */
void lone_beat(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s,
	       int64_t beat_interval);
/* lone, the pool's private_role set to role (the agent's "meshfed") and
 * the node's reach_back (lone: -1, off). */
void lone_role(struct mf_routing_node **n, mf_pool_t **p, struct mf_routing_node_slot **s, const char *role,
	       int reach_back);
/* The advert of server `node` of DC `dc` at seq initial_seq + 1, with
 * gateway `gw` when not NULL, as one user message. */
size_t advert_message_gw(const char *dc, const char *node, uint64_t initial_seq, const char *gw,
			 uint8_t *buf, size_t cap);
size_t advert_message(const char *dc, const char *node, uint64_t initial_seq, uint8_t *buf,
		      size_t cap);
/* dc9's advert (one server, dc9-s1) as one user message. */
size_t dc9_message(uint8_t *buf, size_t cap);

#endif

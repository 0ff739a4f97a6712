/*
 * tests/cli/transport_side.h — one pool with its own transport on a libuv
 * loop over real loopback sockets, as the transport tests make them
 * (test_transport_pools.c, test_transport_limits.c): events and join
 * results counted, closed and freed cleanly. Header only.
 */
#ifndef MF_TESTS_CLI_TRANSPORT_SIDE_H
#define MF_TESTS_CLI_TRANSPORT_SIDE_H

#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

#include "gossip/transport.h"

struct side {
	mf_pool_t *pool;
	mf_transport_t *tr;
	int events, joins_done, joins_ok;
	bool closed;
};

static inline void side_on_event(void *ctx, const struct mf_pool_event *ev)
{
	struct side *s = ctx;
	s->events++;
	if (ev->kind == MF_EV_JOIN_DONE) {
		s->joins_done++;
		s->joins_ok += ev->ok;
	}
}

static inline void side_on_closed(void *ctx)
{
	((struct side *)ctx)->closed = true;
}

/* Pool `name` (profile local, seeded by its name) bound to addr, its
 * transport taking at most max_inbound_bytes of inbound streams (0: the
 * default). 0, or -1 with what was made left in s. */
static inline int side_open(uv_loop_t *loop, struct side *s, const char *name, const char *addr,
			    size_t max_inbound_bytes)
{
	struct mf_pool_config pc;
	mf_pool_config_init(&pc, MF_PROFILE_LOCAL);
	snprintf(pc.name, sizeof(pc.name), "%s", name);
	if (mf_addr_parse(addr, 7946, &pc.advertise) < 0)
		return -1;
	pc.seed = (uint64_t)name[0];
	if (mf_pool_new(&pc, (mf_time_t)uv_hrtime(), &s->pool) < 0)
		return -1;
	struct mf_transport_config tc = {.bind = pc.advertise, .max_inbound_bytes = max_inbound_bytes};
	tc.cb.ctx = s;
	tc.cb.on_event = side_on_event;
	return mf_transport_new(loop, s->pool, &tc, &s->tr, NULL);
}

/* Closes the transport (running the loop until it has) and frees the pool. */
static inline void side_close(uv_loop_t *loop, struct side *s)
{
	mf_transport_close(s->tr, side_on_closed, s);
	while (!s->closed)
		uv_run(loop, UV_RUN_ONCE);
	mf_pool_free(s->pool);
}

/* name's status in p's member list, -1 when absent. */
static inline int side_status_of(mf_pool_t *p, const char *name)
{
	struct mf_member m;
	return mf_pool_member_find(p, name, &m) == 0 ? (int)m.status : -1;
}

#endif

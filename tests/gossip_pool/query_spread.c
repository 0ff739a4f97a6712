/* tests/gossip_pool/query_spread.c — see query_spread.h. */
#include "tests/gossip_pool/query_spread.h"

#include <stdbool.h>
#include <string.h>

#include "cmd/sim/simnet.h"

#define KEY "serf-query:1:42" /* as agent_query.c names a query's broadcast */
#define QUERY_LEN 120         /* about a `meshfed query ping`'s bytes */

struct run;

/* Pool i's delegate context. */
struct member {
	struct run *run;
	bool heard;   /* the query reached it (or it started it) */
	bool requeue; /* heard inside a pool call: queued after it */
};

struct run {
	const struct mf_query_spread *s;
	struct member m[MF_QUERY_SPREAD_MAX];
	uint8_t query[QUERY_LEN];
};

static void on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct member *m = ctx;
	(void)msg;
	(void)len;
	if (!m->heard)
		m->heard = m->requeue = true; /* serf: a new query is rebroadcast */
}

static void configure(void *ctx, size_t i, struct mf_pool_config *c)
{
	struct run *r = ctx;
	r->m[i].run = r;
	c->delegate.ctx = &r->m[i];
	c->delegate.on_user_msg = on_user_msg;
	if (r->s->retransmit_mult > 0)
		c->timing.retransmit_mult = r->s->retransmit_mult;
}

/* The agent queues its rebroadcast once the pool call returns (the pool
 * takes no call from inside its delegate). */
static int after_drain(void *ctx, size_t i, mf_pool_t *p, mf_time_t now)
{
	struct run *r = ctx;
	(void)now;
	if (r->m[i].requeue) {
		r->m[i].requeue = false;
		(void)mf_pool_broadcast_user(p, KEY, r->query, sizeof(r->query));
	}
	return 0;
}

static bool all_alive_everywhere(struct mf_simnet *net, int n)
{
	for (int i = 0; i < n; i++) {
		mf_pool_t *p = mf_simnet_pool(net, (size_t)i);
		if (p == NULL || mf_pool_alive_count(p) != (size_t)n)
			return false;
	}
	return true;
}

int mf_query_spread_missed(const struct mf_query_spread *s, uint64_t seed)
{
	struct run r;
	struct mf_simnet_config c = {0};
	struct mf_simnet *net = NULL;
	int n = s->n, missed = -1;

	if (n < 2 || n > MF_QUERY_SPREAD_MAX)
		return -1;
	memset(&r, 0, sizeof(r));
	r.s = s;
	memset(r.query, 'q', sizeof(r.query));
	c.n = (size_t)n;
	c.uniform_delay_ms = 0.05; /* loopback */
	c.seed = seed;
	c.profile = s->profile;
	c.configure = configure;
	c.after_drain = after_drain;
	c.ctx = &r;
	if (mf_simnet_new(&c, &net) != 0)
		return -1;
	for (int i = 1; i < n; i++) {
		mf_simnet_run_until(net, (mf_time_t)i * 50 * MF_MS);
		if (mf_simnet_join(net, (size_t)i, 0) != 0)
			goto out;
	}
	/* The query 1-3 s after the last join, at a time spread by the seed. */
	mf_time_t t0 = (mf_time_t)n * 50 * MF_MS + MF_SEC + (mf_time_t)(seed * 7919 % 2000) * MF_MS;
	mf_simnet_run_until(net, t0);
	if (!all_alive_everywhere(net, n))
		goto out;
	r.m[0].heard = true;
	if (mf_pool_broadcast_user(mf_simnet_pool(net, 0), KEY, r.query, sizeof(r.query)) != 0)
		goto out;
	mf_simnet_run_until(net, t0 + 8 * MF_SEC);
	missed = 0;
	for (int i = 1; i < n; i++)
		missed += !r.m[i].heard;
out:
	mf_simnet_free(net);
	return missed;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/simnet.h"
#include "gossip/grow.h"
#include "gossip/rng.h"

enum ev_kind { EV_TICK, EV_UDP, EV_STREAM_IN, EV_STREAM_REPLY, EV_STREAM_FAIL };

struct event {
	mf_time_t at;
	uint64_t order;      /* insertion order: ties replay identically */
	enum ev_kind kind;
	size_t dst;
	uint64_t gen;        /* dst's generation, for events bound to one pool */
	struct mf_addr from; /* EV_UDP, EV_STREAM_IN */
	uint64_t stream_id;  /* the opener's id */
	size_t origin;       /* EV_STREAM_IN: who opened */
	uint64_t origin_gen;
	bool expect_reply;
	mf_time_t deadline;  /* EV_STREAM_IN: the opener gives up then */
	uint8_t *data;
	size_t len;
};

/* An inbound stream a pool holds open until it replies or closes. */
struct inbound {
	uint64_t id;         /* our id, given to mf_pool_stream_in */
	size_t dst, origin;
	uint64_t origin_gen, origin_stream;
	bool expect_reply;
	mf_time_t deadline;
};

struct node {
	mf_pool_t *pool;
	bool up;
	int group;
	bool udp_blocked;
	uint64_t gen;
	mf_time_t sched; /* time of the pending tick event, INT64_MAX none */
	struct mf_addr addr;
};

struct mf_simnet {
	struct mf_simnet_config cfg;
	struct node *nodes;
	double *delay;    /* copy of the matrix, or NULL */
	double *pair_loss; /* copy, or NULL */
	int *dc;          /* copy, or NULL */
	struct mf_rng rng;
	mf_time_t now;
	uint64_t order;
	struct event *heap;
	size_t n_heap, cap_heap;
	struct inbound *in;
	size_t n_in, cap_in;
	uint64_t in_seq;
	struct mf_simnet_stats stats;
	struct mf_intern strs; /* names and metas, shared by all the pools */
};

/* --- heap ------------------------------------------------------------------*/

static bool ev_less(const struct event *a, const struct event *b)
{
	return a->at != b->at ? a->at < b->at : a->order < b->order;
}

static int heap_push(struct mf_simnet *net, struct event *e)
{
	if (mf_grow(&net->heap, &net->cap_heap, net->n_heap + 1, 1024) != 0) {
		free(e->data);
		return MF_ENOMEM;
	}
	e->order = net->order++;
	size_t i = net->n_heap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_less(e, &net->heap[parent]))
			break;
		net->heap[i] = net->heap[parent];
		i = parent;
	}
	net->heap[i] = *e;
	return 0;
}

static void heap_pop(struct mf_simnet *net, struct event *out)
{
	*out = net->heap[0];
	struct event last = net->heap[--net->n_heap];
	size_t i = 0, n = net->n_heap;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct event *best = &last;
		if (l < n && ev_less(&net->heap[l], best)) {
			m = l;
			best = &net->heap[l];
		}
		if (r < n && ev_less(&net->heap[r], best))
			m = r;
		if (m == i)
			break;
		net->heap[i] = net->heap[m];
		i = m;
	}
	if (n > 0)
		net->heap[i] = last;
}

/* --- helpers ---------------------------------------------------------------*/

static void node_addr(size_t i, struct mf_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->ip_len = 4;
	a->ip[0] = 10;
	a->ip[1] = (uint8_t)(i >> 16);
	a->ip[2] = (uint8_t)(i >> 8);
	a->ip[3] = (uint8_t)i;
	a->port = 7946;
}

long mf_simnet_find(const struct mf_simnet *net, const struct mf_addr *a)
{
	if (a->ip_len != 4 || a->ip[0] != 10)
		return -1;
	size_t i = ((size_t)a->ip[1] << 16) | ((size_t)a->ip[2] << 8) | a->ip[3];
	if (i >= net->cfg.n || !mf_addr_equal(a, &net->nodes[i].addr))
		return -1;
	return (long)i;
}

/* One-way delay of one packet from -> to (draws jitter). */
static mf_time_t delay(struct mf_simnet *net, size_t from, size_t to)
{
	double ms = net->delay ? net->delay[from * net->cfg.n + to] : net->cfg.uniform_delay_ms;
	if (from == to || ms < 0)
		ms = 0;
	if (net->cfg.jitter_ms > 0 && from != to &&
	    (net->dc == NULL || net->dc[from] != net->dc[to])) {
		ms += (mf_rng_unit(&net->rng) - 0.5) * net->cfg.jitter_ms;
		if (ms < 0)
			ms = 0;
	}
	return (mf_time_t)(ms * 1e6);
}

static bool can_pass(const struct mf_simnet *net, size_t a, size_t b)
{
	if (net->delay != NULL && a != b && net->delay[a * net->cfg.n + b] < 0)
		return false;
	return net->nodes[a].group == net->nodes[b].group;
}

static bool lost(struct mf_simnet *net, size_t a, size_t b)
{
	if (net->cfg.loss > 0 && mf_rng_unit(&net->rng) < net->cfg.loss)
		return true;
	return net->pair_loss != NULL && net->pair_loss[a * net->cfg.n + b] > 0 &&
	       mf_rng_unit(&net->rng) < net->pair_loss[a * net->cfg.n + b];
}

static uint8_t *copy_bytes(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c != NULL && len > 0)
		memcpy(c, p, len);
	return c;
}

static void reschedule(struct mf_simnet *net, size_t i)
{
	struct node *nd = &net->nodes[i];
	if (!nd->up)
		return;
	mf_time_t d = mf_pool_next_deadline(nd->pool);
	if (d < net->now)
		d = net->now;
	if (d >= nd->sched)
		return;
	struct event e = { 0 };
	e.at = d;
	e.kind = EV_TICK;
	e.dst = i;
	e.gen = nd->gen;
	if (heap_push(net, &e) == 0)
		nd->sched = d;
}

static void schedule_fail(struct mf_simnet *net, size_t origin, uint64_t gen, uint64_t sid,
			  mf_time_t at)
{
	struct event e = { 0 };
	e.at = at;
	e.kind = EV_STREAM_FAIL;
	e.dst = origin;
	e.gen = gen;
	e.stream_id = sid;
	net->stats.streams_failed++;
	heap_push(net, &e);
}

static struct inbound *find_inbound(struct mf_simnet *net, uint64_t id, size_t *idx)
{
	for (size_t k = 0; k < net->n_in; k++) {
		if (net->in[k].id == id) {
			*idx = k;
			return &net->in[k];
		}
	}
	return NULL;
}

static bool is_slow(const struct mf_simnet *net, size_t i)
{
	return i + net->cfg.slow >= net->cfg.n;
}

/* When node j handles a message that reaches it at `at`: slow_lag later
 * if it is slow (its timers keep time: only messages wait). */
static mf_time_t lagged(const struct mf_simnet *net, size_t j, mf_time_t at)
{
	return net->cfg.slow_lag > 0 && is_slow(net, j) ? at + net->cfg.slow_lag : at;
}

/* Carries out everything pool i asked for. */
static void drain(struct mf_simnet *net, size_t i)
{
	struct node *nd = &net->nodes[i];
	struct mf_pool_out o;

again:
	while (nd->up && mf_pool_next_output(nd->pool, &o) == 1) {
		switch (o.kind) {
		case MF_OUT_UDP: {
			long j = mf_simnet_find(net, &o.to);
			net->stats.udp_sent++;
			if (j < 0 || !can_pass(net, i, (size_t)j) || nd->udp_blocked ||
			    net->nodes[j].udp_blocked) {
				net->stats.udp_blocked++;
				break;
			}
			if (lost(net, i, (size_t)j)) {
				net->stats.udp_lost++;
				break;
			}
			struct event e = { 0 };
			e.at = lagged(net, (size_t)j, net->now + delay(net, i, (size_t)j));
			e.kind = EV_UDP;
			e.dst = (size_t)j;
			e.from = nd->addr;
			e.data = copy_bytes(o.data, o.len);
			e.len = o.len;
			if (e.data != NULL)
				heap_push(net, &e);
			break;
		}
		case MF_OUT_STREAM_OPEN: {
			long j = mf_simnet_find(net, &o.to);
			mf_time_t deadline = net->now + o.timeout;
			net->stats.streams++;
			if (j < 0 || !can_pass(net, i, (size_t)j) ||
			    (net->cfg.stream_loss > 0 && mf_rng_unit(&net->rng) < net->cfg.stream_loss)) {
				if (o.expect_reply)
					schedule_fail(net, i, nd->gen, o.stream_id, deadline);
				break;
			}
			struct event e = { 0 };
			e.at = lagged(net, (size_t)j, net->now + delay(net, i, (size_t)j));
			e.kind = EV_STREAM_IN;
			e.dst = (size_t)j;
			e.from = nd->addr;
			e.origin = i;
			e.origin_gen = nd->gen;
			e.stream_id = o.stream_id;
			e.expect_reply = o.expect_reply;
			e.deadline = deadline;
			e.data = copy_bytes(o.data, o.len);
			e.len = o.len;
			if (e.data != NULL)
				heap_push(net, &e);
			break;
		}
		case MF_OUT_STREAM_REPLY:
		case MF_OUT_STREAM_CLOSE: {
			size_t k;
			struct inbound *in = find_inbound(net, o.stream_id, &k);
			if (in == NULL)
				break;
			struct inbound s = *in;
			net->in[k] = net->in[--net->n_in];
			if (!s.expect_reply)
				break;
			mf_time_t back = net->now + delay(net, i, s.origin);
			if (o.kind == MF_OUT_STREAM_CLOSE || back > s.deadline ||
			    !can_pass(net, i, s.origin)) {
				schedule_fail(net, s.origin, s.origin_gen, s.origin_stream,
					      back < s.deadline ? back : s.deadline);
				break;
			}
			struct event e = { 0 };
			e.at = lagged(net, s.origin, back);
			e.kind = EV_STREAM_REPLY;
			e.dst = s.origin;
			e.gen = s.origin_gen;
			e.stream_id = s.origin_stream;
			e.data = copy_bytes(o.data, o.len);
			e.len = o.len;
			if (e.data != NULL)
				heap_push(net, &e);
			break;
		}
		case MF_OUT_EVENT:
			if (net->cfg.on_event != NULL)
				net->cfg.on_event(net->cfg.ctx, i, net->now, &o.event);
			break;
		}
	}
	if (nd->up && net->cfg.after_drain != NULL &&
	    net->cfg.after_drain(net->cfg.ctx, i, nd->pool, net->now) > 0)
		goto again;
	reschedule(net, i);
}

static int start_pool(struct mf_simnet *net, size_t i)
{
	struct mf_pool_config c;
	struct node *nd = &net->nodes[i];

	mf_pool_config_init(&c, net->cfg.profile);
	snprintf(c.name, sizeof(c.name), "n%03zu", i);
	c.advertise = nd->addr;
	c.intern = &net->strs;
	c.seed = net->cfg.seed * 1000003ULL + i * 7919ULL + nd->gen * 104729ULL;
	if (net->cfg.configure != NULL)
		net->cfg.configure(net->cfg.ctx, i, &c);
	int rc = mf_pool_new(&c, net->now, &nd->pool);
	if (rc != 0)
		return rc;
	nd->up = true;
	nd->sched = INT64_MAX;
	drain(net, i);
	return 0;
}

/* --- public ----------------------------------------------------------------*/

int mf_simnet_new(const struct mf_simnet_config *cfg, struct mf_simnet **out)
{
	struct mf_simnet *net;
	int rc;

	if (cfg == NULL || cfg->n == 0 || cfg->n > (1u << 24) || cfg->slow > cfg->n ||
	    (cfg->slow > 0 && cfg->slow_stall >= cfg->slow_period))
		return MF_EINVAL;
	net = calloc(1, sizeof(*net));
	if (net == NULL)
		return MF_ENOMEM;
	net->cfg = *cfg;
	mf_intern_init(&net->strs);
	net->nodes = calloc(cfg->n, sizeof(*net->nodes));
	if (net->nodes == NULL) {
		free(net);
		return MF_ENOMEM;
	}
	if (cfg->delay_ms != NULL) {
		net->delay = malloc(cfg->n * cfg->n * sizeof(double));
		if (net->delay == NULL) {
			mf_simnet_free(net);
			return MF_ENOMEM;
		}
		memcpy(net->delay, cfg->delay_ms, cfg->n * cfg->n * sizeof(double));
		net->cfg.delay_ms = net->delay;
	}
	if (cfg->pair_loss != NULL) {
		net->pair_loss = malloc(cfg->n * cfg->n * sizeof(double));
		if (net->pair_loss == NULL) {
			mf_simnet_free(net);
			return MF_ENOMEM;
		}
		memcpy(net->pair_loss, cfg->pair_loss, cfg->n * cfg->n * sizeof(double));
		net->cfg.pair_loss = net->pair_loss;
	}
	if (cfg->dc != NULL) {
		net->dc = malloc(cfg->n * sizeof(int));
		if (net->dc == NULL) {
			mf_simnet_free(net);
			return MF_ENOMEM;
		}
		memcpy(net->dc, cfg->dc, cfg->n * sizeof(int));
		net->cfg.dc = net->dc;
	}
	mf_rng_seed(&net->rng, cfg->seed ^ 0x5eedULL);
	for (size_t i = 0; i < cfg->n; i++) {
		node_addr(i, &net->nodes[i].addr);
		if ((rc = start_pool(net, i)) != 0) {
			mf_simnet_free(net);
			return rc;
		}
	}
	*out = net;
	return 0;
}

void mf_simnet_free(struct mf_simnet *net)
{
	if (net == NULL)
		return;
	for (size_t i = 0; i < net->cfg.n; i++)
		mf_pool_free(net->nodes[i].pool);
	mf_intern_free(&net->strs);
	for (size_t i = 0; i < net->n_heap; i++)
		free(net->heap[i].data);
	free(net->heap);
	free(net->in);
	free(net->nodes);
	free(net->delay);
	free(net->pair_loss);
	free(net->dc);
	free(net);
}

size_t mf_simnet_size(const struct mf_simnet *net)
{
	return net->cfg.n;
}

mf_time_t mf_simnet_now(const struct mf_simnet *net)
{
	return net->now;
}

mf_pool_t *mf_simnet_pool(struct mf_simnet *net, size_t i)
{
	return i < net->cfg.n && net->nodes[i].up ? net->nodes[i].pool : NULL;
}

bool mf_simnet_is_up(const struct mf_simnet *net, size_t i)
{
	return i < net->cfg.n && net->nodes[i].up;
}

static void deliver(struct mf_simnet *net, struct event *e)
{
	struct node *nd = &net->nodes[e->dst];

	switch (e->kind) {
	case EV_TICK:
		if (!nd->up || e->gen != nd->gen || e->at != nd->sched)
			return; /* stale */
		nd->sched = INT64_MAX;
		mf_pool_tick(nd->pool, net->now);
		break;
	case EV_UDP:
		if (!nd->up)
			return;
		mf_pool_udp_in(nd->pool, net->now, &e->from, e->data, e->len);
		break;
	case EV_STREAM_IN: {
		if (!nd->up) { /* connection refused, one round trip later */
			if (e->expect_reply) {
				mf_time_t back = net->now + delay(net, e->dst, e->origin);
				schedule_fail(net, e->origin, e->origin_gen, e->stream_id,
					      back < e->deadline ? back : e->deadline);
			}
			return;
		}
		if (mf_grow(&net->in, &net->cap_in, net->n_in + 1, 64) != 0)
			return;
		struct inbound *in = &net->in[net->n_in++];
		in->id = ++net->in_seq;
		in->dst = e->dst;
		in->origin = e->origin;
		in->origin_gen = e->origin_gen;
		in->origin_stream = e->stream_id;
		in->expect_reply = e->expect_reply;
		in->deadline = e->deadline;
		mf_pool_stream_in(nd->pool, net->now, in->id, &e->from, e->data, e->len);
		break;
	}
	case EV_STREAM_REPLY:
		if (!nd->up || e->gen != nd->gen)
			return;
		mf_pool_stream_reply(nd->pool, net->now, e->stream_id, e->data, e->len);
		break;
	case EV_STREAM_FAIL:
		if (!nd->up || e->gen != nd->gen)
			return;
		mf_pool_stream_failed(nd->pool, net->now, e->stream_id);
		break;
	}
	drain(net, e->dst);
}

/* When node i, if slow, is done with the stall that covers time t; t if
 * it is not stalled then. */
static mf_time_t stall_end(const struct mf_simnet *net, size_t i, mf_time_t t)
{
	mf_time_t p = net->cfg.slow_period;
	if (!is_slow(net, i) || p <= 0 || net->cfg.slow_stall <= 0)
		return t;
	mf_time_t phase = (mf_time_t)((i * 0x9e3779b97f4a7c15ULL) % (uint64_t)p);
	mf_time_t into = (t - phase) % p;
	if (into < 0)
		into += p;
	return into < net->cfg.slow_stall ? t - into + net->cfg.slow_stall : t;
}

/* Puts e back for the end of its stall: a tick (the pool's timers) at the
 * end, everything else just after, in the order it arrived. */
static void defer(struct mf_simnet *net, struct event *e, mf_time_t end)
{
	struct node *nd = &net->nodes[e->dst];
	if (e->kind == EV_TICK) {
		if (!nd->up || e->gen != nd->gen || e->at != nd->sched)
			return; /* stale */
		nd->sched = end;
		e->at = end;
	} else {
		e->at = end + 1;
	}
	heap_push(net, e);
}

int mf_simnet_run_until(struct mf_simnet *net, mf_time_t t)
{
	struct event e;

	while (net->n_heap > 0 && net->heap[0].at <= t) {
		heap_pop(net, &e);
		mf_time_t end = stall_end(net, e.dst, e.at);
		if (end > e.at) {
			defer(net, &e, end);
			continue;
		}
		if (e.at > net->now)
			net->now = e.at;
		net->stats.events++;
		deliver(net, &e);
		free(e.data);
	}
	if (t > net->now)
		net->now = t;
	return 0;
}

int mf_simnet_join(struct mf_simnet *net, size_t i, size_t j)
{
	struct mf_addr a;
	uint64_t id;

	if (!mf_simnet_is_up(net, i) || j >= net->cfg.n)
		return MF_EINVAL;
	node_addr(j, &a);
	int rc = mf_pool_join(net->nodes[i].pool, net->now, &a, &id);
	drain(net, i);
	return rc;
}

int mf_simnet_leave(struct mf_simnet *net, size_t i)
{
	if (!mf_simnet_is_up(net, i))
		return MF_EINVAL;
	int rc = mf_pool_leave(net->nodes[i].pool, net->now);
	drain(net, i);
	return rc;
}

void mf_simnet_kill(struct mf_simnet *net, size_t i)
{
	struct node *nd;

	if (!mf_simnet_is_up(net, i))
		return;
	nd = &net->nodes[i];
	mf_pool_free(nd->pool);
	nd->pool = NULL;
	nd->up = false;
	nd->gen++;
	nd->sched = INT64_MAX;
	/* Its inbound streams die with it: openers see a reset. */
	for (size_t k = 0; k < net->n_in;) {
		struct inbound *in = &net->in[k];
		if (in->dst != i) {
			k++;
			continue;
		}
		if (in->expect_reply)
			schedule_fail(net, in->origin, in->origin_gen, in->origin_stream,
				      net->now + delay(net, i, in->origin));
		net->in[k] = net->in[--net->n_in];
	}
}

int mf_simnet_restart(struct mf_simnet *net, size_t i, size_t seed_node)
{
	if (i >= net->cfg.n)
		return MF_EINVAL;
	mf_simnet_kill(net, i);
	int rc = start_pool(net, i);
	if (rc == 0 && seed_node != i)
		rc = mf_simnet_join(net, i, seed_node);
	return rc;
}

void mf_simnet_set_group(struct mf_simnet *net, size_t i, int group)
{
	if (i < net->cfg.n)
		net->nodes[i].group = group;
}

void mf_simnet_heal(struct mf_simnet *net)
{
	for (size_t i = 0; i < net->cfg.n; i++)
		net->nodes[i].group = 0;
}

void mf_simnet_set_loss(struct mf_simnet *net, double loss)
{
	net->cfg.loss = loss;
}

void mf_simnet_get_stats(const struct mf_simnet *net, struct mf_simnet_stats *s)
{
	*s = net->stats;
}

int mf_simnet_set_delay(struct mf_simnet *net, size_t from, size_t to, double ms)
{
	if (!net->delay || from >= net->cfg.n || to >= net->cfg.n)
		return MF_EINVAL;
	net->delay[from * net->cfg.n + to] = ms;
	return 0;
}

void mf_simnet_block_udp(struct mf_simnet *net, size_t i, bool blocked)
{
	if (i < net->cfg.n)
		net->nodes[i].udp_blocked = blocked;
}

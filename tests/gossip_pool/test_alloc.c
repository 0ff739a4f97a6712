/*
 * Allocation failure in the pool core: a scenario (four pools join, one is
 * killed, one leaves) runs once to count the allocations the pools make,
 * then again failing the Nth of them, for N over the whole run. Each run
 * checks after every step that the pools stay consistent (a suspect always
 * has its suspicion timer, the counts match the table, every accepted join
 * hears its MF_EV_JOIN_DONE exactly once) and that the protocol recovers
 * (the survivors end with the dead one failed and the leaver left). Under
 * MF_SANITIZE=1, LeakSanitizer checks that no run leaked.
 *
 * The hook is a test-only link-time wrapper (tests/alloc_wrap.h; see
 * CMakeLists.txt): the pool takes no allocator, and the wrapper also sees
 * the allocations msgpack's inline buffers make. It only counts while the
 * harness is inside a pool call (`armed`), so the harness's own copies
 * never fail.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/pool_internal.h"
#include "tests/alloc_wrap.h"
#include "tests/cunit_main.h"

/* --- a small deterministic network ------------------------------------------*/

#define NODES 4
#define STEP (10 * MF_MS)

enum dkind { D_UDP, D_STREAM_IN, D_STREAM_REPLY, D_STREAM_FAILED };

struct delivery {
	enum dkind kind;
	size_t to;
	struct mf_addr from;
	uint64_t sid;
	uint8_t *data;
	size_t len;
};

struct stream_rec {
	size_t opener;
	uint64_t opener_sid, inbound_id;
	bool expect_reply;
};

struct node {
	mf_pool_t *pool;
	struct mf_addr addr;
	bool up;
	uint64_t join_id;     /* the accepted join awaiting its JOIN_DONE */
	bool join_pending;
	bool joined;          /* a JOIN_DONE came back ok */
	int join_done_extra;  /* JOIN_DONE for no join we await: must stay 0 */
	bool leaving, left;
};

struct world {
	struct node n[NODES];
	mf_time_t now;
	struct delivery *q;
	size_t nq, capq;
	struct stream_rec *st;
	size_t nst, capst;
	uint64_t next_inbound;
	int nameless_events;
};

static void *grow_or_die(void *p, size_t *cap, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *np = __real_realloc(p, c * elem);
	if (np == NULL)
		abort();
	*cap = c;
	return np;
}

static void enqueue(struct world *w, enum dkind kind, size_t to, const struct mf_addr *from,
		    uint64_t sid, const uint8_t *data, size_t len)
{
	if (w->nq == w->capq)
		w->q = grow_or_die(w->q, &w->capq, sizeof(*w->q));
	struct delivery *d = &w->q[w->nq++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->to = to;
	if (from != NULL)
		d->from = *from;
	d->sid = sid;
	if (len > 0) {
		d->data = __real_malloc(len);
		if (d->data == NULL)
			abort();
		memcpy(d->data, data, len);
		d->len = len;
	}
}

static long find_node(const struct world *w, const struct mf_addr *a)
{
	for (size_t i = 0; i < NODES; i++)
		if (mf_addr_equal(&w->n[i].addr, a))
			return (long)i;
	return -1;
}

static struct stream_rec *find_stream(struct world *w, uint64_t inbound)
{
	for (size_t i = 0; i < w->nst; i++)
		if (w->st[i].inbound_id == inbound)
			return &w->st[i];
	return NULL;
}

static void forget_stream(struct world *w, struct stream_rec *r)
{
	*r = w->st[--w->nst];
}

/* Takes node i's outputs: datagrams and streams into the queue, events
 * into the node's record. */
static void drain(struct world *w, size_t i)
{
	struct node *nd = &w->n[i];
	struct mf_pool_out o;

	while (mf_pool_next_output(nd->pool, &o) == 1) {
		long to = find_node(w, &o.to);
		struct stream_rec *r;
		switch (o.kind) {
		case MF_OUT_UDP:
			if (to >= 0)
				enqueue(w, D_UDP, (size_t)to, &nd->addr, 0, o.data, o.len);
			break;
		case MF_OUT_STREAM_OPEN:
			if (to < 0 || !w->n[to].up) {
				enqueue(w, D_STREAM_FAILED, i, NULL, o.stream_id, NULL, 0);
				break;
			}
			if (w->nst == w->capst)
				w->st = grow_or_die(w->st, &w->capst, sizeof(*w->st));
			r = &w->st[w->nst++];
			r->opener = i;
			r->opener_sid = o.stream_id;
			r->inbound_id = ++w->next_inbound;
			r->expect_reply = o.expect_reply;
			enqueue(w, D_STREAM_IN, (size_t)to, &nd->addr, r->inbound_id, o.data,
				o.len);
			if (!o.expect_reply)
				forget_stream(w, r);
			break;
		case MF_OUT_STREAM_REPLY:
		case MF_OUT_STREAM_CLOSE:
			if ((r = find_stream(w, o.stream_id)) == NULL)
				break;
			if (o.kind == MF_OUT_STREAM_REPLY)
				enqueue(w, D_STREAM_REPLY, r->opener, NULL, r->opener_sid, o.data,
					o.len);
			else
				enqueue(w, D_STREAM_FAILED, r->opener, NULL, r->opener_sid, NULL,
					0);
			forget_stream(w, r);
			break;
		case MF_OUT_EVENT:
			if (o.event.kind != MF_EV_JOIN_DONE) {
				w->nameless_events += o.event.name == NULL;
				break;
			}
			if (!nd->join_pending || o.event.join_id != nd->join_id) {
				nd->join_done_extra++;
				break;
			}
			nd->join_pending = false;
			nd->joined = o.event.ok;
			break;
		}
	}
}

/* --- invariants -------------------------------------------------------------*/

static bool consistent(const mf_pool_t *p, char *why, size_t cap)
{
	size_t known = 0, suspecting = 0;

	if (p->out_head > p->n_outs || p->n_outs > p->cap_outs || p->n_streams > p->cap_streams ||
	    p->n_relays > p->cap_relays || p->members.n_probe != p->members.n) {
		snprintf(why, cap, "array bounds");
		return false;
	}
	for (size_t i = 0; i < p->members.n; i++) {
		const struct mf_member_record *m = mf_members_probe_at(&p->members, i);
		known += !m->forgotten;
		if (mf_members_find(&p->members, mf_member_name(m), mf_member_name_len(m)) != m) {
			snprintf(why, cap, "%s not found by its name", mf_member_name(m));
			return false;
		}
		if (m->state == MF_STATE_SUSPECT && !m->suspecting) {
			snprintf(why, cap, "%s suspect without a timer", mf_member_name(m));
			return false;
		}
		if (m->suspecting) {
			suspecting++;
			const struct mf_suspicion *x = mf_members_susp(&p->members, m);
			if (x == NULL || x->rec != m || x->heap_pos >= p->suspects.n ||
			    p->suspects.heap[x->heap_pos] != x) {
				snprintf(why, cap, "%s not in the suspects heap", mf_member_name(m));
				return false;
			}
		}
	}
	if (known != p->n_known) {
		snprintf(why, cap, "n_known %zu, counted %zu", p->n_known, known);
		return false;
	}
	if (suspecting != p->suspects.n) {
		snprintf(why, cap, "%zu suspects in the heap, %zu suspecting", p->suspects.n,
			 suspecting);
		return false;
	}
	for (size_t i = 0; i < p->n_streams; i++)
		for (size_t j = i + 1; j < p->n_streams; j++)
			if (p->streams[i].id == p->streams[j].id) {
				snprintf(why, cap, "stream %llu pending twice",
					 (unsigned long long)p->streams[i].id);
				return false;
			}
	return true;
}

static enum mf_node_state state_of(const mf_pool_t *p, size_t j)
{
	char name[16];
	snprintf(name, sizeof(name), "n%zu", j);
	const struct mf_member_record *m = mf_members_find(&p->members, name, strlen(name));
	return m == NULL ? (enum mf_node_state)-1 : m->state;
}

/* --- one run ------------------------------------------------------------------*/

struct outcome {
	bool created;       /* every pool was created (else: MF_ENOMEM, cleanly) */
	char broken[160];   /* first inconsistency seen, "" when none */
	bool recovered;     /* the survivors agree on who failed and who left */
	int join_done_extra;
	int joins_unanswered; /* accepted joins still without their JOIN_DONE */
	int nameless_events;
	uint64_t out_errors;
};

static void deliver(struct world *w)
{
	struct delivery *q = w->q;
	size_t n = w->nq;

	w->q = NULL;
	w->nq = w->capq = 0;
	for (size_t k = 0; k < n; k++) {
		struct delivery *d = &q[k];
		struct node *nd = &w->n[d->to];
		if (nd->up) {
			alloc.armed = true;
			switch (d->kind) {
			case D_UDP:
				(void)mf_pool_udp_in(nd->pool, w->now, &d->from, d->data, d->len);
				break;
			case D_STREAM_IN:
				(void)mf_pool_stream_in(nd->pool, w->now, d->sid, &d->from, d->data,
							d->len);
				break;
			case D_STREAM_REPLY:
				(void)mf_pool_stream_reply(nd->pool, w->now, d->sid, d->data,
							   d->len);
				break;
			case D_STREAM_FAILED:
				mf_pool_stream_failed(nd->pool, w->now, d->sid);
				break;
			}
			alloc.armed = false;
			drain(w, d->to);
		}
		free(d->data);
	}
	free(q);
}

static void step(struct world *w, struct outcome *out)
{
	deliver(w);
	for (size_t i = 0; i < NODES; i++) {
		struct node *nd = &w->n[i];
		if (!nd->up)
			continue;
		/* The shell's retry: a join refused or failed is tried again. */
		if (i > 0 && !nd->joined && !nd->join_pending && w->now % (200 * MF_MS) == 0) {
			alloc.armed = true;
			int rc = mf_pool_join(nd->pool, w->now, &w->n[0].addr, &nd->join_id);
			alloc.armed = false;
			nd->join_pending = rc == 0;
			if (rc != 0 && rc != MF_ENOMEM && out->broken[0] == '\0')
				snprintf(out->broken, sizeof(out->broken), "join: %d", rc);
		}
		if (nd->leaving && !nd->left) {
			alloc.armed = true;
			int rc = mf_pool_leave(nd->pool, w->now);
			alloc.armed = false;
			nd->left = rc == 0;
		}
		alloc.armed = true;
		mf_pool_tick(nd->pool, w->now);
		alloc.armed = false;
		drain(w, i);
		if (out->broken[0] == '\0' &&
		    !consistent(nd->pool, out->broken, sizeof(out->broken)))
			snprintf(out->broken + strlen(out->broken),
				 sizeof(out->broken) - strlen(out->broken), " (n%zu at %lld ms)", i,
				 (long long)(w->now / MF_MS));
	}
	w->now += STEP;
}

static void run(long fail_at, struct outcome *out)
{
	struct world w;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	memset(&alloc, 0, sizeof(alloc));
	alloc.fail_at = fail_at;
	for (size_t i = 0; i < NODES && rc == 0; i++) {
		struct mf_pool_config c;
		mf_pool_config_init(&c, MF_PROFILE_LOCAL);
		c.timing.probe_interval = 200 * MF_MS;
		c.timing.probe_timeout = 50 * MF_MS;
		c.timing.gossip_interval = 50 * MF_MS;
		c.timing.push_pull_interval = 2 * MF_SEC;
		c.timing.reconnect_interval = 2 * MF_SEC;
		c.timing.tcp_timeout = 500 * MF_MS;
		c.seed = 7 + i;
		snprintf(c.name, sizeof(c.name), "n%zu", i);
		c.advertise.ip_len = 4;
		c.advertise.ip[0] = 10;
		c.advertise.ip[3] = (uint8_t)(i + 1);
		c.advertise.port = 7946;
		w.n[i].addr = c.advertise;
		alloc.armed = true;
		rc = mf_pool_new(&c, 0, &w.n[i].pool);
		alloc.armed = false;
		w.n[i].up = rc == 0;
	}
	out->created = rc == 0;
	if (rc != 0 && rc != MF_ENOMEM)
		snprintf(out->broken, sizeof(out->broken), "mf_pool_new: %d", rc);
	if (out->created) {
		while (w.now < 3 * MF_SEC)
			step(&w, out);
		w.n[3].up = false; /* killed: silent from now on */
		while (w.now < 12 * MF_SEC)
			step(&w, out);
		w.n[2].leaving = true;
		while (w.now < 16 * MF_SEC)
			step(&w, out);
		out->recovered = true;
		for (size_t i = 0; i < 2; i++) {
			const mf_pool_t *p = w.n[i].pool;
			out->recovered &= state_of(p, 1 - i) == MF_STATE_ALIVE &&
					  state_of(p, 2) == MF_STATE_LEFT &&
					  state_of(p, 3) == MF_STATE_DEAD;
		}
		for (size_t i = 1; i < NODES; i++) {
			out->join_done_extra += w.n[i].join_done_extra;
			out->joins_unanswered += w.n[i].join_pending;
		}
	}
	out->nameless_events = w.nameless_events;
	for (size_t i = 0; i < NODES; i++) {
		if (w.n[i].pool != NULL) {
			struct mf_pool_stats s;
			mf_pool_get_stats(w.n[i].pool, &s);
			out->out_errors += s.out_errors;
		}
		mf_pool_free(w.n[i].pool);
	}
	for (size_t k = 0; k < w.nq; k++)
		free(w.q[k].data);
	free(w.q);
	free(w.st);
}

/* --- tests ----------------------------------------------------------------------*/

static void test_scenario_recovers_without_failures(void)
{
	struct outcome o;
	run(0, &o);
	CU_ASSERT_TRUE(o.created);
	CU_ASSERT_STRING_EQUAL(o.broken, "");
	CU_ASSERT_TRUE(o.recovered);
	CU_ASSERT_EQUAL(o.join_done_extra, 0);
	CU_ASSERT_EQUAL(o.joins_unanswered, 0);
	CU_ASSERT_EQUAL(o.out_errors, 0);
	CU_ASSERT_TRUE(alloc.count > 100);
}

static void test_every_failed_allocation_leaves_the_pools_consistent(void)
{
	struct outcome o;
	long total, runs = 0, broken = 0, unrecovered = 0, counted = 0, failed_new = 0;

	run(0, &o);
	total = alloc.count;
	for (long n = 1; n <= total; n++) {
		run(n, &o);
		runs++;
		CU_ASSERT_EQUAL(alloc.failed, 1);
		failed_new += !o.created;
		if (o.broken[0] != '\0' || o.join_done_extra != 0 || o.joins_unanswered != 0 ||
		    o.nameless_events != 0) {
			if (broken++ < 5)
				fprintf(stderr,
					"\n  allocation %ld of %ld: %s, JOIN_DONE extra %d, "
					"missing %d, nameless events %d", n, total, o.broken,
					o.join_done_extra, o.joins_unanswered, o.nameless_events);
			continue;
		}
		if (o.created && !o.recovered && unrecovered++ < 5)
			fprintf(stderr, "\n  allocation %ld of %ld: did not recover", n, total);
		counted += o.out_errors > 0;
	}
	fprintf(stderr, "\n  %ld runs (%ld failed in mf_pool_new, %ld counted out_errors) ",
		runs, failed_new, counted);
	CU_ASSERT_EQUAL(broken, 0);
	CU_ASSERT_EQUAL(unrecovered, 0);
	CU_ASSERT_TRUE(failed_new > 0);
	CU_ASSERT_TRUE(counted > 0);
}

/* The one event a caller waits on: when the output queue cannot grow to
 * hold MF_EV_JOIN_DONE, it is owed and comes with the next tick. */
static void test_join_done_is_owed_when_the_queue_cannot_grow(void)
{
	struct mf_pool_config c;
	struct mf_addr seed, other;
	struct mf_pool_out o;
	mf_pool_t *p;
	uint64_t join_id = 0;
	int done = 0;
	bool ok = true;

	memset(&alloc, 0, sizeof(alloc));
	mf_pool_config_init(&c, MF_PROFILE_LOCAL);
	strcpy(c.name, "me");
	mf_addr_parse("10.0.0.1:7946", 7946, &c.advertise);
	mf_addr_parse("10.0.0.2:7946", 7946, &seed);
	mf_addr_parse("10.0.0.3:7946", 7946, &other);
	CU_ASSERT_EQUAL_FATAL(mf_pool_new(&c, 0, &p), 0);
	CU_ASSERT_EQUAL_FATAL(mf_pool_join(p, 0, &seed, &join_id), 0);
	CU_ASSERT_EQUAL(mf_pool_next_output(p, &o), 1);
	CU_ASSERT_EQUAL(o.kind, MF_OUT_STREAM_OPEN);
	uint64_t sid = o.stream_id;
	/* Fill the queue to its capacity without draining it. */
	while (p->n_outs < p->cap_outs)
		CU_ASSERT_EQUAL_FATAL(mf_pool_join(p, 0, &other, NULL), 0);
	alloc.fail_at = 1;
	alloc.armed = true;
	mf_pool_stream_failed(p, MF_SEC, sid);
	alloc.armed = false;
	CU_ASSERT_EQUAL(alloc.failed, 1);
	while (mf_pool_next_output(p, &o) == 1)
		done += o.kind == MF_OUT_EVENT && o.event.kind == MF_EV_JOIN_DONE;
	CU_ASSERT_EQUAL(done, 0);
	mf_pool_tick(p, MF_SEC + 1);
	while (mf_pool_next_output(p, &o) == 1) {
		if (o.kind == MF_OUT_EVENT && o.event.kind == MF_EV_JOIN_DONE &&
		    o.event.join_id == join_id) {
			done++;
			ok = o.event.ok;
		}
	}
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_FALSE(ok);
	mf_pool_tick(p, MF_SEC + 2);
	while (mf_pool_next_output(p, &o) == 1)
		done += o.kind == MF_OUT_EVENT && o.event.kind == MF_EV_JOIN_DONE &&
			o.event.join_id == join_id;
	CU_ASSERT_EQUAL(done, 1); /* once */
	struct mf_pool_stats st;
	mf_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.out_errors, 1);
	mf_pool_free(p);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_scenario_recovers_without_failures),
		TEST(test_every_failed_allocation_leaves_the_pools_consistent),
		TEST(test_join_done_is_owed_when_the_queue_cannot_grow),
	};
	return RUN_SUITE("gossip_pool_alloc", tests);
}

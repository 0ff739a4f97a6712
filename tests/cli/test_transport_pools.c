/*
 * tests/cli/test_transport_pools.c — the transport is a value: two pools,
 * each with its own transport, on ONE libuv loop in one process, join over
 * real loopback sockets (127.0.68.1-2), see each other alive, then one
 * leaves and the other sees it left; everything closes and frees cleanly
 * (run under ASan for leaks). Label: integration.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <uv.h>

#include "gossip/transport.h"
#include "tests/cli/transport_side.h"
#include "tests/cunit_main.h"

/* Runs the loop until pred() or ms elapse. */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, int ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
	while (uv_hrtime() < end) {
		if (pred(arg))
			return true;
		uv_run(loop, UV_RUN_ONCE);
	}
	return pred(arg);
}

static struct side a, b;

static bool both_alive(void *x)
{
	(void)x;
	return side_status_of(a.pool, "b") == MF_MEMBER_ALIVE &&
	       side_status_of(b.pool, "a") == MF_MEMBER_ALIVE;
}

static bool b_sees_a_left(void *x)
{
	(void)x;
	return side_status_of(b.pool, "a") == MF_MEMBER_LEFT && mf_pool_leave_done(a.pool);
}

static bool both_closed(void *x)
{
	(void)x;
	return a.closed && b.closed;
}

static void test_two_pools_on_one_loop_join_and_leave(void)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CU_ASSERT_FATAL(side_open(&loop, &a, "a", "127.0.68.1:7946", 0) == 0);
	CU_ASSERT_FATAL(side_open(&loop, &b, "b", "127.0.68.2:7946", 0) == 0);

	struct mf_addr to;
	uint64_t id;
	mf_addr_parse("127.0.68.1:7946", 7946, &to);
	CU_ASSERT_EQUAL(mf_transport_join(b.tr, &to, &id), 0);
	CU_ASSERT_TRUE(run_until(&loop, both_alive, NULL, 5000));
	CU_ASSERT_EQUAL(b.joins_done, 1);
	CU_ASSERT_EQUAL(b.joins_ok, 1);

	struct mf_transport_stats st;
	mf_transport_get_stats(a.tr, &st);
	CU_ASSERT_TRUE(st.streams_accepted >= 1); /* b's push-pull */

	CU_ASSERT_EQUAL(mf_transport_leave(a.tr), 0);
	CU_ASSERT_TRUE(run_until(&loop, b_sees_a_left, NULL, 5000));

	mf_transport_close(a.tr, side_on_closed, &a);
	mf_transport_close(b.tr, side_on_closed, &b);
	CU_ASSERT_TRUE(run_until(&loop, both_closed, NULL, 2000));
	mf_pool_free(a.pool);
	mf_pool_free(b.pool);
	uv_run(&loop, UV_RUN_NOWAIT);
	CU_ASSERT_EQUAL(uv_loop_close(&loop), 0); /* every handle was closed */
}

static void test_bind_conflict_is_reported_with_the_uv_error(void)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct side x, y;
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	CU_ASSERT_FATAL(side_open(&loop, &x, "x", "127.0.68.3:7946", 0) == 0);
	struct mf_pool_config pc;
	mf_pool_config_init(&pc, MF_PROFILE_LOCAL);
	snprintf(pc.name, sizeof(pc.name), "y");
	mf_addr_parse("127.0.68.3:7946", 7946, &pc.advertise);
	CU_ASSERT_FATAL(mf_pool_new(&pc, (mf_time_t)uv_hrtime(), &y.pool) == 0);
	struct mf_transport_config tc = {.bind = pc.advertise};
	int uverr = 0;
	CU_ASSERT_EQUAL(mf_transport_new(&loop, y.pool, &tc, &y.tr, &uverr), MF_EIO);
	CU_ASSERT_EQUAL(uverr, UV_EADDRINUSE);
	mf_transport_close(x.tr, side_on_closed, &x);
	while (!x.closed)
		uv_run(&loop, UV_RUN_ONCE);
	uv_run(&loop, UV_RUN_NOWAIT); /* the failed transport's handles */
	mf_pool_free(x.pool);
	mf_pool_free(y.pool);
	CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "test_two_pools_on_one_loop_join_and_leave", test_two_pools_on_one_loop_join_and_leave },
		{ "test_bind_conflict_is_reported_with_the_uv_error", test_bind_conflict_is_reported_with_the_uv_error },
	};
	return RUN_SUITE("transport_pools", tests);
}

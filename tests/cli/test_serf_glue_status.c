/* gossip/serf_glue.c against serf 0.9.4's member status (serf.go): a
 * member whose latest intent is a leave is `leaving`; when memberlist then
 * drops it (handleNodeLeave) it is left, not failed, until it is alive
 * again (handleNodeJoin). One pool "me" fed crafted memberlist messages
 * (tests/gossip_pool/state_fixture.h), its events handed to a glue, and
 * serf's intents handed to the glue as gossip would. */
#include <CUnit/Basic.h>
#include <string.h>

#include "gossip/serf.h"
#include "gossip/serf_glue.h"
#include "tests/cunit_main.h"
#include "tests/gossip_pool/state_fixture.h"

static struct mf_serf_glue glue;
static struct mf_pool_delegate hooks;

static void to_glue(const struct mf_pool_event *ev)
{
	mf_serf_glue_on_event(&glue, ev);
}

static void glue_setup(void)
{
	setup();
	mf_serf_glue_init(&glue, "me");
	memset(&hooks, 0, sizeof(hooks));
	mf_serf_glue_delegate(&glue, &hooks);
	on_event_hook = to_glue;
}

static void glue_teardown(void)
{
	on_event_hook = NULL;
	mf_serf_glue_free(&glue);
	teardown();
}

/* A gossiped leave intent for `node` at `ltime`. */
static void leave_intent(const char *node, uint64_t ltime)
{
	msgpack_sbuffer sb;
	struct mf_serf_leave l = {ltime, {(const uint8_t *)node, strlen(node)}, false};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_leave(&sb, &l), 0);
	hooks.on_user_msg(hooks.ctx, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* The flush after a pool call (the agent's after_drain): members it forced. */
static int flush(void)
{
	int forced = mf_serf_glue_flush(&glue, pool, 0);
	drain();
	return forced;
}

static void test_member_failing_after_its_leave_intent_is_left(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	leave_intent("b", 5);
	CU_ASSERT_EQUAL(flush(), 0); /* alive: leaving, not forced */
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL(flush(), 1);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_LEFT);
	CU_ASSERT_EQUAL(glue.stats.forced_left, 1);
	CU_ASSERT_EQUAL(events[MF_EV_LEFT], 1);
}

/* serf's recentIntents: a leave intent heard before the member joins makes
 * it join as leaving, so its failure is a leave too. */
static void test_member_joining_after_its_leave_intent_and_failing_is_left(void)
{
	leave_intent("b", 5);
	CU_ASSERT_EQUAL(flush(), 0); /* not in the pool yet */
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL(flush(), 1);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_LEFT);
}

/* serf handleNodeJoin sets a known member alive whatever it was: the
 * leave intent is spent, and the next failure is a failure. */
static void test_member_alive_again_after_a_forced_leave_fails_as_failed(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	leave_intent("b", 5);
	send_dead("b", 1, "c", 0);
	CU_ASSERT_EQUAL_FATAL(flush(), 1);
	send_alive("b", 2, "10.0.0.2", "", 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_ALIVE);
	const struct mf_serf_entry *e = mf_serf_glue_find(&glue, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_FALSE(e->leave_intent);
	CU_ASSERT_EQUAL(e->ltime, 5); /* serf keeps statusLTime: the old intent stays old */
	send_dead("b", 2, "c", 0);
	CU_ASSERT_EQUAL(flush(), 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	CU_ASSERT_EQUAL(glue.stats.forced_left, 1);
}

/* No intent, or a leave intent a newer join intent replaced (before the
 * flush), and a failure stays one. (Before, the leave intent's queued
 * force outlived the join and made d left.) */
static void test_member_failing_without_a_leave_intent_stays_failed(void)
{
	send_alive("b", 1, "10.0.0.2", "", 0);
	send_alive("d", 1, "10.0.0.4", "", 0);
	leave_intent("d", 5);
	msgpack_sbuffer sb;
	struct mf_serf_join j = {6, {(const uint8_t *)"d", 1}};
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL_FATAL(mf_serf_encode_join(&sb, &j), 0);
	hooks.on_user_msg(hooks.ctx, (const uint8_t *)sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	send_dead("b", 1, "c", 0);
	send_dead("d", 1, "c", 0);
	CU_ASSERT_EQUAL(flush(), 0);
	CU_ASSERT_EQUAL(status_of("b"), MF_MEMBER_FAILED);
	CU_ASSERT_EQUAL(status_of("d"), MF_MEMBER_FAILED);
	CU_ASSERT_EQUAL(glue.stats.forced_left, 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_member_failing_after_its_leave_intent_is_left),
		TEST(test_member_joining_after_its_leave_intent_and_failing_is_left),
		TEST(test_member_alive_again_after_a_forced_leave_fails_as_failed),
		TEST(test_member_failing_without_a_leave_intent_stays_failed),
	};
	return RUN_SUITE_WITH("serf_glue_status", glue_setup, glue_teardown, tests);
}

/* tests/cli/test_snapshot.c — the -snapshot format's pure core (cmd/agent/snapshot.h):
 * records replayed in order, serf's own lines read, corruption and
 * truncation at every byte survived, compaction equivalent to the log. */
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/snapshot.h"
#include "tests/cunit_main.h"

static const char *LOG =
	"clock: 5\n"
	"alive: n1 127.0.0.1:7946\n"
	"alive: n 2 with spaces 127.0.0.2:7946\n"
	"event-clock: 3\n"
	"alive: n3 [::1]:7947\n"
	"not-alive: n1\n"
	"coordinate: {\"Vec\":[0,0]}\n"
	"# a comment\n"
	"clock: 9\n"
	"query-clock: 2\n"
	"alive: n1 127.0.0.9:7946\n";

static struct mf_snapshot replay(const char *buf, size_t len)
{
	struct mf_snapshot s;
	mf_snapshot_init(&s);
	CU_ASSERT_EQUAL(mf_snapshot_replay(&s, buf, len), 0);
	return s;
}

static const char *addr_of(const struct mf_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_alive; i++)
		if (strcmp(s->alive[i].name, name) == 0)
			return s->alive[i].addr;
	return NULL;
}

static void test_replay_in_order(void)
{
	struct mf_snapshot s = replay(LOG, strlen(LOG));
	CU_ASSERT_EQUAL(s.clock, 9);
	CU_ASSERT_EQUAL(s.event_clock, 3);
	CU_ASSERT_EQUAL(s.query_clock, 2);
	CU_ASSERT_EQUAL(s.n_alive, 3);
	CU_ASSERT_STRING_EQUAL(addr_of(&s, "n1"), "127.0.0.9:7946");
	CU_ASSERT_STRING_EQUAL(addr_of(&s, "n 2 with spaces"), "127.0.0.2:7946");
	CU_ASSERT_STRING_EQUAL(addr_of(&s, "n3"), "[::1]:7947");
	CU_ASSERT_EQUAL(s.bad_lines, 0);
	CU_ASSERT_EQUAL(s.truncated, 0);
	CU_ASSERT_EQUAL(s.records, 11);
	CU_ASSERT_FALSE(s.left);
	mf_snapshot_free(&s);
}

static void test_leave_forgets_members(void)
{
	const char *t = "alive: a 127.0.0.1:1\nclock: 4\nleave\n";
	struct mf_snapshot s = replay(t, strlen(t));
	CU_ASSERT_TRUE(s.left);
	CU_ASSERT_EQUAL(s.n_alive, 0);
	CU_ASSERT_EQUAL(s.clock, 4);
	mf_snapshot_free(&s);
	t = "alive: a 127.0.0.1:1\nleave\nalive: b 127.0.0.2:1\n"; /* rejoined later */
	s = replay(t, strlen(t));
	CU_ASSERT_FALSE(s.left);
	CU_ASSERT_EQUAL(s.n_alive, 1);
	mf_snapshot_free(&s);
}

/* Every prefix: no failure, the complete lines applied, the rest reported. */
static void test_truncation_at_every_byte(void)
{
	size_t len = strlen(LOG);
	for (size_t cut = 0; cut <= len; cut++) {
		struct mf_snapshot s = replay(LOG, cut);
		size_t complete = 0;
		for (size_t i = 0; i < cut; i++)
			if (LOG[i] == '\n')
				complete = i + 1;
		CU_ASSERT_EQUAL(s.truncated, cut - complete);
		struct mf_snapshot w = replay(LOG, complete);
		CU_ASSERT_EQUAL(s.n_alive, w.n_alive);
		CU_ASSERT_EQUAL(s.clock, w.clock);
		CU_ASSERT_EQUAL(s.records, w.records);
		/* a cut inside a line never applies a partial record */
		CU_ASSERT_EQUAL(s.bad_lines, 0);
		mf_snapshot_free(&s);
		mf_snapshot_free(&w);
	}
}

static void test_corrupt_lines_skipped(void)
{
	const char *t = "clock: 7\n"
			"alive: nospace\n"
			"alive: x 999.1.1.1:7946\n"
			"alive: y 127.0.0.1:0\n"
			"clock: -3\n"
			"clock: 99999999999999999999999\n"
			"\x01\x02garbage\xff\n"
			"alive: z\0 127.0.0.1:1\n"
			"alive: ok 127.0.0.5:7946\n";
	size_t len = 0;
	while (memcmp(t + len, "alive: ok", 9) != 0)
		len++;
	len += strlen(t + len);
	struct mf_snapshot s = replay(t, len);
	CU_ASSERT_EQUAL(s.clock, 7);
	CU_ASSERT_EQUAL(s.n_alive, 1);
	CU_ASSERT_STRING_EQUAL(addr_of(&s, "ok"), "127.0.0.5:7946");
	CU_ASSERT_EQUAL(s.bad_lines, 7);
	mf_snapshot_free(&s);
}

/* Random bytes in random places: replay never fails, never keeps a bad address. */
static void test_random_corruption(void)
{
	size_t len = strlen(LOG);
	char *b = malloc(len);
	unsigned x = 12345;
	for (int round = 0; round < 2000; round++) {
		memcpy(b, LOG, len);
		for (int k = 0; k < 1 + round % 5; k++) {
			x = x * 1103515245u + 12345u;
			b[(x >> 8) % len] = (char)(x >> 16);
		}
		struct mf_snapshot s = replay(b, len);
		for (size_t i = 0; i < s.n_alive; i++)
			CU_ASSERT_TRUE(strlen(s.alive[i].name) > 0 && s.alive[i].addr[0]);
		mf_snapshot_free(&s);
	}
	free(b);
}

static void test_compact_equivalent(void)
{
	struct mf_snapshot s = replay(LOG, strlen(LOG));
	char *c;
	size_t n;
	CU_ASSERT_EQUAL(mf_snapshot_compact(&s, &c, &n), 0);
	CU_ASSERT_TRUE(n < strlen(LOG));
	struct mf_snapshot t = replay(c, n);
	CU_ASSERT_EQUAL(t.clock, s.clock);
	CU_ASSERT_EQUAL(t.event_clock, s.event_clock);
	CU_ASSERT_EQUAL(t.query_clock, s.query_clock);
	CU_ASSERT_EQUAL(t.n_alive, s.n_alive);
	for (size_t i = 0; i < s.n_alive; i++)
		CU_ASSERT_STRING_EQUAL(addr_of(&t, s.alive[i].name), s.alive[i].addr);
	CU_ASSERT_EQUAL(t.bad_lines, 0);
	free(c);
	mf_snapshot_free(&t);
	mf_snapshot_free(&s);
}

static void test_fmt_matches_replay(void)
{
	char buf[512], log[2048] = "";
	struct mf_snapshot live;
	mf_snapshot_init(&live);
	CU_ASSERT_TRUE(mf_snapshot_fmt_alive(buf, sizeof(buf), "a b", "127.0.0.1:7946") > 0);
	strcat(log, buf);
	CU_ASSERT_EQUAL(mf_snapshot_alive(&live, "a b", "127.0.0.1:7946"), 0);
	CU_ASSERT_TRUE(mf_snapshot_fmt_clock(buf, sizeof(buf), "clock", 42) > 0);
	strcat(log, buf);
	live.clock = 42;
	CU_ASSERT_TRUE(mf_snapshot_fmt_not_alive(buf, sizeof(buf), "a b") > 0);
	strcat(log, buf);
	mf_snapshot_not_alive(&live, "a b");
	CU_ASSERT_EQUAL(mf_snapshot_fmt_alive(buf, sizeof(buf), "bad\nname", "127.0.0.1:1"), 0);
	CU_ASSERT_EQUAL(mf_snapshot_fmt_alive(buf, 8, "n", "127.0.0.1:1"), 0); /* too small */
	struct mf_snapshot r = replay(log, strlen(log));
	CU_ASSERT_EQUAL(r.n_alive, live.n_alive);
	CU_ASSERT_EQUAL(r.clock, live.clock);
	mf_snapshot_free(&r);
	mf_snapshot_free(&live);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_replay_in_order),
		TEST(test_leave_forgets_members),
		TEST(test_truncation_at_every_byte),
		TEST(test_corrupt_lines_skipped),
		TEST(test_random_corruption),
		TEST(test_compact_equivalent),
		TEST(test_fmt_matches_replay),
	};
	return RUN_SUITE("snapshot", tests);
}

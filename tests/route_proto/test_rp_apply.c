/* Unit and property tests of the subscriber side of routing/route_proto.c:
 * deltas applied in order reproduce every version's table (random table
 * walks and real engine tables); gaps, repeats, wrong epochs and bad
 * updates are nacked with the table untouched; truncated and garbled lines
 * never change anything; a one-route change costs under 1 KB. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "gossip/err.h"
#include "routing/engine.h"
#include "routing/route_proto.h"
#include "routing/table_format.h"
#include "tests/cunit_main.h"
#include "tests/route_proto/tables.h"
#include "tests/routing/sim.h"

#define EPOCH 77

/* One agent line into the client; checks the reply is the ack or nack the
 * event calls for. Returns the event, or -1 on a non-zero return. */
static int apply(struct mf_rp_client *c, const char *line, size_t len, char **reply, char **detail)
{
	enum mf_rp_event ev;
	size_t rl = 0;
	char *r = NULL, *d = NULL;
	int rc = mf_rp_client_apply(c, line, rt_body(len), &ev, &r, &rl, &d);
	if (r) {
		CU_ASSERT_EQUAL(strlen(r), rl);
	}
	if (reply)
		*reply = r;
	else
		free(r);
	if (detail)
		*detail = d;
	else
		free(d);
	return rc == 0 ? (int)ev : -1;
}

/* Encodes, applies, frees: the event. */
static int send_snapshot(struct mf_rp_client *c, uint64_t epoch, const struct mf_table *t)
{
	char *line;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(epoch, t, &line, &len), 0);
	int ev = apply(c, line, len, NULL, NULL);
	free(line);
	return ev;
}

static int send_hello(struct mf_rp_client *c, const char *dc, uint64_t epoch)
{
	char *line;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_hello(dc, "s1", epoch, &line, &len), 0);
	int ev = apply(c, line, len, NULL, NULL);
	free(line);
	return ev;
}

/* The client's visible state, for "nothing changed" checks. */
static char *state_of(const struct mf_rp_client *c)
{
	char *table = rt_json(&c->table), *s = NULL;
	size_t len;
	FILE *f = table ? open_memstream(&s, &len) : NULL;
	if (f) {
		fprintf(f, "%d %d %llu %s %s %llu %llu|%s", c->have_hello, c->have_table, (unsigned long long)c->epoch,
			c->datacenter ? c->datacenter : "-", c->node ? c->node : "-",
			(unsigned long long)c->table_epoch, (unsigned long long)c->last_heartbeat, table);
		if (fclose(f) != 0) {
			free(s);
			s = NULL;
		}
	}
	free(table);
	return s;
}

static bool sorted(const struct mf_table *t)
{
	for (size_t i = 1; i < t->n_routes; i++)
		if (strcmp(t->routes[i - 1].target, t->routes[i].target) >= 0)
			return false;
	return true;
}

/* --- deltas reproduce every version ---------------------------------------- */

static void walk(uint64_t seed, size_t n_dcs, size_t steps)
{
	struct rt_model m;
	struct mf_table prev, cur;
	struct mf_rp_client c;
	size_t bad = 0, upserts = 0;
	CU_ASSERT_EQUAL_FATAL(rt_model_init(&m, seed, n_dcs), 0);
	CU_ASSERT_EQUAL_FATAL(rt_model_table(&m, &prev), 0);
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL(send_hello(&c, "dc0", EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH, &prev), MF_RP_EV_SNAPSHOT);
	for (size_t step = 1; step <= steps && bad == 0; step++) {
		rt_model_step(&m);
		CU_ASSERT_EQUAL_FATAL(rt_model_table(&m, &cur), 0);
		char *line, *reply = NULL, want[64];
		size_t len;
		int ev;
		if (step == steps / 2) { /* a snapshot in the middle, deltas on from it */
			CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(EPOCH, &cur, &line, &len), 0);
			ev = apply(&c, line, len, &reply, NULL);
			bad += ev != MF_RP_EV_SNAPSHOT;
		} else {
			CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH, &prev, &cur, &line, &len), 0);
			ev = apply(&c, line, len, &reply, NULL);
			bad += ev != MF_RP_EV_DELTA;
			for (const char *p = strstr(line, "\"target\""); p; p = strstr(p + 1, "\"target\""))
				upserts++;
		}
		snprintf(want, sizeof want, "{\"type\":\"ack\",\"version\":%llu}\n", (unsigned long long)cur.version);
		bad += !reply || strcmp(reply, want) != 0;
		char *a = rt_json(&c.table), *b = rt_json(&cur);
		bool same = a && b && strcmp(a, b) == 0;
		if (!same)
			printf("\n  seed %llu step %zu: client table differs\n  got  %.300s\n  want %.300s\n",
			       (unsigned long long)seed, step, a, b);
		bad += !same || !sorted(&c.table) || c.table.version != cur.version;
		free(a);
		free(b);
		free(line);
		free(reply);
		mf_table_free(&prev);
		prev = cur;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* The walk did exercise changes, not only empty deltas. */
	CU_ASSERT_TRUE(upserts > steps / 2);
	mf_table_free(&prev);
	mf_rp_client_free(&c);
	rt_model_free(&m);
}

static void test_deltas_in_order_reproduce_every_version(void)
{
	static const uint64_t seeds[] = {1, 2, 0x5eed, 20261201};
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		walk(seeds[i], 40, 2000);
	walk(99, 3, 500); /* few DCs: tables often empty of all but the local one */
}

/* Real tables: an engine simulation whose links change and DCs fail, every
 * route field the engine fills (whatever table_format renders) included. */
static void test_deltas_reproduce_real_engine_tables(void)
{
	struct sim s;
	struct mf_routing_config cfg;
	struct rt_rng rng = {42};
	const size_t n = 24;
	int rounds;
	mf_routing_config_default(&cfg);
	CU_ASSERT_EQUAL_FATAL(sim_init(&s, n, NULL, &cfg, NULL), 0);
	for (size_t i = 1; i < n; i++) /* a ring with chords */
		CU_ASSERT_EQUAL(sim_link2(&s, i - 1, i, true, true, 5 + (double)rt_below(&rng, 50)), 0);
	CU_ASSERT_EQUAL(sim_link2(&s, n - 1, 0, true, true, 20), 0);
	for (size_t k = 0; k < n / 2; k++) {
		size_t a = rt_below(&rng, n), b = rt_below(&rng, n);
		if (a != b) {
			CU_ASSERT_EQUAL(sim_link2(&s, a, b, true, true, 10 + (double)rt_below(&rng, 90)), 0);
		}
	}
	for (size_t i = 0; i < n; i += 3) {
		char name[32], wan[32];
		snprintf(name, sizeof name, "%s-g1", s.names[i]);
		snprintf(wan, sizeof wan, "203.0.113.%zu:8443", i + 1);
		struct mf_gateway g = {.name = name, .wan = wan, .lan = wan};
		CU_ASSERT_EQUAL(mf_routing_set_gateways(s.eng[i], &g, 1), 1); /* 1: the set changed */
	}
	CU_ASSERT_EQUAL_FATAL(sim_run(&s, 200, &rounds), 0);
	struct mf_table prev, cur;
	struct mf_rp_client c;
	CU_ASSERT_EQUAL_FATAL(mf_routing_table(s.eng[0], &prev), 0);
	CU_ASSERT_TRUE_FATAL(prev.n_routes == n);
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL(send_hello(&c, s.names[0], EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH, &prev), MF_RP_EV_SNAPSHOT);
	size_t deltas = 0;
	for (int change = 0; change < 40; change++) {
		size_t a = 1 + rt_below(&rng, n - 1), b = rt_below(&rng, n);
		if (change == 30) {
			CU_ASSERT_EQUAL(sim_kill(&s, a), 0);
		} else if (a != b) {
			bool up = rt_below(&rng, 4) != 0;
			CU_ASSERT_EQUAL(sim_link2(&s, a, b, true, up, 5 + (double)rt_below(&rng, 80)), 0);
		}
		CU_ASSERT_EQUAL_FATAL(sim_run(&s, 200, &rounds), 0);
		CU_ASSERT_EQUAL_FATAL(mf_routing_table(s.eng[0], &cur), 0);
		if (cur.version == prev.version) {
			mf_table_free(&cur);
			continue;
		}
		char *line, *reply = NULL;
		size_t len;
		CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH, &prev, &cur, &line, &len), 0);
		CU_ASSERT_EQUAL(apply(&c, line, len, &reply, NULL), MF_RP_EV_DELTA);
		char *x = rt_json(&c.table), *y = rt_json(&cur);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT_STRING_EQUAL(x, y);
		deltas++;
		free(x);
		free(y);
		free(line);
		free(reply);
		mf_table_free(&prev);
		prev = cur;
	}
	CU_ASSERT_TRUE(deltas >= 10);
	mf_table_free(&prev);
	mf_rp_client_free(&c);
	sim_free(&s);
}

/* --- gaps, repeats, wrong epochs: nacked, nothing changed ------------------- */

/* Applies `line`, expects REJECTED with exactly the nack {version, why},
 * and the client state as before. */
static void expect_nack(struct mf_rp_client *c, const char *line, size_t len, uint64_t version, const char *why)
{
	char *before = state_of(c), *reply = NULL, *detail = NULL, want[512];
	int ev = apply(c, line, len, &reply, &detail);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_REJECTED);
	json_t *w = json_string(why);
	char *quoted = json_dumps(w, JSON_ENCODE_ANY);
	snprintf(want, sizeof want, "{\"type\":\"nack\",\"version\":%llu,\"error\":%s}\n",
		 (unsigned long long)version, quoted);
	free(quoted);
	json_decref(w);
	if (!reply || strcmp(reply, want) != 0)
		printf("\n  got  %s  want %s", reply ? reply : "(none)\n", want);
	CU_ASSERT_PTR_NOT_NULL(reply);
	if (reply) {
		CU_ASSERT_STRING_EQUAL(reply, want);
	}
	CU_ASSERT_PTR_NOT_NULL(detail);
	if (detail) {
		CU_ASSERT_STRING_EQUAL(detail, why);
	}
	char *after = state_of(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(after, before);
	free(before);
	free(after);
	free(reply);
	free(detail);
}

static void expect_nack_text(struct mf_rp_client *c, const char *text, uint64_t version, const char *why)
{
	expect_nack(c, text, strlen(text) + 1, version, why); /* apply() strips one byte */
}

/* Tables v1..v4 of a walk, and the deltas between neighbours. */
struct versions {
	struct mf_table t[5];
	char *d[5]; /* d[i]: t[i-1] -> t[i] */
	size_t dl[5];
};

static void versions_make(struct versions *v)
{
	struct rt_model m;
	memset(v, 0, sizeof *v);
	CU_ASSERT_EQUAL_FATAL(rt_model_init(&m, 7, 12), 0);
	for (int i = 1; i <= 4; i++) {
		CU_ASSERT_EQUAL_FATAL(rt_model_table(&m, &v->t[i]), 0);
		CU_ASSERT_EQUAL(v->t[i].version, (uint64_t)i);
		if (i > 1) {
			CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH, &v->t[i - 1], &v->t[i], &v->d[i], &v->dl[i]), 0);
		}
		rt_model_step(&m);
	}
	rt_model_free(&m);
}

static void versions_free(struct versions *v)
{
	for (int i = 0; i < 5; i++) {
		mf_table_free(&v->t[i]);
		free(v->d[i]);
	}
}

static void test_gaps_repeats_and_wrong_epochs_are_nacked(void)
{
	struct versions v;
	struct mf_rp_client c;
	char *line;
	size_t len;
	versions_make(&v);
	mf_rp_client_init(&c);

	/* Nothing before hello, no delta before a snapshot. */
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(EPOCH, &v.t[1], &line, &len), 0);
	expect_nack(&c, line, len, 1, "snapshot before hello");
	free(line);
	CU_ASSERT_EQUAL(send_hello(&c, "dc0", EPOCH), MF_RP_EV_HELLO);
	expect_nack(&c, v.d[2], v.dl[2], 2, "delta without a snapshot");

	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH, &v.t[1]), MF_RP_EV_SNAPSHOT);
	CU_ASSERT_EQUAL(apply(&c, v.d[2], v.dl[2], NULL, NULL), MF_RP_EV_DELTA);
	/* The same delta again. */
	expect_nack(&c, v.d[2], v.dl[2], 2, "delta: base 1 is not the applied version 2");
	/* One skipped: v3 -> v4 on v2. */
	expect_nack(&c, v.d[4], v.dl[4], 4, "delta: base 3 is not the applied version 2");
	/* The right one still applies after the refusals. */
	CU_ASSERT_EQUAL(apply(&c, v.d[3], v.dl[3], NULL, NULL), MF_RP_EV_DELTA);
	CU_ASSERT_EQUAL(c.table.version, 3);

	/* Another epoch's delta. */
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH + 1, &v.t[3], &v.t[4], &line, &len), 0);
	expect_nack(&c, line, len, 4, "delta: epoch 78 is not the hello's 77");
	free(line);
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(EPOCH + 1, &v.t[4], &line, &len), 0);
	expect_nack(&c, line, len, 4, "snapshot: epoch 78 is not the hello's 77");

	/* The agent restarted: a new hello, and until the new epoch's snapshot
	 * the old table stays (still forwarding on it) but takes no deltas. */
	CU_ASSERT_EQUAL(send_hello(&c, "dc0", EPOCH + 1), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(c.table.version, 3);
	char *d;
	size_t dl;
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH + 1, &v.t[3], &v.t[4], &d, &dl), 0);
	expect_nack(&c, d, dl, 4, "delta: the table held is of epoch 77, not 78");
	CU_ASSERT_EQUAL(apply(&c, line, len, NULL, NULL), MF_RP_EV_SNAPSHOT); /* epoch 78's snapshot */
	CU_ASSERT_EQUAL(c.table_epoch, EPOCH + 1);
	CU_ASSERT_EQUAL(c.table.version, 4);
	free(line);
	free(d);
	/* A snapshot may go back in version (a new epoch restarts them). */
	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH + 1, &v.t[1]), MF_RP_EV_SNAPSHOT);
	CU_ASSERT_EQUAL(c.table.version, 1);

	mf_rp_client_free(&c);
	versions_free(&v);
}

static void test_inconsistent_updates_are_nacked(void)
{
	struct mf_rp_client c;
	struct mf_table t;
	char line[4096];
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&t, 7), 0);
	CU_ASSERT_EQUAL(send_hello(&c, "dc1", EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH, &t), MF_RP_EV_SNAPSHOT);
	char *r4 = NULL;
	{
		json_t *j = mf_table_route_to_json(rt_find(&t, "dc4"));
		r4 = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
#define DELTA(v, b, rest) "{\"type\":\"delta\",\"epoch\":77,\"version\":" #v ",\"base\":" #b rest "}"
	expect_nack_text(&c, DELTA(7, 7, ""), 7, "delta: version 7 is not above base 7");
	expect_nack_text(&c, DELTA(8, 7, ",\"remove\":[\"dc9\"]"), 8, "delta: remove: \"dc9\" is not in the table");
	expect_nack_text(&c, DELTA(8, 7, ",\"remove\":[\"dc3\",\"dc3\"]"), 8, "delta: remove: \"dc3\" twice");
	expect_nack_text(&c, DELTA(8, 7, ",\"remove\":[\"dc3\",5]"), 8, "delta: remove[1]: not a string");
	expect_nack_text(&c, DELTA(8, 7, ",\"remove\":\"dc3\""), 8, "delta: remove: not an array");
	expect_nack_text(&c, DELTA(8, 7, ",\"upsert\":{}"), 8, "delta: upsert: not an array");
	expect_nack_text(&c, DELTA(8, 7, ",\"upsert\":[{\"target\":\"dc5\"}]"), 8, "delta: upsert[0]: not a route");
	expect_nack_text(&c, DELTA(8, 7, ",\"links\":[{\"from\":1}]"), 8, "delta: links: not a list of links");
	expect_nack_text(&c, DELTA(8, 7, ",\"links\":{}"), 8, "delta: links: not an array");
	snprintf(line, sizeof line, DELTA(8, 7, ",\"upsert\":[%s,%s]"), r4, r4);
	expect_nack_text(&c, line, 8, "delta: upsert: target \"dc4\" twice");
	snprintf(line, sizeof line, DELTA(8, 7, ",\"upsert\":[%s],\"remove\":[\"dc4\"]"), r4);
	expect_nack_text(&c, line, 8, "delta: \"dc4\" both upserted and removed");
	expect_nack_text(&c, "{\"type\":\"delta\",\"epoch\":77,\"base\":7}", 0,
			 "delta: version: missing or not an integer from 0 to 2^63-1");
	expect_nack_text(&c, "{\"type\":\"delta\",\"version\":8,\"base\":7}", 8,
			 "delta: epoch: missing or not an integer from 0 to 2^63-1");
	expect_nack_text(&c, "{\"type\":\"delta\",\"epoch\":77,\"version\":8}", 8,
			 "delta: base: missing or not an integer from 0 to 2^63-1");
#undef DELTA
	/* Snapshots that do not hold together. */
	expect_nack_text(&c, "{\"type\":\"snapshot\",\"epoch\":77,\"version\":9,\"table\":[]}", 9,
			 "snapshot: table: not a route table");
	expect_nack_text(&c, "{\"type\":\"snapshot\",\"epoch\":77,\"version\":9,\"table\":{\"datacenter\":\"dc1\","
			     "\"version\":8,\"routes\":[]}}",
			 9, "snapshot: table.version 8 is not the message's 9");
	expect_nack_text(&c, "{\"type\":\"snapshot\",\"epoch\":77,\"version\":9,\"table\":{\"datacenter\":\"dc2\","
			     "\"version\":9,\"routes\":[]}}",
			 9, "snapshot: table.datacenter \"dc2\" is not the hello's");
	snprintf(line, sizeof line,
		 "{\"type\":\"snapshot\",\"epoch\":77,\"version\":9,\"table\":{\"datacenter\":\"dc1\",\"version\":9,"
		 "\"routes\":[%s,%s]}}",
		 r4, r4);
	expect_nack_text(&c, line, 9, "snapshot: table: target \"dc4\" twice");
	/* Removing the last route and upserting into an empty table work. */
	const char *empty = "{\"type\":\"snapshot\",\"epoch\":77,\"version\":9,\"table\":{\"datacenter\":\"dc1\","
			    "\"version\":9,\"routes\":[]}}";
	CU_ASSERT_EQUAL(apply(&c, empty, strlen(empty) + 1, NULL, NULL), MF_RP_EV_SNAPSHOT);
	CU_ASSERT_EQUAL(c.table.n_routes, 0);
	snprintf(line, sizeof line, "{\"type\":\"delta\",\"epoch\":77,\"version\":10,\"base\":9,\"upsert\":[%s]}", r4);
	CU_ASSERT_EQUAL(apply(&c, line, strlen(line) + 1, NULL, NULL), MF_RP_EV_DELTA);
	CU_ASSERT_EQUAL(c.table.n_routes, 1);
	const char *rm = "{\"type\":\"delta\",\"epoch\":77,\"version\":11,\"base\":10,\"remove\":[\"dc4\"]}";
	CU_ASSERT_EQUAL(apply(&c, rm, strlen(rm) + 1, NULL, NULL), MF_RP_EV_DELTA);
	CU_ASSERT_EQUAL(c.table.n_routes, 0);
	CU_ASSERT_EQUAL(c.table.version, 11);
	free(r4);
	mf_table_free(&t);
	mf_rp_client_free(&c);
}

static void test_an_unsorted_snapshot_is_held_sorted(void)
{
	struct mf_rp_client c;
	struct mf_table t;
	char *line;
	size_t len;
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&t, 3), 0);
	struct mf_table_route r = t.routes[0];
	t.routes[0] = t.routes[3];
	t.routes[3] = r;
	CU_ASSERT_EQUAL(send_hello(&c, "dc1", EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(EPOCH, &t, &line, &len), 0);
	CU_ASSERT_EQUAL(apply(&c, line, len, NULL, NULL), MF_RP_EV_SNAPSHOT);
	CU_ASSERT_TRUE(sorted(&c.table));
	CU_ASSERT_EQUAL(c.table.n_routes, 4);
	free(line);
	mf_table_free(&t);
	mf_rp_client_free(&c);
}

/* --- truncated and garbled lines --------------------------------------------- */

/* Every agent message a client can see, for a client that holds v1. */
static size_t agent_lines(const struct versions *v, char **lines, size_t *lens)
{
	size_t n = 0;
	CU_ASSERT_EQUAL(mf_rp_encode_hello("dc0", "dc0-s1", EPOCH, &lines[n], &lens[n]), 0);
	n++;
	CU_ASSERT_EQUAL(mf_rp_encode_snapshot(EPOCH, &v->t[2], &lines[n], &lens[n]), 0);
	n++;
	CU_ASSERT_EQUAL(mf_rp_encode_delta(EPOCH, &v->t[2], &v->t[3], &lines[n], &lens[n]), 0);
	n++;
	CU_ASSERT_EQUAL(mf_rp_encode_heartbeat(3, &lines[n], &lens[n]), 0);
	n++;
	CU_ASSERT_EQUAL(mf_rp_encode_registered("dc1-gw1", &lines[n], &lens[n]), 0);
	n++;
	CU_ASSERT_EQUAL(mf_rp_encode_error("register: gateway.name: missing", &lines[n], &lens[n]), 0);
	n++;
	return n;
}

static void client_at_v1(struct mf_rp_client *c, const struct versions *v)
{
	mf_rp_client_init(c);
	CU_ASSERT_EQUAL(send_hello(c, "dc0", EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(send_snapshot(c, EPOCH, &v->t[1]), MF_RP_EV_SNAPSHOT);
}

static void test_every_prefix_of_every_message_changes_nothing(void)
{
	struct versions v;
	struct mf_rp_client c;
	char *lines[8];
	size_t lens[8], bad = 0, tried = 0;
	versions_make(&v);
	client_at_v1(&c, &v);
	size_t n = agent_lines(&v, lines, lens);
	char *before = state_of(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k + 1 < lens[i]; k++) { /* every strict prefix of the body */
			enum mf_rp_event ev = MF_RP_EV_HELLO;
			char *reply = (char *)1, *detail = NULL, *copy = malloc(k ? k : 1);
			size_t rl;
			CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
			memcpy(copy, lines[i], k); /* an exact-size copy: ASan sees any over-read */
			int rc = mf_rp_client_apply(&c, copy, k, &ev, &reply, &rl, &detail);
			bad += rc != MF_EMALFORMED || ev != 0 || reply != NULL || detail == NULL;
			free(detail);
			free(copy);
			tried++;
		}
	}
	char *after = state_of(&c);
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(tried > 1000);
	/* And whole, each applies. */
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_TRUE(apply(&c, lines[i], lens[i], NULL, NULL) > 0);
		free(lines[i]);
	}
	CU_ASSERT_EQUAL(c.table.version, 3);
	free(before);
	free(after);
	mf_rp_client_free(&c);
	versions_free(&v);
}

static void test_every_prefix_of_every_request_is_refused(void)
{
	static const char *reqs[] = {
		"{\"type\":\"ack\",\"version\":12}",
		"{\"type\":\"nack\",\"version\":13,\"error\":\"delta: base 3\"}",
		"{\"type\":\"resume\",\"epoch\":5,\"version\":4}",
		"{\"type\":\"subscribe\",\"deltas\":false}",
		"{\"type\":\"health\",\"ok\":true}",
		"{\"type\":\"register\",\"gateway\":{\"name\":\"dc1-gw1\",\"wan\":\"203.0.113.5:8443\","
		"\"lan\":\"[fd00::5]:8443\",\"tagged\":{\"dc:dc2\":\"198.51.100.5:8443\"}}}",
	};
	size_t bad = 0;
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		size_t n = strlen(reqs[i]);
		for (size_t k = 0; k < n; k++) {
			struct mf_rp_request r, zero;
			char err[128], *copy = malloc(k ? k : 1);
			memset(&zero, 0, sizeof zero);
			memcpy(copy, reqs[i], k);
			bad += mf_rp_parse_request(copy, k, &r, err, sizeof err) != MF_EMALFORMED ||
			       memcmp(&r, &zero, sizeof r) != 0 || err[0] == '\0';
			free(copy);
		}
		struct mf_rp_request r;
		char err[128];
		CU_ASSERT_EQUAL(mf_rp_parse_request(reqs[i], n, &r, err, sizeof err), 0);
		mf_rp_request_free(&r);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Random damage to valid lines (bytes replaced, cut, doubled) and random
 * bytes: the client never crashes or leaks (run under ASan), and whatever
 * it did not apply left it exactly as it was. */
static void test_garbled_lines_never_corrupt_the_client(void)
{
	struct versions v;
	struct rt_rng rng = {2026};
	char *lines[8];
	size_t lens[8], applied = 0, rejected = 0, refused = 0, bad = 0;
	versions_make(&v);
	size_t n = agent_lines(&v, lines, lens);
	for (int round = 0; round < 6000; round++) {
		struct mf_rp_client c;
		client_at_v1(&c, &v);
		size_t i = rt_below(&rng, n), len = lens[i] - 1;
		char *buf = malloc(2 * len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, lines[i], len);
		switch (rt_below(&rng, 4)) {
		case 0: /* a few bytes replaced */
			for (size_t k = 0, m = 1 + rt_below(&rng, 3); k < m; k++)
				buf[rt_below(&rng, len)] = (char)rt_below(&rng, 256);
			break;
		case 1: /* a byte replaced by a JSON-significant one */
			buf[rt_below(&rng, len)] = "{}[]\",:0-1tfn\\ "[rt_below(&rng, 16)];
			break;
		case 2: /* cut and the rest doubled */
			memcpy(buf + len / 2, lines[i], len - len / 2);
			break;
		default: /* noise */
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rt_below(&rng, 256);
			len = rt_below(&rng, len + 1);
			break;
		}
		char *before = state_of(&c), *reply = NULL, *detail = NULL;
		enum mf_rp_event ev;
		size_t rl;
		int rc = mf_rp_client_apply(&c, buf, len, &ev, &reply, &rl, &detail);
		char *after = state_of(&c);
		if (rc != 0 || ev == MF_RP_EV_REJECTED) {
			bad += strcmp(before, after) != 0;
			bad += rc != 0 && (reply != NULL || ev != 0);
			bad += ev == MF_RP_EV_REJECTED && (!reply || strncmp(reply, "{\"type\":\"nack\",", 15) != 0);
			if (rc != 0)
				refused++;
			else
				rejected++;
		} else {
			applied++;
			bad += !sorted(&c.table);
		}
		free(before);
		free(after);
		free(reply);
		free(detail);
		free(buf);
		mf_rp_client_free(&c);
	}
	printf("\n  garbled lines: %zu refused, %zu rejected (nacked), %zu applied ", refused, rejected, applied);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(refused > 1000 && rejected > 10);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	versions_free(&v);
}

static void test_garbled_requests_never_crash(void)
{
	static const char *req = "{\"type\":\"register\",\"gateway\":{\"name\":\"dc1-gw1\",\"wan\":\"203.0.113.5:8443\","
				 "\"lan\":\"[fd00::5]:8443\",\"tagged\":{\"dc:dc2\":\"198.51.100.5:8443\"}}}";
	struct rt_rng rng = {7};
	size_t n = strlen(req), ok = 0, bad = 0;
	for (int round = 0; round < 6000; round++) {
		char *buf = malloc(n);
		struct mf_rp_request r, zero;
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		char err[200];
		memset(&zero, 0, sizeof zero);
		memcpy(buf, req, n);
		for (size_t k = 0, m = 1 + rt_below(&rng, 3); k < m; k++)
			buf[rt_below(&rng, n)] = rt_below(&rng, 2) ? (char)rt_below(&rng, 256)
								   : "{}[]\",:0-1tfn\\ "[rt_below(&rng, 16)];
		int rc = mf_rp_parse_request(buf, n, &r, err, sizeof err);
		if (rc == 0)
			ok++;
		else
			bad += memcmp(&r, &zero, sizeof r) != 0 || err[0] == '\0';
		mf_rp_request_free(&r);
		free(buf);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(ok < 6000);
}

/* --- size -------------------------------------------------------------------- */

static void test_a_one_route_change_on_1000_dcs_is_under_1_kb(void)
{
	struct rt_model m;
	struct mf_table a, b;
	char *delta, *snap;
	size_t dl, sl;
	CU_ASSERT_EQUAL_FATAL(rt_model_init(&m, 1000, 1000), 0);
	m.dc[500].n_gw = 2; /* the changed route carries two gateways */
	CU_ASSERT_EQUAL_FATAL(rt_model_table(&m, &a), 0);
	rt_model_touch(&m, 500);
	CU_ASSERT_EQUAL_FATAL(rt_model_table(&m, &b), 0);
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_delta(EPOCH, &a, &b, &delta, &dl), 0);
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_snapshot(EPOCH, &b, &snap, &sl), 0);
	printf("\n  1,000 DCs, %zu links: one-route delta %zu bytes, snapshot %zu bytes ", b.n_links, dl, sl);
	CU_ASSERT_TRUE(dl < 1024);
	CU_ASSERT_PTR_NOT_NULL(strstr(delta, "\"upsert\":[{\"target\":\"dc500\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(delta, "\"remove\":[]}"));
	CU_ASSERT_TRUE(sl > 100 * dl);
	/* And it applies. */
	struct mf_rp_client c;
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL(send_hello(&c, "dc0", EPOCH), MF_RP_EV_HELLO);
	CU_ASSERT_EQUAL(send_snapshot(&c, EPOCH, &a), MF_RP_EV_SNAPSHOT);
	CU_ASSERT_EQUAL(apply(&c, delta, dl, NULL, NULL), MF_RP_EV_DELTA);
	char *x = rt_json(&c.table), *y = rt_json(&b);
	CU_ASSERT_STRING_EQUAL(x, y);
	free(x);
	free(y);
	mf_rp_client_free(&c);
	free(delta);
	free(snap);
	mf_table_free(&a);
	mf_table_free(&b);
	rt_model_free(&m);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"deltas applied in order reproduce every version (random walks)",
		 test_deltas_in_order_reproduce_every_version},
		{"deltas reproduce real engine tables", test_deltas_reproduce_real_engine_tables},
		{"gaps, repeats and wrong epochs are nacked, table unchanged",
		 test_gaps_repeats_and_wrong_epochs_are_nacked},
		{"inconsistent updates are nacked, table unchanged", test_inconsistent_updates_are_nacked},
		{"an unsorted snapshot is held sorted", test_an_unsorted_snapshot_is_held_sorted},
		{"every prefix of every agent message changes nothing",
		 test_every_prefix_of_every_message_changes_nothing},
		{"every prefix of every request is refused", test_every_prefix_of_every_request_is_refused},
		{"garbled lines never corrupt the client", test_garbled_lines_never_corrupt_the_client},
		{"garbled requests never crash", test_garbled_requests_never_crash},
		{"a one-route change on 1,000 DCs is under 1 KB", test_a_one_route_change_on_1000_dcs_is_under_1_kb},
	};
	return RUN_SUITE("route_proto apply", cases);
}

/* Unit tests of routing/route_pub.c, the route socket's publisher core, in
 * virtual time: what each subscriber is sent, when, and when it is closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "gossip/err.h"
#include "routing/route_pub.h"
#include "tests/cunit_main.h"

#define T0 (1000 * MF_SEC)
#define EPOCH 4242

/* --- a recording shell ------------------------------------------------------*/

struct sent {
	uint64_t sub;
	json_t *msg;
};

struct rec {
	struct sent out[256];
	size_t n_out, seen;       /* seen: lines already taken by next() */
	uint64_t closed[64];
	char reasons[64][256];
	size_t n_closed;
	size_t gw_calls;
	char gw_names[16][64];
	size_t n_gw;
	bool refuse;              /* send returns MF_ETOOBIG */
};

static int rec_send(void *ctx, uint64_t sub, const char *line, size_t len)
{
	struct rec *r = ctx;
	if (r->refuse)
		return MF_ETOOBIG;
	CU_ASSERT_FATAL(len > 0 && line[len - 1] == '\n');
	CU_ASSERT_FATAL(memchr(line, '\n', len - 1) == NULL); /* one line */
	CU_ASSERT_FATAL(r->n_out < 256);
	json_t *o = json_loadb(line, len, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	r->out[r->n_out++] = (struct sent){sub, o};
	return 0;
}

static void rec_close(void *ctx, uint64_t sub, const char *reason)
{
	struct rec *r = ctx;
	snprintf(r->reasons[r->n_closed], sizeof(r->reasons[0]), "%s", reason);
	r->closed[r->n_closed++] = sub;
}

static void rec_gateways(void *ctx, const struct mf_gateway *g, size_t n)
{
	struct rec *r = ctx;
	r->gw_calls++;
	r->n_gw = n;
	for (size_t i = 0; i < n && i < 16; i++)
		snprintf(r->gw_names[i], sizeof(r->gw_names[0]), "%s", g[i].name);
}

static void rec_clear(struct rec *r)
{
	for (size_t i = 0; i < r->n_out; i++)
		json_decref(r->out[i].msg);
	r->n_out = r->seen = 0;
}

static void rec_free(struct rec *r)
{
	rec_clear(r);
	free(r);
}

/* The next line sent to sub (NULL when none is left). */
static json_t *next(struct rec *r, uint64_t sub)
{
	while (r->seen < r->n_out) {
		struct sent *s = &r->out[r->seen++];
		if (s->sub == sub)
			return s->msg;
	}
	return NULL;
}

static size_t count_to(const struct rec *r, uint64_t sub)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_out; i++)
		n += r->out[i].sub == sub;
	return n;
}

static const char *type_of(const json_t *m)
{
	return json_string_value(json_object_get(m, "type"));
}

static uint64_t num(const json_t *m, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(m, k));
}

static struct mf_route_pub *new_pub(struct rec **rp)
{
	struct rec *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct mf_route_pub_config c = {"dc1", "dc1-s1", EPOCH,
					{r, rec_send, rec_close, rec_gateways}};
	struct mf_route_pub *p = NULL;
	CU_ASSERT_EQUAL_FATAL(mf_route_pub_new(&c, &p), 0);
	*rp = r;
	return p;
}

/* --- tables -----------------------------------------------------------------*/

static char *dup(const char *s)
{
	char *d = strdup(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

/* dc1's table at `version`: dc1 local, dc2..dc<n> direct, distance of dcK
 * = K * 10 + dist_bump (so a table differs from another in every route
 * when dist_bump differs, and only in dcN when `last_only`). */
static struct mf_table table(uint64_t version, size_t n, double bump, bool last_only)
{
	struct mf_table t;
	memset(&t, 0, sizeof(t));
	t.datacenter = dup("dc1");
	t.version = version;
	t.routes = calloc(n, sizeof(*t.routes));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.routes);
	t.n_routes = n;
	for (size_t i = 0; i < n; i++) {
		struct mf_table_route *r = &t.routes[i];
		char name[32];
		snprintf(name, sizeof(name), "dc%zu", i + 1);
		r->target = dup(name);
		r->mode = MF_MODE_MULTI_HOP;
		r->path = calloc(2, sizeof(char *));
		CU_ASSERT_PTR_NOT_NULL_FATAL(r->path);
		r->path[0] = dup("dc1");
		if (i == 0) {
			r->status = MF_ROUTE_LOCAL;
			r->path_len = 1;
			continue;
		}
		r->status = MF_ROUTE_DIRECT;
		r->next_hop = dup(name);
		r->path[1] = dup(name);
		r->path_len = 2;
		bool bumped = !last_only || i == n - 1;
		r->distance_ms = (double)(i + 1) * 10 + (bumped ? bump : 0);
	}
	return t;
}

static void publish(struct mf_route_pub *p, uint64_t version, double bump, mf_time_t now)
{
	struct mf_table t = table(version, 4, bump, true);
	CU_ASSERT_EQUAL_FATAL(mf_route_pub_publish(p, &t, now), 0);
	CU_ASSERT_PTR_NULL(t.routes); /* taken */
}

static int say(struct mf_route_pub *p, uint64_t sub, const char *line, mf_time_t now)
{
	return mf_route_pub_line(p, sub, line, strlen(line), now);
}

static void ack(struct mf_route_pub *p, uint64_t sub, uint64_t version, mf_time_t now)
{
	char line[64];
	snprintf(line, sizeof(line), "{\"type\":\"ack\",\"version\":%llu}",
		 (unsigned long long)version);
	CU_ASSERT_EQUAL(say(p, sub, line, now), 0);
}

/* Connects sub 1 to a publisher at version 1 and acks the snapshot. */
static struct mf_route_pub *subscribed(struct rec **rp)
{
	struct mf_route_pub *p = new_pub(rp);
	publish(p, 1, 0, T0);
	CU_ASSERT_EQUAL_FATAL(mf_route_pub_connect(p, 1, 100, 1000, 1000, T0), 0);
	ack(p, 1, 1, T0);
	(*rp)->seen = (*rp)->n_out;
	return p;
}

/* --- connect, snapshots, deltas ---------------------------------------------*/

static void test_connect_sends_hello_then_snapshot(void)
{
	struct rec *r;
	struct mf_route_pub *p = new_pub(&r);
	publish(p, 7, 0, T0);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 1, 100, 1000, 1000, T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "hello");
	CU_ASSERT_EQUAL(num(m, "protocol"), 1);
	CU_ASSERT_EQUAL(num(m, "epoch"), EPOCH);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "datacenter")), "dc1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "node")), "dc1-s1");
	m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "snapshot");
	CU_ASSERT_EQUAL(num(m, "version"), 7);
	CU_ASSERT_EQUAL(num(m, "epoch"), EPOCH);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(m, "table"), "routes")), 4);
	CU_ASSERT_PTR_NULL(next(r, 1));
	struct mf_route_pub_sub_info si;
	CU_ASSERT_EQUAL(mf_route_pub_sub_at(p, 0, &si), 0);
	CU_ASSERT_EQUAL(si.id, 1);
	CU_ASSERT_EQUAL(si.pid, 100);
	CU_ASSERT_TRUE(si.has_inflight);
	CU_ASSERT_EQUAL(si.inflight, 7);
	CU_ASSERT_FALSE(si.has_applied);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_first_table_after_connect_is_a_snapshot(void)
{
	struct rec *r;
	struct mf_route_pub *p = new_pub(&r);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 1, 100, 1000, 1000, T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "hello");
	CU_ASSERT_PTR_NULL(next(r, 1));
	publish(p, 3, 0, T0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "snapshot");
	CU_ASSERT_EQUAL(num(m, "version"), 3);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_new_table_sends_delta_from_applied_version(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 2, 5, T0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "delta");
	CU_ASSERT_EQUAL(num(m, "base"), 1);
	CU_ASSERT_EQUAL(num(m, "version"), 2);
	json_t *up = json_object_get(m, "upsert");
	CU_ASSERT_EQUAL_FATAL(json_array_size(up), 1); /* only dc4 changed */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(up, 0), "target")),
			       "dc4");
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->deltas, 1);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->snapshots, 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_an_old_version_is_not_published(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 1, 9, T0); /* same version again */
	CU_ASSERT_PTR_NULL(next(r, 1));
	CU_ASSERT_EQUAL(mf_route_pub_version(p), 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_one_in_flight_changes_merge_on_ack(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 2, 1, T0);
	json_t *m = next(r, 1);
	CU_ASSERT_EQUAL(num(m, "version"), 2); /* in flight, unacked */
	/* Three changes meanwhile: nothing is queued. */
	struct mf_table t3 = table(3, 4, 2, false);
	CU_ASSERT_EQUAL(mf_route_pub_publish(p, &t3, T0 + MF_SEC), 0);
	publish(p, 4, 3, T0 + 2 * MF_SEC);
	struct mf_table t5 = table(5, 4, 4, false);
	CU_ASSERT_EQUAL(mf_route_pub_publish(p, &t5, T0 + 3 * MF_SEC), 0);
	CU_ASSERT_PTR_NULL(next(r, 1));
	/* The ack of 2 brings one delta from 2 to the latest, 5. */
	ack(p, 1, 2, T0 + 4 * MF_SEC);
	m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "delta");
	CU_ASSERT_EQUAL(num(m, "base"), 2);
	CU_ASSERT_EQUAL(num(m, "version"), 5);
	json_t *up = json_object_get(m, "upsert");
	CU_ASSERT_EQUAL(json_array_size(up), 3); /* dc2..dc4 differ between 2 and 5 */
	json_t *dc4 = json_array_get(up, 2);
	CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(dc4, "distance_ms")), 44.0, 1e-9);
	CU_ASSERT_PTR_NULL(next(r, 1));
	ack(p, 1, 5, T0 + 5 * MF_SEC);
	CU_ASSERT_PTR_NULL(next(r, 1)); /* current: nothing more */
	struct mf_route_pub_sub_info si;
	CU_ASSERT_EQUAL(mf_route_pub_sub_at(p, 0, &si), 0);
	CU_ASSERT_EQUAL(si.applied, 5);
	CU_ASSERT_FALSE(si.has_inflight);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_subscribers_at_different_versions_get_their_own_deltas(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 2)), "hello");
	CU_ASSERT_EQUAL(num(next(r, 2), "version"), 1);
	publish(p, 2, 1, T0); /* 1 has nothing in flight, 2 has its snapshot */
	r->seen = 0;
	size_t before2 = count_to(r, 2);
	json_t *m;
	while ((m = next(r, 1)) && strcmp(type_of(m), "delta") != 0) {
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(num(m, "base"), 1);
	CU_ASSERT_EQUAL(count_to(r, 2), before2);
	ack(p, 2, 1, T0);
	CU_ASSERT_EQUAL(count_to(r, 2), before2 + 1);
	CU_ASSERT_STRING_EQUAL(type_of(r->out[r->n_out - 1].msg), "delta");
	CU_ASSERT_EQUAL(num(r->out[r->n_out - 1].msg, "base"), 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_nack_gets_a_snapshot(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 2, 1, T0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "delta");
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"nack\",\"version\":2,\"error\":\"base mismatch\"}",
			    T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "snapshot");
	CU_ASSERT_EQUAL(num(m, "version"), 2);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->nacks, 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_resume_same_epoch_gets_delta(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 2, 1, T0);
	publish(p, 3, 2, T0);
	/* A reconnecting gateway that applied version 2 before. */
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 2)), "hello");
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 2)), "snapshot");
	ack(p, 2, 3, T0);
	r->seen = r->n_out;
	/* Resuming from a version held: the delta from it. */
	char line[128];
	snprintf(line, sizeof(line), "{\"type\":\"resume\",\"epoch\":%d,\"version\":2}", EPOCH);
	CU_ASSERT_EQUAL(say(p, 2, line, T0), 0);
	json_t *m = next(r, 2);
	CU_ASSERT_STRING_EQUAL(type_of(m), "delta");
	CU_ASSERT_EQUAL(num(m, "base"), 2);
	CU_ASSERT_EQUAL(num(m, "version"), 3);
	ack(p, 2, 3, T0);
	/* From the current version: nothing. */
	snprintf(line, sizeof(line), "{\"type\":\"resume\",\"epoch\":%d,\"version\":3}", EPOCH);
	CU_ASSERT_EQUAL(say(p, 2, line, T0), 0);
	CU_ASSERT_PTR_NULL(next(r, 2));
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->resumes, 2);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_resume_other_epoch_or_unknown_version_gets_snapshot(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	publish(p, 2, 1, T0);
	ack(p, 1, 2, T0);
	r->seen = r->n_out;
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"resume\",\"epoch\":1,\"version\":2}", T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "snapshot");
	CU_ASSERT_EQUAL(num(m, "version"), 2);
	ack(p, 1, 2, T0);
	char line[128];
	snprintf(line, sizeof(line), "{\"type\":\"resume\",\"epoch\":%d,\"version\":99}", EPOCH);
	CU_ASSERT_EQUAL(say(p, 1, line, T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "snapshot");
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_deltas_false_gets_snapshots(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"subscribe\",\"deltas\":false}", T0), 0);
	CU_ASSERT_PTR_NULL(next(r, 1)); /* already current */
	publish(p, 2, 1, T0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "snapshot");
	CU_ASSERT_EQUAL(num(m, "version"), 2);
	ack(p, 1, 2, T0);
	publish(p, 3, 2, T0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "snapshot");
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->deltas, 0);
	mf_route_pub_free(p);
	rec_free(r);
}

/* --- time -------------------------------------------------------------------*/

static void test_heartbeat_after_5s_of_silence(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 4 * MF_SEC), 0);
	CU_ASSERT_PTR_NULL(next(r, 1));
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 5 * MF_SEC), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "heartbeat");
	CU_ASSERT_EQUAL(num(m, "version"), 1);
	/* Anything sent restarts the silence. */
	publish(p, 2, 1, T0 + 8 * MF_SEC);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "delta");
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 12 * MF_SEC), 0);
	CU_ASSERT_PTR_NULL(next(r, 1));
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 13 * MF_SEC), 0);
	CU_ASSERT_EQUAL(num(next(r, 1), "version"), 2);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->heartbeats, 2);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_unacked_30s_while_update_waits_is_closed(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0); /* acks nothing */
	publish(p, 2, 1, T0 + MF_SEC);
	ack(p, 1, 2, T0 + MF_SEC);
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 29 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->n_closed, 0);
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 30 * MF_SEC), 0);
	CU_ASSERT_EQUAL_FATAL(r->n_closed, 1);
	CU_ASSERT_EQUAL(r->closed[0], 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->reasons[0], "unacknowledged"));
	CU_ASSERT_EQUAL(mf_route_pub_count(p), 1);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->closed_slow, 1);
	/* Sub 1 acked: it stays. Its forgotten peer's lines are refused. */
	CU_ASSERT_EQUAL(mf_route_pub_line(p, 2, "{}", 2, T0 + 31 * MF_SEC), MF_ENOTFOUND);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_unacked_with_nothing_waiting_stays(void)
{
	struct rec *r;
	struct mf_route_pub *p = new_pub(&r);
	publish(p, 1, 0, T0);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 1, 100, 1000, 1000, T0), 0);
	for (int s = 1; s <= 60; s++)
		CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + s * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->n_closed, 0);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->heartbeats, 12);
	mf_route_pub_free(p);
	rec_free(r);
}

/* --- gateways ---------------------------------------------------------------*/

#define REGISTER_GW1                                                                  \
	"{\"type\":\"register\",\"gateway\":{\"name\":\"dc1-gw1\",\"wan\":\"192.0.2.1:8443\"," \
	"\"lan\":\"10.0.0.1:8443\",\"tagged\":{\"dc:dc2\":\"198.51.100.1:8443\"}}}"

static void test_register_is_answered_and_reported(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1, REGISTER_GW1, T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "registered");
	CU_ASSERT_EQUAL(r->gw_calls, 1);
	CU_ASSERT_EQUAL_FATAL(r->n_gw, 1);
	CU_ASSERT_STRING_EQUAL(r->gw_names[0], "dc1-gw1");
	struct mf_route_pub_sub_info si;
	CU_ASSERT_EQUAL(mf_route_pub_sub_at(p, 0, &si), 0);
	CU_ASSERT_STRING_EQUAL(si.gateway, "dc1-gw1");
	CU_ASSERT_TRUE(si.healthy);
	/* A second subscriber may not take the same name. */
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0);
	r->seen = r->n_out;
	CU_ASSERT_EQUAL(say(p, 2, REGISTER_GW1, T0), 0);
	m = next(r, 2);
	CU_ASSERT_STRING_EQUAL(type_of(m), "error");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(m, "error")),
				      "gateway.name"));
	CU_ASSERT_EQUAL(r->gw_calls, 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_register_with_a_bad_field_names_it(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1,
			    "{\"type\":\"register\",\"gateway\":{\"name\":\"gw\",\"wan\":\"nowhere\"}}",
			    T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "error");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(m, "error")), "wan"));
	CU_ASSERT_EQUAL(r->gw_calls, 0);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->malformed, 1);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->registrations, 0);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_gateway_without_health_for_15s_is_withdrawn(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1, REGISTER_GW1, T0), 0);
	CU_ASSERT_EQUAL(r->n_gw, 1);
	/* Health every 10 s keeps it. */
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"health\",\"ok\":true}", T0 + 10 * MF_SEC), 0);
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 24 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->gw_calls, 1);
	/* 15 s without: withdrawn, the connection stays. */
	CU_ASSERT_EQUAL(mf_route_pub_tick(p, T0 + 25 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->gw_calls, 2);
	CU_ASSERT_EQUAL(r->n_gw, 0);
	CU_ASSERT_EQUAL(mf_route_pub_count(p), 1);
	/* Health again: back. */
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"health\",\"ok\":true}", T0 + 26 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->gw_calls, 3);
	CU_ASSERT_EQUAL(r->n_gw, 1);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_gateway_not_ok_or_gone_is_withdrawn(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1, REGISTER_GW1, T0), 0);
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"health\",\"ok\":false}", T0 + MF_SEC), 0);
	CU_ASSERT_EQUAL(r->gw_calls, 2);
	CU_ASSERT_EQUAL(r->n_gw, 0);
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"health\",\"ok\":true}", T0 + 2 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->n_gw, 1);
	CU_ASSERT_EQUAL(mf_route_pub_disconnect(p, 1, T0 + 3 * MF_SEC), 0);
	CU_ASSERT_EQUAL(r->gw_calls, 4);
	CU_ASSERT_EQUAL(r->n_gw, 0);
	CU_ASSERT_EQUAL(r->n_closed, 0); /* the shell's own disconnect: no close hook */
	CU_ASSERT_EQUAL(mf_route_pub_disconnect(p, 1, T0 + 3 * MF_SEC), MF_ENOTFOUND);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_health_without_register_is_an_error(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"health\",\"ok\":true}", T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "error");
	CU_ASSERT_EQUAL(r->gw_calls, 0);
	mf_route_pub_free(p);
	rec_free(r);
}

/* --- garbage and slow peers -------------------------------------------------*/

static void test_malformed_lines_get_errors_and_too_many_close(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	for (int i = 0; i < MF_ROUTE_PUB_MAX_MALFORMED; i++) {
		CU_ASSERT_EQUAL(say(p, 1, i % 2 ? "not json" : "{\"type\":\"dance\"}", T0), 0);
		CU_ASSERT_STRING_EQUAL(type_of(next(r, 1)), "error");
	}
	/* A good line resets the run. */
	CU_ASSERT_EQUAL(say(p, 1, "{\"type\":\"subscribe\",\"deltas\":true}", T0), 0);
	for (int i = 0; i < MF_ROUTE_PUB_MAX_MALFORMED; i++)
		CU_ASSERT_EQUAL(say(p, 1, "[1,2]", T0), 0);
	CU_ASSERT_EQUAL(r->n_closed, 0);
	CU_ASSERT_EQUAL(say(p, 1, "[1,2]", T0), 0);
	CU_ASSERT_EQUAL_FATAL(r->n_closed, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->reasons[0], "malformed"));
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->malformed, 2 * MF_ROUTE_PUB_MAX_MALFORMED + 1);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->closed_garbage, 1);
	CU_ASSERT_EQUAL(mf_route_pub_count(p), 0);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_oversize_line_is_answered_counted_and_closed(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	CU_ASSERT_EQUAL(mf_route_pub_oversize(p, 1, T0), 0);
	json_t *m = next(r, 1);
	CU_ASSERT_STRING_EQUAL(type_of(m), "error");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(m, "error")), "65536"));
	CU_ASSERT_EQUAL(r->n_closed, 1);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->oversize, 1);
	CU_ASSERT_EQUAL(mf_route_pub_count(p), 0);
	mf_route_pub_free(p);
	rec_free(r);
}

static void test_refused_send_closes_only_that_subscriber(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	r->refuse = true;
	publish(p, 2, 1, T0);
	r->refuse = false;
	CU_ASSERT_EQUAL(r->n_closed, 1);
	CU_ASSERT_EQUAL(mf_route_pub_count(p), 0);
	CU_ASSERT_EQUAL(mf_route_pub_stats(p)->closed_slow, 1);
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0);
	CU_ASSERT_STRING_EQUAL(type_of(next(r, 2)), "hello");
	CU_ASSERT_EQUAL(num(next(r, 2), "version"), 2);
	mf_route_pub_free(p);
	rec_free(r);
}

/* --- bookkeeping ------------------------------------------------------------*/

static void test_tables_held_stay_bounded_and_lag_is_reported(void)
{
	struct rec *r;
	struct mf_route_pub *p = subscribed(&r);
	/* Sub 2 takes its snapshot of 1 and never acks. */
	CU_ASSERT_EQUAL(mf_route_pub_connect(p, 2, 101, 1000, 1000, T0), 0);
	for (uint64_t v = 2; v <= 100; v++) {
		publish(p, v, (double)v, T0);
		ack(p, 1, v, T0);
		rec_clear(r); /* keep the recorder small */
	}
	/* Current + 16 recent (overlapping) + sub 2's in-flight version 1. */
	CU_ASSERT(mf_route_pub_tables_held(p) <= MF_ROUTE_PUB_KEEP + 2);
	uint64_t id = 0;
	CU_ASSERT_EQUAL(mf_route_pub_max_lag(p, &id), 100);
	CU_ASSERT_EQUAL(id, 2);
	mf_route_pub_free(p);
	rec_free(r);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "connect_sends_hello_then_snapshot", test_connect_sends_hello_then_snapshot },
		{ "first_table_after_connect_is_a_snapshot", test_first_table_after_connect_is_a_snapshot },
		{ "new_table_sends_delta_from_applied_version", test_new_table_sends_delta_from_applied_version },
		{ "an_old_version_is_not_published", test_an_old_version_is_not_published },
		{ "one_in_flight_changes_merge_on_ack", test_one_in_flight_changes_merge_on_ack },
		{ "subscribers_at_different_versions_get_their_own_deltas", test_subscribers_at_different_versions_get_their_own_deltas },
		{ "nack_gets_a_snapshot", test_nack_gets_a_snapshot },
		{ "resume_same_epoch_gets_delta", test_resume_same_epoch_gets_delta },
		{ "resume_other_epoch_or_unknown_version_gets_snapshot", test_resume_other_epoch_or_unknown_version_gets_snapshot },
		{ "deltas_false_gets_snapshots", test_deltas_false_gets_snapshots },
		{ "heartbeat_after_5s_of_silence", test_heartbeat_after_5s_of_silence },
		{ "unacked_30s_while_update_waits_is_closed", test_unacked_30s_while_update_waits_is_closed },
		{ "unacked_with_nothing_waiting_stays", test_unacked_with_nothing_waiting_stays },
		{ "register_is_answered_and_reported", test_register_is_answered_and_reported },
		{ "register_with_a_bad_field_names_it", test_register_with_a_bad_field_names_it },
		{ "gateway_without_health_for_15s_is_withdrawn", test_gateway_without_health_for_15s_is_withdrawn },
		{ "gateway_not_ok_or_gone_is_withdrawn", test_gateway_not_ok_or_gone_is_withdrawn },
		{ "health_without_register_is_an_error", test_health_without_register_is_an_error },
		{ "malformed_lines_get_errors_and_too_many_close", test_malformed_lines_get_errors_and_too_many_close },
		{ "oversize_line_is_answered_counted_and_closed", test_oversize_line_is_answered_counted_and_closed },
		{ "refused_send_closes_only_that_subscriber", test_refused_send_closes_only_that_subscriber },
		{ "tables_held_stay_bounded_and_lag_is_reported", test_tables_held_stay_bounded_and_lag_is_reported },
	};
	return RUN_SUITE("route_pub", tests);
}

/* Unit tests of routing/route_proto.c, message by message: the exact line
 * each encoder writes, the subscriber's reading of each agent message, and
 * the agent's strict reading of each subscriber request (docs/route-socket.md). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "gossip/err.h"
#include "routing/route_proto.h"
#include "routing/table_format.h"
#include "tests/cunit_main.h"
#include "tests/route_proto/tables.h"

/* Asserts that an encoder call gave exactly `want`, and frees the line. */
#define ASSERT_LINE(call, want)                                                                              \
	do {                                                                                                 \
		char *line_ = NULL;                                                                          \
		size_t len_ = 0;                                                                             \
		CU_ASSERT_EQUAL(call, 0);                                                                    \
		CU_ASSERT_PTR_NOT_NULL_FATAL(line_);                                                         \
		CU_ASSERT_STRING_EQUAL(line_, want);                                                         \
		CU_ASSERT_EQUAL(len_, strlen(want));                                                         \
		free(line_);                                                                                 \
	} while (0)

/* A route as it appears inside a message: compact table_format JSON. */
static char *route_text(const struct mf_table_route *r)
{
	json_t *j = mf_table_route_to_json(r);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(j);
	return s;
}

static char *table_text(const struct mf_table *t)
{
	json_t *j = mf_table_to_json(t);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(j);
	return s;
}

/* --- encoders -------------------------------------------------------------- */

static void test_hello_heartbeat_registered_error_are_exact(void)
{
	ASSERT_LINE(mf_rp_encode_hello("dc1", "dc1-s1", 42, &line_, &len_),
		    "{\"type\":\"hello\",\"protocol\":1,\"datacenter\":\"dc1\",\"node\":\"dc1-s1\",\"epoch\":42}\n");
	ASSERT_LINE(mf_rp_encode_heartbeat(8, &line_, &len_), "{\"type\":\"heartbeat\",\"version\":8}\n");
	ASSERT_LINE(mf_rp_encode_registered("dc1-gw1", &line_, &len_),
		    "{\"type\":\"registered\",\"gateway\":\"dc1-gw1\"}\n");
	ASSERT_LINE(mf_rp_encode_error("register: gateway.wan: \"x\" is not IP:PORT", &line_, &len_),
		    "{\"type\":\"error\",\"error\":\"register: gateway.wan: \\\"x\\\" is not IP:PORT\"}\n");
	/* Control and non-ASCII bytes a peer sent never reach the wire raw. */
	ASSERT_LINE(mf_rp_encode_error("bad\n\xff", &line_, &len_), "{\"type\":\"error\",\"error\":\"bad??\"}\n");
	/* The largest epoch the wire carries. */
	ASSERT_LINE(mf_rp_encode_heartbeat(INT64_MAX, &line_, &len_),
		    "{\"type\":\"heartbeat\",\"version\":9223372036854775807}\n");
}

static void test_encoders_refuse_what_the_wire_cannot_carry(void)
{
	char *line = (char *)1;
	size_t len = 1;
	struct mf_table t;
	CU_ASSERT_EQUAL(mf_rp_encode_hello("dc1", "n", (uint64_t)INT64_MAX + 1, &line, &len), MF_EINVAL);
	CU_ASSERT_PTR_NULL(line);
	CU_ASSERT_EQUAL(mf_rp_encode_hello(NULL, "n", 1, &line, &len), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_rp_encode_heartbeat(UINT64_MAX, &line, &len), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_rp_encode_registered(NULL, &line, &len), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_rp_encode_error(NULL, &line, &len), MF_EINVAL);
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&t, 7), 0);
	CU_ASSERT_EQUAL(mf_rp_encode_snapshot((uint64_t)INT64_MAX + 1, &t, &line, &len), MF_EINVAL);
	/* A delta must lead forward, between tables sorted by target. */
	CU_ASSERT_EQUAL(mf_rp_encode_delta(1, &t, &t, &line, &len), MF_EINVAL);
	struct mf_table u;
	CU_ASSERT_EQUAL_FATAL(rt_copy(&t, &u), 0);
	u.version = 8;
	struct mf_table_route r = u.routes[0];
	u.routes[0] = u.routes[1];
	u.routes[1] = r;
	CU_ASSERT_EQUAL(mf_rp_encode_delta(1, &t, &u, &line, &len), MF_EINVAL);
	CU_ASSERT_PTR_NULL(line);
	mf_table_free(&u);
	mf_table_free(&t);
}

static void test_snapshot_embeds_the_routes_json_table(void)
{
	struct mf_table t;
	char *line = NULL, want[4096];
	size_t len;
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&t, 7), 0);
	char *tt = table_text(&t);
	snprintf(want, sizeof want, "{\"type\":\"snapshot\",\"epoch\":9,\"version\":7,\"table\":%s}\n", tt);
	CU_ASSERT_EQUAL(mf_rp_encode_snapshot(9, &t, &line, &len), 0);
	CU_ASSERT_STRING_EQUAL(line, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	/* The table is `meshfed routes -format json`, only compact. */
	CU_ASSERT_PTR_NOT_NULL(strstr(tt, "{\"target\":\"dc2\",\"status\":\"direct\",\"next_hop\":\"dc2\","
					  "\"distance_ms\":12.5,\"path\":[\"dc1\",\"dc2\"]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tt, "\"distance_ms\":null"));
	free(line);
	free(tt);
	mf_table_free(&t);
}

static void test_delta_names_changed_new_and_removed_targets_and_changed_links(void)
{
	struct mf_table a, b;
	char *line = NULL, want[4096];
	size_t len;
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&a, 7), 0);
	CU_ASSERT_EQUAL_FATAL(rt_copy(&a, &b), 0);
	b.version = 8;
	/* dc3's distance changes, dc4 goes, dc1 and dc2 stay. */
	rt_find(&b, "dc3")->distance_ms = 31;
	mf_table_route_free(rt_find(&b, "dc4"));
	b.n_routes = 3;
	char *r3 = route_text(rt_find(&b, "dc3"));
	snprintf(want, sizeof want,
		 "{\"type\":\"delta\",\"epoch\":9,\"version\":8,\"base\":7,\"upsert\":[%s],\"remove\":[\"dc4\"]}\n", r3);
	CU_ASSERT_EQUAL(mf_rp_encode_delta(9, &a, &b, &line, &len), 0);
	CU_ASSERT_STRING_EQUAL(line, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	free(line);
	/* A link changes too: the whole list rides along. */
	b.links[1].usable = false;
	CU_ASSERT_EQUAL(mf_rp_encode_delta(9, &a, &b, &line, &len), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, ",\"remove\":[\"dc4\"],\"links\":[{\"from\":\"dc1\",\"to\":\"dc2\","
					    "\"distance_ms\":12.5,\"usable\":true},{\"from\":\"dc2\",\"to\":\"dc3\","
					    "\"distance_ms\":17.75,\"usable\":false}]}\n"));
	free(line);
	/* Nothing changed but the version: empty lists. */
	struct mf_table c;
	CU_ASSERT_EQUAL_FATAL(rt_copy(&a, &c), 0);
	c.version = 9;
	ASSERT_LINE(mf_rp_encode_delta(9, &a, &c, &line_, &len_),
		    "{\"type\":\"delta\",\"epoch\":9,\"version\":9,\"base\":7,\"upsert\":[],\"remove\":[]}\n");
	free(r3);
	mf_table_free(&a);
	mf_table_free(&b);
	mf_table_free(&c);
}

static void test_delta_counts_every_field_of_a_route(void)
{
	struct mf_table a, b;
	char *line = NULL;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&a, 1), 0);
	for (int field = 0; field < 6; field++) {
		CU_ASSERT_EQUAL_FATAL(rt_copy(&a, &b), 0);
		b.version = 2;
		struct mf_table_route *r = rt_find(&b, "dc3");
		switch (field) {
		case 0: r->mode = MF_MODE_SINGLE_HOP; break;
		case 1: r->down = true; break;
		case 2: r->status = MF_ROUTE_DIRECT; break;
		case 3: r->endpoints[0].addr[0] = '9'; break;
		case 4: r->path[1][2] = '9'; break;
		default: r->distance_ms = 30.2501; break;
		}
		CU_ASSERT_EQUAL(mf_rp_encode_delta(1, &a, &b, &line, &len), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(line, "\"upsert\":[{\"target\":\"dc3\""));
		CU_ASSERT_PTR_NULL(strstr(line, "\"target\":\"dc2\""));
		free(line);
		mf_table_free(&b);
	}
	mf_table_free(&a);
}

static void test_subscriber_lines_are_exact(void)
{
	struct mf_gateway_tag tag = {"dc:dc2", "198.51.100.5:8443"};
	struct mf_gateway g = {.name = "dc1-gw1", .wan = "203.0.113.5:8443", .lan = "10.1.0.5:8443", .n_tags = 1,
			       .tags = &tag};
	ASSERT_LINE(mf_rp_encode_register(&g, &line_, &len_),
		    "{\"type\":\"register\",\"gateway\":{\"name\":\"dc1-gw1\",\"wan\":\"203.0.113.5:8443\","
		    "\"lan\":\"10.1.0.5:8443\",\"tagged\":{\"dc:dc2\":\"198.51.100.5:8443\"}}}\n");
	struct mf_gateway bare = {.name = "gw", .wan = "[2001:db8::1]:443"};
	ASSERT_LINE(mf_rp_encode_register(&bare, &line_, &len_),
		    "{\"type\":\"register\",\"gateway\":{\"name\":\"gw\",\"wan\":\"[2001:db8::1]:443\"}}\n");
	ASSERT_LINE(mf_rp_encode_health(true, &line_, &len_), "{\"type\":\"health\",\"ok\":true}\n");
	ASSERT_LINE(mf_rp_encode_health(false, &line_, &len_), "{\"type\":\"health\",\"ok\":false}\n");

	struct mf_rp_client c;
	mf_rp_client_init(&c);
	ASSERT_LINE(mf_rp_client_hello_line(&c, true, &line_, &len_), "{\"type\":\"subscribe\",\"deltas\":true}\n");
	ASSERT_LINE(mf_rp_client_hello_line(&c, false, &line_, &len_),
		    "{\"type\":\"subscribe\",\"deltas\":false}\n");
	c.have_table = true;
	c.table_epoch = 9;
	c.table.version = 8;
	ASSERT_LINE(mf_rp_client_hello_line(&c, true, &line_, &len_),
		    "{\"type\":\"resume\",\"epoch\":9,\"version\":8}\n");
	ASSERT_LINE(mf_rp_client_hello_line(&c, false, &line_, &len_),
		    "{\"type\":\"subscribe\",\"deltas\":false}\n{\"type\":\"resume\",\"epoch\":9,\"version\":8}\n");
	mf_rp_client_free(&c);
	struct mf_gateway nameless = {.wan = "1.2.3.4:5"};
	char *line = (char *)1;
	size_t len;
	CU_ASSERT_EQUAL(mf_rp_encode_register(&nameless, &line, &len), MF_EINVAL);
	CU_ASSERT_PTR_NULL(line);
}

/* --- subscriber: agent messages ----------------------------------------------- */

/* Feeds one encoded line (with its '\n' stripped) to the client. */
static int feed(struct mf_rp_client *c, const char *line, size_t len, enum mf_rp_event *ev, char **reply,
		char **detail)
{
	size_t rl;
	return mf_rp_client_apply(c, line, rt_body(len), ev, reply, &rl, detail);
}

static void test_client_reads_every_agent_message(void)
{
	struct mf_rp_client c;
	struct mf_table t;
	enum mf_rp_event ev;
	char *line, *reply, *detail;
	size_t len;
	mf_rp_client_init(&c);
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&t, 7), 0);

	CU_ASSERT_EQUAL(mf_rp_encode_hello("dc1", "dc1-s1", 42, &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_HELLO);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_PTR_NULL(detail);
	CU_ASSERT_TRUE(c.have_hello);
	CU_ASSERT_EQUAL(c.epoch, 42);
	CU_ASSERT_STRING_EQUAL(c.datacenter, "dc1");
	CU_ASSERT_STRING_EQUAL(c.node, "dc1-s1");

	CU_ASSERT_EQUAL(mf_rp_encode_snapshot(42, &t, &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_SNAPSHOT);
	CU_ASSERT_STRING_EQUAL(reply, "{\"type\":\"ack\",\"version\":7}\n");
	free(reply);
	CU_ASSERT_TRUE(c.have_table);
	CU_ASSERT_EQUAL(c.table.version, 7);
	CU_ASSERT_EQUAL(c.table_epoch, 42);
	char *want = rt_json(&t), *got = rt_json(&c.table);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(want);
	free(got);

	struct mf_table u;
	CU_ASSERT_EQUAL_FATAL(rt_copy(&t, &u), 0);
	u.version = 9;
	rt_find(&u, "dc3")->distance_ms = 44;
	CU_ASSERT_EQUAL(mf_rp_encode_delta(42, &t, &u, &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_DELTA);
	CU_ASSERT_STRING_EQUAL(reply, "{\"type\":\"ack\",\"version\":9}\n");
	free(reply);
	CU_ASSERT_EQUAL(c.table.version, 9);
	CU_ASSERT_DOUBLE_EQUAL(rt_find(&c.table, "dc3")->distance_ms, 44, 1e-9);

	CU_ASSERT_EQUAL(mf_rp_encode_heartbeat(9, &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_HEARTBEAT);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_EQUAL(c.last_heartbeat, 9);

	CU_ASSERT_EQUAL(mf_rp_encode_registered("dc1-gw1", &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_REGISTERED);
	CU_ASSERT_STRING_EQUAL(detail, "dc1-gw1");
	free(detail);

	CU_ASSERT_EQUAL(mf_rp_encode_error("register: gateway.name: missing", &line, &len), 0);
	CU_ASSERT_EQUAL(feed(&c, line, len, &ev, &reply, &detail), 0);
	free(line);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_ERROR);
	CU_ASSERT_PTR_NULL(reply);
	CU_ASSERT_STRING_EQUAL(detail, "register: gateway.name: missing");
	free(detail);

	/* The caller may not want details. */
	const char *err = "{\"type\":\"error\",\"error\":\"x\"}";
	size_t rl;
	CU_ASSERT_EQUAL(mf_rp_client_apply(&c, err, strlen(err), &ev, &reply, &rl, NULL), 0);
	CU_ASSERT_EQUAL(ev, MF_RP_EV_ERROR);

	mf_table_free(&u);
	mf_table_free(&t);
	mf_rp_client_free(&c);
}

static void test_client_refuses_what_is_not_a_message_and_skips_unknown_types(void)
{
	static const struct {
		const char *line;
		int rc;
		const char *why;
	} cases[] = {
		{"", MF_EMALFORMED, "not JSON"},
		{"hello", MF_EMALFORMED, "not JSON"},
		{"[1,2]", MF_EMALFORMED, "no \"type\""},
		{"{\"type\":7}", MF_EMALFORMED, "no \"type\""},
		{"{\"type\":\"hello\",\"protocol\":2,\"datacenter\":\"a\",\"node\":\"b\",\"epoch\":1}", MF_EINVAL,
		 "hello: protocol 2, this client speaks 1"},
		{"{\"type\":\"hello\",\"protocol\":1,\"node\":\"b\",\"epoch\":1}", MF_EMALFORMED, "hello: datacenter"},
		{"{\"type\":\"hello\",\"protocol\":1,\"datacenter\":\"a\",\"node\":\"b\",\"epoch\":-1}", MF_EMALFORMED,
		 "hello: epoch"},
		{"{\"type\":\"heartbeat\",\"version\":\"3\"}", MF_EMALFORMED, "heartbeat: version"},
		{"{\"type\":\"registered\"}", MF_EMALFORMED, "registered: gateway"},
		{"{\"type\":\"ack\",\"version\":1,\"version\":2}", MF_EMALFORMED, "not JSON"},
		{"{\"type\":\"future\",\"x\":1}", MF_EUNKNOWN, "unknown message type \"future\""},
	};
	struct mf_rp_client c;
	mf_rp_client_init(&c);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum mf_rp_event ev = MF_RP_EV_HELLO;
		char *reply = (char *)1, *detail = NULL;
		size_t rl;
		int rc = mf_rp_client_apply(&c, cases[i].line, strlen(cases[i].line), &ev, &reply, &rl, &detail);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_EQUAL(ev, 0);
		CU_ASSERT_PTR_NULL(reply);
		CU_ASSERT_PTR_NOT_NULL_FATAL(detail);
		if (!strstr(detail, cases[i].why))
			printf("\n  %s -> %s\n", cases[i].line, detail);
		CU_ASSERT_PTR_NOT_NULL(strstr(detail, cases[i].why));
		free(detail);
		CU_ASSERT_FALSE(c.have_hello);
	}
	mf_rp_client_free(&c);
}

/* --- agent: subscriber requests ------------------------------------------------ */

static int parse(const char *line, struct mf_rp_request *req, char *err, size_t cap)
{
	return mf_rp_parse_request(line, strlen(line), req, err, cap);
}

static void test_every_request_type_parses(void)
{
	struct mf_rp_request r;
	char err[256];
	CU_ASSERT_EQUAL(parse("{\"type\":\"ack\",\"version\":12}", &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.type, MF_RP_ACK);
	CU_ASSERT_EQUAL(r.version, 12);
	mf_rp_request_free(&r);

	CU_ASSERT_EQUAL(parse("{\"type\":\"nack\",\"version\":13,\"error\":\"delta: base 3\"}", &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.type, MF_RP_NACK);
	CU_ASSERT_EQUAL(r.version, 13);
	CU_ASSERT_STRING_EQUAL(r.error, "delta: base 3");
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL(parse("{\"type\":\"nack\",\"version\":13}", &r, err, sizeof err), 0);
	CU_ASSERT_PTR_NULL(r.error);
	mf_rp_request_free(&r);

	CU_ASSERT_EQUAL(parse("{\"type\":\"resume\",\"epoch\":9223372036854775807,\"version\":4}", &r, err, sizeof err),
			0);
	CU_ASSERT_EQUAL(r.type, MF_RP_RESUME);
	CU_ASSERT_EQUAL(r.epoch, (uint64_t)INT64_MAX);
	CU_ASSERT_EQUAL(r.version, 4);
	mf_rp_request_free(&r);

	CU_ASSERT_EQUAL(parse("{\"type\":\"subscribe\",\"deltas\":false}", &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.type, MF_RP_SUBSCRIBE);
	CU_ASSERT_FALSE(r.deltas);
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL(parse("{\"type\":\"subscribe\"}", &r, err, sizeof err), 0);
	CU_ASSERT_TRUE(r.deltas);
	mf_rp_request_free(&r);

	CU_ASSERT_EQUAL(parse("{\"type\":\"health\",\"ok\":true}", &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.type, MF_RP_HEALTH);
	CU_ASSERT_TRUE(r.ok);
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL(parse("{\"type\":\"health\",\"ok\":false,\"extra\":[1]}", &r, err, sizeof err), 0);
	CU_ASSERT_FALSE(r.ok);
	mf_rp_request_free(&r);

	CU_ASSERT_EQUAL(parse("{\"type\":\"register\",\"gateway\":{\"name\":\"dc1-gw1\",\"wan\":\"203.0.113.5:8443\","
			      "\"lan\":\"[fd00::5]:8443\",\"tagged\":{\"dc:dc2\":\"198.51.100.5:8443\","
			      "\"dc:dc3\":\"198.51.100.6:1\"}}}",
			      &r, err, sizeof err),
			0);
	CU_ASSERT_EQUAL(r.type, MF_RP_REGISTER);
	CU_ASSERT_STRING_EQUAL(r.gw.name, "dc1-gw1");
	CU_ASSERT_STRING_EQUAL(r.gw.wan, "203.0.113.5:8443");
	CU_ASSERT_STRING_EQUAL(r.gw.lan, "[fd00::5]:8443");
	CU_ASSERT_EQUAL_FATAL(r.gw.n_tags, 2);
	CU_ASSERT_STRING_EQUAL(r.gw.tags[0].key, "dc:dc2");
	CU_ASSERT_STRING_EQUAL(r.gw.tags[0].addr, "198.51.100.5:8443");
	CU_ASSERT_STRING_EQUAL(r.gw.tags[1].key, "dc:dc3");
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL(parse("{\"type\":\"register\",\"gateway\":{\"name\":\"g\",\"wan\":\"127.0.0.1:65535\","
			      "\"lan\":null}}",
			      &r, err, sizeof err),
			0);
	CU_ASSERT_PTR_NULL(r.gw.lan);
	CU_ASSERT_EQUAL(r.gw.n_tags, 0);
	mf_rp_request_free(&r);
}

static void test_what_the_subscriber_encodes_the_agent_reads_back(void)
{
	struct mf_gateway_tag tags[2] = {{"dc:dc2", "198.51.100.5:8443"}, {"dc:dc3", "[2001:db8::7]:9"}};
	struct mf_gateway g = {.name = "dc1-gw1", .wan = "203.0.113.5:8443", .lan = "10.1.0.5:8443", .n_tags = 2,
			       .tags = tags};
	struct mf_rp_request r;
	char *line, err[256];
	size_t len;
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_register(&g, &line, &len), 0);
	CU_ASSERT_EQUAL(mf_rp_parse_request(line, rt_body(len), &r, err, sizeof err), 0);
	free(line);
	CU_ASSERT_STRING_EQUAL(r.gw.name, g.name);
	CU_ASSERT_STRING_EQUAL(r.gw.lan, g.lan);
	CU_ASSERT_STRING_EQUAL(r.gw.wan, g.wan);
	CU_ASSERT_EQUAL_FATAL(r.gw.n_tags, 2);
	CU_ASSERT_STRING_EQUAL(r.gw.tags[1].addr, "[2001:db8::7]:9");
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL_FATAL(mf_rp_encode_health(false, &line, &len), 0);
	CU_ASSERT_EQUAL(mf_rp_parse_request(line, len, &r, err, sizeof err), 0); /* '\n' tolerated */
	free(line);
	CU_ASSERT_EQUAL(r.type, MF_RP_HEALTH);
	CU_ASSERT_FALSE(r.ok);
	mf_rp_request_free(&r);
	/* hello_line's resume, as the agent reads it. */
	struct mf_rp_client c;
	mf_rp_client_init(&c);
	c.have_table = true;
	c.table_epoch = 5;
	c.table.version = 6;
	CU_ASSERT_EQUAL_FATAL(mf_rp_client_hello_line(&c, true, &line, &len), 0);
	CU_ASSERT_EQUAL(mf_rp_parse_request(line, rt_body(len), &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.type, MF_RP_RESUME);
	CU_ASSERT_EQUAL(r.epoch, 5);
	CU_ASSERT_EQUAL(r.version, 6);
	free(line);
	mf_rp_request_free(&r);
	mf_rp_client_free(&c);
}

#define REG(g) "{\"type\":\"register\",\"gateway\":" g "}"
#define GW(rest) REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:80\"" rest "}")

static void test_malformed_requests_are_refused_naming_the_field(void)
{
	static const struct {
		const char *line;
		const char *why; /* must appear in err */
	} cases[] = {
		{"", "not JSON"},
		{"{\"type\":\"ack\",\"version\":1", "not JSON"},
		{"{\"type\":\"ack\",\"version\":99999999999999999999}", "not JSON"},
		{"{\"type\":\"ack\",\"version\":1,\"version\":2}", "not JSON"},
		{"[\"ack\"]", "not a JSON object"},
		{"{}", "type: missing"},
		{"{\"type\":1}", "type: missing or not a string"},
		{"{\"type\":\"hello\"}", "type: \"hello\" is not a request"},
		{"{\"type\":\"ack\"}", "ack: version: missing"},
		{"{\"type\":\"ack\",\"version\":-1}", "ack: version"},
		{"{\"type\":\"ack\",\"version\":1.5}", "ack: version"},
		{"{\"type\":\"ack\",\"version\":\"1\"}", "ack: version"},
		{"{\"type\":\"nack\"}", "nack: version"},
		{"{\"type\":\"nack\",\"version\":1,\"error\":5}", "nack: error"},
		{"{\"type\":\"resume\",\"version\":1}", "resume: epoch"},
		{"{\"type\":\"resume\",\"epoch\":1}", "resume: version"},
		{"{\"type\":\"subscribe\",\"deltas\":\"no\"}", "subscribe: deltas"},
		{"{\"type\":\"health\"}", "health: ok"},
		{"{\"type\":\"health\",\"ok\":1}", "health: ok"},
		{"{\"type\":\"register\"}", "register: gateway: missing"},
		{REG("[]"), "register: gateway: missing or not an object"},
		{REG("{\"wan\":\"1.2.3.4:80\"}"), "register: gateway.name: missing"},
		{REG("{\"name\":\"\",\"wan\":\"1.2.3.4:80\"}"), "register: gateway.name: \"\" is not"},
		{REG("{\"name\":\"gw 1\",\"wan\":\"1.2.3.4:80\"}"), "register: gateway.name: \"gw 1\" is not"},
		{REG("{\"name\":\"gw/1\",\"wan\":\"1.2.3.4:80\"}"), "register: gateway.name"},
		{REG("{\"name\":\"gw\\u00e9\",\"wan\":\"1.2.3.4:80\"}"), "register: gateway.name: \"gw??\" is not"},
		{REG("{\"name\":\"gw1\"}"), "register: gateway.wan: missing"},
		{REG("{\"name\":\"gw1\",\"wan\":80}"), "register: gateway.wan: missing or not a string"},
		{REG("{\"name\":\"gw1\",\"wan\":\"x\"}"), "register: gateway.wan: \"x\" is not IP:PORT"},
		{REG("{\"name\":\"gw1\",\"wan\":\"example.com:80\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:0\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:65536\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:+80\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4: 80\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3.4:080800\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"1.2.3:80\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"::1:80\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"[::1]\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"[::1]:80x\"}"), "register: gateway.wan"},
		{REG("{\"name\":\"gw1\",\"wan\":\"[1.2.3.4]:80\"}"), "register: gateway.wan"},
		{GW(",\"lan\":\"lan\""), "register: gateway.lan: \"lan\" is not IP:PORT"},
		{GW(",\"lan\":5"), "register: gateway.lan: missing or not a string"},
		{GW(",\"tagged\":[]"), "register: gateway.tagged: not an object"},
		{GW(",\"tagged\":{\"dc2\":\"1.2.3.4:80\"}"), "register: gateway.tagged: key \"dc2\" is not dc:<DC name>"},
		{GW(",\"tagged\":{\"dc:\":\"1.2.3.4:80\"}"), "register: gateway.tagged: key \"dc:\""},
		{GW(",\"tagged\":{\"dc:d c\":\"1.2.3.4:80\"}"), "register: gateway.tagged: key"},
		{GW(",\"tagged\":{\"dc:dc2\":\"1.2.3.4\"}"), "register: gateway.tagged.dc:dc2: \"1.2.3.4\" is not IP:PORT"},
		{GW(",\"tagged\":{\"dc:dc2\":null}"), "register: gateway.tagged.dc:dc2: missing or not a string"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mf_rp_request r, zero;
		char err[256];
		memset(&zero, 0, sizeof zero);
		int rc = parse(cases[i].line, &r, err, sizeof err);
		CU_ASSERT_EQUAL(rc, MF_EMALFORMED);
		if (rc != MF_EMALFORMED || !strstr(err, cases[i].why))
			printf("\n  %s -> %d %s\n", cases[i].line, rc, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
		CU_ASSERT_EQUAL(memcmp(&r, &zero, sizeof r), 0);
	}
}

static void test_request_limits_hold_at_their_edges(void)
{
	struct mf_rp_request r;
	char err[256], line[4096], name[300];
	/* Names: 255 bytes pass, 256 do not. */
	memset(name, 'g', 255);
	name[255] = '\0';
	snprintf(line, sizeof line, REG("{\"name\":\"%s\",\"wan\":\"1.2.3.4:80\"}"), name);
	CU_ASSERT_EQUAL(parse(line, &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(strlen(r.gw.name), 255);
	mf_rp_request_free(&r);
	snprintf(line, sizeof line, REG("{\"name\":\"%sg\",\"wan\":\"1.2.3.4:80\"}"), name);
	CU_ASSERT_EQUAL(parse(line, &r, err, sizeof err), MF_EMALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "register: gateway.name: \"gggg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "...\" is not 1-255 bytes"));
	/* Tags: 64 pass, 65 do not. */
	for (int n = 64; n <= 65; n++) {
		size_t off = (size_t)snprintf(line, sizeof line, "{\"type\":\"register\",\"gateway\":{\"name\":\"g\","
								  "\"wan\":\"1.2.3.4:80\",\"tagged\":{");
		for (int k = 0; k < n; k++)
			off += (size_t)snprintf(line + off, sizeof line - off, "%s\"dc:dc%d\":\"10.0.0.%d:1\"",
						k ? "," : "", k, k + 1);
		snprintf(line + off, sizeof line - off, "}}}");
		int rc = parse(line, &r, err, sizeof err);
		CU_ASSERT_EQUAL(rc, n == 64 ? 0 : MF_EMALFORMED);
		CU_ASSERT_EQUAL(r.gw.n_tags, n == 64 ? 64u : 0u);
		if (n == 65)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "register: gateway.tagged: more than 64"));
		mf_rp_request_free(&r);
	}
	/* Lines: MF_RP_MAX_LINE bytes are read, one more is refused unread. */
	char *big = malloc(MF_RP_MAX_LINE + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	const char *head = "{\"type\":\"ack\",\"version\":1,\"pad\":\"";
	memset(big, 'x', MF_RP_MAX_LINE + 1);
	memcpy(big, head, strlen(head));
	memcpy(big + MF_RP_MAX_LINE - 2, "\"}", 2);
	CU_ASSERT_EQUAL(mf_rp_parse_request(big, MF_RP_MAX_LINE, &r, err, sizeof err), 0);
	CU_ASSERT_EQUAL(r.version, 1);
	mf_rp_request_free(&r);
	CU_ASSERT_EQUAL(mf_rp_parse_request(big, MF_RP_MAX_LINE + 1, &r, err, sizeof err), MF_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(err, "line: 65537 bytes, more than 65536");
	free(big);
	/* An error text cut by a small buffer is still a string. */
	char tiny[8];
	CU_ASSERT_EQUAL(parse("{}", &r, tiny, sizeof tiny), MF_EMALFORMED);
	CU_ASSERT_STRING_EQUAL(tiny, "type: m");
	CU_ASSERT_EQUAL(parse("{}", &r, NULL, 0), MF_EMALFORMED);
}

static void test_request_errors_never_echo_control_bytes(void)
{
	struct mf_rp_request r;
	char err[256];
	CU_ASSERT_EQUAL(parse(GW(",\"lan\":\"\\u001b[31m\\n\""), &r, err, sizeof err), MF_EMALFORMED);
	for (const char *p = err; *p; p++)
		CU_ASSERT_TRUE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	CU_ASSERT_EQUAL(parse("\x01\x02garbage\x1b", &r, err, sizeof err), MF_EMALFORMED);
	for (const char *p = err; *p; p++)
		CU_ASSERT_TRUE((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
}

/* --- docs/route-socket.md's examples are what the code reads and writes ------ */

/* Every JSON value of the ```json blocks of the document, in order. */
static size_t doc_examples(json_t **out, size_t cap)
{
	FILE *f = fopen(MF_RP_DOC, "r");
	char *text = NULL;
	size_t n = 0, len = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	FILE *m = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (int ch; (ch = fgetc(f)) != EOF;)
		fputc(ch, m);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(fclose(m), 0);
	for (char *p = strstr(text, "```json\n"); p && n < cap; p = strstr(p, "```json\n")) {
		p += 8;
		char *end = strstr(p, "```");
		CU_ASSERT_PTR_NOT_NULL_FATAL(end);
		while (p < end && n < cap) {
			size_t used = 0;
			json_error_t je;
			json_t *v = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, &je);
			if (!v)
				break;
			used = (size_t)je.position;
			out[n++] = v;
			p += used;
			while (p < end && (*p == '\n' || *p == ' '))
				p++;
		}
		p = end + 3;
	}
	free(text);
	return n;
}

static const char *type_of(const json_t *m)
{
	return json_string_value(json_object_get(m, "type"));
}

static void test_the_documents_examples_are_what_the_code_speaks(void)
{
	json_t *ex[32];
	size_t n = doc_examples(ex, 32), agent = 0, requests = 0;
	struct mf_rp_client c;
	mf_rp_client_init(&c);
	CU_ASSERT_TRUE(n >= 12);
	for (size_t i = 0; i < n; i++) {
		char *line = json_dumps(ex[i], JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		const char *t = type_of(ex[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(line);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		struct mf_rp_request r;
		char err[256];
		if (mf_rp_parse_request(line, strlen(line), &r, err, sizeof err) == 0) {
			requests++;
			mf_rp_request_free(&r);
		} else {
			/* Not a request: an agent message, applied in order. */
			enum mf_rp_event ev;
			char *reply = NULL, *detail = NULL;
			size_t rl;
			CU_ASSERT_EQUAL(mf_rp_client_apply(&c, line, strlen(line), &ev, &reply, &rl, &detail), 0);
			CU_ASSERT_NOT_EQUAL(ev, MF_RP_EV_REJECTED);
			if (ev == MF_RP_EV_REJECTED)
				printf("\n  doc example %s rejected: %s\n", t, detail);
			free(reply);
			free(detail);
			agent++;
		}
		free(line);
	}
	CU_ASSERT_EQUAL(agent, 6);    /* hello snapshot delta heartbeat registered error */
	CU_ASSERT_EQUAL(requests, 6); /* ack nack resume subscribe register health */
	/* The example delta applied to the example snapshot: dc3 at 31 ms, dc4
	 * gone, the dc2-dc3 link unusable. The example snapshot is the small
	 * table of these tests. */
	struct mf_table want;
	CU_ASSERT_EQUAL_FATAL(rt_small_table(&want, 9), 0);
	rt_find(&want, "dc3")->distance_ms = 31;
	mf_table_route_free(rt_find(&want, "dc4"));
	want.n_routes = 3;
	want.links[1].usable = false;
	char *a = rt_json(&c.table), *b = rt_json(&want);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
	mf_table_free(&want);
	/* The one-line examples are exactly what the encoders write. */
	for (size_t i = 0; i < n; i++) {
		const char *t = type_of(ex[i]);
		char *doc = json_dumps(ex[i], JSON_COMPACT | JSON_PRESERVE_ORDER), *line = NULL;
		size_t len;
		if (strcmp(t, "hello") == 0)
			mf_rp_encode_hello("dc1", "dc1-s1", (uint64_t)json_integer_value(json_object_get(ex[i], "epoch")),
					   &line, &len);
		else if (strcmp(t, "heartbeat") == 0)
			mf_rp_encode_heartbeat(9, &line, &len);
		else if (strcmp(t, "registered") == 0)
			mf_rp_encode_registered("dc1-gw1", &line, &len);
		else if (strcmp(t, "error") == 0)
			mf_rp_encode_error(json_string_value(json_object_get(ex[i], "error")), &line, &len);
		else if (strcmp(t, "health") == 0)
			mf_rp_encode_health(true, &line, &len);
		if (line) {
			line[len - 1] = '\0';
			CU_ASSERT_STRING_EQUAL(line, doc);
		}
		free(line);
		free(doc);
		json_decref(ex[i]);
	}
	mf_rp_client_free(&c);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"hello, heartbeat, registered and error lines are exact",
		 test_hello_heartbeat_registered_error_are_exact},
		{"encoders refuse what the wire cannot carry", test_encoders_refuse_what_the_wire_cannot_carry},
		{"a snapshot embeds the routes -format json table", test_snapshot_embeds_the_routes_json_table},
		{"a delta names changed, new and removed targets and changed links",
		 test_delta_names_changed_new_and_removed_targets_and_changed_links},
		{"a delta counts every field of a route", test_delta_counts_every_field_of_a_route},
		{"subscriber lines are exact", test_subscriber_lines_are_exact},
		{"the client reads every agent message", test_client_reads_every_agent_message},
		{"the client refuses non-messages and skips unknown types",
		 test_client_refuses_what_is_not_a_message_and_skips_unknown_types},
		{"every request type parses", test_every_request_type_parses},
		{"what the subscriber encodes the agent reads back",
		 test_what_the_subscriber_encodes_the_agent_reads_back},
		{"malformed requests are refused naming the field",
		 test_malformed_requests_are_refused_naming_the_field},
		{"request limits hold at their edges", test_request_limits_hold_at_their_edges},
		{"request errors never echo control bytes", test_request_errors_never_echo_control_bytes},
		{"the document's examples are what the code speaks",
		 test_the_documents_examples_are_what_the_code_speaks},
	};
	return RUN_SUITE("route_proto messages", cases);
}

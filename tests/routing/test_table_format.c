/* Unit tests of routing/table_format.c: the JSON schema of
 * `meshfed routes -format json`, the text table and the Graphviz graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "gossip/err.h"
#include "routing/table_format.h"
#include "tests/routing/fixture.h"
#include "tests/routing/helpers.h"
#include "tests/cunit_main.h"

/* dc1's table in the converged areas_5 fixture, with gateways on dc4. */
static int dc1_table(struct mf_table *t, const char *file)
{
	struct sim s;
	int rounds, rc = fixture_load(file, NULL, &s);
	if (rc < 0)
		return rc;
	struct mf_gateway_tag tag = {"dc:dc1", "192.0.2.41:8443"};
	struct mf_gateway g = {.name = "dc4-g1", .lan = "10.4.0.1:8443", .wan = "203.0.113.4:8443", .n_tags = 1,
			       .tags = &tag};
	int i4 = sim_index(&s, "dc4");
	if (i4 >= 0)
		mf_routing_set_gateways(s.eng[i4], &g, 1);
	rc = sim_run(&s, 50, &rounds);
	if (rc == 0)
		rc = mf_routing_table(s.eng[sim_index(&s, "dc1")], t);
	sim_free(&s);
	return rc;
}

static const struct mf_table_route *find(const struct mf_table *t, const char *target)
{
	for (size_t i = 0; i < t->n_routes; i++)
		if (strcmp(t->routes[i].target, target) == 0)
			return &t->routes[i];
	return NULL;
}

static void test_json_has_the_documented_schema(void)
{
	struct mf_table t;
	char *s = NULL;
	CU_ASSERT_EQUAL_FATAL(dc1_table(&t, "areas_5.json"), 0);
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_JSON, &s), 0);
	json_t *o = json_loads(s, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "datacenter")), "dc1");
	CU_ASSERT_TRUE(json_is_integer(json_object_get(o, "version")));
	json_t *routes = json_object_get(o, "routes");
	CU_ASSERT_EQUAL(json_array_size(routes), 5);
	size_t i;
	json_t *r;
	json_array_foreach(routes, i, r) {
		static const char *keys[] = {"target",	"status",   "next_hop",	 "distance_ms",
					     "path",	"mode",	    "gateways", "alternates"};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			CU_ASSERT_PTR_NOT_NULL(json_object_get(r, keys[k]));
		CU_ASSERT_TRUE(json_is_array(json_object_get(r, "path")));
		CU_ASSERT_TRUE(json_is_array(json_object_get(r, "gateways")));
		CU_ASSERT_TRUE(json_is_array(json_object_get(r, "alternates")));
		/* dc1 reaches dc3 directly (15); dc2 is loop-free: 10 < 10 + 15 */
		if (strcmp(json_string_value(json_object_get(r, "target")), "dc3") == 0) {
			json_t *a = json_array_get(json_object_get(r, "alternates"), 0);
			CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "alternates")), 1);
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "next_hop")), "dc2");
			CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(a, "distance_ms")), 20, 1e-9);
			CU_ASSERT_TRUE(json_is_array(json_object_get(a, "gateways")));
		}
		if (strcmp(json_string_value(json_object_get(r, "target")), "dc5") == 0) {
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "status")), "via");
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "next_hop")), "dc4");
			CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(r, "distance_ms")), 45, 1e-9);
			CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "path"), 1)), "dc4");
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "mode")), "multi-hop");
			json_t *g = json_array_get(json_object_get(r, "gateways"), 0);
			/* dc4's gateway as dc1 must dial it: its dc:dc1 address. */
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "addr")), "192.0.2.41:8443");
		}
		if (strcmp(json_string_value(json_object_get(r, "target")), "dc1") == 0)
			CU_ASSERT_TRUE(json_is_null(json_object_get(r, "next_hop")));
	}
	json_decref(o);
	free(s);
	mf_table_free(&t);
}

static void test_unreachable_distance_is_null_in_json(void)
{
	struct mf_routing *r = h_engine("dc1", 10, 5);
	struct mf_advert a;
	struct mf_table t;
	char *s = NULL;
	mf_routing_set_link(r, "dc2", true, true, 10);
	h_advert(&a, "dc2", "dc2-s1", 1, true, "dc2 0;dc9 5");
	mf_routing_set_advert(r, &a);
	mf_advert_free(&a);
	mf_routing_recompute(r, NULL);
	mf_routing_withdraw_origin(r, "dc2"); /* dc9 is gone with it */
	mf_routing_recompute(r, NULL);
	CU_ASSERT_EQUAL_FATAL(mf_routing_table(r, &t), 0);
	CU_ASSERT_EQUAL(find(&t, "dc9")->status, MF_ROUTE_UNREACHABLE);
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_JSON, &s), 0);
	json_t *o = json_loads(s, 0, NULL), *row = json_array_get(json_object_get(o, "routes"), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "target")), "dc9");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(row, "status")), "unreachable");
	CU_ASSERT_TRUE(json_is_null(json_object_get(row, "distance_ms")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(row, "next_hop")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(row, "path")), 0);
	json_decref(o);
	free(s);
	mf_table_free(&t);
	mf_routing_free(r);
}

static void test_json_parses_back_to_the_same_table(void)
{
	struct mf_table t, u;
	char *s = NULL, *s2 = NULL;
	CU_ASSERT_EQUAL_FATAL(dc1_table(&t, "areas_5.json"), 0);
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_JSON, &s), 0);
	CU_ASSERT_EQUAL(mf_table_parse_json(s, strlen(s), &u), 0);
	CU_ASSERT_EQUAL(u.n_routes, t.n_routes);
	CU_ASSERT_EQUAL(u.version, t.version);
	CU_ASSERT_EQUAL(mf_table_format(&u, MF_TABLE_JSON, &s2), 0);
	CU_ASSERT_STRING_EQUAL(s, s2);
	free(s);
	free(s2);
	mf_table_free(&t);
	mf_table_free(&u);
}

/* One route to dc9 via dc2 with alternates dc4 (two gateways) and dc3. */
static void hand_table(struct mf_table *t)
{
	static char *path[] = {"dc1", "dc2", "dc9"};
	static struct mf_table_endpoint e2[] = {{"dc2-g1", "192.0.2.2:443"}};
	static struct mf_table_endpoint e4[] = {{"dc4-g1", "192.0.2.41:443"}, {"dc4-g2", "192.0.2.42:443"}};
	static struct mf_table_alternate alts[] = {{"dc4", 42, 2, e4}, {"dc3", 45.5, 0, NULL}};
	static struct mf_table_route r = {.target = "dc9", .status = MF_ROUTE_VIA, .next_hop = "dc2",
					  .distance_ms = 40, .path_len = 3, .path = path,
					  .n_endpoints = 1, .endpoints = e2, .n_alternates = 2,
					  .alternates = alts};
	memset(t, 0, sizeof *t);
	t->datacenter = "dc1";
	t->version = 3;
	t->n_routes = 1;
	t->routes = &r;
}

static void test_json_round_trip_keeps_alternates_and_their_gateways(void)
{
	struct mf_table t, u;
	char *s = NULL, *s2 = NULL;
	hand_table(&t);
	CU_ASSERT_EQUAL_FATAL(mf_table_format(&t, MF_TABLE_JSON, &s), 0);
	CU_ASSERT_EQUAL_FATAL(mf_table_parse_json(s, strlen(s), &u), 0);
	CU_ASSERT_EQUAL_FATAL(u.n_routes, 1);
	const struct mf_table_route *r = &u.routes[0];
	CU_ASSERT_EQUAL_FATAL(r->n_alternates, 2);
	CU_ASSERT_STRING_EQUAL(r->alternates[0].next_hop, "dc4");
	CU_ASSERT_EQUAL(r->alternates[0].distance_ms, 42);
	CU_ASSERT_EQUAL_FATAL(r->alternates[0].n_endpoints, 2);
	CU_ASSERT_STRING_EQUAL(r->alternates[0].endpoints[1].gateway, "dc4-g2");
	CU_ASSERT_STRING_EQUAL(r->alternates[0].endpoints[1].addr, "192.0.2.42:443");
	CU_ASSERT_STRING_EQUAL(r->alternates[1].next_hop, "dc3");
	CU_ASSERT_EQUAL(r->alternates[1].distance_ms, 45.5);
	CU_ASSERT_EQUAL(r->alternates[1].n_endpoints, 0);
	CU_ASSERT_EQUAL(mf_table_format(&u, MF_TABLE_JSON, &s2), 0);
	CU_ASSERT_STRING_EQUAL(s, s2);
	/* one route alone, as the route socket sends them */
	json_t *o = mf_table_route_to_json(&t.routes[0]);
	struct mf_table_route back;
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(mf_table_route_from_json(o, &back), 0);
	CU_ASSERT_EQUAL(back.n_alternates, 2);
	mf_table_route_free(&back);
	CU_ASSERT_EQUAL(back.n_alternates, 0);
	json_decref(o);
	free(s);
	free(s2);
	mf_table_free(&u);
}

static void test_json_without_alternates_parses_as_none(void)
{
	struct mf_table u;
	const char *old = "{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", "
			  "\"status\": \"direct\", \"next_hop\": \"dc2\", \"distance_ms\": 10, "
			  "\"mode\": \"multi-hop\", \"path\": [\"dc1\", \"dc2\"], \"gateways\": []}]}";
	CU_ASSERT_EQUAL_FATAL(mf_table_parse_json(old, strlen(old), &u), 0);
	CU_ASSERT_EQUAL(u.routes[0].n_alternates, 0);
	CU_ASSERT_PTR_NULL(u.routes[0].alternates);
	mf_table_free(&u);
}

static void test_json_parser_rejects_wrong_types(void)
{
	struct mf_table u;
	const char *bad[] = {
		"[]",
		"{\"datacenter\": \"dc1\", \"version\": \"7\", \"routes\": []}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": 5}]}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", \"status\": \"sideways\", "
		"\"mode\": \"multi-hop\", \"path\": []}]}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", \"status\": \"via\", "
		"\"mode\": \"multi-hop\", \"path\": [1]}]}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", \"status\": \"via\", "
		"\"mode\": \"multi-hop\", \"path\": [], \"alternates\": {}}]}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", \"status\": \"via\", "
		"\"mode\": \"multi-hop\", \"path\": [], \"alternates\": [{\"next_hop\": 3}]}]}",
		"{\"datacenter\": \"dc1\", \"version\": 7, \"routes\": [{\"target\": \"dc2\", \"status\": \"via\", "
		"\"mode\": \"multi-hop\", \"path\": [], \"alternates\": [{\"next_hop\": \"dc3\", "
		"\"gateways\": [{\"name\": \"g\"}]}]}]}",
		"not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CU_ASSERT_EQUAL(mf_table_parse_json(bad[i], strlen(bad[i]), &u), MF_EMALFORMED);
}

static void test_text_lists_every_target_with_path(void)
{
	struct mf_table t;
	char *s = NULL;
	CU_ASSERT_EQUAL_FATAL(dc1_table(&t, "areas_5.json"), 0);
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_TEXT, &s), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "datacenter dc1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "dc1 > dc4 > dc5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "45.0 ms"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "dc4-g1=192.0.2.41:8443"));
	size_t lines = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	CU_ASSERT_EQUAL(lines, 2 + t.n_routes);
	/* dc3's alternate in its column, dc5 (none) shows a dash */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "ALTERNATES"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "dc2 (20.0 ms)"));
	free(s);
	mf_table_free(&t);
}

static void test_text_without_alternates_has_no_alternates_column(void)
{
	struct mf_table t;
	char *s = NULL;
	hand_table(&t);
	t.routes[0].n_alternates = 0;
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_TEXT, &s), 0);
	CU_ASSERT_PTR_NULL(strstr(s, "ALTERNATES"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "MODE        PATH / GATEWAYS"));
	free(s);
	t.routes[0].n_alternates = 2;
}

static void test_dot_highlights_next_hops(void)
{
	struct mf_table t;
	char *s = NULL;
	CU_ASSERT_EQUAL_FATAL(dc1_table(&t, "areas_5.json"), 0);
	CU_ASSERT_EQUAL(mf_table_format(&t, MF_TABLE_DOT, &s), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "graph \"dc1\" {"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"dc1\" -- \"dc4\" [label=\"20.0\", color=red"));
	/* dc4's own link to dc5, learned from its advertisement, not red. */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"dc4\" -- \"dc5\" [label=\"25.0\"];"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"dc1\" [style=filled"));
	free(s);
	mf_table_free(&t);
}

static void test_format_names_parse(void)
{
	enum mf_table_format f;
	CU_ASSERT_EQUAL(mf_table_format_parse("table", &f), 0);
	CU_ASSERT_EQUAL(f, MF_TABLE_TEXT);
	CU_ASSERT_EQUAL(mf_table_format_parse("json", &f), 0);
	CU_ASSERT_EQUAL(f, MF_TABLE_JSON);
	CU_ASSERT_EQUAL(mf_table_format_parse("dot", &f), 0);
	CU_ASSERT_EQUAL(f, MF_TABLE_DOT);
	CU_ASSERT_EQUAL(mf_table_format_parse("yaml", &f), MF_EINVAL);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "json_has_the_documented_schema", test_json_has_the_documented_schema },
		{ "unreachable_distance_is_null_in_json", test_unreachable_distance_is_null_in_json },
		{ "json_parses_back_to_the_same_table", test_json_parses_back_to_the_same_table },
		{ "json_round_trip_keeps_alternates_and_their_gateways", test_json_round_trip_keeps_alternates_and_their_gateways },
		{ "json_without_alternates_parses_as_none", test_json_without_alternates_parses_as_none },
		{ "json_parser_rejects_wrong_types", test_json_parser_rejects_wrong_types },
		{ "text_lists_every_target_with_path", test_text_lists_every_target_with_path },
		{ "text_without_alternates_has_no_alternates_column", test_text_without_alternates_has_no_alternates_column },
		{ "dot_highlights_next_hops", test_dot_highlights_next_hops },
		{ "format_names_parse", test_format_names_parse },
	};
	return RUN_SUITE("routing_table_format", tests);
}

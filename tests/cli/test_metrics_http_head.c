/* Unit tests of cmd/daemon/metrics_http_head.c: when a /metrics request head is
 * complete and what status its request line gets. */
#include <stdio.h>
#include <string.h>

#include "cmd/daemon/metrics_http_head.h"
#include "tests/cunit_main.h"

static int route(const char *line, bool *head_only)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", line);
	return mf_metrics_http_route(buf, head_only);
}

static void test_a_head_ends_at_a_blank_line_crlf_or_lf(void)
{
	CU_ASSERT_TRUE(mf_metrics_http_head_complete("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
	CU_ASSERT_TRUE(mf_metrics_http_head_complete("GET /metrics HTTP/1.0\n\n"));
	CU_ASSERT_FALSE(mf_metrics_http_head_complete("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
	CU_ASSERT_FALSE(mf_metrics_http_head_complete(""));
}

static void test_get_and_head_of_metrics_are_served_query_ignored(void)
{
	bool h;
	CU_ASSERT_EQUAL(route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &h), 200);
	CU_ASSERT_FALSE(h);
	CU_ASSERT_EQUAL(route("HEAD /metrics?name[]=x HTTP/1.0\n\n", &h), 200);
	CU_ASSERT_TRUE(h);
}

static void test_other_methods_paths_and_forms_are_refused(void)
{
	bool h;
	CU_ASSERT_EQUAL(route("POST /metrics HTTP/1.1\r\n\r\n", &h), 405);
	CU_ASSERT_EQUAL(route("GET /metricsx HTTP/1.1\r\n\r\n", &h), 404);
	CU_ASSERT_EQUAL(route("GET / HTTP/1.1\r\n\r\n", &h), 404);
	CU_ASSERT_EQUAL(route("GET /metrics\r\n\r\n", &h), 400);
	CU_ASSERT_EQUAL(route("GET /metrics HTTP/2\r\n\r\n", &h), 400);
	CU_ASSERT_EQUAL(route("\r\n\r\n", &h), 400);
}

int main(void)
{
	static const struct test_case cases[] = {
#define T(f) {#f, f}
		T(test_a_head_ends_at_a_blank_line_crlf_or_lf),
		T(test_get_and_head_of_metrics_are_served_query_ignored),
		T(test_other_methods_paths_and_forms_are_refused),
#undef T
	};
	return RUN_SUITE("cli_metrics_http_head", cases);
}

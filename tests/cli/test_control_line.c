/* Unit tests of cmd/daemon/control_line.c: the control socket's request framing. */
#include <string.h>

#include "cmd/daemon/control_line.h"
#include "tests/cunit_main.h"

static char buf[MF_CONTROL_MAX_LINE + 1];

static size_t fill(const char *s)
{
	size_t n = strlen(s);
	memcpy(buf, s, n);
	return n;
}

static const char *error_of(const json_t *resp)
{
	CU_ASSERT_TRUE(json_is_false(json_object_get(resp, "ok")));
	return json_string_value(json_object_get(resp, "error"));
}

static void test_lines_are_taken_in_order_and_the_rest_moves_to_the_front(void)
{
	size_t len = fill("{\"cmd\":\"info\"}\n{\"cmd\":\"members\"}\n{\"cmd\":");
	json_t *req, *resp;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(req, "cmd")), "info");
	json_decref(req);
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(req, "cmd")), "members");
	json_decref(req);
	CU_ASSERT_EQUAL(len, strlen("{\"cmd\":"));
	CU_ASSERT_EQUAL(memcmp(buf, "{\"cmd\":", len), 0);
}

static void test_no_complete_line_waits_and_leaves_the_buffer(void)
{
	size_t len = fill("{\"cmd\":\"info\"}");
	json_t *req = (json_t *)1, *resp = (json_t *)1;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 0);
	CU_ASSERT_PTR_NULL(req);
	CU_ASSERT_PTR_NULL(resp);
	CU_ASSERT_EQUAL(len, strlen("{\"cmd\":\"info\"}"));
	len = 0;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 0);
}

static void test_a_line_that_is_not_an_object_gets_an_error_answer(void)
{
	size_t len = fill("[1]\n{bad\n\n");
	json_t *req, *resp;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_PTR_NULL(req);
	CU_ASSERT_STRING_EQUAL(error_of(resp), "request is not a JSON object: wrong type");
	json_decref(resp);
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_PTR_NULL(req);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_of(resp), "request is not a JSON object: "));
	json_decref(resp);
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1); /* empty line */
	CU_ASSERT_PTR_NULL(req);
	json_decref(resp);
	CU_ASSERT_EQUAL(len, 0);
}

static void test_bytes_after_a_nul_in_the_line_are_ignored(void)
{
	static const char in[] = "{\"cmd\":\"info\"}\0garbage\n";
	memcpy(buf, in, sizeof(in) - 1);
	size_t len = sizeof(in) - 1;
	json_t *req, *resp;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(req, "cmd")), "info");
	json_decref(req);
	CU_ASSERT_EQUAL(len, 0);
}

static void test_error_text_is_cut_to_one_bounded_string(void)
{
	char name[2000];
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	json_t *e = mf_control_error("no pool named %s", name);
	CU_ASSERT_EQUAL(strlen(error_of(e)), 511);
	json_decref(e);
}

static void test_a_line_with_bytes_that_are_not_utf8_gets_an_error_answer(void)
{
	/* jansson quotes the bad token in its error text; the answer must
	 * still be a JSON string (found by fuzz_control). */
	size_t len = fill("\xff\xfe{\n");
	json_t *req, *resp;
	CU_ASSERT_EQUAL(mf_control_line_take(buf, &len, &req, &resp), 1);
	CU_ASSERT_PTR_NULL(req);
	CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
	CU_ASSERT_PTR_NOT_NULL(strstr(error_of(resp), "request is not a JSON object"));
	json_decref(resp);
}

static void test_error_text_cut_inside_a_character_stays_utf8(void)
{
	char name[2000] = "";
	for (size_t i = 0; i + 2 < sizeof(name); i += 2)
		strcat(name + i, "\xc3\xa9"); /* é, two bytes */
	json_t *e = mf_control_error("%s", name); /* cut after 255 é and a lead byte */
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	const char *t = error_of(e);
	CU_ASSERT_EQUAL(strlen(t), 511);
	CU_ASSERT_EQUAL(t[510], '?');
	json_decref(e);
}

int main(void)
{
	static const struct test_case cases[] = {
#define T(f) {#f, f}
		T(test_lines_are_taken_in_order_and_the_rest_moves_to_the_front),
		T(test_no_complete_line_waits_and_leaves_the_buffer),
		T(test_a_line_that_is_not_an_object_gets_an_error_answer),
		T(test_bytes_after_a_nul_in_the_line_are_ignored),
		T(test_error_text_is_cut_to_one_bounded_string),
		T(test_a_line_with_bytes_that_are_not_utf8_gets_an_error_answer),
		T(test_error_text_cut_inside_a_character_stays_utf8),
#undef T
	};
	return RUN_SUITE("cli_control_line", cases);
}

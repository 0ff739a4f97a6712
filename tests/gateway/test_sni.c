/* Unit tests of gateway/sni.c: a table of good and bad names. */
#include <stdio.h>
#include <string.h>

#include "gateway/sni.h"
#include "tests/cunit_main.h"

#define TD "example.test"

static const char L63[] = "a23456789012345678901234567890123456789012345678901234567890123";
static const char L64[] = "a234567890123456789012345678901234567890123456789012345678901234";

struct good {
	const char *name, *td, *subset, *service, *ns, *dc;
};

static void test_good_names_parse_to_lower_case_parts(void)
{
	static char long63[128];
	snprintf(long63, sizeof long63, "%s.default.dc3.internal.example.test", L63);
	const struct good cases[] = {
		{"web.default.dc3.internal.example.test", TD, "", "web", "default", "dc3"},
		{"v2.web.default.dc3.internal.example.test", TD, "v2", "web", "default", "dc3"},
		{"WEB.Default.DC3.Internal.Example.TEST", TD, "", "web", "default", "dc3"},
		{"web.default.dc3.internal.example.test.", TD, "", "web", "default", "dc3"},
		{"web.default.dc3.internal.example.test", "EXAMPLE.test.", "", "web", "default", "dc3"},
		{"a-b.x-1.9.internal.example.test", TD, "", "a-b", "x-1", "9"},
		{"web.default.dc1.internal.td", "td", "", "web", "default", "dc1"},
		{"web.default.dc1.internal.a.b.c.d", "a.b.c.d", "", "web", "default", "dc1"},
		{long63, TD, "", L63, "default", "dc3"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mf_sni_name n;
		int rc = mf_sni_parse(cases[i].name, strlen(cases[i].name), cases[i].td, &n);
		if (rc != 0)
			printf("\n  %s: %d\n", cases[i].name, rc);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(n.subset, cases[i].subset);
		CU_ASSERT_STRING_EQUAL(n.service, cases[i].service);
		CU_ASSERT_STRING_EQUAL(n.ns, cases[i].ns);
		CU_ASSERT_STRING_EQUAL(n.dc, cases[i].dc);
	}
}

struct bad {
	const char *name;
	int rc;
};

static void test_bad_names_are_refused_with_their_cause(void)
{
	static char l64[128], total254[300];
	snprintf(l64, sizeof l64, "%s.default.dc3.internal.example.test", L64);
	/* 4 labels of 63 + "internal.example.test" is over 253 */
	snprintf(total254, sizeof total254, "%s.%s.%s.%s.internal.example.test", L63, L63, L63, L63);
	const struct bad cases[] = {
		/* outside the trust domain */
		{"web.default.dc3.internal.example.org", MF_ENOTFOUND},
		{"web.default.dc3.internal.other.example.test.evil", MF_ENOTFOUND},
		{"web.default.dc3.internal.xexample.test", MF_ENOTFOUND},
		{"test", MF_ENOTFOUND},
		{"web.default.dc3.internal.test", MF_ENOTFOUND},
		/* in it, but not the .internal. form */
		{"example.test", MF_EMALFORMED},
		{"dc3.internal.example.test", MF_EMALFORMED},
		{"default.dc3.internal.example.test", MF_EMALFORMED},
		{"web.default.dc3.query.example.test", MF_EMALFORMED},
		{"web.default.dc3.internal-v1.example.test", MF_EMALFORMED},
		{"a.v2.web.default.dc3.internal.example.test", MF_EMALFORMED},
		{"web.default.internal.dc3.example.test", MF_EMALFORMED},
		/* malformed, whatever the suffix */
		{"", MF_EMALFORMED},
		{".", MF_EMALFORMED},
		{"web..default.dc3.internal.example.test", MF_EMALFORMED},
		{".web.default.dc3.internal.example.test", MF_EMALFORMED},
		{"web.default.dc3.internal.example.test..", MF_EMALFORMED},
		{"we_b.default.dc3.internal.example.test", MF_EMALFORMED},
		{"-web.default.dc3.internal.example.test", MF_EMALFORMED},
		{"web-.default.dc3.internal.example.test", MF_EMALFORMED},
		{"w b.default.dc3.internal.example.test", MF_EMALFORMED},
		{"wéb.default.dc3.internal.example.test", MF_EMALFORMED},
		{"web.default.dc3.internal.example.org_", MF_EMALFORMED},
		{l64, MF_EMALFORMED},
		{total254, MF_EMALFORMED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mf_sni_name n;
		memset(&n, 'x', sizeof n);
		int rc = mf_sni_parse(cases[i].name, strlen(cases[i].name), TD, &n);
		if (rc != cases[i].rc)
			printf("\n  \"%s\": %d, want %d\n", cases[i].name, rc, cases[i].rc);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_EQUAL(n.service[0], '\0'); /* zeroed on refusal */
	}
}

static void test_length_limits_are_exact(void)
{
	/* 63+63+63+k label bytes, 3 dots, ".internal.example.test" (22):
	 * k = 39 makes 253 bytes, the most; with a trailing dot 254 */
	char name[300];
	struct mf_sni_name n;
	snprintf(name, sizeof name, "%s.%s.%s.%.39s.internal.example.test", L63, L63, L63, L63);
	CU_ASSERT_EQUAL_FATAL(strlen(name), 253);
	CU_ASSERT_EQUAL(mf_sni_parse(name, 253, TD, &n), 0);
	CU_ASSERT_STRING_EQUAL(n.subset, L63);
	CU_ASSERT_EQUAL(strlen(n.dc), 39);
	strcat(name, ".");
	CU_ASSERT_EQUAL(mf_sni_parse(name, 254, TD, &n), 0);
	snprintf(name, sizeof name, "%s.%s.%s.%.40s.internal.example.test", L63, L63, L63, L63);
	CU_ASSERT_EQUAL(mf_sni_parse(name, 254, TD, &n), MF_EMALFORMED);
}

static void test_the_length_argument_bounds_the_name(void)
{
	const char *s = "web.default.dc3.internal.example.testXYZ";
	struct mf_sni_name n;
	CU_ASSERT_EQUAL(mf_sni_parse(s, strlen(s) - 3, TD, &n), 0);
	/* a NUL inside the given length is malformed, not a shorter name */
	const char nul[] = "web.default.dc3.internal.example.test\0";
	CU_ASSERT_EQUAL(mf_sni_parse(nul, sizeof nul - 1, TD, &n), MF_EMALFORMED);
	const char mid[] = "web\0default.dc3.internal.example.test";
	CU_ASSERT_EQUAL(mf_sni_parse(mid, sizeof mid - 1, TD, &n), MF_EMALFORMED);
}

static void test_bad_arguments_and_trust_domains(void)
{
	struct mf_sni_name n;
	const char *s = "web.default.dc3.internal.example.test";
	CU_ASSERT_EQUAL(mf_sni_parse(NULL, 0, TD, &n), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_parse(s, strlen(s), NULL, &n), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_parse(s, strlen(s), "", &n), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_parse(s, strlen(s), "exa mple.test", &n), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("example.test"), 0);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("Example.Test."), 0);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("consul"), 0);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("11111111-2222-3333-4444-555555555555.consul"), 0);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check(""), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("."), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("a..b"), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check("-a.b"), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_sni_trust_domain_check(NULL), MF_EINVAL);
}

static void test_label_validity(void)
{
	CU_ASSERT_TRUE(mf_sni_label_valid("web", 3));
	CU_ASSERT_TRUE(mf_sni_label_valid("Web-2", 5));
	CU_ASSERT_TRUE(mf_sni_label_valid(L63, 63));
	CU_ASSERT_FALSE(mf_sni_label_valid(L64, 64));
	CU_ASSERT_FALSE(mf_sni_label_valid("", 0));
	CU_ASSERT_FALSE(mf_sni_label_valid("a.b", 3));
	CU_ASSERT_FALSE(mf_sni_label_valid("-a", 2));
	CU_ASSERT_FALSE(mf_sni_label_valid("a-", 2));
	CU_ASSERT_FALSE(mf_sni_label_valid("a_b", 3));
}

static void test_format_is_the_inverse_of_parse(void)
{
	char buf[300];
	struct mf_sni_name n = {"", "web", "default", "dc3"}, back;
	int len = mf_sni_format(&n, "Example.Test.", buf, sizeof buf);
	CU_ASSERT_EQUAL(len, (int)strlen("web.default.dc3.internal.example.test"));
	CU_ASSERT_STRING_EQUAL(buf, "web.default.dc3.internal.example.test");
	struct mf_sni_name s = {"V2", "Web", "default", "dc3"};
	len = mf_sni_format(&s, TD, buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "v2.web.default.dc3.internal.example.test");
	CU_ASSERT_EQUAL(mf_sni_parse(buf, (size_t)len, TD, &back), 0);
	CU_ASSERT_STRING_EQUAL(back.subset, "v2");
	CU_ASSERT_STRING_EQUAL(back.service, "web");
	CU_ASSERT_EQUAL(mf_sni_format(&n, TD, buf, 10), MF_ETOOBIG);
	struct mf_sni_name bad = {"", "we_b", "default", "dc3"};
	CU_ASSERT_EQUAL(mf_sni_format(&bad, TD, buf, sizeof buf), MF_EINVAL);
	struct mf_sni_name big = {"", "", "", ""};
	memcpy(big.subset, L63, 63), memcpy(big.service, L63, 63), memcpy(big.ns, L63, 63);
	memcpy(big.dc, L63, 63);
	CU_ASSERT_EQUAL(mf_sni_format(&big, TD, buf, sizeof buf), MF_ETOOBIG); /* > 253 */
}

int main(void)
{
	static const struct test_case cases[] = {
		{"good names parse to lower-case parts", test_good_names_parse_to_lower_case_parts},
		{"bad names are refused with their cause", test_bad_names_are_refused_with_their_cause},
		{"length limits are exact", test_length_limits_are_exact},
		{"the length argument bounds the name", test_the_length_argument_bounds_the_name},
		{"bad arguments and trust domains", test_bad_arguments_and_trust_domains},
		{"label validity", test_label_validity},
		{"format is the inverse of parse", test_format_is_the_inverse_of_parse},
	};
	return RUN_SUITE("gateway_sni", cases);
}

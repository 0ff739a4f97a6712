/*
 * tests/cunit_main.h — the one CUnit main of every unit test binary: one
 * suite, tests given as {name, function} pairs (optionally with a setup and
 * teardown run around each test), verbose run summary, exit status 1 on any
 * failure. A binary that must skip (a tool missing) returns 77 from main
 * before calling it. MF_TEST=TEXT in the environment runs only the tests
 * whose names contain TEXT (to run or time one case by hand).
 */
#ifndef MF_TESTS_CUNIT_MAIN_H
#define MF_TESTS_CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

/* A test case named after its function. */
#define TEST(fn) { #fn, fn }

static inline int run_suite_with(const char *suite, void (*setup)(void), void (*teardown)(void),
				 const struct test_case *t, unsigned n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite_with_setup_and_teardown(suite, NULL, NULL, setup, teardown);
	if (s == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	const char *only = getenv("MF_TEST");
	for (unsigned i = 0; i < n; i++) {
		if (only != NULL && strstr(t[i].name, only) == NULL)
			continue;
		if (CU_add_test(s, t[i].name, t[i].fn) == NULL) {
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define RUN_SUITE(name, cases) \
	run_suite_with(name, NULL, NULL, cases, sizeof(cases) / sizeof(cases[0]))
#define RUN_SUITE_WITH(name, setup, teardown, cases) \
	run_suite_with(name, setup, teardown, cases, sizeof(cases) / sizeof(cases[0]))

#endif

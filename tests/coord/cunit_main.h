/*
 * tests/coord/cunit_main.h — the common CUnit main of the coord tests: one
 * suite, tests given as {name, function} pairs, verbose run summary, exit
 * status 1 on any failure.
 */
#ifndef MF_TESTS_COORD_CUNIT_MAIN_H
#define MF_TESTS_COORD_CUNIT_MAIN_H

#include <CUnit/Basic.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

static inline int run_suite(const char *suite, const struct test_case *t, unsigned n)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	for (unsigned i = 0; i < n; i++)
		CU_add_test(s, t[i].name, t[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define RUN_SUITE(name, cases) run_suite(name, cases, sizeof(cases) / sizeof(cases[0]))

#endif

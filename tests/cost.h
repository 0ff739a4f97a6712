/*
 * tests/cost.h — the yardstick of the scaling tests (tests/gossip_pool
 * test_members.c and test_broadcast.c, tests/cli test_serf_glue.c): this
 * process's CPU seconds, and the check that an operation's cost at 10x the
 * size stays within 5x (a scan per operation makes it 10x; caches alone
 * 1.2-7x). Header only, as tests/cunit_main.h.
 */
#ifndef MF_TESTS_COST_H
#define MF_TESTS_COST_H

#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

static inline double mf_test_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cost(n): CPU seconds per operation at size n (best of the runs it
 * makes). Prints both and asserts cost(large) < 5 x cost(small). */
static inline void mf_test_cost_within_5x(const char *what, double (*cost)(size_t), size_t small,
					  size_t large)
{
	double s = cost(small), l = cost(large);
	fprintf(stderr, "\n  per %s: %.0f ns at %zu, %.0f ns at %zu (x%.2f)\n", what, s * 1e9, small,
		l * 1e9, large, l / s);
	CU_ASSERT(l < 5.0 * s);
}

#endif

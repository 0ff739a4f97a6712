/*
 * tests/gossip_suspicion/test_suspicion_alloc.c — a confirmation that
 * cannot be remembered is an error (MF_ENOMEM), not a silent "not new":
 * the suspicion is left as it was, and the same confirmer counts once
 * memory is back.
 *
 * malloc and realloc are wrapped at link time (CMakeLists.txt); the wrapper
 * fails every allocation while `fail` is set.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "gossip/err.h"
#include "gossip/suspicion.h"
#include "gossip/pool.h" /* MF_SEC */
#include "tests/cunit_main.h"

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);

/* Test-only switch the wrapper reads (the wrapped functions take no context). */
static bool fail;

void *__wrap_malloc(size_t n)
{
	return fail ? NULL : __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail ? NULL : __real_realloc(p, n);
}

static void test_confirm_out_of_memory_is_an_error_and_changes_nothing(void)
{
	struct mf_suspicion s;
	int64_t min = 2 * MF_SEC, max = 30 * MF_SEC;
	CU_ASSERT_EQUAL_FATAL(mf_suspicion_start(&s, "a", 1, 3, min, max, 0), 0);
	fail = true;
	int rc = mf_suspicion_confirm(&s, "b", 1, MF_SEC);
	fail = false;
	CU_ASSERT_EQUAL(rc, MF_ENOMEM);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(s.n_from, 1);
	CU_ASSERT_EQUAL(s.deadline, max);
	/* The same confirmer, with memory back, is new and moves the deadline. */
	CU_ASSERT_EQUAL(mf_suspicion_confirm(&s, "b", 1, MF_SEC), 1);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT(s.deadline < max);
	CU_ASSERT_EQUAL(mf_suspicion_confirm(&s, "b", 1, MF_SEC), 0);
	mf_suspicion_free(&s);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_confirm_out_of_memory_is_an_error_and_changes_nothing),
	};
	return RUN_SUITE("gossip_suspicion_alloc", tests);
}

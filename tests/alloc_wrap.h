/*
 * tests/alloc_wrap.h — the allocation-failure tests' allocator hook
 * (tests/gossip_pool/test_alloc.c, tests/routing_node/test_delta_alloc.c):
 * a test-only link-time wrapper of malloc, calloc, realloc and strdup that
 * fails the fail_at-th allocation made while `armed`, so the harness's own
 * copies never fail. Link tests/alloc_wrap.c with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup.
 */
#ifndef MF_TESTS_ALLOC_WRAP_H
#define MF_TESTS_ALLOC_WRAP_H

#include <stdbool.h>
#include <stddef.h>

/* The wrapped functions take no context: their state is this one value. */
struct alloc_wrap {
	bool armed;   /* inside a call of the code under test */
	long count;   /* allocations seen while armed */
	long fail_at; /* the one to fail (1-based); 0: none */
	long failed;
};
extern struct alloc_wrap alloc;

/* The real allocator, for the harness's own memory. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

#endif

/* The library's allocator: every allocation of libupernet goes through these
 * (plain malloc/free underneath, so memory from them may be passed to free()
 * and the other way round). They exist so a test can make the N-th
 * allocation fail and check that every allocation site of a run ends in a
 * clean UPERNET_ERR_NOMEM, with nothing leaked.
 *
 * Allocations made inside third-party libraries (libzip, jansson, libspng,
 * libjpeg-turbo, libgomp) are not counted: they do not go through here. */
#ifndef UPERNET_CORE_ALLOC_H
#define UPERNET_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *upernet_malloc(size_t size);
void *upernet_calloc(size_t count, size_t size);
void *upernet_realloc(void *ptr, size_t size);
char *upernet_strdup(const char *s);
/* `alignment` a power of two >= sizeof(void *); freed with upernet_free. */
void *upernet_aligned_alloc(size_t alignment, size_t size);
void upernet_free(void *ptr);

/* Test hooks, compiled only into the tests' build of the library
 * (libupernet_test.la, UPERNET_ALLOC_TEST_HOOKS); the installed library has
 * none. upernet_alloc_fail_at(n) resets the allocation counter and makes the
 * n-th allocation from now (1-based) fail, once; n = 0 disables failing (and
 * only counts). upernet_alloc_count()
 * returns the allocations counted since the last reset, and
 * upernet_alloc_largest() the largest single request in bytes (to check that
 * absurd inputs are refused before anything large is allocated). Thread-safe. */
#ifdef UPERNET_ALLOC_TEST_HOOKS
void upernet_alloc_fail_at(uint64_t n);
uint64_t upernet_alloc_count(void);
uint64_t upernet_alloc_largest(void);
#endif

#endif

/* The library's allocator (see alloc.h). The installed library calls the C
 * allocator directly; the tests' build of the library (libupernet_test.la,
 * compiled with UPERNET_ALLOC_TEST_HOOKS) also counts every request and can
 * make one fail, so that no test hook ships. */
#include "config.h"

#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef UPERNET_ALLOC_TEST_HOOKS

/* Counter and target, updated atomically: allocations also happen inside
 * OpenMP regions. fail_at == 0: never fail. */
static uint64_t alloc_calls;
static uint64_t fail_at;
static uint64_t largest_request;

/* Counts a request of `size` bytes; true when it is the one to fail. */
static int should_fail(size_t size)
{
    uint64_t seen = __atomic_load_n(&largest_request, __ATOMIC_RELAXED);
    while (size > seen &&
           !__atomic_compare_exchange_n(&largest_request, &seen, size, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    const uint64_t call = __atomic_add_fetch(&alloc_calls, 1, __ATOMIC_ACQ_REL);
    const uint64_t target = __atomic_load_n(&fail_at, __ATOMIC_ACQUIRE);
    return target != 0 && call == target;
}

void upernet_alloc_fail_at(uint64_t n)
{
    __atomic_store_n(&fail_at, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&alloc_calls, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&largest_request, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&fail_at, n, __ATOMIC_RELEASE);
}

uint64_t upernet_alloc_largest(void)
{
    return __atomic_load_n(&largest_request, __ATOMIC_ACQUIRE);
}

uint64_t upernet_alloc_count(void)
{
    return __atomic_load_n(&alloc_calls, __ATOMIC_ACQUIRE);
}

#else

/* The installed library: nothing is counted, nothing fails on purpose. */
static inline int should_fail(size_t size)
{
    (void) size;
    return 0;
}

#endif

void *upernet_malloc(size_t size)
{
    return should_fail(size) ? NULL : malloc(size);
}

void *upernet_calloc(size_t count, size_t size)
{
    return should_fail(size != 0 && count > SIZE_MAX / size ? SIZE_MAX : count * size) ? NULL : calloc(count, size);
}

void *upernet_realloc(void *ptr, size_t size)
{
    return should_fail(size) ? NULL : realloc(ptr, size);
}

char *upernet_strdup(const char *s)
{
    const size_t n = strlen(s) + 1;
    if (should_fail(n))
        return NULL;
    char *copy = malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

void *upernet_aligned_alloc(size_t alignment, size_t size)
{
    if (should_fail(size))
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, alignment, size ? size : alignment) != 0)
        return NULL;
    return p;
}

void upernet_free(void *ptr)
{
    free(ptr);
}

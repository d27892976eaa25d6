/* The static split of `n` items over the threads of the current OpenMP team
 * (one team member's contiguous share), used by drivers whose work units are
 * rows or pixels. The split never affects results: each item is computed
 * whole by one thread. */
#ifndef UPERNET_OPS_THREADS_H
#define UPERNET_OPS_THREADS_H

#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline void upernet_thread_share(size_t n, size_t *begin, size_t *end)
{
#ifdef _OPENMP
    const size_t threads = (size_t) omp_get_num_threads();
    const size_t me = (size_t) omp_get_thread_num();
#else
    const size_t threads = 1, me = 0;
#endif
    const size_t base = n / threads, extra = n % threads;
    *begin = me * base + (me < extra ? me : extra);
    *end = *begin + base + (me < extra ? 1 : 0);
}

/* Threads the next parallel region will have (1 without OpenMP). */
static inline size_t upernet_team_size(void)
{
#ifdef _OPENMP
    return (size_t) omp_get_max_threads();
#else
    return 1;
#endif
}

#endif

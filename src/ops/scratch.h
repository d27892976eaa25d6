/* Working memory of the ops that need buffers for one call (multi-source and
 * Winograd convs, bilinear resizes, wide zero rows).
 *
 * A forward installs its workspace's scratch pool on the calling thread
 * (upernet_scratch_install); each op picks it up at entry
 * (upernet_scratch_current), before any parallel region, and takes its
 * buffers from it instead of the heap. The pool is a bump region reset at
 * the end of every op (ops run one after the other), shared by the op's
 * threads (atomic bump). A request that does not fit falls back to the heap
 * and raises the pool's high-water mark; the workspace then grows the pool to
 * that mark after the forward (src/model/forward.c), so a forward at a size
 * already run allocates nothing. Without an installed pool (tests and
 * benchmarks calling ops directly) every request is a heap allocation.
 * The pool is per calling thread: concurrent forwards use their own. */
#ifndef UPERNET_OPS_SCRATCH_H
#define UPERNET_OPS_SCRATCH_H

#include <stddef.h>

struct upernet_scratch {
    unsigned char *base; /* 64-byte aligned, capacity bytes */
    size_t capacity;
    size_t used; /* bytes handed out since the last reset (atomic) */
    size_t high; /* the most `used` has reached, fitting or not (atomic) */
};

/* Makes `scratch` (NULL: none) the calling thread's pool; returns the
 * previous one, to be installed again when done. */
struct upernet_scratch *upernet_scratch_install(struct upernet_scratch *scratch);

/* The calling thread's pool, or NULL. */
struct upernet_scratch *upernet_scratch_current(void);

/* `bytes` bytes (64-byte aligned) from the pool, or from the heap when s is
 * NULL or the pool is full; NULL only when the heap fails. Thread-safe.
 * upernet_scratch_calloc zeroes them. */
void *upernet_scratch_alloc(struct upernet_scratch *s, size_t bytes);
void *upernet_scratch_calloc(struct upernet_scratch *s, size_t count, size_t size);

/* Gives back a block: a heap block is freed, a pool block waits for the
 * reset. */
void upernet_scratch_free(struct upernet_scratch *s, void *p);

/* upernet_scratch_free for each of n blocks (NULL ones skipped). */
void upernet_scratch_free_all(struct upernet_scratch *s, void *const *blocks, size_t n);

/* The pool's fill level at an op's entry, and back to it at its exit (not
 * concurrently with allocations). */
size_t upernet_scratch_mark(const struct upernet_scratch *s);
void upernet_scratch_reset(struct upernet_scratch *s, size_t mark);

#endif

/* The ops' scratch pool (see scratch.h). */
#include "config.h"

#include "ops/scratch.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

#define SCRATCH_ALIGN 64

static _Thread_local struct upernet_scratch *current_scratch;

struct upernet_scratch *upernet_scratch_install(struct upernet_scratch *scratch)
{
    struct upernet_scratch *previous = current_scratch;
    current_scratch = scratch;
    return previous;
}

struct upernet_scratch *upernet_scratch_current(void)
{
    return current_scratch;
}

void *upernet_scratch_alloc(struct upernet_scratch *s, size_t bytes)
{
    const size_t rounded = (bytes + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
    if (s != NULL && rounded >= bytes) {
        const size_t end = __atomic_add_fetch(&s->used, rounded, __ATOMIC_RELAXED);
        size_t high = __atomic_load_n(&s->high, __ATOMIC_RELAXED);
        while (end > high &&
               !__atomic_compare_exchange_n(&s->high, &high, end, 1, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
            ;
        if (end <= s->capacity)
            return s->base + (end - rounded);
    }
    return upernet_aligned_alloc(SCRATCH_ALIGN, bytes ? bytes : 1);
}

void *upernet_scratch_calloc(struct upernet_scratch *s, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = upernet_scratch_alloc(s, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void upernet_scratch_free(struct upernet_scratch *s, void *p)
{
    const unsigned char *b = p;
    if (s != NULL && s->base != NULL && b >= s->base && b < s->base + s->capacity)
        return;
    upernet_free(p);
}

void upernet_scratch_free_all(struct upernet_scratch *s, void *const *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        upernet_scratch_free(s, blocks[i]);
}

size_t upernet_scratch_mark(const struct upernet_scratch *s)
{
    return s != NULL ? s->used : 0;
}

void upernet_scratch_reset(struct upernet_scratch *s, size_t mark)
{
    if (s != NULL)
        s->used = mark;
}

#include "config.h"

#include "bench/bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"

bool bench_tier_runnable(upernet_bench_state *s, enum upernet_isa tier)
{
    if (upernet_isa_runnable(upernet_cpu_features(), tier))
        return true;
    char why[96];
    snprintf(why, sizeof why, "this CPU cannot run the %s tier", upernet_isa_name(tier));
    upernet_bench_skip(s, why);
    return false;
}

float *bench_alloc_floats(size_t n, float value)
{
    const size_t bytes = ((n * sizeof(float)) + 63) & ~(size_t) 63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        p[i] = value;
    return p;
}

void bench_fill_uniform(float *x, size_t n)
{
    unsigned s = 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float) (s >> 8) * (2.0f / 16777216.0f) - 1.0f;
    }
}

void *bench_keep(size_t size)
{
    void *p = calloc(1, size);
    if (p == NULL)
        abort();
    return p;
}

void upernet_bench_register_all(void)
{
    bench_register_layernorm();
}

/* Helpers shared by the C benchmark bodies. */
#ifndef UPERNET_BENCH_COMMON_H
#define UPERNET_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/shim.h"
#include "upernet.h"

/* True if this host runs tier; otherwise marks the benchmark skipped. */
bool bench_tier_runnable(upernet_bench_state *s, enum upernet_isa tier);
/* 64-byte aligned floats set to value (aborts on failure: benchmarks only). */
float *bench_alloc_floats(size_t n, float value);
/* Deterministic values in [-1, 1). */
void bench_fill_uniform(float *x, size_t n);
/* Zeroed memory that lives until exit (benchmark arguments). */
void *bench_keep(size_t size);

/* Family registrations, called by upernet_bench_register_all. */
void bench_register_layernorm(void);

#endif

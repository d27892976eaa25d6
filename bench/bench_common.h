/* Helpers shared by the C benchmark bodies. */
#ifndef UPERNET_BENCH_COMMON_H
#define UPERNET_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/shim.h"
#include "upernet.h"

struct upernet_kernel_table;

/* True if this host runs tier; otherwise marks the benchmark skipped. */
bool bench_tier_runnable(upernet_bench_state *s, enum upernet_isa tier);
/* Makes tier the active kernel tier (upernet_select_isa) for a benchmark that
 * runs whole ops or the model; returns its kernel table, or NULL after
 * marking the benchmark skipped (tier not runnable here, or refused). */
const struct upernet_kernel_table *bench_select_tier(upernet_bench_state *s,
                                                     enum upernet_isa tier);

/* Whether to register benchmarks of tier at all: this build and CPU run it.
 * (Registering only these keeps the console table free of skip lines.) */
bool bench_tier_on_host(enum upernet_isa tier);
/* OpenMP's thread count at start-up ("all threads"). */
int bench_max_threads(void);
#define BENCH_MAX_THREADS 256

/* ---- This machine's limits, measured in the same run (once per process, on
 * first use, so a filtered run pays only for what it uses). ---- */

/* FP32 FMA peak of tier with `threads` threads, GFLOP/s (0 if not runnable). */
double bench_peak_gflops(enum upernet_isa tier, int threads);
/* The measurement behind bench_peak_gflops: a register-only loop of
 * independent FMAs. bench_common.c holds a weak fallback; a strong definition
 * elsewhere in the benchmark binary (bench/bench_peak*.c) replaces it. */
double bench_fma_peak_measure(enum upernet_isa tier, int threads);

/* Memory levels of the STREAM-like benchmarks (bench/bench_memory.c). */
enum bench_mem_level { BENCH_MEM_L2 = 0, BENCH_MEM_L3, BENCH_MEM_DRAM, BENCH_MEM_LEVELS };
const char *bench_mem_level_name(enum bench_mem_level level);
/* Bytes of all arrays of a level's benchmark with `threads` threads. */
size_t bench_mem_footprint(enum bench_mem_level level, int threads);
/* The level a kernel touching `working_set` bytes streams from. */
enum bench_mem_level bench_mem_level_for(size_t working_set, int threads);
/* Triad bandwidth of level with `threads` threads, GB/s. */
double bench_peak_gbps(enum bench_mem_level level, int threads);

/* ---- Counters every kernel benchmark reports (call after the loop). ----
 * Compute-bound: "GFLOP/s" and "%peak" (of tier's FMA peak at `threads`).
 * Memory-bound: "GB/s" and "%bw" (of the triad bandwidth of the level where
 * `working_set` bytes live). flops/bytes are per iteration. */
void bench_report_flops(upernet_bench_state *s, double flops, enum upernet_isa tier, int threads);
void bench_report_bytes(upernet_bench_state *s, double bytes, size_t working_set, int threads);
/* 64-byte aligned floats set to value (aborts on failure: benchmarks only). */
float *bench_alloc_floats(size_t n, float value);
/* Deterministic values in [-1, 1). */
void bench_fill_uniform(float *x, size_t n);
/* Zeroed memory that lives until exit (benchmark arguments). */
void *bench_keep(size_t size);

/* Family registrations, called by upernet_bench_register_all. */
void bench_register_layernorm(void);
void bench_register_memory(void);
void bench_register_model(void);
/* upernet evaluate's image loop against back-to-back forwards (bench_evaluate.c). */
void bench_register_evaluate(void);
void bench_register_onednn(void); /* only when configure found oneDNN */

/* Whether benchmarks of group ("kernels" or "models") are to be registered. */
bool bench_group_selected(const char *group);
void bench_register_peak(void);
void bench_register_igemm(void);
void bench_register_dwconv7x7(void);
void bench_register_conv3x3(void);
void bench_register_layers(void);
void bench_register_resize(void);

#endif

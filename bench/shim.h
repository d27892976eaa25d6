/* The C face of Google Benchmark. Benchmark bodies are C; they register
 * themselves through these functions and bench/shim.cc forwards to
 * benchmark::State. */
#ifndef UPERNET_BENCH_SHIM_H
#define UPERNET_BENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct upernet_bench_state upernet_bench_state;
typedef void (*upernet_bench_fn)(upernet_bench_state *state, const void *arg);

/* Registers benchmark `name` running fn(state, arg); arg must outlive main. */
void upernet_bench_register(const char *name, upernet_bench_fn fn, const void *arg);

/* Per-benchmark overrides of the command line (0 = keep the default). Long
 * benchmarks (a whole forward pass) use iterations = 1 so that a repetition is
 * one call and no time goes into estimating an iteration count. */
struct upernet_bench_options {
    long iterations;
    double min_time_s;
};
void upernet_bench_register_with(const char *name, upernet_bench_fn fn, const void *arg,
                                 const struct upernet_bench_options *options);

/* Adds key=value to the "context" of the JSON output and the console header
 * (machine, compiler, measured peaks: what a later reader needs). */
void upernet_bench_add_context(const char *key, const char *value);

/* The timing loop: while (upernet_bench_keep_running(s)) { ...work... } */
bool upernet_bench_keep_running(upernet_bench_state *state);
/* Seconds of wall time spent in the timing loop so far (from the first
 * upernet_bench_keep_running call to the one that returned false): the time
 * Google Benchmark reports as real time, for counters derived from it. */
double upernet_bench_elapsed_seconds(const upernet_bench_state *state);
/* Iterations of the timing loop run so far. */
double upernet_bench_iterations(const upernet_bench_state *state);
/* Marks the benchmark skipped with a reason (e.g. the CPU lacks the tier). */
void upernet_bench_skip(upernet_bench_state *state, const char *reason);
/* Bytes moved per iteration: reported as bytes_per_second. */
void upernet_bench_set_bytes_per_iteration(upernet_bench_state *state, double bytes);
/* A counter averaged per second of run time (per_second) or a plain value. */
void upernet_bench_counter(upernet_bench_state *state, const char *name, double value,
                           bool per_second);

/* Each benchmark family's registration (bench/bench_*.c). */
void upernet_bench_register_all(void);

/* Restricts registration to one group, "kernels" (everything fast: kernels,
 * memory, peaks) or "models" (end-to-end forwards); NULL or "all" for both.
 * The shim's main takes it as --upernet_group=NAME. */
void upernet_bench_select_group(const char *group);

#ifdef __cplusplus
}
#endif

#endif

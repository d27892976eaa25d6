/* The FP32 FMA peak every kernel benchmark's "%peak" counter divides by:
 * the register-only loops of kernels/f32-fmapeak (16 independent chains),
 * run in the same process as the kernels they judge. This strong
 * bench_fma_peak_measure replaces bench_common.c's weak fallback. Each
 * tier's peak is also its own benchmark, peak/fma/TIER/threads:N, so the
 * table shows it next to the kernels. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"
#include "kernels/f32-fmapeak/fmapeak.h"

static upernet_f32_fmapeak_fn peak_loop(enum upernet_isa tier)
{
#define UPERNET_FMAPEAK_UKERNEL(t, fn, lanes) \
    if ((t) == tier)                         \
        return fn;
#include "kernels/f32-fmapeak/f32-fmapeak.inc"
#undef UPERNET_FMAPEAK_UKERNEL
    return NULL;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Best of 10 timed trials (after one that wakes the clock up) of ~1-2 ms per
 * thread: the best, not the median, because the peak is a ceiling and a
 * shared machine only ever makes a trial slower. */
double bench_fma_peak_measure(enum upernet_isa tier, int threads)
{
    const upernet_f32_fmapeak_fn loop = peak_loop(tier);
    if (loop == NULL || !bench_tier_on_host(tier))
        return 0.0;
    double best = 0.0;
    volatile float sink = 0.0f;
    for (int trial = 0; trial < 11; trial++) {
        double flops = 0.0;
        const double t0 = seconds_now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        {
            float my_sink;
            flops += loop(40000, &my_sink);
            sink = my_sink;
        }
        const double gflops = flops / (seconds_now() - t0) * 1e-9;
        if (trial > 0 && gflops > best)
            best = gflops;
    }
    (void) sink;
    return best;
}

struct peak_case {
    enum upernet_isa tier;
    int threads;
};

static void run_peak(upernet_bench_state *s, const void *arg)
{
    const struct peak_case *c = arg;
    if (!bench_tier_runnable(s, c->tier))
        return;
    const upernet_f32_fmapeak_fn loop = peak_loop(c->tier);
    double flops = 0.0;
    volatile float sink = 0.0f;
    while (upernet_bench_keep_running(s)) {
        double f = 0.0;
#pragma omp parallel num_threads(c->threads) reduction(+ : f)
        {
            float my_sink;
            f += loop(40000, &my_sink);
            sink = my_sink;
        }
        flops = f;
    }
    (void) sink;
    bench_report_flops(s, flops, c->tier, c->threads);
}

void bench_register_peak(void)
{
    const int counts[2] = {1, bench_max_threads()};
    for (int t = 0; t < UPERNET_ISA_COUNT; t++) {
        const enum upernet_isa tier = (enum upernet_isa) t;
        if (peak_loop(tier) == NULL || !bench_tier_on_host(tier))
            continue;
        for (int i = 0; i < (counts[1] > 1 ? 2 : 1); i++) {
            struct peak_case *c = bench_keep(sizeof *c);
            *c = (struct peak_case){tier, counts[i]};
            char name[96];
            snprintf(name, sizeof name, "peak/fma/%s/threads:%d", upernet_isa_name(tier),
                     counts[i]);
            upernet_bench_register(name, run_peak, c);
        }
    }
}

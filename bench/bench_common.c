#include "config.h"

#include "bench/bench_common.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/dispatch.h"

bool bench_tier_runnable(upernet_bench_state *s, enum upernet_isa tier)
{
    if (bench_tier_on_host(tier))
        return true;
    char why[96];
    snprintf(why, sizeof why, "this CPU cannot run the %s tier natively", upernet_isa_name(tier));
    upernet_bench_skip(s, why);
    return false;
}

const struct upernet_kernel_table *bench_select_tier(upernet_bench_state *s,
                                                     enum upernet_isa tier)
{
    if (!bench_tier_runnable(s, tier))
        return NULL;
    upernet_error err;
    if (upernet_select_isa(upernet_isa_name(tier), &err) != UPERNET_OK) {
        upernet_bench_skip(s, err.message);
        return NULL;
    }
    return upernet_kernels();
}

bool bench_tier_on_host(enum upernet_isa tier)
{
    /* An emulated tier (a testing build) runs, but its times mean nothing. */
    return upernet_isa_runnable(upernet_cpu_features(), tier) && !upernet_isa_emulated(tier);
}

int bench_max_threads(void)
{
    static int n;
    if (n == 0) {
        n = omp_get_max_threads();
        if (n > BENCH_MAX_THREADS)
            n = BENCH_MAX_THREADS;
    }
    return n;
}

/* ------------------------------------------------------------ peaks */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Fallback FMA-peak loops (replaced by a strong bench_fma_peak_measure).
 * Each runs `rounds` x 8 steps over 12 independent accumulators: enough
 * chains to cover FMA latency x ports on current cores. Returns flops. */
typedef double (*fma_loop_fn)(long rounds, float *sink);

static double fma_loop_baseline(long rounds, float *sink)
{
    /* The scalar tier is compiled for the baseline ISA: 4-wide vectors with
     * separate multiply and add is the most its code can issue. */
    typedef float v4 __attribute__((vector_size(16)));
    v4 acc[12], m = {0.999f, 0.999f, 0.999f, 0.999f}, a = {1e-3f, 1e-3f, 1e-3f, 1e-3f};
    for (int i = 0; i < 12; i++)
        acc[i] = (v4){(float) i, 1, 2, 3};
    for (long r = 0; r < rounds * 8; r++) {
        for (int i = 0; i < 12; i++)
            acc[i] = acc[i] * m + a;
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]),
                         "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]),
                         "+x"(acc[10]), "+x"(acc[11]));
    }
    v4 t = acc[0];
    for (int i = 1; i < 12; i++)
        t += acc[i];
    *sink = t[0] + t[1] + t[2] + t[3];
    return (double) rounds * 8 * 12 * 4 * 2;
}

#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX2)
__attribute__((target("avx2,fma"))) static double fma_loop_avx2(long rounds, float *sink)
{
    __m256 acc[12];
    const __m256 m = _mm256_set1_ps(0.999f), a = _mm256_set1_ps(1e-3f);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm256_set1_ps((float) i);
    for (long r = 0; r < rounds * 8; r++) {
        for (int i = 0; i < 12; i++)
            acc[i] = _mm256_fmadd_ps(acc[i], m, a);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]),
                         "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]),
                         "+x"(acc[10]), "+x"(acc[11]));
    }
    __m256 t = acc[0];
    for (int i = 1; i < 12; i++)
        t = _mm256_add_ps(t, acc[i]);
    *sink = _mm256_cvtss_f32(t);
    return (double) rounds * 8 * 12 * 8 * 2;
}
#endif

#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX512)
__attribute__((target("avx512f"))) static double fma_loop_avx512(long rounds, float *sink)
{
    __m512 acc[12];
    const __m512 m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(1e-3f);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm512_set1_ps((float) i);
    for (long r = 0; r < rounds * 8; r++) {
        for (int i = 0; i < 12; i++)
            acc[i] = _mm512_fmadd_ps(acc[i], m, a);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]),
                         "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]),
                         "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512 t = acc[0];
    for (int i = 1; i < 12; i++)
        t = _mm512_add_ps(t, acc[i]);
    *sink = _mm512_reduce_add_ps(t);
    return (double) rounds * 8 * 12 * 16 * 2;
}
#endif

__attribute__((weak)) double bench_fma_peak_measure(enum upernet_isa tier, int threads)
{
    fma_loop_fn loop = NULL;
    if (tier == UPERNET_ISA_SCALAR)
        loop = fma_loop_baseline;
#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX2)
    if (tier == UPERNET_ISA_AVX2)
        loop = fma_loop_avx2;
#endif
#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX512)
    if (tier == UPERNET_ISA_AVX512)
        loop = fma_loop_avx512;
#endif
    if (loop == NULL || !bench_tier_on_host(tier))
        return 0.0;
    /* Best of 10 trials of ~2 ms, each thread running its own loop. */
    double best = 0.0;
    float sink = 0.0f;
    for (int trial = 0; trial < 11; trial++) {
        double flops = 0.0;
        const double t0 = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
        {
            float my_sink;
            flops += loop(20000, &my_sink);
            if (my_sink == 12345.0f)
                sink += my_sink;
        }
        const double gflops = flops / (now_seconds() - t0) * 1e-9;
        if (trial > 0 && gflops > best) /* trial 0 warms up the clock */
            best = gflops;
    }
    if (sink == 12345.0f)
        fputs("", stderr);
    return best;
}

double bench_peak_gflops(enum upernet_isa tier, int threads)
{
    static double cache[UPERNET_ISA_COUNT][BENCH_MAX_THREADS + 1];
    if (tier >= UPERNET_ISA_COUNT || threads < 1 || threads > BENCH_MAX_THREADS)
        return 0.0;
    if (cache[tier][threads] == 0.0) {
        const double p = bench_fma_peak_measure(tier, threads);
        cache[tier][threads] = p > 0.0 ? p : -1.0;
    }
    return cache[tier][threads] > 0.0 ? cache[tier][threads] : 0.0;
}

enum bench_mem_level bench_mem_level_for(size_t working_set, int threads)
{
    /* The benchmarks' footprints are about half of each level's capacity. */
    if (working_set <= 2 * bench_mem_footprint(BENCH_MEM_L2, threads))
        return BENCH_MEM_L2;
    if (working_set <= 2 * bench_mem_footprint(BENCH_MEM_L3, threads))
        return BENCH_MEM_L3;
    return BENCH_MEM_DRAM;
}

void bench_report_flops(upernet_bench_state *s, double flops, enum upernet_isa tier, int threads)
{
    const double seconds = upernet_bench_elapsed_seconds(s);
    if (seconds <= 0.0)
        return;
    const double gflops = flops * upernet_bench_iterations(s) / seconds * 1e-9;
    upernet_bench_counter(s, "GFLOP/s", gflops, false);
    const double peak = bench_peak_gflops(tier, threads);
    if (peak > 0.0)
        upernet_bench_counter(s, "%peak", 100.0 * gflops / peak, false);
}

void bench_report_bytes(upernet_bench_state *s, double bytes, size_t working_set, int threads)
{
    const double seconds = upernet_bench_elapsed_seconds(s);
    if (seconds <= 0.0)
        return;
    const double gbps = bytes * upernet_bench_iterations(s) / seconds * 1e-9;
    upernet_bench_counter(s, "GB/s", gbps, false);
    const double peak = bench_peak_gbps(bench_mem_level_for(working_set, threads), threads);
    if (peak > 0.0)
        upernet_bench_counter(s, "%bw", 100.0 * gbps / peak, false);
}

/* ------------------------------------------------------------ buffers */

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

/* What a later reader of the JSON needs to know about this machine and build. */
static void add_context(void)
{
    char buf[512] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model name", 10) == 0) {
                const char *colon = strchr(line, ':');
                if (colon != NULL) {
                    snprintf(buf, sizeof buf, "%s", colon + 1 + (colon[1] == ' '));
                    buf[strcspn(buf, "\n")] = 0;
                }
                break;
            }
        }
        fclose(f);
    }
    upernet_bench_add_context("upernet_cpu_model", buf[0] ? buf : "unknown");
    upernet_cpu_features_describe(upernet_cpu_features(), buf, sizeof buf);
    upernet_bench_add_context("upernet_cpu_features", buf);
    upernet_bench_add_context("upernet_best_tier",
                              upernet_isa_name(upernet_isa_best(upernet_cpu_features())));
    snprintf(buf, sizeof buf, "%d", bench_max_threads());
    upernet_bench_add_context("upernet_threads", buf);
    upernet_bench_add_context("upernet_version", PACKAGE_VERSION);
#if defined(__clang__)
    upernet_bench_add_context("upernet_compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
    upernet_bench_add_context("upernet_compiler", "gcc " __VERSION__);
#endif
#ifdef BENCH_BUILD_CFLAGS
    upernet_bench_add_context("upernet_cflags", BENCH_BUILD_CFLAGS);
#endif
}

static const char *selected_group;

void upernet_bench_select_group(const char *group)
{
    selected_group = group;
}

bool bench_group_selected(const char *group)
{
    return selected_group == NULL || strcmp(selected_group, "all") == 0 ||
           strcmp(selected_group, group) == 0;
}

void upernet_bench_register_all(void)
{
    add_context();
    if (bench_group_selected("kernels")) {
        bench_register_memory();
        bench_register_layernorm();
        bench_register_peak();
        bench_register_igemm();
        bench_register_dwconv7x7();
        bench_register_conv3x3();
        bench_register_layers();
        bench_register_resize();
#ifdef UPERNET_BENCH_DNNL
        bench_register_onednn();
#endif
    }
    if (bench_group_selected("models")) {
        bench_register_model();
        bench_register_evaluate();
    }
}

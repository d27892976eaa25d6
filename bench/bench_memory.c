/* Memory bandwidth, STREAM-like, in the same run as the kernel benchmarks:
 *   copy   b[i] = a[i]              2 x 4 bytes per element
 *   triad  a[i] = b[i] + s * c[i]   3 x 4 bytes per element
 * (STREAM's convention: write-allocate traffic is not counted.) Each runs at
 * three footprints (all arrays together): L2-sized, L3-sized and DRAM-sized,
 * with one thread and with all threads. With t threads each thread sweeps its
 * own contiguous slice, first-touched by that thread, and the footprint grows
 * t-fold for the per-core L2 (the L3 and DRAM footprints are totals).
 *
 * The loops are written with vector intrinsics for the widest tier the host
 * runs (GCC target attributes, chosen at run time): compiled for baseline
 * x86-64 only, a loop cannot saturate L2 and the "peak" would be the
 * compiler's, not the machine's. Regular stores, no streaming stores, so the
 * figures are what a kernel writing its output normally can hope for.
 *
 * bench_peak_gbps() (bench_common.h) measures the triad figure once per
 * process and level; kernel benchmarks divide by it for their %bw counter. */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/cpu-features.h"

enum stream_op { STREAM_COPY, STREAM_TRIAD };

/* ------------------------------------------------------------- loops */

static void copy_generic(size_t n, const float *a, float *b)
{
    memcpy(b, a, n * sizeof(float));
}

static void triad_generic(size_t n, float *a, const float *b, const float *c, float s)
{
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] + s * c[i];
}

#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX2)
/* n is a multiple of 32 floats and the arrays are 64-byte aligned (the
 * callers' slices guarantee both). */
__attribute__((target("avx2,fma"))) static void copy_avx2(size_t n, const float *a, float *b)
{
    for (size_t i = 0; i < n; i += 32) {
        __m256 x0 = _mm256_load_ps(a + i), x1 = _mm256_load_ps(a + i + 8);
        __m256 x2 = _mm256_load_ps(a + i + 16), x3 = _mm256_load_ps(a + i + 24);
        _mm256_store_ps(b + i, x0), _mm256_store_ps(b + i + 8, x1);
        _mm256_store_ps(b + i + 16, x2), _mm256_store_ps(b + i + 24, x3);
    }
}

__attribute__((target("avx2,fma"))) static void triad_avx2(size_t n, float *a, const float *b,
                                                            const float *c, float s)
{
    const __m256 vs = _mm256_set1_ps(s);
    for (size_t i = 0; i < n; i += 32) {
        __m256 x0 = _mm256_fmadd_ps(vs, _mm256_load_ps(c + i), _mm256_load_ps(b + i));
        __m256 x1 = _mm256_fmadd_ps(vs, _mm256_load_ps(c + i + 8), _mm256_load_ps(b + i + 8));
        __m256 x2 = _mm256_fmadd_ps(vs, _mm256_load_ps(c + i + 16), _mm256_load_ps(b + i + 16));
        __m256 x3 = _mm256_fmadd_ps(vs, _mm256_load_ps(c + i + 24), _mm256_load_ps(b + i + 24));
        _mm256_store_ps(a + i, x0), _mm256_store_ps(a + i + 8, x1);
        _mm256_store_ps(a + i + 16, x2), _mm256_store_ps(a + i + 24, x3);
    }
}
#endif

#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX512)
__attribute__((target("avx512f"))) static void copy_avx512(size_t n, const float *a, float *b)
{
    for (size_t i = 0; i < n; i += 32) {
        __m512 x0 = _mm512_load_ps(a + i), x1 = _mm512_load_ps(a + i + 16);
        _mm512_store_ps(b + i, x0), _mm512_store_ps(b + i + 16, x1);
    }
}

__attribute__((target("avx512f"))) static void triad_avx512(size_t n, float *a, const float *b,
                                                             const float *c, float s)
{
    const __m512 vs = _mm512_set1_ps(s);
    for (size_t i = 0; i < n; i += 32) {
        __m512 x0 = _mm512_fmadd_ps(vs, _mm512_load_ps(c + i), _mm512_load_ps(b + i));
        __m512 x1 = _mm512_fmadd_ps(vs, _mm512_load_ps(c + i + 16), _mm512_load_ps(b + i + 16));
        _mm512_store_ps(a + i, x0), _mm512_store_ps(a + i + 16, x1);
    }
}
#endif

typedef void (*copy_fn)(size_t, const float *, float *);
typedef void (*triad_fn)(size_t, float *, const float *, const float *, float);

static void pick_loops(copy_fn *copy, triad_fn *triad, const char **isa)
{
    const struct upernet_cpu_features *f = upernet_cpu_features();
    *copy = copy_generic, *triad = triad_generic, *isa = "generic";
    (void) f;
#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX2)
    if (f->avx2 && f->fma && f->os_saves_ymm)
        *copy = copy_avx2, *triad = triad_avx2, *isa = "avx2";
#endif
#if defined(__x86_64__) && defined(UPERNET_BUILD_AVX512)
    if (f->avx512f && f->os_saves_zmm)
        *copy = copy_avx512, *triad = triad_avx512, *isa = "avx512";
#endif
}

/* ------------------------------------------------------------- sizes */

static size_t cache_bytes(int name, size_t fallback)
{
    long v = sysconf(name);
    return v > 0 ? (size_t) v : fallback;
}

size_t bench_mem_footprint(enum bench_mem_level level, int threads)
{
    const size_t l2 = cache_bytes(_SC_LEVEL2_CACHE_SIZE, 512 << 10);
    const size_t l3 = cache_bytes(_SC_LEVEL3_CACHE_SIZE, 8 << 20);
    switch (level) {
    case BENCH_MEM_L2:
        /* Half of each core's L2, so the arrays stay resident. */
        return l2 / 2 * (size_t) threads;
    case BENCH_MEM_L3: {
        /* What one core can keep in L3: virtual machines often report the
         * whole socket's L3 although a core reaches only its own complex's
         * (e.g. 32 MiB of a reported 256), so stay well below that. */
        size_t f = l3 / 4;
        if (f > ((size_t) 16 << 20))
            f = (size_t) 16 << 20;
        if (f < 4 * l2 * (size_t) threads)
            f = 4 * l2 * (size_t) threads;
        return f;
    }
    default: {
        size_t f = 2 * l3;
        if (f < ((size_t) 256 << 20))
            f = (size_t) 256 << 20;
        if (f > ((size_t) 1 << 30))
            f = (size_t) 1 << 30;
        return f;
    }
    }
}

const char *bench_mem_level_name(enum bench_mem_level level)
{
    static const char *const names[] = {"L2", "L3", "DRAM"};
    return level < BENCH_MEM_LEVELS ? names[level] : "?";
}

/* ------------------------------------------------------------- one measurement */

struct stream_buffers {
    size_t n;        /* floats per array, a multiple of 32 * threads */
    int threads;
    float *a, *b, *c;
};

static void stream_free(struct stream_buffers *sb)
{
    free(sb->a), free(sb->b), free(sb->c);
    memset(sb, 0, sizeof *sb);
}

/* Arrays of one footprint (3 arrays), each thread first-touching its slice. */
static void stream_alloc(struct stream_buffers *sb, size_t footprint, int threads)
{
    const size_t quantum = 32 * (size_t) threads;
    size_t n = footprint / (3 * sizeof(float));
    n = (n + quantum - 1) / quantum * quantum;
    sb->n = n, sb->threads = threads;
    sb->a = aligned_alloc(64, n * sizeof(float));
    sb->b = aligned_alloc(64, n * sizeof(float));
    sb->c = aligned_alloc(64, n * sizeof(float));
    if (!sb->a || !sb->b || !sb->c)
        abort();
    const size_t per = n / (size_t) threads;
#pragma omp parallel num_threads(threads)
    {
        const size_t lo = (size_t) omp_get_thread_num() * per;
        for (size_t i = lo; i < lo + per; i++)
            sb->a[i] = 1.0f, sb->b[i] = 2.0f, sb->c[i] = 0.5f;
    }
}

/* Sweeps per call so that one call moves at least ~8 MiB: an L2-sized sweep
 * takes about a microsecond, shorter than entering a parallel region. */
static int sweeps_for(const struct stream_buffers *sb)
{
    const size_t bytes = 3 * sb->n * sizeof(float);
    const size_t want = (size_t) 8 << 20;
    return bytes >= want ? 1 : (int) ((want + bytes - 1) / bytes);
}

static void stream_run(const struct stream_buffers *sb, enum stream_op op, int sweeps,
                       copy_fn copy, triad_fn triad)
{
    const size_t per = sb->n / (size_t) sb->threads;
#pragma omp parallel num_threads(sb->threads)
    {
        const size_t lo = (size_t) omp_get_thread_num() * per;
        for (int r = 0; r < sweeps; r++) {
            if (op == STREAM_COPY)
                copy(per, sb->a + lo, sb->b + lo);
            else
                triad(per, sb->a + lo, sb->b + lo, sb->c + lo, 0.5f);
        }
    }
}

static double bytes_per_element(enum stream_op op)
{
    return op == STREAM_COPY ? 2.0 * sizeof(float) : 3.0 * sizeof(float);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* ------------------------------------------------------------- peak registry */

double bench_peak_gbps(enum bench_mem_level level, int threads)
{
    /* Measured once per (level, thread count): the best of several timed
     * triads of >= 2 ms each after one warm-up, i.e. the least disturbed. */
    static double cache[BENCH_MEM_LEVELS][BENCH_MAX_THREADS + 1];
    if (level >= BENCH_MEM_LEVELS || threads < 1 || threads > BENCH_MAX_THREADS)
        return 0.0;
    if (cache[level][threads] > 0.0)
        return cache[level][threads];
    copy_fn copy;
    triad_fn triad;
    const char *isa;
    pick_loops(&copy, &triad, &isa);
    struct stream_buffers sb;
    stream_alloc(&sb, bench_mem_footprint(level, threads), threads);
    int sweeps = sweeps_for(&sb);
    stream_run(&sb, STREAM_TRIAD, sweeps, copy, triad);
    double best = 0.0;
    const int trials = level == BENCH_MEM_DRAM ? 5 : 15;
    for (int t = 0; t < trials; t++) {
        const double t0 = now_seconds();
        int calls = 0;
        do {
            stream_run(&sb, STREAM_TRIAD, sweeps, copy, triad);
            calls++;
        } while (now_seconds() - t0 < 2e-3);
        const double s = now_seconds() - t0;
        const double gbps = (double) calls * sweeps * (double) sb.n *
                            bytes_per_element(STREAM_TRIAD) / s * 1e-9;
        if (gbps > best)
            best = gbps;
    }
    stream_free(&sb);
    cache[level][threads] = best;
    return best;
}

/* ------------------------------------------------------------- benchmarks */

struct memory_case {
    enum stream_op op;
    enum bench_mem_level level;
    int threads;
};

static void run_memory(upernet_bench_state *s, const void *arg)
{
    const struct memory_case *c = arg;
    copy_fn copy;
    triad_fn triad;
    const char *isa;
    pick_loops(&copy, &triad, &isa);
    struct stream_buffers sb;
    stream_alloc(&sb, bench_mem_footprint(c->level, c->threads), c->threads);
    const int sweeps = sweeps_for(&sb);
    stream_run(&sb, c->op, sweeps, copy, triad); /* warm caches and TLB */
    while (upernet_bench_keep_running(s))
        stream_run(&sb, c->op, sweeps, copy, triad);
    const double bytes = (double) sweeps * (double) sb.n * bytes_per_element(c->op);
    upernet_bench_set_bytes_per_iteration(s, bytes);
    const double seconds = upernet_bench_elapsed_seconds(s);
    if (seconds > 0) {
        upernet_bench_counter(s, "GB/s", bytes * upernet_bench_iterations(s) / seconds * 1e-9,
                              false);
        upernet_bench_counter(s, "footprint_MiB",
                              3.0 * (double) sb.n * sizeof(float) / (1 << 20), false);
    }
    stream_free(&sb);
}

void bench_register_memory(void)
{
    static const enum stream_op ops[] = {STREAM_COPY, STREAM_TRIAD};
    static const char *const op_names[] = {"copy", "triad"};
    const int all = bench_max_threads();
    for (int level = 0; level < BENCH_MEM_LEVELS; level++)
        for (int o = 0; o < 2; o++)
            for (int t = 1; t <= all; t = (t == all ? all + 1 : all)) {
                struct memory_case *c = bench_keep(sizeof *c);
                *c = (struct memory_case){ops[o], (enum bench_mem_level) level, t};
                char name[96];
                snprintf(name, sizeof name, "memory/%s/%s/threads:%d", op_names[o],
                         bench_mem_level_name(c->level), t);
                upernet_bench_register(name, run_memory, c);
            }
}

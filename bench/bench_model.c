/* End-to-end forward passes: the five UperNet-ConvNeXt sizes with synthetic
 * weights (no download), per tier this host runs and at 1 thread and all
 * threads. Inputs: tiny and small at 512x512, base/large/xlarge at 256x256
 * (all at 512x512 with BENCH_FULL=1). The scalar tier takes minutes per
 * forward, so it runs only with BENCH_FULL=1. BENCH_MODELS=tiny,base limits
 * the sizes; a config.json path among them adds that configuration
 * (e.g. data/golden/tester-config.json, three levels) at 512x512.
 *
 * Counters: "ms" per forward; "GFLOP" per forward, the arithmetic the
 * forward really performs (2 x the multiply-adds of its convolutions and
 * Linear layers as the model's own step observer reports them,
 * src/model/model.h: the Winograd convs count their GEMMs' 16 multiply-adds
 * per 2x2 tile and channel pair, the others their direct sums; norms, GELU,
 * pooling and resizes none), counted once per model during its untimed
 * warm-up forward; "GFLOP/s" that arithmetic per second and "%peak" the
 * model-level efficiency: GFLOP/s as % of the tier's FMA peak at that
 * thread count, measured in the same run (bench/bench_peak.c). Tiny at
 * 512x512 counts 241.1 GFLOP (469.3 in direct-conv terms).
 *
 * Concurrent forwards (model/tiny/512x512/TIER/threads:2/concurrent:P, the
 * best tier): P forwards at once on the one loaded model, each on its own
 * workspace with 2/P OpenMP threads (P = 1: one forward on two threads;
 * P = 2: two forwards on one thread each), counted in "images/s"; the
 * pattern of a server or an evaluation loop, where P > 1 trades each image's
 * latency for the barriers and serial steps a two-thread forward has.
 *
 * One iteration per repetition (a forward is long enough to time alone);
 * the model is created and planned once per (size, tier) and kept while
 * consecutive benchmarks use it (they are registered in that order and run
 * in the "models" group, without interleaving; see bench/local.mk). */
#include "config.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "model/model.h"
#include "upernet.h"

/* The built-in sizes, smallest first (docs/SPECIFICATION.md §1). */
static const char *const sizes[] = {"tiny", "small", "base", "large", "xlarge"};

struct model_case {
    const char *size;
    enum upernet_isa tier;
    size_t input;
    int threads;
};

/* The one model kept between benchmarks. */
static struct {
    const char *size;
    enum upernet_isa tier;
    size_t input;
    upernet_model *model;
    upernet_workspace *ws;
    float *pixels, *logits;
    double macs; /* multiply-adds of one forward, from its step observer */
} cached;

static void add_step_macs(void *ctx, const struct upernet_step *step)
{
    *(double *) ctx += step->cost.macs;
}

static void drop_cached(void)
{
    upernet_workspace_free(cached.ws);
    upernet_model_free(cached.model);
    free(cached.pixels), free(cached.logits);
    memset(&cached, 0, sizeof cached);
}

static bool get_model(upernet_bench_state *s, const struct model_case *c)
{
    if (cached.model != NULL && cached.size == c->size && cached.tier == c->tier &&
        cached.input == c->input)
        return true;
    drop_cached();
    if (!bench_tier_runnable(s, c->tier))
        return false;
    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.isa = c->tier; /* threads: the benchmark's, set around each run */
    upernet_model *m = NULL;
    upernet_workspace *ws = NULL;
    if (upernet_model_open(c->size, &options, &m, &err) != UPERNET_OK ||
        upernet_workspace_create(m, &ws, &err) != UPERNET_OK ||
        upernet_workspace_plan(ws, c->input, c->input, &err) != UPERNET_OK) {
        upernet_workspace_free(ws);
        upernet_model_free(m);
        upernet_bench_skip(s, err.message);
        return false;
    }
    const size_t plane = c->input * c->input;
    cached.pixels = bench_alloc_floats(3 * plane, 0.0f);
    bench_fill_uniform(cached.pixels, 3 * plane);
    cached.logits = bench_alloc_floats((size_t) upernet_model_num_labels(m) * plane, 0.0f);
    cached.model = m, cached.ws = ws, cached.size = c->size, cached.tier = c->tier;
    cached.input = c->input;
    /* One untimed forward: first-touch of the arena, warm caches, and the
     * count of its arithmetic. */
    upernet_workspace_set_step_observer(ws, add_step_macs, &cached.macs, 0);
    const enum upernet_status st =
        upernet_model_forward(m, ws, cached.pixels, 1, c->input, c->input, cached.logits, &err);
    upernet_workspace_set_step_observer(ws, NULL, NULL, 0);
    if (st != UPERNET_OK) {
        upernet_bench_skip(s, err.message);
        drop_cached();
        return false;
    }
    return true;
}

static void run_model(upernet_bench_state *s, const void *arg)
{
    const struct model_case *c = arg;
    if (!get_model(s, c))
        return;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(c->threads);
    upernet_error err;
    bool ok = true;
    while (upernet_bench_keep_running(s))
        ok &= upernet_model_forward(cached.model, cached.ws, cached.pixels, 1, c->input, c->input,
                                    cached.logits, &err) == UPERNET_OK;
    omp_set_num_threads(saved);
    if (!ok) {
        upernet_bench_skip(s, err.message);
        return;
    }
    const double seconds = upernet_bench_elapsed_seconds(s), iters = upernet_bench_iterations(s);
    if (seconds > 0 && iters > 0)
        upernet_bench_counter(s, "ms", 1e3 * seconds / iters, false);
    upernet_bench_counter(s, "GFLOP", 2e-9 * cached.macs, false);
    bench_report_flops(s, 2.0 * cached.macs, c->tier, c->threads);
}

/* Concurrent forwards: the threads they share, the most of them. */
#define CONCURRENT_THREADS 2
#define MAX_CONCURRENT 2

struct concurrent_case {
    struct model_case model;
    int forwards;
};

/* One of the concurrent forwards on the cached model and pixels. */
struct forward_job {
    upernet_workspace *ws;
    float *logits;
    int threads;
    enum upernet_status status;
    upernet_error err;
};

static void *run_job(void *arg)
{
    struct forward_job *job = arg;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(job->threads);
    job->status = upernet_model_forward(cached.model, job->ws, cached.pixels, 1, cached.input,
                                        cached.input, job->logits, &job->err);
    omp_set_num_threads(saved);
    return NULL;
}

/* Runs the jobs at once, the first on the calling thread; false (with the
 * benchmark skipped) on any failure. */
static bool run_jobs(upernet_bench_state *s, struct forward_job *jobs, int count)
{
    pthread_t threads[MAX_CONCURRENT];
    int started = 1;
    while (started < count && pthread_create(&threads[started], NULL, run_job, &jobs[started]) == 0)
        started++;
    run_job(&jobs[0]);
    for (int i = 1; i < started; i++)
        pthread_join(threads[i], NULL);
    if (started < count) {
        upernet_bench_skip(s, "cannot start a thread for a concurrent forward");
        return false;
    }
    for (int i = 0; i < count; i++)
        if (jobs[i].status != UPERNET_OK) {
            upernet_bench_skip(s, jobs[i].err.message);
            return false;
        }
    return true;
}

static void run_concurrent(upernet_bench_state *s, const void *arg)
{
    const struct concurrent_case *c = arg;
    if (!get_model(s, &c->model))
        return;
    /* The cached workspace for the first forward, new ones for the others
     * (warmed up by one untimed round). */
    struct forward_job jobs[MAX_CONCURRENT] = {{0}};
    const size_t logits_floats =
        (size_t) upernet_model_num_labels(cached.model) * cached.input * cached.input;
    bool ok = true;
    for (int i = 0; i < c->forwards; i++) {
        jobs[i].threads = CONCURRENT_THREADS / c->forwards;
        if (i == 0) {
            jobs[i].ws = cached.ws, jobs[i].logits = cached.logits;
            continue;
        }
        upernet_error err;
        jobs[i].logits = bench_alloc_floats(logits_floats, 0.0f);
        if (ok && upernet_workspace_create(cached.model, &jobs[i].ws, &err) != UPERNET_OK) {
            upernet_bench_skip(s, err.message);
            ok = false;
        }
    }
    ok = ok && run_jobs(s, jobs, c->forwards);
    while (upernet_bench_keep_running(s))
        ok = ok && run_jobs(s, jobs, c->forwards);
    for (int i = 1; i < c->forwards; i++) {
        upernet_workspace_free(jobs[i].ws);
        free(jobs[i].logits);
    }
    const double seconds = upernet_bench_elapsed_seconds(s), iters = upernet_bench_iterations(s);
    if (ok && seconds > 0 && iters > 0)
        upernet_bench_counter(s, "images/s", (double) c->forwards * iters / seconds, false);
}

static bool size_selected(const char *name)
{
    const char *list = getenv("BENCH_MODELS");
    if (list == NULL || list[0] == 0)
        return true;
    const size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        p += strspn(p, ", ");
    }
    return false;
}

/* BENCH_MODELS entries ending in ".json": those configurations (any
 * out_features, layer scale, head width) with synthetic weights, at 512x512
 * on the best tier, 1 thread and all threads, named model/FILE/... after the
 * file's name without its folder and ".json". */
static void register_config_files(int all, const struct upernet_bench_options *options)
{
    const char *list = getenv("BENCH_MODELS");
    enum upernet_isa best = UPERNET_ISA_SCALAR;
    for (int t = UPERNET_ISA_COUNT - 1; t >= 0 && best == UPERNET_ISA_SCALAR; t--)
        if (t != UPERNET_ISA_SCALAR && bench_tier_on_host((enum upernet_isa) t))
            best = (enum upernet_isa) t;
    for (const char *p = list != NULL ? list : ""; *p;) {
        const size_t len = strcspn(p, ", ");
        if (len > 5 && strncmp(p + len - 5, ".json", 5) == 0) {
            char *path = bench_keep(len + 1);
            memcpy(path, p, len);
            path[len] = '\0';
            const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
            for (int threads = 1; threads <= all; threads = threads == all ? all + 1 : all) {
                struct model_case *c = bench_keep(sizeof *c);
                *c = (struct model_case){path, best, 512, threads};
                char name[256];
                snprintf(name, sizeof name, "model/%.*s/512x512/%s/threads:%d",
                         (int) (strlen(base) - 5), base, upernet_isa_name(best), threads);
                upernet_bench_register_with(name, run_model, c, options);
            }
        }
        p += len;
        p += strspn(p, ", ");
    }
}

void bench_register_model(void)
{
    const char *full_env = getenv("BENCH_FULL");
    const bool full = full_env != NULL && strcmp(full_env, "1") == 0;
    const int all = bench_max_threads();
    static const struct upernet_bench_options one_forward = {1, 0.0};
    bool concurrent_registered = false;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!size_selected(sizes[i]))
            continue;
        const bool small_model = i < 2;
        const size_t input = full || small_model ? 512 : 256;
        /* Best tier first: the figure people look for comes first. */
        for (int t = UPERNET_ISA_COUNT - 1; t >= 0; t--) {
            const enum upernet_isa tier = (enum upernet_isa) t;
            if (!bench_tier_on_host(tier) || (tier == UPERNET_ISA_SCALAR && !full))
                continue;
            for (int threads = 1; threads <= all; threads = threads == all ? all + 1 : all) {
                struct model_case *c = bench_keep(sizeof *c);
                *c = (struct model_case){sizes[i], tier, input, threads};
                char name[128];
                snprintf(name, sizeof name, "model/%s/%zux%zu/%s/threads:%d", sizes[i], input,
                         input, upernet_isa_name(tier), threads);
                upernet_bench_register_with(name, run_model, c, &one_forward);
            }
            /* Tiny on its best tier: images/s of 1 and 2 concurrent forwards. */
            if (i > 0 || concurrent_registered)
                continue;
            concurrent_registered = true;
            for (int forwards = 1; forwards <= MAX_CONCURRENT; forwards++) {
                struct concurrent_case *c = bench_keep(sizeof *c);
                *c = (struct concurrent_case){{sizes[i], tier, input, CONCURRENT_THREADS},
                                              forwards};
                char name[128];
                snprintf(name, sizeof name, "model/%s/%zux%zu/%s/threads:%d/concurrent:%d",
                         sizes[i], input, input, upernet_isa_name(tier), CONCURRENT_THREADS,
                         forwards);
                upernet_bench_register_with(name, run_concurrent, c, &one_forward);
            }
        }
    }
    register_config_files(all, &one_forward);
}

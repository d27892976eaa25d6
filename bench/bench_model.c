/* End-to-end forward passes: the five UperNet-ConvNeXt sizes with synthetic
 * weights (no download), per tier this host runs and at 1 thread and all
 * threads. Inputs: tiny and small at 512x512, base/large/xlarge at 256x256
 * (all at 512x512 with BENCH_FULL=1). The scalar tier takes minutes per
 * forward, so it runs only with BENCH_FULL=1. BENCH_MODELS=tiny,base limits
 * the sizes.
 *
 * Counters: "ms" per forward, "GFLOP/s" (2 x the multiply-adds counted from
 * the configuration below, the way the 234.6 GMAC for tiny at
 * 512x512 is counted: convolutions and linear layers only, no auxiliary
 * head), "%peak" of the tier's FMA peak at that thread count.
 *
 * One iteration per repetition (a forward is long enough to time alone);
 * the model is created and planned once per (size, tier) and kept while
 * consecutive benchmarks use it (they are registered in that order and run
 * in the "models" group, without interleaving; see bench/local.mk). */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "upernet.h"

struct model_size {
    const char *name;
    int depths[4];
    int dims[4];
};

/* REFERENCE.md section 1. */
static const struct model_size sizes[] = {
    {"tiny", {3, 3, 9, 3}, {96, 192, 384, 768}},
    {"small", {3, 3, 27, 3}, {96, 192, 384, 768}},
    {"base", {3, 3, 27, 3}, {128, 256, 512, 1024}},
    {"large", {3, 3, 27, 3}, {192, 384, 768, 1536}},
    {"xlarge", {3, 3, 27, 3}, {256, 512, 1024, 2048}},
};

/* Multiply-adds of one forward at height x width: stem 4x4/4, per stage
 * (downsample 2x2/2, blocks of 7x7 depthwise + MLP 4x), PPM (pooled 1x1s +
 * 3x3 bottleneck over C3 + 4x512), laterals, FPN 3x3s, the fuse 3x3 over
 * 4x512 and the classifier. Pooling, norms, GELU and resizing are not
 * counted (they are not multiply-adds of a conv or linear layer). Tiny at
 * 512x512 gives 234.64e9, xlarge 533.52e9. */
double bench_model_macs(const int depths[4], const int dims[4], size_t height, size_t width);
double bench_model_macs(const int depths[4], const int dims[4], size_t height, size_t width)
{
    const double K = 512.0, classes = 150.0;
    double px[4];
    size_t h = height / 4, w = width / 4;
    for (int i = 0; i < 4; i++) {
        if (i > 0)
            h /= 2, w /= 2;
        px[i] = (double) h * (double) w;
    }
    double macs = px[0] * dims[0] * 3.0 * 16.0;
    for (int i = 0; i < 4; i++) {
        const double c = dims[i];
        if (i > 0)
            macs += px[i] * c * dims[i - 1] * 4.0;
        macs += depths[i] * (px[i] * c * 49.0 + 8.0 * px[i] * c * c);
    }
    static const int scales[] = {1, 2, 3, 6};
    for (int s = 0; s < 4; s++)
        macs += (double) (scales[s] * scales[s]) * dims[3] * K;
    macs += px[3] * 9.0 * (dims[3] + 4.0 * K) * K;
    for (int i = 0; i < 3; i++)
        macs += px[i] * dims[i] * K + px[i] * 9.0 * K * K;
    macs += px[0] * 9.0 * 4.0 * K * K + px[0] * K * classes;
    return macs;
}

struct model_case {
    const struct model_size *size;
    enum upernet_isa tier;
    size_t input;
    int threads;
};

/* The one model kept between benchmarks. */
static struct {
    const struct model_size *size;
    enum upernet_isa tier;
    size_t input;
    upernet_model *model;
    float *pixels, *logits;
} cached;

static void drop_cached(void)
{
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
    if (bench_select_tier(s, c->tier) == NULL)
        return false;
    upernet_error err;
    upernet_model *m = upernet_model_create(c->size->name, &err);
    if (m == NULL || upernet_model_plan(m, c->input, c->input, &err) != UPERNET_OK) {
        upernet_model_free(m);
        upernet_bench_skip(s, err.message);
        return false;
    }
    const size_t plane = c->input * c->input;
    cached.pixels = bench_alloc_floats(3 * plane, 0.0f);
    bench_fill_uniform(cached.pixels, 3 * plane);
    cached.logits = bench_alloc_floats((size_t) upernet_model_num_labels(m) * plane, 0.0f);
    cached.model = m, cached.size = c->size, cached.tier = c->tier, cached.input = c->input;
    /* One untimed forward: first-touch of the arena, warm caches. */
    if (upernet_model_forward(m, cached.pixels, c->input, c->input, cached.logits, &err) !=
        UPERNET_OK) {
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
        ok &= upernet_model_forward(cached.model, cached.pixels, c->input, c->input,
                                    cached.logits, &err) == UPERNET_OK;
    omp_set_num_threads(saved);
    if (!ok) {
        upernet_bench_skip(s, err.message);
        return;
    }
    const double seconds = upernet_bench_elapsed_seconds(s), iters = upernet_bench_iterations(s);
    if (seconds > 0 && iters > 0)
        upernet_bench_counter(s, "ms", 1e3 * seconds / iters, false);
    const double macs = bench_model_macs(c->size->depths, c->size->dims, c->input, c->input);
    bench_report_flops(s, 2.0 * macs, c->tier, c->threads);
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

void bench_register_model(void)
{
    const char *full_env = getenv("BENCH_FULL");
    const bool full = full_env != NULL && strcmp(full_env, "1") == 0;
    const int all = bench_max_threads();
    static const struct upernet_bench_options one_forward = {1, 0.0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!size_selected(sizes[i].name))
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
                *c = (struct model_case){&sizes[i], tier, input, threads};
                char name[128];
                snprintf(name, sizeof name, "model/%s/%zux%zu/%s/threads:%d", sizes[i].name, input,
                         input, upernet_isa_name(tier), threads);
                upernet_bench_register_with(name, run_model, c, &one_forward);
            }
        }
    }
}

/* End to end against transformers: UperNetForSemanticSegmentation with the
 * synthetic weights (tools/make_goldens.py) vs upernet_model_forward with the
 * same weights, for all five sizes, several input shapes (non-square, not
 * divisible by 32), a small custom config.json and configurations with one,
 * two and three levels (out_features), the stem as a level and no layer
 * scale.
 *
 * Tolerances (stated here, checked below):
 *   logits: every stored sample and the [0,0,:3,:3] slice within 1e-4
 *           absolute; argmax agreement >= 99.99 % of pixels;
 *   taps (stage1..4, fpn_bottleneck, classifier): every stored sample within
 *           1e-4 + 1e-4*|v|; mean within 1e-5 + 1e-5*std; std, min, max within
 *           1e-4 + 1e-4*|v| (all in double).
 * Also: 1 and 2 threads give bitwise identical logits, the arena's buffer
 * reuse changes nothing, a model built from a tensor store equals the
 * synthetic one, and the step observer's arithmetic equals the closed-form
 * count of the architecture.
 *
 * The 512x512 case costs ~235 GMAC: it runs only for the best tier this host
 * has (scalar kernels would take minutes), or for every tier when
 * UPERNET_TEST_ALL_SIZES=1. UPERNET_TEST_QUICK=1 (CI's qemu, sanitizer and
 * distcheck builds) keeps only the cheap cases: tiny and the small custom
 * config, at the small and odd shapes. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/alloc.h"
#include "golden.h"
#include "io/config_json.h"
#include "kernels/dispatch.h"
#include "model/model.h"
#include "model/synthetic.h"
#include "taps.h"
#include "testutil.h"
#include "upernet.h"

/* --------------------------------------------------------------- helpers */

/* The model spec for a golden's model name: a built-in size, or for
 * "NAME-config" the config.json written next to the goldens. */
static void model_spec(const char *model, char *buf, size_t size)
{
    const size_t n = strlen(model);
    if (n > 7 && strcmp(model + n - 7, "-config") == 0)
        snprintf(buf, size, "%s/golden/%s.json", test_data_dir(), model);
    else
        snprintf(buf, size, "%s", model);
}

/* The 3x3 algorithm create_or_fail asks for. */
static enum upernet_conv3x3 conv3x3_algorithm = UPERNET_CONV3X3_WINOGRAD;

static upernet_model *create_or_fail(const char *model)
{
    char spec[512];
    upernet_error err;
    model_spec(model, spec, sizeof spec);
    upernet_model_options options;
    test_model_options(&options);
    options.conv3x3 = conv3x3_algorithm;
    upernet_model *m = NULL;
    ck_assert_msg(upernet_model_open(spec, &options, &m, &err) == UPERNET_OK, "open %s: %s", spec,
                  err.message);
    return m;
}

static upernet_workspace *workspace_or_fail(const upernet_model *m)
{
    upernet_error err;
    upernet_workspace *ws = NULL;
    ck_assert_msg(upernet_workspace_create(m, &ws, &err) == UPERNET_OK, "%s", err.message);
    return ws;
}

/* Runs m with workspace ws on the golden's input; returns malloc'ed logits. */
static float *run_in(const upernet_model *m, upernet_workspace *ws, const struct golden *g)
{
    const size_t H = (size_t) g->height, W = (size_t) g->width;
    float *pixels = malloc(3 * H * W * sizeof *pixels);
    float *logits = malloc((size_t) g->num_labels * H * W * sizeof *logits);
    ck_assert(pixels != NULL && logits != NULL);
    golden_make_input(g->height, g->width, pixels);
    upernet_error err;
    ck_assert_msg(upernet_model_forward(m, ws, pixels, 1, H, W, logits, &err) == UPERNET_OK,
                  "forward: %s", err.message);
    free(pixels);
    return logits;
}

/* The same in a workspace of its own. */
static float *run(const upernet_model *m, const struct golden *g)
{
    upernet_workspace *ws = workspace_or_fail(m);
    float *logits = run_in(m, ws, g);
    upernet_workspace_free(ws);
    return logits;
}

static void load_golden(const char *file, struct golden *g)
{
    char msg[512];
    ck_assert_msg(golden_load_named(file, g, msg, sizeof msg) == 0, "%s", msg);
}

static int within(double got, double want, double atol, double rtol)
{
    return fabs(got - want) <= atol + rtol * fabs(want);
}

/* Compares the logits and every tapped tensor with the golden; returns the
 * largest |delta| over the stored logits. */
static double compare(const struct golden *g, const float *logits, const struct capture *cap,
                      const char *what)
{
    const size_t H = (size_t) g->height, W = (size_t) g->width, L = (size_t) g->num_labels;
    double max_delta = 0.0;
    for (size_t i = 0; i < g->num_logits_samples; i++) {
        const struct golden_sample *s = &g->logits_samples[i];
        const double got = logits[((size_t) s->c * H + (size_t) s->y) * W + (size_t) s->x];
        const double d = fabs(got - s->value);
        if (!(d <= max_delta))
            max_delta = isnan(d) ? INFINITY : d;
        ck_assert_msg(d <= 1e-4, "%s: logit (c=%d,y=%d,x=%d) = %.7g, transformers %.7g", what,
                      s->c, s->y, s->x, got, (double) s->value);
    }
    for (int y = 0; y < 3 && y < (int) H; y++)
        for (int x = 0; x < 3 && x < (int) W; x++) {
            const double got = logits[(size_t) y * W + (size_t) x];
            ck_assert_msg(fabs(got - g->logits_slice[y][x]) <= 1e-4,
                          "%s: logits[0,0,%d,%d] = %.7g, transformers %.7g", what, y, x, got,
                          (double) g->logits_slice[y][x]);
        }

    /* argmax, first maximum on ties like torch */
    size_t agree = 0;
    for (size_t p = 0; p < H * W; p++) {
        size_t best = 0;
        for (size_t c = 1; c < L; c++)
            if (logits[c * H * W + p] > logits[best * H * W + p])
                best = c;
        agree += best == g->argmax[p];
    }
    ck_assert_msg((double) agree >= 0.9999 * (double) (H * W),
                  "%s: argmax agrees on %zu of %zu pixels", what, agree, H * W);

    for (size_t i = 0; i < g->num_tensors; i++) {
        const struct golden_tensor *gt = &g->tensors[i];
        const struct captured *t = captured_find(cap, gt->name);
        ck_assert_msg(t != NULL, "%s: no tap called %s", what, gt->name);
        ck_assert_msg(t->c == (size_t) gt->channels && t->h == (size_t) gt->height &&
                          t->w == (size_t) gt->width,
                      "%s: %s is %zux%zux%zu, transformers %dx%dx%d", what, gt->name, t->c, t->h,
                      t->w, gt->channels, gt->height, gt->width);
        for (size_t k = 0; k < gt->num_samples; k++) {
            const struct golden_sample *s = &gt->samples[k];
            const double got = t->nhwc[((size_t) s->y * t->w + (size_t) s->x) * t->c + (size_t) s->c];
            ck_assert_msg(within(got, s->value, 1e-4, 1e-4),
                          "%s: %s (c=%d,y=%d,x=%d) = %.7g, transformers %.7g", what, gt->name,
                          s->c, s->y, s->x, got, (double) s->value);
        }
        const size_t n = t->h * t->w * t->c;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        for (size_t e = 0; e < n; e++) {
            sum += t->nhwc[e];
            mn = fmin(mn, t->nhwc[e]);
            mx = fmax(mx, t->nhwc[e]);
        }
        const double mean = sum / (double) n;
        double var = 0;
        for (size_t e = 0; e < n; e++)
            var += (t->nhwc[e] - mean) * (t->nhwc[e] - mean);
        const double sd = sqrt(var / (double) n);
        const struct golden_stats *st = &gt->stats;
        ck_assert_msg(fabs(mean - st->mean) <= 1e-5 + 1e-5 * st->std,
                      "%s: %s mean %.9g, transformers %.9g", what, gt->name, mean, st->mean);
        ck_assert_msg(within(sd, st->std, 1e-4, 1e-4), "%s: %s std %.9g, transformers %.9g", what,
                      gt->name, sd, st->std);
        ck_assert_msg(within(mn, st->min, 1e-4, 1e-4), "%s: %s min %.9g, transformers %.9g",
                      what, gt->name, mn, st->min);
        ck_assert_msg(within(mx, st->max, 1e-4, 1e-4), "%s: %s max %.9g, transformers %.9g",
                      what, gt->name, mx, st->max);
    }
    return max_delta;
}

/* Loads golden `file`, runs its model and compares. */
static void check_golden(const char *file)
{
    struct golden g;
    load_golden(file, &g);
    upernet_model *m = create_or_fail(g.model);
    ck_assert_int_eq(upernet_model_num_labels(m), g.num_labels);
    struct capture cap = {.n = 0};
    upernet_workspace *ws = workspace_or_fail(m);
    upernet_workspace_set_tap(ws, capture_tap, &cap);
    float *logits = run_in(m, ws, &g);
    const double d = compare(&g, logits, &cap, file);
    printf("%s [%s, %s 3x3]: max |dlogit| = %.3g over %zu samples, arena %zu bytes\n", file,
           upernet_isa_name(upernet_model_isa(m)),
           upernet_model_conv3x3(m) == UPERNET_CONV3X3_DIRECT ? "direct" : "winograd", d,
           g.num_logits_samples,
           upernet_workspace_bytes(ws));
    capture_free(&cap);
    upernet_workspace_free(ws);
    free(logits);
    upernet_model_free(m);
    golden_free(&g);
}

/* ----------------------------------------------------------------- tests */

static const char *const small_input_goldens[] = {
    "tiny-75x103.json.z", "small-75x103.json.z", "base-75x103.json.z",
    "large-75x103.json.z", "xlarge-75x103.json.z",
};

START_TEST(test_sizes_small_input)
{
    check_golden(small_input_goldens[_i]);
}
END_TEST

/* UPERNET_TEST_QUICK=1: one size at the small input, the odd shapes. */
static const char *const quick_goldens[] = {
    "tiny-75x103.json.z", "tiny-130x47.json.z", "small-config-75x103.json.z",
    "small-config-33x61.json.z",
};

START_TEST(test_quick)
{
    check_golden(quick_goldens[_i]);
}
END_TEST

static const char *const shape_goldens[] = {
    "tiny-32x32.json.z", "tiny-96x64.json.z", "tiny-130x47.json.z",
    "small-config-75x103.json.z", "small-config-33x61.json.z",
};

START_TEST(test_shapes)
{
    check_golden(shape_goldens[_i]);
}
END_TEST

/* UPERNET_CONV3X3_DIRECT packs the head's 3x3 convs for the direct path:
 * the goldens hold there too, and its logits differ from the Winograd ones
 * in the last bits (the option really switches). */
START_TEST(test_conv3x3_direct)
{
    const char *file = "small-config-33x61.json.z";
    struct golden g;
    load_golden(file, &g);
    upernet_model *wino = create_or_fail(g.model);
    float *wino_logits = run(wino, &g);
    conv3x3_algorithm = UPERNET_CONV3X3_DIRECT;
    check_golden(file);
    upernet_model *direct = create_or_fail(g.model);
    conv3x3_algorithm = UPERNET_CONV3X3_WINOGRAD;
    ck_assert_int_eq(upernet_model_conv3x3(direct), UPERNET_CONV3X3_DIRECT);
    ck_assert_int_eq(upernet_model_conv3x3(wino), UPERNET_CONV3X3_WINOGRAD);
    float *direct_logits = run(direct, &g);
    const size_t n = (size_t) g.num_labels * g.height * g.width;
    ck_assert_msg(memcmp(wino_logits, direct_logits, n * sizeof(float)) != 0,
                  "UPERNET_CONV3X3_DIRECT gave the Winograd path's exact logits");
    free(wino_logits), free(direct_logits);
    upernet_model_free(wino), upernet_model_free(direct);
    golden_free(&g);
}
END_TEST

/* Configurations of other shapes (tools/make_goldens.py CUSTOM_CONFIGS):
 * transformers' UperNetModelTester (three levels), one level (no
 * out_features), two levels ["stage1", "stage4"], no layer scale with the
 * stem as a level. Cheap, so they run in every mode, on both 3x3 paths. */
static const char *const config_goldens[] = {
    "tester-config-32x32.json.z",      "tester-config-75x103.json.z",
    "one-level-config-160x224.json.z", "two-level-config-75x103.json.z",
    "no-layer-scale-config-75x103.json.z",
};

START_TEST(test_configs)
{
    check_golden(config_goldens[_i]);
}
END_TEST

START_TEST(test_configs_direct)
{
    conv3x3_algorithm = UPERNET_CONV3X3_DIRECT;
    check_golden(config_goldens[_i]);
    conv3x3_algorithm = UPERNET_CONV3X3_WINOGRAD;
}
END_TEST

START_TEST(test_tiny_512)
{
    check_golden("tiny-512x512.json.z");
}
END_TEST

/* Logits of `model` at H x W with `threads` threads (and optionally no
 * buffer reuse in the arena). */
static float *logits_with(const char *model, int H, int W, int threads, bool no_reuse)
{
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void) threads;
#endif
    upernet_model *m = create_or_fail(model);
    upernet_workspace *ws = workspace_or_fail(m);
    ws->plan_without_reuse = no_reuse;
    struct golden g = {.height = H, .width = W, .num_labels = upernet_model_num_labels(m)};
    float *logits = run_in(m, ws, &g);
    upernet_workspace_free(ws);
    upernet_model_free(m);
    return logits;
}

/* One model, run with 1 then 2 threads (the second run also reuses the
 * planned arena): bitwise identical logits. */
static const char *threads_model = "tiny";

START_TEST(test_threads_bitwise)
{
    upernet_model *m = create_or_fail(threads_model);
    struct golden g = {.height = 75, .width = 103, .num_labels = upernet_model_num_labels(m)};
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    float *one = run(m, &g);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    float *two = run(m, &g);
    ck_assert_msg(memcmp(one, two, (size_t) g.num_labels * 75 * 103 * sizeof(float)) == 0,
                  "1 and 2 threads differ");
    free(one);
    free(two);
    upernet_model_free(m);
}
END_TEST

/* Multiply-adds of tiny's convolutions and Linear layers at H x W (H, W
 * multiples of 32), the closed form of the architecture of docs/SPECIFICATION.md §3: stem
 * 4x4/4, per stage downsampling 2x2/2 and blocks of a 7x7 depthwise conv and
 * the 4x MLP, the PPM's pooled 1x1s and 3x3 bottleneck over C3 + 4 x 512,
 * laterals, FPN 3x3s, the fuse 3x3 over 4 x 512 and the classifier.
 * *winograd_direct gets the direct multiply-adds of the FPN and fuse convs,
 * *winograd_real what F(2x2, 3x3) computes for them (16 per 2x2 tile). */
static double tiny_macs(size_t H, size_t W, double *winograd_direct, double *winograd_real)
{
    static const int depths[4] = {3, 3, 9, 3}, dims[4] = {96, 192, 384, 768};
    static const int scales[4] = {1, 2, 3, 6};
    const double K = 512.0, classes = 150.0;
    double px[4];
    for (int i = 0; i < 4; i++)
        px[i] = (double) (H >> (2 + i)) * (double) (W >> (2 + i));
    double macs = px[0] * dims[0] * 3.0 * 16.0;
    for (int i = 0; i < 4; i++) {
        const double c = dims[i];
        if (i > 0)
            macs += px[i] * c * dims[i - 1] * 4.0;
        macs += depths[i] * (px[i] * c * 49.0 + 8.0 * px[i] * c * c);
    }
    for (int s = 0; s < 4; s++)
        macs += (double) (scales[s] * scales[s]) * dims[3] * K;
    macs += px[3] * 9.0 * (dims[3] + 4.0 * K) * K;
    *winograd_direct = px[0] * 9.0 * 4.0 * K * K;
    for (int i = 0; i < 3; i++) {
        macs += px[i] * dims[i] * K;
        *winograd_direct += px[i] * 9.0 * K * K;
    }
    *winograd_real = *winograd_direct * 16.0 / 36.0; /* even sizes: px / 4 tiles */
    return macs + *winograd_direct + px[0] * K * classes;
}

struct step_totals {
    double macs, direct_macs;
    size_t calls, winograd_units, empty;
};

static void add_step(void *ctx, const struct upernet_step *step)
{
    struct step_totals *t = ctx;
    t->macs += step->cost.macs;
    t->direct_macs += step->cost.direct_macs;
    t->calls++;
    if (step->cost.units == 0 || step->cost.loops == 0 || step->op == NULL)
        t->empty++;
    if (strcmp(step->op, "fuse") == 0)
        t->winograd_units = step->cost.units;
}

/* The step observer reports the forward's arithmetic (the Winograd convs in
 * their own terms) and every call's split; the splits it reports are for the
 * thread count asked for, not the one running. */
START_TEST(test_step_observer_counts)
{
    upernet_model *m = create_or_fail("tiny");
    const struct golden g = {.height = 64, .width = 96, .num_labels = upernet_model_num_labels(m)};
    double winograd_direct, winograd_real;
    const double expected = tiny_macs(64, 96, &winograd_direct, &winograd_real);
    const size_t thread_counts[] = {16, 12};
    upernet_workspace *ws = workspace_or_fail(m);
    for (size_t i = 0; i < 2; i++) {
        struct step_totals totals = {0};
        upernet_workspace_set_step_observer(ws, add_step, &totals, thread_counts[i]);
        free(run_in(m, ws, &g));
        ck_assert_msg(fabs(totals.direct_macs - expected) <= 1e-9 * expected,
                      "direct multiply-adds %.0f, closed form %.0f", totals.direct_macs, expected);
        const double real = m->winograd ? expected - winograd_direct + winograd_real : expected;
        ck_assert_msg(fabs(totals.macs - real) <= 1e-9 * real, "multiply-adds %.0f, expected %.0f",
                      totals.macs, real);
        ck_assert_uint_eq(totals.empty, 0);
        /* 4 x (3 + 3 + 9 + 3) block calls of one MLP chunk, 34 others. */
        ck_assert_uint_eq(totals.calls, 4 * 18 + 34);
        /* 16 positions x panel groups of at most 64 panels, at least 1
         * group for 16 threads and 3 for 12 (48 units). */
        const size_t panels = (512 + m->nr - 1) / m->nr, fewest = (panels + 63) / 64;
        const size_t balanced = thread_counts[i] == 16 ? 1 : 3;
        if (m->winograd)
            ck_assert_uint_eq(totals.winograd_units, 16 * (fewest > balanced ? fewest : balanced));
    }
    upernet_workspace_free(ws);
    upernet_model_free(m);
}
END_TEST

static const char *const reuse_models[] = {"small-config", "no-layer-scale-config",
                                            "two-level-config"};

START_TEST(test_arena_reuse_changes_nothing)
{
    const int H = 45, W = 70;
    float *reuse = logits_with(reuse_models[_i], H, W, 2, false);
    float *separate = logits_with(reuse_models[_i], H, W, 2, true);
    upernet_model *m = create_or_fail(reuse_models[_i]);
    const size_t n = (size_t) upernet_model_num_labels(m) * H * W;
    upernet_model_free(m);
    ck_assert(memcmp(reuse, separate, n * sizeof(float)) == 0);
    free(reuse);
    free(separate);
}
END_TEST

/* A model made from a tensor store holding the synthetic values (copied)
 * equals the synthetic model bit for bit; and the store is consumed. */
START_TEST(test_from_tensors_equals_synthetic)
{
    char spec[512];
    model_spec("small-config", spec, sizeof spec);
    struct upernet_config cfg;
    upernet_error err;
    ck_assert_msg(upernet_config_resolve(spec, &cfg, &err) == UPERNET_OK, "%s", err.message);
    struct upernet_param_table table;
    ck_assert(upernet_param_table_build(&cfg, &table, &err) == UPERNET_OK);
    upernet_tensors *store = NULL;
    ck_assert(upernet_tensors_create(&store, &err) == UPERNET_OK);
    for (size_t i = 0; i < table.count; i++) {
        const struct upernet_param_spec *p = &table.params[i];
        if (p->is_counter)
            continue; /* optional */
        const size_t n = upernet_param_numel(p);
        float *data = malloc(n * sizeof *data);
        upernet_synthetic_fill(p->name, p->shape, p->ndim, data);
        int64_t shape[4];
        for (size_t d = 0; d < p->ndim; d++)
            shape[d] = (int64_t) p->shape[d];
        ck_assert(upernet_tensors_add(store, p->name, shape, p->ndim, data, UPERNET_TENSOR_TAKE,
                                      &err) == UPERNET_OK);
    }
    upernet_param_table_free(&table);
    upernet_model_options options;
    test_model_options(&options);
    options.config = spec;
    upernet_model *a = NULL, *b = NULL, *again = NULL;
    ck_assert_msg(upernet_model_from_tensors(store, &options, &a, &err) == UPERNET_OK, "%s",
                  err.message);
    b = create_or_fail("small-config");
    struct golden g = {.height = 40, .width = 33, .num_labels = upernet_model_num_labels(a)};
    float *la = run(a, &g), *lb = run(b, &g);
    ck_assert(memcmp(la, lb, (size_t) g.num_labels * 40 * 33 * sizeof(float)) == 0);
    /* Loading consumed the tensors: a second model from the store fails. */
    ck_assert(upernet_model_from_tensors(store, &options, &again, &err) == UPERNET_ERR_MISMATCH);
    ck_assert_ptr_null(again);
    ck_assert_ptr_nonnull(strstr(err.message, "consumed"));
    free(la);
    free(lb);
    upernet_model_free(a);
    upernet_model_free(b);
    upernet_tensors_free(store);
}
END_TEST

/* Several sizes in a row on one workspace re-plan its arena; a size too
 * small is refused with a message. */
START_TEST(test_replan_and_small_input)
{
    upernet_model *m = create_or_fail("small-config");
    upernet_workspace *ws = workspace_or_fail(m);
    const size_t L = (size_t) upernet_model_num_labels(m);
    float *pixels = calloc(3 * 64 * 64, sizeof(float)), *logits = malloc(L * 64 * 64 * 4);
    upernet_error err;
    ck_assert(upernet_workspace_bytes(ws) == 0);
    ck_assert(upernet_model_forward(m, ws, pixels, 1, 64, 64, logits, &err) == UPERNET_OK);
    const size_t a = upernet_workspace_bytes(ws);
    ck_assert(upernet_model_forward(m, ws, pixels, 1, 32, 48, logits, &err) == UPERNET_OK);
    ck_assert(upernet_workspace_bytes(ws) < a);
    ck_assert(upernet_model_forward(m, ws, pixels, 1, 31, 48, logits, &err) ==
              UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "31x48"));
    ck_assert(upernet_model_forward(m, ws, pixels, 0, 32, 48, logits, &err) ==
              UPERNET_ERR_ARGUMENT);
    free(pixels);
    free(logits);
    upernet_workspace_free(ws);
    upernet_model_free(m);
}
END_TEST

/* A batch of three different images gives, image by image, the bits of three
 * batches of one. */
START_TEST(test_batch_equals_singles)
{
    upernet_model *m = create_or_fail("small-config");
    upernet_workspace *ws = workspace_or_fail(m);
    enum { N = 3, H = 37, W = 50 };
    const size_t L = (size_t) upernet_model_num_labels(m), in = 3 * H * W, out = L * H * W;
    float *pixels = malloc(N * in * sizeof(float));
    float *batch = malloc(N * out * sizeof(float)), *one = malloc(out * sizeof(float));
    ck_assert(pixels != NULL && batch != NULL && one != NULL);
    for (size_t i = 0; i < N; i++)
        test_fill_uniform(pixels + i * in, in, 11 + i, -2.0f, 2.0f);
    upernet_error err;
    ck_assert_msg(upernet_model_forward(m, ws, pixels, N, H, W, batch, &err) == UPERNET_OK, "%s",
                  err.message);
    for (size_t i = 0; i < N; i++) {
        ck_assert(upernet_model_forward(m, ws, pixels + i * in, 1, H, W, one, &err) == UPERNET_OK);
        ck_assert_msg(memcmp(one, batch + i * out, out * sizeof(float)) == 0,
                      "image %zu of the batch differs from its batch of one", i);
    }
    free(pixels), free(batch), free(one);
    upernet_workspace_free(ws);
    upernet_model_free(m);
}
END_TEST

/* Several threads run forwards on one model at once, each in its own
 * workspace: every result equals the one computed alone. */
struct concurrent_job {
    const upernet_model *model;
    const float *pixels;
    float *logits;
    enum upernet_status status;
};

static void *concurrent_forward(void *arg)
{
    struct concurrent_job *job = arg;
    upernet_workspace *ws = NULL;
    upernet_error err;
    job->status = upernet_workspace_create(job->model, &ws, &err);
    for (int r = 0; r < 2 && job->status == UPERNET_OK; r++)
        job->status = upernet_model_forward(job->model, ws, job->pixels, 1, 40, 33, job->logits,
                                            &err);
    upernet_workspace_free(ws);
    return NULL;
}

START_TEST(test_concurrent_forwards)
{
    upernet_model_options options;
    test_model_options(&options);
    options.threads = 1;
    char spec[512];
    model_spec("small-config", spec, sizeof spec);
    upernet_model *m = NULL;
    upernet_error err;
    ck_assert_msg(upernet_model_open(spec, &options, &m, &err) == UPERNET_OK, "%s", err.message);
    enum { JOBS = 3 };
    const size_t in = 3 * 40 * 33, out = (size_t) upernet_model_num_labels(m) * 40 * 33;
    float *pixels = malloc(JOBS * in * sizeof(float)), *alone = malloc(out * sizeof(float));
    struct concurrent_job jobs[JOBS];
    pthread_t threads[JOBS];
    for (int i = 0; i < JOBS; i++) {
        test_fill_uniform(pixels + i * in, in, 100 + (uint64_t) i, -2.0f, 2.0f);
        jobs[i] = (struct concurrent_job){m, pixels + i * in, malloc(out * sizeof(float)),
                                          UPERNET_OK};
        ck_assert(pthread_create(&threads[i], NULL, concurrent_forward, &jobs[i]) == 0);
    }
    for (int i = 0; i < JOBS; i++)
        ck_assert(pthread_join(threads[i], NULL) == 0);
    upernet_workspace *ws = workspace_or_fail(m);
    for (int i = 0; i < JOBS; i++) {
        ck_assert_int_eq(jobs[i].status, UPERNET_OK);
        ck_assert(upernet_model_forward(m, ws, jobs[i].pixels, 1, 40, 33, alone, &err) ==
                  UPERNET_OK);
        ck_assert_msg(memcmp(alone, jobs[i].logits, out * sizeof(float)) == 0,
                      "concurrent forward %d differs", i);
        free(jobs[i].logits);
    }
    free(pixels), free(alone);
    upernet_workspace_free(ws);
    upernet_model_free(m);
}
END_TEST

/* The tier is per model: models of every tier this host runs coexist, each
 * runs its own kernels (results within the goldens' tolerance of the
 * scalar model), and a workspace serves only the model it was made for. */
START_TEST(test_tiers_side_by_side)
{
    char spec[512];
    model_spec("small-config", spec, sizeof spec);
    upernet_model *models[UPERNET_ISA_COUNT] = {NULL};
    float *logits[UPERNET_ISA_COUNT] = {NULL};
    enum { H = 32, W = 36 };
    struct golden g = {.height = H, .width = W};
    upernet_error err;
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        if (!upernet_isa_supported((enum upernet_isa) i))
            continue;
        upernet_model_options options;
        upernet_model_options_init(&options);
        options.isa = (enum upernet_isa) i;
        ck_assert_msg(upernet_model_open(spec, &options, &models[i], &err) == UPERNET_OK, "%s",
                      err.message);
        ck_assert_int_eq(upernet_model_isa(models[i]), i);
        g.num_labels = upernet_model_num_labels(models[i]);
    }
    for (int i = 0; i < UPERNET_ISA_COUNT; i++)
        if (models[i] != NULL)
            logits[i] = run(models[i], &g);
    const size_t n = (size_t) g.num_labels * H * W;
    for (int i = 1; i < UPERNET_ISA_COUNT; i++) {
        if (logits[i] == NULL)
            continue;
        size_t worst;
        const double e = test_max_scaled_error(logits[i], logits[UPERNET_ISA_SCALAR], n, 1e-4,
                                               1e-4, &worst);
        ck_assert_msg(e <= 1.0, "tier %s vs scalar: %.3g at %zu", upernet_isa_name(i), e, worst);
    }
    upernet_model_options other;
    upernet_model_options_init(&other);
    upernet_model *b = NULL;
    ck_assert(upernet_model_open(spec, &other, &b, &err) == UPERNET_OK);
    upernet_workspace *ws = workspace_or_fail(b);
    float *pixels = calloc(3 * H * W, sizeof(float)), *out = malloc(n * sizeof(float));
    ck_assert(upernet_model_forward(models[UPERNET_ISA_SCALAR], ws, pixels, 1, H, W, out, &err) ==
              UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "another model"));
    free(pixels), free(out);
    upernet_workspace_free(ws);
    upernet_model_free(b);
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        upernet_model_free(models[i]);
        free(logits[i]);
    }
}
END_TEST

/* A forward at a size already run allocates nothing (counted through the
 * library's allocator, src/core/alloc.c), on the Winograd and the direct
 * path, for a batch, with every thread count; the first one does (the arena
 * and the ops' working buffers). */
START_TEST(test_second_forward_allocates_nothing)
{
    enum { N = 2, H = 45, W = 70 };
    for (int direct = 0; direct < 2; direct++) {
        conv3x3_algorithm = direct ? UPERNET_CONV3X3_DIRECT : UPERNET_CONV3X3_WINOGRAD;
        upernet_model *m = create_or_fail("small-config");
        conv3x3_algorithm = UPERNET_CONV3X3_WINOGRAD;
        upernet_workspace *ws = workspace_or_fail(m);
        const size_t out = (size_t) upernet_model_num_labels(m) * H * W;
        float *pixels = malloc(N * 3 * H * W * sizeof(float)), *logits = malloc(N * out * 4);
        test_fill_uniform(pixels, N * 3 * H * W, 7, -2.0f, 2.0f);
        upernet_error err;
        upernet_alloc_fail_at(0); /* counts from here */
        ck_assert(upernet_model_forward(m, ws, pixels, N, H, W, logits, &err) == UPERNET_OK);
        ck_assert_uint_gt(upernet_alloc_count(), 0);
        for (int threads = 1; threads <= 2; threads++) {
#ifdef _OPENMP
            omp_set_num_threads(threads);
#endif
            /* a new team size may grow the ops' buffers once more */
            ck_assert(upernet_model_forward(m, ws, pixels, N, H, W, logits, &err) == UPERNET_OK);
            upernet_alloc_fail_at(0);
            ck_assert(upernet_model_forward(m, ws, pixels, N, H, W, logits, &err) == UPERNET_OK);
            ck_assert_msg(upernet_alloc_count() == 0,
                          "%s path, %d threads: the second forward allocated %llu times",
                          direct ? "direct" : "Winograd", threads,
                          (unsigned long long) upernet_alloc_count());
        }
        free(pixels), free(logits);
        upernet_workspace_free(ws);
        upernet_model_free(m);
    }
}
END_TEST

/* Options that cannot work are refused before anything is loaded. */
START_TEST(test_bad_options_refused)
{
    upernet_model_options options;
    upernet_model_options_init(&options);
    upernet_model *m = NULL;
    upernet_error err;
    options.threads = -1;
    ck_assert(upernet_model_open("tiny", &options, &m, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_null(m);
    upernet_model_options_init(&options);
    options.conv3x3 = (enum upernet_conv3x3) 7;
    ck_assert(upernet_model_open("tiny", &options, &m, &err) == UPERNET_ERR_ARGUMENT);
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        if (upernet_isa_supported((enum upernet_isa) i))
            continue;
        upernet_model_options_init(&options);
        options.isa = (enum upernet_isa) i;
        ck_assert(upernet_model_open("tiny", &options, &m, &err) == UPERNET_ERR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(err.message, upernet_isa_name((enum upernet_isa) i)));
    }
    upernet_model_options_init(&options);
    options.config = "tiny";
    ck_assert(upernet_model_open("small", &options, &m, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_null(m);
}
END_TEST

int main(void)
{
    const enum upernet_isa tier = test_select_tier("test_model");
    const char *all = getenv("UPERNET_TEST_ALL_SIZES");
    const char *quick_env = getenv("UPERNET_TEST_QUICK");
    const bool quick = quick_env != NULL && strcmp(quick_env, "1") == 0;
    const bool big = !quick && (tier == upernet_isa_best(upernet_cpu_features()) ||
                                (all != NULL && strcmp(all, "1") == 0));

    Suite *suite = suite_create("model");
    TCase *tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 900);
    if (quick) {
        printf("UPERNET_TEST_QUICK=1: tiny and small-config only\n");
        tcase_add_loop_test(tc, test_quick, 0, sizeof quick_goldens / sizeof quick_goldens[0]);
        threads_model = "small-config";
    } else {
        tcase_add_loop_test(tc, test_sizes_small_input, 0,
                            sizeof small_input_goldens / sizeof small_input_goldens[0]);
        tcase_add_loop_test(tc, test_shapes, 0, sizeof shape_goldens / sizeof shape_goldens[0]);
    }
    if (big)
        tcase_add_test(tc, test_tiny_512);
    else if (!quick)
        printf("tiny-512x512 skipped for tier %s (not the best here; UPERNET_TEST_ALL_SIZES=1 "
               "runs it)\n",
               upernet_isa_name(tier));
    tcase_add_loop_test(tc, test_configs, 0, sizeof config_goldens / sizeof config_goldens[0]);
    tcase_add_loop_test(tc, test_configs_direct, 0,
                        sizeof config_goldens / sizeof config_goldens[0]);
    suite_add_tcase(suite, tc);

    TCase *props = tcase_create("properties");
    tcase_set_timeout(props, 600);
    tcase_add_test(props, test_threads_bitwise);
    tcase_add_loop_test(props, test_arena_reuse_changes_nothing, 0,
                        sizeof reuse_models / sizeof reuse_models[0]);
    tcase_add_test(props, test_step_observer_counts);
    tcase_add_test(props, test_from_tensors_equals_synthetic);
    tcase_add_test(props, test_replan_and_small_input);
    tcase_add_test(props, test_batch_equals_singles);
    tcase_add_test(props, test_concurrent_forwards);
    tcase_add_test(props, test_tiers_side_by_side);
    tcase_add_test(props, test_bad_options_refused);
    tcase_add_test(props, test_second_forward_allocates_nothing);
    tcase_add_test(props, test_conv3x3_direct);
    suite_add_tcase(suite, props);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

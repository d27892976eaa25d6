/* Accuracy against float64 on the trained-like synthetic weights
 * (tools/SYNTHETIC.md, recipe "trained": logits around +-25, massive
 * activation channels, layer scales up to 3), per tier (run by
 * tests/run-tier.sh) and per 3x3 algorithm (Winograd and direct).
 *
 * The reference is transformers' model run in float64
 * (data/golden/MODEL-trained-HxW.f64.json.z, tools/make_goldens.py). The bar is PyTorch's
 * own float32 forward: on the stored logits samples, upernet's largest error
 * against float64 must not exceed PyTorch float32's largest error on the
 * same samples (the same bar, not a multiple of it). Every tapped layer's
 * error is printed next to PyTorch's, which shows where error enters.
 * Also: 1 and 2 threads give bitwise identical logits on these weights.
 *
 * UPERNET_TEST_QUICK=1 (CI's qemu, sanitizer and distcheck builds) keeps the
 * smallest case only. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "golden_f64.h"
#include "model/model.h"
#include "taps.h"
#include "testutil.h"
#include "upernet.h"

static const char *const cases[] = {
    "tiny-trained-75x103.f64.json.z",
    "tiny-trained-256x320.f64.json.z",
    "base-trained-75x103.f64.json.z",
    "base-trained-128x160.f64.json.z",
};
#define NUM_CASES (int) (sizeof cases / sizeof cases[0])

static void load(const char *file, struct golden_f64 *g)
{
    char err[512];
    ck_assert_msg(golden_f64_load_named(file, g, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(g->recipe, "trained");
}

static const enum upernet_conv3x3 algorithms[] = {UPERNET_CONV3X3_WINOGRAD,
                                                   UPERNET_CONV3X3_DIRECT};
#define NUM_ALGORITHMS 2

static upernet_model *create(const struct golden_f64 *g, enum upernet_conv3x3 algorithm,
                             int threads)
{
    upernet_model_options options;
    test_model_options(&options);
    options.conv3x3 = algorithm;
    options.synthetic = UPERNET_SYNTHETIC_TRAINED;
    options.threads = threads;
    upernet_error err;
    upernet_model *m = NULL;
    ck_assert_msg(upernet_model_open(g->model, &options, &m, &err) == UPERNET_OK, "%s: %s",
                  g->model, err.message);
    return m;
}

/* Logits of m on the golden's input (malloc'ed); taps into cap if not NULL. */
static float *forward(const upernet_model *m, const struct golden_f64 *g, struct capture *cap)
{
    const size_t H = (size_t) g->height, W = (size_t) g->width;
    float *pixels = malloc(3 * H * W * sizeof *pixels);
    float *logits = malloc((size_t) g->num_labels * H * W * sizeof *logits);
    ck_assert(pixels != NULL && logits != NULL);
    golden_make_input(g->height, g->width, pixels);
    upernet_error err;
    upernet_workspace *ws = NULL;
    ck_assert_msg(upernet_workspace_create(m, &ws, &err) == UPERNET_OK, "%s", err.message);
    if (cap != NULL)
        upernet_workspace_set_tap(ws, capture_tap, cap);
    ck_assert_msg(upernet_model_forward(m, ws, pixels, 1, H, W, logits, &err) == UPERNET_OK,
                  "%s", err.message);
    upernet_workspace_free(ws);
    free(pixels);
    return logits;
}

/* Largest |got - PyTorch float32| over the samples. */
static double diff_from_pytorch(const struct golden_f64_tensor *t, const float *nchw)
{
    double max = 0.0;
    for (size_t i = 0; i < t->num_samples; i++) {
        const struct golden_f64_sample *s = &t->samples[i];
        const double d =
            fabs((double) nchw[((size_t) s->c * t->height + s->y) * t->width + s->x] - s->pytorch);
        max = d > max ? d : max;
    }
    return max;
}

START_TEST(test_as_exact_as_pytorch)
{
    const char *file = cases[_i / NUM_ALGORITHMS];
    const char *algorithm = upernet_conv3x3_name(algorithms[_i % NUM_ALGORITHMS]);
    struct golden_f64 g;
    load(file, &g);
    upernet_model *m = create(&g, algorithms[_i % NUM_ALGORITHMS], 0);
    struct capture cap = {.n = 0};
    float *logits = forward(m, &g, &cap);

    const char *tier = upernet_isa_name(upernet_model_isa(m));
    printf("%s %s %s: layer, max |error| vs float64 (upernet / PyTorch f32), max |value|\n", file,
           tier, algorithm);
    for (size_t i = 0; i < g.num_tensors; i++) {
        const struct golden_f64_tensor *t = &g.tensors[i];
        const struct captured *c = captured_find(&cap, t->name);
        ck_assert_msg(c != NULL, "no tap \"%s\"", t->name);
        ck_assert(c->c == (size_t) t->channels && c->h == (size_t) t->height &&
                  c->w == (size_t) t->width);
        printf("  %-15s %.3g / %.3g   %.3g\n", t->name, golden_f64_max_error(t, c->nhwc, 1),
               t->pytorch_max_error_samples, t->max_abs);
    }
    const double error = golden_f64_max_error(&g.logits, logits, 0);
    const double bar = g.logits.pytorch_max_error_samples;
    printf("  %-15s %.3g / %.3g   %.3g   (diff vs PyTorch f32 %.3g; PyTorch's error over the "
           "whole tensor %.3g)\n",
           "logits", error, bar, g.logits.max_abs, diff_from_pytorch(&g.logits, logits),
           g.logits.pytorch_max_error);
    fflush(stdout); /* before a failure ends the forked test */
    ck_assert_msg(error <= bar,
                  "%s, tier %s, %s: logits error vs float64 %.3g > PyTorch float32's %.3g", file,
                  tier, algorithm, error, bar);
    free(logits);
    capture_free(&cap);
    upernet_model_free(m);
    golden_f64_free(&g);
}
END_TEST

START_TEST(test_threads_bitwise)
{
    struct golden_f64 g;
    load(cases[0], &g);
    upernet_model *one = create(&g, algorithms[_i], 1), *two = create(&g, algorithms[_i], 2);
    float *a = forward(one, &g, NULL), *b = forward(two, &g, NULL);
    ck_assert_msg(memcmp(a, b, (size_t) g.num_labels * g.height * g.width * sizeof(float)) == 0,
                  "%s: 1 and 2 threads differ", upernet_conv3x3_name(algorithms[_i]));
    free(a);
    free(b);
    upernet_model_free(one);
    upernet_model_free(two);
    golden_f64_free(&g);
}
END_TEST

START_TEST(test_loader_errors)
{
    struct golden_f64 g;
    char err[512];
    ck_assert_int_eq(golden_f64_load_named("no-such-file.f64.json.z", &g, err, sizeof err), -1);
    ck_assert(strstr(err, "no-such-file.f64.json.z") != NULL);
    /* A golden of the other format. */
    ck_assert_int_eq(golden_f64_load_named("tiny-75x103.json.z", &g, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "format") != NULL, "%s", err);
    golden_f64_free(&g);
}
END_TEST

int main(void)
{
    test_select_tier("test_accuracy");
    const char *quick = getenv("UPERNET_TEST_QUICK");
    const int n_cases = quick != NULL && strcmp(quick, "1") == 0 ? 1 : NUM_CASES;
    if (n_cases < NUM_CASES)
        printf("UPERNET_TEST_QUICK=1: %s only\n", cases[0]);

    Suite *suite = suite_create("accuracy");
    TCase *tc = tcase_create("float64");
    tcase_set_timeout(tc, 900);
    tcase_add_loop_test(tc, test_as_exact_as_pytorch, 0, n_cases * NUM_ALGORITHMS);
    tcase_add_loop_test(tc, test_threads_bitwise, 0, NUM_ALGORITHMS);
    tcase_add_test(tc, test_loader_errors);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

/* upernet_postprocess_semantic against transformers'
 * post_process_semantic_segmentation(target_sizes=...) on synthetic logits
 * (data/golden/postprocess.json.z, tools/make_goldens.py): the class map at
 * the target size, upsampled, downsampled, with 150 classes and at the
 * logits' own size. Both sides interpolate in float32 with the same
 * arithmetic; only a pixel whose two best classes differ by an ulp or so
 * could flip (compilers may contract differently), so >= 99.99 % of the
 * pixels must agree and, at the logits' own size, all of them with
 * upernet_argmax. Also: with every kernel tier this CPU runs, the map is
 * that of the formula evaluated pixel by pixel, bit for bit (up- and
 * downsampling, ties, NaN); the thread count changes nothing; bad arguments
 * are refused. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "golden.h"
#include "kernels/dispatch.h"
#include "model/synthetic.h"
#include "ops/bilinear.h"
#include "testutil.h"
#include "upernet.h"

struct postprocess_case {
    char key[96];
    int classes, height, width, target_height, target_width;
    unsigned char *expected; /* target_height * target_width classes */
};

static void load_case(int index, struct postprocess_case *c)
{
    char err[512], path[4096];
    json_t *root =
        golden_load_json_z(golden_path("postprocess.json.z", path, sizeof path), err, sizeof err);
    ck_assert_msg(root != NULL, "%s", err);
    json_t *cases = json_object_get(root, "cases");
    ck_assert(json_is_array(cases));
    ck_assert(index < (int) json_array_size(cases));
    json_t *e = json_array_get(cases, (size_t) index);
    snprintf(c->key, sizeof c->key, "%s", json_string_value(json_object_get(e, "key")));
    c->classes = (int) json_integer_value(json_object_get(e, "classes"));
    c->height = (int) json_integer_value(json_object_get(e, "height"));
    c->width = (int) json_integer_value(json_object_get(e, "width"));
    c->target_height = (int) json_integer_value(json_object_get(e, "target_height"));
    c->target_width = (int) json_integer_value(json_object_get(e, "target_width"));
    size_t size = 0;
    c->expected = golden_unpack_base64_zlib(json_string_value(json_object_get(e, "argmax")), &size);
    ck_assert_msg(c->expected != NULL &&
                      size == (size_t) c->target_height * (size_t) c->target_width,
                  "postprocess.json.z case %d: argmax is not %dx%d bytes", index,
                  c->target_height, c->target_width);
    json_decref(root);
}

static float *case_logits(const struct postprocess_case *c)
{
    const size_t shape[3] = {(size_t) c->classes, (size_t) c->height, (size_t) c->width};
    float *logits = malloc(shape[0] * shape[1] * shape[2] * sizeof *logits);
    ck_assert_ptr_nonnull(logits);
    upernet_synthetic_fill(c->key, shape, 3, logits);
    return logits;
}

START_TEST(test_against_transformers)
{
    struct postprocess_case c;
    load_case(_i, &c);
    float *logits = case_logits(&c);
    const size_t n = (size_t) c.target_height * (size_t) c.target_width;
    uint16_t *map = malloc(n * sizeof *map), *again = malloc(n * sizeof *again);
    ck_assert(map != NULL && again != NULL);
    upernet_error err;
    ck_assert_msg(upernet_postprocess_semantic(logits, c.classes, c.height, c.width,
                                               c.target_height, c.target_width, map,
                                               &err) == UPERNET_OK,
                  "%s", err.message);
    size_t agree = 0;
    for (size_t i = 0; i < n; i++)
        agree += map[i] == c.expected[i];
    printf("%s -> %dx%d: %zu of %zu pixels agree with transformers\n", c.key, c.target_height,
           c.target_width, agree, n);
    ck_assert_msg((double) agree >= 0.9999 * (double) n, "%s: %zu of %zu pixels agree", c.key,
                  agree, n);

    /* one thread gives the same map */
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    ck_assert(upernet_postprocess_semantic(logits, c.classes, c.height, c.width, c.target_height,
                                           c.target_width, again, &err) == UPERNET_OK);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    ck_assert(memcmp(map, again, n * sizeof *map) == 0);

    /* at the logits' own size: exactly the plain argmax */
    if (c.target_height == c.height && c.target_width == c.width) {
        upernet_argmax(logits, c.classes, c.height, c.width, again);
        ck_assert(memcmp(map, again, n * sizeof *map) == 0);
        ck_assert_uint_eq(agree, n);
    }
    free(map), free(again), free(logits), free(c.expected);
}
END_TEST

/* Logits (classes x height x width) and the target size of one case. */
static const struct {
    int classes, height, width, target_height, target_width;
    int with_nan;
} formula_cases[] = {
    {150, 13, 17, 29, 40, 0}, /* upsampling, ADE20K's class count */
    {7, 20, 30, 9, 11, 1},    /* downsampling, NaN logits */
    {3, 5, 5, 5, 5, 0},       /* the logits' own size */
    {20, 1, 9, 3, 70, 1},     /* one source row, a wide target */
};

/* The class at (y, x): each class's value as the model's final resize
 * computes it (two horizontal products and their sum per source row, then
 * the vertical ones), the first NaN or else the first of the largest. */
UPERNET_NO_FP_CONTRACT
static uint16_t formula_class(const float *logits, int classes, int height, int width,
                              struct upernet_bilinear_tap ry, struct upernet_bilinear_tap rx)
{
    const size_t plane = (size_t) height * (size_t) width;
    float best = 0.0f;
    int best_k = 0;
    for (int k = 0; k < classes; k++) {
        const float *row0 = logits + (size_t) k * plane + ry.i0 * (size_t) width;
        const float *row1 = logits + (size_t) k * plane + ry.i1 * (size_t) width;
        const float a0 = rx.l0 * row0[rx.i0], a1 = rx.l1 * row0[rx.i1];
        const float b0 = rx.l0 * row1[rx.i0], b1 = rx.l1 * row1[rx.i1];
        const float h0 = a0 + a1, h1 = b0 + b1;
        const float v0 = ry.l0 * h0, v1 = ry.l1 * h1;
        const float v = v0 + v1;
        if (isnan(v))
            return (uint16_t) k;
        if (k == 0 || v > best)
            best = v, best_k = k;
    }
    return (uint16_t) best_k;
}

START_TEST(test_every_tier_equals_formula)
{
    const int classes = formula_cases[_i].classes, height = formula_cases[_i].height;
    const int width = formula_cases[_i].width, th = formula_cases[_i].target_height;
    const int tw = formula_cases[_i].target_width;
    const size_t plane = (size_t) height * (size_t) width, n = (size_t) classes * plane;
    float *logits = malloc(n * sizeof *logits), *ties = malloc(n * sizeof *ties);
    uint16_t *want = malloc((size_t) th * tw * sizeof *want);
    uint16_t *got = malloc((size_t) th * tw * sizeof *got);
    struct upernet_bilinear_tap *rows = malloc(((size_t) th + (size_t) tw) * sizeof *rows);
    ck_assert(logits != NULL && ties != NULL && want != NULL && got != NULL && rows != NULL);
    test_fill_uniform(logits, n, 71 + (uint64_t) _i, -3.0f, 3.0f);
    test_fill_uniform(ties, n, 73 + (uint64_t) _i, 0.0f, 1.0f);
    for (size_t i = plane; i < n; i++)
        if (ties[i] < 0.3f) /* the previous class's value: exact ties */
            logits[i] = logits[i - plane];
    if (formula_cases[_i].with_nan)
        logits[2 * plane + plane / 2] = logits[plane + 1] = NAN;
    const struct upernet_bilinear_tap *cols = rows + th;
    upernet_bilinear_axis((size_t) height, (size_t) th, rows);
    upernet_bilinear_axis((size_t) width, (size_t) tw, rows + th);
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++)
            want[(size_t) y * tw + x] = formula_class(logits, classes, height, width, rows[y],
                                                      cols[x]);
    upernet_error err;
    int tiers = 0;
    for (int isa = UPERNET_ISA_SCALAR; isa < UPERNET_ISA_COUNT; isa++) {
        if (upernet_select_isa(upernet_isa_name((enum upernet_isa) isa), &err) != UPERNET_OK)
            continue; /* not built, or this CPU does not run it */
        tiers++;
        ck_assert_msg(upernet_postprocess_semantic(logits, classes, height, width, th, tw, got,
                                                   &err) == UPERNET_OK,
                      "%s", err.message);
        for (size_t i = 0; i < (size_t) th * tw; i++)
            ck_assert_msg(got[i] == want[i],
                          "%s, %d classes %dx%d -> %dx%d: pixel %zu is class %u, want %u",
                          upernet_isa_name((enum upernet_isa) isa), classes, height, width, th,
                          tw, i, got[i], want[i]);
    }
    ck_assert_int_ge(tiers, 1);
    ck_assert(upernet_select_isa(NULL, &err) == UPERNET_OK); /* back to the best tier */
    free(logits), free(ties), free(want), free(got), free(rows);
}
END_TEST

/* Ties go to the lowest class, a NaN wins, as torch.argmax. */
START_TEST(test_ties_and_nan)
{
    /* 3 classes of 1x2 pixels, resized to 1x4 */
    float logits[3 * 2] = {1.0f, 2.0f, /* class 0 */
                           1.0f, 2.0f, /* class 1: ties with 0 everywhere */
                           0.0f, 0.0f};
    uint16_t map[4];
    upernet_error err;
    ck_assert(upernet_postprocess_semantic(logits, 3, 1, 2, 1, 4, map, &err) == UPERNET_OK);
    for (int x = 0; x < 4; x++)
        ck_assert_uint_eq(map[x], 0);
    logits[4] = __builtin_nanf("");
    ck_assert(upernet_postprocess_semantic(logits, 3, 1, 2, 1, 4, map, &err) == UPERNET_OK);
    ck_assert_uint_eq(map[0], 2); /* the NaN pixel's neighbourhood */
}
END_TEST

START_TEST(test_bad_arguments)
{
    float logits[4] = {0};
    uint16_t map[4];
    upernet_error err;
    ck_assert(upernet_postprocess_semantic(logits, 1, 2, 2, 0, 2, map, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "0x2"));
    ck_assert(upernet_postprocess_semantic(NULL, 1, 2, 2, 2, 2, map, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert(upernet_postprocess_semantic(logits, 1, 2, 2, 1 << 15, 1 << 14, map, &err) ==
              UPERNET_ERR_LIMIT);
}
END_TEST

int main(void)
{
    char err[512], path[4096];
    json_t *root =
        golden_load_json_z(golden_path("postprocess.json.z", path, sizeof path), err, sizeof err);
    if (root == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const int cases = (int) json_array_size(json_object_get(root, "cases"));
    json_decref(root);
    if (cases < 4) {
        fprintf(stderr, "postprocess.json.z: %d cases, expected 4\n", cases);
        return 1;
    }
    Suite *suite = suite_create("postprocess");
    TCase *tc = tcase_create("postprocess");
    tcase_add_loop_test(tc, test_against_transformers, 0, cases);
    tcase_add_loop_test(tc, test_every_tier_equals_formula, 0,
                        (int) (sizeof formula_cases / sizeof formula_cases[0]));
    tcase_add_test(tc, test_ties_and_nan);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

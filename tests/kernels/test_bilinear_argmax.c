/* The bilinear vertical step + argmax kernels
 * (kernels/f32-bilinear-argmax).
 * Scalar tier: the reference against the formula written out here, and the
 * argmax rules on hand-made cases (ties, NaN, infinities).
 * SIMD tiers: the tier's variants against the scalar reference, class for
 * class, on ragged class counts and widths, with full-precision values and
 * exact ties, NaN in some cases, NaN between the class rows, rows that end
 * at the end of their allocation (a read past `width` is caught by the ASan
 * and valgrind legs) and a guard after the output (a write past `width`
 * stays visible). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

static const size_t class_counts[] = {1, 2, 3, 5, 16, 17, 150};
#define N_CLASS_COUNTS (sizeof class_counts / sizeof class_counts[0])
static const size_t widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 70};
#define N_WIDTHS (sizeof widths / sizeof widths[0])
#define ROW_PAD 3    /* NaN floats between class rows */
#define OUT_GUARD 8  /* uint16 entries after the output */
#define GUARD_VALUE 0xBEEF

static enum upernet_isa tested_tier;

#define MAX_LINES 8
static struct {
    enum upernet_isa tier;
    upernet_f32_bilinear_argmax_fn fn;
    const char *name;
} lines[MAX_LINES];
static size_t n_lines;
static upernet_f32_bilinear_argmax_fn reference;

static bool tested_line(enum upernet_isa tier)
{
    return tier == tested_tier && tier != UPERNET_ISA_SCALAR;
}

/* The contract's formula, written independently of the reference. */
UPERNET_NO_FP_CONTRACT
static uint16_t expected_class(size_t classes, const float *h0, const float *h1, size_t stride,
                               float l0, float l1, size_t x)
{
    /* the first NaN is the answer; otherwise the first of the largest */
    size_t best_k = 0;
    float best = 0.0f;
    for (size_t k = 0; k < classes; k++) {
        const float p0 = l0 * h0[k * stride + x], p1 = l1 * h1[k * stride + x];
        const float v = p0 + p1;
        if (isnan(v))
            return (uint16_t) k;
        if (k == 0 || v > best)
            best = v, best_k = k;
    }
    return (uint16_t) best_k;
}

/* `classes` rows of `width` values at `stride`, NaN in the padding between
 * rows. Values are full-precision (a product fused into the sum would round
 * differently and show up), and a quarter of them repeat the previous
 * class's value at that pixel (exact ties, where only the rule decides).
 * `nan_every` > 0 puts a NaN at every nan_every-th value. The allocation
 * ends with the last row's last value, so the ASan and valgrind legs catch
 * a read past `width`. */
static float *make_rows(size_t classes, size_t width, size_t stride, uint64_t seed,
                        size_t nan_every)
{
    const size_t n = (classes - 1) * stride + width;
    float *rows = malloc(n * sizeof *rows);
    float *ties = malloc(n * sizeof *ties);
    ck_assert(rows != NULL && ties != NULL);
    test_fill_uniform(rows, n, seed, -1.0f, 1.0f);
    test_fill_uniform(ties, n, seed + 1, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        if (i >= stride && ties[i] < 0.25f)
            rows[i] = rows[i - stride];
        if (i % stride >= width || (nan_every > 0 && i % nan_every == nan_every - 1))
            rows[i] = NAN;
    }
    free(ties);
    return rows;
}

START_TEST(test_against_reference)
{
    const size_t classes = class_counts[_i % N_CLASS_COUNTS];
    const size_t width = widths[_i / N_CLASS_COUNTS % N_WIDTHS];
    const size_t nan_every = _i / (N_CLASS_COUNTS * N_WIDTHS) == 0 ? 0 : 7;
    const size_t stride = width + ROW_PAD;
    float *h0 = make_rows(classes, width, stride, 11 + classes, nan_every);
    float *h1 = make_rows(classes, width, stride, 13 + width, nan_every);
    const float l1 = 0.25f + 0.02f * (float) width, l0 = 1.0f - l1;
    uint16_t want[70 + OUT_GUARD], got[70 + OUT_GUARD];
    for (size_t i = 0; i < width + OUT_GUARD; i++)
        want[i] = got[i] = GUARD_VALUE;
    reference(classes, width, h0, h1, stride, l0, l1, want);
    for (size_t x = 0; x < width + OUT_GUARD; x++) {
        const uint16_t e =
            x < width ? expected_class(classes, h0, h1, stride, l0, l1, x) : GUARD_VALUE;
        ck_assert_msg(want[x] == e, "reference: %zu classes width %zu: out[%zu] = %u, want %u",
                      classes, width, x, want[x], e);
    }
    for (size_t v = 0; v < n_lines; v++) {
        if (!tested_line(lines[v].tier))
            continue;
        for (size_t i = 0; i < width + OUT_GUARD; i++)
            got[i] = GUARD_VALUE;
        lines[v].fn(classes, width, h0, h1, stride, l0, l1, got);
        for (size_t x = 0; x < width + OUT_GUARD; x++)
            ck_assert_msg(got[x] == want[x],
                          "%s: %zu classes width %zu nan_every %zu: out[%zu] = %u, want %u",
                          lines[v].name, classes, width, nan_every, x, got[x], want[x]);
    }
    free(h0), free(h1);
}
END_TEST

/* The unfused value l0*a + l1*b (two roundings of products, one of the sum). */
UPERNET_NO_FP_CONTRACT
static float unfused(float l0, float a, float l1, float b)
{
    const float p0 = l0 * a, p1 = l1 * b;
    return p0 + p1;
}

/* Pixels where fusing either product into the sum would flip the answer:
 * class 0 holds (a, b) whose unfused value u differs from both fused ones
 * in the same direction, class 1 (h1 = 0, so its value l0*c is the same
 * fused or not) holds the neighbouring value on the far side of u, so that
 * one of the two roundings makes class 1 win and the other a tie (class 0). */
START_TEST(test_products_not_fused)
{
    enum { PIXELS = 40 };
    const float l0 = 0.6180339f, l1 = 1.0f - l0;
    float h0[2 * PIXELS], h1[2 * PIXELS];
    uint16_t want[PIXELS];
    float ab[2];
    size_t found = 0;
    for (uint64_t seed = 1; found < PIXELS && seed < 100000; seed++) {
        test_fill_uniform(ab, 2, seed, -1.0f, 1.0f);
        const float u = unfused(l0, ab[0], l1, ab[1]);
        const float f0 = fmaf(l0, ab[0], l1 * ab[1]), f1 = fmaf(l1, ab[1], l0 * ab[0]);
        float target;
        if (f0 > u && f1 > u)
            target = nextafterf(u, INFINITY); /* unfused: class 1 wins; fused: tie */
        else if (f0 < u && f1 < u)
            target = u; /* unfused: tie; fused: class 1 wins */
        else
            continue;
        float c = target / l0; /* a c with l0*c == target exactly, if one is near */
        for (int step = 0; step < 8 && l0 * c != target; step++)
            c = nextafterf(c, l0 * c < target ? INFINITY : -INFINITY);
        if (l0 * c != target)
            continue;
        h0[found] = ab[0], h1[found] = ab[1];
        h0[PIXELS + found] = c, h1[PIXELS + found] = 0.0f;
        want[found] = target > u ? 1 : 0;
        found++;
    }
    ck_assert_uint_eq(found, PIXELS);
    for (size_t v = 0; v < n_lines; v++) {
        if (lines[v].tier != tested_tier)
            continue;
        uint16_t got[PIXELS];
        lines[v].fn(2, PIXELS, h0, h1, PIXELS, l0, l1, got);
        for (int x = 0; x < PIXELS; x++)
            ck_assert_msg(got[x] == want[x], "%s: pixel %d is class %u, want %u (fused products?)",
                          lines[v].name, x, got[x], want[x]);
    }
}
END_TEST

/* The rules on hand-made values: 3 classes, 4 pixels, h1 weight 0. */
START_TEST(test_argmax_rules)
{
    const float inf = INFINITY;
    const float h0[3 * 4] = {
        1.0f, -inf, NAN,  2.0f, /* class 0 */
        1.0f, -inf, 5.0f, NAN,  /* class 1 */
        0.0f, -1.0f, NAN, NAN,  /* class 2 */
    };
    const float h1[3 * 4] = {0};
    /* pixel 0: a tie keeps class 0; pixel 1: -1 beats -inf; pixel 2: the
     * first NaN (class 0) stays; pixel 3: the first NaN (class 1) wins */
    const uint16_t want[4] = {0, 2, 0, 1};
    for (size_t v = 0; v < n_lines; v++) {
        if (lines[v].tier != tested_tier)
            continue;
        uint16_t got[4];
        lines[v].fn(3, 4, h0, h1, 4, 1.0f, 0.0f, got);
        for (int x = 0; x < 4; x++)
            ck_assert_msg(got[x] == want[x], "%s: pixel %d is class %u, want %u", lines[v].name,
                          x, got[x], want[x]);
    }
}
END_TEST

void add_bilinear_argmax_tests(Suite *suite, enum upernet_isa tier)
{
    tested_tier = tier;
    n_lines = 0;
    size_t tested = 0;
#define UPERNET_BILINEAR_ARGMAX_UKERNEL(t, production, function, pixel_tile) \
    if ((t) == UPERNET_ISA_SCALAR)                                           \
        reference = function;                                               \
    tested += tested_line(t);                                                \
    if (n_lines < MAX_LINES) {                                               \
        lines[n_lines].tier = (t);                                           \
        lines[n_lines].fn = function;                                        \
        lines[n_lines++].name = #function;                                   \
    }
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax.inc"
#undef UPERNET_BILINEAR_ARGMAX_UKERNEL
    if (tier != UPERNET_ISA_SCALAR && tested == 0) {
        printf("bilinear-argmax: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create("bilinear vertical step + argmax");
    tcase_add_loop_test(tc, test_against_reference, 0, (int) (N_CLASS_COUNTS * N_WIDTHS * 2));
    tcase_add_test(tc, test_argmax_rules);
    tcase_add_test(tc, test_products_not_fused);
    suite_add_tcase(suite, tc);
}

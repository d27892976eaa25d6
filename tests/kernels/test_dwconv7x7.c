/* 7x7 depthwise conv kernels: the scalar reference against a double-precision
 * naive convolution (from PyTorch-layout weights through the packer), each
 * SIMD variant of the tier against the scalar reference.
 *
 * Shapes: channels in {1, 3, 7, 8, 15, 16, 17, 33, 96}, height and width
 * 1..9 (so every output sees some of the zero padding and small maps see
 * taps clipped on both sides), full row range and a partial one (only rows
 * [row_begin, row_end) may be written).
 *
 * Tolerance: 49 products plus the bias; any summation order is within
 * 50*eps*(|bias| + sum|w*x|) of the exact value, so
 *   tol = 2 * 50 * eps * (|bias| + sum|w*x|) + 1e-7
 * for scalar-vs-double and for SIMD-vs-scalar alike (both sides' error). */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

#define GUARD 32
#define MAX_VARIANTS 8

struct dwconv_variant {
    upernet_f32_dwconv7x7_fn fn;
    const char *name;
    size_t channel_tile;
};

static struct dwconv_variant variants[MAX_VARIANTS];
static size_t n_variants;
static struct dwconv_variant scalar_variant;

static const size_t channel_counts[] = {1, 3, 7, 8, 15, 16, 17, 33, 96};
#define N_CHANNELS (sizeof channel_counts / sizeof channel_counts[0])
#define MAX_SIDE 9

struct problem {
    size_t h, w, c;
    float *x, *weight, *packed, *bias;
};

static void problem_init(struct problem *p, size_t h, size_t w, size_t c)
{
    p->h = h, p->w = w, p->c = c;
    p->x = test_alloc_guarded(h * w * c, GUARD);
    test_fill_uniform(p->x, h * w * c, 3 + h * 1000 + w * 37 + c, -1.0f, 1.0f);
    p->weight = malloc(49 * c * sizeof *p->weight);
    test_fill_uniform(p->weight, 49 * c, 5 + c, -1.0f, 1.0f);
    p->packed = test_alloc_guarded(49 * c, GUARD);
    upernet_pack_dwconv7x7(c, p->weight, p->packed);
    p->bias = test_alloc_guarded(c, GUARD);
    test_fill_uniform(p->bias, c, 9 + c, -1.0f, 1.0f);
}

static void problem_free(struct problem *p)
{
    free(p->x), free(p->weight), free(p->packed), free(p->bias);
}

static void reference(const struct problem *p, size_t oy, size_t ox, size_t ch, double *want,
                      double *tol)
{
    double acc = p->bias[ch], mag = fabs(p->bias[ch]);
    for (int ky = 0; ky < 7; ky++)
        for (int kx = 0; kx < 7; kx++) {
            const long iy = (long) oy + ky - 3, ix = (long) ox + kx - 3;
            if (iy < 0 || ix < 0 || iy >= (long) p->h || ix >= (long) p->w)
                continue;
            const double prod = (double) p->weight[ch * 49 + ky * 7 + kx] *
                                p->x[((size_t) iy * p->w + (size_t) ix) * p->c + ch];
            acc += prod;
            mag += fabs(prod);
        }
    *want = acc;
    *tol = 2.0 * 50.0 * FLT_EPSILON * mag + 1e-7;
}

/* Runs v on rows [r0, r1) into a NaN-filled output and checks those rows
 * against `expected` (double reference when NULL) and that no other element
 * or the guard was written. */
static void check_variant(const struct dwconv_variant *v, const struct problem *p, size_t r0,
                          size_t r1, const float *expected)
{
    const size_t n = p->h * p->w * p->c;
    float *y = test_alloc_guarded(n, GUARD);
    v->fn(p->h, p->w, p->c, r0, r1, p->x, p->packed, p->bias, y);
    for (size_t oy = 0; oy < p->h; oy++)
        for (size_t ox = 0; ox < p->w; ox++)
            for (size_t ch = 0; ch < p->c; ch++) {
                const float got = y[(oy * p->w + ox) * p->c + ch];
                if (oy < r0 || oy >= r1) {
                    ck_assert_msg(isnan(got), "%s %zux%zux%zu rows [%zu,%zu) wrote row %zu",
                                  v->name, p->h, p->w, p->c, r0, r1, oy);
                    continue;
                }
                double want, tol;
                reference(p, oy, ox, ch, &want, &tol);
                if (expected != NULL)
                    want = expected[(oy * p->w + ox) * p->c + ch];
                ck_assert_msg(fabs((double) got - want) <= tol,
                              "%s %zux%zux%zu: (%zu,%zu,%zu) got %.9g want %.9g (tol %.3g)",
                              v->name, p->h, p->w, p->c, oy, ox, ch, got, want, tol);
            }
    ck_assert_msg(test_guard_intact(y, n, GUARD), "%s wrote past the output", v->name);
    free(y);
}

START_TEST(test_scalar_against_double)
{
    const size_t c = channel_counts[_i];
    for (size_t h = 1; h <= MAX_SIDE; h++)
        for (size_t w = 1; w <= MAX_SIDE; w++) {
            struct problem p;
            problem_init(&p, h, w, c);
            check_variant(&scalar_variant, &p, 0, h, NULL);
            if (h >= 3)
                check_variant(&scalar_variant, &p, 1, h - 1, NULL);
            problem_free(&p);
        }
}
END_TEST

/* A single centre tap: the conv is a per-channel scaled copy plus bias. */
START_TEST(test_scalar_known_answer)
{
    const size_t h = 4, w = 5, c = 3;
    float x[4 * 5 * 3], weight[3 * 49] = {0}, packed[49 * 3], bias[3] = {1, 2, 3}, y[4 * 5 * 3];
    for (size_t i = 0; i < h * w * c; i++)
        x[i] = (float) i;
    for (size_t ch = 0; ch < c; ch++)
        weight[ch * 49 + 24] = (float) (ch + 1);
    weight[1 * 49 + 0] = 10.0f; /* channel 1, tap (0,0): reads x[oy-3][ox-3] */
    upernet_pack_dwconv7x7(c, weight, packed);
    scalar_variant.fn(h, w, c, 0, h, x, packed, bias, y);
    for (size_t oy = 0; oy < h; oy++)
        for (size_t ox = 0; ox < w; ox++)
            for (size_t ch = 0; ch < c; ch++) {
                float want = bias[ch] + (float) (ch + 1) * x[(oy * w + ox) * c + ch];
                if (ch == 1 && oy >= 3 && ox >= 3)
                    want += 10.0f * x[((oy - 3) * w + (ox - 3)) * c + ch];
                ck_assert_float_eq(y[(oy * w + ox) * c + ch], want);
            }
}
END_TEST

START_TEST(test_variant_against_scalar)
{
    const struct dwconv_variant *v = &variants[_i / N_CHANNELS];
    const size_t c = channel_counts[_i % N_CHANNELS];
    for (size_t h = 1; h <= MAX_SIDE; h++)
        for (size_t w = 1; w <= MAX_SIDE; w++) {
            struct problem p;
            problem_init(&p, h, w, c);
            float *ref = malloc(h * w * c * sizeof *ref);
            scalar_variant.fn(h, w, c, 0, h, p.x, p.packed, p.bias, ref);
            check_variant(v, &p, 0, h, ref);
            if (h >= 3)
                check_variant(v, &p, 1, h - 1, ref);
            if (h >= 2)
                check_variant(v, &p, h - 1, h, ref);
            free(ref);
            problem_free(&p);
        }
}
END_TEST

void add_dwconv7x7_tests(Suite *suite, enum upernet_isa tier)
{
#define UPERNET_DWCONV7X7_UKERNEL(t, production, function, ctile)                                \
    if ((t) == UPERNET_ISA_SCALAR)                                                               \
        scalar_variant = (struct dwconv_variant){function, #function, ctile};
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL
    if (tier == UPERNET_ISA_SCALAR) {
        TCase *tc = tcase_create("dwconv7x7 scalar reference");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_scalar_known_answer);
        tcase_add_loop_test(tc, test_scalar_against_double, 0, N_CHANNELS);
        suite_add_tcase(suite, tc);
        return;
    }
    n_variants = 0;
#define UPERNET_DWCONV7X7_UKERNEL(t, production, function, ctile)                                \
    if ((t) == tier && n_variants < MAX_VARIANTS)                                                \
        variants[n_variants++] = (struct dwconv_variant){function, #function, ctile};
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL
    if (n_variants == 0) {
        printf("dwconv7x7: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create("dwconv7x7 variants");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_variant_against_scalar, 0, (int) (n_variants * N_CHANNELS));
    suite_add_tcase(suite, tc);
}

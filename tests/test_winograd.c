/* The Winograd F(2x2,3x3) conv path (src/ops/winograd.c) on the tier named
 * by $UPERNET_ISA (run by tests/run-tier.sh):
 *   - against a double-precision naive conv on ragged shapes: odd and
 *     1-pixel sizes (clipped tiles), channels off the vector widths and
 *     past one weight chunk, maps wider than one band and taller than
 *     many, strided input and output;
 *   - over a channel concatenation of in-place and upsampled sources,
 *     against the direct path on the materialised concatenation;
 *   - bitwise identical for 1, 2 and 3 OpenMP threads;
 *   - refusing what it cannot do (other geometry, scale/residual, GELU).
 * Tolerance: Winograd's rounding differs from the direct sum's; its error
 * bound grows with the transformed magnitudes, so the check allows
 * 8 * (terms) * FLT_EPSILON * sum|w*x| (the direct path's test uses 2*...). */
#include "config.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "ops/ops.h"
#include "tests/testutil.h"

struct shape {
    size_t h, w, cin, cout;
};
static const struct shape shapes[] = {
    {1, 1, 1, 1},    {1, 5, 3, 2},     {2, 2, 4, 9},     {3, 7, 5, 17},   {9, 11, 33, 40},
    {16, 16, 17, 9}, {5, 140, 8, 20}, /* one band narrower than a tile row of 70 tiles */
    {130, 9, 6, 33}, /* 5 tiles a row: bands of 39 rows, the last one short */
    {12, 10, 64, 35},
    {6, 7, 600, 19}, /* three weight chunks of KC = 256 channels, the last partial */
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void) n;
#endif
}

/* A Winograd conv of shape sh with random weights and bias. */
static struct upernet_conv make_conv(const struct shape *sh, enum upernet_activation act,
                                     uint64_t seed, float **w_out, float **b_out)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const size_t nr = t->igemm.nr;
    float *w = malloc(sh->cout * sh->cin * 9 * sizeof *w);
    float *b = malloc(sh->cout * sizeof *b);
    test_fill_uniform(w, sh->cout * sh->cin * 9, seed, -1.0f, 1.0f);
    test_fill_uniform(b, sh->cout, seed + 1, -1.0f, 1.0f);
    float *packed = malloc(upernet_pack_winograd23_floats(sh->cout, sh->cin, nr) * sizeof *packed);
    upernet_pack_winograd23(sh->cout, sh->cin, nr, w, b, NULL, packed);
    *w_out = w, *b_out = b;
    return (struct upernet_conv){sh->cin, sh->cout, 3, 1, 1, nr, NULL, act, packed};
}

START_TEST(test_winograd_against_naive)
{
    const struct shape *sh = &shapes[_i / 2];
    const enum upernet_activation act = _i % 2 ? UPERNET_ACT_RELU : UPERNET_ACT_NONE;
    const struct upernet_kernel_table *t = upernet_kernels();
    float *w, *b;
    const struct upernet_conv conv = make_conv(sh, act, 5 + sh->cout, &w, &b);
    const size_t xs = sh->cin + 3, ys = sh->cout + 1, pixels = sh->h * sh->w;
    float *x = test_alloc_guarded(pixels * xs, 8);
    test_fill_uniform(x, pixels * xs, 3 + sh->cin, -1.0f, 1.0f);
    float *y = test_alloc_guarded(pixels * ys, 8);
    upernet_error err;
    ck_assert_msg(upernet_conv_run(t, &conv, sh->h, sh->w, x, xs, y, ys, NULL, NULL, 0, &err) ==
                      UPERNET_OK,
                  "%s", err.message);
    for (size_t oy = 0; oy < sh->h; oy++)
        for (size_t ox = 0; ox < sh->w; ox++)
            for (size_t o = 0; o < sh->cout; o++) {
                double acc = b[o], mag = fabs(b[o]);
                for (size_t i = 0; i < sh->cin; i++)
                    for (size_t ky = 0; ky < 3; ky++)
                        for (size_t kx = 0; kx < 3; kx++) {
                            const long iy = (long) (oy + ky) - 1, ix = (long) (ox + kx) - 1;
                            if (iy < 0 || ix < 0 || iy >= (long) sh->h || ix >= (long) sh->w)
                                continue;
                            const double p = (double) w[((o * sh->cin + i) * 3 + ky) * 3 + kx] *
                                             x[((size_t) iy * sh->w + (size_t) ix) * xs + i];
                            acc += p;
                            mag += fabs(p);
                        }
                if (act == UPERNET_ACT_RELU && acc < 0.0)
                    acc = 0.0;
                const double tol = 8.0 * (double) (sh->cin * 9 + 1) * FLT_EPSILON * mag + 1e-6;
                const float got = y[(oy * sh->w + ox) * ys + o];
                ck_assert_msg(fabs(got - acc) <= tol,
                              "winograd %zux%zu c%zu->%zu: (%zu,%zu,%zu) got %.9g want %.9g",
                              sh->h, sh->w, sh->cin, sh->cout, oy, ox, o, got, acc);
            }
    for (size_t p = 0; p < pixels; p++)
        ck_assert_msg(isnan(y[p * ys + sh->cout]), "wrote past cout at pixel %zu", p);
    ck_assert(test_guard_intact(y, pixels * ys, 8));
    free((void *) conv.winograd), free(w), free(b), free(x), free(y);
}
END_TEST

/* Sources at the conv size (strided), smaller (upsampled) and 1x1, as the
 * fuse path and the PPM bottleneck read them, against the direct conv on
 * the materialised concatenation; and the same bits for 1, 2 and 3 threads. */
START_TEST(test_winograd_sources_and_threads)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const size_t in_h = 25, in_w = 70, nr = t->igemm.nr; /* bands of 6, 6, 1 tile rows */
    const size_t dims[4][3] = {{25, 70, 8}, {13, 35, 8}, {3, 9, 12}, {1, 1, 4}};
    const size_t total = 8 + 8 + 12 + 4, cout = 2 * nr + 3;
    struct upernet_conv_source src[4];
    float *data[4];
    for (size_t j = 0; j < 4; j++) {
        const size_t stride = dims[j][2] + j;
        data[j] = malloc(dims[j][0] * dims[j][1] * stride * sizeof(float));
        test_fill_uniform(data[j], dims[j][0] * dims[j][1] * stride, 91 + j, -1.0f, 1.0f);
        src[j] = (struct upernet_conv_source){data[j], dims[j][0], dims[j][1], dims[j][2], stride};
    }
    const size_t pixels = in_h * in_w;
    float *cat = malloc(pixels * total * sizeof *cat);
    for (size_t j = 0, offset = 0; j < 4; offset += dims[j][2], j++) {
        if (j == 0)
            upernet_copy_channels(pixels, dims[0][2], data[0], src[0].pixel_stride, cat, total);
        else
            ck_assert_int_eq(upernet_resize_bilinear(dims[j][0], dims[j][1], dims[j][2], data[j],
                                                     src[j].pixel_stride, in_h, in_w,
                                                     cat + offset, total, false, NULL),
                             UPERNET_OK);
    }
    const struct shape sh = {in_h, in_w, total, cout};
    float *w, *b;
    const struct upernet_conv wino = make_conv(&sh, UPERNET_ACT_RELU, 97, &w, &b);
    float *packed = malloc(upernet_pack_conv_floats(cout, total, 3, 3, nr) * sizeof *packed);
    upernet_pack_conv(cout, total, 3, 3, nr, w, b, NULL, packed);
    const struct upernet_conv direct = {total, cout, 3, 1, 1, nr, packed, UPERNET_ACT_RELU, NULL};

    const size_t n = pixels * cout;
    float *want = malloc(n * sizeof *want), *first = malloc(n * sizeof *first);
    float *got = test_alloc_guarded(n, 8);
    upernet_error err;
    ck_assert_int_eq(upernet_conv_run(t, &direct, in_h, in_w, cat, total, want, cout, NULL, NULL,
                                      0, &err),
                     UPERNET_OK);
    for (int threads = 1; threads <= 3; threads++) {
        set_threads(threads);
        ck_assert_msg(upernet_conv_run_sources(t, &wino, in_h, in_w, src, 4, got, cout, NULL,
                                               NULL, 0, &err) == UPERNET_OK,
                      "%s", err.message);
        size_t worst;
        ck_assert_msg(test_max_scaled_error(got, want, n, 1e-4, 1e-5, &worst) <= 1,
                      "%d threads: element %zu got %.9g, direct %.9g", threads, worst, got[worst],
                      want[worst]);
        ck_assert(test_guard_intact(got, n, 8));
        if (threads == 1)
            memcpy(first, got, n * sizeof *got);
        else
            ck_assert_msg(memcmp(first, got, n * sizeof *got) == 0,
                          "Winograd conv differs between 1 and %d threads", threads);
    }
    /* The single-source entry on the materialised concatenation: same bits. */
    ck_assert_int_eq(upernet_conv_run(t, &wino, in_h, in_w, cat, total, got, cout, NULL, NULL, 0,
                                      &err),
                     UPERNET_OK);
    ck_assert_msg(memcmp(first, got, n * sizeof *got) == 0,
                  "concat-free Winograd differs from Winograd on the concatenation");
    set_threads(2);
    for (size_t j = 0; j < 4; j++)
        free(data[j]);
    free(cat), free((void *) wino.winograd), free(packed), free(w), free(b), free(want),
        free(first), free(got);
}
END_TEST

START_TEST(test_winograd_refusals)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const struct shape sh = {4, 4, 3, 5};
    float *w, *b;
    const struct upernet_conv conv = make_conv(&sh, UPERNET_ACT_NONE, 7, &w, &b);
    float x[4 * 4 * 3] = {0}, y[4 * 4 * 5], scale[5] = {1, 1, 1, 1, 1};
    upernet_error err;
    struct upernet_conv bad = conv;
    bad.stride = 2;
    ck_assert_int_eq(upernet_conv_run(t, &bad, 4, 4, x, 3, y, 5, NULL, NULL, 0, &err),
                     UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "stride 2"));
    bad = conv;
    bad.activation = UPERNET_ACT_GELU;
    ck_assert_int_eq(upernet_conv_run(t, &bad, 4, 4, x, 3, y, 5, NULL, NULL, 0, &err),
                     UPERNET_ERR_ARGUMENT);
    ck_assert_int_eq(upernet_conv_run(t, &conv, 4, 4, x, 3, y, 5, scale, NULL, 0, &err),
                     UPERNET_ERR_ARGUMENT);
    ck_assert_int_eq(upernet_conv_run(t, &conv, 4, 4, x, 3, y, 5, NULL, y, 5, &err),
                     UPERNET_ERR_ARGUMENT);
    bad = conv;
    bad.nr = conv.nr + 1;
    ck_assert_int_eq(upernet_conv_run(t, &bad, 4, 4, x, 3, y, 5, NULL, NULL, 0, &err),
                     UPERNET_ERR_MISMATCH);
    ck_assert_int_eq(upernet_conv_run(t, &conv, 4, 4, x, 3, y, 5, NULL, NULL, 0, &err),
                     UPERNET_OK);
    free((void *) conv.winograd), free(w), free(b);
}
END_TEST

int main(void)
{
    test_select_tier("test_winograd");
    printf("test_winograd: tier %s\n", upernet_isa_name(upernet_active_isa()));
    Suite *suite = suite_create("winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_winograd_against_naive, 0, (int) (2 * N_SHAPES));
    tcase_add_test(tc, test_winograd_sources_and_threads);
    tcase_add_test(tc, test_winograd_refusals);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

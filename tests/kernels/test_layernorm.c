/* Layer norm kernels: the scalar reference against known answers, each SIMD
 * variant against the scalar reference on ragged channel counts.
 *
 * Tolerance: |simd - scalar| <= 1e-5 + 1e-5*|scalar|. Inputs are O(1) with a
 * non-zero mean (so the mean subtraction matters) and outputs O(1); the float
 * lane sums of a SIMD variant differ from the double sums of the reference by
 * a few ulp of the mean and variance, far inside that bound, while a wrong
 * tail, a missed channel or an over-read (NaN guards) is far outside it. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

static const size_t channel_counts[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 95, 96, 97, 768, 2049};
#define N_CHANNEL_COUNTS (sizeof channel_counts / sizeof channel_counts[0])
#define MAX_PIXELS 9
#define GUARD 32
static const float eps = 1e-6f;

static upernet_f32_layernorm_fn variant_under_test;
static const char *variant_name;

/* Runs fn and the scalar reference on `pixels` rows of `channels` (row stride
 * channels + 3, to prove strides are honoured) and compares. */
static void compare_with_reference(size_t pixels, size_t channels, int in_place)
{
    const size_t stride = channels + 3;
    const size_t n = pixels * stride;
    float *x = test_alloc_guarded(n, GUARD);
    float *ref = test_alloc_guarded(n, GUARD);
    float *out = test_alloc_guarded(n, GUARD);
    float *gamma = test_alloc_guarded(channels, GUARD);
    float *beta = test_alloc_guarded(channels, GUARD);
    test_fill_uniform(x, n, 1 + channels * 131 + pixels, -2.0f, 2.0f);
    for (size_t i = 0; i < n; i++)
        x[i] += 1.5f;
    test_fill_uniform(gamma, channels, 7 + channels, 0.5f, 1.5f);
    test_fill_uniform(beta, channels, 11 + channels, -0.5f, 0.5f);

    upernet_f32_layernorm_ukernel__scalar(pixels, channels, x, stride, ref, stride, gamma, beta, eps);
    if (in_place) {
        memcpy(out, x, n * sizeof *x);
        variant_under_test(pixels, channels, out, stride, out, stride, gamma, beta, eps);
    } else {
        variant_under_test(pixels, channels, x, stride, out, stride, gamma, beta, eps);
    }

    for (size_t p = 0; p < pixels; p++) {
        size_t worst;
        const double e = test_max_scaled_error(out + p * stride, ref + p * stride, channels,
                                               1e-5, 1e-5, &worst);
        ck_assert_msg(e <= 1.0,
                      "%s: C=%zu pixels=%zu%s: pixel %zu channel %zu got %.9g want %.9g",
                      variant_name, channels, pixels, in_place ? " (in place)" : "", p, worst,
                      out[p * stride + worst], ref[p * stride + worst]);
        /* The 3 floats between rows are not the kernel's to write. */
        if (!in_place && p + 1 < pixels)
            for (size_t c = channels; c < stride; c++)
                ck_assert_msg(isnan(out[p * stride + c]), "%s wrote past channel %zu",
                              variant_name, channels);
    }
    ck_assert_msg(test_guard_intact(out, n, GUARD), "%s wrote past the last row", variant_name);
    free(x), free(ref), free(out), free(gamma), free(beta);
}

START_TEST(test_variant_matches_reference)
{
    const size_t channels = channel_counts[_i];
    for (size_t pixels = 1; pixels <= MAX_PIXELS; pixels++)
        compare_with_reference(pixels, channels, 0);
    compare_with_reference(3, channels, 1);
}
END_TEST

START_TEST(test_zero_pixels_touch_nothing)
{
    float *y = test_alloc_guarded(0, GUARD);
    variant_under_test(0, 5, y, 5, y, 5, y, y, eps);
    ck_assert(test_guard_intact(y, 0, GUARD));
    free(y);
}
END_TEST

/* Known answer: x = (1,2,3,4): mean 2.5, biased var 1.25. */
START_TEST(test_reference_known_answer)
{
    const float x[4] = {1, 2, 3, 4}, gamma[4] = {1, 1, 2, 1}, beta[4] = {0, 0, 0, 10};
    float y[4];
    upernet_f32_layernorm_ukernel__scalar(1, 4, x, 4, y, 4, gamma, beta, eps);
    const double rstd = 1.0 / sqrt(1.25 + 1e-6);
    const double want[4] = {-1.5 * rstd, -0.5 * rstd, 2 * 0.5 * rstd, 1.5 * rstd + 10};
    for (int c = 0; c < 4; c++)
        ck_assert_double_eq_tol(y[c], want[c], 1e-6);
}
END_TEST

/* Invariants: with gamma=1, beta=0 each output row has mean 0 and variance
 * var/(var+eps) ~ 1, whatever the channel count; a constant row maps to beta. */
START_TEST(test_reference_invariants)
{
    const size_t channels = channel_counts[_i];
    float *x = malloc(channels * sizeof *x), *y = malloc(channels * sizeof *y);
    float *ones = malloc(channels * sizeof *ones), *zeros = calloc(channels, sizeof *zeros);
    for (size_t c = 0; c < channels; c++)
        ones[c] = 1.0f;
    test_fill_uniform(x, channels, 99 + channels, -3.0f, 5.0f);
    upernet_f32_layernorm_ukernel__scalar(1, channels, x, channels, y, channels, ones, zeros, eps);
    double mean = 0, var = 0;
    for (size_t c = 0; c < channels; c++)
        mean += y[c];
    mean /= (double) channels;
    for (size_t c = 0; c < channels; c++)
        var += (y[c] - mean) * (y[c] - mean);
    var /= (double) channels;
    ck_assert_double_eq_tol(mean, 0.0, 1e-5);
    if (channels > 1)
        ck_assert_double_eq_tol(var, 1.0, 1e-4);
    for (size_t c = 0; c < channels; c++)
        x[c] = 4.25f;
    upernet_f32_layernorm_ukernel__scalar(1, channels, x, channels, y, channels, ones, zeros, eps);
    for (size_t c = 0; c < channels; c++)
        ck_assert_float_eq(y[c], 0.0f);
    free(x), free(y), free(ones), free(zeros);
}
END_TEST

void add_layernorm_tests(Suite *suite, enum upernet_isa tier)
{
    if (tier == UPERNET_ISA_SCALAR) {
        TCase *tc = tcase_create("layernorm scalar reference");
        tcase_add_test(tc, test_reference_known_answer);
        tcase_add_loop_test(tc, test_reference_invariants, 0, N_CHANNEL_COUNTS);
        suite_add_tcase(suite, tc);
        return;
    }
    variant_under_test = NULL;
#define UPERNET_LAYERNORM_UKERNEL(t, production, fn, ctile) \
    if ((t) == tier) {                           \
        variant_under_test = fn;                 \
        variant_name = #fn;                      \
    }
#include "kernels/f32-layernorm/f32-layernorm.inc"
#undef UPERNET_LAYERNORM_UKERNEL
    if (variant_under_test == NULL) {
        printf("layernorm: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create(variant_name);
    tcase_add_loop_test(tc, test_variant_matches_reference, 0, N_CHANNEL_COUNTS);
    tcase_add_test(tc, test_zero_pixels_touch_nothing);
    suite_add_tcase(suite, tc);
}

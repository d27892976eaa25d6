/* Winograd F(2x2,3x3) transform kernels (kernels/f32-winograd23).
 * Scalar tier: both references against the transforms computed in double
 * from the matrices B^T and A^T. SIMD tiers: the variant against the scalar
 * reference, value for value (the transforms are additions in a fixed
 * order, so the values must be equal; NEON's ReLU may turn -0 into +0,
 * equal as numbers), on ragged channel counts, strided patches and clipped
 * output tiles, with NaN guards around every buffer. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

static const size_t channel_counts[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 67};
#define N_CHANNEL_COUNTS (sizeof channel_counts / sizeof channel_counts[0])

static const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

static upernet_f32_winograd23_input_fn input_of(enum upernet_isa tier)
{
    upernet_f32_winograd23_input_fn fn = NULL;
#define UPERNET_WINOGRAD23_INPUT_UKERNEL(t, production, function, ctile) \
    if ((t) == tier)                                         \
        fn = function;
#include "kernels/f32-winograd23/f32-winograd23-input.inc"
#undef UPERNET_WINOGRAD23_INPUT_UKERNEL
    return fn;
}

static upernet_f32_winograd23_output_fn output_of(enum upernet_isa tier)
{
    upernet_f32_winograd23_output_fn fn = NULL;
#define UPERNET_WINOGRAD23_OUTPUT_UKERNEL(t, production, function, ctile) \
    if ((t) == tier)                                          \
        fn = function;
#include "kernels/f32-winograd23/f32-winograd23-output.inc"
#undef UPERNET_WINOGRAD23_OUTPUT_UKERNEL
    return fn;
}

static int same_value(float a, float b)
{
    return a == b || (isnan(a) && isnan(b));
}

static enum upernet_isa tested_tier;

/* Patch pixels are channels + 2 floats apart, rows 4*(channels + 2) + 5
 * (a wider map); positions are v_stride = channels + 3 apart. */
START_TEST(test_input_transform)
{
    const size_t channels = channel_counts[_i];
    const size_t px = channels + 2, row = 4 * px + 5, vs = channels + 3;
    const size_t nx = 3 * row + 3 * px + channels, nv = 15 * vs + channels;
    float *x = test_alloc_guarded(nx, 16);
    test_fill_uniform(x, nx, 11 + channels, -2.0f, 2.0f);
    float *got = test_alloc_guarded(nv, 16), *want = test_alloc_guarded(nv, 16);
    for (size_t i = 0; i < nv; i++)
        got[i] = want[i] = NAN;
    upernet_f32_winograd23_input_fn fn = input_of(tested_tier);
    fn(channels, x, row, px, got, vs);
    if (tested_tier == UPERNET_ISA_SCALAR) {
        for (size_t c = 0; c < channels; c++)
            for (size_t i = 0; i < 4; i++)
                for (size_t j = 0; j < 4; j++) {
                    double acc = 0.0; /* (B^T d B)[i][j], exact in double */
                    for (size_t r = 0; r < 4; r++)
                        for (size_t q = 0; q < 4; q++)
                            acc += BT[i][r] * x[r * row + q * px + c] * BT[j][q];
                    want[(4 * i + j) * vs + c] = (float) acc;
                }
        /* Two rounded additions of values below 8 in magnitude: |error| < 1e-6. */
        for (size_t i = 0; i < nv; i++)
            ck_assert_msg(same_value(got[i], want[i]) || fabsf(got[i] - want[i]) <= 1.5e-6f,
                          "channels %zu: v[%zu] got %.9g want %.9g", channels, i, got[i],
                          want[i]);
    } else {
        input_of(UPERNET_ISA_SCALAR)(channels, x, row, px, want, vs);
        for (size_t i = 0; i < nv; i++)
            ck_assert_msg(same_value(got[i], want[i]), "channels %zu: v[%zu] got %.9g want %.9g",
                          channels, i, got[i], want[i]);
    }
    ck_assert(test_guard_intact(got, nv, 16));
    free(x), free(got), free(want);
}
END_TEST

/* Every (rows, cols) clip and both activations; y pixels are channels + 2
 * apart, rows 3*(channels + 2) + 1 apart; unwritten floats must stay NaN. */
START_TEST(test_output_transform)
{
    const size_t channels = channel_counts[_i % N_CHANNEL_COUNTS];
    const size_t rows = 1 + (size_t) (_i / N_CHANNEL_COUNTS) % 2;
    const size_t cols = 1 + (size_t) (_i / N_CHANNEL_COUNTS / 2) % 2;
    const size_t ms = channels + 1, ps = channels + 2, row = 3 * ps + 1;
    const size_t nm = 15 * ms + channels, ny = row + 2 * ps;
    float *m = test_alloc_guarded(nm, 16), *bias = test_alloc_guarded(channels, 16);
    test_fill_uniform(m, nm, 21 + channels, -2.0f, 2.0f);
    test_fill_uniform(bias, channels, 23 + channels, -1.0f, 1.0f);
    float *got = test_alloc_guarded(ny, 16), *want = test_alloc_guarded(ny, 16);
    for (int relu = 0; relu <= 1; relu++) {
        const enum upernet_activation act = relu ? UPERNET_ACT_RELU : UPERNET_ACT_NONE;
        for (size_t i = 0; i < ny; i++)
            got[i] = want[i] = NAN;
        output_of(tested_tier)(channels, m, ms, bias, act, got, row, ps, rows, cols);
        if (tested_tier == UPERNET_ISA_SCALAR) {
            for (size_t c = 0; c < channels; c++)
                for (size_t r = 0; r < rows; r++)
                    for (size_t q = 0; q < cols; q++) {
                        double acc = 0.0; /* (A^T M A)[r][q] */
                        for (size_t i = 0; i < 4; i++)
                            for (size_t j = 0; j < 4; j++)
                                acc += AT[r][i] * m[(4 * i + j) * ms + c] * AT[q][j];
                        acc += bias[c];
                        if (relu && acc < 0.0)
                            acc = 0.0;
                        want[r * row + q * ps + c] = (float) acc;
                    }
            /* Five rounded additions of values below 20: |error| < 1e-5. */
            for (size_t i = 0; i < ny; i++)
                ck_assert_msg(same_value(got[i], want[i]) || fabsf(got[i] - want[i]) <= 1e-5f,
                              "channels %zu %zux%zu relu %d: y[%zu] got %.9g want %.9g",
                              channels, rows, cols, relu, i, got[i], want[i]);
        } else {
            output_of(UPERNET_ISA_SCALAR)(channels, m, ms, bias, act, want, row, ps, rows, cols);
            for (size_t i = 0; i < ny; i++)
                ck_assert_msg(same_value(got[i], want[i]),
                              "channels %zu %zux%zu relu %d: y[%zu] got %.9g want %.9g",
                              channels, rows, cols, relu, i, got[i], want[i]);
        }
        ck_assert(test_guard_intact(got, ny, 16));
    }
    free(m), free(bias), free(got), free(want);
}
END_TEST

void add_winograd23_tests(Suite *suite, enum upernet_isa tier)
{
    if (input_of(tier) == NULL || output_of(tier) == NULL) {
        printf("winograd23: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    tested_tier = tier;
    TCase *tc = tcase_create("winograd23");
    tcase_add_loop_test(tc, test_input_transform, 0, (int) N_CHANNEL_COUNTS);
    tcase_add_loop_test(tc, test_output_transform, 0, (int) (4 * N_CHANNEL_COUNTS));
    suite_add_tcase(suite, tc);
}

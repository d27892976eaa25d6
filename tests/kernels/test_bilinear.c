/* Bilinear resize kernels into channel planes (kernels/f32-bilinear): the
 * horizontal step from NHWC pixels (h) and from planar rows (hp), the
 * vertical step (v).
 * Scalar tier: both references against the formula evaluated in double.
 * SIMD tiers: the tier's variants against the scalar references, value for
 * value (same two products and one sum per element), on ragged channel and
 * pixel counts, with NaN between pixels or between planar rows (a read
 * outside them shows up in the result), NaN between output rows and guards around every
 * buffer (a write outside the contract stays visible), and output rows at
 * every alignment (the vertical step's streaming stores need 16 bytes). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

static const size_t channel_counts[] = {1, 2, 3, 4, 5, 7, 8, 9, 17, 150};
#define N_CHANNEL_COUNTS (sizeof channel_counts / sizeof channel_counts[0])
static const size_t widths[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 37};
#define N_WIDTHS (sizeof widths / sizeof widths[0])

static enum upernet_isa tested_tier;

/* Every line of the two .inc lists; the tested variants are the lines of
 * the tested tier (none for the scalar tier, whose line is the reference). */
#define MAX_LINES 8
static struct {
    enum upernet_isa tier;
    upernet_f32_bilinear_h_fn fn;
    const char *name;
} h_lines[MAX_LINES];
static struct {
    enum upernet_isa tier;
    upernet_f32_bilinear_v_fn fn;
    const char *name;
} v_lines[MAX_LINES];
static struct {
    enum upernet_isa tier;
    upernet_f32_bilinear_hp_fn fn;
    const char *name;
} hp_lines[MAX_LINES];
static size_t n_h_lines, n_v_lines, n_hp_lines;
static upernet_f32_bilinear_h_fn h_reference;
static upernet_f32_bilinear_hp_fn hp_reference;
static upernet_f32_bilinear_v_fn v_reference;

static bool tested_line(enum upernet_isa tier)
{
    return tier == tested_tier && tier != UPERNET_ISA_SCALAR;
}

static int same_value(float a, float b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* Taps of an out_w-pixel row read from in_w pixels: a spread of indices,
 * the last pixel's clamped i1 == i0 included, and weights in [0, 1]. */
static void make_taps(size_t in_w, size_t out_w, struct upernet_bilinear_tap *taps)
{
    float l1[64];
    test_fill_uniform(l1, out_w, 31 + out_w, 0.0f, 1.0f);
    for (size_t ox = 0; ox < out_w; ox++) {
        const size_t i0 = ox * in_w / out_w;
        taps[ox].i0 = i0;
        taps[ox].i1 = i0 + 1 < in_w ? i0 + 1 : i0;
        taps[ox].l1 = l1[ox];
        taps[ox].l0 = 1.0f - l1[ox];
    }
}

START_TEST(test_horizontal)
{
    const size_t channels = channel_counts[_i % N_CHANNEL_COUNTS];
    const size_t out_w = widths[_i / N_CHANNEL_COUNTS];
    const size_t in_w = out_w / 2 + 1, stride = channels + 3, nx = in_w * stride;
    struct upernet_bilinear_tap taps[64];
    make_taps(in_w, out_w, taps);
    float *x = test_alloc_guarded(nx, 16);
    test_fill_uniform(x, nx, 41 + channels, -2.0f, 2.0f);
    for (size_t p = 0; p < in_w; p++)
        for (size_t c = channels; c < stride; c++)
            x[p * stride + c] = NAN; /* between pixels: never read */
    const size_t nh = channels * out_w;
    float *got = test_alloc_guarded(nh, 16), *want = test_alloc_guarded(nh, 16);
    if (tested_tier == UPERNET_ISA_SCALAR) {
        h_reference(channels, x, stride, taps, out_w, got);
        for (size_t c = 0; c < channels; c++)
            for (size_t ox = 0; ox < out_w; ox++) {
                const double w = (double) taps[ox].l0 * x[taps[ox].i0 * stride + c] +
                                 (double) taps[ox].l1 * x[taps[ox].i1 * stride + c];
                /* Two rounded products and one rounded sum below 2: < 1e-6. */
                ck_assert_msg(fabs(got[c * out_w + ox] - w) <= 1e-6,
                              "channels %zu width %zu: h[%zu][%zu] got %.9g want %.9g",
                              channels, out_w, c, ox, got[c * out_w + ox], w);
            }
        ck_assert(test_guard_intact(got, nh, 16));
    }
    h_reference(channels, x, stride, taps, out_w, want);
    for (size_t v = 0; v < n_h_lines; v++) {
        if (!tested_line(h_lines[v].tier))
            continue;
        for (size_t i = 0; i < nh; i++)
            got[i] = NAN;
        h_lines[v].fn(channels, x, stride, taps, out_w, got);
        for (size_t i = 0; i < nh; i++)
            ck_assert_msg(same_value(got[i], want[i]),
                          "%s channels %zu width %zu: h[%zu] got %.9g want %.9g",
                          h_lines[v].name, channels, out_w, i, got[i], want[i]);
        ck_assert(test_guard_intact(got, nh, 16));
    }
    free(x), free(got), free(want);
}
END_TEST

/* Planar rows of in_w floats, channel_stride = in_w + 3 apart with NaN in
 * between; the kernel's scratch is NaN-filled and guarded too. */
START_TEST(test_horizontal_planar)
{
    const size_t channels = channel_counts[_i % N_CHANNEL_COUNTS];
    const size_t out_w = widths[_i / N_CHANNEL_COUNTS];
    const size_t in_w = out_w / 2 + 1, stride = in_w + 3, nx = channels * stride;
    struct upernet_bilinear_tap taps[64];
    make_taps(in_w, out_w, taps);
    float *x = test_alloc_guarded(nx, 16);
    test_fill_uniform(x, nx, 43 + channels, -2.0f, 2.0f);
    for (size_t c = 0; c < channels; c++)
        for (size_t i = in_w; i < stride; i++)
            x[c * stride + i] = NAN; /* between rows: never read */
    const size_t nh = channels * out_w, nscratch = 4 * in_w + 8 * out_w;
    float *got = test_alloc_guarded(nh, 16), *want = test_alloc_guarded(nh, 16);
    float *scratch = test_alloc_guarded(nscratch, 16);
    for (size_t i = 0; i < nscratch; i++)
        scratch[i] = NAN;
    if (tested_tier == UPERNET_ISA_SCALAR) {
        hp_reference(channels, x, stride, in_w, taps, out_w, got, scratch);
        for (size_t c = 0; c < channels; c++)
            for (size_t ox = 0; ox < out_w; ox++) {
                const double w = (double) taps[ox].l0 * x[c * stride + taps[ox].i0] +
                                 (double) taps[ox].l1 * x[c * stride + taps[ox].i1];
                ck_assert_msg(fabs(got[c * out_w + ox] - w) <= 1e-6,
                              "channels %zu width %zu: h[%zu][%zu] got %.9g want %.9g",
                              channels, out_w, c, ox, got[c * out_w + ox], w);
            }
        ck_assert(test_guard_intact(got, nh, 16));
    }
    hp_reference(channels, x, stride, in_w, taps, out_w, want, scratch);
    for (size_t v = 0; v < n_hp_lines; v++) {
        if (!tested_line(hp_lines[v].tier))
            continue;
        for (size_t i = 0; i < nh; i++)
            got[i] = NAN;
        hp_lines[v].fn(channels, x, stride, in_w, taps, out_w, got, scratch);
        for (size_t i = 0; i < nh; i++)
            ck_assert_msg(same_value(got[i], want[i]),
                          "%s channels %zu width %zu: h[%zu] got %.9g want %.9g",
                          hp_lines[v].name, channels, out_w, i, got[i], want[i]);
        ck_assert(test_guard_intact(got, nh, 16));
        ck_assert(test_guard_intact(scratch, nscratch, 16));
    }
    free(x), free(got), free(want), free(scratch);
}
END_TEST

/* Output rows start 0..3 floats after a 16-byte boundary (offset), planes
 * are width + 5 floats apart; everything else of y must stay NaN. */
START_TEST(test_vertical)
{
    const size_t channels = channel_counts[_i % N_CHANNEL_COUNTS];
    const size_t width = widths[_i / N_CHANNEL_COUNTS % N_WIDTHS];
    const size_t offset = (size_t) _i / (N_CHANNEL_COUNTS * N_WIDTHS);
    const size_t plane = width + 5, nr = channels * width, ny = offset + channels * plane;
    float *h0 = test_alloc_guarded(nr, 16), *h1 = test_alloc_guarded(nr, 16);
    test_fill_uniform(h0, nr, 51 + channels, -2.0f, 2.0f);
    test_fill_uniform(h1, nr, 53 + width, -2.0f, 2.0f);
    const float l1 = 0.375f + 0.01f * (float) width, l0 = 1.0f - l1;
    float *got = test_alloc_guarded(ny, 16), *want = test_alloc_guarded(ny, 16);
    for (size_t i = 0; i < ny; i++)
        got[i] = want[i] = NAN;
    v_reference(channels, width, h0, h1, l0, l1, want + offset, plane);
    if (tested_tier == UPERNET_ISA_SCALAR) {
        for (size_t c = 0; c < channels; c++)
            for (size_t j = 0; j < plane; j++) {
                const float y = want[offset + c * plane + j];
                if (j >= width) {
                    ck_assert_msg(isnan(y), "width %zu: wrote y[%zu][%zu]", width, c, j);
                    continue;
                }
                const double w = (double) l0 * h0[c * width + j] + (double) l1 * h1[c * width + j];
                ck_assert_msg(fabs(y - w) <= 1e-6, "width %zu: y[%zu][%zu] got %.9g want %.9g",
                              width, c, j, y, w);
            }
        ck_assert(test_guard_intact(want, ny, 16));
    }
    for (size_t v = 0; v < n_v_lines; v++) {
        if (!tested_line(v_lines[v].tier))
            continue;
        for (size_t i = 0; i < ny; i++)
            got[i] = NAN;
        v_lines[v].fn(channels, width, h0, h1, l0, l1, got + offset, plane);
        for (size_t i = 0; i < ny; i++)
            ck_assert_msg(same_value(got[i], want[i]),
                          "%s channels %zu width %zu offset %zu: y[%zu] got %.9g want %.9g",
                          v_lines[v].name, channels, width, offset, i, got[i], want[i]);
        ck_assert(test_guard_intact(got, ny, 16));
    }
    free(h0), free(h1), free(got), free(want);
}
END_TEST

void add_bilinear_tests(Suite *suite, enum upernet_isa tier)
{
    tested_tier = tier;
    n_h_lines = n_v_lines = n_hp_lines = 0;
    size_t tested = 0;
#define UPERNET_BILINEAR_H_UKERNEL(t, production, function)                 \
    if ((t) == UPERNET_ISA_SCALAR)                                          \
        h_reference = function;                                             \
    tested += tested_line(t);                                               \
    if (n_h_lines < MAX_LINES) {                                            \
        h_lines[n_h_lines].tier = (t);                                      \
        h_lines[n_h_lines].fn = function;                                   \
        h_lines[n_h_lines++].name = #function;                              \
    }
#include "kernels/f32-bilinear/f32-bilinear-h.inc"
#undef UPERNET_BILINEAR_H_UKERNEL
#define UPERNET_BILINEAR_V_UKERNEL(t, production, function)                 \
    if ((t) == UPERNET_ISA_SCALAR)                                          \
        v_reference = function;                                             \
    tested += tested_line(t);                                               \
    if (n_v_lines < MAX_LINES) {                                            \
        v_lines[n_v_lines].tier = (t);                                      \
        v_lines[n_v_lines].fn = function;                                   \
        v_lines[n_v_lines++].name = #function;                              \
    }
#include "kernels/f32-bilinear/f32-bilinear-v.inc"
#undef UPERNET_BILINEAR_V_UKERNEL
#define UPERNET_BILINEAR_HP_UKERNEL(t, production, function)                \
    if ((t) == UPERNET_ISA_SCALAR)                                          \
        hp_reference = function;                                            \
    tested += tested_line(t);                                               \
    if (n_hp_lines < MAX_LINES) {                                           \
        hp_lines[n_hp_lines].tier = (t);                                    \
        hp_lines[n_hp_lines].fn = function;                                 \
        hp_lines[n_hp_lines++].name = #function;                            \
    }
#include "kernels/f32-bilinear/f32-bilinear-hp.inc"
#undef UPERNET_BILINEAR_HP_UKERNEL
    if (tier != UPERNET_ISA_SCALAR && tested == 0) {
        printf("bilinear: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create("bilinear into planes");
    tcase_add_loop_test(tc, test_horizontal, 0, (int) (N_CHANNEL_COUNTS * N_WIDTHS));
    tcase_add_loop_test(tc, test_horizontal_planar, 0, (int) (N_CHANNEL_COUNTS * N_WIDTHS));
    tcase_add_loop_test(tc, test_vertical, 0, (int) (N_CHANNEL_COUNTS * N_WIDTHS * 4));
    suite_add_tcase(suite, tc);
}

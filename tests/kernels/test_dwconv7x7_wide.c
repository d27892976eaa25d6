/* 7x7 depthwise conv, wide pixels: the SIMD variants switch loop order from
 * 256 channels on (kernel row over all channels, partial sums kept in y;
 * see kernels/f32-dwconv7x7/f32-dwconv7x7-8c-avx2.c). This covers that path
 * (tests/kernels/test_dwconv7x7.c stops at 96 channels): each variant of the
 * tier against the scalar reference at 256, 263 (a channel tail) and 384
 * channels, on sizes that hit the narrow-row path (width < 8), border blocks,
 * a re-anchored last block and row ranges that skip the first and last rows.
 *
 * Both orders add each output's taps in the reference's sequence (bias, ky,
 * kx); only FMA versus multiply-then-add differs, so the tolerance is the
 * reference's rounding bound: 2 * 50 * eps * (|bias| + sum |w*x|). NaN after
 * x and y catches reads past x and writes past the rows asked for. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

#define GUARD 64
#define MAX_VARIANTS 8

struct wide_variant {
    upernet_f32_dwconv7x7_fn fn;
    const char *name;
};

static struct wide_variant variants[MAX_VARIANTS];
static size_t n_variants;

static const size_t channel_counts[] = {256, 263, 384};
#define N_CHANNELS (sizeof channel_counts / sizeof channel_counts[0])
static const size_t sizes[][2] = {{1, 1}, {3, 5}, {5, 8}, {9, 9}, {8, 17}, {4, 22}};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

START_TEST(test_wide_matches_reference)
{
    const struct wide_variant *v = &variants[_i / (int) N_CHANNELS];
    const size_t c = channel_counts[_i % (int) N_CHANNELS];
    for (size_t s = 0; s < N_SIZES; s++) {
        const size_t h = sizes[s][0], w = sizes[s][1], n = h * w * c;
        float *x = test_alloc_guarded(n, GUARD), *weight = test_alloc_guarded(49 * c, GUARD);
        float *bias = test_alloc_guarded(c, GUARD);
        float *got = test_alloc_guarded(n, GUARD), *want = test_alloc_guarded(n, GUARD);
        test_fill_uniform(x, n, 3 + s + c, -1.0f, 1.0f);
        test_fill_uniform(weight, 49 * c, 5 + c, -1.0f, 1.0f);
        test_fill_uniform(bias, c, 7 + c, -1.0f, 1.0f);
        for (size_t i = 0; i < n; i++)
            got[i] = want[i] = NAN;
        const size_t row_begin = h > 2 ? 1 : 0, row_end = h > 2 ? h - 1 : h;
        v->fn(h, w, c, row_begin, row_end, x, weight, bias, got);
        upernet_f32_dwconv7x7_ukernel__scalar(h, w, c, row_begin, row_end, x, weight, bias, want);
        for (size_t i = 0; i < n; i++) {
            const size_t oy = i / (w * c), ox = i / c % w, ch = i % c;
            if (oy < row_begin || oy >= row_end) {
                ck_assert_msg(isnan(got[i]), "%s %zux%zux%zu wrote row %zu outside [%zu, %zu)",
                              v->name, h, w, c, oy, row_begin, row_end);
                continue;
            }
            double magnitude = fabs(bias[ch]);
            for (size_t ky = 0; ky < 7; ky++)
                for (size_t kx = 0; kx < 7; kx++) {
                    const size_t iy = oy + ky, ix = ox + kx; /* + 3 */
                    if (iy >= 3 && iy - 3 < h && ix >= 3 && ix - 3 < w)
                        magnitude += fabs(weight[(ky * 7 + kx) * c + ch] *
                                          x[((iy - 3) * w + ix - 3) * c + ch]);
                }
            const double tol = 2.0 * 50.0 * FLT_EPSILON * magnitude + 1e-7;
            ck_assert_msg(fabs((double) got[i] - want[i]) <= tol,
                          "%s %zux%zux%zu: (%zu,%zu,%zu) got %.9g want %.9g (tol %.3g)", v->name,
                          h, w, c, oy, ox, ch, got[i], want[i], tol);
        }
        ck_assert_msg(test_guard_intact(got, n, GUARD), "%s wrote past y", v->name);
        free(x), free(weight), free(bias), free(got), free(want);
    }
}
END_TEST

void add_dwconv7x7_wide_tests(Suite *suite, enum upernet_isa tier)
{
    if (tier == UPERNET_ISA_SCALAR)
        return; /* the reference is what the variants are held to */
    n_variants = 0;
#define UPERNET_DWCONV7X7_UKERNEL(t, production, function, ctile)                          \
    if ((t) == tier && n_variants < MAX_VARIANTS)                                         \
        variants[n_variants++] = (struct wide_variant){function, #function};
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL
    if (n_variants == 0)
        return;
    TCase *tc = tcase_create("dwconv7x7 wide pixels");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_wide_matches_reference, 0, (int) (n_variants * N_CHANNELS));
    suite_add_tcase(suite, tc);
}

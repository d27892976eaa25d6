/* GELU accuracy: every igemm variant of the tier, with the GELU epilogue,
 * against gelu(x) = 0.5*x*(1 + erf(x/sqrt 2)) evaluated in double, over a
 * dense sweep of [-10, 10] (step 2^-17, 2.6 million points) plus special
 * values.
 *
 * The values under test go in through the bias and the A rows: with kc = 1
 * and a weight row of ones the accumulator of (i, j) is bias[j] + a_i, exact
 * because both are multiples of 2^-17 below 16 in magnitude, so one call
 * evaluates the variant's own GELU (the vectorised one of
 * kernels/simd/gelu-vec.h on a SIMD tier, kernels/gelu.h's erff form on the
 * scalar tier) on MR x NR points (few calls: the NEON tier runs under qemu).
 *
 * Bound checked (kernels/simd/gelu-coeffs.h derives it):
 *   |got - gelu(x)| <= 0.5*|x|*ERF_BOUND + 2^-24*|gelu(x)| + 1e-37
 * i.e. the error of the erf approximation scaled by 0.5|x|, plus the final
 * rounding. ERF_BOUND = 4e-7 sits above the measured worst case of the
 * float rational (3.6e-7 on AVX2); glibc's erff, used by the scalar tier,
 * is inside it too (2.1e-7). The worst error seen, as the implied erf error
 * |got - gelu(x)| / (0.5|x|), is printed once per variant. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"

#define ERF_BOUND 4e-7
#define MAX_VARIANTS 8
#define MAX_NR 64
#define MAX_MR 32

struct gelu_variant {
    upernet_f32_igemm_fn fn;
    const char *name;
    size_t mr, nr;
};

static struct gelu_variant variants[MAX_VARIANTS];
static size_t n_variants;

static double gelu_exact(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

/* out[i*nr + j] = GELU(bias[j] + a[i]) for i < mr, j < n (n <= nr, mr <= the
 * variant's MR), through the variant's epilogue. */
static void gelu_through_kernel(const struct gelu_variant *v, const float *bias, size_t n,
                                const float *a, size_t mr, float *out)
{
    float panel[2 * MAX_NR]; /* nr bias floats, then kc = 1 row of nr ones */
    memset(panel, 0, sizeof panel);
    memcpy(panel, bias, n * sizeof *bias);
    for (size_t j = 0; j < v->nr; j++)
        panel[v->nr + j] = 1.0f;
    const float *rows[MAX_MR];
    for (size_t i = 0; i < mr; i++)
        rows[i] = a + i;
    const struct upernet_gemm_epilogue ep = {.activation = UPERNET_ACT_GELU};
    v->fn(mr, n, 1, 1, rows, panel, out, v->nr, &ep);
}

START_TEST(test_gelu_sweep)
{
    const struct gelu_variant *v = &variants[_i];
    const double step = 1.0 / 131072.0; /* 2^-17: every value exact in float */
    const long points = (long) (20.0 / step) + 1;
    float bias[MAX_NR], a[MAX_MR], out[MAX_MR * MAX_NR];
    double worst_implied = 0.0, worst_x = 0.0;
    const long per_call = (long) (v->mr * v->nr);
    for (long p0 = 0; p0 < points; p0 += per_call) {
        /* Point p0 + i*nr + j = bias[j] + a[i]; the last call runs a little
         * past +10, which does no harm. */
        for (size_t j = 0; j < v->nr; j++)
            bias[j] = (float) (-10.0 + (double) (p0 + (long) j) * step);
        for (size_t i = 0; i < v->mr; i++)
            a[i] = (float) ((double) (i * v->nr) * step);
        gelu_through_kernel(v, bias, v->nr, a, v->mr, out);
        for (size_t k = 0; k < v->mr * v->nr; k++) {
            const size_t i = k / v->nr, j = k % v->nr;
            const double x = (double) bias[j] + (double) a[i], want = gelu_exact(x);
            const double err = fabs((double) out[k] - want);
            const double bound = 0.5 * fabs(x) * ERF_BOUND + 0x1p-24 * fabs(want) + 1e-37;
            ck_assert_msg(err <= bound, "%s: gelu(%.9g) = %.9g, want %.9g (err %.3g > %.3g)",
                          v->name, x, out[k], want, err, bound);
            if (x != 0.0 && err / (0.5 * fabs(x)) > worst_implied) {
                worst_implied = err / (0.5 * fabs(x));
                worst_x = x;
            }
        }
    }
    printf("gelu: %s: worst implied erf error %.3g at x = %.7g (bound %.1g)\n", v->name,
           worst_implied, worst_x, ERF_BOUND);
}
END_TEST

START_TEST(test_gelu_special_values)
{
    const struct gelu_variant *v = &variants[_i];
    const float values[6] = {0.0f, -0.0f, INFINITY, NAN, -30.0f, 30.0f};
    const float zero = 0.0f;
    float out[6];
    for (size_t j0 = 0; j0 < 6; j0 += v->nr)
        gelu_through_kernel(v, values + j0, 6 - j0 < v->nr ? 6 - j0 : v->nr, &zero, 1, out + j0);
    ck_assert_msg(out[0] == 0.0f && out[1] == 0.0f, "%s: gelu(+-0) = %g, %g", v->name, out[0],
                  out[1]);
    ck_assert_msg(isinf(out[2]) && out[2] > 0, "%s: gelu(inf) = %g", v->name, out[2]);
    ck_assert_msg(isnan(out[3]), "%s: gelu(NaN) = %g", v->name, out[3]);
    ck_assert_msg(out[4] == 0.0f, "%s: gelu(-30) = %g", v->name, out[4]);
    ck_assert_msg(out[5] == 30.0f, "%s: gelu(30) = %.9g", v->name, out[5]);
}
END_TEST

void add_gelu_tests(Suite *suite, enum upernet_isa tier)
{
    n_variants = 0;
#define UPERNET_IGEMM_UKERNEL(t, production, function, mr_tile, nr_tile)                  \
    if ((t) == tier && n_variants < MAX_VARIANTS && (nr_tile) <= MAX_NR &&             \
        (mr_tile) <= MAX_MR)                                                           \
        variants[n_variants++] = (struct gelu_variant){function, #function, mr_tile, nr_tile};
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL
    if (n_variants == 0) {
        printf("gelu: no %s igemm variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create("gelu accuracy");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_gelu_sweep, 0, (int) n_variants);
    tcase_add_loop_test(tc, test_gelu_special_values, 0, (int) n_variants);
    suite_add_tcase(suite, tc);
}

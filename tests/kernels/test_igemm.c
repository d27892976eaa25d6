/* Indirect GEMM kernels: the scalar reference against a double-precision
 * naive product (known answers), each SIMD variant of the tier against the
 * scalar reference on ragged tiles.
 *
 * Shapes: mr = 1..MR, nc = 1..NR (one call) and nc = 2.5*NR over several
 * panels (one call per panel, as the conv driver does), kc in {1, 3, 7, 16,
 * 17, 33}, ks in {1, 9} (9 = a 3x3 conv: some row pointers hit a shared zero
 * row, as padding taps do), each epilogue: none, ReLU, GELU, GELU + layer
 * scale + residual, and residual in place (residual == c).
 *
 * Tolerance. With K = ks*kc products, a float sum with any order of
 * additions (and FMA or not) is within K*eps*(|bias| + sum|a*w|) of the
 * exact value; per element
 *   tol = |scale| * 1.2 * 2*K*eps * (|bias| + sum|a*w|) + 2e-6 * (1 + |want|)
 * (1.2 bounds the slope of GELU, 2e-6 covers a vectorised erf and the final
 * roundings). For scalar-vs-double the factor 2 is slack; for SIMD-vs-scalar
 * it covers both sides' error. A wrong tap, a missed tail column or a read
 * past kc (NaN guards after every row and the panel) is far outside it. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/gelu.h"
#include "kernels/pack.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

#define GUARD 16
#define MAX_VARIANTS 8

struct igemm_variant {
    upernet_f32_igemm_fn fn;
    const char *name;
    size_t mr, nr;
};

static struct igemm_variant variants[MAX_VARIANTS];
static size_t n_variants;
static struct igemm_variant scalar_variant; /* the scalar line of the .inc */

static const size_t kc_values[] = {1, 3, 7, 16, 17, 33};
#define N_KC (sizeof kc_values / sizeof kc_values[0])

enum epilogue_case { EP_NONE, EP_RELU, EP_GELU, EP_GELU_SCALE_RESIDUAL, EP_RESIDUAL_IN_PLACE,
                     EP_COUNT };
static const char *const epilogue_names[EP_COUNT] = {"none", "relu", "gelu",
                                                     "gelu+scale+residual", "residual in place"};

/* One problem: ks*mr rows of kc floats (each its own guarded allocation),
 * weights [nc_total][kc*ks] in "conv" order W[o][k][s], bias, scale, residual. */
struct problem {
    size_t mr, nc_total, kc, ks;
    float **rows;        /* ks*mr row pointers; some point at zero_row */
    float *zero_row;     /* kc zeros + guard */
    float *weight;       /* [nc_total][kc][ks] (PyTorch [out][in][kh*kw]) */
    float *bias, *scale; /* nc_total */
    float *residual;     /* mr x nc_total, stride nc_total + 3 */
    size_t res_stride;
};

static void problem_init(struct problem *p, size_t mr, size_t nc_total, size_t kc, size_t ks,
                         uint64_t seed)
{
    p->mr = mr, p->nc_total = nc_total, p->kc = kc, p->ks = ks;
    p->zero_row = test_alloc_guarded(kc, GUARD);
    memset(p->zero_row, 0, kc * sizeof(float));
    p->rows = malloc(ks * mr * sizeof *p->rows);
    for (size_t r = 0; r < ks * mr; r++) {
        p->rows[r] = test_alloc_guarded(kc, GUARD);
        test_fill_uniform(p->rows[r], kc, seed * 1000 + r + 1, -1.0f, 1.0f);
    }
    if (ks > 1) /* a padding tap for some rows, like a 3x3 conv's border */
        for (size_t i = 0; i < mr; i += 2) {
            free(p->rows[0 * mr + i]);
            p->rows[0 * mr + i] = NULL;
        }
    p->weight = malloc(nc_total * kc * ks * sizeof *p->weight);
    test_fill_uniform(p->weight, nc_total * kc * ks, seed + 7, -1.0f, 1.0f);
    p->bias = malloc(nc_total * sizeof *p->bias);
    p->scale = malloc(nc_total * sizeof *p->scale);
    test_fill_uniform(p->bias, nc_total, seed + 11, -1.0f, 1.0f);
    test_fill_uniform(p->scale, nc_total, seed + 13, 0.1f, 1.0f);
    p->res_stride = nc_total + 3;
    p->residual = malloc(mr * p->res_stride * sizeof *p->residual);
    test_fill_uniform(p->residual, mr * p->res_stride, seed + 17, -2.0f, 2.0f);
}

static const float *row_of(const struct problem *p, size_t r)
{
    return p->rows[r] != NULL ? p->rows[r] : p->zero_row;
}

static void problem_free(struct problem *p)
{
    for (size_t r = 0; r < p->ks * p->mr; r++)
        free(p->rows[r]);
    free(p->rows), free(p->zero_row), free(p->weight), free(p->bias), free(p->scale),
        free(p->residual);
}

/* Runs fn (tile nr) over all panels of p into c (stride c_stride), as the
 * conv driver does. c must hold mr rows; for EP_RESIDUAL_IN_PLACE it holds
 * the residual on entry. */
static void run_variant(const struct igemm_variant *v, const struct problem *p,
                        enum epilogue_case ep_case, float *c, size_t c_stride)
{
    const size_t nr = v->nr;
    const size_t packed_floats = upernet_pack_conv_floats(p->nc_total, p->kc, p->ks, 1, nr);
    float *packed = test_alloc_guarded(packed_floats, GUARD);
    /* Weight given as [o][kc][ks][1]: taps s of a ks x 1 "kernel". */
    upernet_pack_conv(p->nc_total, p->kc, p->ks, 1, nr, p->weight, p->bias, NULL, packed);
    const float **a = malloc(p->ks * p->mr * sizeof *a);
    for (size_t r = 0; r < p->ks * p->mr; r++)
        a[r] = row_of(p, r);
    const size_t panel_floats = upernet_pack_conv_panel_floats(p->kc, p->ks, 1, nr);
    for (size_t n0 = 0; n0 < p->nc_total; n0 += nr) {
        const size_t nc = p->nc_total - n0 < nr ? p->nc_total - n0 : nr;
        struct upernet_gemm_epilogue ep = {UPERNET_ACT_NONE, NULL, NULL, 0};
        if (ep_case == EP_RELU)
            ep.activation = UPERNET_ACT_RELU;
        if (ep_case == EP_GELU || ep_case == EP_GELU_SCALE_RESIDUAL)
            ep.activation = UPERNET_ACT_GELU;
        if (ep_case == EP_GELU_SCALE_RESIDUAL) {
            ep.scale = p->scale + n0;
            ep.residual = p->residual + n0;
            ep.residual_stride = p->res_stride;
        }
        if (ep_case == EP_RESIDUAL_IN_PLACE) {
            ep.residual = c + n0;
            ep.residual_stride = c_stride;
        }
        v->fn(p->mr, nc, p->kc, p->ks, a, packed + (n0 / nr) * panel_floats, c + n0, c_stride,
              &ep);
    }
    ck_assert_msg(test_guard_intact(packed, packed_floats, GUARD), "packed panel guard");
    free(a);
    free(packed);
}

/* The exact result in double and its error bound (see the top comment). */
static void reference(const struct problem *p, enum epilogue_case ep_case, size_t i, size_t j,
                      double *want, double *tol)
{
    double acc = p->bias[j], mag = fabs(p->bias[j]);
    for (size_t s = 0; s < p->ks; s++) {
        const float *row = row_of(p, s * p->mr + i);
        for (size_t k = 0; k < p->kc; k++) {
            const double prod = (double) row[k] * p->weight[(j * p->kc + k) * p->ks + s];
            acc += prod;
            mag += fabs(prod);
        }
    }
    double v = acc, slope_scale = 1.0;
    if (ep_case == EP_RELU)
        v = v < 0 ? 0 : v;
    if (ep_case == EP_GELU || ep_case == EP_GELU_SCALE_RESIDUAL) {
        v = 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
        slope_scale = 1.2;
    }
    if (ep_case == EP_GELU_SCALE_RESIDUAL) {
        v = v * p->scale[j] + p->residual[i * p->res_stride + j];
        slope_scale *= p->scale[j];
    }
    if (ep_case == EP_RESIDUAL_IN_PLACE)
        v += p->residual[i * p->res_stride + j];
    *want = v;
    const double k_terms = (double) (p->ks * p->kc + 1);
    *tol = slope_scale * 2.0 * k_terms * FLT_EPSILON * mag + 2e-6 * (1.0 + fabs(v));
}

/* Output buffer: mr rows of stride nc_total + 5, NaN everywhere (or the
 * residual for in-place), with a guard. */
static float *make_output(const struct problem *p, enum epilogue_case ep_case, size_t c_stride)
{
    float *c = test_alloc_guarded(p->mr * c_stride, GUARD);
    if (ep_case == EP_RESIDUAL_IN_PLACE)
        for (size_t i = 0; i < p->mr; i++)
            memcpy(c + i * c_stride, p->residual + i * p->res_stride,
                   p->nc_total * sizeof *c);
    return c;
}

static void check_untouched(const struct igemm_variant *v, const struct problem *p,
                            const float *c, size_t c_stride, const char *what)
{
    for (size_t i = 0; i < p->mr; i++)
        for (size_t j = p->nc_total; j < c_stride; j++)
            ck_assert_msg(isnan(c[i * c_stride + j]),
                          "%s (%s) wrote row %zu column %zu past nc=%zu", v->name, what, i, j,
                          p->nc_total);
    ck_assert_msg(test_guard_intact(c, p->mr * c_stride, GUARD), "%s (%s) wrote past the tile",
                  v->name, what);
}

/* Scalar reference against the double product over all tile shapes. */
START_TEST(test_scalar_against_double)
{
    const struct igemm_variant *v = &scalar_variant;
    const size_t kc = kc_values[_i % N_KC], ks = (_i / N_KC) ? 9 : 1;
    for (size_t mr = 1; mr <= v->mr; mr++) {
        for (size_t nc = 1; nc <= v->nr * 2 + v->nr / 2 + 1; nc++) {
            for (int e = 0; e < EP_COUNT; e++) {
                struct problem p;
                problem_init(&p, mr, nc, kc, ks, 1 + mr * 131 + nc * 7 + kc * 3 + ks);
                const size_t c_stride = nc + 5;
                float *c = make_output(&p, (enum epilogue_case) e, c_stride);
                run_variant(v, &p, (enum epilogue_case) e, c, c_stride);
                for (size_t i = 0; i < mr; i++)
                    for (size_t j = 0; j < nc; j++) {
                        double want, tol;
                        reference(&p, (enum epilogue_case) e, i, j, &want, &tol);
                        const float got = c[i * c_stride + j];
                        ck_assert_msg(fabs(got - want) <= tol,
                                      "%s mr=%zu nc=%zu kc=%zu ks=%zu ep=%s: [%zu][%zu] got %.9g "
                                      "want %.9g (tol %.3g)",
                                      v->name, mr, nc, kc, ks, epilogue_names[e], i, j, got, want,
                                      tol);
                    }
                check_untouched(v, &p, c, c_stride, epilogue_names[e]);
                free(c);
                problem_free(&p);
            }
        }
    }
}
END_TEST

/* Hand-computed: mr=2, nc=2, kc=2, ks=2.
 * rows s=0: (1,2), (3,4); s=1: (5,6), (7,8). W[j][k][s]: j=0 all ones,
 * j=1: k0s0=1, k1s0=0, k0s1=0, k1s1=-1. bias (0.5, -0.5). */
START_TEST(test_scalar_known_answer)
{
    const float r00[2] = {1, 2}, r01[2] = {3, 4}, r10[2] = {5, 6}, r11[2] = {7, 8};
    const float *const a[4] = {r00, r01, r10, r11};
    const float weight[2 * 2 * 2] = {1, 1, 1, 1, /* o=1: [k][s] */ 1, 0, 0, -1};
    const float bias[2] = {0.5f, -0.5f};
    const size_t nr = scalar_variant.nr;
    float *packed = malloc(upernet_pack_conv_floats(2, 2, 2, 1, nr) * sizeof *packed);
    upernet_pack_conv(2, 2, 2, 1, nr, weight, bias, NULL, packed);
    float c[2 * 3];
    for (int i = 0; i < 6; i++)
        c[i] = -99.0f;
    const struct upernet_gemm_epilogue ep = {UPERNET_ACT_NONE, NULL, NULL, 0};
    scalar_variant.fn(2, 2, 2, 2, a, packed, c, 3, &ep);
    /* pixel 0: j0 = .5 + 1+2+5+6 = 14.5; j1 = -.5 + 1*1 - 6 = -5.5
     * pixel 1: j0 = .5 + 3+4+7+8 = 22.5; j1 = -.5 + 3 - 8 = -5.5 */
    ck_assert_float_eq(c[0], 14.5f);
    ck_assert_float_eq(c[1], -5.5f);
    ck_assert_float_eq(c[2], -99.0f);
    ck_assert_float_eq(c[3], 22.5f);
    ck_assert_float_eq(c[4], -5.5f);
    const struct upernet_gemm_epilogue relu = {UPERNET_ACT_RELU, NULL, NULL, 0};
    scalar_variant.fn(2, 2, 2, 2, a, packed, c, 3, &relu);
    ck_assert_float_eq(c[1], 0.0f);
    ck_assert_float_eq(c[3], 22.5f);
    free(packed);
}
END_TEST

/* BatchNorm folding and the pack layout with a real kernel shape. */
START_TEST(test_pack_layout)
{
    /* out 5, in 3, 2x2 kernel, nr 4: 2 panels of 4*(1 + 4*3) floats. */
    float weight[5 * 3 * 2 * 2], bias[5], alpha[5];
    for (int i = 0; i < 60; i++)
        weight[i] = (float) i;
    for (int o = 0; o < 5; o++)
        bias[o] = 100.0f + (float) o, alpha[o] = 0.5f * (float) (o + 1);
    ck_assert_uint_eq(upernet_pack_conv_floats(5, 3, 2, 2, 4), 2 * 4 * 13);
    float packed[2 * 4 * 13];
    upernet_pack_conv(5, 3, 2, 2, 4, weight, bias, alpha, packed);
    for (size_t o = 0; o < 8; o++) {
        const float *panel = packed + (o / 4) * 52;
        const size_t j = o % 4;
        ck_assert_float_eq(panel[j], o < 5 ? 100.0f + (float) o : 0.0f);
        for (size_t s = 0; s < 4; s++)
            for (size_t k = 0; k < 3; k++) {
                const float want = o < 5 ? weight[(o * 3 + k) * 4 + s] * alpha[o] : 0.0f;
                ck_assert_float_eq(panel[4 + (s * 3 + k) * 4 + j], want);
            }
    }
    const float gamma[2] = {2, 1}, beta[2] = {1, 0}, mean[2] = {3, -1}, var[2] = {3.99999f, 0};
    float a2[2], sh[2];
    upernet_fold_batchnorm(2, gamma, beta, mean, var, 1e-5f, a2, sh);
    ck_assert_float_eq_tol(a2[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(sh[0], -2.0f, 1e-5f);
    ck_assert_float_eq_tol(a2[1], 1.0f / sqrtf(1e-5f), 1e-2f);
}
END_TEST

/* Each SIMD variant against the scalar reference. */
START_TEST(test_variant_against_scalar)
{
    const struct igemm_variant *v = &variants[_i / (2 * N_KC)];
    const size_t kc = kc_values[_i % N_KC], ks = ((_i / N_KC) % 2) ? 9 : 1;
    size_t nc_values[160], n_nc = 0;
    for (size_t nc = 1; nc <= v->nr; nc++)
        nc_values[n_nc++] = nc;
    nc_values[n_nc++] = 2 * v->nr + v->nr / 2 + 1; /* several panels, ragged last */
    double worst = 0.0; /* largest |variant - scalar| / tol seen */
    for (size_t mr = 1; mr <= v->mr; mr++) {
        for (size_t n = 0; n < n_nc; n++) {
            const size_t nc = nc_values[n];
            for (int e = 0; e < EP_COUNT; e++) {
                struct problem p;
                problem_init(&p, mr, nc, kc, ks, 5 + mr * 131 + nc * 7 + kc * 3 + ks);
                const size_t c_stride = nc + 5;
                float *c = make_output(&p, (enum epilogue_case) e, c_stride);
                run_variant(v, &p, (enum epilogue_case) e, c, c_stride);
                /* The scalar reference handles mr <= 4: run it row block by block. */
                float *ref = make_output(&p, (enum epilogue_case) e, c_stride);
                for (size_t i0 = 0; i0 < mr; i0 += scalar_variant.mr) {
                    struct problem q = p;
                    q.mr = mr - i0 < scalar_variant.mr ? mr - i0 : scalar_variant.mr;
                    q.rows = malloc(ks * q.mr * sizeof *q.rows);
                    for (size_t s = 0; s < ks; s++)
                        for (size_t i = 0; i < q.mr; i++)
                            q.rows[s * q.mr + i] = p.rows[s * mr + i0 + i];
                    q.residual = p.residual + i0 * p.res_stride;
                    run_variant(&scalar_variant, &q, (enum epilogue_case) e,
                                ref + i0 * c_stride, c_stride);
                    free(q.rows);
                }
                for (size_t i = 0; i < mr; i++)
                    for (size_t j = 0; j < nc; j++) {
                        double want, tol;
                        reference(&p, (enum epilogue_case) e, i, j, &want, &tol);
                        const float got = c[i * c_stride + j], r = ref[i * c_stride + j];
                        worst = fmax(worst, fabs((double) got - r) / tol);
                        ck_assert_msg(fabs((double) got - r) <= tol,
                                      "%s mr=%zu nc=%zu kc=%zu ks=%zu ep=%s: [%zu][%zu] got %.9g "
                                      "scalar %.9g (tol %.3g)",
                                      v->name, mr, nc, kc, ks, epilogue_names[e], i, j, got, r,
                                      tol);
                    }
                check_untouched(v, &p, c, c_stride, epilogue_names[e]);
                free(c), free(ref);
                problem_free(&p);
            }
        }
    }
    printf("%s kc=%zu ks=%zu: worst |variant - scalar| = %.3f of the tolerance\n", v->name, kc,
           ks, worst);
}
END_TEST

/* The summation order of the contract (kernels/microkernels.h), on sums
 * whose float result tells the orders apart: every product and partial sum
 * below is exact except where the order decides.
 *   blocks: ks=4 taps of kc=128 (the first block spans two taps); the first
 *     256 products are 1, the next 256 are 2^-23. In blocks: 256 + 2^-15
 *     (representable); one running sum drops every 2^-23 (a quarter ulp).
 *   bias last: bias 1024, 256 products of 2^-14. Bias last: 1024 + 2^-6;
 *     bias first: each 2^-14 is half an ulp of 1024 and rounds away. */
static void check_blocked_sum(const struct igemm_variant *v)
{
    ck_assert_int_eq(UPERNET_IGEMM_KBLOCK, 256);
    const size_t mr = v->mr, nr = v->nr;
    float ones[512];
    for (size_t k = 0; k < 512; k++)
        ones[k] = 1.0f;
    const float *a[4 * 32];
    for (size_t i = 0; i < 4 * mr; i++)
        a[i] = ones;
    const struct upernet_gemm_epilogue ep = {UPERNET_ACT_NONE, NULL, NULL, 0};
    float *weight = malloc(nr * 512 * sizeof *weight), *bias = malloc(nr * sizeof *bias);
    float *packed = malloc(upernet_pack_conv_floats(nr, 512, 1, 1, nr) * sizeof *packed);
    float *c = malloc(mr * nr * sizeof *c);
    ck_assert(weight != NULL && bias != NULL && packed != NULL && c != NULL);

    /* weight[o][k][s] (PyTorch order), product n = s*kc + k. */
    for (size_t o = 0; o < nr; o++) {
        bias[o] = 0.0f;
        for (size_t k = 0; k < 128; k++)
            for (size_t s = 0; s < 4; s++)
                weight[(o * 128 + k) * 4 + s] = s * 128 + k < 256 ? 1.0f : 0x1p-23f;
    }
    upernet_pack_conv(nr, 128, 4, 1, nr, weight, bias, NULL, packed);
    v->fn(mr, nr, 128, 4, a, packed, c, nr, &ep);
    for (size_t i = 0; i < mr * nr; i++)
        ck_assert_msg(c[i] == 256.0f + 0x1p-15f, "%s: blocked sum %.9g, want 256 + 2^-15",
                      v->name, (double) c[i]);

    for (size_t o = 0; o < nr; o++) {
        bias[o] = 1024.0f;
        for (size_t k = 0; k < 256; k++)
            weight[o * 256 + k] = 0x1p-14f;
    }
    upernet_pack_conv(nr, 256, 1, 1, nr, weight, bias, NULL, packed);
    v->fn(mr, nr, 256, 1, a, packed, c, nr, &ep);
    for (size_t i = 0; i < mr * nr; i++)
        ck_assert_msg(c[i] == 1024.0f + 0x1p-6f, "%s: %.9g, want the bias added last (1024 + 2^-6)",
                      v->name, (double) c[i]);
    free(weight), free(bias), free(packed), free(c);
}

START_TEST(test_scalar_blocked_sum)
{
    check_blocked_sum(&scalar_variant);
}
END_TEST

START_TEST(test_variant_blocked_sum)
{
    check_blocked_sum(&variants[_i]);
}
END_TEST

void add_igemm_tests(Suite *suite, enum upernet_isa tier)
{
#define UPERNET_IGEMM_UKERNEL(t, production, function, mr_tile, nr_tile)                         \
    if ((t) == UPERNET_ISA_SCALAR)                                                               \
        scalar_variant = (struct igemm_variant){function, #function, mr_tile, nr_tile};
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL
    if (tier == UPERNET_ISA_SCALAR) {
        TCase *tc = tcase_create("igemm scalar reference");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_scalar_known_answer);
        tcase_add_test(tc, test_pack_layout);
        tcase_add_test(tc, test_scalar_blocked_sum);
        tcase_add_loop_test(tc, test_scalar_against_double, 0, 2 * N_KC);
        suite_add_tcase(suite, tc);
        return;
    }
    n_variants = 0;
#define UPERNET_IGEMM_UKERNEL(t, production, function, mr_tile, nr_tile)                         \
    if ((t) == tier && n_variants < MAX_VARIANTS)                                                \
        variants[n_variants++] = (struct igemm_variant){function, #function, mr_tile, nr_tile};
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL
    if (n_variants == 0) {
        printf("igemm: no %s variant\n", upernet_isa_name(tier));
        return;
    }
    TCase *tc = tcase_create("igemm variants");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_variant_against_scalar, 0, (int) (n_variants * 2 * N_KC));
    tcase_add_loop_test(tc, test_variant_blocked_sum, 0, (int) n_variants);
    suite_add_tcase(suite, tc);
}

/* The operator layer (src/ops) against PyTorch and against naive references,
 * on the kernel tier named by $UPERNET_ISA (run by tests/run-tier.sh).
 *
 * Goldens: data/golden/ops.json.z, written by tools/make_op_goldens.py from
 * torch; inputs are not stored but regenerated here by the same exact
 * integer formula (op_value). Tolerance against torch:
 *   |got - want| <= 1e-5 * (1 + |want|)            resize, pooling, GELU, LN
 *   |got - want| <= 1e-5 * max(1, max|want|)        convolutions (per case)
 * (any faithful float32 evaluation lands within a few ulp of torch's; the
 * conv bound allows torch's different summation order over up to 72 terms).
 * The conv driver is also compared with a double-precision naive conv on
 * shapes that leave ragged row tiles and panels, with strided tensors, and
 * checked bitwise identical across 1, 2 and 3 OpenMP threads. */
#include "config.h"

#include <check.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/dispatch.h"
#include "kernels/gelu.h"
#include "kernels/pack.h"
#include "ops/ops.h"
#include "tests/testutil.h"

static json_t *goldens;

/* ---------------------------------------------------------------- helpers */

/* The generator's input formula (tools/make_op_goldens.py formula()). */
static float op_value(uint64_t seed, uint64_t i, double scale, double offset)
{
    const uint64_t h = ((i * 2654435761ull + seed * 40503ull) & 0xFFFFFFFFull) >> 7;
    const double v = ((double) (h % 257) - 128.0) / 64.0;
    return (float) (v * scale + offset);
}

/* An NHWC tensor (pixel stride `stride` >= c, the gap NaN) whose element
 * (h, w, ch) is the formula at NCHW index (ch*H + h)*W + w. */
static float *formula_nhwc(uint64_t seed, size_t height, size_t width, size_t c, size_t stride,
                           double scale, double offset)
{
    float *t = test_alloc_guarded(height * width * stride, 8);
    for (size_t h = 0; h < height; h++)
        for (size_t w = 0; w < width; w++)
            for (size_t ch = 0; ch < c; ch++)
                t[(h * width + w) * stride + ch] =
                    op_value(seed, (ch * height + h) * width + w, scale, offset);
    return t;
}

static float *formula_vector(uint64_t seed, size_t n, double scale, double offset)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = op_value(seed, i, scale, offset);
    return v;
}

/* Reads and inflates the goldens once (from main, before any test runs, so
 * it reports with printf rather than Check). */
static int load_goldens(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/ops.json.z", test_data_dir());
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        printf("cannot open %s\n", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *z = malloc((size_t) size);
    const size_t got = fread(z, 1, (size_t) size, f);
    fclose(f);
    uLongf cap = (uLongf) size * 8;
    unsigned char *text = NULL;
    int rc = Z_BUF_ERROR;
    while (got == (size_t) size && rc == Z_BUF_ERROR) {
        cap *= 2;
        text = realloc(text, cap);
        uLongf len = cap;
        rc = uncompress(text, &len, z, (uLong) size);
        if (rc == Z_OK)
            cap = len;
    }
    if (rc != Z_OK) {
        printf("%s: cannot read or inflate (zlib %d)\n", path, rc);
        free(z), free(text);
        return 0;
    }
    json_error_t jerr;
    goldens = json_loadb((const char *) text, cap, 0, &jerr);
    free(z), free(text);
    if (goldens == NULL)
        printf("%s: %s\n", path, jerr.text);
    return goldens != NULL;
}

static json_t *golden_case(const char *name)
{
    json_t *c = json_object_get(json_object_get(goldens, "cases"), name);
    ck_assert_msg(c != NULL, "golden case %s missing", name);
    return c;
}

static size_t jsize(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_integer(v), "golden key %s", key);
    return (size_t) json_integer_value(v);
}

static size_t jsize_at(json_t *obj, const char *key, size_t i)
{
    return (size_t) json_integer_value(json_array_get(json_object_get(obj, key), i));
}

static double jfloat_at(json_t *array, size_t i)
{
    return json_number_value(json_array_get(array, i));
}

/* Compares an NHWC result (pixel stride `stride`) with an NCHW golden. */
static void compare_nchw(const char *what, json_t *golden, const float *y, size_t height,
                         size_t width, size_t c, size_t stride, double rtol, double abs_scale)
{
    ck_assert_uint_eq(json_array_size(golden), c * height * width);
    double max_err = 0.0;
    for (size_t ch = 0; ch < c; ch++)
        for (size_t h = 0; h < height; h++)
            for (size_t w = 0; w < width; w++)
                max_err = fmax(max_err, fabs(y[(h * width + w) * stride + ch] -
                                             jfloat_at(golden, (ch * height + h) * width + w)));
    printf("%s: max |got - torch| = %.3g\n", what, max_err);
    for (size_t ch = 0; ch < c; ch++)
        for (size_t h = 0; h < height; h++)
            for (size_t w = 0; w < width; w++) {
                const double want = jfloat_at(golden, (ch * height + h) * width + w);
                const float got = y[(h * width + w) * stride + ch];
                const double tol = rtol * (abs_scale > 0 ? abs_scale : 1.0 + fabs(want));
                ck_assert_msg(fabs(got - want) <= tol,
                              "%s: (c=%zu, y=%zu, x=%zu) got %.9g want %.9g (tol %.3g)", what, ch,
                              h, w, got, want, tol);
            }
}

/* ------------------------------------------------------------ resize */

START_TEST(test_resize_bilinear_against_torch)
{
    json_t *c = json_array_get(golden_case("resize_bilinear"), (size_t) _i);
    const size_t seed = jsize(c, "seed"), ch = jsize(c, "channels");
    const size_t ih = jsize_at(c, "in", 0), iw = jsize_at(c, "in", 1);
    const size_t oh = jsize_at(c, "out", 0), ow = jsize_at(c, "out", 1);
    json_t *golden = json_object_get(c, "y_nchw");
    char what[128];
    snprintf(what, sizeof what, "resize %zux%zu->%zux%zu c=%zu", ih, iw, oh, ow, ch);
    const size_t xs = ch + 2, ys = ch + 1;
    float *x = formula_nhwc(seed, ih, iw, ch, xs, 1.0, 0.0);
    float *y = test_alloc_guarded(oh * ow * ys, 8);
    upernet_error err;
    ck_assert_int_eq(upernet_resize_bilinear(ih, iw, ch, x, xs, oh, ow, y, ys, false, &err),
                     UPERNET_OK);
    compare_nchw(what, golden, y, oh, ow, ch, ys, 1e-5, 0);
    for (size_t p = 0; p < oh * ow; p++)
        ck_assert_msg(isnan(y[p * ys + ch]), "%s wrote the gap of pixel %zu", what, p);
    ck_assert(test_guard_intact(y, oh * ow * ys, 8));

    /* Accumulating form: y = base + up(x). */
    float *base = formula_nhwc(seed + 50, oh, ow, ch, ys, 1.0, 0.0);
    memcpy(y, base, oh * ow * ys * sizeof *y);
    ck_assert_int_eq(upernet_resize_bilinear(ih, iw, ch, x, xs, oh, ow, y, ys, true, &err),
                     UPERNET_OK);
    for (size_t k = 0; k < ch; k++)
        for (size_t p = 0; p < oh * ow; p++) {
            const double want = (double) base[p * ys + k] + jfloat_at(golden, k * oh * ow + p);
            ck_assert_msg(fabs(y[p * ys + k] - want) <= 1e-5 * (1 + fabs(want)),
                          "%s accumulate: c=%zu pixel %zu got %.9g want %.9g", what, k, p,
                          y[p * ys + k], want);
        }

    /* Planar output (the logits layout). */
    float *planes = test_alloc_guarded(ch * oh * ow, 8);
    ck_assert_int_eq(upernet_resize_bilinear_to_planes(upernet_kernels(), ih, iw, ch, x, xs, oh,
                                                       ow, planes, &err),
                     UPERNET_OK);
    for (size_t i = 0; i < ch * oh * ow; i++) {
        const double want = jfloat_at(golden, i);
        ck_assert_msg(fabs(planes[i] - want) <= 1e-5 * (1 + fabs(want)),
                      "%s planes: element %zu got %.9g want %.9g", what, i, planes[i], want);
    }
    ck_assert(test_guard_intact(planes, ch * oh * ow, 8));
    free(x), free(y), free(base), free(planes);
}
END_TEST

/* The planar resize (the logits) against the NHWC one, value for value: the
 * planar form interpolates each source row horizontally (four pixels x four
 * channels per block where SSE2 is there, one at a time at the tails) and
 * then vertically, which must give the bits of upernet_resize_bilinear.
 * Channel and width counts cover the 4x4 blocks, their tails and neither. */
START_TEST(test_resize_planes_equal_nhwc)
{
    static const size_t shapes[][5] = {
        /* in_h, in_w, out_h, out_w, channels */
        {4, 4, 16, 16, 4},  {4, 5, 16, 19, 7},   {3, 9, 12, 9, 150}, {9, 7, 5, 3, 5},
        {6, 6, 11, 13, 1},  {32, 32, 128, 128, 9}, {5, 3, 1, 1, 8},  {2, 2, 7, 4, 17},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const size_t ih = shapes[i][0], iw = shapes[i][1], oh = shapes[i][2], ow = shapes[i][3];
        const size_t ch = shapes[i][4], xs = ch + 3;
        float *x = formula_nhwc(300 + i, ih, iw, ch, xs, 1.0, 0.0);
        float *nhwc = test_alloc_guarded(oh * ow * ch, 8);
        float *planes = test_alloc_guarded(ch * oh * ow, 8);
        upernet_error err;
        ck_assert_int_eq(
            upernet_resize_bilinear(ih, iw, ch, x, xs, oh, ow, nhwc, ch, false, &err), UPERNET_OK);
        ck_assert_int_eq(upernet_resize_bilinear_to_planes(upernet_kernels(), ih, iw, ch, x, xs,
                                                           oh, ow, planes, &err),
                         UPERNET_OK);
        for (size_t k = 0; k < ch; k++)
            for (size_t p = 0; p < oh * ow; p++)
                ck_assert_msg(planes[k * oh * ow + p] == nhwc[p * ch + k],
                              "%zux%zu->%zux%zu c=%zu: channel %zu pixel %zu planar %.9g, NHWC %.9g",
                              ih, iw, oh, ow, ch, k, p, planes[k * oh * ow + p], nhwc[p * ch + k]);
        ck_assert(test_guard_intact(planes, ch * oh * ow, 8));
        free(x), free(nhwc), free(planes);
    }
}
END_TEST

/* docs/SPECIFICATION.md §4.7's worked example: 128 -> 512 (r = 0.25). */
START_TEST(test_resize_known_weights)
{
    float x[128], y[512];
    for (int i = 0; i < 128; i++)
        x[i] = (float) (i * i % 17);
    ck_assert_int_eq(upernet_resize_bilinear(1, 128, 1, x, 1, 1, 512, y, 1, false, NULL),
                     UPERNET_OK);
    ck_assert_float_eq(y[0], x[0]);
    ck_assert_float_eq(y[1], x[0]);
    ck_assert_float_eq_tol(y[2], 0.875f * x[0] + 0.125f * x[1], 1e-6f);
    ck_assert_float_eq(y[511], x[127]);
    ck_assert_float_eq(y[510], x[127]);
}
END_TEST

/* ------------------------------------------------------------ pooling */

START_TEST(test_adaptive_avg_pool_against_torch)
{
    json_t *c = json_array_get(golden_case("adaptive_avg_pool"), (size_t) _i);
    const size_t seed = jsize(c, "seed"), ch = jsize(c, "channels"), s = jsize(c, "size");
    const size_t ih = jsize_at(c, "in", 0), iw = jsize_at(c, "in", 1);
    char what[128];
    snprintf(what, sizeof what, "adaptive pool %zux%zu->%zu c=%zu", ih, iw, s, ch);
    float *x = formula_nhwc(seed, ih, iw, ch, ch + 3, 1.0, 0.0);
    float *y = test_alloc_guarded(s * s * (ch + 1), 8);
    upernet_adaptive_avg_pool(ih, iw, ch, x, ch + 3, s, y, ch + 1);
    compare_nchw(what, json_object_get(c, "y_nchw"), y, s, s, ch, ch + 1, 1e-5, 0);
    ck_assert(test_guard_intact(y, s * s * (ch + 1), 8));
    free(x), free(y);
}
END_TEST

/* ------------------------------------------------------ GELU, layer norm */

START_TEST(test_gelu_against_torch)
{
    json_t *c = golden_case("gelu");
    json_t *y = json_object_get(c, "y");
    const size_t n = jsize(c, "count");
    for (size_t i = 0; i < n; i++) {
        const float x = -8.0f + (float) i / 64.0f;
        const double want = jfloat_at(y, i);
        ck_assert_msg(fabs(upernet_gelu_scalar(x) - want) <= 1e-6 * (1 + fabs(want)),
                      "gelu(%g) = %.9g, torch %.9g", x, upernet_gelu_scalar(x), want);
    }
}
END_TEST

START_TEST(test_layernorm_against_torch)
{
    json_t *c = golden_case("layernorm");
    const size_t pixels = jsize(c, "pixels"), ch = jsize(c, "channels");
    float *x = malloc(pixels * ch * sizeof *x);
    for (size_t i = 0; i < pixels * ch; i++)
        x[i] = op_value(300, i, 1.0, 3.0);
    float *gamma = formula_vector(301, ch, 0.25, 1.0), *beta = formula_vector(302, ch, 0.25, 0);
    float *y = test_alloc_guarded(pixels * ch, 8);
    upernet_layernorm_run(upernet_kernels(), pixels, ch, x, ch, y, ch, gamma, beta, 1e-6f);
    json_t *golden = json_object_get(c, "y");
    for (size_t i = 0; i < pixels * ch; i++) {
        const double want = jfloat_at(golden, i);
        ck_assert_msg(fabs(y[i] - want) <= 1e-5 * (1 + fabs(want)),
                      "layernorm element %zu got %.9g want %.9g", i, y[i], want);
    }
    /* In place gives the same. */
    upernet_layernorm_run(upernet_kernels(), pixels, ch, x, ch, x, ch, gamma, beta, 1e-6f);
    ck_assert(memcmp(x, y, pixels * ch * sizeof *x) == 0);
    free(x), free(y), free(gamma), free(beta);
}
END_TEST

/* ------------------------------------------------------------ convolution */

START_TEST(test_conv_against_torch)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    json_t *c = json_array_get(golden_case("conv"), (size_t) _i);
    const char *name = json_string_value(json_object_get(c, "name"));
    const size_t s = jsize(c, "seed"), cin = jsize(c, "cin"), cout = jsize(c, "cout");
    const size_t k = jsize(c, "kernel"), stride = jsize(c, "stride"), pad = jsize(c, "padding");
    const size_t ih = jsize_at(c, "in", 0), iw = jsize_at(c, "in", 1);
    const size_t oh = jsize_at(c, "out", 0), ow = jsize_at(c, "out", 1);
    const int has_bias = json_is_true(json_object_get(c, "bias"));
    const int bn = json_is_true(json_object_get(c, "bn"));
    const int lsr = json_is_true(json_object_get(c, "layer_scale_residual"));
    const char *act = json_string_value(json_object_get(c, "activation"));
    ck_assert_uint_eq(upernet_conv_out_size(ih, k, stride, pad), oh);
    ck_assert_uint_eq(upernet_conv_out_size(iw, k, stride, pad), ow);

    float *weight = formula_vector(s + 1, cout * cin * k * k, 0.125, 0);
    float *bias = has_bias ? formula_vector(s + 2, cout, 0.5, 0) : NULL;
    float *alpha = NULL, *shift = NULL;
    if (bn) {
        float *gamma = formula_vector(s + 3, cout, 0.25, 1.0);
        float *beta = formula_vector(s + 4, cout, 0.25, 0);
        float *mean = formula_vector(s + 5, cout, 0.25, 0);
        float *var = formula_vector(s + 6, cout, 0.125, 0.5);
        alpha = malloc(cout * sizeof *alpha), shift = malloc(cout * sizeof *shift);
        upernet_fold_batchnorm(cout, gamma, beta, mean, var, 1e-5f, alpha, shift);
        free(gamma), free(beta), free(mean), free(var);
    }
    const size_t nr = t->igemm.nr;
    float *packed = malloc(upernet_pack_conv_floats(cout, cin, k, k, nr) * sizeof *packed);
    upernet_pack_conv(cout, cin, k, k, nr, weight, bn ? shift : bias, alpha, packed);
    struct upernet_conv conv = {cin, cout, k, stride, pad, nr, packed, UPERNET_ACT_NONE, NULL};
    if (strcmp(act, "relu") == 0)
        conv.activation = UPERNET_ACT_RELU;
    else if (strcmp(act, "gelu") == 0)
        conv.activation = UPERNET_ACT_GELU;

    const size_t xs = cin + 1, ys = cout + 2;
    float *x = formula_nhwc(s, ih, iw, cin, xs, 1.0, 0.0);
    float *y = test_alloc_guarded(oh * ow * ys, 8);
    float *scale = NULL;
    if (lsr) { /* residual in place: y starts as the residual */
        float *res = formula_nhwc(s + 7, oh, ow, cout, ys, 1.0, 0.0);
        memcpy(y, res, oh * ow * ys * sizeof *y);
        free(res);
        scale = formula_vector(s + 8, cout, 0.25, 0);
    }
    upernet_error err;
    ck_assert_int_eq(upernet_conv_run(t, &conv, ih, iw, x, xs, y, ys, scale, lsr ? y : NULL,
                                      ys, &err),
                     UPERNET_OK);
    json_t *golden = json_object_get(c, "y_nchw");
    double max_abs = 1.0;
    for (size_t i = 0; i < json_array_size(golden); i++)
        max_abs = fmax(max_abs, fabs(jfloat_at(golden, i)));
    compare_nchw(name, golden, y, oh, ow, cout, ys, 1e-5, max_abs);
    for (size_t p = 0; p < oh * ow; p++)
        for (size_t j = cout; j < ys; j++)
            ck_assert_msg(lsr || isnan(y[p * ys + j]), "%s wrote past cout", name);
    ck_assert(test_guard_intact(y, oh * ow * ys, 8));
    free(weight), free(bias), free(alpha), free(shift), free(packed), free(x), free(y),
        free(scale);
}
END_TEST

/* Double-precision naive conv on ragged shapes, strided in and out. */
struct conv_shape {
    size_t ih, iw, cin, cout, k, stride, pad;
};
static const struct conv_shape naive_shapes[] = {
    {1, 1, 1, 1, 1, 1, 0},   {5, 7, 3, 17, 1, 1, 0},  {9, 11, 5, 7, 3, 1, 1},
    {6, 5, 33, 9, 3, 1, 1},  {13, 9, 4, 21, 3, 2, 1}, {17, 18, 3, 10, 4, 4, 0},
    {9, 8, 6, 40, 2, 2, 0},  {3, 2, 2, 5, 3, 1, 1},   {2, 2, 3, 4, 3, 1, 2},
    {11, 13, 16, 35, 1, 1, 0},
    /* Enough row tiles for several cache blocks and a short last one (and,
     * with a wide panel, the L3-sized blocks): see src/ops/tiles.h. */
    {40, 30, 300, 6, 1, 1, 0},   {70, 70, 256, 3, 3, 1, 1},
};
#define N_NAIVE (sizeof naive_shapes / sizeof naive_shapes[0])

/* dense = 1: x has pixel stride cin (lets unpadded convs merge taps). */
static void run_shape(const struct conv_shape *sh, int dense, enum upernet_activation act,
                      float **out, float **x_out, float **w_out, float **b_out, size_t *xs_out,
                      size_t *ys_out)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const size_t nr = t->igemm.nr;
    const size_t xs = dense ? sh->cin : sh->cin + 3, ys = sh->cout + 1;
    float *x = test_alloc_guarded(sh->ih * sh->iw * xs, 8);
    test_fill_uniform(x, sh->ih * sh->iw * xs, 3 + sh->cin * 17 + sh->ih, -1.0f, 1.0f);
    float *w = malloc(sh->cout * sh->cin * sh->k * sh->k * sizeof *w);
    test_fill_uniform(w, sh->cout * sh->cin * sh->k * sh->k, 5 + sh->cout, -1.0f, 1.0f);
    float *b = malloc(sh->cout * sizeof *b);
    test_fill_uniform(b, sh->cout, 7 + sh->cout, -1.0f, 1.0f);
    float *packed = malloc(upernet_pack_conv_floats(sh->cout, sh->cin, sh->k, sh->k, nr) *
                           sizeof *packed);
    upernet_pack_conv(sh->cout, sh->cin, sh->k, sh->k, nr, w, b, NULL, packed);
    const struct upernet_conv conv = {sh->cin, sh->cout, sh->k, sh->stride, sh->pad, nr, packed,
                                      act, NULL};
    const size_t oh = upernet_conv_out_size(sh->ih, sh->k, sh->stride, sh->pad);
    const size_t ow = upernet_conv_out_size(sh->iw, sh->k, sh->stride, sh->pad);
    float *y = test_alloc_guarded(oh * ow * ys, 8);
    upernet_error err;
    ck_assert_msg(upernet_conv_run(t, &conv, sh->ih, sh->iw, x, xs, y, ys, NULL, NULL, 0, &err) ==
                      UPERNET_OK,
                  "%s", err.message);
    free(packed);
    *out = y, *x_out = x, *w_out = w, *b_out = b, *xs_out = xs, *ys_out = ys;
}

START_TEST(test_conv_against_naive)
{
    const struct conv_shape *sh = &naive_shapes[_i / 2];
    float *y, *x, *w, *b;
    size_t xs, ys;
    run_shape(sh, _i % 2, UPERNET_ACT_NONE, &y, &x, &w, &b, &xs, &ys);
    const size_t oh = upernet_conv_out_size(sh->ih, sh->k, sh->stride, sh->pad);
    const size_t ow = upernet_conv_out_size(sh->iw, sh->k, sh->stride, sh->pad);
    for (size_t oy = 0; oy < oh; oy++)
        for (size_t ox = 0; ox < ow; ox++)
            for (size_t o = 0; o < sh->cout; o++) {
                double acc = b[o], mag = fabs(b[o]);
                for (size_t i = 0; i < sh->cin; i++)
                    for (size_t ky = 0; ky < sh->k; ky++)
                        for (size_t kx = 0; kx < sh->k; kx++) {
                            const long iy = (long) (oy * sh->stride + ky) - (long) sh->pad;
                            const long ix = (long) (ox * sh->stride + kx) - (long) sh->pad;
                            if (iy < 0 || ix < 0 || iy >= (long) sh->ih || ix >= (long) sh->iw)
                                continue;
                            const double p =
                                (double) w[((o * sh->cin + i) * sh->k + ky) * sh->k + kx] *
                                x[((size_t) iy * sh->iw + (size_t) ix) * xs + i];
                            acc += p;
                            mag += fabs(p);
                        }
                const double tol = 2.0 * (double) (sh->cin * sh->k * sh->k + 1) * FLT_EPSILON *
                                   mag + 1e-7;
                const float got = y[(oy * ow + ox) * ys + o];
                ck_assert_msg(fabs(got - acc) <= tol,
                              "conv %zux%zu c%zu->%zu k%zu s%zu p%zu: (%zu,%zu,%zu) got %.9g "
                              "want %.9g",
                              sh->ih, sh->iw, sh->cin, sh->cout, sh->k, sh->stride, sh->pad, oy,
                              ox, o, got, acc);
            }
    for (size_t p = 0; p < oh * ow; p++)
        ck_assert(isnan(y[p * ys + sh->cout]));
    ck_assert(test_guard_intact(y, oh * ow * ys, 8));
    free(y), free(x), free(w), free(b);
}
END_TEST

/* Unpadded convs on dense input merge the taps of a kernel row (see
 * src/ops/conv.c); the result must equal that of the per-tap path. */
START_TEST(test_merged_taps_same_bits)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const struct conv_shape shapes[] = {{17, 18, 3, 10, 4, 4, 0}, {9, 8, 6, 40, 2, 2, 0},
                                        {7, 9, 5, 7, 3, 1, 0}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const struct conv_shape *sh = &shapes[si];
        const size_t nr = t->igemm.nr, xs = sh->cin + 2;
        const size_t oh = upernet_conv_out_size(sh->ih, sh->k, sh->stride, sh->pad);
        const size_t ow = upernet_conv_out_size(sh->iw, sh->k, sh->stride, sh->pad);
        float *dense = malloc(sh->ih * sh->iw * sh->cin * sizeof *dense);
        float *strided = malloc(sh->ih * sh->iw * xs * sizeof *strided);
        test_fill_uniform(dense, sh->ih * sh->iw * sh->cin, 61 + si, -1.0f, 1.0f);
        for (size_t p = 0; p < sh->ih * sh->iw; p++)
            memcpy(strided + p * xs, dense + p * sh->cin, sh->cin * sizeof *dense);
        float *w = malloc(sh->cout * sh->cin * sh->k * sh->k * sizeof *w);
        test_fill_uniform(w, sh->cout * sh->cin * sh->k * sh->k, 67 + si, -1.0f, 1.0f);
        float *packed = malloc(upernet_pack_conv_floats(sh->cout, sh->cin, sh->k, sh->k, nr) *
                               sizeof *packed);
        upernet_pack_conv(sh->cout, sh->cin, sh->k, sh->k, nr, w, NULL, NULL, packed);
        const struct upernet_conv conv = {sh->cin, sh->cout, sh->k, sh->stride, 0, nr, packed,
                                          UPERNET_ACT_NONE, NULL};
        float *y1 = malloc(oh * ow * sh->cout * sizeof *y1);
        float *y2 = malloc(oh * ow * sh->cout * sizeof *y2);
        ck_assert_int_eq(upernet_conv_run(t, &conv, sh->ih, sh->iw, dense, sh->cin, y1, sh->cout,
                                          NULL, NULL, 0, NULL),
                         UPERNET_OK);
        ck_assert_int_eq(upernet_conv_run(t, &conv, sh->ih, sh->iw, strided, xs, y2, sh->cout,
                                          NULL, NULL, 0, NULL),
                         UPERNET_OK);
        /* Bitwise with the scalar kernel (one running sum per element); a
         * SIMD kernel may split the k loop into several partial sums, whose
         * association then depends on kc: a tolerance there. */
        if (t->isa == UPERNET_ISA_SCALAR)
            ck_assert_msg(memcmp(y1, y2, oh * ow * sh->cout * sizeof *y1) == 0,
                          "merged taps change the bits of shape %zu", si);
        size_t worst;
        ck_assert_msg(test_max_scaled_error(y1, y2, oh * ow * sh->cout, 1e-5, 1e-5, &worst) <= 1,
                      "merged taps change shape %zu at %zu: %.9g vs %.9g", si, worst, y1[worst],
                      y2[worst]);
        free(dense), free(strided), free(w), free(packed), free(y1), free(y2);
    }
}
END_TEST

/* The concat-free conv equals the conv over a materialised concatenation
 * (resize into strided slices + copy): sources at the input size, smaller
 * (upsampled) and 1x1, unequal widths (kc = gcd = 4), 3x3 padded and 1x1. */
START_TEST(test_conv_sources_equal_materialised)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const size_t in_h = 9, in_w = 7, nr = t->igemm.nr;
    const size_t dims[4][3] = {{9, 7, 8}, {5, 4, 8}, {3, 3, 12}, {1, 1, 4}};
    const size_t total = 8 + 8 + 12 + 4, cout = 2 * nr + 3;
    struct upernet_conv_source src[4];
    float *data[4];
    for (size_t j = 0; j < 4; j++) {
        const size_t stride = dims[j][2] + j; /* strided and dense sources */
        data[j] = malloc(dims[j][0] * dims[j][1] * stride * sizeof(float));
        test_fill_uniform(data[j], dims[j][0] * dims[j][1] * stride, 71 + j, -1.0f, 1.0f);
        src[j] = (struct upernet_conv_source){data[j], dims[j][0], dims[j][1], dims[j][2], stride};
    }
    float *cat = malloc(in_h * in_w * total * sizeof *cat);
    size_t offset = 0;
    for (size_t j = 0; j < 4; j++) {
        if (j == 0)
            upernet_copy_channels(in_h * in_w, dims[0][2], data[0], src[0].pixel_stride, cat,
                                  total);
        else
            ck_assert_int_eq(upernet_resize_bilinear(dims[j][0], dims[j][1], dims[j][2], data[j],
                                                     src[j].pixel_stride, in_h, in_w,
                                                     cat + offset, total, false, NULL),
                             UPERNET_OK);
        offset += dims[j][2];
    }
    for (size_t kernel = 1; kernel <= 3; kernel += 2) {
        const size_t pad = kernel / 2;
        float *w = malloc(cout * total * kernel * kernel * sizeof *w);
        test_fill_uniform(w, cout * total * kernel * kernel, 79 + kernel, -1.0f, 1.0f);
        float *b = malloc(cout * sizeof *b);
        test_fill_uniform(b, cout, 83, -1.0f, 1.0f);
        float *packed = malloc(upernet_pack_conv_floats(cout, total, kernel, kernel, nr) *
                               sizeof *packed);
        upernet_pack_conv(cout, total, kernel, kernel, nr, w, b, NULL, packed);
        const struct upernet_conv conv = {total, cout, kernel, 1, pad, nr, packed,
                                          UPERNET_ACT_RELU, NULL};
        const size_t n = in_h * in_w * cout;
        float *want = malloc(n * sizeof *want), *got = test_alloc_guarded(n, 8);
        upernet_error err;
        ck_assert_int_eq(upernet_conv_run(t, &conv, in_h, in_w, cat, total, want, cout, NULL,
                                          NULL, 0, &err),
                         UPERNET_OK);
        for (int threads = 1; threads <= 2; threads++) {
#ifdef _OPENMP
            omp_set_num_threads(threads);
#endif
            ck_assert_msg(upernet_conv_run_sources(t, &conv, in_h, in_w, src, 4, got, cout, NULL,
                                                   NULL, 0, &err) == UPERNET_OK,
                          "%s", err.message);
            if (t->isa == UPERNET_ISA_SCALAR)
                ck_assert_msg(memcmp(want, got, n * sizeof *got) == 0,
                              "kernel %zu: concat-free conv differs from the materialised one",
                              kernel);
            size_t worst;
            ck_assert_msg(test_max_scaled_error(got, want, n, 1e-5, 1e-5, &worst) <= 1,
                          "kernel %zu, %d threads: element %zu got %.9g want %.9g", kernel,
                          threads, worst, got[worst], want[worst]);
            ck_assert(test_guard_intact(got, n, 8));
        }
        /* Channels that do not add up are refused. */
        struct upernet_conv wrong = conv;
        wrong.in_channels = total + 4;
        ck_assert_int_eq(upernet_conv_run_sources(t, &wrong, in_h, in_w, src, 4, got, cout, NULL,
                                                  NULL, 0, &err),
                         UPERNET_ERR_MISMATCH);
        free(w), free(b), free(packed), free(want), free(got);
    }
    for (size_t j = 0; j < 4; j++)
        free(data[j]);
    free(cat);
}
END_TEST

START_TEST(test_conv_rejects_mismatched_packing)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    float dummy[64] = {0};
    const struct upernet_conv conv = {1, 1, 1, 1, 0, t->igemm.nr + 1, dummy, UPERNET_ACT_NONE, NULL};
    upernet_error err;
    ck_assert_int_eq(upernet_conv_run(t, &conv, 1, 1, dummy, 1, dummy, 1, NULL, NULL, 0, &err),
                     UPERNET_ERR_MISMATCH);
    ck_assert(strstr(err.message, "nr=") != NULL);
    const struct upernet_conv big = {1, 1, 3, 1, 0, t->igemm.nr, dummy, UPERNET_ACT_NONE, NULL};
    ck_assert_int_eq(upernet_conv_run(t, &big, 2, 2, dummy, 1, dummy, 1, NULL, NULL, 0, &err),
                     UPERNET_ERR_ARGUMENT);
    ck_assert_uint_eq(upernet_conv_out_size(9, 2, 2, 0), 4);
    ck_assert_uint_eq(upernet_conv_out_size(18, 4, 4, 0), 4);
    ck_assert_uint_eq(upernet_conv_out_size(2, 3, 1, 0), 0);
}
END_TEST

/* ------------------------------------------------- thread-count invariance */

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void) n;
#endif
}

START_TEST(test_bitwise_identical_across_threads)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const struct conv_shape shapes[] = {{17, 13, 16, 24, 3, 1, 1}, {16, 15, 9, 37, 2, 2, 0},
                                        {23, 19, 40, 12, 1, 1, 0}, {40, 30, 300, 6, 1, 1, 0}};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        float *ref = NULL;
        size_t n = 0;
        for (int threads = 1; threads <= 3; threads++) {
            set_threads(threads);
            float *y, *x, *w, *b;
            size_t xs, ys;
            run_shape(&shapes[si], 1, UPERNET_ACT_GELU, &y, &x, &w, &b, &xs, &ys);
            const size_t oh = upernet_conv_out_size(shapes[si].ih, shapes[si].k,
                                                    shapes[si].stride, shapes[si].pad);
            const size_t ow = upernet_conv_out_size(shapes[si].iw, shapes[si].k,
                                                    shapes[si].stride, shapes[si].pad);
            if (ref == NULL) {
                n = oh * ow * ys;
                ref = y;
            } else {
                ck_assert_msg(memcmp(ref, y, n * sizeof *y) == 0,
                              "conv shape %zu differs between 1 and %d threads", si, threads);
                free(y);
            }
            free(x), free(w), free(b);
        }
        free(ref);
    }

    /* dwconv, layer norm, resize and pooling split rows, pixels or cells
     * and channel runs: same bits too (19 channels: a run and a tail). */
    const size_t h = 13, w = 11, c = 19;
    float *x = malloc(h * w * c * sizeof *x), *wt = malloc(49 * c * sizeof *wt);
    float *bias = malloc(c * sizeof *bias), *y1 = malloc(h * w * c * sizeof *y1);
    float *y2 = malloc(h * w * c * sizeof *y2);
    float *up1 = malloc(29 * 31 * c * sizeof *up1), *up2 = malloc(29 * 31 * c * sizeof *up2);
    float pooled1[3 * 3 * 19], pooled2[3 * 3 * 19];
    test_fill_uniform(x, h * w * c, 41, -1.0f, 1.0f);
    test_fill_uniform(wt, 49 * c, 43, -1.0f, 1.0f);
    test_fill_uniform(bias, c, 47, -1.0f, 1.0f);
    set_threads(1);
    upernet_dwconv7x7_run(t, h, w, c, x, wt, bias, y1);
    upernet_layernorm_run(t, h * w, c, y1, c, y1, c, wt, bias, 1e-6f);
    ck_assert_int_eq(upernet_resize_bilinear(h, w, c, y1, c, 29, 31, up1, c, false, NULL),
                     UPERNET_OK);
    upernet_adaptive_avg_pool(h, w, c, y1, c, 3, pooled1, c);
    set_threads(2);
    upernet_dwconv7x7_run(t, h, w, c, x, wt, bias, y2);
    upernet_layernorm_run(t, h * w, c, y2, c, y2, c, wt, bias, 1e-6f);
    ck_assert_int_eq(upernet_resize_bilinear(h, w, c, y2, c, 29, 31, up2, c, false, NULL),
                     UPERNET_OK);
    upernet_adaptive_avg_pool(h, w, c, y2, c, 3, pooled2, c);
    ck_assert(memcmp(y1, y2, h * w * c * sizeof *y1) == 0);
    ck_assert(memcmp(pooled1, pooled2, sizeof pooled1) == 0);
    ck_assert(memcmp(up1, up2, 29 * 31 * c * sizeof *up1) == 0);
    free(x), free(wt), free(bias), free(y1), free(y2), free(up1), free(up2);
}
END_TEST

/* The dwconv driver equals one whole-map kernel call, and copy_channels
 * copies exactly the slice. */
START_TEST(test_dwconv_driver_and_copy)
{
    const struct upernet_kernel_table *t = upernet_kernels();
    const size_t h = 10, w = 6, c = 9;
    float *x = malloc(h * w * c * sizeof *x), *wt = malloc(49 * c * sizeof *wt);
    float *bias = malloc(c * sizeof *bias), *y1 = malloc(h * w * c * sizeof *y1);
    float *y2 = malloc(h * w * c * sizeof *y2);
    test_fill_uniform(x, h * w * c, 51, -1.0f, 1.0f);
    test_fill_uniform(wt, 49 * c, 53, -1.0f, 1.0f);
    test_fill_uniform(bias, c, 57, -1.0f, 1.0f);
    set_threads(3);
    upernet_dwconv7x7_run(t, h, w, c, x, wt, bias, y1);
    t->dwconv7x7.fn(h, w, c, 0, h, x, wt, bias, y2);
    ck_assert(memcmp(y1, y2, h * w * c * sizeof *y1) == 0);

    float *cat = test_alloc_guarded(h * w * 20, 8);
    upernet_copy_channels(h * w, c, x, c, cat + 4, 20);
    for (size_t p = 0; p < h * w; p++)
        for (size_t j = 0; j < 20; j++) {
            if (j >= 4 && j < 4 + c)
                ck_assert_float_eq(cat[p * 20 + j], x[p * c + j - 4]);
            else
                ck_assert(isnan(cat[p * 20 + j]));
        }
    free(x), free(wt), free(bias), free(y1), free(y2), free(cat);
}
END_TEST

int main(void)
{
    test_select_tier("test_ops");
    /* Counts of the golden arrays, read once here to size the loop tests. */
    if (!load_goldens())
        return 1;
    json_t *cases = json_object_get(goldens, "cases");
    const int n_resize = (int) json_array_size(json_object_get(cases, "resize_bilinear"));
    const int n_pool = (int) json_array_size(json_object_get(cases, "adaptive_avg_pool"));
    const int n_conv = (int) json_array_size(json_object_get(cases, "conv"));
    printf("test_ops: tier %s, goldens from torch %s\n", upernet_isa_name(upernet_active_isa()),
           json_string_value(json_object_get(goldens, "torch")));

    Suite *suite = suite_create("ops");
    TCase *tc = tcase_create("against torch");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_resize_bilinear_against_torch, 0, n_resize);
    tcase_add_test(tc, test_resize_planes_equal_nhwc);
    tcase_add_test(tc, test_resize_known_weights);
    tcase_add_loop_test(tc, test_adaptive_avg_pool_against_torch, 0, n_pool);
    tcase_add_test(tc, test_gelu_against_torch);
    tcase_add_test(tc, test_layernorm_against_torch);
    tcase_add_loop_test(tc, test_conv_against_torch, 0, n_conv);
    suite_add_tcase(suite, tc);

    tc = tcase_create("drivers");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_conv_against_naive, 0, (int) (2 * N_NAIVE));
    tcase_add_test(tc, test_merged_taps_same_bits);
    tcase_add_test(tc, test_conv_sources_equal_materialised);
    tcase_add_test(tc, test_conv_rejects_mismatched_packing);
    tcase_add_test(tc, test_bitwise_identical_across_threads);
    tcase_add_test(tc, test_dwconv_driver_and_copy);
    suite_add_tcase(suite, tc);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    json_decref(goldens);
    return failed == 0 ? 0 : 1;
}

/* f32 bilinear vertical step + argmax over class planes, one body for every
 * SIMD tier: a tier's wrapper (f32-bilinear-argmax-<W>p-<isa>.c) includes
 * its kernels/simd/vec-<isa>.h, defines UPERNET_BILINEAR_ARGMAX_FN as the
 * function's name and includes this file. One vector holds VEC_WIDTH
 * neighbouring output pixels (W) of one class.
 *
 * Contract: as the scalar reference (f32-bilinear-argmax-scalar.c).
 * Order:   pixels outer, classes inner: the running maximum and its class
 *          stay in two registers for all classes, and each class row is read
 *          once (a stream per input row, class_stride apart).
 * Tails:   the last width % W pixels load through the vec layer's masked
 *          loads (disabled lanes read nothing and are never stored).
 * Numerics: l0*a and l1*b are rounded products and their sum is a separate
 *          rounding: UPERNET_NO_FP_CONTRACT keeps the compiler from fusing
 *          vec_mul into vec_add (tier sources are built with -mfma), so the
 *          values, hence the classes, are the scalar reference's. The class
 *          index is carried as a float (exact below 2^24). The winner test
 *          !(v <= best) && best == best is the reference's, lane by lane. */
#ifndef UPERNET_BILINEAR_ARGMAX_FN
#error "define UPERNET_BILINEAR_ARGMAX_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include <stdbool.h>

#include "kernels/microkernels.h"

VEC_INLINE vec_t load_lanes(const float *p, bool whole, vec_mask_t lanes)
{
    return whole ? vec_loadu(p) : vec_load_masked(p, lanes);
}

/* W pixels from x on (n of them enabled by `lanes` when !whole). */
VEC_INLINE void argmax_block(size_t classes, const float *h0, const float *h1,
                             size_t class_stride, vec_t w0, vec_t w1, bool whole,
                             vec_mask_t lanes, size_t n, uint16_t *out)
{
    vec_t best = vec_add(vec_mul(w0, load_lanes(h0, whole, lanes)),
                         vec_mul(w1, load_lanes(h1, whole, lanes)));
    vec_t best_class = vec_zero();
    for (size_t k = 1; k < classes; k++) {
        const vec_t a = load_lanes(h0 + k * class_stride, whole, lanes);
        const vec_t b = load_lanes(h1 + k * class_stride, whole, lanes);
        const vec_t v = vec_add(vec_mul(w0, a), vec_mul(w1, b));
        const vec_pred_t wins = vec_pred_and(vec_not_le(v, best), vec_is_number(best));
        best = vec_select(wins, v, best);
        best_class = vec_select(wins, vec_set1((float) k), best_class);
    }
    float lane_class[VEC_WIDTH];
    vec_storeu(lane_class, best_class);
    for (size_t j = 0; j < n; j++)
        out[j] = (uint16_t) lane_class[j];
}

UPERNET_NO_FP_CONTRACT
void UPERNET_BILINEAR_ARGMAX_FN(size_t classes, size_t width, const float *h0, const float *h1,
                                size_t class_stride, float l0, float l1, uint16_t *out)
{
    const vec_t w0 = vec_set1(l0), w1 = vec_set1(l1);
    size_t x = 0;
    for (; x + VEC_WIDTH <= width; x += VEC_WIDTH)
        argmax_block(classes, h0 + x, h1 + x, class_stride, w0, w1, true, vec_mask_tail(0),
                     VEC_WIDTH, out + x);
    if (x < width)
        argmax_block(classes, h0 + x, h1 + x, class_stride, w0, w1, false,
                     vec_mask_tail(width - x), width - x, out + x);
}

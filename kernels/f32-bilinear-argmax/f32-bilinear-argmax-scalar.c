/* f32 bilinear vertical step + argmax over class planes, scalar reference
 * (every SIMD variant is tested against it, class for class).
 *
 * Contract (kernels/microkernels.h, upernet_f32_bilinear_argmax_fn):
 *   layout   h0, h1: `classes` rows of `width` floats, row k at
 *            k*class_stride (two horizontally interpolated source rows of
 *            every class); out: width class indices.
 *   math     out[x] = argmax over k of l0*h0[k][x] + l1*h1[k][x]: two
 *            products rounded to float, then their sum (never fused, so
 *            every tier gives the same value); a later class wins only
 *            when strictly greater (ties keep the lowest index), a NaN wins
 *            over numbers and the first NaN stays (torch.argmax).
 *   writes   exactly width entries of out.
 *   tails    any classes in [1, 65536], any width >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

UPERNET_NO_FP_CONTRACT
void upernet_f32_bilinear_argmax_ukernel__scalar(size_t classes, size_t width, const float *h0,
                                                 const float *h1, size_t class_stride, float l0,
                                                 float l1, uint16_t *out)
{
    for (size_t x = 0; x < width; x++) {
        float best = l0 * h0[x] + l1 * h1[x];
        size_t best_class = 0;
        for (size_t k = 1; k < classes; k++) {
            const float v = l0 * h0[k * class_stride + x] + l1 * h1[k * class_stride + x];
            if (!(v <= best) && best == best) {
                best = v;
                best_class = k;
            }
        }
        out[x] = (uint16_t) best_class;
    }
}

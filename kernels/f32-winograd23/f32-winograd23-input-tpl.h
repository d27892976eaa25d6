/* f32 Winograd F(2x2,3x3) input transform, one body for every SIMD tier: a
 * tier's wrapper (f32-winograd23-input-<W>c-<isa>.c) includes its
 * kernels/simd/vec-<isa>.h, defines UPERNET_WINOGRAD23_INPUT_FN as the
 * function's name and includes this file. One vector holds VEC_WIDTH
 * channels (W).
 *
 * Contract: as the scalar reference (f32-winograd23-input-scalar.c):
 *   layout   patch pixel (r, q) at x + r*x_row_stride + q*x_pixel_stride; position
 *            xi at v + xi*v_stride.
 *   math     the reference's additions in the reference's order, per lane.
 *   reads    only the patch's channels; the last channels % W through the vec
 *            layer's masked loads (no disabled lane is read).
 *   writes   16 x channels floats, the tail by masked stores.
 *   tails    any channels >= 1. */
#ifndef UPERNET_WINOGRAD23_INPUT_FN
#error "define UPERNET_WINOGRAD23_INPUT_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include <stdbool.h>

#include "kernels/microkernels.h"

/* One vector of channels; masked: the tail. */
VEC_INLINE void transform_vector(const float *x, size_t x_row_stride, size_t x_pixel_stride,
                                 float *v, size_t v_stride, bool masked, vec_mask_t mask)
{
    vec_t t[4][4];
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++) {
        vec_t d[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < 4; r++) {
            const float *p = x + r * x_row_stride + q * x_pixel_stride;
            d[r] = masked ? vec_load_masked(p, mask) : vec_loadu(p);
        }
        t[0][q] = vec_sub(d[0], d[2]);
        t[1][q] = vec_add(d[1], d[2]);
        t[2][q] = vec_sub(d[2], d[1]);
        t[3][q] = vec_sub(d[1], d[3]);
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) {
        vec_t o[4];
        o[0] = vec_sub(t[i][0], t[i][2]);
        o[1] = vec_add(t[i][1], t[i][2]);
        o[2] = vec_sub(t[i][2], t[i][1]);
        o[3] = vec_sub(t[i][1], t[i][3]);
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++) {
            float *p = v + (4 * i + j) * v_stride;
            if (masked)
                vec_store_masked(p, mask, o[j]);
            else
                vec_storeu(p, o[j]);
        }
    }
}

void UPERNET_WINOGRAD23_INPUT_FN(size_t channels, const float *x, size_t x_row_stride,
                                 size_t x_pixel_stride, float *v, size_t v_stride)
{
    size_t c = 0;
    for (; c + VEC_WIDTH <= channels; c += VEC_WIDTH)
        transform_vector(x + c, x_row_stride, x_pixel_stride, v + c, v_stride, false,
                         vec_mask_tail(0));
    if (c < channels)
        transform_vector(x + c, x_row_stride, x_pixel_stride, v + c, v_stride, true,
                         vec_mask_tail(channels - c));
}

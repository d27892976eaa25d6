/* f32 Winograd F(2x2,3x3) output transform with bias and activation, one
 * body for every SIMD tier: a tier's wrapper
 * (f32-winograd23-output-<W>c-<isa>.c) includes its kernels/simd/vec-<isa>.h,
 * defines UPERNET_WINOGRAD23_OUTPUT_FN as the function's name and includes
 * this file. One vector holds VEC_WIDTH channels (W).
 *
 * Contract: as the scalar reference (f32-winograd23-output-scalar.c):
 *   layout   position xi at m + xi*m_stride; output pixel (r, q) at
 *            y + r*y_row_stride + q*y_pixel_stride.
 *   math     the reference's additions in its order, + bias, then ReLU as
 *            vec_max_keep_nan(v, 0) (keeps NaN, like the reference; NEON's
 *            FMAX gives +0 where the reference keeps -0, equal as numbers).
 *   reads    16 x channels of m and channels of bias; the last channels % W
 *            through the vec layer's masked loads (no disabled lane is read).
 *   writes   rows x cols pixels, the tail by masked stores.
 *   tails    any channels >= 1, rows and cols in {1, 2}. */
#ifndef UPERNET_WINOGRAD23_OUTPUT_FN
#error "define UPERNET_WINOGRAD23_OUTPUT_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include <stdbool.h>

#include "kernels/microkernels.h"

VEC_INLINE vec_t load(const float *p, bool masked, vec_mask_t mask)
{
    return masked ? vec_load_masked(p, mask) : vec_loadu(p);
}

/* One vector of channels; masked: the tail. */
VEC_INLINE void transform_vector(const float *m, size_t m_stride, const float *bias, bool relu,
                                 float *y, size_t y_row_stride, size_t y_pixel_stride,
                                 size_t rows, size_t cols, bool masked, vec_mask_t mask)
{
    vec_t s[2][4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++) {
        const vec_t m0 = load(m + (0 + j) * m_stride, masked, mask);
        const vec_t m1 = load(m + (4 + j) * m_stride, masked, mask);
        const vec_t m2 = load(m + (8 + j) * m_stride, masked, mask);
        const vec_t m3 = load(m + (12 + j) * m_stride, masked, mask);
        s[0][j] = vec_add(vec_add(m0, m1), m2);
        s[1][j] = vec_sub(vec_sub(m1, m2), m3);
    }
    const vec_t b = load(bias, masked, mask);
    for (size_t r = 0; r < rows; r++) {
        vec_t out[2];
        out[0] = vec_add(vec_add(vec_add(s[r][0], s[r][1]), s[r][2]), b);
        out[1] = vec_add(vec_sub(vec_sub(s[r][1], s[r][2]), s[r][3]), b);
        for (size_t q = 0; q < cols; q++) {
            vec_t o = out[q];
            if (relu)
                o = vec_max_keep_nan(o, vec_zero());
            float *p = y + r * y_row_stride + q * y_pixel_stride;
            if (masked)
                vec_store_masked(p, mask, o);
            else
                vec_storeu(p, o);
        }
    }
}

void UPERNET_WINOGRAD23_OUTPUT_FN(size_t channels, const float *m, size_t m_stride,
                                  const float *bias, enum upernet_activation act, float *y,
                                  size_t y_row_stride, size_t y_pixel_stride, size_t rows,
                                  size_t cols)
{
    const bool relu = act == UPERNET_ACT_RELU;
    size_t c = 0;
    for (; c + VEC_WIDTH <= channels; c += VEC_WIDTH)
        transform_vector(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride,
                         rows, cols, false, vec_mask_tail(0));
    if (c < channels)
        transform_vector(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride,
                         rows, cols, true, vec_mask_tail(channels - c));
}

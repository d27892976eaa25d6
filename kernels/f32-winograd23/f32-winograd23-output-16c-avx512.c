/* f32 Winograd F(2x2,3x3) output transform with bias and activation,
 * AVX-512F, 16 channels per vector.
 *
 * Contract: as the scalar reference (f32-winograd23-output-scalar.c):
 *   layout   position xi at m + xi*m_stride; output pixel (r, q) at
 *            y + r*y_row_stride + q*y_pixel_stride.
 *   math     the reference's additions in its order, + bias, then ReLU as
 *            max(0, v) (keeps NaN, like the reference).
 *   reads    16 x channels of m and channels of bias; the last channels % 16
 *            through zero-masked loads (masked lanes are never read).
 *   writes   rows x cols pixels, the tail by masked stores.
 *   tails    any channels >= 1, rows and cols in {1, 2}. */
#include "config.h"

#include <immintrin.h>
#include <stdbool.h>

#include "kernels/microkernels.h"

static inline __attribute__((always_inline)) void transform16(
    const float *m, size_t m_stride, const float *bias, bool relu, float *y, size_t y_row_stride,
    size_t y_pixel_stride, size_t rows, size_t cols, __mmask16 mask)
{
    __m512 s[2][4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++) {
        const __m512 m0 = _mm512_maskz_loadu_ps(mask, m + (0 + j) * m_stride);
        const __m512 m1 = _mm512_maskz_loadu_ps(mask, m + (4 + j) * m_stride);
        const __m512 m2 = _mm512_maskz_loadu_ps(mask, m + (8 + j) * m_stride);
        const __m512 m3 = _mm512_maskz_loadu_ps(mask, m + (12 + j) * m_stride);
        s[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
        s[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
    }
    const __m512 b = _mm512_maskz_loadu_ps(mask, bias);
    for (size_t r = 0; r < rows; r++) {
        __m512 out[2];
        out[0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[r][0], s[r][1]), s[r][2]), b);
        out[1] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s[r][1], s[r][2]), s[r][3]), b);
        for (size_t q = 0; q < cols; q++) {
            __m512 o = out[q];
            if (relu)
                o = _mm512_max_ps(_mm512_setzero_ps(), o);
            _mm512_mask_storeu_ps(y + r * y_row_stride + q * y_pixel_stride, mask, o);
        }
    }
}

void upernet_f32_winograd23_output_ukernel_16c__avx512(size_t channels, const float *m,
                                                       size_t m_stride, const float *bias,
                                                       enum upernet_activation act, float *y,
                                                       size_t y_row_stride,
                                                       size_t y_pixel_stride, size_t rows,
                                                       size_t cols)
{
    const bool relu = act == UPERNET_ACT_RELU;
    size_t c = 0;
    for (; c + 16 <= channels; c += 16)
        transform16(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride, rows,
                    cols, (__mmask16) 0xffff);
    if (c < channels)
        transform16(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride, rows,
                    cols, _cvtu32_mask16((1u << (channels - c)) - 1u));
}

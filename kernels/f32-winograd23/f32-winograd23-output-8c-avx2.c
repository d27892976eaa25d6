/* f32 Winograd F(2x2,3x3) output transform with bias and activation, AVX2,
 * 8 channels per vector.
 *
 * Contract: as the scalar reference (f32-winograd23-output-scalar.c):
 *   layout   position xi at m + xi*m_stride; output pixel (r, q) at
 *            y + r*y_row_stride + q*y_pixel_stride.
 *   math     the reference's additions in its order, + bias, then ReLU as
 *            max(0, v) (keeps NaN, like the reference).
 *   reads    16 x channels of m and channels of bias; the last channels % 8
 *            through _mm256_maskload_ps (no masked lane is read).
 *   writes   rows x cols pixels, the tail by _mm256_maskstore_ps.
 *   tails    any channels >= 1, rows and cols in {1, 2}. */
#include "config.h"

#include <immintrin.h>
#include <stdbool.h>

#include "kernels/microkernels.h"

static inline __attribute__((always_inline)) __m256 load(const float *p, bool masked,
                                                         __m256i mask)
{
    return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

static inline __attribute__((always_inline)) void transform8(
    const float *m, size_t m_stride, const float *bias, bool relu, float *y, size_t y_row_stride,
    size_t y_pixel_stride, size_t rows, size_t cols, bool masked, __m256i mask)
{
    __m256 s[2][4];
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; j++) {
        const __m256 m0 = load(m + (0 + j) * m_stride, masked, mask);
        const __m256 m1 = load(m + (4 + j) * m_stride, masked, mask);
        const __m256 m2 = load(m + (8 + j) * m_stride, masked, mask);
        const __m256 m3 = load(m + (12 + j) * m_stride, masked, mask);
        s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 b = load(bias, masked, mask);
    for (size_t r = 0; r < rows; r++) {
        __m256 out[2];
        out[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]), b);
        out[1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3]), b);
        for (size_t q = 0; q < cols; q++) {
            __m256 o = out[q];
            if (relu)
                o = _mm256_max_ps(_mm256_setzero_ps(), o);
            float *p = y + r * y_row_stride + q * y_pixel_stride;
            if (masked)
                _mm256_maskstore_ps(p, mask, o);
            else
                _mm256_storeu_ps(p, o);
        }
    }
}

void upernet_f32_winograd23_output_ukernel_8c__avx2(size_t channels, const float *m,
                                                    size_t m_stride, const float *bias,
                                                    enum upernet_activation act, float *y,
                                                    size_t y_row_stride, size_t y_pixel_stride,
                                                    size_t rows, size_t cols)
{
    const bool relu = act == UPERNET_ACT_RELU;
    const __m256i none = _mm256_setzero_si256();
    size_t c = 0;
    for (; c + 8 <= channels; c += 8)
        transform8(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride, rows,
                   cols, false, none);
    if (c < channels) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) (channels - c)), lane);
        transform8(m + c, m_stride, bias + c, relu, y + c, y_row_stride, y_pixel_stride, rows,
                   cols, true, mask);
    }
}

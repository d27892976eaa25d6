/* f32 Winograd F(2x2,3x3) input transform, AVX2, 8 channels per vector.
 *
 * Contract: as the scalar reference (f32-winograd23-input-scalar.c):
 *   layout   patch pixel (r, q) at x + r*x_row_stride + q*x_pixel_stride; position
 *            xi at v + xi*v_stride.
 *   math     the reference's additions in the reference's order, per lane.
 *   reads    only the patch's channels; the last channels % 8 go through
 *            _mm256_maskload_ps (no masked lane is read).
 *   writes   16 x channels floats, the tail by _mm256_maskstore_ps.
 *   tails    any channels >= 1. */
#include "config.h"

#include <immintrin.h>
#include <stdbool.h>

#include "kernels/microkernels.h"

static inline __attribute__((always_inline)) void transform8(const float *x, size_t x_row_stride,
                                                             size_t x_pixel_stride, float *v,
                                                             size_t v_stride, bool masked,
                                                             __m256i mask)
{
    __m256 t[4][4];
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++) {
        __m256 d[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < 4; r++) {
            const float *p = x + r * x_row_stride + q * x_pixel_stride;
            d[r] = masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
        }
        t[0][q] = _mm256_sub_ps(d[0], d[2]);
        t[1][q] = _mm256_add_ps(d[1], d[2]);
        t[2][q] = _mm256_sub_ps(d[2], d[1]);
        t[3][q] = _mm256_sub_ps(d[1], d[3]);
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) {
        __m256 o[4];
        o[0] = _mm256_sub_ps(t[i][0], t[i][2]);
        o[1] = _mm256_add_ps(t[i][1], t[i][2]);
        o[2] = _mm256_sub_ps(t[i][2], t[i][1]);
        o[3] = _mm256_sub_ps(t[i][1], t[i][3]);
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++) {
            float *p = v + (4 * i + j) * v_stride;
            if (masked)
                _mm256_maskstore_ps(p, mask, o[j]);
            else
                _mm256_storeu_ps(p, o[j]);
        }
    }
}

void upernet_f32_winograd23_input_ukernel_8c__avx2(size_t channels, const float *x,
                                                   size_t x_row_stride, size_t x_pixel_stride,
                                                   float *v, size_t v_stride)
{
    const __m256i none = _mm256_setzero_si256();
    size_t c = 0;
    for (; c + 8 <= channels; c += 8)
        transform8(x + c, x_row_stride, x_pixel_stride, v + c, v_stride, false, none);
    if (c < channels) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) (channels - c)), lane);
        transform8(x + c, x_row_stride, x_pixel_stride, v + c, v_stride, true, mask);
    }
}

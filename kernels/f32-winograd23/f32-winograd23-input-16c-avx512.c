/* f32 Winograd F(2x2,3x3) input transform, AVX-512F, 16 channels per vector.
 *
 * Contract: as the scalar reference (f32-winograd23-input-scalar.c):
 *   layout   patch pixel (r, q) at x + r*x_row_stride + q*x_pixel_stride; position
 *            xi at v + xi*v_stride.
 *   math     the reference's additions in the reference's order, per lane.
 *   reads    only the patch's channels; the last channels % 16 through
 *            zero-masked loads (masked lanes are never read).
 *   writes   16 x channels floats, the tail by masked stores.
 *   tails    any channels >= 1. */
#include "config.h"

#include <immintrin.h>

#include "kernels/microkernels.h"

static inline __attribute__((always_inline)) void transform16(const float *x,
                                                              size_t x_row_stride,
                                                              size_t x_pixel_stride, float *v,
                                                              size_t v_stride, __mmask16 mask)
{
    __m512 t[4][4];
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++) {
        __m512 d[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < 4; r++)
            d[r] = _mm512_maskz_loadu_ps(mask, x + r * x_row_stride + q * x_pixel_stride);
        t[0][q] = _mm512_sub_ps(d[0], d[2]);
        t[1][q] = _mm512_add_ps(d[1], d[2]);
        t[2][q] = _mm512_sub_ps(d[2], d[1]);
        t[3][q] = _mm512_sub_ps(d[1], d[3]);
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < 4; i++) {
        __m512 o[4];
        o[0] = _mm512_sub_ps(t[i][0], t[i][2]);
        o[1] = _mm512_add_ps(t[i][1], t[i][2]);
        o[2] = _mm512_sub_ps(t[i][2], t[i][1]);
        o[3] = _mm512_sub_ps(t[i][1], t[i][3]);
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++)
            _mm512_mask_storeu_ps(v + (4 * i + j) * v_stride, mask, o[j]);
    }
}

void upernet_f32_winograd23_input_ukernel_16c__avx512(size_t channels, const float *x,
                                                      size_t x_row_stride, size_t x_pixel_stride,
                                                      float *v, size_t v_stride)
{
    size_t c = 0;
    for (; c + 16 <= channels; c += 16)
        transform16(x + c, x_row_stride, x_pixel_stride, v + c, v_stride, (__mmask16) 0xffff);
    if (c < channels)
        transform16(x + c, x_row_stride, x_pixel_stride, v + c, v_stride,
                    _cvtu32_mask16((1u << (channels - c)) - 1u));
}

/* f32 layer norm, AVX-512F, 16 channels per step.
 *
 * Contract: as the scalar reference (f32-layernorm-scalar.c): NHWC rows, any
 * channels >= 1, any pixels >= 0, in place allowed.
 * Tiles:   three passes per row over 16-float vectors (sum; sum of squared
 *          deviations; normalise+affine), all from L1.
 * Tails:   the last channels % 16 use zero-masked loads and a masked store;
 *          masked lanes are never read or written (no fault, no over-read).
 * Numerics: sums in float lanes (two accumulators), then _mm512_reduce_add_ps. */
#include "config.h"

#include <immintrin.h>
#include <math.h>

#include "kernels/microkernels.h"

void upernet_f32_layernorm_ukernel_16c__avx512(size_t pixels, size_t channels, const float *x,
                                               size_t x_stride, float *y, size_t y_stride,
                                               const float *gamma, const float *beta, float eps)
{
    const size_t full = channels & ~(size_t) 15;
    const size_t rest = channels - full;
    const __mmask16 mask = _cvtu32_mask16((1u << rest) - 1u);
    const float inv_channels = 1.0f / (float) channels;

    for (size_t p = 0; p < pixels; p++) {
        const float *in = x + p * x_stride;
        float *out = y + p * y_stride;

        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        size_t c = 0;
        for (; c + 32 <= full; c += 32) {
            acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(in + c));
            acc1 = _mm512_add_ps(acc1, _mm512_loadu_ps(in + c + 16));
        }
        if (c < full)
            acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(in + c));
        if (rest)
            acc1 = _mm512_add_ps(acc1, _mm512_maskz_loadu_ps(mask, in + full));
        const float mean = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) * inv_channels;
        const __m512 vmean = _mm512_set1_ps(mean);

        acc0 = _mm512_setzero_ps();
        acc1 = _mm512_setzero_ps();
        for (c = 0; c + 32 <= full; c += 32) {
            const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(in + c), vmean);
            const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(in + c + 16), vmean);
            acc0 = _mm512_fmadd_ps(d0, d0, acc0);
            acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        }
        if (c < full) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(in + c), vmean);
            acc0 = _mm512_fmadd_ps(d, d, acc0);
        }
        if (rest) {
            /* Masked-off lanes must contribute 0, not mean^2. */
            const __m512 d = _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, in + full), vmean);
            acc1 = _mm512_fmadd_ps(d, d, acc1);
        }
        const float var = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) * inv_channels;
        const __m512 vrstd = _mm512_set1_ps(1.0f / sqrtf(var + eps));

        for (c = 0; c < full; c += 16) {
            const __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(in + c), vmean), vrstd);
            _mm512_storeu_ps(out + c, _mm512_fmadd_ps(n, _mm512_loadu_ps(gamma + c),
                                                      _mm512_loadu_ps(beta + c)));
        }
        if (rest) {
            const __m512 n =
                _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, in + full), vmean), vrstd);
            const __m512 r = _mm512_fmadd_ps(n, _mm512_maskz_loadu_ps(mask, gamma + full),
                                             _mm512_maskz_loadu_ps(mask, beta + full));
            _mm512_mask_storeu_ps(out + full, mask, r);
        }
    }
}

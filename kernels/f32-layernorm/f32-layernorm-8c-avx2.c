/* f32 layer norm, AVX2+FMA, 8 channels per step.
 *
 * Contract: as the scalar reference (f32-layernorm-scalar.c): NHWC rows, any
 * channels >= 1, any pixels >= 0, in place allowed.
 * Tiles:   each row is processed in three passes over 8-float vectors (sum;
 *          sum of squared deviations; normalise+affine), all from L1 for the
 *          channel counts of ConvNeXt (<= 2048 floats = 8 KiB per row).
 * Tails:   the last channels % 8 use _mm256_maskload_ps/_mm256_maskstore_ps,
 *          which neither read nor write the masked-off lanes: the kernel reads
 *          and writes exactly `channels` floats per row, never beyond.
 * Numerics: sums in float lanes (two accumulators), reduced pairwise at the end. */
#include "config.h"

#include <immintrin.h>
#include <math.h>

#include "kernels/microkernels.h"

static inline float sum_lanes(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Lane i is enabled when i < n (n in 1..7). */
static inline __m256i tail_mask(size_t n)
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n), lanes);
}

void upernet_f32_layernorm_ukernel_8c__avx2(size_t pixels, size_t channels, const float *x,
                                            size_t x_stride, float *y, size_t y_stride,
                                            const float *gamma, const float *beta, float eps)
{
    const size_t full = channels & ~(size_t) 7;
    const size_t rest = channels - full;
    const __m256i mask = tail_mask(rest);
    const float inv_channels = 1.0f / (float) channels;

    for (size_t p = 0; p < pixels; p++) {
        const float *in = x + p * x_stride;
        float *out = y + p * y_stride;

        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        size_t c = 0;
        for (; c + 16 <= full; c += 16) {
            acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(in + c));
            acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(in + c + 8));
        }
        if (c < full)
            acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(in + c));
        if (rest)
            acc1 = _mm256_add_ps(acc1, _mm256_maskload_ps(in + full, mask));
        const float mean = sum_lanes(_mm256_add_ps(acc0, acc1)) * inv_channels;
        const __m256 vmean = _mm256_set1_ps(mean);

        acc0 = _mm256_setzero_ps();
        acc1 = _mm256_setzero_ps();
        for (c = 0; c + 16 <= full; c += 16) {
            const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(in + c), vmean);
            const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(in + c + 8), vmean);
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        }
        if (c < full) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(in + c), vmean);
            acc0 = _mm256_fmadd_ps(d, d, acc0);
        }
        if (rest) {
            /* Masked-off lanes load 0; zero their deviation too. */
            const __m256 d = _mm256_and_ps(
                _mm256_sub_ps(_mm256_maskload_ps(in + full, mask), vmean),
                _mm256_castsi256_ps(mask));
            acc1 = _mm256_fmadd_ps(d, d, acc1);
        }
        const float var = sum_lanes(_mm256_add_ps(acc0, acc1)) * inv_channels;
        const __m256 vrstd = _mm256_set1_ps(1.0f / sqrtf(var + eps));

        for (c = 0; c < full; c += 8) {
            const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(in + c), vmean), vrstd);
            _mm256_storeu_ps(out + c, _mm256_fmadd_ps(n, _mm256_loadu_ps(gamma + c),
                                                      _mm256_loadu_ps(beta + c)));
        }
        if (rest) {
            const __m256 n =
                _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(in + full, mask), vmean), vrstd);
            const __m256 r = _mm256_fmadd_ps(n, _mm256_maskload_ps(gamma + full, mask),
                                             _mm256_maskload_ps(beta + full, mask));
            _mm256_maskstore_ps(out + full, mask, r);
        }
    }
}

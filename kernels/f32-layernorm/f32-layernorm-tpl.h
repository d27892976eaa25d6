/* f32 layer norm, one body for every SIMD tier: a tier's wrapper
 * (f32-layernorm-<W>c-<isa>.c) includes its kernels/simd/vec-<isa>.h,
 * defines UPERNET_LAYERNORM_FN as the function's name and includes this
 * file. One vector holds VEC_WIDTH channels (W).
 *
 * Contract: as the scalar reference (f32-layernorm-scalar.c): NHWC rows, any
 * channels >= 1, any pixels >= 0, in place allowed.
 * Tiles:   each row is processed in three passes over W-float vectors (sum;
 *          sum of squared deviations; normalise+affine), all from L1 for the
 *          channel counts of ConvNeXt (<= 2048 floats = 8 KiB per row).
 * Tails:   the last channels % W use the vec layer's masked loads and store,
 *          which neither read nor write the disabled lanes: the kernel reads
 *          and writes exactly `channels` floats per row, never beyond.
 * Numerics: sums in float lanes (two accumulators), then vec_reduce_add. */
#ifndef UPERNET_LAYERNORM_FN
#error "define UPERNET_LAYERNORM_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include <math.h>

#include "kernels/microkernels.h"

void UPERNET_LAYERNORM_FN(size_t pixels, size_t channels, const float *x, size_t x_stride,
                          float *y, size_t y_stride, const float *gamma, const float *beta,
                          float eps)
{
    const size_t full = channels - channels % VEC_WIDTH;
    const size_t rest = channels - full;
    const vec_mask_t mask = vec_mask_tail(rest);
    const float inv_channels = 1.0f / (float) channels;

    for (size_t p = 0; p < pixels; p++) {
        const float *in = x + p * x_stride;
        float *out = y + p * y_stride;

        vec_t acc0 = vec_zero(), acc1 = vec_zero();
        size_t c = 0;
        for (; c + 2 * VEC_WIDTH <= full; c += 2 * VEC_WIDTH) {
            acc0 = vec_add(acc0, vec_loadu(in + c));
            acc1 = vec_add(acc1, vec_loadu(in + c + VEC_WIDTH));
        }
        if (c < full)
            acc0 = vec_add(acc0, vec_loadu(in + c));
        if (rest)
            acc1 = vec_add(acc1, vec_load_masked(in + full, mask));
        const float mean = vec_reduce_add(vec_add(acc0, acc1)) * inv_channels;
        const vec_t vmean = vec_set1(mean);

        acc0 = vec_zero();
        acc1 = vec_zero();
        for (c = 0; c + 2 * VEC_WIDTH <= full; c += 2 * VEC_WIDTH) {
            const vec_t d0 = vec_sub(vec_loadu(in + c), vmean);
            const vec_t d1 = vec_sub(vec_loadu(in + c + VEC_WIDTH), vmean);
            acc0 = vec_fmadd(d0, d0, acc0);
            acc1 = vec_fmadd(d1, d1, acc1);
        }
        if (c < full) {
            const vec_t d = vec_sub(vec_loadu(in + c), vmean);
            acc0 = vec_fmadd(d, d, acc0);
        }
        if (rest) {
            /* Disabled lanes load 0: zero their deviation (-mean) too. */
            const vec_t d =
                vec_zero_disabled(vec_sub(vec_load_masked(in + full, mask), vmean), mask);
            acc1 = vec_fmadd(d, d, acc1);
        }
        const float var = vec_reduce_add(vec_add(acc0, acc1)) * inv_channels;
        const vec_t vrstd = vec_set1(1.0f / sqrtf(var + eps));

        for (c = 0; c < full; c += VEC_WIDTH) {
            const vec_t n = vec_mul(vec_sub(vec_loadu(in + c), vmean), vrstd);
            vec_storeu(out + c, vec_fmadd(n, vec_loadu(gamma + c), vec_loadu(beta + c)));
        }
        if (rest) {
            const vec_t n = vec_mul(vec_sub(vec_load_masked(in + full, mask), vmean), vrstd);
            const vec_t r = vec_fmadd(n, vec_load_masked(gamma + full, mask),
                                      vec_load_masked(beta + full, mask));
            vec_store_masked(out + full, mask, r);
        }
    }
}

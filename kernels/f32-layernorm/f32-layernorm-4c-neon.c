/* f32 layer norm, AArch64 NEON, 4 channels per step.
 *
 * Contract: as the scalar reference (f32-layernorm-scalar.c): NHWC rows, any
 * channels >= 1, any pixels >= 0, in place allowed.
 * Tiles:   three passes per row over 4-float vectors (sum; sum of squared
 *          deviations; normalise+affine), two accumulators each.
 * Tails:   the last channels % 4 are done one float at a time inside the
 *          kernel (NEON has no masked loads); nothing beyond the row is read
 *          or written. */
#include "config.h"

#include <arm_neon.h>
#include <math.h>

#include "kernels/microkernels.h"

void upernet_f32_layernorm_ukernel_4c__neon(size_t pixels, size_t channels, const float *x,
                                            size_t x_stride, float *y, size_t y_stride,
                                            const float *gamma, const float *beta, float eps)
{
    const size_t full = channels & ~(size_t) 3;
    const float inv_channels = 1.0f / (float) channels;

    for (size_t p = 0; p < pixels; p++) {
        const float *in = x + p * x_stride;
        float *out = y + p * y_stride;

        float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
        size_t c = 0;
        for (; c + 8 <= full; c += 8) {
            acc0 = vaddq_f32(acc0, vld1q_f32(in + c));
            acc1 = vaddq_f32(acc1, vld1q_f32(in + c + 4));
        }
        if (c < full)
            acc0 = vaddq_f32(acc0, vld1q_f32(in + c));
        float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
        for (c = full; c < channels; c++)
            sum += in[c];
        const float mean = sum * inv_channels;
        const float32x4_t vmean = vdupq_n_f32(mean);

        acc0 = vdupq_n_f32(0.0f);
        acc1 = vdupq_n_f32(0.0f);
        for (c = 0; c + 8 <= full; c += 8) {
            const float32x4_t d0 = vsubq_f32(vld1q_f32(in + c), vmean);
            const float32x4_t d1 = vsubq_f32(vld1q_f32(in + c + 4), vmean);
            acc0 = vfmaq_f32(acc0, d0, d0);
            acc1 = vfmaq_f32(acc1, d1, d1);
        }
        if (c < full) {
            const float32x4_t d = vsubq_f32(vld1q_f32(in + c), vmean);
            acc0 = vfmaq_f32(acc0, d, d);
        }
        float squares = vaddvq_f32(vaddq_f32(acc0, acc1));
        for (c = full; c < channels; c++) {
            const float d = in[c] - mean;
            squares += d * d;
        }
        const float rstd = 1.0f / sqrtf(squares * inv_channels + eps);
        const float32x4_t vrstd = vdupq_n_f32(rstd);

        for (c = 0; c < full; c += 4) {
            const float32x4_t n = vmulq_f32(vsubq_f32(vld1q_f32(in + c), vmean), vrstd);
            vst1q_f32(out + c, vfmaq_f32(vld1q_f32(beta + c), n, vld1q_f32(gamma + c)));
        }
        for (c = full; c < channels; c++)
            out[c] = (in[c] - mean) * rstd * gamma[c] + beta[c];
    }
}

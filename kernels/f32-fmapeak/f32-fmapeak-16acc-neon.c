/* FP32 FMA peak, AArch64 NEON: 16 independent Q-register multiply-add chains.
 *
 * Each round is 16 FMLA on registers only (acc_i += x * y); 16 chains cover
 * FMA latency (4) x pipes (up to 4) on current Arm cores, and 16 accumulators
 * + x + y fit the 32 V registers. The accumulators grow by x*y = 1e-7 per
 * round: no overflow, no denormals. Returns flops = iterations * 16 * 4 * 2. */
#include "config.h"

#include <arm_neon.h>

#include "kernels/f32-fmapeak/fmapeak.h"

double upernet_f32_fmapeak_ukernel_16acc__neon(size_t iterations, float *sink)
{
    const float32x4_t x = vdupq_n_f32(1e-4f), y = vdupq_n_f32(1e-3f);
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(1.0f), a2 = vdupq_n_f32(2.0f);
    float32x4_t a3 = vdupq_n_f32(3.0f), a4 = vdupq_n_f32(4.0f), a5 = vdupq_n_f32(5.0f);
    float32x4_t a6 = vdupq_n_f32(6.0f), a7 = vdupq_n_f32(7.0f), a8 = vdupq_n_f32(8.0f);
    float32x4_t a9 = vdupq_n_f32(9.0f), a10 = vdupq_n_f32(10.0f), a11 = vdupq_n_f32(11.0f);
    float32x4_t a12 = vdupq_n_f32(12.0f), a13 = vdupq_n_f32(13.0f), a14 = vdupq_n_f32(14.0f);
    float32x4_t a15 = vdupq_n_f32(15.0f);
    for (size_t i = 0; i < iterations; i++) {
        a0 = vfmaq_f32(a0, x, y), a1 = vfmaq_f32(a1, x, y), a2 = vfmaq_f32(a2, x, y);
        a3 = vfmaq_f32(a3, x, y), a4 = vfmaq_f32(a4, x, y), a5 = vfmaq_f32(a5, x, y);
        a6 = vfmaq_f32(a6, x, y), a7 = vfmaq_f32(a7, x, y), a8 = vfmaq_f32(a8, x, y);
        a9 = vfmaq_f32(a9, x, y), a10 = vfmaq_f32(a10, x, y), a11 = vfmaq_f32(a11, x, y);
        a12 = vfmaq_f32(a12, x, y), a13 = vfmaq_f32(a13, x, y), a14 = vfmaq_f32(a14, x, y);
        a15 = vfmaq_f32(a15, x, y);
    }
    float32x4_t s = vaddq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)),
                              vaddq_f32(vaddq_f32(a4, a5), vaddq_f32(a6, a7)));
    s = vaddq_f32(s, vaddq_f32(vaddq_f32(vaddq_f32(a8, a9), vaddq_f32(a10, a11)),
                               vaddq_f32(vaddq_f32(a12, a13), vaddq_f32(a14, a15))));
    *sink = vaddvq_f32(s);
    return (double) iterations * 16 * 4 * 2;
}

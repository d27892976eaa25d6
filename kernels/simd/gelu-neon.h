/* Exact-erf GELU on 4 floats, AArch64 NEON. static inline only: include it
 * from NEON sources alone. Formula, coefficients and error bound:
 * gelu-coeffs.h (vdivq_f32 is a correctly rounded division, as on x86). */
#ifndef UPERNET_KERNELS_SIMD_GELU_NEON_H
#define UPERNET_KERNELS_SIMD_GELU_NEON_H

#include <arm_neon.h>

#include "kernels/simd/gelu-coeffs.h"

static inline float32x4_t upernet_gelu_neon(float32x4_t x)
{
    /* FMIN/FMAX return NaN when either operand is NaN: the clamp keeps NaN. */
    float32x4_t xc = vminq_f32(x, vdupq_n_f32(UPERNET_GELU_CLAMP));
    xc = vmaxq_f32(xc, vdupq_n_f32(-UPERNET_GELU_CLAMP));
    const float32x4_t u = vmulq_f32(xc, xc);
    float32x4_t p = vdupq_n_f32(UPERNET_GELU_P5);
    p = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_P4), p, u);
    p = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_P3), p, u);
    p = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_P2), p, u);
    p = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_P1), p, u);
    p = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_P0), p, u);
    float32x4_t q = vdupq_n_f32(UPERNET_GELU_Q5);
    q = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_Q4), q, u);
    q = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_Q3), q, u);
    q = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_Q2), q, u);
    q = vfmaq_f32(vdupq_n_f32(UPERNET_GELU_Q1), q, u);
    q = vfmaq_f32(vdupq_n_f32(1.0f), q, u);
    float32x4_t erf = vdivq_f32(vmulq_f32(xc, p), q);
    erf = vmaxq_f32(vminq_f32(erf, vdupq_n_f32(1.0f)), vdupq_n_f32(-1.0f));
    const float32x4_t half_x = vmulq_f32(vdupq_n_f32(0.5f), x);
    return vfmaq_f32(half_x, half_x, erf);
}

#endif

/* Exact-erf GELU on one vector of VEC_WIDTH floats, for every SIMD tier:
 * include it after the tier's kernels/simd/vec-<isa>.h. Formula,
 * coefficients and error bound: gelu-coeffs.h. The division is a true
 * division (not a reciprocal estimate + Newton step) on every tier, so all
 * tiers round the same way and meet the same bound. */
#ifndef UPERNET_KERNELS_SIMD_GELU_VEC_H
#define UPERNET_KERNELS_SIMD_GELU_VEC_H

#ifndef VEC_WIDTH
#error "include a kernels/simd/vec-<isa>.h before gelu-vec.h"
#endif

#include "kernels/simd/gelu-coeffs.h"

VEC_INLINE vec_t vec_gelu(vec_t x)
{
    /* The clamps keep a NaN x (vec_*_keep_nan), so NaN stays NaN. */
    vec_t xc = vec_min_keep_nan(x, vec_set1(UPERNET_GELU_CLAMP));
    xc = vec_max_keep_nan(xc, vec_set1(-UPERNET_GELU_CLAMP));
    const vec_t u = vec_mul(xc, xc);
    vec_t p = vec_set1(UPERNET_GELU_P5);
    p = vec_fmadd(p, u, vec_set1(UPERNET_GELU_P4));
    p = vec_fmadd(p, u, vec_set1(UPERNET_GELU_P3));
    p = vec_fmadd(p, u, vec_set1(UPERNET_GELU_P2));
    p = vec_fmadd(p, u, vec_set1(UPERNET_GELU_P1));
    p = vec_fmadd(p, u, vec_set1(UPERNET_GELU_P0));
    vec_t q = vec_set1(UPERNET_GELU_Q5);
    q = vec_fmadd(q, u, vec_set1(UPERNET_GELU_Q4));
    q = vec_fmadd(q, u, vec_set1(UPERNET_GELU_Q3));
    q = vec_fmadd(q, u, vec_set1(UPERNET_GELU_Q2));
    q = vec_fmadd(q, u, vec_set1(UPERNET_GELU_Q1));
    q = vec_fmadd(q, u, vec_set1(1.0f));
    vec_t erf = vec_div(vec_mul(xc, p), q);
    erf = vec_min_keep_nan(erf, vec_set1(1.0f));
    erf = vec_max_keep_nan(erf, vec_set1(-1.0f));
    const vec_t half_x = vec_mul(vec_set1(0.5f), x);
    return vec_fmadd(half_x, erf, half_x);
}

#endif

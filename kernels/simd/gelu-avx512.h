/* Exact-erf GELU on 16 floats, AVX-512F. static inline only: include it from
 * AVX-512 sources alone. Formula, coefficients and error bound:
 * gelu-coeffs.h. The division is a true vdivps (not rcp14 + Newton), so
 * every tier rounds the same way and meets the same bound. */
#ifndef UPERNET_KERNELS_SIMD_GELU_AVX512_H
#define UPERNET_KERNELS_SIMD_GELU_AVX512_H

#include <immintrin.h>

#include "kernels/simd/gelu-coeffs.h"

static inline __m512 upernet_gelu_avx512(__m512 x)
{
    /* min/max return their second operand when one is NaN: keeping x second
     * lets a NaN through the clamp. */
    __m512 xc = _mm512_min_ps(_mm512_set1_ps(UPERNET_GELU_CLAMP), x);
    xc = _mm512_max_ps(_mm512_set1_ps(-UPERNET_GELU_CLAMP), xc);
    const __m512 u = _mm512_mul_ps(xc, xc);
    __m512 p = _mm512_set1_ps(UPERNET_GELU_P5);
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(UPERNET_GELU_P4));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(UPERNET_GELU_P3));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(UPERNET_GELU_P2));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(UPERNET_GELU_P1));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(UPERNET_GELU_P0));
    __m512 q = _mm512_set1_ps(UPERNET_GELU_Q5);
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(UPERNET_GELU_Q4));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(UPERNET_GELU_Q3));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(UPERNET_GELU_Q2));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(UPERNET_GELU_Q1));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(1.0f));
    __m512 erf = _mm512_div_ps(_mm512_mul_ps(xc, p), q);
    erf = _mm512_min_ps(_mm512_set1_ps(1.0f), erf);
    erf = _mm512_max_ps(_mm512_set1_ps(-1.0f), erf);
    const __m512 half_x = _mm512_mul_ps(_mm512_set1_ps(0.5f), x);
    return _mm512_fmadd_ps(half_x, erf, half_x);
}

#endif

/* Exact-erf GELU on 8 floats, AVX2+FMA. static inline only: include it from
 * AVX2 sources alone. Formula, coefficients and error bound: gelu-coeffs.h. */
#ifndef UPERNET_KERNELS_SIMD_GELU_AVX2_H
#define UPERNET_KERNELS_SIMD_GELU_AVX2_H

#include <immintrin.h>

#include "kernels/simd/gelu-coeffs.h"

static inline __m256 upernet_gelu_avx2(__m256 x)
{
    /* min/max return their second operand when one is NaN: keeping x second
     * lets a NaN through the clamp. */
    __m256 xc = _mm256_min_ps(_mm256_set1_ps(UPERNET_GELU_CLAMP), x);
    xc = _mm256_max_ps(_mm256_set1_ps(-UPERNET_GELU_CLAMP), xc);
    const __m256 u = _mm256_mul_ps(xc, xc);
    __m256 p = _mm256_set1_ps(UPERNET_GELU_P5);
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(UPERNET_GELU_P4));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(UPERNET_GELU_P3));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(UPERNET_GELU_P2));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(UPERNET_GELU_P1));
    p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(UPERNET_GELU_P0));
    __m256 q = _mm256_set1_ps(UPERNET_GELU_Q5);
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(UPERNET_GELU_Q4));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(UPERNET_GELU_Q3));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(UPERNET_GELU_Q2));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(UPERNET_GELU_Q1));
    q = _mm256_fmadd_ps(q, u, _mm256_set1_ps(1.0f));
    __m256 erf = _mm256_div_ps(_mm256_mul_ps(xc, p), q);
    erf = _mm256_min_ps(_mm256_set1_ps(1.0f), erf);
    erf = _mm256_max_ps(_mm256_set1_ps(-1.0f), erf);
    const __m256 half_x = _mm256_mul_ps(_mm256_set1_ps(0.5f), x);
    return _mm256_fmadd_ps(half_x, erf, half_x);
}

#endif

/* The vector layer for AVX-512 F/BW/DQ/VL: 16 floats per __m512. The names
 * and their meaning are those of kernels/simd/vec-avx2.h (read it first).
 *
 * static inline only, and only for sources compiled with the AVX-512 flags
 * (UPERNET_AVX512_SOURCES in kernels/local.mk); under
 * --enable-avx512-emulation the same code compiles against SIMDe
 * (kernels/simd/simde-avx512/immintrin.h).
 *
 * Tails: a vec_mask_t is a k-mask; _mm512_maskz_loadu_ps and
 * _mm512_mask_storeu_ps neither read nor write a disabled lane (fault
 * suppression), so masked accesses stay inside the caller's arrays. */
#ifndef UPERNET_KERNELS_SIMD_VEC_AVX512_H
#define UPERNET_KERNELS_SIMD_VEC_AVX512_H

#include <immintrin.h>
#include <stddef.h>

#define VEC_WIDTH 16
#define VEC_INLINE static inline __attribute__((always_inline))

typedef __m512 vec_t;
typedef __mmask16 vec_mask_t;

/* Lanes i < n enabled; any n (n <= 0: none, n >= 16: all). */
VEC_INLINE vec_mask_t vec_mask_first(ptrdiff_t n)
{
    if (n <= 0)
        return _cvtu32_mask16(0);
    if (n >= VEC_WIDTH)
        return _cvtu32_mask16(0xffffu);
    return _cvtu32_mask16((1u << n) - 1u);
}

/* Lanes i < n enabled, for 0 <= n < VEC_WIDTH: no range checks. */
VEC_INLINE vec_mask_t vec_mask_tail(size_t n) { return _cvtu32_mask16((1u << n) - 1u); }

VEC_INLINE vec_t vec_loadu(const float *p) { return _mm512_loadu_ps(p); }
VEC_INLINE void vec_storeu(float *p, vec_t v) { _mm512_storeu_ps(p, v); }
/* Disabled lanes are not read and load as 0. */
VEC_INLINE vec_t vec_load_masked(const float *p, vec_mask_t m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
/* Disabled lanes are not written. */
VEC_INLINE void vec_store_masked(float *p, vec_mask_t m, vec_t v)
{
    _mm512_mask_storeu_ps(p, m, v);
}
/* *p in every lane (the compiler folds it into an FMA's {1to16} operand). */
VEC_INLINE vec_t vec_broadcast(const float *p) { return _mm512_set1_ps(*p); }
VEC_INLINE vec_t vec_set1(float x) { return _mm512_set1_ps(x); }
VEC_INLINE vec_t vec_zero(void) { return _mm512_setzero_ps(); }

VEC_INLINE vec_t vec_add(vec_t a, vec_t b) { return _mm512_add_ps(a, b); }
VEC_INLINE vec_t vec_sub(vec_t a, vec_t b) { return _mm512_sub_ps(a, b); }
VEC_INLINE vec_t vec_mul(vec_t a, vec_t b) { return _mm512_mul_ps(a, b); }
VEC_INLINE vec_t vec_div(vec_t a, vec_t b) { return _mm512_div_ps(a, b); }
/* a*b + c, rounded once. */
VEC_INLINE vec_t vec_fmadd(vec_t a, vec_t b, vec_t c) { return _mm512_fmadd_ps(a, b, c); }

/* x second: x86 min/max return the second operand when either is NaN. */
VEC_INLINE vec_t vec_min_keep_nan(vec_t x, vec_t bound) { return _mm512_min_ps(bound, x); }
VEC_INLINE vec_t vec_max_keep_nan(vec_t x, vec_t bound) { return _mm512_max_ps(bound, x); }

/* Disabled lanes of v set to 0. */
VEC_INLINE vec_t vec_zero_disabled(vec_t v, vec_mask_t m) { return _mm512_maskz_mov_ps(m, v); }

/* Per-lane predicates (a k-mask), for selecting lanes.
 * vec_not_le: !(a <= b), true when a > b or either is NaN;
 * vec_is_number: a == a, false for NaN. */
typedef __mmask16 vec_pred_t;
VEC_INLINE vec_pred_t vec_not_le(vec_t a, vec_t b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
VEC_INLINE vec_pred_t vec_is_number(vec_t a) { return _mm512_cmp_ps_mask(a, a, _CMP_ORD_Q); }
VEC_INLINE vec_pred_t vec_pred_and(vec_pred_t p, vec_pred_t q) { return p & q; }
/* p ? if_true : if_false, lane by lane. */
VEC_INLINE vec_t vec_select(vec_pred_t p, vec_t if_true, vec_t if_false)
{
    return _mm512_mask_blend_ps(p, if_false, if_true);
}

VEC_INLINE float vec_reduce_add(vec_t v) { return _mm512_reduce_add_ps(v); }

#endif

/* The vector layer for AVX2+FMA: 8 floats per __m256.
 *
 * Every vec-<isa>.h defines the same names (VEC_WIDTH, vec_t, vec_mask_t and
 * the vec_* functions), so one kernel body (kernels/<family>/<family>-tpl.h)
 * can be compiled once per tier by a wrapper that includes the tier's vec
 * header and then the body. Each function is a single intrinsic or a fixed short
 * sequence that always_inline pastes into the body, so the generated code is
 * that of a kernel written with the intrinsics directly.
 *
 * static inline only, and only for sources compiled with the AVX2 flags
 * (UPERNET_AVX2_SOURCES in kernels/local.mk): never include two vec headers
 * in one translation unit.
 *
 * Tails: a vec_mask_t enables the first n lanes (vec_mask_first, or
 * vec_mask_tail where 0 <= n < VEC_WIDTH is known: a channel tail);
 * _mm256_maskload_ps / _mm256_maskstore_ps neither read nor write a disabled
 * lane (it loads as 0), so masked accesses stay inside the caller's arrays. */
#ifndef UPERNET_KERNELS_SIMD_VEC_AVX2_H
#define UPERNET_KERNELS_SIMD_VEC_AVX2_H

#include <immintrin.h>
#include <stddef.h>

#define VEC_WIDTH 8
#define VEC_INLINE static inline __attribute__((always_inline))

typedef __m256 vec_t;
typedef __m256i vec_mask_t;

/* Lanes i < n enabled; any n (n <= 0: none, n >= 8: all). */
VEC_INLINE vec_mask_t vec_mask_first(ptrdiff_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Lanes i < n enabled, for 0 <= n < VEC_WIDTH. */
VEC_INLINE vec_mask_t vec_mask_tail(size_t n) { return vec_mask_first((ptrdiff_t) n); }

VEC_INLINE vec_t vec_loadu(const float *p) { return _mm256_loadu_ps(p); }
VEC_INLINE void vec_storeu(float *p, vec_t v) { _mm256_storeu_ps(p, v); }
/* Disabled lanes are not read and load as 0. */
VEC_INLINE vec_t vec_load_masked(const float *p, vec_mask_t m) { return _mm256_maskload_ps(p, m); }
/* Disabled lanes are not written. */
VEC_INLINE void vec_store_masked(float *p, vec_mask_t m, vec_t v) { _mm256_maskstore_ps(p, m, v); }
/* *p in every lane. */
VEC_INLINE vec_t vec_broadcast(const float *p) { return _mm256_broadcast_ss(p); }
VEC_INLINE vec_t vec_set1(float x) { return _mm256_set1_ps(x); }
VEC_INLINE vec_t vec_zero(void) { return _mm256_setzero_ps(); }

VEC_INLINE vec_t vec_add(vec_t a, vec_t b) { return _mm256_add_ps(a, b); }
VEC_INLINE vec_t vec_sub(vec_t a, vec_t b) { return _mm256_sub_ps(a, b); }
VEC_INLINE vec_t vec_mul(vec_t a, vec_t b) { return _mm256_mul_ps(a, b); }
VEC_INLINE vec_t vec_div(vec_t a, vec_t b) { return _mm256_div_ps(a, b); }
/* a*b + c, rounded once. */
VEC_INLINE vec_t vec_fmadd(vec_t a, vec_t b, vec_t c) { return _mm256_fmadd_ps(a, b, c); }

/* min(x, bound) and max(x, bound) that keep a NaN x: x86 min/max return
 * their second operand when either is NaN, so x goes second. */
VEC_INLINE vec_t vec_min_keep_nan(vec_t x, vec_t bound) { return _mm256_min_ps(bound, x); }
VEC_INLINE vec_t vec_max_keep_nan(vec_t x, vec_t bound) { return _mm256_max_ps(bound, x); }

/* Disabled lanes of v set to 0. */
VEC_INLINE vec_t vec_zero_disabled(vec_t v, vec_mask_t m)
{
    return _mm256_and_ps(v, _mm256_castsi256_ps(m));
}

/* Per-lane predicates (all bits set in a true lane), for selecting lanes.
 * vec_not_le: !(a <= b), true when a > b or either is NaN;
 * vec_is_number: a == a, false for NaN. */
typedef __m256 vec_pred_t;
VEC_INLINE vec_pred_t vec_not_le(vec_t a, vec_t b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
VEC_INLINE vec_pred_t vec_is_number(vec_t a) { return _mm256_cmp_ps(a, a, _CMP_ORD_Q); }
VEC_INLINE vec_pred_t vec_pred_and(vec_pred_t p, vec_pred_t q) { return _mm256_and_ps(p, q); }
/* p ? if_true : if_false, lane by lane. */
VEC_INLINE vec_t vec_select(vec_pred_t p, vec_t if_true, vec_t if_false)
{
    return _mm256_blendv_ps(if_false, if_true, p);
}

/* Sum of the lanes: halves, then pairs. Plain inline, left to the
 * compiler: forcing it changes the layer norm's register allocation (one
 * more instruction per row). */
static inline float vec_reduce_add(vec_t v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif

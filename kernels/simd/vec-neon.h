/* The vector layer for AArch64 NEON: 4 floats per float32x4_t. The names and
 * their meaning are those of kernels/simd/vec-avx2.h (read it first).
 *
 * static inline only, and only for sources compiled with the NEON flags
 * (UPERNET_NEON_SOURCES in kernels/local.mk).
 *
 * Tails: NEON has no masked loads or stores, so a vec_mask_t is the number
 * of enabled lanes (0..4); a masked load copies those floats into a zeroed
 * stack vector and a masked store copies them out, touching nothing beyond
 * the first n floats. Only channel tails take that path. */
#ifndef UPERNET_KERNELS_SIMD_VEC_NEON_H
#define UPERNET_KERNELS_SIMD_VEC_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#define VEC_WIDTH 4
#define VEC_INLINE static inline __attribute__((always_inline))

typedef float32x4_t vec_t;
typedef size_t vec_mask_t;

/* Lanes i < n enabled; any n (n <= 0: none, n >= 4: all). */
VEC_INLINE vec_mask_t vec_mask_first(ptrdiff_t n)
{
    return n <= 0 ? 0 : n >= VEC_WIDTH ? VEC_WIDTH : (size_t) n;
}

/* Lanes i < n enabled, for 0 <= n < VEC_WIDTH. */
VEC_INLINE vec_mask_t vec_mask_tail(size_t n) { return n; }

VEC_INLINE vec_t vec_loadu(const float *p) { return vld1q_f32(p); }
VEC_INLINE void vec_storeu(float *p, vec_t v) { vst1q_f32(p, v); }
/* Disabled lanes are not read and load as 0. */
VEC_INLINE vec_t vec_load_masked(const float *p, vec_mask_t m)
{
    float lanes[VEC_WIDTH] = {0};
    memcpy(lanes, p, m * sizeof(float));
    return vld1q_f32(lanes);
}
/* Disabled lanes are not written. */
VEC_INLINE void vec_store_masked(float *p, vec_mask_t m, vec_t v)
{
    float lanes[VEC_WIDTH];
    vst1q_f32(lanes, v);
    memcpy(p, lanes, m * sizeof(float));
}
VEC_INLINE vec_t vec_broadcast(const float *p) { return vld1q_dup_f32(p); }
VEC_INLINE vec_t vec_set1(float x) { return vdupq_n_f32(x); }
VEC_INLINE vec_t vec_zero(void) { return vdupq_n_f32(0.0f); }

VEC_INLINE vec_t vec_add(vec_t a, vec_t b) { return vaddq_f32(a, b); }
VEC_INLINE vec_t vec_sub(vec_t a, vec_t b) { return vsubq_f32(a, b); }
VEC_INLINE vec_t vec_mul(vec_t a, vec_t b) { return vmulq_f32(a, b); }
/* Correctly rounded, as divps on x86. */
VEC_INLINE vec_t vec_div(vec_t a, vec_t b) { return vdivq_f32(a, b); }
/* a*b + c, rounded once. */
VEC_INLINE vec_t vec_fmadd(vec_t a, vec_t b, vec_t c) { return vfmaq_f32(c, a, b); }

/* FMIN/FMAX return NaN when either operand is NaN: a NaN x is kept. */
VEC_INLINE vec_t vec_min_keep_nan(vec_t x, vec_t bound) { return vminq_f32(x, bound); }
VEC_INLINE vec_t vec_max_keep_nan(vec_t x, vec_t bound) { return vmaxq_f32(x, bound); }

/* Disabled lanes of v set to 0. */
VEC_INLINE vec_t vec_zero_disabled(vec_t v, vec_mask_t m)
{
    const uint32_t index[VEC_WIDTH] = {0, 1, 2, 3};
    const uint32x4_t enabled = vcltq_u32(vld1q_u32(index), vdupq_n_u32((uint32_t) m));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), enabled));
}

/* Per-lane predicates (all bits set in a true lane), for selecting lanes.
 * vec_not_le: !(a <= b), true when a > b or either is NaN;
 * vec_is_number: a == a, false for NaN. */
typedef uint32x4_t vec_pred_t;
VEC_INLINE vec_pred_t vec_not_le(vec_t a, vec_t b) { return vmvnq_u32(vcleq_f32(a, b)); }
VEC_INLINE vec_pred_t vec_is_number(vec_t a) { return vceqq_f32(a, a); }
VEC_INLINE vec_pred_t vec_pred_and(vec_pred_t p, vec_pred_t q) { return vandq_u32(p, q); }
/* p ? if_true : if_false, lane by lane. */
VEC_INLINE vec_t vec_select(vec_pred_t p, vec_t if_true, vec_t if_false)
{
    return vbslq_f32(p, if_true, if_false);
}

VEC_INLINE float vec_reduce_add(vec_t v) { return vaddvq_f32(v); }

#endif

/* f32 indirect GEMM, 6x16 tile, AVX2+FMA, broadcast form.
 *
 * Contract: as the scalar reference (f32-igemm-4x4-scalar.c, microkernels.h):
 *   tile     mr <= 6 rows x nc <= 16 columns; any kc >= 1, any ks >= 1.
 *   a        ks*mr row pointers (a[s*mr + i]); exactly kc floats are read per
 *            pointer. Rows i >= mr reuse row mr-1's pointer (their sums are
 *            computed and dropped), so nothing outside the given rows is read.
 *   w        one packed panel, NR = 16: 16 bias floats, then ks*kc rows of 16.
 *            The whole panel is read (16 wide, including zero columns >= nc),
 *            never a float beyond it. No alignment is required.
 *   writes   only c[i*c_stride + j], i < mr, j < nc: a partial tile (nc < 16)
 *            stores through _mm256_maskstore_ps, which touches no masked lane.
 *   epilogue activation (ReLU, or GELU by gelu-avx2.h), then * scale[j], then
 *            + residual[i*residual_stride + j]; scale and residual are read
 *            only for j < nc (masked loads), residual row i just before c row i
 *            is written, so residual == c (in place) is safe. ep may be NULL.
 *
 * Register blocking: 6 rows x 2 YMM = 12 accumulators, 2 YMM for the weight
 * row and 1 for the broadcast A value: 15 of the 16 YMM registers. Per k:
 * 2 weight loads + 6 broadcasts feed 12 FMAs, and 12 independent chains cover
 * the FMA latency x 2 pipes (8 in flight needed on current x86 cores).
 * Summation order per element: bias, then s ascending, then k ascending, one
 * FMA each (the scalar reference does the same order with mul+add). */
#include "config.h"

#include <immintrin.h>

#include "kernels/microkernels.h"
#include "kernels/simd/gelu-avx2.h"

#define MR 6
#define NR 16

/* Lane l of the mask is set when l + first < nc (columns first..first+7). */
static inline __m256i column_mask(size_t nc, int first)
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) nc - first), lanes);
}

void upernet_f32_igemm_ukernel_6x16__avx2(size_t mr, size_t nc, size_t kc, size_t ks,
                                          const float *const *a, const float *w, float *c,
                                          size_t c_stride, const struct upernet_gemm_epilogue *ep)
{
    __m256 acc00 = _mm256_loadu_ps(w), acc01 = _mm256_loadu_ps(w + 8);
    __m256 acc10 = acc00, acc11 = acc01, acc20 = acc00, acc21 = acc01;
    __m256 acc30 = acc00, acc31 = acc01, acc40 = acc00, acc41 = acc01;
    __m256 acc50 = acc00, acc51 = acc01;
    w += NR;

    do {
        const float *a0 = a[0];
        const float *a1 = mr > 1 ? a[1] : a0;
        const float *a2 = mr > 2 ? a[2] : a1;
        const float *a3 = mr > 3 ? a[3] : a2;
        const float *a4 = mr > 4 ? a[4] : a3;
        const float *a5 = mr > 5 ? a[5] : a4;
        a += mr;
        for (size_t k = 0; k < kc; k++) {
            const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
            w += NR;
            __m256 v = _mm256_broadcast_ss(a0 + k);
            acc00 = _mm256_fmadd_ps(v, b0, acc00);
            acc01 = _mm256_fmadd_ps(v, b1, acc01);
            v = _mm256_broadcast_ss(a1 + k);
            acc10 = _mm256_fmadd_ps(v, b0, acc10);
            acc11 = _mm256_fmadd_ps(v, b1, acc11);
            v = _mm256_broadcast_ss(a2 + k);
            acc20 = _mm256_fmadd_ps(v, b0, acc20);
            acc21 = _mm256_fmadd_ps(v, b1, acc21);
            v = _mm256_broadcast_ss(a3 + k);
            acc30 = _mm256_fmadd_ps(v, b0, acc30);
            acc31 = _mm256_fmadd_ps(v, b1, acc31);
            v = _mm256_broadcast_ss(a4 + k);
            acc40 = _mm256_fmadd_ps(v, b0, acc40);
            acc41 = _mm256_fmadd_ps(v, b1, acc41);
            v = _mm256_broadcast_ss(a5 + k);
            acc50 = _mm256_fmadd_ps(v, b0, acc50);
            acc51 = _mm256_fmadd_ps(v, b1, acc51);
        }
    } while (--ks != 0);

#define FOR_EACH_ACC(OP)                                                                   \
    OP(acc00) OP(acc01) OP(acc10) OP(acc11) OP(acc20) OP(acc21) OP(acc30) OP(acc31) OP(acc40) \
    OP(acc41) OP(acc50) OP(acc51)

    const float *residual = NULL;
    size_t residual_stride = 0;
    if (ep != NULL) {
        if (ep->activation == UPERNET_ACT_RELU) {
            /* max(x, 0) returns its second operand for NaN: x second keeps NaN. */
#define RELU(v) v = _mm256_max_ps(_mm256_setzero_ps(), v);
            FOR_EACH_ACC(RELU)
#undef RELU
        } else if (ep->activation == UPERNET_ACT_GELU) {
#define GELU(v) v = upernet_gelu_avx2(v);
            FOR_EACH_ACC(GELU)
#undef GELU
        }
        if (ep->scale != NULL) {
            __m256 s0, s1;
            if (nc == NR) {
                s0 = _mm256_loadu_ps(ep->scale);
                s1 = _mm256_loadu_ps(ep->scale + 8);
            } else {
                s0 = _mm256_maskload_ps(ep->scale, column_mask(nc, 0));
                s1 = _mm256_maskload_ps(ep->scale + 8, column_mask(nc, 8));
            }
            acc00 = _mm256_mul_ps(acc00, s0), acc01 = _mm256_mul_ps(acc01, s1);
            acc10 = _mm256_mul_ps(acc10, s0), acc11 = _mm256_mul_ps(acc11, s1);
            acc20 = _mm256_mul_ps(acc20, s0), acc21 = _mm256_mul_ps(acc21, s1);
            acc30 = _mm256_mul_ps(acc30, s0), acc31 = _mm256_mul_ps(acc31, s1);
            acc40 = _mm256_mul_ps(acc40, s0), acc41 = _mm256_mul_ps(acc41, s1);
            acc50 = _mm256_mul_ps(acc50, s0), acc51 = _mm256_mul_ps(acc51, s1);
        }
        residual = ep->residual;
        residual_stride = ep->residual_stride;
    }
#undef FOR_EACH_ACC

    if (nc == NR) {
#define STORE_ROW(i)                                                                   \
    if (mr > i) {                                                                      \
        if (residual != NULL) {                                                        \
            const float *r = residual + i * residual_stride;                           \
            acc##i##0 = _mm256_add_ps(acc##i##0, _mm256_loadu_ps(r));                  \
            acc##i##1 = _mm256_add_ps(acc##i##1, _mm256_loadu_ps(r + 8));              \
        }                                                                              \
        _mm256_storeu_ps(c + i * c_stride, acc##i##0);                                 \
        _mm256_storeu_ps(c + i * c_stride + 8, acc##i##1);                             \
    }
        STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
#undef STORE_ROW
    } else {
        const __m256i m0 = column_mask(nc, 0), m1 = column_mask(nc, 8);
#define STORE_ROW(i)                                                                   \
    if (mr > i) {                                                                      \
        if (residual != NULL) {                                                        \
            const float *r = residual + i * residual_stride;                           \
            acc##i##0 = _mm256_add_ps(acc##i##0, _mm256_maskload_ps(r, m0));           \
            acc##i##1 = _mm256_add_ps(acc##i##1, _mm256_maskload_ps(r + 8, m1));       \
        }                                                                              \
        _mm256_maskstore_ps(c + i * c_stride, m0, acc##i##0);                          \
        _mm256_maskstore_ps(c + i * c_stride + 8, m1, acc##i##1);                      \
    }
        STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
#undef STORE_ROW
    }
}

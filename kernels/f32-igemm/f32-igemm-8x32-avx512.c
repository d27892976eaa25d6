/* f32 indirect GEMM, 8x32 tile, AVX-512F, broadcast form.
 *
 * Contract: as the scalar reference (f32-igemm-4x4-scalar.c, microkernels.h):
 *   tile     mr <= 8 rows x nc <= 32 columns; any kc >= 1, any ks >= 1.
 *   a        ks*mr row pointers (a[s*mr + i]); exactly kc floats are read per
 *            pointer. Rows i >= mr reuse row mr-1's pointer (their sums are
 *            computed and dropped), so nothing outside the given rows is read.
 *   w        one packed panel, NR = 32: 32 bias floats, then ks*kc rows of 32.
 *            The whole panel is read (32 wide, including zero columns >= nc),
 *            never a float beyond it. No alignment is required.
 *   writes   only c[i*c_stride + j], i < mr, j < nc: a partial tile (nc < 32)
 *            stores under a k-mask, which touches no masked lane.
 *   epilogue activation (ReLU, or GELU by gelu-avx512.h), then * scale[j], then
 *            + residual[i*residual_stride + j]; scale and residual are read
 *            only for j < nc (zero-masked loads), residual row i just before
 *            c row i is written, so residual == c (in place) is safe. ep may
 *            be NULL.
 *
 * Register blocking (chosen by reasoning; no AVX-512 host was available to
 * time it): 8 rows x 2 ZMM = 16 accumulators, 2 ZMM for the weight row; the
 * A value is an embedded {1to16} broadcast operand of the FMA. Per k: 2
 * weight loads + 8 broadcasts feed 16 FMAs; 16 independent chains cover FMA
 * latency (4) x 2 pipes with room to spare, 8 A pointers + the weight pointer
 * fit the general registers without spills (14x32 would need 14 pointers and
 * spill them), and every UperNet width (96..3072, 150 classes aside) is a
 * multiple of 32, so no panel is wasted.
 * Summation order per element: bias, then s ascending, then k ascending, one
 * FMA each. */
#include "config.h"

#include <immintrin.h>

#include "kernels/microkernels.h"
#include "kernels/simd/gelu-avx512.h"

#define MR 8
#define NR 32

void upernet_f32_igemm_ukernel_8x32__avx512(size_t mr, size_t nc, size_t kc, size_t ks,
                                            const float *const *a, const float *w, float *c,
                                            size_t c_stride, const struct upernet_gemm_epilogue *ep)
{
    __m512 acc00 = _mm512_loadu_ps(w), acc01 = _mm512_loadu_ps(w + 16);
    __m512 acc10 = acc00, acc11 = acc01, acc20 = acc00, acc21 = acc01;
    __m512 acc30 = acc00, acc31 = acc01, acc40 = acc00, acc41 = acc01;
    __m512 acc50 = acc00, acc51 = acc01, acc60 = acc00, acc61 = acc01;
    __m512 acc70 = acc00, acc71 = acc01;
    w += NR;

    do {
        const float *a0 = a[0];
        const float *a1 = mr > 1 ? a[1] : a0;
        const float *a2 = mr > 2 ? a[2] : a1;
        const float *a3 = mr > 3 ? a[3] : a2;
        const float *a4 = mr > 4 ? a[4] : a3;
        const float *a5 = mr > 5 ? a[5] : a4;
        const float *a6 = mr > 6 ? a[6] : a5;
        const float *a7 = mr > 7 ? a[7] : a6;
        a += mr;
        for (size_t k = 0; k < kc; k++) {
            const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
            w += NR;
            __m512 v = _mm512_set1_ps(a0[k]);
            acc00 = _mm512_fmadd_ps(v, b0, acc00);
            acc01 = _mm512_fmadd_ps(v, b1, acc01);
            v = _mm512_set1_ps(a1[k]);
            acc10 = _mm512_fmadd_ps(v, b0, acc10);
            acc11 = _mm512_fmadd_ps(v, b1, acc11);
            v = _mm512_set1_ps(a2[k]);
            acc20 = _mm512_fmadd_ps(v, b0, acc20);
            acc21 = _mm512_fmadd_ps(v, b1, acc21);
            v = _mm512_set1_ps(a3[k]);
            acc30 = _mm512_fmadd_ps(v, b0, acc30);
            acc31 = _mm512_fmadd_ps(v, b1, acc31);
            v = _mm512_set1_ps(a4[k]);
            acc40 = _mm512_fmadd_ps(v, b0, acc40);
            acc41 = _mm512_fmadd_ps(v, b1, acc41);
            v = _mm512_set1_ps(a5[k]);
            acc50 = _mm512_fmadd_ps(v, b0, acc50);
            acc51 = _mm512_fmadd_ps(v, b1, acc51);
            v = _mm512_set1_ps(a6[k]);
            acc60 = _mm512_fmadd_ps(v, b0, acc60);
            acc61 = _mm512_fmadd_ps(v, b1, acc61);
            v = _mm512_set1_ps(a7[k]);
            acc70 = _mm512_fmadd_ps(v, b0, acc70);
            acc71 = _mm512_fmadd_ps(v, b1, acc71);
        }
    } while (--ks != 0);

#define FOR_EACH_ACC(OP)                                                                   \
    OP(acc00) OP(acc01) OP(acc10) OP(acc11) OP(acc20) OP(acc21) OP(acc30) OP(acc31) OP(acc40) \
    OP(acc41) OP(acc50) OP(acc51) OP(acc60) OP(acc61) OP(acc70) OP(acc71)

    /* Columns 0..15 and 16..31 of the tile that exist (nc in 1..32). */
    const __mmask16 m0 = nc >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << nc) - 1u);
    const __mmask16 m1 = nc >= NR   ? (__mmask16) 0xFFFF
                         : nc > 16 ? (__mmask16) ((1u << (nc - 16)) - 1u)
                                   : (__mmask16) 0;
    const float *residual = NULL;
    size_t residual_stride = 0;
    if (ep != NULL) {
        if (ep->activation == UPERNET_ACT_RELU) {
            /* max(x, 0) returns its second operand for NaN: x second keeps NaN. */
#define RELU(v) v = _mm512_max_ps(_mm512_setzero_ps(), v);
            FOR_EACH_ACC(RELU)
#undef RELU
        } else if (ep->activation == UPERNET_ACT_GELU) {
#define GELU(v) v = upernet_gelu_avx512(v);
            FOR_EACH_ACC(GELU)
#undef GELU
        }
        if (ep->scale != NULL) {
            const __m512 s0 = _mm512_maskz_loadu_ps(m0, ep->scale);
            const __m512 s1 = _mm512_maskz_loadu_ps(m1, ep->scale + 16);
            acc00 = _mm512_mul_ps(acc00, s0), acc01 = _mm512_mul_ps(acc01, s1);
            acc10 = _mm512_mul_ps(acc10, s0), acc11 = _mm512_mul_ps(acc11, s1);
            acc20 = _mm512_mul_ps(acc20, s0), acc21 = _mm512_mul_ps(acc21, s1);
            acc30 = _mm512_mul_ps(acc30, s0), acc31 = _mm512_mul_ps(acc31, s1);
            acc40 = _mm512_mul_ps(acc40, s0), acc41 = _mm512_mul_ps(acc41, s1);
            acc50 = _mm512_mul_ps(acc50, s0), acc51 = _mm512_mul_ps(acc51, s1);
            acc60 = _mm512_mul_ps(acc60, s0), acc61 = _mm512_mul_ps(acc61, s1);
            acc70 = _mm512_mul_ps(acc70, s0), acc71 = _mm512_mul_ps(acc71, s1);
        }
        residual = ep->residual;
        residual_stride = ep->residual_stride;
    }
#undef FOR_EACH_ACC

    /* Masked loads and stores whatever nc: with all-ones masks they cost the
     * same as plain ones on AVX-512 hardware. */
#define STORE_ROW(i)                                                                   \
    if (mr > i) {                                                                      \
        if (residual != NULL) {                                                        \
            const float *r = residual + i * residual_stride;                           \
            acc##i##0 = _mm512_add_ps(acc##i##0, _mm512_maskz_loadu_ps(m0, r));        \
            acc##i##1 = _mm512_add_ps(acc##i##1, _mm512_maskz_loadu_ps(m1, r + 16));   \
        }                                                                              \
        _mm512_mask_storeu_ps(c + i * c_stride, m0, acc##i##0);                        \
        _mm512_mask_storeu_ps(c + i * c_stride + 16, m1, acc##i##1);                   \
    }
    STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)
    STORE_ROW(4) STORE_ROW(5) STORE_ROW(6) STORE_ROW(7)
#undef STORE_ROW
}

/* f32 indirect GEMM, 8x8 tile, AArch64 NEON, lane-indexed FMA ("ld128").
 *
 * Contract: as the scalar reference (f32-igemm-4x4-scalar.c, microkernels.h):
 *   tile     mr <= 8 rows x nc <= 8 columns; any kc >= 1, any ks >= 1.
 *   a        ks*mr row pointers (a[s*mr + i]); exactly kc floats are read per
 *            pointer (4 at a time while 4 remain, then one at a time). Rows
 *            i >= mr reuse row mr-1's pointer (sums computed and dropped).
 *   w        one packed panel, NR = 8: 8 bias floats, then ks*kc rows of 8.
 *            The whole panel is read, never a float beyond it.
 *   writes   only c[i*c_stride + j], i < mr, j < nc: a partial tile (nc < 8)
 *            goes through a stack buffer and only nc floats per row are copied
 *            out (NEON has no masked store).
 *   epilogue activation (ReLU, or GELU by kernels/simd/gelu-vec.h), then * scale[j], then
 *            + residual[i*residual_stride + j]; scale and residual are read
 *            only for j < nc, residual row i just before c row i is written,
 *            so residual == c (in place) is safe. ep may be NULL.
 *
 * Register blocking: 8 rows x 2 Q = 16 accumulators, 8 Q holding 4 k-values
 * of each A row, 2 Q for the weight row: 26 of 32 V registers. Per 4 k:
 * 8 A loads + 8 weight loads feed 64 FMAs (FMLA by element), 16 independent
 * chains cover FMA latency (4) x up to 4 pipes on big cores.
 * Summation order per element: s ascending, then k ascending, one FMA each,
 * in blocks of UPERNET_IGEMM_KBLOCK products (each block from zero, its sum
 * added to the finished blocks' total, kept on the stack), then the bias. */
#include "config.h"

#include <arm_neon.h>
#include <string.h>

#include "kernels/microkernels.h"
#include "kernels/simd/vec-neon.h"
#include "kernels/simd/gelu-vec.h"

#define MR 8
#define NR 8

/* The first n (< 8) floats of p as two vectors, zero above: no over-read. */
static inline void load_partial(const float *p, size_t n, float32x4_t *lo, float32x4_t *hi)
{
    float buf[NR] = {0};
    memcpy(buf, p, n * sizeof(float));
    *lo = vld1q_f32(buf);
    *hi = vld1q_f32(buf + 4);
}

void upernet_f32_igemm_ukernel_8x8__neon(size_t mr, size_t nc, size_t kc, size_t ks,
                                         const float *const *a, const float *w, float *c,
                                         size_t c_stride, const struct upernet_gemm_epilogue *ep)
{
    float32x4_t acc00 = vdupq_n_f32(0.0f), acc01 = acc00;
    float32x4_t acc10 = acc00, acc11 = acc01, acc20 = acc00, acc21 = acc01;
    float32x4_t acc30 = acc00, acc31 = acc01, acc40 = acc00, acc41 = acc01;
    float32x4_t acc50 = acc00, acc51 = acc01, acc60 = acc00, acc61 = acc01;
    float32x4_t acc70 = acc00, acc71 = acc01;
    const float *bias = w;
    w += NR;
    float total[MR * NR]; /* the finished blocks' sums, once `flushed` */
    int flushed = 0;
    size_t left = UPERNET_IGEMM_KBLOCK; /* products left in the current block */
#define FOR_EACH_ROW(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7)

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
        for (size_t k = 0; k < kc;) {
            const size_t end = kc - k < left ? kc : k + left;
            left -= end - k;
            for (; k + 4 <= end; k += 4) {
                const float32x4_t va0 = vld1q_f32(a0 + k), va1 = vld1q_f32(a1 + k);
                const float32x4_t va2 = vld1q_f32(a2 + k), va3 = vld1q_f32(a3 + k);
                const float32x4_t va4 = vld1q_f32(a4 + k), va5 = vld1q_f32(a5 + k);
                const float32x4_t va6 = vld1q_f32(a6 + k), va7 = vld1q_f32(a7 + k);
#define STEP(l)                                                                   \
    {                                                                             \
        const float32x4_t b0 = vld1q_f32(w + (l) * NR);                           \
        const float32x4_t b1 = vld1q_f32(w + (l) * NR + 4);                       \
        acc00 = vfmaq_laneq_f32(acc00, b0, va0, l);                               \
        acc01 = vfmaq_laneq_f32(acc01, b1, va0, l);                               \
        acc10 = vfmaq_laneq_f32(acc10, b0, va1, l);                               \
        acc11 = vfmaq_laneq_f32(acc11, b1, va1, l);                               \
        acc20 = vfmaq_laneq_f32(acc20, b0, va2, l);                               \
        acc21 = vfmaq_laneq_f32(acc21, b1, va2, l);                               \
        acc30 = vfmaq_laneq_f32(acc30, b0, va3, l);                               \
        acc31 = vfmaq_laneq_f32(acc31, b1, va3, l);                               \
        acc40 = vfmaq_laneq_f32(acc40, b0, va4, l);                               \
        acc41 = vfmaq_laneq_f32(acc41, b1, va4, l);                               \
        acc50 = vfmaq_laneq_f32(acc50, b0, va5, l);                               \
        acc51 = vfmaq_laneq_f32(acc51, b1, va5, l);                               \
        acc60 = vfmaq_laneq_f32(acc60, b0, va6, l);                               \
        acc61 = vfmaq_laneq_f32(acc61, b1, va6, l);                               \
        acc70 = vfmaq_laneq_f32(acc70, b0, va7, l);                               \
        acc71 = vfmaq_laneq_f32(acc71, b1, va7, l);                               \
    }
                STEP(0) STEP(1) STEP(2) STEP(3)
#undef STEP
                w += 4 * NR;
            }
            for (; k < end; k++) {
                const float32x4_t b0 = vld1q_f32(w), b1 = vld1q_f32(w + 4);
                w += NR;
                acc00 = vfmaq_n_f32(acc00, b0, a0[k]), acc01 = vfmaq_n_f32(acc01, b1, a0[k]);
                acc10 = vfmaq_n_f32(acc10, b0, a1[k]), acc11 = vfmaq_n_f32(acc11, b1, a1[k]);
                acc20 = vfmaq_n_f32(acc20, b0, a2[k]), acc21 = vfmaq_n_f32(acc21, b1, a2[k]);
                acc30 = vfmaq_n_f32(acc30, b0, a3[k]), acc31 = vfmaq_n_f32(acc31, b1, a3[k]);
                acc40 = vfmaq_n_f32(acc40, b0, a4[k]), acc41 = vfmaq_n_f32(acc41, b1, a4[k]);
                acc50 = vfmaq_n_f32(acc50, b0, a5[k]), acc51 = vfmaq_n_f32(acc51, b1, a5[k]);
                acc60 = vfmaq_n_f32(acc60, b0, a6[k]), acc61 = vfmaq_n_f32(acc61, b1, a6[k]);
                acc70 = vfmaq_n_f32(acc70, b0, a7[k]), acc71 = vfmaq_n_f32(acc71, b1, a7[k]);
            }
            if (left == 0) {
#define FLUSH_ROW(i)                                                              \
    if (flushed) {                                                                \
        acc##i##0 = vaddq_f32(acc##i##0, vld1q_f32(total + i * NR));              \
        acc##i##1 = vaddq_f32(acc##i##1, vld1q_f32(total + i * NR + 4));          \
    }                                                                             \
    vst1q_f32(total + i * NR, acc##i##0);                                         \
    vst1q_f32(total + i * NR + 4, acc##i##1);                                     \
    acc##i##0 = vdupq_n_f32(0.0f), acc##i##1 = vdupq_n_f32(0.0f);
                FOR_EACH_ROW(FLUSH_ROW)
#undef FLUSH_ROW
                flushed = 1;
                left = UPERNET_IGEMM_KBLOCK;
            }
        }
    } while (--ks != 0);
    {
        const float32x4_t bias0 = vld1q_f32(bias), bias1 = vld1q_f32(bias + 4);
#define BIAS_ROW(i)                                                               \
    if (flushed) {                                                                \
        acc##i##0 = vaddq_f32(acc##i##0, vld1q_f32(total + i * NR));              \
        acc##i##1 = vaddq_f32(acc##i##1, vld1q_f32(total + i * NR + 4));          \
    }                                                                             \
    acc##i##0 = vaddq_f32(acc##i##0, bias0), acc##i##1 = vaddq_f32(acc##i##1, bias1);
        FOR_EACH_ROW(BIAS_ROW)
#undef BIAS_ROW
    }
#undef FOR_EACH_ROW

#define FOR_EACH_ACC(OP)                                                                   \
    OP(acc00) OP(acc01) OP(acc10) OP(acc11) OP(acc20) OP(acc21) OP(acc30) OP(acc31) OP(acc40) \
    OP(acc41) OP(acc50) OP(acc51) OP(acc60) OP(acc61) OP(acc70) OP(acc71)

    const float *residual = NULL;
    size_t residual_stride = 0;
    if (ep != NULL) {
        if (ep->activation == UPERNET_ACT_RELU) {
            /* FMAX returns NaN for a NaN operand, like torch.relu. */
#define RELU(v) v = vmaxq_f32(v, vdupq_n_f32(0.0f));
            FOR_EACH_ACC(RELU)
#undef RELU
        } else if (ep->activation == UPERNET_ACT_GELU) {
#define GELU(v) v = vec_gelu(v);
            FOR_EACH_ACC(GELU)
#undef GELU
        }
        if (ep->scale != NULL) {
            float32x4_t s0, s1;
            if (nc == NR) {
                s0 = vld1q_f32(ep->scale);
                s1 = vld1q_f32(ep->scale + 4);
            } else {
                load_partial(ep->scale, nc, &s0, &s1);
            }
#define SCALE_ROW(i) acc##i##0 = vmulq_f32(acc##i##0, s0), acc##i##1 = vmulq_f32(acc##i##1, s1);
            SCALE_ROW(0) SCALE_ROW(1) SCALE_ROW(2) SCALE_ROW(3)
            SCALE_ROW(4) SCALE_ROW(5) SCALE_ROW(6) SCALE_ROW(7)
#undef SCALE_ROW
        }
        residual = ep->residual;
        residual_stride = ep->residual_stride;
    }
#undef FOR_EACH_ACC

    if (nc == NR) {
#define STORE_ROW(i)                                                              \
    if (mr > i) {                                                                 \
        if (residual != NULL) {                                                   \
            const float *r = residual + i * residual_stride;                      \
            acc##i##0 = vaddq_f32(acc##i##0, vld1q_f32(r));                       \
            acc##i##1 = vaddq_f32(acc##i##1, vld1q_f32(r + 4));                   \
        }                                                                         \
        vst1q_f32(c + i * c_stride, acc##i##0);                                   \
        vst1q_f32(c + i * c_stride + 4, acc##i##1);                               \
    }
        STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)
        STORE_ROW(4) STORE_ROW(5) STORE_ROW(6) STORE_ROW(7)
#undef STORE_ROW
    } else {
#define STORE_ROW(i)                                                              \
    if (mr > i) {                                                                 \
        if (residual != NULL) {                                                   \
            float32x4_t r0, r1;                                                   \
            load_partial(residual + i * residual_stride, nc, &r0, &r1);           \
            acc##i##0 = vaddq_f32(acc##i##0, r0);                                 \
            acc##i##1 = vaddq_f32(acc##i##1, r1);                                 \
        }                                                                         \
        float out[NR];                                                            \
        vst1q_f32(out, acc##i##0);                                                \
        vst1q_f32(out + 4, acc##i##1);                                            \
        memcpy(c + i * c_stride, out, nc * sizeof(float));                        \
    }
        STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)
        STORE_ROW(4) STORE_ROW(5) STORE_ROW(6) STORE_ROW(7)
#undef STORE_ROW
    }
}

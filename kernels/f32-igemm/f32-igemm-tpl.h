/* f32 indirect GEMM, MR x 2W tile, broadcast form, one body for the x86 SIMD
 * tiers: a tier's wrapper (f32-igemm-<MR>x<NR>-<isa>.c) includes its
 * kernels/simd/vec-<isa>.h, defines UPERNET_IGEMM_FN as the function's name
 * and UPERNET_IGEMM_MR as the row count (6 or 8), and includes this file.
 * W = VEC_WIDTH; the tile is NR = 2W columns wide. (The NEON variant,
 * f32-igemm-8x8-neon.c, uses lane-indexed FMAs over 4 k at a time, a
 * different inner loop, and keeps its own body.)
 *
 * Contract: as the scalar reference (f32-igemm-4x4-scalar.c, microkernels.h):
 *   tile     mr <= MR rows x nc <= NR columns; any kc >= 1, any ks >= 1.
 *   a        ks*mr row pointers (a[s*mr + i]); exactly kc floats are read per
 *            pointer. Rows i >= mr reuse row mr-1's pointer (their sums are
 *            computed and dropped), so nothing outside the given rows is read.
 *   w        one packed panel: NR bias floats, then ks*kc rows of NR.
 *            The whole panel is read (NR wide, including zero columns >= nc),
 *            never a float beyond it. No alignment is required.
 *   writes   only c[i*c_stride + j], i < mr, j < nc: a partial tile (nc < NR)
 *            stores through the vec layer's masked stores, which touch no
 *            disabled lane.
 *   epilogue activation (ReLU, or GELU by kernels/simd/gelu-vec.h), then
 *            * scale[j], then + residual[i*residual_stride + j]; scale and
 *            residual are read only for j < nc (masked loads), residual row i
 *            just before c row i is written, so residual == c (in place) is
 *            safe. ep may be NULL.
 *
 * Register blocking: MR rows x 2 vectors = 2*MR accumulators, 2 vectors for
 * the weight row and the broadcast A value. AVX2 (6x16): 12 + 2 + 1 = 15 of
 * the 16 YMM registers; 12 independent chains cover the FMA latency x 2
 * pipes (8 in flight needed on current x86 cores). AVX-512 (8x32): 16
 * accumulators, the A value an embedded {1to16} broadcast operand of the
 * FMA; 8 A pointers + the weight pointer fit the general registers without
 * spills (14x32 would need 14 pointers and spill them), and every UperNet
 * width (96..3072, 150 classes aside) is a multiple of 32. Per k: 2 weight
 * loads + MR broadcasts feed 2*MR FMAs.
 * Summation order per element: s ascending, then k ascending, one FMA each,
 * in blocks of UPERNET_IGEMM_KBLOCK products (each block from zero, its sum
 * added to the finished blocks' total, kept on the stack), then the bias
 * (the scalar reference does the same order with mul+add).
 *
 * The rows are spelled out by the FOR_EACH_ROW X-macro (named accumulators
 * acc<i>0, acc<i>1 and pointers a<i>) rather than an array, so every
 * accumulator is a register whatever the compiler's scalarisation limits. */
#if !defined(UPERNET_IGEMM_FN) || !defined(UPERNET_IGEMM_MR)
#error "define UPERNET_IGEMM_FN and UPERNET_IGEMM_MR (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include "kernels/microkernels.h"
#include "kernels/simd/gelu-vec.h"

#define MR UPERNET_IGEMM_MR
#define NR (2 * VEC_WIDTH)

/* The rows, for FOR_EACH_ROW(X); FOR_EACH_LATER_ROW(Y) passes each row after
 * the first with the row before it, whose pointer it reuses when i >= mr. */
#if MR == 6
#define FOR_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define FOR_EACH_LATER_ROW(Y) Y(1, 0) Y(2, 1) Y(3, 2) Y(4, 3) Y(5, 4)
#elif MR == 8
#define FOR_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define FOR_EACH_LATER_ROW(Y) Y(1, 0) Y(2, 1) Y(3, 2) Y(4, 3) Y(5, 4) Y(6, 5) Y(7, 6)
#else
#error "UPERNET_IGEMM_MR must be 6 or 8"
#endif

void UPERNET_IGEMM_FN(size_t mr, size_t nc, size_t kc, size_t ks, const float *const *a,
                      const float *w, float *c, size_t c_stride,
                      const struct upernet_gemm_epilogue *ep)
{
    vec_t acc00 = vec_zero(), acc01 = vec_zero();
#define INIT_ACC(i, p) vec_t acc##i##0 = acc00, acc##i##1 = acc01;
    FOR_EACH_LATER_ROW(INIT_ACC)
#undef INIT_ACC
    const float *bias = w;
    w += NR;
    float total[MR * NR]; /* the finished blocks' sums, once `flushed` */
    int flushed = 0;
    size_t left = UPERNET_IGEMM_KBLOCK; /* products left in the current block */

    do {
        const float *a0 = a[0];
#define ROW_POINTER(i, p) const float *a##i = mr > i ? a[i] : a##p;
        FOR_EACH_LATER_ROW(ROW_POINTER)
#undef ROW_POINTER
        a += mr;
        for (size_t k = 0; k < kc;) {
            const size_t end = kc - k < left ? kc : k + left;
            left -= end - k;
            for (; k < end; k++) {
                const vec_t b0 = vec_loadu(w), b1 = vec_loadu(w + VEC_WIDTH);
                w += NR;
                vec_t v;
#define ROW_FMA(i)                                                             \
    v = vec_broadcast(a##i + k);                                               \
    acc##i##0 = vec_fmadd(v, b0, acc##i##0);                                   \
    acc##i##1 = vec_fmadd(v, b1, acc##i##1);
                FOR_EACH_ROW(ROW_FMA)
#undef ROW_FMA
            }
            if (left == 0) {
#define ROW_FLUSH(i)                                                           \
    if (flushed) {                                                             \
        acc##i##0 = vec_add(acc##i##0, vec_loadu(total + i * NR));             \
        acc##i##1 = vec_add(acc##i##1, vec_loadu(total + i * NR + VEC_WIDTH)); \
    }                                                                          \
    vec_storeu(total + i * NR, acc##i##0);                                     \
    vec_storeu(total + i * NR + VEC_WIDTH, acc##i##1);                         \
    acc##i##0 = vec_zero(), acc##i##1 = vec_zero();
                FOR_EACH_ROW(ROW_FLUSH)
#undef ROW_FLUSH
                flushed = 1;
                left = UPERNET_IGEMM_KBLOCK;
            }
        }
    } while (--ks != 0);

    {
        const vec_t bias0 = vec_loadu(bias), bias1 = vec_loadu(bias + VEC_WIDTH);
#define ROW_BIAS(i)                                                                       \
    if (flushed) {                                                                        \
        acc##i##0 = vec_add(acc##i##0, vec_loadu(total + i * NR));                        \
        acc##i##1 = vec_add(acc##i##1, vec_loadu(total + i * NR + VEC_WIDTH));            \
    }                                                                                     \
    acc##i##0 = vec_add(acc##i##0, bias0), acc##i##1 = vec_add(acc##i##1, bias1);
        FOR_EACH_ROW(ROW_BIAS)
#undef ROW_BIAS
    }

    const float *residual = NULL;
    size_t residual_stride = 0;
    if (ep != NULL) {
        if (ep->activation == UPERNET_ACT_RELU) {
#define ROW_RELU(i)                                                            \
    acc##i##0 = vec_max_keep_nan(acc##i##0, vec_zero());                       \
    acc##i##1 = vec_max_keep_nan(acc##i##1, vec_zero());
            FOR_EACH_ROW(ROW_RELU)
#undef ROW_RELU
        } else if (ep->activation == UPERNET_ACT_GELU) {
#define ROW_GELU(i)                                                            \
    acc##i##0 = vec_gelu(acc##i##0);                                           \
    acc##i##1 = vec_gelu(acc##i##1);
            FOR_EACH_ROW(ROW_GELU)
#undef ROW_GELU
        }
        if (ep->scale != NULL) {
            vec_t s0, s1;
            if (nc == NR) {
                s0 = vec_loadu(ep->scale);
                s1 = vec_loadu(ep->scale + VEC_WIDTH);
            } else {
                s0 = vec_load_masked(ep->scale, vec_mask_first((ptrdiff_t) nc));
                s1 = vec_load_masked(ep->scale + VEC_WIDTH,
                                     vec_mask_first((ptrdiff_t) nc - VEC_WIDTH));
            }
#define ROW_SCALE(i) acc##i##0 = vec_mul(acc##i##0, s0), acc##i##1 = vec_mul(acc##i##1, s1);
            FOR_EACH_ROW(ROW_SCALE)
#undef ROW_SCALE
        }
        residual = ep->residual;
        residual_stride = ep->residual_stride;
    }

    if (nc == NR) {
#define ROW_STORE(i)                                                           \
    if (mr > i) {                                                              \
        if (residual != NULL) {                                                \
            const float *r = residual + i * residual_stride;                   \
            acc##i##0 = vec_add(acc##i##0, vec_loadu(r));                      \
            acc##i##1 = vec_add(acc##i##1, vec_loadu(r + VEC_WIDTH));          \
        }                                                                      \
        vec_storeu(c + i * c_stride, acc##i##0);                               \
        vec_storeu(c + i * c_stride + VEC_WIDTH, acc##i##1);                   \
    }
        FOR_EACH_ROW(ROW_STORE)
#undef ROW_STORE
    } else {
        const vec_mask_t m0 = vec_mask_first((ptrdiff_t) nc);
        const vec_mask_t m1 = vec_mask_first((ptrdiff_t) nc - VEC_WIDTH);
#define ROW_STORE_MASKED(i)                                                    \
    if (mr > i) {                                                              \
        if (residual != NULL) {                                                \
            const float *r = residual + i * residual_stride;                   \
            acc##i##0 = vec_add(acc##i##0, vec_load_masked(r, m0));            \
            acc##i##1 = vec_add(acc##i##1, vec_load_masked(r + VEC_WIDTH, m1)); \
        }                                                                      \
        vec_store_masked(c + i * c_stride, m0, acc##i##0);                     \
        vec_store_masked(c + i * c_stride + VEC_WIDTH, m1, acc##i##1);         \
    }
        FOR_EACH_ROW(ROW_STORE_MASKED)
#undef ROW_STORE_MASKED
    }
}

#undef FOR_EACH_LATER_ROW
#undef FOR_EACH_ROW
#undef NR
#undef MR

/* f32 indirect GEMM, 4x4 tile, scalar reference (every SIMD variant is tested
 * against it).
 *
 * Contract (shared by all variants, see kernels/microkernels.h):
 *   tile     mr <= 4 rows (output pixels) x nc <= 4 columns (output channels).
 *   a        ks*mr row pointers, a[s*mr + i] = the kc floats row i reads at step s.
 *   w        one packed panel of width NR = 4 (kernels/pack.h): 4 bias floats,
 *            then ks*kc rows of 4 floats.
 *   math     for s < ks, for k < kc: acc += a[s*mr+i][k] * w[s*kc+k][j] (this
 *            fixed order; a separate multiply and add unless the compiler
 *            contracts them), acc restarting from zero every
 *            UPERNET_IGEMM_KBLOCK products and each block's acc added to the
 *            running total; then + bias[j], activation, * scale[j],
 *            + residual[i*residual_stride + j].
 *   reads    exactly kc floats per row pointer, the whole panel (4 columns).
 *   writes   only c[i*c_stride + j] for i < mr, j < nc; residual may equal c.
 *
 * The residual is read before c is written for each element, so an in-place
 * residual (residual == c, same stride) is safe. */
#include "config.h"

#include "kernels/gelu.h"
#include "kernels/microkernels.h"

#define MR 4
#define NR 4

/* Four named accumulator rows (rather than acc[MR][NR]) let the compiler keep
 * them in registers and vectorise the NR loop with its baseline vectors: about
 * 2.4x faster than the 2-D array form at -O2, same arithmetic. */
void upernet_f32_igemm_ukernel_4x4__scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                           const float *const *a, const float *w, float *c,
                                           size_t c_stride, const struct upernet_gemm_epilogue *ep)
{
    float acc0[NR] = {0}, acc1[NR] = {0}, acc2[NR] = {0}, acc3[NR] = {0};
    float total[MR][NR] = {{0}}; /* the finished blocks' sums */
    size_t left = UPERNET_IGEMM_KBLOCK; /* products left in the current block */
    const float *wrow = w + NR;
    for (size_t s = 0; s < ks; s++) {
        /* Rows past mr repeat the last real row (computed, never stored). */
        const float *const *as = a + s * mr;
        const float *a0 = as[0];
        const float *a1 = as[mr > 1 ? 1 : mr - 1];
        const float *a2 = as[mr > 2 ? 2 : mr - 1];
        const float *a3 = as[mr > 3 ? 3 : mr - 1];
        for (size_t k = 0; k < kc;) {
            const size_t end = kc - k < left ? kc : k + left;
            left -= end - k;
            for (; k < end; k++) {
                const float v0 = a0[k], v1 = a1[k], v2 = a2[k], v3 = a3[k];
                for (size_t j = 0; j < NR; j++) {
                    acc0[j] += v0 * wrow[j];
                    acc1[j] += v1 * wrow[j];
                    acc2[j] += v2 * wrow[j];
                    acc3[j] += v3 * wrow[j];
                }
                wrow += NR;
            }
            if (left == 0) {
                for (size_t j = 0; j < NR; j++) {
                    total[0][j] += acc0[j], total[1][j] += acc1[j];
                    total[2][j] += acc2[j], total[3][j] += acc3[j];
                    acc0[j] = acc1[j] = acc2[j] = acc3[j] = 0.0f;
                }
                left = UPERNET_IGEMM_KBLOCK;
            }
        }
    }
    for (size_t j = 0; j < NR; j++) {
        acc0[j] = (acc0[j] + total[0][j]) + w[j];
        acc1[j] = (acc1[j] + total[1][j]) + w[j];
        acc2[j] = (acc2[j] + total[2][j]) + w[j];
        acc3[j] = (acc3[j] + total[3][j]) + w[j];
    }
    const float *const accs[MR] = {acc0, acc1, acc2, acc3};
    for (size_t i = 0; i < mr; i++) {
        for (size_t j = 0; j < nc; j++) {
            float v = accs[i][j];
            if (ep->activation == UPERNET_ACT_RELU)
                v = v < 0.0f ? 0.0f : v; /* keeps NaN, like torch.relu */
            else if (ep->activation == UPERNET_ACT_GELU)
                v = upernet_gelu_scalar(v);
            if (ep->scale != NULL)
                v *= ep->scale[j];
            if (ep->residual != NULL)
                v += ep->residual[i * ep->residual_stride + j];
            c[i * c_stride + j] = v;
        }
    }
}

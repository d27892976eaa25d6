/* f32 Winograd F(2x2,3x3) output transform with bias and activation,
 * AArch64 NEON, 4 channels per vector.
 *
 * Contract: as the scalar reference (f32-winograd23-output-scalar.c):
 *   layout   position xi at m + xi*m_stride; output pixel (r, q) at
 *            y + r*y_row_stride + q*y_pixel_stride.
 *   math     the reference's additions in its order, + bias, then ReLU as
 *            FMAX with 0 (keeps NaN; gives +0 where the reference keeps -0,
 *            equal as numbers).
 *   reads    16 x channels of m and channels of bias; the last channels % 4
 *            go through the scalar reference (NEON has no masked loads).
 *   writes   rows x cols pixels.
 *   tails    any channels >= 1, rows and cols in {1, 2}. */
#include "config.h"

#include <arm_neon.h>
#include <stdbool.h>

#include "kernels/microkernels.h"

void upernet_f32_winograd23_output_ukernel_4c__neon(size_t channels, const float *m,
                                                    size_t m_stride, const float *bias,
                                                    enum upernet_activation act, float *y,
                                                    size_t y_row_stride, size_t y_pixel_stride,
                                                    size_t rows, size_t cols)
{
    const bool relu = act == UPERNET_ACT_RELU;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        float32x4_t s[2][4];
        for (size_t j = 0; j < 4; j++) {
            const float32x4_t m0 = vld1q_f32(m + (0 + j) * m_stride + c);
            const float32x4_t m1 = vld1q_f32(m + (4 + j) * m_stride + c);
            const float32x4_t m2 = vld1q_f32(m + (8 + j) * m_stride + c);
            const float32x4_t m3 = vld1q_f32(m + (12 + j) * m_stride + c);
            s[0][j] = vaddq_f32(vaddq_f32(m0, m1), m2);
            s[1][j] = vsubq_f32(vsubq_f32(m1, m2), m3);
        }
        const float32x4_t b = vld1q_f32(bias + c);
        for (size_t r = 0; r < rows; r++) {
            float32x4_t out[2];
            out[0] = vaddq_f32(vaddq_f32(vaddq_f32(s[r][0], s[r][1]), s[r][2]), b);
            out[1] = vaddq_f32(vsubq_f32(vsubq_f32(s[r][1], s[r][2]), s[r][3]), b);
            for (size_t q = 0; q < cols; q++) {
                float32x4_t o = out[q];
                if (relu)
                    o = vmaxq_f32(o, vdupq_n_f32(0.0f));
                vst1q_f32(y + r * y_row_stride + q * y_pixel_stride + c, o);
            }
        }
    }
    /* The last channels % 4 through the scalar reference: same operations. */
    if (c < channels)
        upernet_f32_winograd23_output_ukernel__scalar(channels - c, m + c, m_stride, bias + c, act,
                                                      y + c, y_row_stride, y_pixel_stride, rows,
                                                      cols);
}

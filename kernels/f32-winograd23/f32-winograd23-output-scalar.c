/* f32 Winograd F(2x2,3x3) output transform with bias and activation, scalar
 * reference.
 *
 * Contract (kernels/microkernels.h, upernet_f32_winograd23_output_fn):
 *   layout   the 16 GEMM results of one tile: position xi = 4*i + j at
 *            m + xi*m_stride, `channels` floats; output pixel (r, q) at
 *            y + r*y_row_stride + q*y_pixel_stride.
 *   math     S = A^T M (rows: (M0 + M1) + M2 and (M1 - M2) - M3), then
 *            Y = S A the same way along the columns, + bias, then the
 *            activation; every SIMD variant performs the same operations.
 *   reads    16 x channels floats of m, channels of bias.
 *   writes   rows x cols pixels (rows, cols in {1, 2}), channels floats each.
 *   tails    any channels >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

void upernet_f32_winograd23_output_ukernel__scalar(size_t channels, const float *m,
                                                   size_t m_stride, const float *bias,
                                                   enum upernet_activation act, float *y,
                                                   size_t y_row_stride, size_t y_pixel_stride,
                                                   size_t rows, size_t cols)
{
    for (size_t c = 0; c < channels; c++) {
        float s[2][4];
        for (size_t j = 0; j < 4; j++) {
            const float m0 = m[(0 + j) * m_stride + c], m1 = m[(4 + j) * m_stride + c];
            const float m2 = m[(8 + j) * m_stride + c], m3 = m[(12 + j) * m_stride + c];
            s[0][j] = (m0 + m1) + m2;
            s[1][j] = (m1 - m2) - m3;
        }
        for (size_t r = 0; r < rows; r++) {
            float out[2];
            out[0] = (s[r][0] + s[r][1]) + s[r][2];
            out[1] = (s[r][1] - s[r][2]) - s[r][3];
            for (size_t q = 0; q < cols; q++) {
                float o = out[q] + bias[c];
                if (act == UPERNET_ACT_RELU)
                    o = o < 0.0f ? 0.0f : o; /* keeps NaN, like torch.relu */
                y[r * y_row_stride + q * y_pixel_stride + c] = o;
            }
        }
    }
}

/* f32 Winograd F(2x2,3x3) input transform, AArch64 NEON, 4 channels per
 * vector.
 *
 * Contract: as the scalar reference (f32-winograd23-input-scalar.c):
 *   layout   patch pixel (r, q) at x + r*x_row_stride + q*x_pixel_stride; position
 *            xi at v + xi*v_stride.
 *   math     the reference's additions in the reference's order, per lane.
 *   reads    only the patch's channels: the last channels % 4 go through the
 *            scalar reference (NEON has no masked loads), same operations.
 *   writes   16 x channels floats.
 *   tails    any channels >= 1. */
#include "config.h"

#include <arm_neon.h>

#include "kernels/microkernels.h"

void upernet_f32_winograd23_input_ukernel_4c__neon(size_t channels, const float *x,
                                                   size_t x_row_stride, size_t x_pixel_stride,
                                                   float *v, size_t v_stride)
{
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        float32x4_t t[4][4];
        for (size_t q = 0; q < 4; q++) {
            const float *p = x + q * x_pixel_stride + c;
            const float32x4_t d0 = vld1q_f32(p), d1 = vld1q_f32(p + x_row_stride);
            const float32x4_t d2 = vld1q_f32(p + 2 * x_row_stride);
            const float32x4_t d3 = vld1q_f32(p + 3 * x_row_stride);
            t[0][q] = vsubq_f32(d0, d2);
            t[1][q] = vaddq_f32(d1, d2);
            t[2][q] = vsubq_f32(d2, d1);
            t[3][q] = vsubq_f32(d1, d3);
        }
        for (size_t i = 0; i < 4; i++) {
            float *row = v + 4 * i * v_stride + c;
            vst1q_f32(row, vsubq_f32(t[i][0], t[i][2]));
            vst1q_f32(row + v_stride, vaddq_f32(t[i][1], t[i][2]));
            vst1q_f32(row + 2 * v_stride, vsubq_f32(t[i][2], t[i][1]));
            vst1q_f32(row + 3 * v_stride, vsubq_f32(t[i][1], t[i][3]));
        }
    }
    /* The last channels % 4 through the scalar reference: same operations. */
    if (c < channels)
        upernet_f32_winograd23_input_ukernel__scalar(channels - c, x + c, x_row_stride,
                                                     x_pixel_stride, v + c, v_stride);
}

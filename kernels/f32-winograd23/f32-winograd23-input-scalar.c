/* f32 Winograd F(2x2,3x3) input transform, scalar reference.
 *
 * Contract (kernels/microkernels.h, upernet_f32_winograd23_input_fn):
 *   layout   the 4x4 patch: pixel (r, q) at x + r*x_row_stride + q*x_pixel_stride,
 *            `channels` contiguous floats each; output position xi = 4*i + j
 *            at v + xi*v_stride, `channels` floats.
 *   math     V = B^T d B, columns first (t = B^T d), then rows (V = t B),
 *            each entry one addition or subtraction in the order written
 *            below; every SIMD variant performs the same operations.
 *   reads    exactly the 16 x channels patch floats; writes 16 x channels.
 *   tails    any channels >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

void upernet_f32_winograd23_input_ukernel__scalar(size_t channels, const float *x,
                                                  size_t x_row_stride, size_t x_pixel_stride,
                                                  float *v, size_t v_stride)
{
    for (size_t c = 0; c < channels; c++) {
        float t[4][4];
        for (size_t q = 0; q < 4; q++) {
            const float d0 = x[0 * x_row_stride + q * x_pixel_stride + c];
            const float d1 = x[1 * x_row_stride + q * x_pixel_stride + c];
            const float d2 = x[2 * x_row_stride + q * x_pixel_stride + c];
            const float d3 = x[3 * x_row_stride + q * x_pixel_stride + c];
            t[0][q] = d0 - d2;
            t[1][q] = d1 + d2;
            t[2][q] = d2 - d1;
            t[3][q] = d1 - d3;
        }
        for (size_t i = 0; i < 4; i++) {
            float *row = v + 4 * i * v_stride + c;
            row[0 * v_stride] = t[i][0] - t[i][2];
            row[1 * v_stride] = t[i][1] + t[i][2];
            row[2 * v_stride] = t[i][2] - t[i][1];
            row[3 * v_stride] = t[i][1] - t[i][3];
        }
    }
}

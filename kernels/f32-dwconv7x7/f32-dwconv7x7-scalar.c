/* f32 7x7 depthwise convolution, scalar reference (every SIMD variant is
 * tested against it).
 *
 * Contract (shared by all variants, see kernels/microkernels.h):
 *   layout   x, y dense NHWC height x width x channels; y does not overlap x.
 *   weights  w packed [49][channels] (tap ky*7 + kx), bias[channels].
 *   math     y[h][w][c] = bias[c] + sum over in-bounds taps, ky outer, kx inner,
 *            of w[ky*7+kx][c] * x[h+ky-3][w+kx-3][c] (out-of-bounds taps are
 *            zero padding and are skipped: adding 0*w changes nothing).
 *   rows     only output rows [row_begin, row_end) are computed and written.
 *   reads    only in-bounds pixels of x, w[0..49*channels), bias[0..channels).
 *   tails    any channels >= 1, any height, width >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

void upernet_f32_dwconv7x7_ukernel__scalar(size_t height, size_t width, size_t channels,
                                           size_t row_begin, size_t row_end, const float *x,
                                           const float *w, const float *bias, float *y)
{
    for (size_t oy = row_begin; oy < row_end; oy++) {
        for (size_t ox = 0; ox < width; ox++) {
            float *out = y + (oy * width + ox) * channels;
            for (size_t c = 0; c < channels; c++)
                out[c] = bias[c];
            for (size_t ky = 0; ky < 7; ky++) {
                const size_t iy = oy + ky; /* input row + 3 */
                if (iy < 3 || iy - 3 >= height)
                    continue;
                for (size_t kx = 0; kx < 7; kx++) {
                    const size_t ix = ox + kx;
                    if (ix < 3 || ix - 3 >= width)
                        continue;
                    const float *in = x + ((iy - 3) * width + (ix - 3)) * channels;
                    const float *tap = w + (ky * 7 + kx) * channels;
                    for (size_t c = 0; c < channels; c++)
                        out[c] += tap[c] * in[c];
                }
            }
        }
    }
}

/* f32 bilinear resize, vertical step over channel planes, scalar reference
 * (the SSE2 variant is tested against it, value for value).
 *
 * Contract (kernels/microkernels.h, upernet_f32_bilinear_v_fn):
 *   layout   h0, h1: channels planar rows of width floats (row c at
 *            c*width); y: row c at y + c*y_plane_stride.
 *   math     y[c*y_plane_stride + j] = l0*h0[c*width + j] + l1*h1[c*width + j]:
 *            two products and one sum, in that order.
 *   writes   exactly width floats per channel; y does not overlap h0, h1.
 *   tails    any channels >= 1, width >= 1, any alignment. */
#include "config.h"

#include "kernels/microkernels.h"

void upernet_f32_bilinear_v_ukernel__scalar(size_t channels, size_t width, const float *h0,
                                            const float *h1, float l0, float l1, float *y,
                                            size_t y_plane_stride)
{
    for (size_t c = 0; c < channels; c++) {
        const float *a = h0 + c * width, *b = h1 + c * width;
        float *out = y + c * y_plane_stride;
        size_t j = 0;
        /* A fixed 8-wide inner loop: GCC's -O2 cost model vectorises it,
         * not a loop of unknown length. */
        for (; j + 8 <= width; j += 8)
            for (size_t k = j; k < j + 8; k++)
                out[k] = l0 * a[k] + l1 * b[k];
        for (; j < width; j++)
            out[j] = l0 * a[j] + l1 * b[j];
    }
}

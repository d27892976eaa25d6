/* f32 bilinear resize, horizontal step into channel planes, scalar reference
 * (the SSE2 variant is tested against it, value for value).
 *
 * Contract (kernels/microkernels.h, upernet_f32_bilinear_h_fn):
 *   layout   one source row of NHWC pixels, pixel p's channels at
 *            x + p*x_stride; output planar, h[c*out_w + ox].
 *   math     h[c*out_w + ox] = l0*x[i0][c] + l1*x[i1][c] with taps[ox]'s
 *            i0, i1, l0, l1: two products and one sum, in that order (the
 *            inner sums of PyTorch's bilinear formula, see src/ops/resize.c).
 *   reads    channels floats of the pixels the taps name.
 *   writes   exactly channels*out_w floats of h.
 *   tails    any channels >= 1, out_w >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

void upernet_f32_bilinear_h_ukernel__scalar(size_t channels, const float *x, size_t x_stride,
                                            const struct upernet_bilinear_tap *taps, size_t out_w,
                                            float *h)
{
    for (size_t ox = 0; ox < out_w; ox++) {
        const struct upernet_bilinear_tap t = taps[ox];
        const float *p0 = x + t.i0 * x_stride, *p1 = x + t.i1 * x_stride;
        for (size_t c = 0; c < channels; c++)
            h[c * out_w + ox] = t.l0 * p0[c] + t.l1 * p1[c];
    }
}

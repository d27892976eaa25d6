/* f32 bilinear resize, horizontal step from channel planes, scalar
 * reference (the SSE2 variant is tested against it, value for value).
 *
 * Contract (kernels/microkernels.h, upernet_f32_bilinear_hp_fn):
 *   layout   one source row of each channel, channel c's in_w floats at
 *            x + c*channel_stride; output planar, h[c*out_w + ox].
 *   math     h[c*out_w + ox] = l0*x[c][i0] + l1*x[c][i1] with taps[ox]'s
 *            i0, i1, l0, l1: two products and one sum, in that order and
 *            never fused (the arithmetic of upernet_f32_bilinear_h_fn).
 *   reads    the in_w floats of each channel's row; scratch (4*in_w +
 *            8*out_w floats, 16-byte aligned) is not used here.
 *   writes   exactly channels*out_w floats of h.
 *   tails    any channels >= 1, in_w >= 1, out_w >= 1. */
#include "config.h"

#include "kernels/microkernels.h"

UPERNET_NO_FP_CONTRACT
void upernet_f32_bilinear_hp_ukernel__scalar(size_t channels, const float *x,
                                             size_t channel_stride, size_t in_w,
                                             const struct upernet_bilinear_tap *taps,
                                             size_t out_w, float *h, float *scratch)
{
    (void) in_w, (void) scratch;
    for (size_t c = 0; c < channels; c++) {
        const float *row = x + c * channel_stride;
        for (size_t ox = 0; ox < out_w; ox++)
            h[c * out_w + ox] = taps[ox].l0 * row[taps[ox].i0] + taps[ox].l1 * row[taps[ox].i1];
    }
}

/* PyTorch's bilinear (align_corners = False) per-axis taps and the
 * per-pixel interpolation, shared by the resize ops, the multi-source conv
 * (which upsamples its sources on the fly) and the segmentation
 * post-processing (src/image/postprocess.c) so all give the same bits. */
#ifndef UPERNET_OPS_BILINEAR_H
#define UPERNET_OPS_BILINEAR_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/microkernels.h" /* struct upernet_bilinear_tap */

/* Fills taps[0..n_out) for resizing an axis of n_in samples to n_out
 * (docs/SPECIFICATION.md §4.7; see src/ops/resize.c). */
void upernet_bilinear_axis(size_t n_in, size_t n_out, struct upernet_bilinear_tap *taps);

/* One output pixel, all channels:
 *   out (=|+=) l0h*(l0w*x00 + l1w*x01) + l1h*(l0w*x10 + l1w*x11).
 * The fixed 8-wide inner loop and the restrict pointers are what let the
 * compiler vectorise this generic code at -O2: its cheap cost model skips
 * loops of unknown length, and without restrict it must assume out may
 * alias an input (it then stays scalar: the top-down upsample-add of
 * 64x64x512 took 13-18 ms instead of 7-8, one thread). The arithmetic is
 * the same either way. out never overlaps the inputs in any caller. */
static inline void upernet_bilinear_pixel(float *restrict out, const float *restrict x00,
                                          const float *restrict x01, const float *restrict x10,
                                          const float *restrict x11,
                                          struct upernet_bilinear_tap ry,
                                          struct upernet_bilinear_tap rx, size_t channels,
                                          bool accumulate)
{
    size_t c = 0;
    if (accumulate) {
        for (; c + 8 <= channels; c += 8)
            for (size_t j = c; j < c + 8; j++)
                out[j] += ry.l0 * (rx.l0 * x00[j] + rx.l1 * x01[j]) +
                          ry.l1 * (rx.l0 * x10[j] + rx.l1 * x11[j]);
        for (; c < channels; c++)
            out[c] += ry.l0 * (rx.l0 * x00[c] + rx.l1 * x01[c]) +
                      ry.l1 * (rx.l0 * x10[c] + rx.l1 * x11[c]);
    } else {
        for (; c + 8 <= channels; c += 8)
            for (size_t j = c; j < c + 8; j++)
                out[j] = ry.l0 * (rx.l0 * x00[j] + rx.l1 * x01[j]) +
                         ry.l1 * (rx.l0 * x10[j] + rx.l1 * x11[j]);
        for (; c < channels; c++)
            out[c] = ry.l0 * (rx.l0 * x00[c] + rx.l1 * x01[c]) +
                     ry.l1 * (rx.l0 * x10[c] + rx.l1 * x11[c]);
    }
}

#endif

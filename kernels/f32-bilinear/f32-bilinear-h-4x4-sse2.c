/* f32 bilinear resize, horizontal step into channel planes, SSE2, blocks of
 * 4 output pixels x 4 channels.
 *
 * Contract: as the scalar reference (f32-bilinear-h-scalar.c): the same two
 * products and one sum per element, so the same values.
 *
 * Each block's sums are computed over four contiguous channels of each of
 * four pixels, then the 4x4 block is transposed so that each channel's plane
 * gets a run of four pixels: both the loads and the stores are whole vectors
 * (scattering one float per plane and pixel costs ~4x more). Channels beyond
 * the last multiple of 4 and pixels beyond the last multiple of 4 take the
 * reference's loop.
 *
 * Built with the library's generic flags (SSE2 is part of x86-64), so no
 * FMA can contract the products; an empty translation unit where the
 * compiler does not target SSE2. */
#include "config.h"

#if defined(__SSE2__)
#include <emmintrin.h>

#include "kernels/microkernels.h"

void upernet_f32_bilinear_h_ukernel_4x4__sse2(size_t channels, const float *x, size_t x_stride,
                                              const struct upernet_bilinear_tap *taps,
                                              size_t out_w, float *h)
{
    size_t ox = 0;
    for (; ox + 4 <= out_w; ox += 4) {
        const struct upernet_bilinear_tap *t = taps + ox;
        const float *p0[4], *p1[4];
        __m128 l0[4], l1[4];
        for (int k = 0; k < 4; k++) {
            p0[k] = x + t[k].i0 * x_stride, p1[k] = x + t[k].i1 * x_stride;
            l0[k] = _mm_set1_ps(t[k].l0), l1[k] = _mm_set1_ps(t[k].l1);
        }
        size_t c = 0;
        for (; c + 4 <= channels; c += 4) {
            __m128 r[4];
            for (int k = 0; k < 4; k++)
                r[k] = _mm_add_ps(_mm_mul_ps(l0[k], _mm_loadu_ps(p0[k] + c)),
                                  _mm_mul_ps(l1[k], _mm_loadu_ps(p1[k] + c)));
            _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
            for (int k = 0; k < 4; k++)
                _mm_storeu_ps(h + (c + (size_t) k) * out_w + ox, r[k]);
        }
        for (; c < channels; c++)
            for (int k = 0; k < 4; k++)
                h[c * out_w + ox + (size_t) k] = t[k].l0 * p0[k][c] + t[k].l1 * p1[k][c];
    }
    for (; ox < out_w; ox++) {
        const struct upernet_bilinear_tap t = taps[ox];
        const float *p0 = x + t.i0 * x_stride, *p1 = x + t.i1 * x_stride;
        for (size_t c = 0; c < channels; c++)
            h[c * out_w + ox] = t.l0 * p0[c] + t.l1 * p1[c];
    }
}
#endif

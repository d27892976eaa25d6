/* f32 bilinear resize, horizontal step from channel planes, SSE2, blocks of
 * 4 channels x 4 output pixels.
 *
 * Contract: as the scalar reference (f32-bilinear-hp-scalar.c); scratch
 * holds 4*in_w + 8*out_w floats, 16-byte aligned.
 *
 * A planar row cannot be interpolated with whole vectors (each output reads
 * two arbitrary pixels of it), so each group of 4 channels is first
 * transposed into the scratch, 4x4 blocks at a time, as in_w pixels of 4
 * channels (16 bytes each: 4 KiB for a 256-pixel row, in L1). Each output
 * pixel is then one vector per tap over those 4 channels, and each block of
 * 4 output pixels is transposed back so that every channel's plane gets a
 * run of 4 (the layout of upernet_f32_bilinear_h_ukernel_4x4__sse2, whose
 * input already has its channels contiguous). The taps' weights are
 * broadcast into vectors once per call, not once per group of channels
 * (the broadcasts and the transposes compete for the same shuffle unit). Channels beyond the last
 * multiple of 4 and pixels beyond the last multiple of 4 take the
 * reference's loop.
 *
 * Built with the library's generic flags (SSE2 is part of x86-64), so no
 * FMA can contract the products; an empty translation unit where the
 * compiler does not target SSE2. */
#include "config.h"

#if defined(__SSE2__)
#include <emmintrin.h>

#include "kernels/microkernels.h"

/* slab[4*i + j] = row j's pixel i, for 4 rows channel_stride apart. */
static void transpose_4_rows(const float *x, size_t channel_stride, size_t in_w, float *slab)
{
    const float *r0 = x, *r1 = x + channel_stride, *r2 = r1 + channel_stride,
                *r3 = r2 + channel_stride;
    size_t i = 0;
    for (; i + 4 <= in_w; i += 4) {
        __m128 a = _mm_loadu_ps(r0 + i), b = _mm_loadu_ps(r1 + i);
        __m128 c = _mm_loadu_ps(r2 + i), d = _mm_loadu_ps(r3 + i);
        _MM_TRANSPOSE4_PS(a, b, c, d);
        _mm_storeu_ps(slab + 4 * i, a);
        _mm_storeu_ps(slab + 4 * i + 4, b);
        _mm_storeu_ps(slab + 4 * i + 8, c);
        _mm_storeu_ps(slab + 4 * i + 12, d);
    }
    for (; i < in_w; i++) {
        slab[4 * i] = r0[i], slab[4 * i + 1] = r1[i];
        slab[4 * i + 2] = r2[i], slab[4 * i + 3] = r3[i];
    }
}

void upernet_f32_bilinear_hp_ukernel_4x4__sse2(size_t channels, const float *x,
                                               size_t channel_stride, size_t in_w,
                                               const struct upernet_bilinear_tap *taps,
                                               size_t out_w, float *h, float *scratch)
{
    float *slab = scratch;
    __m128 *weights = (__m128 *) (scratch + 4 * in_w); /* l0, l1 of each output pixel */
    if (channels >= 4)
        for (size_t ox = 0; ox < out_w; ox++) {
            weights[2 * ox] = _mm_set1_ps(taps[ox].l0);
            weights[2 * ox + 1] = _mm_set1_ps(taps[ox].l1);
        }
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
        transpose_4_rows(x + c * channel_stride, channel_stride, in_w, slab);
        float *out = h + c * out_w;
        size_t ox = 0;
        for (; ox + 4 <= out_w; ox += 4) {
            __m128 r[4];
            for (size_t k = 0; k < 4; k++) {
                const struct upernet_bilinear_tap *t = &taps[ox + k];
                r[k] = _mm_add_ps(_mm_mul_ps(weights[2 * (ox + k)], _mm_loadu_ps(slab + 4 * t->i0)),
                                  _mm_mul_ps(weights[2 * (ox + k) + 1],
                                             _mm_loadu_ps(slab + 4 * t->i1)));
            }
            _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
            for (size_t k = 0; k < 4; k++)
                _mm_storeu_ps(out + k * out_w + ox, r[k]);
        }
        for (; ox < out_w; ox++) {
            const struct upernet_bilinear_tap t = taps[ox];
            for (size_t k = 0; k < 4; k++)
                out[k * out_w + ox] = t.l0 * slab[4 * t.i0 + k] + t.l1 * slab[4 * t.i1 + k];
        }
    }
    for (; c < channels; c++) {
        const float *row = x + c * channel_stride;
        for (size_t ox = 0; ox < out_w; ox++)
            h[c * out_w + ox] = taps[ox].l0 * row[taps[ox].i0] + taps[ox].l1 * row[taps[ox].i1];
    }
}
#endif

/* f32 bilinear resize, vertical step over channel planes, SSE2 with
 * streaming stores.
 *
 * Contract: as the scalar reference (f32-bilinear-v-scalar.c): the same two
 * products and one sum per element, so the same values; the streaming
 * stores are ordered (sfence) before the kernel returns.
 *
 * The 16-byte-aligned middle of each output row is written with streaming
 * stores: the planes (the logits, 150 x H x W floats, the largest write of
 * a forward) are not read again here, and skipping the read-for-ownership
 * of every line halves their memory traffic. The unaligned head and the
 * tail take the reference's arithmetic.
 *
 * Built with the library's generic flags (SSE2 is part of x86-64), so no
 * FMA can contract the products; an empty translation unit where the
 * compiler does not target SSE2. */
#include "config.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <stdint.h>

#include "kernels/microkernels.h"

void upernet_f32_bilinear_v_ukernel_stream__sse2(size_t channels, size_t width, const float *h0,
                                                 const float *h1, float l0, float l1, float *y,
                                                 size_t y_plane_stride)
{
    const __m128 v0 = _mm_set1_ps(l0), v1 = _mm_set1_ps(l1);
    for (size_t c = 0; c < channels; c++) {
        const float *a = h0 + c * width, *b = h1 + c * width;
        float *out = y + c * y_plane_stride;
        size_t j = 0;
        for (; j < width && ((uintptr_t) (out + j) & 15) != 0; j++)
            out[j] = l0 * a[j] + l1 * b[j];
        for (; j + 4 <= width; j += 4)
            _mm_stream_ps(out + j, _mm_add_ps(_mm_mul_ps(v0, _mm_loadu_ps(a + j)),
                                              _mm_mul_ps(v1, _mm_loadu_ps(b + j))));
        for (; j < width; j++)
            out[j] = l0 * a[j] + l1 * b[j];
    }
    _mm_sfence();
}
#endif

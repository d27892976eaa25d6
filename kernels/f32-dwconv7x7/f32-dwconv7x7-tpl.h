/* f32 7x7 depthwise convolution, one body for every SIMD tier: a tier's
 * wrapper (f32-dwconv7x7-<W>c-<isa>.c) includes its kernels/simd/vec-<isa>.h,
 * defines UPERNET_DWCONV7X7_FN as the function's name and includes this file.
 * One vector holds VEC_WIDTH channels (W).
 *
 * Contract: as the scalar reference (f32-dwconv7x7-scalar.c, microkernels.h):
 *   layout   x, y dense NHWC height x width x channels; y does not overlap x;
 *            w packed [49][channels]; only output rows [row_begin, row_end).
 *   math     y = bias + sum over in-bounds taps, ky outer, kx inner (the
 *            reference's order, one FMA per tap); out-of-bounds taps (zero
 *            padding) are skipped, never read.
 *   reads    only in-bounds pixels of x, w[0..49*channels), bias[0..channels);
 *            the last channels % W go through the vec layer's masked loads,
 *            which read no disabled lane.
 *   writes   only y rows [row_begin, row_end), the channel tail by masked
 *            stores.
 *   tails    any channels >= 1, any height, width >= 1.
 *
 * Blocking: for one output row and one channel vector, 8 consecutive output
 * pixels are accumulated together (8 vector accumulators), the 7 taps of one
 * kernel row are held in 7 vectors, and each of the 14 input pixels that the
 * 8 outputs see in that row is loaded once and feeds up to 7 FMAs: 56 FMAs
 * per 21 loads, 8 independent FMA chains.
 * Blocks that touch the left or right border test each input column and
 * skip the padding; a row narrower than 8 pixels takes a one-pixel path. A
 * last partial block is re-anchored at width-8 (recomputing some pixels with
 * the same operations, hence the same values).
 * Loop order: up to 255 channels, row -> channel vector -> pixel block ->
 * kernel row, so the 49 taps of a channel vector stay in L1 while the row is
 * swept. From 256 channels on (pixels of >= 1 KiB) the 7 x 14 input vectors
 * of one block fall into a few L1 sets (UperNet's row strides are multiples
 * of 4 KiB) and evict each other, so the order becomes row -> pixel block ->
 * kernel row -> channel vector, with the running sums kept in y between
 * kernel rows: x is then streamed contiguously. Both orders add the taps of
 * an output in the same sequence, so they give the same bits. */
#ifndef UPERNET_DWCONV7X7_FN
#error "define UPERNET_DWCONV7X7_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include <stdbool.h>

#include "kernels/microkernels.h"

#define BLOCK 8 /* output pixels per block */

VEC_INLINE vec_t load(const float *p, bool masked, vec_mask_t mask)
{
    return masked ? vec_load_masked(p, mask) : vec_loadu(p);
}

VEC_INLINE void store(float *p, bool masked, vec_mask_t mask, vec_t v)
{
    if (masked)
        vec_store_masked(p, mask, v);
    else
        vec_storeu(p, v);
}

/* Adds kernel row ky (its 7 taps) to the accumulators acc[0..7] of output
 * pixels ox0 .. ox0+7 of row oy, one vector of channels from c (masked: the
 * tail). With checked, input columns outside [0, width) are skipped before
 * they are dereferenced. */
VEC_INLINE void add_kernel_row(vec_t acc[BLOCK], size_t width, size_t channels, const float *x,
                               const float *w, size_t oy, size_t ky, size_t ox0, size_t c,
                               bool checked, bool masked, vec_mask_t mask)
{
    const float *row = x + (oy + ky - 3) * width * channels + c;
    const float *tap = w + ky * 7 * channels + c;
    vec_t wv[7];
#pragma GCC unroll 7
    for (int kx = 0; kx < 7; kx++)
        wv[kx] = load(tap + kx * channels, masked, mask);
    /* One pointer stepped by a pixel: a table of 14 column offsets would not
     * fit the general registers next to the rest. */
    const float *xp = row + ((ptrdiff_t) ox0 - 3) * (ptrdiff_t) channels;
#pragma GCC unroll 14
    for (int j = 0; j < BLOCK + 6; j++, xp += channels) {
        const ptrdiff_t col = (ptrdiff_t) ox0 + j - 3;
        if (checked && (col < 0 || col >= (ptrdiff_t) width))
            continue;
        const vec_t xv = load(xp, masked, mask);
        /* Input column j is tap kx = j - t of output pixel t. */
#pragma GCC unroll 8
        for (int t = 0; t < BLOCK; t++)
            if (j - t >= 0 && j - t < 7)
                acc[t] = vec_fmadd(xv, wv[j - t], acc[t]);
    }
}

/* Output pixels ox0 .. ox0+7 of row oy, one vector of channels from c
 * (masked: the tail). Kernel rows ky_lo..ky_hi-1 are in bounds. With
 * checked, input columns outside [0, width) are skipped. */
VEC_INLINE void block(size_t width, size_t channels, const float *x, const float *w,
                      const float *bias, float *y, size_t oy, size_t ky_lo, size_t ky_hi,
                      size_t ox0, size_t c, bool checked, bool masked, vec_mask_t mask)
{
    vec_t acc[BLOCK];
    const vec_t b = load(bias + c, masked, mask);
#pragma GCC unroll 8
    for (int t = 0; t < BLOCK; t++)
        acc[t] = b;
    for (size_t ky = ky_lo; ky < ky_hi; ky++)
        add_kernel_row(acc, width, channels, x, w, oy, ky, ox0, c, checked, masked, mask);
    float *out = y + (oy * width + ox0) * channels + c;
#pragma GCC unroll 8
    for (int t = 0; t < BLOCK; t++)
        store(out + t * channels, masked, mask, acc[t]);
}

/* Adds kernel row ky to output pixels ox0 .. ox0+7 of row oy, one vector of
 * channels from c (masked: the tail): the running sums live in y between
 * kernel rows (first: they start from the bias). With checked, input
 * columns outside [0, width) are skipped. Storing a float sum and loading it
 * back is exact, so the order of operations per output is still bias, ky,
 * kx. */
VEC_INLINE void block_row(size_t width, size_t channels, const float *x, const float *w,
                          const float *bias, float *y, size_t oy, size_t ky, bool first,
                          size_t ox0, size_t c, bool checked, bool masked, vec_mask_t mask)
{
    float *out = y + (oy * width + ox0) * channels + c;
    vec_t acc[BLOCK];
    if (first) {
        const vec_t b = load(bias + c, masked, mask);
#pragma GCC unroll 8
        for (int t = 0; t < BLOCK; t++)
            acc[t] = b;
    } else {
#pragma GCC unroll 8
        for (int t = 0; t < BLOCK; t++)
            acc[t] = load(out + t * channels, masked, mask);
    }
    add_kernel_row(acc, width, channels, x, w, oy, ky, ox0, c, checked, masked, mask);
#pragma GCC unroll 8
    for (int t = 0; t < BLOCK; t++)
        store(out + t * channels, masked, mask, acc[t]);
}

/* Kernel row ky of one pixel block, every channel vector (contiguous in x,
 * w and y). */
VEC_INLINE void block_pass(
    size_t width, size_t channels, const float *x, const float *w, const float *bias, float *y,
    size_t oy, size_t ky, bool first, size_t ox0, bool checked, size_t full, vec_mask_t tail_mask)
{
    for (size_t c = 0; c < full; c += VEC_WIDTH)
        block_row(width, channels, x, w, bias, y, oy, ky, first, ox0, c, checked, false,
                   tail_mask);
    if (full < channels)
        block_row(width, channels, x, w, bias, y, oy, ky, first, ox0, full, checked, true,
                   tail_mask);
}

/* One output pixel ox (rows narrower than a block). */
VEC_INLINE void pixel1(
    size_t width, size_t channels, const float *x, const float *w, const float *bias, float *y,
    size_t oy, size_t ky_lo, size_t ky_hi, size_t ox, size_t c, bool masked, vec_mask_t mask)
{
    vec_t acc = load(bias + c, masked, mask);
    for (size_t ky = ky_lo; ky < ky_hi; ky++) {
        const float *row = x + (oy + ky - 3) * width * channels + c;
        const float *tap = w + ky * 7 * channels + c;
        for (size_t kx = 0; kx < 7; kx++) {
            const size_t ix = ox + kx; /* input column + 3 */
            if (ix < 3 || ix - 3 >= width)
                continue;
            acc = vec_fmadd(load(row + (ix - 3) * channels, masked, mask),
                            load(tap + kx * channels, masked, mask), acc);
        }
    }
    float *out = y + (oy * width + ox) * channels + c;
    store(out, masked, mask, acc);
}

/* One output row, one channel vector: all pixel blocks. */
VEC_INLINE void row_vector(
    size_t width, size_t channels, const float *x, const float *w, const float *bias, float *y,
    size_t oy, size_t ky_lo, size_t ky_hi, size_t c, bool masked, vec_mask_t mask)
{
    if (width < BLOCK) {
        for (size_t ox = 0; ox < width; ox++)
            pixel1(width, channels, x, w, bias, y, oy, ky_lo, ky_hi, ox, c, masked, mask);
        return;
    }
    for (size_t ox0 = 0; ox0 < width; ox0 += BLOCK) {
        if (ox0 + BLOCK > width)
            ox0 = width - BLOCK;
        if (ox0 >= 3 && ox0 + BLOCK + 3 <= width)
            block(width, channels, x, w, bias, y, oy, ky_lo, ky_hi, ox0, c, false, masked, mask);
        else
            block(width, channels, x, w, bias, y, oy, ky_lo, ky_hi, ox0, c, true, masked, mask);
    }
}

void UPERNET_DWCONV7X7_FN(size_t height, size_t width, size_t channels, size_t row_begin,
                          size_t row_end, const float *x, const float *w, const float *bias,
                          float *y)
{
    const size_t full = channels - channels % VEC_WIDTH;
    const vec_mask_t tail_mask = vec_mask_tail(channels - full);
    for (size_t oy = row_begin; oy < row_end; oy++) {
        /* Kernel rows whose input row oy + ky - 3 lies in [0, height). */
        const size_t ky_lo = oy < 3 ? 3 - oy : 0;
        const size_t ky_hi = height + 3 - oy < 7 ? height + 3 - oy : 7;
        if (channels < 256 || width < BLOCK) {
            /* Channel vector outer, the whole 7x7 window per pixel block. */
            for (size_t c = 0; c < full; c += VEC_WIDTH)
                row_vector(width, channels, x, w, bias, y, oy, ky_lo, ky_hi, c, false, tail_mask);
            if (full < channels)
                row_vector(width, channels, x, w, bias, y, oy, ky_lo, ky_hi, full, true,
                           tail_mask);
            continue;
        }
        /* Wide pixels (>= 1 KiB): a block's 7 rows x 14 columns of one
         * channel vector fall into a few L1 sets (row strides are multiples
         * of 4 KiB, column strides of 1 KiB) and evict each other; one
         * kernel row at a time over all channels streams x instead. */
        for (size_t ox0 = 0; ox0 < width; ox0 += BLOCK) {
            if (ox0 + BLOCK > width)
                ox0 = width - BLOCK;
            const bool inside = ox0 >= 3 && ox0 + BLOCK + 3 <= width;
            for (size_t ky = ky_lo; ky < ky_hi; ky++) {
                const bool first = ky == ky_lo;
                if (inside && first)
                    block_pass(width, channels, x, w, bias, y, oy, ky, true, ox0, false, full,
                               tail_mask);
                else if (inside)
                    block_pass(width, channels, x, w, bias, y, oy, ky, false, ox0, false, full,
                               tail_mask);
                else if (first)
                    block_pass(width, channels, x, w, bias, y, oy, ky, true, ox0, true, full,
                               tail_mask);
                else
                    block_pass(width, channels, x, w, bias, y, oy, ky, false, ox0, true, full,
                               tail_mask);
            }
        }
    }
}

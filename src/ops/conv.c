/* Dense convolution / Linear driver over the igemm micro-kernel.
 *
 * The output (out_h*out_w pixels, flattened row-major) is cut into row tiles
 * of MR pixels and the output channels into panels of NR; every (row tile,
 * panel) pair is one micro-kernel call that does the whole reduction over
 * taps and input channels, so each output element has one fixed summation
 * order whatever the thread count. No im2col: for each row tile the driver
 * builds MR*taps row pointers into the input (padding taps point at a zero
 * row) on the thread's stack.
 *
 * Merged taps: without padding and with dense pixels (x_stride ==
 * in_channels), the kernel_w taps of one kernel row read consecutive pixels,
 * i.e. one contiguous run of kernel_w*in_channels floats, and the packed
 * rows (s = ky*kw + kx, then channel) are already in that order; so such a
 * conv runs as ks = kernel, kc = kernel*in_channels: the same products in
 * the same order with longer, fewer rows (bitwise the same result with the
 * scalar kernel; a SIMD kernel that keeps several partial sums over k may
 * associate differently). The choice depends only on the shapes, never on
 * the thread count. This turns the stem's kc = 3 into 12 and the
 * downsampling's C into 2C.
 *
 * Order of the tiles: row tiles are grouped into blocks whose input rows fit
 * in a cache budget (upernet_conv_block_tiles in src/ops/tiles.h); within a
 * block every panel visits every row tile of the block, so the block's input
 * stays in cache while the weight panels stream past it. OpenMP splits the
 * flattened (block, panel, tile) index statically. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "ops/ops.h"
#include "ops/scratch.h"
#include "ops/tiles.h"
#include "ops/winograd.h"

#define MAX_MR 32

/* Never written: the row every padding tap reads. */
static float zero_row[UPERNET_CONV_ZERO_FLOATS];

size_t upernet_conv_out_size(size_t n, size_t kernel, size_t stride, size_t padding)
{
    if (n + 2 * padding < kernel || stride == 0)
        return 0;
    return (n + 2 * padding - kernel) / stride + 1;
}

/* Fills a[s*rows + i] for the `rows` output pixels starting at flat index m0;
 * taps_x = kernel (one pointer per tap) or 1 (merged: one per kernel row). */
static void build_indirection(const struct upernet_conv *conv, size_t taps_x, size_t in_h,
                              size_t in_w, size_t out_w, const float *x, size_t x_stride,
                              const float *zero, size_t m0, size_t rows, const float **a)
{
    const size_t k = conv->kernel;
    for (size_t i = 0; i < rows; i++) {
        const size_t m = m0 + i;
        const size_t oy = m / out_w, ox = m % out_w;
        for (size_t ky = 0; ky < k; ky++) {
            /* Input row + padding, unsigned: < padding means above the image. */
            const size_t iy = oy * conv->stride + ky;
            const int row_in = iy >= conv->padding && iy - conv->padding < in_h;
            for (size_t kx = 0; kx < taps_x; kx++) {
                const size_t ix = ox * conv->stride + kx;
                const int col_in = ix >= conv->padding && ix - conv->padding < in_w;
                const float *p = zero;
                if (row_in && col_in)
                    p = x + ((iy - conv->padding) * in_w + (ix - conv->padding)) * x_stride;
                a[(ky * taps_x + kx) * rows + i] = p;
            }
        }
    }
}

struct upernet_op_cost upernet_conv_cost(const struct upernet_kernel_table *t,
                                         const struct upernet_conv *conv, size_t in_h,
                                         size_t in_w, size_t threads)
{
    if (conv->winograd != NULL)
        return upernet_winograd23_cost(t, conv, in_h, in_w, threads);
    const size_t out_h = upernet_conv_out_size(in_h, conv->kernel, conv->stride, conv->padding);
    const size_t out_w = upernet_conv_out_size(in_w, conv->kernel, conv->stride, conv->padding);
    const size_t pixels = out_h * out_w, mr = t->igemm.mr, nr = t->igemm.nr;
    const double macs = (double) pixels * (double) (conv->kernel * conv->kernel) *
                        (double) conv->in_channels * (double) conv->out_channels;
    /* Both direct drivers (this file, conv_sources.c) split the flattened
     * (row tile, panel) pairs. */
    return (struct upernet_op_cost){
        .macs = macs,
        .direct_macs = macs,
        .units = (pixels + mr - 1) / mr * ((conv->out_channels + nr - 1) / nr),
        .loops = 1,
    };
}

enum upernet_status upernet_conv_run(const struct upernet_kernel_table *t,
                                     const struct upernet_conv *conv, size_t in_h, size_t in_w,
                                     const float *x, size_t x_stride, float *y, size_t y_stride,
                                     const float *scale, const float *residual,
                                     size_t residual_stride, upernet_error *err)
{
    if (conv->winograd != NULL) {
        const struct upernet_conv_source whole = {x, in_h, in_w, conv->in_channels, x_stride};
        return upernet_winograd23_run(t, conv, in_h, in_w, &whole, 1, y, y_stride, scale,
                                      residual, err);
    }
    const size_t mr = t->igemm.mr, nr = t->igemm.nr;
    if (conv->nr != nr)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "conv weights packed for nr=%zu but kernel %s needs nr=%zu", conv->nr,
                            t->igemm.name, nr);
    const size_t taps = conv->kernel * conv->kernel;
    if (taps == 0 || taps > UPERNET_CONV_MAX_TAPS || mr > MAX_MR)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "conv kernel %zux%zu (mr=%zu) is outside the driver's limits",
                            conv->kernel, conv->kernel, mr);
    const size_t out_h = upernet_conv_out_size(in_h, conv->kernel, conv->stride, conv->padding);
    const size_t out_w = upernet_conv_out_size(in_w, conv->kernel, conv->stride, conv->padding);
    if (out_h == 0 || out_w == 0 || conv->in_channels == 0 || conv->out_channels == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "conv %zux%zu stride %zu padding %zu on a %zux%zu input with %zu->%zu "
                            "channels has no output",
                            conv->kernel, conv->kernel, conv->stride, conv->padding, in_h, in_w,
                            conv->in_channels, conv->out_channels);

    const float *zero = zero_row;
    float *zero_alloc = NULL;
    struct upernet_scratch *scratch = upernet_scratch_current();
    const size_t scratch_mark = upernet_scratch_mark(scratch);
    if (conv->padding > 0 && conv->in_channels > UPERNET_CONV_ZERO_FLOATS) {
        zero_alloc = upernet_scratch_calloc(scratch, conv->in_channels, sizeof *zero_alloc);
        if (zero_alloc == NULL)
            return upernet_fail(err, UPERNET_ERR_NOMEM, "conv: no memory for a %zu-float zero row",
                                conv->in_channels);
        zero = zero_alloc;
    }

    const int merged = conv->padding == 0 && conv->kernel > 1 && x_stride == conv->in_channels;
    const size_t taps_x = merged ? 1 : conv->kernel;
    const size_t ks = merged ? conv->kernel : taps;
    const size_t kc = merged ? conv->kernel * conv->in_channels : conv->in_channels;
    const size_t pixels = out_h * out_w;
    const size_t row_tiles = (pixels + mr - 1) / mr;
    const size_t panels = (conv->out_channels + nr - 1) / nr;
    const size_t panel_floats = upernet_pack_conv_panel_floats(conv->in_channels, conv->kernel,
                                                               conv->kernel, nr);
    const struct upernet_tile_order order = upernet_tile_order(
        row_tiles, panels,
        upernet_conv_block_tiles(panel_floats * sizeof(float),
                                 mr * conv->in_channels * sizeof(float)));
    const upernet_f32_igemm_fn igemm = t->igemm.fn;

#pragma omp parallel
    {
        const float *a[UPERNET_CONV_MAX_TAPS * MAX_MR];
        size_t built = SIZE_MAX;
#pragma omp for schedule(static)
        for (size_t index = 0; index < order.count; index++) {
            size_t tile, panel, slot;
            upernet_tile_at(&order, index, &tile, &panel, &slot);
            const size_t m0 = tile * mr;
            const size_t rows = pixels - m0 < mr ? pixels - m0 : mr;
            if (tile != built) {
                build_indirection(conv, taps_x, in_h, in_w, out_w, x, x_stride, zero, m0, rows,
                                  a);
                built = tile;
            }
            const size_t n0 = panel * nr;
            const size_t cols = conv->out_channels - n0 < nr ? conv->out_channels - n0 : nr;
            const struct upernet_gemm_epilogue ep = {
                .activation = conv->activation,
                .scale = scale != NULL ? scale + n0 : NULL,
                .residual = residual != NULL ? residual + m0 * residual_stride + n0 : NULL,
                .residual_stride = residual_stride,
            };
            igemm(rows, cols, kc, ks, a, conv->packed + panel * panel_floats,
                  y + m0 * y_stride + n0, y_stride, &ep);
        }
    }
    upernet_scratch_free(scratch, zero_alloc);
    upernet_scratch_reset(scratch, scratch_mark);
    upernet_error_clear(err);
    return UPERNET_OK;
}

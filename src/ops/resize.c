/* Bilinear resize, align_corners = False, explicit output size, exactly as
 * PyTorch computes its source indices and weights (docs/SPECIFICATION.md §4.7;
 * aten/src/ATen/native/UpSample.h compute_source_index_and_lambda), in float:
 *   n_in == n_out: identity (i0 = i1 = i, weights 1 and 0);
 *   otherwise r = (float)n_in / n_out, src = max(r*(i + 0.5f) - 0.5f, 0),
 *   i0 = min(floor(src), n_in - 1), l1 = clamp(src - i0, 0, 1), l0 = 1 - l1,
 *   i1 = i0 + 1 unless i0 is the last index.
 * Each output is l0h*(l0w*x00 + l1w*x01) + l1h*(l0w*x10 + l1w*x11), the
 * nesting PyTorch's CPU kernel uses (rows outer). The per-axis tables are
 * built once per call. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "kernels/dispatch.h"
#include "ops/bilinear.h"
#include "ops/ops.h"
#include "ops/scratch.h"

#define axis_tap upernet_bilinear_tap

void upernet_bilinear_axis(size_t n_in, size_t n_out, struct axis_tap *taps)
{
    const float r = (float) n_in / (float) n_out;
    for (size_t i = 0; i < n_out; i++) {
        if (n_in == n_out) {
            taps[i] = (struct axis_tap){i, i, 1.0f, 0.0f};
            continue;
        }
        float src = r * ((float) i + 0.5f) - 0.5f;
        if (src < 0.0f)
            src = 0.0f;
        size_t i0 = (size_t) floorf(src);
        if (i0 > n_in - 1)
            i0 = n_in - 1;
        float l1 = src - (float) i0;
        l1 = l1 < 0.0f ? 0.0f : (l1 > 1.0f ? 1.0f : l1);
        taps[i].i0 = i0;
        taps[i].i1 = i0 < n_in - 1 ? i0 + 1 : i0;
        taps[i].l1 = l1;
        taps[i].l0 = 1.0f - l1;
    }
}

static enum upernet_status build_tables(struct upernet_scratch *scratch, size_t in_h, size_t in_w,
                                        size_t out_h, size_t out_w, struct axis_tap **rows,
                                        struct axis_tap **cols, upernet_error *err)
{
    *rows = upernet_scratch_alloc(scratch, (out_h + out_w) * sizeof **rows);
    if (*rows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "bilinear resize: no memory for %zu+%zu index entries", out_h, out_w);
    *cols = *rows + out_h;
    upernet_bilinear_axis(in_h, out_h, *rows);
    upernet_bilinear_axis(in_w, out_w, *cols);
    return UPERNET_OK;
}

/* Work units of the NHWC resize: an output row's pixels in runs of
 * PIXEL_RUN, so the top-down path's 32-row maps (tiny at 512x512) still give
 * every one of 16 threads a few units. */
#define PIXEL_RUN 16

static size_t pixel_runs(size_t out_w)
{
    return (out_w + PIXEL_RUN - 1) / PIXEL_RUN;
}

struct upernet_op_cost upernet_resize_bilinear_cost(size_t out_h, size_t out_w)
{
    return (struct upernet_op_cost){.units = out_h * pixel_runs(out_w), .loops = 1};
}

/* The planar resize's units are output rows (each thread reuses the source
 * rows its consecutive output rows share). */
struct upernet_op_cost upernet_resize_bilinear_to_planes_cost(size_t out_h)
{
    return (struct upernet_op_cost){.units = out_h, .loops = 1};
}

enum upernet_status upernet_resize_bilinear(size_t in_h, size_t in_w, size_t channels,
                                            const float *x, size_t x_stride, size_t out_h,
                                            size_t out_w, float *y, size_t y_stride,
                                            bool accumulate, upernet_error *err)
{
    if (out_h == 0 || out_w == 0 || channels == 0)
        return UPERNET_OK;
    struct axis_tap *rows, *cols;
    struct upernet_scratch *scratch = upernet_scratch_current();
    const size_t scratch_mark = upernet_scratch_mark(scratch);
    const enum upernet_status status =
        build_tables(scratch, in_h, in_w, out_h, out_w, &rows, &cols, err);
    if (status != UPERNET_OK) {
        upernet_scratch_reset(scratch, scratch_mark);
        return status;
    }
    const size_t runs = pixel_runs(out_w);
#pragma omp parallel for schedule(static)
    for (size_t unit = 0; unit < out_h * runs; unit++) {
        const size_t oy = unit / runs, ox0 = unit % runs * PIXEL_RUN;
        const size_t ox1 = ox0 + PIXEL_RUN < out_w ? ox0 + PIXEL_RUN : out_w;
        const struct axis_tap ry = rows[oy];
        const float *x0row = x + ry.i0 * in_w * x_stride;
        const float *x1row = x + ry.i1 * in_w * x_stride;
        for (size_t ox = ox0; ox < ox1; ox++) {
            const struct axis_tap rx = cols[ox];
            upernet_bilinear_pixel(y + (oy * out_w + ox) * y_stride, x0row + rx.i0 * x_stride,
                                   x0row + rx.i1 * x_stride, x1row + rx.i0 * x_stride,
                                   x1row + rx.i1 * x_stride, ry, rx, channels, accumulate);
        }
    }
    upernet_scratch_free(scratch, rows);
    upernet_scratch_reset(scratch, scratch_mark);
    upernet_error_clear(err);
    return UPERNET_OK;
}

enum upernet_status upernet_resize_bilinear_to_planes(const struct upernet_kernel_table *t,
                                                      size_t in_h, size_t in_w, size_t channels,
                                                      const float *x, size_t x_stride,
                                                      size_t out_h, size_t out_w, float *y,
                                                      upernet_error *err)
{
    if (out_h == 0 || out_w == 0 || channels == 0)
        return UPERNET_OK;
    struct axis_tap *rows, *cols;
    struct upernet_scratch *scratch = upernet_scratch_current();
    const size_t scratch_mark = upernet_scratch_mark(scratch);
    const enum upernet_status status =
        build_tables(scratch, in_h, in_w, out_h, out_w, &rows, &cols, err);
    if (status != UPERNET_OK) {
        upernet_scratch_reset(scratch, scratch_mark);
        return status;
    }
    const size_t plane = out_h * out_w, row_floats = channels * out_w;
    const upernet_f32_bilinear_h_fn horizontal = t->bilinear_h.fn;
    const upernet_f32_bilinear_v_fn vertical = t->bilinear_v.fn;
    const size_t row_stride = in_w * x_stride;
    int failed = 0;
    /* Each thread keeps the two horizontally interpolated source rows its
     * output rows need (planar, 2*channels*out_w floats, allocated once per
     * thread per call); consecutive output rows mostly reuse them. The
     * vertical step then writes every plane's row as one contiguous run.
     * Both steps are kernels (kernels/f32-bilinear/). */
#pragma omp parallel reduction(| : failed)
    {
        float *cache = upernet_scratch_alloc(scratch, 2 * row_floats * sizeof *cache);
        float *h[2] = {cache, cache != NULL ? cache + row_floats : NULL};
        size_t held[2] = {SIZE_MAX, SIZE_MAX};
        failed = cache == NULL;
#pragma omp for schedule(static)
        for (size_t oy = 0; oy < out_h; oy++) {
            if (cache == NULL)
                continue;
            const struct axis_tap ry = rows[oy];
            /* Slot s0 gets row i0 (preferring a slot not holding i1), slot s1
             * the other one unless i1 == i0. */
            int s0 = held[0] == ry.i0 ? 0 : held[1] == ry.i0 ? 1 : -1;
            if (s0 < 0) {
                s0 = held[0] == ry.i1 ? 1 : 0;
                horizontal(channels, x + ry.i0 * row_stride, x_stride, cols, out_w, h[s0]);
                held[s0] = ry.i0;
            }
            int s1 = s0;
            if (ry.i1 != ry.i0) {
                s1 = 1 - s0;
                if (held[s1] != ry.i1) {
                    horizontal(channels, x + ry.i1 * row_stride, x_stride, cols, out_w, h[s1]);
                    held[s1] = ry.i1;
                }
            }
            vertical(channels, out_w, h[s0], h[s1], ry.l0, ry.l1, y + oy * out_w, plane);
        }
        upernet_scratch_free(scratch, cache);
    }
    upernet_scratch_free(scratch, rows);
    upernet_scratch_reset(scratch, scratch_mark);
    if (failed)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "bilinear resize: no memory for two %zu-float row buffers", row_floats);
    upernet_error_clear(err);
    return UPERNET_OK;
}

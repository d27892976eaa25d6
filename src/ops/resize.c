/* Bilinear resize, align_corners = False, explicit output size, exactly as
 * PyTorch computes its source indices and weights (REFERENCE §4.7;
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
#include <stdlib.h>

#include "core/error.h"
#include "ops/ops.h"

struct axis_tap {
    size_t i0, i1;
    float l0, l1;
};

static void build_axis(size_t n_in, size_t n_out, struct axis_tap *taps)
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

static enum upernet_status build_tables(size_t in_h, size_t in_w, size_t out_h, size_t out_w,
                                        struct axis_tap **rows, struct axis_tap **cols,
                                        upernet_error *err)
{
    *rows = malloc((out_h + out_w) * sizeof **rows);
    if (*rows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "bilinear resize: no memory for %zu+%zu index entries", out_h, out_w);
    *cols = *rows + out_h;
    build_axis(in_h, out_h, *rows);
    build_axis(in_w, out_w, *cols);
    return UPERNET_OK;
}

enum upernet_status upernet_resize_bilinear(size_t in_h, size_t in_w, size_t channels,
                                            const float *x, size_t x_stride, size_t out_h,
                                            size_t out_w, float *y, size_t y_stride,
                                            bool accumulate, upernet_error *err)
{
    if (out_h == 0 || out_w == 0 || channels == 0)
        return UPERNET_OK;
    struct axis_tap *rows, *cols;
    const enum upernet_status status = build_tables(in_h, in_w, out_h, out_w, &rows, &cols, err);
    if (status != UPERNET_OK)
        return status;
#pragma omp parallel for schedule(static)
    for (size_t oy = 0; oy < out_h; oy++) {
        const struct axis_tap ry = rows[oy];
        const float *x0row = x + ry.i0 * in_w * x_stride;
        const float *x1row = x + ry.i1 * in_w * x_stride;
        for (size_t ox = 0; ox < out_w; ox++) {
            const struct axis_tap rx = cols[ox];
            const float *x00 = x0row + rx.i0 * x_stride, *x01 = x0row + rx.i1 * x_stride;
            const float *x10 = x1row + rx.i0 * x_stride, *x11 = x1row + rx.i1 * x_stride;
            float *out = y + (oy * out_w + ox) * y_stride;
            if (accumulate) {
                for (size_t c = 0; c < channels; c++)
                    out[c] += ry.l0 * (rx.l0 * x00[c] + rx.l1 * x01[c]) +
                              ry.l1 * (rx.l0 * x10[c] + rx.l1 * x11[c]);
            } else {
                for (size_t c = 0; c < channels; c++)
                    out[c] = ry.l0 * (rx.l0 * x00[c] + rx.l1 * x01[c]) +
                             ry.l1 * (rx.l0 * x10[c] + rx.l1 * x11[c]);
            }
        }
    }
    free(rows);
    upernet_error_clear(err);
    return UPERNET_OK;
}

enum upernet_status upernet_resize_bilinear_to_planes(size_t in_h, size_t in_w, size_t channels,
                                                      const float *x, size_t x_stride,
                                                      size_t out_h, size_t out_w, float *y,
                                                      upernet_error *err)
{
    if (out_h == 0 || out_w == 0 || channels == 0)
        return UPERNET_OK;
    struct axis_tap *rows, *cols;
    const enum upernet_status status = build_tables(in_h, in_w, out_h, out_w, &rows, &cols, err);
    if (status != UPERNET_OK)
        return status;
    const size_t plane = out_h * out_w;
    /* One output row of every plane per iteration: writes stay contiguous
     * within each plane, the two source rows stay in cache. */
#pragma omp parallel for schedule(static)
    for (size_t oy = 0; oy < out_h; oy++) {
        const struct axis_tap ry = rows[oy];
        const float *x0row = x + ry.i0 * in_w * x_stride;
        const float *x1row = x + ry.i1 * in_w * x_stride;
        for (size_t c = 0; c < channels; c++) {
            float *out = y + c * plane + oy * out_w;
            for (size_t ox = 0; ox < out_w; ox++) {
                const struct axis_tap rx = cols[ox];
                const size_t a = rx.i0 * x_stride + c, b = rx.i1 * x_stride + c;
                out[ox] = ry.l0 * (rx.l0 * x0row[a] + rx.l1 * x0row[b]) +
                          ry.l1 * (rx.l0 * x1row[a] + rx.l1 * x1row[b]);
            }
        }
    }
    free(rows);
    upernet_error_clear(err);
    return UPERNET_OK;
}

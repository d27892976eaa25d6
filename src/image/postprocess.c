/* transformers' post_process_semantic_segmentation(outputs, target_sizes):
 * the logits resized bilinearly (align_corners = False) to the target size,
 * then the argmax over classes. The resized logits are never stored (150
 * planes at a photo's size would be hundreds of MB): each output row is
 * interpolated class by class into one row of floats and folded into the
 * running maximum. The arithmetic per value is that of the model's final
 * resize (src/ops/bilinear.h): source rows first, horizontally
 * l0w*x0 + l1w*x1, then l0h*row0 + l1h*row1. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "ops/bilinear.h"
#include "upernet.h"

/* One output row of one class: the two source rows interpolated
 * horizontally, then blended vertically. */
static void class_row(const float *restrict row0, const float *restrict row1,
                      const struct upernet_bilinear_tap *cols, struct upernet_bilinear_tap ry,
                      int width, float *restrict out)
{
    for (int x = 0; x < width; x++) {
        const struct upernet_bilinear_tap rx = cols[x];
        out[x] = ry.l0 * (rx.l0 * row0[rx.i0] + rx.l1 * row0[rx.i1]) +
                 ry.l1 * (rx.l0 * row1[rx.i0] + rx.l1 * row1[rx.i1]);
    }
}

/* Folds class k's row into the running maximum: a later class wins only
 * when strictly greater, so ties keep the lowest index; a NaN wins over
 * numbers and the first NaN stays (torch.argmax). */
static void fold_row(const float *restrict values, int k, int width, float *restrict best,
                     uint16_t *restrict best_class)
{
    for (int x = 0; x < width; x++) {
        const float v = values[x], b = best[x];
        if (b != b)
            continue;
        if (v > b || v != v) {
            best[x] = v;
            best_class[x] = (uint16_t) k;
        }
    }
}

enum upernet_status upernet_postprocess_semantic(const float *logits, int classes, int height,
                                                 int width, int target_height, int target_width,
                                                 uint16_t *class_map, upernet_error *err)
{
    if (logits == NULL || class_map == NULL || classes < 1 || classes > 65536 || height < 1 ||
        width < 1 || target_height < 1 || target_width < 1)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "post-processing: invalid arguments (%d classes, %dx%d logits to "
                            "%dx%d)",
                            classes, height, width, target_height, target_width);
    if ((uint64_t) target_height * (uint64_t) target_width > UPERNET_IMAGE_MAX_PIXELS)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "post-processing: target size %dx%d is larger than %llu pixels",
                            target_height, target_width,
                            (unsigned long long) UPERNET_IMAGE_MAX_PIXELS);
    struct upernet_bilinear_tap *rows =
        upernet_malloc(((size_t) target_height + (size_t) target_width) * sizeof *rows);
    if (rows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    struct upernet_bilinear_tap *cols = rows + target_height;
    upernet_bilinear_axis((size_t) height, (size_t) target_height, rows);
    upernet_bilinear_axis((size_t) width, (size_t) target_width, cols);

    const size_t plane = (size_t) height * (size_t) width;
    int failed = 0;
#pragma omp parallel
    {
        /* per thread: one row of values and one of running maxima */
        float *values = upernet_malloc(2 * (size_t) target_width * sizeof *values);
        if (values == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int y = 0; y < target_height; y++) {
            if (values == NULL)
                continue;
            float *best = values + target_width;
            uint16_t *best_class = class_map + (size_t) y * (size_t) target_width;
            const struct upernet_bilinear_tap ry = rows[y];
            for (int k = 0; k < classes; k++) {
                const float *p = logits + (size_t) k * plane;
                class_row(p + ry.i0 * (size_t) width, p + ry.i1 * (size_t) width, cols, ry,
                          target_width, k == 0 ? best : values);
                if (k == 0)
                    memset(best_class, 0, (size_t) target_width * sizeof *best_class);
                else
                    fold_row(values, k, target_width, best, best_class);
            }
        }
        free(values);
    }
    free(rows);
    if (failed)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    upernet_error_clear(err);
    return UPERNET_OK;
}

/* Logits to a class map at another size: transformers'
 * post_process_semantic_segmentation (bilinear resize of the logits,
 * align_corners = False, then argmax over classes), without materialising
 * the resized logits: each output row keeps a running maximum while the
 * classes are interpolated one plane at a time, so memory stays at two rows
 * however large the image. The interpolation is src/ops' (the same taps and
 * the same expression as upernet_bilinear_pixel), so every resized value is
 * the one PyTorch computes; ties keep the lowest class and a NaN wins, as in
 * upernet_argmax. */
#include "config.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "eval/eval_internal.h"
#include "ops/bilinear.h"

enum upernet_status upernet_logits_to_class_map(const float *logits, int classes, int height,
                                                int width, int out_height, int out_width,
                                                uint16_t *class_map, upernet_error *err)
{
    if (classes <= 0 || classes > 65536 || height <= 0 || width <= 0 || out_height <= 0 ||
        out_width <= 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "post-processing: invalid sizes (%d classes, %dx%d -> %dx%d)", classes,
                            height, width, out_height, out_width);
    struct upernet_bilinear_tap *rows =
        upernet_malloc(((size_t) out_height + (size_t) out_width) * sizeof *rows);
    if (rows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    struct upernet_bilinear_tap *cols = rows + out_height;
    upernet_bilinear_axis((size_t) height, (size_t) out_height, rows);
    upernet_bilinear_axis((size_t) width, (size_t) out_width, cols);
    const size_t plane = (size_t) height * (size_t) width;
    int failed = 0;
#pragma omp parallel
    {
        float *best = upernet_malloc((size_t) out_width * sizeof *best);
        if (best == NULL) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int oy = 0; oy < out_height; oy++) {
            if (best == NULL)
                continue;
            const struct upernet_bilinear_tap ry = rows[oy];
            uint16_t *out = class_map + (size_t) oy * (size_t) out_width;
            for (int k = 0; k < classes; k++) {
                const float *r0 = logits + (size_t) k * plane + ry.i0 * (size_t) width;
                const float *r1 = logits + (size_t) k * plane + ry.i1 * (size_t) width;
                for (int ox = 0; ox < out_width; ox++) {
                    const struct upernet_bilinear_tap rx = cols[ox];
                    float v;
                    upernet_bilinear_pixel(&v, r0 + rx.i0, r0 + rx.i1, r1 + rx.i0, r1 + rx.i1, ry,
                                           rx, 1, false);
                    if (k == 0) {
                        best[ox] = v;
                        out[ox] = 0;
                    } else if (best[ox] == best[ox] && (v > best[ox] || v != v)) {
                        best[ox] = v;
                        out[ox] = (uint16_t) k;
                    }
                }
            }
        }
        free(best);
    }
    free(rows);
    if (failed)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    return UPERNET_OK;
}

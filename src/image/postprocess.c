/* transformers' post_process_semantic_segmentation(outputs, target_sizes):
 * the logits resized bilinearly (align_corners = False) to the target size,
 * then the argmax over classes. The resized logits are never stored (150
 * planes at a photo's size would be hundreds of MB).
 *
 * The arithmetic per value is that of the model's final resize
 * (src/ops/bilinear.h): source rows first, horizontally l0w*x0 + l1w*x1,
 * then l0h*row0 + l1h*row1. It is computed in two steps, so that each
 * horizontal interpolation is done once, not once per output row reading it:
 *   - a source row of every class is interpolated horizontally (the
 *     bilinear_hp kernel) into a cache of two such rows;
 *     consecutive output rows read the same or the next source rows (the
 *     taps are monotonic), so each source row is interpolated about once;
 *   - each output row is the bilinear_argmax kernel over the two cached rows:
 *     the vertical blend and the argmax over classes in one pass.
 * Both kernels come from the process's default kernel table; every tier
 * gives the same bits (tests/kernels/test_bilinear*.c). This keeps the
 * image loop's post-processing (src/cli/image_loop.c), which runs beside
 * the forwards, a small fraction of their work. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/alloc.h"
#include "core/error.h"
#include "kernels/dispatch.h"
#include "ops/bilinear.h"
#include "upernet.h"

/* What one thread needs to interpolate source rows. */
struct source_rows {
    const float *logits;
    size_t classes, height, width;
    const struct upernet_bilinear_tap *cols;
    size_t target_width;
    const struct upernet_kernel_table *kernels;
    float *scratch; /* the bilinear_hp kernel's: 4*width + 8*target_width floats */
};

/* Source row `row` of every class, interpolated horizontally to the target
 * width: out[k*target_width + x]. */
static void interpolate_source_row(const struct source_rows *s, size_t row, float *out)
{
    s->kernels->bilinear_hp.fn(s->classes, s->logits + row * s->width, s->height * s->width,
                               s->width, s->cols, s->target_width, out, s->scratch);
}

/* Two horizontally interpolated source rows, tagged with their index. */
struct row_cache {
    size_t tag[2];
    float *rows[2];
};

/* The interpolation of source row `row`, computed if needed into the slot
 * that does not hold `keep` (the other row the current output row needs). */
static const float *cached_row(struct row_cache *cache, const struct source_rows *s, size_t row,
                               size_t keep)
{
    for (int slot = 0; slot < 2; slot++)
        if (cache->tag[slot] == row)
            return cache->rows[slot];
    const int slot = cache->tag[0] == keep ? 1 : 0;
    interpolate_source_row(s, row, cache->rows[slot]);
    cache->tag[slot] = row;
    return cache->rows[slot];
}

/* Output rows [first, last) of class_map; buffer (from malloc: 16-byte
 * aligned) holds the horizontal kernel's scratch first, 16-byte aligned as
 * it needs (its size is a multiple of 4 floats), then the two cached rows
 * (classes x target_width each). */
static void postprocess_rows(struct source_rows *s, const struct upernet_bilinear_tap *rows,
                             size_t first, size_t last, float *buffer, uint16_t *class_map)
{
    const size_t row_floats = s->classes * s->target_width;
    const size_t scratch_floats = 4 * s->width + 8 * s->target_width;
    s->scratch = buffer;
    float *rows0 = buffer + scratch_floats;
    struct row_cache cache = {{SIZE_MAX, SIZE_MAX}, {rows0, rows0 + row_floats}};
    for (size_t y = first; y < last; y++) {
        const struct upernet_bilinear_tap ry = rows[y];
        const float *r0 = cached_row(&cache, s, ry.i0, ry.i1);
        const float *r1 = cached_row(&cache, s, ry.i1, ry.i0);
        s->kernels->bilinear_argmax.fn(s->classes, s->target_width, r0, r1, s->target_width,
                                       ry.l0, ry.l1, class_map + y * s->target_width);
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
    const size_t th = (size_t) target_height, tw = (size_t) target_width;
    struct upernet_bilinear_tap *rows = upernet_malloc((th + tw) * sizeof *rows);
    if (rows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    struct upernet_bilinear_tap *cols = rows + th;
    upernet_bilinear_axis((size_t) height, th, rows);
    upernet_bilinear_axis((size_t) width, tw, cols);
    const size_t buffer_floats = 4 * (size_t) width + 8 * tw + 2 * (size_t) classes * tw;
    int failed = 0;
#pragma omp parallel
    {
        size_t thread = 0, threads = 1;
#ifdef _OPENMP
        thread = (size_t) omp_get_thread_num(), threads = (size_t) omp_get_num_threads();
#endif
        /* contiguous runs of output rows, so each thread's cache is reused */
        const size_t first = th * thread / threads, last = th * (thread + 1) / threads;
        struct source_rows s = {logits, (size_t) classes, (size_t) height, (size_t) width,
                                cols, tw, upernet_kernels(), NULL};
        float *buffer = first < last ? upernet_malloc(buffer_floats * sizeof *buffer) : NULL;
        if (buffer != NULL)
            postprocess_rows(&s, rows, first, last, buffer, class_map);
        else if (first < last) {
#pragma omp atomic write
            failed = 1;
        }
        free(buffer);
    }
    free(rows);
    if (failed)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "post-processing: out of memory");
    upernet_error_clear(err);
    return UPERNET_OK;
}

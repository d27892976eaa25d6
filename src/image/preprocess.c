/* SegformerImageProcessor on the Pillow path (docs/SPECIFICATION.md §2.2): resize,
 * then rescale and normalise each 8-bit value the way numpy does it there:
 *   v_f = float32(double(v) * rescale_factor)   (rescale computes in float64;
 *                                               float32(v) without it)
 *   x   = (v_f - float32(mean_c)) / float32(std_c)   (float32, a division)
 * with the defaults of SegformerImageProcessor() or those of a
 * preprocessor_config.json (src/io/processor_config.c). */
#include "config.h"

#include <stdlib.h>

#include "core/error.h"
#include "image/image_internal.h"

/* One table per channel: only 256 input values exist, so the table is exact. */
static void build_tables(const upernet_preprocessing *p, float table[3][256])
{
    for (int c = 0; c < 3; c++) {
        const float mean = (float) p->image_mean[c];
        const float std = (float) p->image_std[c];
        for (int v = 0; v < 256; v++) {
            float x = p->do_rescale ? (float) ((double) v * p->rescale_factor) : (float) v;
            if (p->do_normalize)
                x = (x - mean) / std;
            table[c][v] = x;
        }
    }
}

enum upernet_status upernet_preprocess(const upernet_image *image, int height, int width,
                                       float *out, upernet_error *err)
{
    return upernet_preprocess_compat(image, height, width, UPERNET_RESIZE_PILLOW_CLASSIC, out,
                                     err);
}

enum upernet_status upernet_preprocess_compat(const upernet_image *image, int height, int width,
                                              enum upernet_resize_compat compat, float *out,
                                              upernet_error *err)
{
    upernet_preprocessing p;
    upernet_preprocessing_init(&p);
    p.height = height;
    p.width = width;
    return upernet_preprocess_with(image, &p, compat, out, err);
}

enum upernet_status upernet_preprocess_with(const upernet_image *image,
                                            const upernet_preprocessing *p,
                                            enum upernet_resize_compat compat, float *out,
                                            upernet_error *err)
{
    if (out == NULL || p == NULL || image == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "preprocess: NULL argument");
    int height, width;
    upernet_preprocessing_output_size(p, image, &height, &width);
    upernet_image resized;
    enum upernet_status status =
        upernet_image_resize_compat(image, height, width, compat, &resized, err);
    if (status != UPERNET_OK)
        return status;
    float table[3][256];
    build_tables(p, table);
    const size_t plane = (size_t) width * (size_t) height;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            out[(size_t) c * plane + i] = table[c][resized.rgb[3 * i + c]];
    upernet_image_free(&resized);
    return UPERNET_OK;
}

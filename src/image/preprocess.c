/* SegformerImageProcessor on the Pillow path (REFERENCE.md §2.2): resize,
 * then rescale and normalise each 8-bit value the way numpy does it there:
 *   v_f = float32(double(v) * (1.0 / 255.0))   (rescale computes in float64)
 *   x   = (v_f - float32(mean_c)) / float32(std_c)   (float32, a division)
 * Only 256 values per channel exist, so a per-channel table is exact. */
#include "config.h"

#include <stdlib.h>

#include "core/error.h"
#include "image/image_internal.h"

static const double imagenet_mean[3] = {0.485, 0.456, 0.406};
static const double imagenet_std[3] = {0.229, 0.224, 0.225};

static void build_tables(float table[3][256])
{
    for (int c = 0; c < 3; c++) {
        const float mean = (float) imagenet_mean[c];
        const float std = (float) imagenet_std[c];
        for (int v = 0; v < 256; v++) {
            const float rescaled = (float) ((double) v * (1.0 / 255.0));
            table[c][v] = (rescaled - mean) / std;
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
    if (out == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "preprocess: no output buffer");
    upernet_image resized;
    enum upernet_status status =
        upernet_image_resize_compat(image, height, width, compat, &resized, err);
    if (status != UPERNET_OK)
        return status;
    float table[3][256];
    build_tables(table);
    const size_t plane = (size_t) width * (size_t) height;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            out[(size_t) c * plane + i] = table[c][resized.rgb[3 * i + c]];
    upernet_image_free(&resized);
    return UPERNET_OK;
}

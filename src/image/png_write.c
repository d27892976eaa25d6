/* Results out as PNG (libspng's encoder, into memory, then written
 * atomically): the class map as an 8-bit palette image, an RGB image, and the
 * colour overlay on the original picture. */
#include "config.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/atomic_file.h"
#include "upernet.h"

static enum upernet_status encode_and_write(const char *path, const void *pixels, size_t size,
                                            int width, int height, int color_type,
                                            const struct spng_plte *plte, upernet_error *err)
{
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (ctx == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: cannot create a PNG encoder", path);
    struct spng_ihdr ihdr = {0};
    ihdr.width = (uint32_t) width;
    ihdr.height = (uint32_t) height;
    ihdr.bit_depth = 8;
    ihdr.color_type = (uint8_t) color_type;
    int rc = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (rc == 0)
        rc = spng_set_ihdr(ctx, &ihdr);
    if (rc == 0 && plte != NULL)
        rc = spng_set_plte(ctx, (struct spng_plte *) plte);
    if (rc == 0)
        rc = spng_encode_image(ctx, pixels, size, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
    size_t png_size = 0;
    void *png = NULL;
    if (rc == 0)
        png = spng_get_png_buffer(ctx, &png_size, &rc);
    spng_ctx_free(ctx);
    if (rc != 0 || png == NULL) {
        free(png);
        return upernet_fail(err, rc == SPNG_EMEM ? UPERNET_ERR_NOMEM : UPERNET_ERR_ARGUMENT,
                            "%s: PNG encoding failed: %s", path, spng_strerror(rc));
    }
    const enum upernet_status status = upernet_write_file_atomic(path, png, png_size, err);
    free(png);
    return status;
}

static enum upernet_status check_map(const char *path, const uint16_t *class_map, int height,
                                     int width, const upernet_labels *labels, upernet_error *err)
{
    if (class_map == NULL || labels == NULL || labels->count <= 0 || height <= 0 || width <= 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: empty class map or labels", path);
    const size_t n = (size_t) width * (size_t) height;
    for (size_t i = 0; i < n; i++)
        if (class_map[i] >= labels->count)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "%s: class %u at pixel %zu is past the %d labels", path,
                                class_map[i], i, labels->count);
    return UPERNET_OK;
}

enum upernet_status upernet_write_class_map_png(const char *path, const uint16_t *class_map,
                                                int height, int width, const upernet_labels *labels,
                                                upernet_error *err)
{
    enum upernet_status status = check_map(path, class_map, height, width, labels, err);
    if (status != UPERNET_OK)
        return status;
    if (labels->count > 256)
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "%s: a palette PNG holds at most 256 classes, not %d", path,
                            labels->count);
    struct spng_plte plte;
    memset(&plte, 0, sizeof plte);
    plte.n_entries = (uint32_t) labels->count;
    for (int i = 0; i < labels->count; i++) {
        plte.entries[i].red = labels->colors[3 * i];
        plte.entries[i].green = labels->colors[3 * i + 1];
        plte.entries[i].blue = labels->colors[3 * i + 2];
        plte.entries[i].alpha = 255;
    }
    const size_t n = (size_t) width * (size_t) height;
    uint8_t *indices = upernet_malloc(n);
    if (indices == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++)
        indices[i] = (uint8_t) class_map[i];
    status = encode_and_write(path, indices, n, width, height, SPNG_COLOR_TYPE_INDEXED, &plte, err);
    free(indices);
    return status;
}

enum upernet_status upernet_write_rgb_png(const char *path, const upernet_image *image,
                                          upernet_error *err)
{
    if (image == NULL || image->rgb == NULL || image->width <= 0 || image->height <= 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: empty image", path);
    return encode_and_write(path, image->rgb, (size_t) image->width * (size_t) image->height * 3,
                            image->width, image->height, SPNG_COLOR_TYPE_TRUECOLOR, NULL, err);
}

enum upernet_status upernet_write_overlay_png(const char *path, const upernet_image *image,
                                              const uint16_t *class_map, int height, int width,
                                              const upernet_labels *labels, upernet_error *err)
{
    enum upernet_status status = check_map(path, class_map, height, width, labels, err);
    if (status != UPERNET_OK)
        return status;
    if (image == NULL || image->rgb == NULL || image->width <= 0 || image->height <= 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: empty image", path);
    upernet_image blended = {.height = image->height, .width = image->width, .rgb = NULL};
    const size_t n = (size_t) image->width * (size_t) image->height;
    blended.rgb = upernet_malloc(n * 3);
    if (blended.rgb == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    /* Nearest neighbour with pixel centres aligned (Pillow's NEAREST):
     * source = floor((x + 0.5) * in / out), in exact integer arithmetic. */
    for (int y = 0; y < image->height; y++) {
        const int64_t sy = ((2 * (int64_t) y + 1) * height) / (2 * (int64_t) image->height);
        for (int x = 0; x < image->width; x++) {
            const int64_t sx = ((2 * (int64_t) x + 1) * width) / (2 * (int64_t) image->width);
            const uint8_t *color = labels->colors + 3 * class_map[sy * width + sx];
            const size_t at = ((size_t) y * (size_t) image->width + (size_t) x) * 3;
            for (int c = 0; c < 3; c++) /* 50/50, rounded half up */
                blended.rgb[at + c] = (uint8_t) ((image->rgb[at + c] + color[c] + 1) >> 1);
        }
    }
    status = upernet_write_rgb_png(path, &blended, err);
    free(blended.rgb);
    return status;
}

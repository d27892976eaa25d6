/* Segmentation annotations in: a PNG whose samples are class indices, read
 * without any colour conversion (mmseg's LoadAnnotations reads them
 * "unchanged"). Only layouts whose samples are 8-bit indices are accepted:
 * a 16-bit or colour file is not an ADE20K-style annotation, and guessing
 * how to reduce it would silently change the counts. */
#include "config.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/image_internal.h"

static const char *png_layout_name(uint8_t color_type)
{
    switch (color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE: return "grayscale";
    case SPNG_COLOR_TYPE_TRUECOLOR: return "RGB";
    case SPNG_COLOR_TYPE_INDEXED: return "palette";
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: return "grayscale+alpha";
    default: return "RGBA";
    }
}

static enum upernet_status decode_annotation(spng_ctx *ctx, const char *path,
                                             upernet_annotation *out, upernet_error *err)
{
    struct spng_ihdr ihdr;
    int rc = spng_get_ihdr(ctx, &ihdr);
    if (rc != 0)
        return upernet_png_fail(err, path, rc);
    const int gray8 = ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE && ihdr.bit_depth == 8;
    const int palette = ihdr.color_type == SPNG_COLOR_TYPE_INDEXED;
    if (!gray8 && !palette)
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "%s: annotation is a %d-bit %s PNG; expected 8-bit single-channel "
                            "labels (grayscale or palette indices)",
                            path, ihdr.bit_depth, png_layout_name(ihdr.color_type));
    if ((uint64_t) ihdr.width * ihdr.height > UPERNET_IMAGE_MAX_PIXELS)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "%s: annotation of %ux%u pixels exceeds the limit of %llu pixels", path,
                            ihdr.width, ihdr.height, (unsigned long long) UPERNET_IMAGE_MAX_PIXELS);
    const size_t pixels = (size_t) ihdr.width * ihdr.height;
    const size_t stride = ((size_t) ihdr.width * ihdr.bit_depth + 7) / 8;
    size_t png_size = 0;
    rc = spng_decoded_image_size(ctx, SPNG_FMT_PNG, &png_size);
    if (rc != 0)
        return upernet_png_fail(err, path, rc);
    if (png_size != stride * ihdr.height)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: unexpected PNG row layout", path);
    uint8_t *rows = upernet_malloc(png_size > 0 ? png_size : 1);
    out->labels = upernet_malloc(pixels > 0 ? pixels : 1);
    if (rows == NULL || out->labels == NULL) {
        free(rows);
        upernet_annotation_free(out);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory for a %ux%u annotation",
                            path, ihdr.width, ihdr.height);
    }
    rc = spng_decode_image(ctx, rows, png_size, SPNG_FMT_PNG, 0);
    if (rc != 0) {
        free(rows);
        upernet_annotation_free(out);
        return upernet_png_fail(err, path, rc);
    }
    const int bits = ihdr.bit_depth;
    for (size_t y = 0; y < ihdr.height; y++) {
        const uint8_t *row = rows + y * stride;
        uint8_t *dst = out->labels + y * ihdr.width;
        for (size_t x = 0; x < ihdr.width; x++) {
            if (bits == 8) {
                dst[x] = row[x];
            } else { /* packed palette indices, most significant bits first */
                const size_t bit = x * (size_t) bits;
                dst[x] = (uint8_t) ((row[bit >> 3] >> (8 - bits - (int) (bit & 7))) &
                                    ((1u << bits) - 1));
            }
        }
    }
    free(rows);
    out->width = (int) ihdr.width;
    out->height = (int) ihdr.height;
    return UPERNET_OK;
}

enum upernet_status upernet_annotation_load(const char *path, upernet_annotation *out,
                                            upernet_error *err)
{
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    uint8_t *data;
    size_t size;
    enum upernet_status status = upernet_read_image_file(path, &data, &size, err);
    if (status != UPERNET_OK)
        return status;
    if (size < sizeof png_signature || memcmp(data, png_signature, sizeof png_signature) != 0) {
        free(data);
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: annotation is not a PNG file", path);
    }
    spng_ctx *ctx = spng_ctx_new(0);
    if (ctx == NULL) {
        free(data);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: cannot create a PNG decoder", path);
    }
    int rc = spng_set_png_buffer(ctx, data, size);
    if (rc == 0)
        rc = spng_set_chunk_limits(ctx, PNG_CHUNK_MAX_BYTES, PNG_CHUNK_CACHE_MAX_BYTES);
    status = rc != 0 ? upernet_png_fail(err, path, rc) : decode_annotation(ctx, path, out, err);
    spng_ctx_free(ctx);
    free(data);
    return status;
}

void upernet_annotation_free(upernet_annotation *annotation)
{
    if (annotation == NULL)
        return;
    free(annotation->labels);
    memset(annotation, 0, sizeof *annotation);
}

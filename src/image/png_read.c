/* PNG decoding through libspng, converted to RGB as Pillow does.
 *
 * Why a library: PNG decoding is zlib inflate plus five row filters,
 * Adam7 de-interlacing and a chunk parser that must survive hostile input;
 * libspng is small, fuzzed upstream (OSS-Fuzz) and packaged by Debian.
 *
 * libspng hands back the samples exactly as stored (SPNG_FMT_PNG: no
 * scaling, no gamma, no transparency applied; 16-bit samples host-endian,
 * sub-byte samples packed), and the conversion to RGB is done here, to
 * follow Pillow's Image.open(...).convert("RGB") rather than libspng's own
 * rules:
 *   gray 1/2/4/8-bit  Pillow modes "1" / "L;2" / "L;4" / "L": the value
 *                     scaled to 0..255 by bit replication (x255, x85, x17)
 *   gray 16-bit       mode "I" (Pillow 9) or "I;16" (Pillow 10+); both
 *                     convert to RGB by clamping the 16-bit value to 255
 *                     (values above 255 become white), not by taking the
 *                     high byte
 *   RGB / RGBA / gray+alpha 16-bit   raw modes "RGB;16B", "RGBA;16B",
 *                     "LA;16B": the high byte of each sample
 *   palette           the PLTE colour of each index (an index past the
 *                     palette's end gives black)
 *   alpha and tRNS    dropped: convert("RGB") does not composite. */
#include "config.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/image_internal.h"

/* Sample x of a packed row of `bits`-bit samples (bits < 8, MSB first). */
static inline unsigned packed_sample(const uint8_t *row, size_t x, int bits)
{
    const size_t bit = x * (size_t) bits;
    const int shift = 8 - bits - (int) (bit & 7);
    return (row[bit >> 3] >> shift) & ((1u << bits) - 1);
}

static void convert_rows(const uint8_t *png, size_t stride, const struct spng_ihdr *ihdr,
                         const struct spng_plte *plte, upernet_image *out)
{
    const size_t w = ihdr->width;
    const int bits = ihdr->bit_depth;
    for (size_t y = 0; y < ihdr->height; y++) {
        const uint8_t *row = png + y * stride;
        const uint16_t *row16 = (const uint16_t *) (const void *) row;
        uint8_t *dst = out->rgb + y * w * 3;
        for (size_t x = 0; x < w; x++, dst += 3) {
            unsigned r, g, b;
            switch (ihdr->color_type) {
            case SPNG_COLOR_TYPE_GRAYSCALE:
                if (bits == 16) {
                    r = row16[x] > 255 ? 255 : row16[x];
                } else if (bits == 8) {
                    r = row[x];
                } else {
                    r = packed_sample(row, x, bits) * (255u / ((1u << bits) - 1));
                }
                g = b = r;
                break;
            case SPNG_COLOR_TYPE_TRUECOLOR:
                if (bits == 16) {
                    r = row16[3 * x] >> 8;
                    g = row16[3 * x + 1] >> 8;
                    b = row16[3 * x + 2] >> 8;
                } else {
                    r = row[3 * x];
                    g = row[3 * x + 1];
                    b = row[3 * x + 2];
                }
                break;
            case SPNG_COLOR_TYPE_INDEXED: {
                const unsigned index = bits == 8 ? row[x] : packed_sample(row, x, bits);
                if (index < plte->n_entries) {
                    r = plte->entries[index].red;
                    g = plte->entries[index].green;
                    b = plte->entries[index].blue;
                } else {
                    r = g = b = 0;
                }
                break;
            }
            case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
                r = g = b = bits == 16 ? (unsigned) (row16[2 * x] >> 8) : row[2 * x];
                break;
            default: /* SPNG_COLOR_TYPE_TRUECOLOR_ALPHA */
                if (bits == 16) {
                    r = row16[4 * x] >> 8;
                    g = row16[4 * x + 1] >> 8;
                    b = row16[4 * x + 2] >> 8;
                } else {
                    r = row[4 * x];
                    g = row[4 * x + 1];
                    b = row[4 * x + 2];
                }
                break;
            }
            dst[0] = (uint8_t) r;
            dst[1] = (uint8_t) g;
            dst[2] = (uint8_t) b;
        }
    }
}

enum upernet_status upernet_png_fail(upernet_error *err, const char *name, int rc)
{
    const enum upernet_status status =
        rc == SPNG_EMEM ? UPERNET_ERR_NOMEM
                        : (rc == SPNG_EOVERFLOW || rc == SPNG_ECHUNK_LIMITS ? UPERNET_ERR_LIMIT
                                                                            : UPERNET_ERR_FORMAT);
    const char *what = rc == SPNG_IO_EOF || rc == SPNG_IO_ERROR ? "truncated PNG" : "corrupt PNG";
    return upernet_fail(err, status, "%s: %s: %s", name, what, spng_strerror(rc));
}

enum upernet_status upernet_png_decode(const uint8_t *data, size_t size, const char *name,
                                       upernet_image *out, upernet_error *err)
{
    spng_ctx *ctx = spng_ctx_new(0);
    if (ctx == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: cannot create a PNG decoder", name);
    enum upernet_status status = UPERNET_OK;
    uint8_t *png = NULL;
    struct spng_ihdr ihdr;
    struct spng_plte plte;
    memset(&plte, 0, sizeof plte);
    int rc = spng_set_png_buffer(ctx, data, size);
    if (rc == 0)
        rc = spng_set_chunk_limits(ctx, PNG_CHUNK_MAX_BYTES, PNG_CHUNK_CACHE_MAX_BYTES);
    if (rc == 0)
        rc = spng_get_ihdr(ctx, &ihdr);
    if (rc != 0) {
        status = upernet_png_fail(err, name, rc);
        goto done;
    }
    /* The size check comes before libspng allocates anything per row. */
    status = upernet_image_alloc(out, ihdr.width, ihdr.height, name, err);
    if (status != UPERNET_OK)
        goto done;
    if (ihdr.color_type == SPNG_COLOR_TYPE_INDEXED) {
        rc = spng_get_plte(ctx, &plte);
        if (rc != 0) {
            status = upernet_png_fail(err, name, rc);
            goto done;
        }
    }
    size_t png_size = 0;
    rc = spng_decoded_image_size(ctx, SPNG_FMT_PNG, &png_size);
    if (rc != 0) {
        status = upernet_png_fail(err, name, rc);
        goto done;
    }
    /* Rows as stored: ceil(width * channels * bits / 8) bytes each. */
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    const size_t stride =
        ((size_t) ihdr.width * (size_t) channels[ihdr.color_type] * ihdr.bit_depth + 7) / 8;
    if (png_size != stride * ihdr.height) {
        status = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: unexpected PNG row layout", name);
        goto done;
    }
    png = upernet_malloc(png_size);
    if (png == NULL) {
        status = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory decoding a %ux%u PNG",
                              name, ihdr.width, ihdr.height);
        goto done;
    }
    rc = spng_decode_image(ctx, png, png_size, SPNG_FMT_PNG, 0);
    if (rc != 0) {
        status = upernet_png_fail(err, name, rc);
        goto done;
    }
    convert_rows(png, stride, &ihdr, &plte, out);

done:
    free(png);
    spng_ctx_free(ctx);
    if (status != UPERNET_OK)
        upernet_image_free(out);
    return status;
}

/* JPEG decoding through libjpeg-turbo's TurboJPEG API, matching Pillow.
 *
 * Pillow leaves every libjpeg decoding default alone outside draft mode, so
 * the settings to match are libjpeg's defaults: accurate integer IDCT
 * (JDCT_ISLOW) and fancy (triangle) chroma upsampling, with block smoothing
 * on for progressive files. TurboJPEG's decompressor uses exactly those
 * unless TJFLAG_FASTDCT / TJFLAG_FASTUPSAMPLE are given; TJFLAG_ACCURATEDCT
 * is passed anyway to say so. The pixels equal Pillow's only when both link
 * the same libjpeg-turbo (Debian's python3-pil does; see BUILD-NOTES.md).
 *
 * Colour: 1 component is grayscale, replicated into R, G, B (libjpeg's
 * gray->RGB output, identical to Pillow's convert("RGB") of an "L" image);
 * 3 components are decoded to RGB (YCbCr or Adobe RGB, libjpeg decides as
 * for Pillow); 4 components (CMYK, or YCCK that libjpeg turns into CMYK) are
 * treated as Pillow does: it always assumes Adobe's inverted CMYK ("CMYK;I"
 * raw mode), then converts with its own cmyk2rgb formula, see below. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/image_internal.h"

/* Pillow's cmyk2rgb (libImaging/Convert.c) on Adobe-inverted input: with
 * nk = 255 - K, each channel is nk - round(C * nk / 255), where the rounded
 * product uses Pillow's MULDIV255 (t = a*b + 128; ((t >> 8) + t) >> 8). The
 * result never leaves 0..255, so Pillow's clip is a no-op. */
static inline int muldiv255(int a, int b)
{
    const int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

void upernet_cmyk_to_rgb(const uint8_t cmyk[4], uint8_t rgb[3])
{
    const int nk = 255 - cmyk[3];
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t) (nk - muldiv255(cmyk[c], nk));
}

/* Walks the marker segments before anything is allocated: the first frame
 * header (SOFn, the one libjpeg uses) gives size, precision and component
 * count, and the file must reach an end-of-image marker. A file cut short
 * makes libjpeg invent the missing data with only a warning, while Pillow
 * refuses it as truncated; entropy-coded data cannot contain FF D9 (byte
 * stuffing), so a missing EOI is exactly that case. */
static enum upernet_status jpeg_structure(const uint8_t *d, size_t n, const char *name, int *width,
                                          int *height, int *components, upernet_error *err)
{
    int have_frame = 0;
    size_t pos = 2; /* after SOI */
    while (pos < n) {
        if (d[pos] != 0xff)
            return upernet_fail(err, UPERNET_ERR_FORMAT,
                                "%s: corrupt JPEG: no marker at offset %zu", name, pos);
        while (pos < n && d[pos] == 0xff)
            pos++; /* fill bytes */
        if (pos >= n)
            break;
        const int marker = d[pos++];
        if (marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
            continue; /* markers without a length */
        if (marker == 0xd9) {
            if (!have_frame)
                return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: corrupt JPEG: no frame header",
                                    name);
            return UPERNET_OK;
        }
        if (pos + 2 > n)
            break;
        const size_t length = ((size_t) d[pos] << 8) | d[pos + 1];
        if (length < 2)
            return upernet_fail(err, UPERNET_ERR_FORMAT,
                                "%s: corrupt JPEG: bad segment length at offset %zu", name, pos);
        const int is_sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
                           marker != 0xcc;
        if (is_sof && !have_frame) {
            if (length < 8 || pos + 8 > n)
                break;
            const int precision = d[pos + 2];
            *height = (d[pos + 3] << 8) | d[pos + 4];
            *width = (d[pos + 5] << 8) | d[pos + 6];
            *components = d[pos + 7];
            if (precision != 8)
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: %d-bit JPEG samples are not supported (only 8-bit)", name,
                                    precision);
            if (marker == 0xc3 || marker == 0xc7 || marker == 0xcb || marker == 0xcf)
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: lossless JPEG is not supported", name);
            if (*width == 0 || *height == 0)
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: JPEG without a declared size (%dx%d) is not supported",
                                    name, *width, *height);
            if (*components != 1 && *components != 3 && *components != 4)
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: JPEG with %d components is not supported", name,
                                    *components);
            have_frame = 1;
        }
        pos += length;
        if (marker == 0xda) {
            if (!have_frame)
                return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: corrupt JPEG: no frame header",
                                    name);
            /* Entropy-coded data: skip to the next marker that is not a
             * stuffed zero, a restart marker or fill. */
            while (pos + 1 < n) {
                if (d[pos] == 0xff && d[pos + 1] != 0x00 && d[pos + 1] != 0xff &&
                    !(d[pos + 1] >= 0xd0 && d[pos + 1] <= 0xd7))
                    break;
                pos++;
            }
            if (pos + 1 >= n)
                break;
        }
    }
    if (!have_frame)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: truncated JPEG (no complete frame header)", name);
    return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: truncated JPEG (no end-of-image marker)",
                        name);
}

/* libjpeg's warnings (corrupt but decodable data) that Pillow shrugs off;
 * TurboJPEG reports them like errors, with the message of the last one. */
static int is_benign_warning(const char *message)
{
    static const char *const prefixes[] = {
        "Corrupt JPEG data",         "Inconsistent progression sequence",
        "Invalid SOS parameters",    "Unknown Adobe color transform",
        "Warning: unknown JFIF",     "Application transferred too many scanlines"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(message, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

enum upernet_status upernet_jpeg_decode(const uint8_t *data, size_t size, const char *name,
                                        upernet_image *out, upernet_error *err)
{
    int width = 0, height = 0, components = 0;
    enum upernet_status status =
        jpeg_structure(data, size, name, &width, &height, &components, err);
    if (status != UPERNET_OK)
        return status;
    status = upernet_image_alloc(out, width, height, name, err);
    if (status != UPERNET_OK)
        return status;

    const int cmyk = components == 4;
    const int format = cmyk ? TJPF_CMYK : TJPF_RGB;
    uint8_t *pixels = out->rgb;
    if (cmyk) {
        pixels = upernet_malloc((size_t) width * (size_t) height * 4);
        if (pixels == NULL) {
            upernet_image_free(out);
            return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory for a %dx%d CMYK image",
                                name, width, height);
        }
    }
    tjhandle tj = tjInitDecompress();
    if (tj == NULL) {
        if (cmyk)
            free(pixels);
        upernet_image_free(out);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: cannot create a JPEG decoder: %s", name,
                            tjGetErrorStr2(NULL));
    }
    /* TJFLAG_LIMITSCANS refuses progressive files with more than 500 scans
     * (a decompression bomb; real encoders write about ten). */
    const int rc = tjDecompress2(tj, data, (unsigned long) size, pixels, width, 0, height, format,
                                 TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS);
    if (rc != 0) {
        const char *message = tjGetErrorStr2(tj);
        if (tjGetErrorCode(tj) != TJERR_WARNING || !is_benign_warning(message)) {
            status = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: corrupt JPEG: %s", name, message);
            tjDestroy(tj);
            if (cmyk)
                free(pixels);
            upernet_image_free(out);
            return status;
        }
    }
    tjDestroy(tj);

    if (cmyk) {
        const size_t n = (size_t) width * (size_t) height;
        for (size_t i = 0; i < n; i++) {
            /* Pillow's "CMYK;I" raw mode: Adobe files store inverted CMYK. */
            const uint8_t inverted[4] = {(uint8_t) (255 - pixels[4 * i]),
                                         (uint8_t) (255 - pixels[4 * i + 1]),
                                         (uint8_t) (255 - pixels[4 * i + 2]),
                                         (uint8_t) (255 - pixels[4 * i + 3])};
            upernet_cmyk_to_rgb(inverted, out->rgb + 3 * i);
        }
        free(pixels);
    }
    return UPERNET_OK;
}

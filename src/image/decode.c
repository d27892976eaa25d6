/* Image files in: reads the whole file, recognises JPEG or PNG by signature
 * and hands the bytes to the matching decoder. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/image_internal.h"

/* Larger files are refused before reading: no JPEG or PNG within the pixel
 * limit needs this much (2^28 RGB pixels are 768 MiB uncompressed). */
#define IMAGE_FILE_MAX_BYTES ((uint64_t) 1 << 30)

enum upernet_status upernet_image_alloc(upernet_image *image, int64_t width, int64_t height,
                                        const char *name, upernet_error *err)
{
    image->width = 0;
    image->height = 0;
    image->rgb = NULL;
    if (width <= 0 || height <= 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: invalid image size %lldx%lld", name,
                            (long long) width, (long long) height);
    if ((uint64_t) width > UPERNET_IMAGE_MAX_PIXELS || (uint64_t) height > UPERNET_IMAGE_MAX_PIXELS ||
        (uint64_t) width * (uint64_t) height > UPERNET_IMAGE_MAX_PIXELS)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "%s: image of %lldx%lld pixels exceeds the limit of %llu pixels", name,
                            (long long) width, (long long) height,
                            (unsigned long long) UPERNET_IMAGE_MAX_PIXELS);
    image->rgb = upernet_malloc((size_t) width * (size_t) height * 3);
    if (image->rgb == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory for a %lldx%lld image", name,
                            (long long) width, (long long) height);
    image->width = (int) width;
    image->height = (int) height;
    return UPERNET_OK;
}

void upernet_image_free(upernet_image *image)
{
    if (image == NULL)
        return;
    free(image->rgb);
    image->rgb = NULL;
    image->width = 0;
    image->height = 0;
}

enum upernet_status upernet_image_decode(const void *data, size_t size, const char *name,
                                         upernet_image *out, upernet_error *err)
{
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *bytes = data;
    out->width = 0;
    out->height = 0;
    out->rgb = NULL;
    if (name == NULL)
        name = "(image)";
    if (size == 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: empty file", name);
    if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
        return upernet_jpeg_decode(bytes, size, name, out, err);
    if (size >= sizeof png_signature && memcmp(bytes, png_signature, sizeof png_signature) == 0)
        return upernet_png_decode(bytes, size, name, out, err);
    return upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "%s: not a JPEG or PNG file", name);
}

enum upernet_status upernet_read_image_file(const char *path, uint8_t **data, size_t *size,
                                            upernet_error *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        const int e = errno;
        fclose(f);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(f);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t) st.st_size > IMAGE_FILE_MAX_BYTES) {
        fclose(f);
        return upernet_fail(err, UPERNET_ERR_LIMIT, "%s: file of %lld bytes exceeds the limit of %llu",
                            path, (long long) st.st_size, (unsigned long long) IMAGE_FILE_MAX_BYTES);
    }
    const size_t n = (size_t) st.st_size;
    uint8_t *bytes = upernet_malloc(n > 0 ? n : 1);
    if (bytes == NULL) {
        fclose(f);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
    }
    const size_t got = fread(bytes, 1, n, f);
    const int read_failed = ferror(f);
    fclose(f);
    if (got != n || read_failed) {
        free(bytes);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: read error", path);
    }
    *data = bytes;
    *size = n;
    return UPERNET_OK;
}

enum upernet_status upernet_image_load(const char *path, upernet_image *out, upernet_error *err)
{
    out->width = 0;
    out->height = 0;
    out->rgb = NULL;
    uint8_t *data;
    size_t size;
    enum upernet_status status = upernet_read_image_file(path, &data, &size, err);
    if (status != UPERNET_OK)
        return status;
    status = upernet_image_decode(data, size, path, out, err);
    free(data);
    return status;
}

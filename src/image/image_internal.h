/* Internal pieces of the image code (decoders, resampling), shared by the
 * files of src/image/ and by the tests. */
#ifndef UPERNET_IMAGE_INTERNAL_H
#define UPERNET_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* Allocates image->rgb for width x height after checking both are positive
 * and the pixel count is within UPERNET_IMAGE_MAX_PIXELS (`name` goes into the
 * message). */
enum upernet_status upernet_image_alloc(upernet_image *image, int64_t width, int64_t height,
                                        const char *name, upernet_error *err);

/* Reads a whole image file into a malloc'ed buffer (a regular file of at
 * most 1 GiB), with errors naming `path`. */
enum upernet_status upernet_read_image_file(const char *path, uint8_t **data, size_t *size,
                                            upernet_error *err);

/* Ancillary chunks (text, ICC, EXIF) are ignored but still buffered by
 * libspng: cap them so a hostile file cannot ask for gigabytes. */
#define PNG_CHUNK_MAX_BYTES ((size_t) 64 << 20)
#define PNG_CHUNK_CACHE_MAX_BYTES ((size_t) 128 << 20)

/* The status and message for libspng error `rc` while reading `name`. */
enum upernet_status upernet_png_fail(upernet_error *err, const char *name, int rc);

enum upernet_status upernet_jpeg_decode(const uint8_t *data, size_t size, const char *name,
                                        upernet_image *out, upernet_error *err);
enum upernet_status upernet_png_decode(const uint8_t *data, size_t size, const char *name,
                                       upernet_image *out, upernet_error *err);

/* Pillow's CMYK -> RGB conversion of one pixel whose CMYK values are already
 * in Pillow's (Adobe-inverted) convention. */
void upernet_cmyk_to_rgb(const uint8_t cmyk[4], uint8_t rgb[3]);

/* The taps of Pillow's 8-bit bilinear resampling along one axis
 * (docs/SPECIFICATION.md §2.3): output index i reads `count[i]` input samples starting at
 * `first[i]`, weighted by coeffs[i * ksize + t] (22-bit fixed point). */
struct upernet_resample_axis {
    int in_size;
    int out_size;
    int ksize;
    int *first;
    int *count;
    int32_t *coeffs;
};

#define UPERNET_RESAMPLE_PRECISION_BITS 22

/* The start every resize shares: checks `src`, allocates `dst` at width x
 * height and, when the size is unchanged, copies the pixels and sets
 * *copied (nothing is left to do). */
enum upernet_status upernet_resize_target(const upernet_image *src, int width, int height,
                                          upernet_image *dst, int *copied, upernet_error *err);

/* Whether `compat` runs the vertical pass first for this resize. */
int upernet_resize_vertical_first(int in_width, int in_height, int out_width, int out_height,
                                  enum upernet_resize_compat compat);

enum upernet_status upernet_resample_axis_init(struct upernet_resample_axis *axis, int in_size,
                                               int out_size, upernet_error *err);
void upernet_resample_axis_free(struct upernet_resample_axis *axis);

#endif

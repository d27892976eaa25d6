/* OpenCV 4.6's cv2.resize(img, (width, height), interpolation=INTER_LINEAR)
 * on an 8-bit image, bit for bit: the resize mmseg's test pipeline applies
 * before slide inference.
 *
 * Unlike Pillow's (src/image/resize.c), OpenCV's bilinear never widens its
 * filter when shrinking: output sample i reads the two input samples around
 * (i + 0.5) * in/out - 0.5, whatever the scale. Its arithmetic, which this
 * file reproduces step by step because every step rounds:
 *   - the source position is computed in double, then stored as a float;
 *     its floor is the first tap, the float remainder f the fraction; the
 *     weights are round-half-even((1 - f) * 2048) and (f * 2048) (11 bits);
 *   - horizontally, a tap before the first column or past the last is
 *     clamped together with its weight (the sample is the edge pixel with
 *     weight 2048); the row sums are kept as int (no rounding);
 *   - vertically the two row indices are clamped independently and the
 *     weights are kept; each row sum is shifted right by 4, multiplied by
 *     its weight and shifted right by 16 (the high half of a 16-bit
 *     multiply, as OpenCV's SIMD code and its matching scalar tail do), the
 *     two are added, and (sum + 2) >> 2 is the result;
 *   - OpenCV switches to INTER_AREA for exactly half the width and height;
 *     with both weights 1024 the steps above give the same bytes, the
 *     rounded mean of each 2x2 block, so no special case is needed;
 *   - the same size is a copy (upernet_resize_target).
 * tests/test_resize_opencv.c checks all of it against goldens made by
 * Debian's python3-opencv (tools/make_opencv_goldens.py). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/image_internal.h"

#define OPENCV_COEF_BITS 11
#define OPENCV_COEF_SCALE (1 << OPENCV_COEF_BITS)

/* OpenCV's saturate_cast<short>(float): round half to even, then clamp. */
static int16_t round_weight(float w)
{
    const float r = rintf(w); /* the default rounding mode is to nearest even */
    return (int16_t) (r > 32767.0f ? 32767 : (r < -32768.0f ? -32768 : r));
}

/* The source tap and the two weights of output index i (in_size -> out_size). */
static void opencv_tap(int i, double scale, int *first, int16_t weight[2])
{
    float f = (float) (((double) i + 0.5) * scale - 0.5);
    const int s = (int) floorf(f);
    f -= (float) s;
    *first = s;
    weight[0] = round_weight((1.0f - f) * (float) OPENCV_COEF_SCALE);
    weight[1] = round_weight(f * (float) OPENCV_COEF_SCALE);
}

/* Per output column: the first source column (clamped) and its two weights;
 * taps outside the image become the edge column with weight 2048. */
static void horizontal_taps(int in_w, int out_w, int *first, int16_t *weights)
{
    const double scale = (double) in_w / (double) out_w;
    for (int x = 0; x < out_w; x++) {
        int s;
        opencv_tap(x, scale, &s, weights + 2 * x);
        if (s < 0 || s >= in_w - 1) {
            s = s < 0 ? 0 : in_w - 1;
            weights[2 * x] = OPENCV_COEF_SCALE;
            weights[2 * x + 1] = 0;
        }
        first[x] = s;
    }
}

/* One source row (RGB) to its horizontally interpolated int row. */
static void horizontal_row(const uint8_t *src, int out_w, const int *first, const int16_t *weights,
                           int32_t *row)
{
    for (int x = 0; x < out_w; x++) {
        const uint8_t *p = src + (size_t) first[x] * 3;
        const int32_t w0 = weights[2 * x], w1 = weights[2 * x + 1];
        for (int c = 0; c < 3; c++) {
            /* w1 is 0 for a clamped edge tap, whose neighbour may not exist. */
            const int32_t right = w1 != 0 ? (int32_t) p[3 + c] * w1 : 0;
            row[3 * x + c] = (int32_t) p[c] * w0 + right;
        }
    }
}

enum upernet_status upernet_image_resize_opencv(const upernet_image *src, int height, int width,
                                                upernet_image *dst, upernet_error *err)
{
    int copied;
    enum upernet_status status = upernet_resize_target(src, width, height, dst, &copied, err);
    if (status != UPERNET_OK || copied)
        return status;
    const size_t row_len = (size_t) width * 3;
    int *first_x = upernet_malloc((size_t) width * sizeof *first_x);
    int16_t *weights_x = upernet_malloc((size_t) width * 2 * sizeof *weights_x);
    int32_t *rows = upernet_malloc(2 * row_len * sizeof *rows);
    if (first_x == NULL || weights_x == NULL || rows == NULL) {
        status = upernet_fail(err, UPERNET_ERR_NOMEM, "resize: out of memory for %dx%d -> %dx%d",
                              src->width, src->height, width, height);
        upernet_image_free(dst);
        goto done;
    }
    horizontal_taps(src->width, width, first_x, weights_x);

    /* Two int rows cached by source index: consecutive output rows mostly
     * share their source rows. */
    int cached[2] = {-1, -1};
    const double scale_y = (double) src->height / (double) height;
    const size_t in_stride = (size_t) src->width * 3;
    for (int y = 0; y < height; y++) {
        int s;
        int16_t beta[2];
        opencv_tap(y, scale_y, &s, beta);
        int sy[2] = {s, s + 1};
        int slot_of[2];
        for (int k = 0; k < 2; k++) {
            sy[k] = sy[k] < 0 ? 0 : (sy[k] > src->height - 1 ? src->height - 1 : sy[k]);
            slot_of[k] = cached[0] == sy[k] ? 0 : (cached[1] == sy[k] ? 1 : -1);
        }
        for (int k = 0; k < 2; k++) {
            if (slot_of[k] >= 0)
                continue;
            /* The slot the other tap does not need. */
            const int slot = slot_of[1 - k] == 0 ? 1 : 0;
            horizontal_row(src->rgb + (size_t) sy[k] * in_stride, width, first_x, weights_x,
                           rows + (size_t) slot * row_len);
            cached[slot] = sy[k];
            slot_of[k] = slot;
            if (sy[1 - k] == sy[k])
                slot_of[1 - k] = slot;
        }
        const int32_t *row[2] = {rows + (size_t) slot_of[0] * row_len,
                                 rows + (size_t) slot_of[1] * row_len};
        const int32_t b0 = beta[0], b1 = beta[1];
        uint8_t *out = dst->rgb + (size_t) y * row_len;
        for (size_t i = 0; i < row_len; i++) {
            const int32_t v = ((b0 * (row[0][i] >> 4)) >> 16) + ((b1 * (row[1][i] >> 4)) >> 16);
            const int32_t r = (v + 2) >> 2;
            out[i] = (uint8_t) (r < 0 ? 0 : (r > 255 ? 255 : r));
        }
    }
done:
    free(first_x);
    free(weights_x);
    free(rows);
    return status;
}

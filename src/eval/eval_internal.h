/* Internal pieces of dataset evaluation (src/eval), shared with the tests. */
#ifndef UPERNET_EVAL_INTERNAL_H
#define UPERNET_EVAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* mmcv's keep-ratio rescale_size: the size (*out_h, *out_w) an h x w image
 * gets for the scale (long_side, short_side). */
void upernet_slide_rescale_size(int h, int w, int long_side, int short_side, int *out_h,
                                int *out_w);

/* One window of mmseg's slide inference: rows [y1, y2), columns [x1, x2). */
struct upernet_slide_window {
    int y1, y2, x1, x2;
};

/* The number of windows of an h x w image (windows == NULL), or fills
 * windows[0..count) in mmseg's order (rows of windows, left to right). */
int upernet_slide_windows(int h, int w, const upernet_slide_params *params,
                          struct upernet_slide_window *windows);

/* Grows the buffer *buf (capacity *cap elements) to hold n elements of
 * `elem` bytes; the contents are not kept. */
enum upernet_status upernet_eval_reserve(void *buf, size_t *cap, size_t n, size_t elem,
                                         upernet_error *err);

/* Buffers slide inference reuses from image to image. */
struct upernet_slide_scratch {
    float *crop_pixels, *crop_logits;
    size_t crop_pixels_cap, crop_logits_cap;
    int *count;
    size_t count_cap;
};

void upernet_slide_scratch_free(struct upernet_slide_scratch *scratch);

/* mmseg's slide_inference: the model on every window of the normalised
 * pixels (3 planes of h x w), each window at its own size, logits summed
 * into `logits` (num_labels planes of h x w) and divided by the number of
 * windows covering each pixel. */
enum upernet_status upernet_slide_inference(const upernet_model *model, upernet_workspace *ws,
                                            const float *pixels, int h,
                                            int w, const upernet_slide_params *params,
                                            struct upernet_slide_scratch *scratch, float *logits,
                                            upernet_error *err);

#endif

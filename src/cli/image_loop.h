/* The image loop `upernet evaluate` and `upernet segment` share: decoding
 * and resizing (prepare) and post-processing and the caller's per-image
 * work (finish + consume) run on two helper threads while the model runs
 * the forwards of the current image. */
#ifndef UPERNET_CLI_IMAGE_LOOP_H
#define UPERNET_CLI_IMAGE_LOOP_H

#include <stddef.h>

#include "cli/eval_dataset.h"
#include "upernet.h"

/* What the consumer sees of one image, on the finisher thread. */
struct image_loop_view {
    size_t index;
    const char *path;
    const upernet_image *image;
    const upernet_annotation *labels;     /* NULL when the sample has none */
    const upernet_prediction *prediction; /* its scores (upernet_prediction_scores) */
    const uint16_t *class_map;            /* at the image size; NULL unless want_class_map */
};

struct image_loop_options {
    const char *verb;                 /* for messages: "upernet VERB: ..." */
    const upernet_eval_config *config;
    int want_class_map;               /* run finish (resize + argmax to the image size) */
    int progress;                     /* a progress line on stderr when it is a TTY */
    int keep_going;                   /* report a failing image and go on with the next */
    /* Called in list order for every image whose steps succeeded; nonzero
     * (with err filled) is that image's failure. */
    int (*consume)(void *ctx, const struct image_loop_view *view, upernet_error *err);
    void *ctx;
};

/* Runs every sample (annotation NULL: none is read) through the model's
 * forwards in `ws`. Failures are printed naming the file. Without
 * keep_going the first failure stops the loop and gives -1; with it, the
 * failed images are counted in *failures and the loop returns 0. */
int image_loop_run(const upernet_model *model, upernet_workspace *ws,
                   const struct eval_sample *samples, size_t count,
                   const struct image_loop_options *options, size_t *failures);

#endif

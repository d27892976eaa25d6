/* The image loop `upernet evaluate` and `upernet segment` share: decoding
 * and resizing (prepare) and the caller's per-image work (consume) run on
 * two helper threads while the model runs the forwards of the current
 * image; the post-processing (finish: scores resized to the image + argmax)
 * runs on a spare core beside the forwards when there is one, else on the
 * forwards' own threads (see image_loop.c). */
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

/* Where finish runs. */
enum image_loop_finish {
    IMAGE_LOOP_FINISH_AUTO,           /* beside the forwards if a core is spare */
    IMAGE_LOOP_FINISH_BESIDE,         /* on the finisher thread, overlapping them */
    IMAGE_LOOP_FINISH_FORWARD_THREADS /* after each forward, on its threads */
};

struct image_loop_options {
    const char *verb;                 /* for messages: "upernet VERB: ..." */
    const upernet_eval_config *config;
    int want_class_map;               /* run finish (resize + argmax to the image size) */
    int progress;                     /* a progress line on stderr when it is a TTY */
    int keep_going;                   /* report a failing image and go on with the next */
    int threads;                      /* the model's forward threads (0: OpenMP's default) */
    enum image_loop_finish finish;
    /* Called in list order for every image whose steps succeeded; nonzero
     * (with err filled) is that image's failure. */
    int (*consume)(void *ctx, const struct image_loop_view *view, upernet_error *err);
    void *ctx;
};

/* Whether IMAGE_LOOP_FINISH_AUTO finishes beside the forwards: they use
 * fewer threads (`threads`, 0: OpenMP's default) than this process may run
 * on. */
int image_loop_spare_core(int threads);

/* Runs every sample (annotation NULL: none is read) through the model's
 * forwards in `ws`. Failures are printed naming the file. Without
 * keep_going the first failure stops the loop and gives -1; with it, the
 * failed images are counted in *failures and the loop returns 0. */
int image_loop_run(const upernet_model *model, upernet_workspace *ws,
                   const struct eval_sample *samples, size_t count,
                   const struct image_loop_options *options, size_t *failures);

#endif

/* The image loop of `upernet evaluate`: decoding, resizing, post-processing
 * and counting of neighbouring images run on two helper threads while the
 * model runs the forwards of the current one. */
#ifndef UPERNET_CLI_EVAL_LOOP_H
#define UPERNET_CLI_EVAL_LOOP_H

#include "cli/eval_dataset.h"
#include "upernet.h"

struct eval_loop_options {
    const upernet_eval_config *config;
    int reduce_zero_label;
    int progress; /* a progress line on stderr when it is a TTY */
};

/* Adds every sample's counts to *counts (in list order), running the
 * forwards of `model` in `ws`. Prints the first error (naming the file) and
 * returns -1 on failure. */
int eval_loop_run(const upernet_model *model, upernet_workspace *ws,
                  const struct eval_dataset *dataset,
                  const struct eval_loop_options *options, upernet_iou_counts *counts);

#endif

/* Internal to src/ops: the Winograd F(2x2, 3x3) conv driver
 * (src/ops/winograd.c), which upernet_conv_run and upernet_conv_run_sources
 * use for a conv whose weights were packed by upernet_pack_winograd23
 * (conv->winograd != NULL). */
#ifndef UPERNET_OPS_WINOGRAD_H
#define UPERNET_OPS_WINOGRAD_H

#include "ops/ops.h"

/* conv (3x3, stride 1, padding 1, activation NONE or RELU) over the channel
 * concatenation of the sources at height x width -> y (same size, pixel
 * stride y_stride). Fails with UPERNET_ERR_ARGUMENT for another geometry,
 * a scale or residual epilogue, or GELU; UPERNET_ERR_MISMATCH when the
 * packing nr or the channels disagree; UPERNET_ERR_NOMEM. */
enum upernet_status upernet_winograd23_run(const struct upernet_kernel_table *t,
                                           const struct upernet_conv *conv, size_t height,
                                           size_t width,
                                           const struct upernet_conv_source *sources,
                                           size_t n_sources, float *y, size_t y_stride,
                                           const float *scale, const float *residual,
                                           upernet_error *err);

/* The driver's cost and split at `threads` threads (upernet_conv_cost). */
struct upernet_op_cost upernet_winograd23_cost(const struct upernet_kernel_table *t,
                                               const struct upernet_conv *conv, size_t height,
                                               size_t width, size_t threads);

#endif
